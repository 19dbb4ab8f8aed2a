import { aboutOwnAffairs, decideKnowledge, knowledgeOutranks } from './knowledge';
import type { NluResult } from './nlu';

const nlu = (text: string, intent: string | null, score: number, entities: NluResult['entities'] = []) => ({
  text,
  intent,
  confidence: 0.7,
  entities,
  knowledge: [{ id: 'ship', question: 'q', answer: 'a', score }],
});

describe('knowledge arbitration', () => {
  test.each([
    ['我的订单什么时候发货', true],
    ['我买的鞋子到哪了', true],
    ['帮我查一下物流', true],
    ['where is my order', true],
    ['I ordered a jacket last week', true],
    ['什么时候发货', false],
    ['我想问一下你们几天发货', false],
    ['how long does shipping take', false],
  ])('%s: about own affairs = %s', (text, own) => {
    expect(aboutOwnAffairs({ text, entities: [] })).toBe(own);
  });

  test('an order id makes it the customer’s own', () => {
    expect(
      aboutOwnAffairs({ text: '1003什么时候发货', entities: [{ type: 'orderId', value: '1003' }] }),
    ).toBe(true);
  });

  test('a general question the shop answers beats a task intent; own affairs and the running task do not', () => {
    expect(knowledgeOutranks(nlu('什么时候发货', 'order.query', 0.9), 'order-query', undefined)).toBe(true);
    expect(knowledgeOutranks(nlu('我的订单什么时候发货', 'order.query', 0.9), 'order-query', undefined)).toBe(
      false,
    );
    expect(knowledgeOutranks(nlu('什么时候发货', 'order.query', 0.7), 'order-query', 'order-query')).toBe(
      false,
    );
    expect(knowledgeOutranks(nlu('什么时候发货', 'order.query', 0.4), 'order-query', undefined)).toBe(false);
    // Less sure than the intent: the intent keeps the turn; a sure match wins even over a surer intent.
    expect(knowledgeOutranks(nlu('什么时候发货', 'order.query', 0.6), 'order-query', undefined)).toBe(false);
    expect(
      knowledgeOutranks(
        { ...nlu('什么时候发货', 'order.query', 0.85), confidence: 0.99 },
        'order-query',
        undefined,
      ),
    ).toBe(true);
    expect(knowledgeOutranks(nlu('转人工', 'common.human', 0.9), 'handoff', undefined)).toBe(false);
    // Own affairs with a doubtful task intent: the much surer entry answers.
    expect(
      knowledgeOutranks(
        { ...nlu("my card hasn't arrived", 'order.query', 0.8), confidence: 0.5 },
        'o',
        undefined,
      ),
    ).toBe(true);
  });

  test('answer, did-you-mean (at most 3) or nothing, by score', () => {
    const m = (id: string, score: number) => ({ id, question: id, answer: id, score });
    expect(decideKnowledge([m('a', 0.8), m('b', 0.4)])).toEqual({ kind: 'answer', match: m('a', 0.8) });
    expect(decideKnowledge([m('a', 0.45), m('b', 0.4), m('c', 0.35), m('d', 0.31)])).toEqual({
      kind: 'suggest',
      matches: [m('a', 0.45), m('b', 0.4), m('c', 0.35)],
    });
    expect(decideKnowledge([m('a', 0.2)])).toEqual({ kind: 'none' });
    expect(decideKnowledge([])).toEqual({ kind: 'none' });
  });
});

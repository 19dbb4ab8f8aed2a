import { isKefuError } from '../../bot/errors';
import { userHashFor } from '../../bot/identity';
import { HUMAN_POSTBACK } from '../../bot/router';
import type { TurnResult } from '../../bot/turn';
import { callerHash } from './voice.call';
import { TEST_VXML_TOKEN, testShop } from './voice.test-support';
import { type VxmlRaw, VxmlAdapter } from './vxml.adapter';

const adapter = new VxmlAdapter();
const settings = { channels: { vxml: { token: TEST_VXML_TOKEN, agentNumber: '+862160000001' } } };
const ANON = callerHash(testShop, '+8613812345678', 's-1');
const TURN = `/channels/vxml/demo/turn?session=s-1&a=${ANON}`;

const raw = (over: Partial<VxmlRaw>): VxmlRaw => ({
  shop: testShop,
  settings,
  url: '/channels/vxml/demo/start?session=s-1&caller=%2B8613812345678',
  authorization: `Bearer ${TEST_VXML_TOKEN}`,
  body: undefined,
  route: 'start',
  ...over,
});
const turnRaw = (query: string, body: Record<string, string>): VxmlRaw =>
  raw({ url: `${TURN}&${query}`, body, route: 'turn' });

function rejection(r: VxmlRaw): { status: number; code: string } {
  try {
    adapter.parseSync(r);
  } catch (err) {
    if (isKefuError(err)) return { status: err.status, code: err.code };
    throw err;
  }
  throw new Error('expected the request to be refused');
}

const result = (over: Partial<TurnResult>): TurnResult => ({
  conversationId: 'cv_1',
  userMessageId: 'm_1',
  replies: [],
  nlu: null,
  handoff: 'none',
  ...over,
});

const HEAD =
  '<?xml version="1.0" encoding="UTF-8"?><vxml version="2.1" xmlns="http://www.w3.org/2001/vxml" xml:lang="zh-CN">';
const PERSON_WORDS =
  '<item>人工<tag>out="0";</tag></item><item>转人工<tag>out="0";</tag></item><item>人工客服<tag>out="0";</tag></item>';
const grammars = (items: string) =>
  '<grammar mode="dtmf" src="builtin:dtmf/digits"/><grammar mode="voice" src="builtin:grammar/digits"/>' +
  '<grammar mode="voice" version="1.0" root="menu" tag-format="semantics/1.0" xml:lang="zh-CN" xmlns="http://www.w3.org/2001/06/grammar">' +
  `<rule id="menu" scope="public"><one-of>${items}${PERSON_WORDS}</one-of></rule></grammar>` +
  '<property name="termchar" value="#"/>';
const field = (items: string, prompt: string, next: string) =>
  `<form id="kefu"><var name="utterance" expr="&apos;&apos;"/><var name="inputmode" expr="&apos;&apos;"/>` +
  `<field name="answer">${grammars(items)}<prompt bargein="true">${prompt}</prompt>` +
  '<noinput count="1"><prompt bargein="true">抱歉，我没有听到您的声音。</prompt><reprompt/></noinput>' +
  `<noinput count="3"><submit next="${next}&amp;event=noinput" method="post"/></noinput>` +
  '<nomatch><prompt bargein="true">抱歉，我没有听清。</prompt><reprompt/></nomatch>' +
  '<filled><assign name="utterance" expr="answer$.utterance"/><assign name="inputmode" expr="answer$.inputmode"/>' +
  `<submit next="${next}" method="post" namelist="answer utterance inputmode"/></filled></field></form></vxml>`;
const MENU_WORDS =
  '<item>订单<tag>out="1";</tag></item><item>查询订单<tag>out="1";</tag></item><item>查订单<tag>out="1";</tag></item>' +
  '<item>退款<tag>out="2";</tag></item><item>申请退款<tag>out="2";</tag></item><item>我要退款<tag>out="2";</tag></item>' +
  '<item>充值<tag>out="3";</tag></item><item>我要充值<tag>out="3";</tag></item>';

describe('VoiceXML requests → InboundMessage (golden)', () => {
  test('/start is the start of the call; the caller is kept only as a keyed hash', () => {
    const inbound = adapter.parseSync(raw({}));
    expect(inbound.kind).toBe('start');
    expect(inbound.ref).toMatchObject({
      callId: 's-1',
      userId: `phone:${ANON}`,
      verified: false,
      path: '/channels/vxml/demo/turn',
      keep: [
        ['session', 's-1'],
        ['a', ANON],
      ],
    });
    expect(JSON.stringify(inbound)).not.toContain('13812345678');
  });

  test('a spoken answer is a turn with the utterance; keys follow the same rules as Twilio', () => {
    expect(
      adapter.parseSync(
        turnRaw('seq=1', { answer: '查一下我的订单', utterance: '查一下我的订单', inputmode: 'voice' }),
      ),
    ).toMatchObject({
      kind: 'message',
      message: {
        shopId: 'demo',
        channel: 'vxml',
        userId: `phone:${ANON}`,
        verified: false,
        text: '查一下我的订单',
        dedupKey: 'vxml:s-1:1',
      },
    });
    const keyed = (answer: string, query: string) =>
      adapter.parseSync(turnRaw(query, { answer, utterance: answer, inputmode: 'dtmf' }));
    expect(keyed('2', 'seq=1')).toMatchObject({ message: { text: '我要退款' } });
    expect(keyed('0', 'seq=1')).toMatchObject({
      message: { payload: HUMAN_POSTBACK },
      ref: { person: true },
    });
    expect(keyed('1', 'seq=2&cp=dialogue%3Acsat%3A&c=5&c=1')).toMatchObject({
      message: { payload: 'dialogue:csat:5' },
    });
    expect(keyed('1001', 'seq=2&dg=1')).toMatchObject({ message: { text: '1001' } });
    // The spoken menu grammar answers with the key ("退款" → "2").
    expect(
      adapter.parseSync(turnRaw('seq=1', { answer: '2', utterance: '退款', inputmode: 'voice' })),
    ).toMatchObject({ message: { text: '我要退款' } });
  });

  test('the third noinput brings a person in; a verified caller is the shop\u2019s customer', () => {
    expect(adapter.parseSync(turnRaw('seq=3&event=noinput', {}))).toMatchObject({
      kind: 'message',
      message: { payload: HUMAN_POSTBACK, dedupKey: 'vxml:s-1:3' },
      ref: { person: true },
    });
    const hash = userHashFor(testShop.identitySecret, 'c-1001');
    expect(
      adapter.parseSync(
        turnRaw(`seq=1&userId=c-1001&userHash=${hash}`, { answer: '我的订单', inputmode: 'voice' }),
      ),
    ).toMatchObject({ message: { userId: 'c-1001', verified: true } });
  });

  test('the token: Bearer or ?token=; missing, wrong, unknown shop, none configured → 403', () => {
    expect(
      adapter.parseSync(
        raw({ authorization: undefined, url: `/channels/vxml/demo/start?token=${TEST_VXML_TOKEN}` }),
      ).ref.keep,
    ).toContainEqual(['token', TEST_VXML_TOKEN]);
    expect(rejection(raw({ authorization: undefined }))).toEqual({ status: 403, code: 'INVALID_TOKEN' });
    expect(rejection(raw({ authorization: 'Bearer nope' }))).toMatchObject({ status: 403 });
    expect(
      rejection(raw({ authorization: undefined, url: '/channels/vxml/demo/start?token=nope' })),
    ).toMatchObject({
      status: 403,
    });
    expect(rejection(raw({ shop: undefined }))).toMatchObject({ status: 403 });
    expect(rejection(raw({ settings: {} }))).toEqual({ status: 403, code: 'VXML_NOT_CONFIGURED' });
  });

  test('a turn without its session or sequence is a 400', () => {
    expect(
      rejection(raw({ url: '/channels/vxml/demo/turn', route: 'turn', body: { answer: 'x' } })),
    ).toMatchObject({
      status: 400,
      code: 'MISSING_CALL_STATE',
    });
  });
});

describe('TurnResult → VoiceXML (golden)', () => {
  test('the greeting document', () => {
    const inbound = adapter.parseSync(raw({}));
    expect(adapter.render(inbound.ref, undefined, inbound)).toBe(
      HEAD +
        field(
          MENU_WORDS,
          '您好，欢迎致电Kefu 演示商城，我是智能客服。查询订单请按1，申请退款请按2，充值请按3，转人工请按0。您也可以直接说出您的问题。',
          `/channels/vxml/demo/turn?session=s-1&amp;a=${ANON}&amp;seq=1`,
        ),
    );
  });

  test('replies with choices: their titles become the spoken grammar, their payloads ride in the next URL', () => {
    const inbound = adapter.parseSync(turnRaw('seq=1', { answer: '1001', inputmode: 'dtmf' }));
    const xml = adapter.render(
      inbound.ref,
      result({
        replies: [
          {
            text: '订单 1001：已签收。请问这次服务您满意吗？',
            quickReplies: [
              { title: '满意', payload: 'dialogue:csat:5' },
              { title: '不满意', payload: 'dialogue:csat:1' },
            ],
          },
        ],
      }),
      inbound,
    );
    expect(xml).toBe(
      HEAD +
        field(
          '<item>满意<tag>out="1";</tag></item><item>不满意<tag>out="2";</tag></item>',
          '订单 1 0 0 1：已签收。请问这次服务您满意吗？按1，满意；按2，不满意。',
          `/channels/vxml/demo/turn?session=s-1&amp;a=${ANON}&amp;seq=2&amp;cp=dialogue%3Acsat%3A&amp;c=5&amp;c=1`,
        ),
    );
  });

  test('a handoff: a transfer to the agent number, or a goodbye when there is none', () => {
    const inbound = adapter.parseSync(turnRaw('seq=2', { answer: '转人工', inputmode: 'voice' }));
    const handoff = result({
      handoff: 'queued',
      replies: [{ text: '好的，正在为您转接人工客服，请稍候。' }],
    });
    expect(adapter.render(inbound.ref, handoff, inbound)).toBe(
      HEAD +
        '<form id="kefu"><block><prompt bargein="true">好的，正在为您转接人工客服，请稍候。</prompt></block>' +
        '<transfer name="agent" dest="tel:+862160000001" bridge="true" connecttimeout="30s"/></form></vxml>',
    );
    const { agentNumber: _unused, ...noAgent } = inbound.ref;
    expect(adapter.render(noAgent, handoff, inbound)).toBe(
      HEAD +
        '<form id="kefu"><block><prompt bargein="true">好的，正在为您转接人工客服，请稍候。 客服会尽快与您联系，感谢您的来电，再见。</prompt>' +
        '<disconnect/></block></form></vxml>',
    );
  });

  test('text is escaped: no markup from a reply reaches the document', () => {
    const inbound = adapter.parseSync(turnRaw('seq=1', { answer: 'x', inputmode: 'voice' }));
    const xml = adapter.render(inbound.ref, result({ replies: [{ text: 'A & B <c> "d" \u0001' }] }), inbound);
    expect(xml).toContain('<prompt bargein="true">A &amp; B &lt;c &quot;d&quot;</prompt>');
  });
});

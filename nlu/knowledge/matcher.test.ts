import type { KnowledgeEntry } from '../../bot/store/knowledge.repo';
import { KnowledgeMatcher } from './matcher';

const entries: KnowledgeEntry[] = [
  { id: 'ship', locale: 'zh-CN', question: '你们一般几天发货', similar: [], answer: 'a' },
  { id: 'size', locale: 'zh-CN', question: '尺码怎么选', similar: ['码数偏大还是偏小'], answer: 'b' },
  { id: 'cod', locale: 'zh-CN', question: '支持货到付款吗', similar: [], answer: 'c' },
  { id: 'refund-en', locale: 'en-US', question: 'How long does a refund take?', similar: [], answer: 'd' },
  { id: 'parcel-en', locale: 'en-US', question: 'My package is damaged', similar: [], answer: 'e' },
];
const matcher = new KnowledgeMatcher(entries);
const best = (text: string, locale = 'zh-CN') => matcher.match(text, locale)[0];

describe('KnowledgeMatcher (lexical, before any publish)', () => {
  test.each([
    ['你们一般几天发货', 'ship'], // verbatim
    ['你們一般幾天發貨', 'ship'], // traditional characters
    ['请问多久能寄出呀', 'ship'], // synonyms (多久≈几天, 寄出≈发货) and particles
    ['码数怎么选', 'size'], // 码数≈尺码
    ['可以到付吗', 'cod'], // 到付≈货到付款
  ])('%s → %s', (text, id) => {
    expect(best(text)?.id).toBe(id);
    expect(best(text)!.score).toBeGreaterThanOrEqual(0.5);
  });

  test('English: typos and synonyms (parcel≈package)', () => {
    expect(best('how long dose a refnud take', 'en-US')?.id).toBe('refund-en');
    expect(best('my parcel arrived damaged', 'en-US')?.id).toBe('parcel-en');
  });

  test('entries of another language are not offered; an unrelated question scores low', () => {
    expect(matcher.match('how long does a refund take', 'zh-CN').map((m) => m.id)).not.toContain('refund-en');
    expect(best('二手挖掘机的液压泵怎么修')?.score ?? 0).toBeLessThan(0.3);
  });

  test('a shop without entries matches nothing', () => {
    expect(new KnowledgeMatcher([]).match('你们一般几天发货', 'zh-CN')).toEqual([]);
  });
});

import { DEFAULT_FEATURE_CONFIG, Featurizer, extractRaw } from './featurizer';
import { stemEn } from './stem-en';
import { analyze } from './tokenize';

describe('stemEn', () => {
  it('maps inflections of a word to one stem', () => {
    expect(stemEn('cancelled')).toBe(stemEn('cancel'));
    expect(stemEn('cancelling')).toBe(stemEn('cancel'));
    expect(stemEn('refunds')).toBe(stemEn('refund'));
    expect(stemEn('charges')).toBe(stemEn('charge'));
    expect(stemEn('charged')).toBe(stemEn('charging'));
    expect(stemEn('deliveries')).toBe(stemEn('delivery'));
  });

  it('leaves short and non-ASCII words alone', () => {
    expect(stemEn('is')).toBe('is');
    expect(stemEn('bus')).toBe('bus');
    expect(stemEn('café')).toBe('café');
  });
});

describe('analyze', () => {
  it('cuts Chinese with jieba and keeps the Han runs for character n-grams', () => {
    const a = analyze('我想查一下订单', false);
    expect(a.words).toContain('订单');
    expect(a.denseRuns).toEqual(['我想查一下订单']);
  });

  it('handles mixed Chinese and English', () => {
    const a = analyze('我要refund', true);
    expect(a.words).toEqual(expect.arrayContaining(['我要', 'refund']));
    expect(a.surfaces).toEqual(['refund']);
  });

  it('splits other text on non-letters, drops apostrophes and folds digits', () => {
    const a = analyze("don't cancel order 12345", false);
    expect(a.words).toEqual(['dont', 'cancel', 'order', '00000']);
  });

  it('returns part-of-speech tags for Chinese when asked', () => {
    const a = analyze('从杭州到上海', false, true);
    expect(a.tags).toContain('ns');
    expect(a.tags.length).toBe(a.words.length);
  });
});

describe('Featurizer', () => {
  const texts = ['where is my order', 'cancel my order', 'where is my refund', '我要退货', '退货怎么办'];

  it('extracts word, pair, character and dense-script features', () => {
    const raw = extractRaw('Where is my ORDER', { ...DEFAULT_FEATURE_CONFIG, pairWindow: 3, stem: false });
    expect(raw.words.has('wwhere is')).toBe(true);
    expect(raw.words.has('pis order')).toBe(true);
    expect(raw.chars.has('c<ord')).toBe(true);
    const zh = extractRaw('我要退貨', DEFAULT_FEATURE_CONFIG);
    // Normalised to simplified Chinese first.
    expect(zh.dense.has('d退货')).toBe(true);
    expect(zh.dense.has('d^我')).toBe(true);
  });

  it('L2-normalises each block and ignores unknown features', () => {
    const f = Featurizer.fit(texts, { ...DEFAULT_FEATURE_CONFIG, minDf: 1 });
    const x = f.transform('where is my order');
    const norm = Array.from(x.val).reduce((a, v) => a + v * v, 0);
    // Two blocks (words, characters) of unit norm each.
    expect(norm).toBeCloseTo(2, 4);
    expect(f.transform('zzzz qqqq').idx.length).toBe(0);
  });

  it('round-trips through its packed state', () => {
    const f = Featurizer.fit(texts, { ...DEFAULT_FEATURE_CONFIG, minDf: 1 });
    const g = Featurizer.fromState(JSON.parse(JSON.stringify(f.toState())));
    for (const t of [...texts, 'my order is where']) expect(g.transform(t)).toEqual(f.transform(t));
  });
});

import { MAX_EXAMPLES, clusterQuestions } from './cluster';

type Reason = 'fallback' | 'didYouMean' | 'handoff';
const REASONS: Reason[] = ['fallback', 'didYouMean', 'handoff'];
const items = (texts: string[], reason: Reason = 'fallback') => texts.map((text) => ({ text, reason }));

describe('clusterQuestions (the knowledge matcher’s terms and BM25 weights)', () => {
  test('phrasings of one question land together; other topics apart', () => {
    const clusters = clusterQuestions(
      items([
        '你们支持开发票吗',
        '有没有赠品',
        '能开发票吗',
        '会送赠品吗',
        '可以开发票吗',
        '你们店在哪个城市',
        'Can I get an invoice?',
        'Do you issue invoices',
      ]),
      REASONS,
    );
    const groups = clusters.map((c) => [...c.examples].sort());
    expect(groups).toContainEqual(['你们支持开发票吗', '可以开发票吗', '能开发票吗'].sort());
    expect(groups).toContainEqual(['会送赠品吗', '有没有赠品'].sort());
    expect(groups).toContainEqual(['Can I get an invoice?', 'Do you issue invoices'].sort());
    expect(groups).toContainEqual(['你们店在哪个城市']);
    expect(clusters[0]).toMatchObject({ count: 3 });
    // Largest first.
    expect(clusters.map((c) => c.count)).toEqual([...clusters.map((c) => c.count)].sort((a, b) => b - a));
  });

  test('counts every message, examples are distinct and the most frequent phrasing represents the cluster', () => {
    const clusters = clusterQuestions(
      [
        ...items(['能开发票吗', '能开发票吗', '能開發票嗎？'], 'fallback'),
        ...items(['可以开发票吗'], 'didYouMean'),
        ...items(['你们支持开发票吗'], 'handoff'),
      ],
      REASONS,
    );
    expect(clusters).toHaveLength(1);
    expect(clusters[0]).toEqual({
      text: '能开发票吗',
      count: 5,
      // 能開發票嗎？ normalizes to 能开发票吗: one phrasing.
      examples: ['能开发票吗', '可以开发票吗', '你们支持开发票吗'],
      reasons: { fallback: 3, didYouMean: 1, handoff: 1 },
    });
  });

  test(`at most ${MAX_EXAMPLES} examples; blank texts are ignored; nothing in, nothing out`, () => {
    const many = [
      '能开发票吗',
      '可以开发票吗',
      '能不能开发票',
      '开发票吗',
      '支持开发票吗',
      '你们开发票吗',
      '可不可以开发票',
    ];
    const [cluster] = clusterQuestions(items([...many, '   ']), REASONS);
    expect(cluster!.count).toBe(many.length);
    expect(cluster!.examples).toHaveLength(MAX_EXAMPLES);
    expect(new Set(cluster!.examples).size).toBe(MAX_EXAMPLES);
    expect(clusterQuestions([], REASONS)).toEqual([]);
  });

  test('the locale of the representative phrasing is kept (the nearest entry is looked up in it)', () => {
    const [c] = clusterQuestions(
      [{ text: 'Do you ship to Canada?', reason: 'fallback', locale: 'en-US' }],
      REASONS,
    );
    expect(c).toMatchObject({ locale: 'en-US', text: 'Do you ship to Canada?', count: 1 });
  });
});

import { analyze } from '../features/tokenize';

/** Terms for retrieval: words (jieba for Chinese, stemmed for others) plus Chinese character bigrams. */
export function retrievalTerms(normalized: string): string[] {
  const { words, denseRuns } = analyze(normalized, true);
  const terms = words.map((w) => `w:${w}`);
  for (const run of denseRuns) {
    const chars = [...run];
    for (let i = 0; i + 1 < chars.length; i++) terms.push(`b:${chars[i]}${chars[i + 1]}`);
    if (chars.length === 1) terms.push(`c:${chars[0]}`);
  }
  return terms;
}

export interface Bm25Doc {
  label: string;
  terms: string[];
}

const K1 = 1.2;
const B = 0.75;

/**
 * Okapi BM25 over a shop's phrasings. Document frequencies also count a background corpus (the
 * built-in training sentences), so that with only a handful of entries common words (什么, 怎么,
 * my, the) still weigh little. `score` is normalised by the query's score against itself, so it
 * reads as "how much of the query this document covers", 0–1.
 */
export class Bm25Index {
  private readonly df = new Map<string, number>();
  private readonly n: number;
  private readonly avgLen: number;
  private readonly docs: { label: string; tf: Map<string, number>; len: number }[];

  constructor(docs: Bm25Doc[], background: string[][] = []) {
    this.docs = docs.map((d) => ({ label: d.label, tf: counts(d.terms), len: d.terms.length }));
    for (const terms of [...docs.map((d) => d.terms), ...background]) {
      for (const t of new Set(terms)) this.df.set(t, (this.df.get(t) ?? 0) + 1);
    }
    this.n = docs.length + background.length;
    const lengths = [...docs.map((d) => d.terms.length), ...background.map((b) => b.length)];
    this.avgLen = lengths.reduce((a, b) => a + b, 0) / Math.max(1, lengths.length) || 1;
  }

  private idf(term: string): number {
    const df = this.df.get(term) ?? 0;
    return Math.log(1 + (this.n - df + 0.5) / (df + 0.5));
  }

  private termScore(term: string, tf: number, len: number): number {
    return (this.idf(term) * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * len) / this.avgLen));
  }

  /** The best document per label, scored 0–1 against the query, highest first. */
  search(queryTerms: string[], limit = 5): { label: string; score: number }[] {
    const q = counts(queryTerms);
    let selfScore = 0;
    for (const [term] of q) selfScore += this.termScore(term, 1, queryTerms.length);
    if (selfScore <= 0) return [];
    const best = new Map<string, number>();
    for (const doc of this.docs) {
      let s = 0;
      for (const [term] of q) {
        const tf = doc.tf.get(term);
        if (tf) s += this.termScore(term, tf, doc.len);
      }
      if (s > (best.get(doc.label) ?? 0)) best.set(doc.label, s);
    }
    return [...best]
      .map(([label, s]) => ({ label, score: Math.min(1, s / selfScore) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, limit);
  }
}

function counts(terms: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of terms) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}

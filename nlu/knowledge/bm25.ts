import { analyze } from '../features/tokenize';
import { canonicalWord, isFiller } from './lexicon';

/**
 * Terms for retrieval: words (jieba for Chinese, stemmed for others) mapped through the synonym
 * lexicon, fillers (请问, 呀, please) dropped; Chinese characters and character bigrams (jieba cuts
 * a typo or a new product name differently, characters still meet); and character trigrams of
 * Latin words, so "refnud" still shares most of "refund".
 */
export function retrievalTerms(normalized: string): string[] {
  const { tokens, words } = analyze(normalized, true);
  const terms: string[] = [];
  let run = '';
  const flush = () => {
    const chars = [...run];
    for (let i = 0; i < chars.length; i++) {
      terms.push(`c:${chars[i]}`);
      if (i + 1 < chars.length) terms.push(`b:${chars[i]}${chars[i + 1]}`);
    }
    run = '';
  };
  tokens.forEach((token, i) => {
    const word = words[i]!;
    if (isFiller(word)) return;
    const canonical = canonicalWord(word);
    terms.push(`w:${canonical}`);
    if (HAN.test(token)) {
      // Characters of the lexicon's word, so 多久能寄出 and 几天发货 also meet on 多久 and 发货.
      run += HAN.test(canonical) ? canonical : token;
      return;
    }
    flush();
    if (token.length < 4 || /^\d+$/.test(token)) return;
    const padded = `#${token}#`;
    for (let j = 0; j + 3 <= padded.length; j++) terms.push(`g:${padded.slice(j, j + 3)}`);
  });
  flush();
  return terms;
}

const HAN = /^\p{Script=Han}+$/u;

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
  private readonly labels: string[];
  private readonly lengths: number[];
  /** Term → the documents that contain it and how often: a query visits only those. */
  private readonly postings = new Map<string, { doc: number; tf: number }[]>();

  constructor(docs: Bm25Doc[], background: string[][] = []) {
    this.labels = docs.map((d) => d.label);
    this.lengths = docs.map((d) => d.terms.length);
    docs.forEach((d, doc) => {
      for (const [term, tf] of counts(d.terms)) {
        let list = this.postings.get(term);
        if (!list) this.postings.set(term, (list = []));
        list.push({ doc, tf });
      }
    });
    for (const terms of [...docs.map((d) => d.terms), ...background]) {
      for (const t of new Set(terms)) this.df.set(t, (this.df.get(t) ?? 0) + 1);
    }
    this.n = docs.length + background.length;
    const lengths = [...this.lengths, ...background.map((b) => b.length)];
    this.avgLen = lengths.reduce((a, b) => a + b, 0) / Math.max(1, lengths.length) || 1;
  }

  private idf(term: string): number {
    const df = this.df.get(term) ?? 0;
    return Math.log(1 + (this.n - df + 0.5) / (df + 0.5));
  }

  private termScore(term: string, tf: number, len: number): number {
    return (this.idf(term) * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * len) / this.avgLen));
  }

  /**
   * The best document per label, scored 0–1 against the query, highest first. Words and character
   * grams are scored apart and averaged (WORD_WEIGHT): a paraphrase shares its key words (after the
   * synonym lexicon) more than its characters, a typo shares characters more than words.
   */
  search(queryTerms: string[], limit = 5): { label: string; score: number }[] {
    const q = [...counts(queryTerms).keys()];
    const family = (t: string) => (t.startsWith('w:') ? 0 : 1);
    const self = [0, 0];
    for (const term of q) self[family(term)]! += this.termScore(term, 1, queryTerms.length);
    const weights = [self[0]! > 0 ? WORD_WEIGHT : 0, self[1]! > 0 ? 1 - WORD_WEIGHT : 0];
    const total = weights[0]! + weights[1]!;
    if (total === 0) return [];
    const perDoc = new Map<number, number>();
    for (const term of q) {
      const f = family(term);
      const share = weights[f]! / total / self[f]!;
      for (const { doc, tf } of this.postings.get(term) ?? []) {
        perDoc.set(doc, (perDoc.get(doc) ?? 0) + share * this.termScore(term, tf, this.lengths[doc]!));
      }
    }
    const best = new Map<string, number>();
    for (const [doc, s] of perDoc) {
      const label = this.labels[doc]!;
      if (s > (best.get(label) ?? 0)) best.set(label, s);
    }
    return [...best]
      .map(([label, score]) => ({ label, score: Math.min(1, score) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, limit);
  }
}

/** The share of a lexical score that words carry (the rest: characters and character grams). */
const WORD_WEIGHT = 0.5;

function counts(terms: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of terms) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}

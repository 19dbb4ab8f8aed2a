/**
 * A small TF-IDF index over short texts with cosine similarity: Chinese as character uni- and
 * bigrams (no segmentation errors on shop jargon), other text as words plus character trigrams
 * (robust to typos and inflection). Each document carries a label; queries return labels ranked.
 */
export interface IndexedDoc {
  label: string;
  text: string;
}

type Vector = Map<string, number>;

// Function characters and question words say little about which question was asked: with a shop's
// few dozen entries, IDF alone would make 什么 as telling as 发货.
const ZH_STOP = new Set([
  ...'的了吗呢吧啊呀么是我你您他她它们这那哪什怎么样多少有在和就都也还要会能可以个一不没请问下',
]);
const EN_STOP = new Set(
  'a an the i me my you your we our is are was be do does did to of in on for at it this that what when where how can could would will please'.split(
    ' ',
  ),
);

export function features(normalized: string): string[] {
  const out: string[] = [];
  const segments = normalized.match(/\p{Script=Han}+|[\p{L}\p{N}]+/gu) ?? [];
  for (const seg of segments) {
    if (/\p{Script=Han}/u.test(seg)) {
      const chars = [...seg];
      chars.forEach((c, i) => {
        if (!ZH_STOP.has(c)) out.push(`c:${c}`);
        const next = chars[i + 1];
        if (next && !(ZH_STOP.has(c) && ZH_STOP.has(next))) out.push(`b:${c}${next}`);
      });
    } else {
      if (EN_STOP.has(seg)) continue;
      out.push(`w:${seg}`);
      const padded = `_${seg}_`;
      for (let i = 0; i + 3 <= padded.length; i++) out.push(`t:${padded.slice(i, i + 3)}`);
    }
  }
  return out;
}

export class TfidfIndex {
  private readonly idf = new Map<string, number>();
  private readonly vectors: { label: string; vector: Vector }[] = [];

  constructor(docs: IndexedDoc[]) {
    const df = new Map<string, number>();
    const bags = docs.map((d) => features(d.text));
    for (const bag of bags) for (const f of new Set(bag)) df.set(f, (df.get(f) ?? 0) + 1);
    const n = docs.length;
    for (const [f, count] of df) this.idf.set(f, Math.log((1 + n) / (1 + count)) + 1);
    docs.forEach((d, i) => this.vectors.push({ label: d.label, vector: this.vectorize(bags[i] ?? []) }));
  }

  private vectorize(bag: string[]): Vector {
    const tf = new Map<string, number>();
    for (const f of bag) tf.set(f, (tf.get(f) ?? 0) + 1);
    const v: Vector = new Map();
    let norm = 0;
    for (const [f, count] of tf) {
      const w = (1 + Math.log(count)) * (this.idf.get(f) ?? 0);
      if (w === 0) continue;
      v.set(f, w);
      norm += w * w;
    }
    norm = Math.sqrt(norm) || 1;
    for (const [f, w] of v) v.set(f, w / norm);
    return v;
  }

  /** Labels by their best document's cosine similarity to the query, highest first. */
  search(normalizedQuery: string, limit = 5): { label: string; score: number }[] {
    const q = this.vectorize(features(normalizedQuery));
    const best = new Map<string, number>();
    for (const { label, vector } of this.vectors) {
      let dot = 0;
      for (const [f, w] of q) dot += w * (vector.get(f) ?? 0);
      if (dot > (best.get(label) ?? 0)) best.set(label, dot);
    }
    return [...best.entries()]
      .map(([label, score]) => ({ label, score }))
      .sort((a, b) => b.score - a.score)
      .slice(0, limit);
  }
}

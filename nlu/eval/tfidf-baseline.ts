import { normalize } from '../normalize';

/**
 * The plain baseline of `kb:eval` (faq_fewshot/README.md): TF-IDF over character 1–3-grams plus Latin
 * words, cosine to the nearest entry sentence, no threshold. It answers every question, so its top-1
 * is the bar the real matcher's direct answers are compared with.
 */
export class TfidfBaseline {
  private readonly idf = new Map<string, number>();
  private readonly docs: { label: string; vec: Map<string, number> }[] = [];

  constructor(sentences: { label: string; text: string }[]) {
    const grams = sentences.map((s) => features(s.text));
    const df = new Map<string, number>();
    for (const g of grams) for (const t of g.keys()) df.set(t, (df.get(t) ?? 0) + 1);
    for (const [t, n] of df) this.idf.set(t, Math.log((1 + grams.length) / (1 + n)) + 1);
    grams.forEach((g, i) => this.docs.push({ label: sentences[i]!.label, vec: this.weigh(g) }));
  }

  /** Labels by their best sentence's cosine, highest first. */
  rank(text: string, limit = 3): string[] {
    const q = this.weigh(features(text));
    const best = new Map<string, number>();
    for (const d of this.docs) {
      let dot = 0;
      for (const [t, w] of q) dot += w * (d.vec.get(t) ?? 0);
      if (dot > (best.get(d.label) ?? -1)) best.set(d.label, dot);
    }
    return [...best]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([label]) => label);
  }

  private weigh(tf: Map<string, number>): Map<string, number> {
    const v = new Map<string, number>();
    let norm = 0;
    for (const [t, n] of tf) {
      const w = n * (this.idf.get(t) ?? 0);
      if (w > 0) v.set(t, w);
      norm += w * w;
    }
    norm = Math.sqrt(norm) || 1;
    for (const [t, w] of v) v.set(t, w / norm);
    return v;
  }
}

function features(text: string): Map<string, number> {
  const s = normalize(text);
  const tf = new Map<string, number>();
  const add = (t: string) => tf.set(t, (tf.get(t) ?? 0) + 1);
  const chars = [...s.replace(/\s+/g, ' ')];
  for (let n = 1; n <= 3; n++)
    for (let i = 0; i + n <= chars.length; i++) add(`c:${chars.slice(i, i + n).join('')}`);
  for (const w of s.match(/[a-z0-9]+/g) ?? []) add(`w:${w}`);
  return tf;
}

import { normalize } from '../normalize';
import { analyze } from '../features/tokenize';
import { createRandom } from './random';

export interface NegativeOptions {
  /** Share of training examples that yield a negative. */
  fraction: number;
  stem: boolean;
  seed: number;
  /** Label id that is itself out-of-scope (its rows are skipped), or -1. */
  oosLabel: number;
}

/**
 * "Carrier phrase" negatives for outlier exposure: a training utterance with the words that point
 * at its intent removed ("what is my [balance]", "how do i say [hello] in [french]"). Out-of-scope
 * questions share such carriers with in-scope ones; trained towards a flat distribution they teach
 * the model that a carrier alone is no evidence for any intent.
 */
export function carrierNegatives(
  texts: readonly string[],
  labels: Int32Array,
  numClasses: number,
  opts: NegativeOptions,
): string[] {
  const analyses = texts.map((t) => analyze(normalize(t), opts.stem));
  const inScope = opts.oosLabel >= 0 ? numClasses - 1 : numClasses;
  // Document frequency of each word overall and per intent.
  const df = new Map<string, number>();
  const dfByClass = new Map<string, number>();
  analyses.forEach((a, i) => {
    const c = labels[i] as number;
    if (c === opts.oosLabel) return;
    for (const w of new Set(a.words)) {
      df.set(w, (df.get(w) ?? 0) + 1);
      const k = c + '\t' + w;
      dfByClass.set(k, (dfByClass.get(k) ?? 0) + 1);
    }
  });
  // A word "points at" intent c when c owns a clearly larger share of it than chance: 7.5× the
  // uniform share, capped at one half for tasks with few intents.
  const theta = Math.min(0.5, 7.5 / Math.max(1, inScope));
  const random = createRandom(opts.seed);
  const out: string[] = [];
  analyses.forEach((a, i) => {
    const c = labels[i] as number;
    if (c === opts.oosLabel || random() >= opts.fraction) return;
    const kept: string[] = [];
    a.words.forEach((w, k) => {
      const share = (dfByClass.get(c + '\t' + w) ?? 0) / (df.get(w) ?? 1);
      if (share < theta) kept.push(a.tokens[k] as string);
    });
    if (kept.length > 0 && kept.length < a.words.length) out.push(kept.join(' '));
  });
  return out;
}

import { OOS } from './dataset';

export interface ClassificationMetrics {
  n: number;
  intents: number;
  accuracy: number;
  inScopeAccuracy: number;
  oosRecall: number | null;
  oosPrecision: number | null;
  macroF1: number;
}

/**
 * Metrics of the nlu:eval contract. `predicted` null or `oos` means out of scope, which is right
 * for an `oos` row. macroF1 averages F1 over the in-scope intents of the test file (an out-of-scope
 * prediction is a miss for the row's intent; an `oos` row predicted as X is a false positive for X).
 * oosPrecision is 0 when nothing was predicted out of scope but the file has `oos` rows.
 */
export function classificationMetrics(
  gold: readonly string[],
  predicted: readonly (string | null)[],
): ClassificationMetrics {
  const n = gold.length;
  const pred = predicted.map((p) => (p === null ? OOS : p));
  const intents = [...new Set(gold.filter((g) => g !== OOS))];
  let correct = 0;
  let inScope = 0;
  let inScopeCorrect = 0;
  let oosRows = 0;
  let oosHit = 0;
  let oosPredicted = 0;
  const tp = new Map<string, number>();
  const fp = new Map<string, number>();
  const fn = new Map<string, number>();
  const inc = (m: Map<string, number>, k: string): void => {
    m.set(k, (m.get(k) ?? 0) + 1);
  };
  for (let i = 0; i < n; i++) {
    const g = gold[i] as string;
    const p = pred[i] as string;
    if (g === p) correct++;
    if (p === OOS) oosPredicted++;
    if (g === OOS) {
      oosRows++;
      if (p === OOS) oosHit++;
      else inc(fp, p);
      continue;
    }
    inScope++;
    if (g === p) {
      inScopeCorrect++;
      inc(tp, g);
    } else {
      inc(fn, g);
      if (p !== OOS) inc(fp, p);
    }
  }
  let f1Sum = 0;
  for (const intent of intents) {
    const t = tp.get(intent) ?? 0;
    const denom = 2 * t + (fp.get(intent) ?? 0) + (fn.get(intent) ?? 0);
    f1Sum += denom === 0 ? 0 : (2 * t) / denom;
  }
  return {
    n,
    intents: intents.length,
    accuracy: n === 0 ? 0 : correct / n,
    inScopeAccuracy: inScope === 0 ? 0 : inScopeCorrect / inScope,
    oosRecall: oosRows === 0 ? null : oosHit / oosRows,
    oosPrecision: oosRows === 0 ? null : oosPredicted === 0 ? 0 : oosHit / oosPredicted,
    macroF1: intents.length === 0 ? 0 : f1Sum / intents.length,
  };
}

/** Nearest-rank percentile of a list of numbers (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

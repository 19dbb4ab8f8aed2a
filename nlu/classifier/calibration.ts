/**
 * Cross-entropy of softmax(scores / t) against smoothed targets: 1 − ε on the gold class and ε spread
 * over the others, with ε = 1 / (n + 2) as in Platt's target smoothing. Without it a held-out set the
 * model gets all right drives t to zero and every answer, even nonsense, to confidence 1.
 */
function smoothedNll(scores: readonly Float32Array[], gold: readonly number[], t: number): number {
  const n = scores.length;
  const eps = 1 / (n + 2);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const z = scores[i] as Float32Array;
    const K = z.length;
    let max = -Infinity;
    for (let c = 0; c < K; c++) if ((z[c] as number) > max) max = z[c] as number;
    let sum = 0;
    let meanOther = 0;
    const g = gold[i] as number;
    for (let c = 0; c < K; c++) {
      const v = ((z[c] as number) - max) / t;
      sum += Math.exp(v);
      if (c !== g) meanOther += v / (K - 1);
    }
    const logSum = Math.log(sum);
    const logGold = ((z[g] as number) - max) / t - logSum;
    total -= (1 - eps) * logGold + eps * (meanOther - logSum);
  }
  return total / Math.max(1, n);
}

/**
 * Temperature scaling: the t minimising held-out (smoothed) NLL, by golden-section search over
 * log t. One parameter, so it cannot change which intent wins, only how sure the model says it is.
 */
export function fitTemperature(scores: readonly Float32Array[], gold: readonly number[]): number {
  if (scores.length === 0) return 1;
  let lo = Math.log(0.01);
  let hi = Math.log(100);
  const phi = (Math.sqrt(5) - 1) / 2;
  let a = hi - phi * (hi - lo);
  let b = lo + phi * (hi - lo);
  let fa = smoothedNll(scores, gold, Math.exp(a));
  let fb = smoothedNll(scores, gold, Math.exp(b));
  for (let k = 0; k < 60; k++) {
    if (fa < fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - phi * (hi - lo);
      fa = smoothedNll(scores, gold, Math.exp(a));
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + phi * (hi - lo);
      fb = smoothedNll(scores, gold, Math.exp(b));
    }
  }
  return Math.exp((lo + hi) / 2);
}

/** Expected calibration error over equal-width confidence bins. */
export function expectedCalibrationError(
  confidence: readonly number[],
  correct: readonly boolean[],
  bins = 10,
): number {
  const n = new Array<number>(bins).fill(0);
  const conf = new Array<number>(bins).fill(0);
  const acc = new Array<number>(bins).fill(0);
  confidence.forEach((p, i) => {
    const b = Math.min(bins - 1, Math.floor(p * bins));
    n[b] = (n[b] as number) + 1;
    conf[b] = (conf[b] as number) + p;
    acc[b] = (acc[b] as number) + (correct[i] ? 1 : 0);
  });
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    if (n[b] === 0) continue;
    ece += Math.abs((conf[b] as number) - (acc[b] as number));
  }
  return ece / Math.max(1, confidence.length);
}

/** NLL of the mixture a·p + (1 − a)·q of two calibrated distributions. */
export function mixtureNll(
  p: readonly Float32Array[],
  q: readonly Float32Array[],
  a: number,
  gold: readonly number[],
): number {
  let total = 0;
  for (let i = 0; i < gold.length; i++) {
    const g = gold[i] as number;
    const v = a * ((p[i] as Float32Array)[g] as number) + (1 - a) * ((q[i] as Float32Array)[g] as number);
    total -= Math.log(Math.max(v, 1e-30));
  }
  return total / Math.max(1, gold.length);
}

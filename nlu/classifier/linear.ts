import type { SparseVector } from '../features/featurizer';
import { createRandom, shuffle } from './random';

export interface LinearModel {
  numFeatures: number;
  numClasses: number;
  /** Feature-major weights: w[f * numClasses + c]. */
  w: Float32Array;
  b: Float32Array;
}

export interface LinearTrainOptions {
  epochs: number;
  learningRate: number;
  l2: number;
  seed: number;
  /** 'sqhinge' = one-vs-rest squared hinge (a linear SVM); 'softmax' = multinomial logistic regression. */
  loss: 'sqhinge' | 'softmax';
  /** Per-class loss weight (class balancing). */
  classWeights?: Float32Array;
  /** Loss weight of negative rows (label -1): every class should reject them. */
  negativeWeight?: number;
}

/** Scores of one sparse row into `out`. */
export function linearScores(model: LinearModel, x: SparseVector, out: Float32Array): Float32Array {
  const C = model.numClasses;
  const w = model.w;
  out.set(model.b);
  const { idx, val } = x;
  for (let k = 0; k < idx.length; k++) {
    const base = (idx[k] as number) * C;
    const v = val[k] as number;
    for (let c = 0; c < C; c++) out[c] = (out[c] as number) + v * (w[base + c] as number);
  }
  return out;
}

/** Softmax in place with a temperature. */
export function softmax(z: Float32Array, temperature = 1): Float32Array {
  let max = -Infinity;
  for (let c = 0; c < z.length; c++) if ((z[c] as number) > max) max = z[c] as number;
  let sum = 0;
  for (let c = 0; c < z.length; c++) {
    const e = Math.exp(((z[c] as number) - max) / temperature);
    z[c] = e;
    sum += e;
  }
  for (let c = 0; c < z.length; c++) z[c] = (z[c] as number) / sum;
  return z;
}

/** Fill `g` with the loss gradient w.r.t. the scores in `z`; returns the example's loss. */
function lossGradient(
  opts: LinearTrainOptions,
  z: Float32Array,
  target: number,
  g: Float32Array,
  C: number,
): number {
  let loss = 0;
  if (target < 0) {
    const nw = opts.negativeWeight ?? 1;
    if (opts.loss === 'sqhinge') {
      // Every one-vs-rest scorer should say "not mine".
      for (let c = 0; c < C; c++) {
        const m = 1 + (z[c] as number);
        g[c] = m > 0 ? 2 * nw * m : 0;
        if (m > 0) loss += nw * m * m;
      }
    } else {
      // Outlier exposure: pull towards the uniform distribution.
      softmax(z);
      for (let c = 0; c < C; c++) {
        loss -= (nw / C) * Math.log(Math.max(z[c] as number, 1e-12));
        g[c] = nw * ((z[c] as number) - 1 / C);
      }
    }
    return loss;
  }
  const cw = opts.classWeights ? (opts.classWeights[target] as number) : 1;
  if (opts.loss === 'sqhinge') {
    for (let c = 0; c < C; c++) {
      const s = c === target ? 1 : -1;
      const m = 1 - s * (z[c] as number);
      if (m > 0) {
        loss += cw * m * m;
        g[c] = -2 * cw * s * m;
      } else g[c] = 0;
    }
  } else {
    softmax(z);
    loss -= cw * Math.log(Math.max(z[target] as number, 1e-12));
    for (let c = 0; c < C; c++) g[c] = cw * ((z[c] as number) - (c === target ? 1 : 0));
  }
  return loss;
}

/**
 * A linear model by AdaGrad over sparse rows, one epoch per step of the generator (so the caller can
 * yield to the event loop and report progress). The L2 penalty is applied lazily to the rows an
 * example touches, so a step costs O(non-zeros × classes), and classes with a zero gradient (the
 * usual case for the hinge loss) are skipped.
 */
export function* trainLinear(
  X: readonly SparseVector[],
  y: Int32Array,
  numFeatures: number,
  numClasses: number,
  opts: LinearTrainOptions,
): Generator<number, LinearModel> {
  const C = numClasses;
  const w = new Float32Array(numFeatures * C);
  const b = new Float32Array(C);
  const gw = new Float32Array(numFeatures * C);
  const gb = new Float32Array(C);
  const z = new Float32Array(C);
  const g = new Float32Array(C);
  const model: LinearModel = { numFeatures, numClasses, w, b };
  const random = createRandom(opts.seed);
  const order = Array.from({ length: X.length }, (_, i) => i);
  const lr = opts.learningRate;
  const l2 = opts.l2;
  const eps = 1e-8;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    shuffle(order, random);
    let loss = 0;
    for (const i of order) {
      const x = X[i] as SparseVector;
      linearScores(model, x, z);
      loss += lossGradient(opts, z, y[i] as number, g, C);
      for (let c = 0; c < C; c++) {
        const gc = g[c] as number;
        if (gc === 0) continue;
        gb[c] = (gb[c] as number) + gc * gc;
        b[c] = (b[c] as number) - (lr * gc) / Math.sqrt((gb[c] as number) + eps);
      }
      const { idx, val } = x;
      for (let k = 0; k < idx.length; k++) {
        const base = (idx[k] as number) * C;
        const v = val[k] as number;
        for (let c = 0; c < C; c++) {
          const gc = g[c] as number;
          // Near-zero gradients: most classes once training has settled.
          if (gc < 1e-6 && gc > -1e-6) continue;
          const j = base + c;
          const grad = gc * v + l2 * (w[j] as number);
          gw[j] = (gw[j] as number) + grad * grad;
          w[j] = (w[j] as number) - (lr * grad) / Math.sqrt((gw[j] as number) + eps);
        }
      }
    }
    yield loss / X.length;
  }
  return model;
}

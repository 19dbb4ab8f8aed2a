import type { SparseVector } from '../features/featurizer';
import { createRandom, shuffle } from './random';

/** One hidden ReLU layer over sparse TF-IDF rows. */
export interface MlpModel {
  numFeatures: number;
  numHidden: number;
  numClasses: number;
  /** Input → hidden, feature-major: e[f * numHidden + j]. */
  e: Float32Array;
  b1: Float32Array;
  /** Hidden → output, hidden-major: w[j * numClasses + c]. */
  w: Float32Array;
  b2: Float32Array;
}

export interface MlpTrainOptions {
  hidden: number;
  epochs: number;
  learningRate: number;
  dropout: number;
  /** Dropout on the input features (word dropout, as in deep averaging networks); 0 = none. */
  inputDropout?: number;
  seed: number;
  classWeights?: Float32Array;
  /** Loss weight of negative rows (label -1), which are trained towards the uniform distribution. */
  negativeWeight?: number;
}

/** Hidden activations of one row into `h`. */
export function mlpHidden(model: MlpModel, x: SparseVector, h: Float32Array): Float32Array {
  const H = model.numHidden;
  const e = model.e;
  h.set(model.b1);
  const { idx, val } = x;
  for (let k = 0; k < idx.length; k++) {
    const base = (idx[k] as number) * H;
    const v = val[k] as number;
    for (let j = 0; j < H; j++) h[j] = (h[j] as number) + v * (e[base + j] as number);
  }
  for (let j = 0; j < H; j++) if ((h[j] as number) < 0) h[j] = 0;
  return h;
}

/** Output logits from hidden activations into `z`. */
export function mlpOutput(model: MlpModel, h: Float32Array, z: Float32Array): Float32Array {
  const C = model.numClasses;
  const w = model.w;
  z.set(model.b2);
  for (let j = 0; j < model.numHidden; j++) {
    const a = h[j] as number;
    if (a === 0) continue;
    const base = j * C;
    for (let c = 0; c < C; c++) z[c] = (z[c] as number) + a * (w[base + c] as number);
  }
  return z;
}

function softmaxInPlace(z: Float32Array): void {
  let max = -Infinity;
  for (let c = 0; c < z.length; c++) if ((z[c] as number) > max) max = z[c] as number;
  let sum = 0;
  for (let c = 0; c < z.length; c++) {
    const v = Math.exp((z[c] as number) - max);
    z[c] = v;
    sum += v;
  }
  for (let c = 0; c < z.length; c++) z[c] = (z[c] as number) / sum;
}

/**
 * SGD with row-wise AdaGrad step sizes (one accumulator per input feature row and per hidden unit,
 * which keeps an update at one multiply-add per weight), dropout on the hidden layer. One epoch per
 * step of the generator.
 */
export function* trainMlp(
  X: readonly SparseVector[],
  y: Int32Array,
  numFeatures: number,
  numClasses: number,
  opts: MlpTrainOptions,
): Generator<number, MlpModel> {
  const H = opts.hidden;
  const C = numClasses;
  const random = createRandom(opts.seed);
  const e = new Float32Array(numFeatures * H);
  const w = new Float32Array(H * C);
  // Glorot-uniform initialisation; the input fan-in is the typical number of active features.
  const s1 = Math.sqrt(6 / (H + 100));
  const s2 = Math.sqrt(6 / (H + C));
  for (let i = 0; i < e.length; i++) e[i] = (random() * 2 - 1) * s1;
  for (let i = 0; i < w.length; i++) w[i] = (random() * 2 - 1) * s2;
  const model: MlpModel = {
    numFeatures,
    numHidden: H,
    numClasses: C,
    e,
    b1: new Float32Array(H),
    w,
    b2: new Float32Array(C),
  };
  const gRow = new Float32Array(numFeatures);
  const gW = new Float32Array(H);
  const gb1 = new Float32Array(H);
  const gb2 = new Float32Array(C);
  const h = new Float32Array(H);
  const mask = new Float32Array(H);
  const z = new Float32Array(C);
  const dh = new Float32Array(H);
  const lr = opts.learningRate;
  const keep = 1 - opts.dropout;
  const inKeep = 1 - (opts.inputDropout ?? 0);
  let maxNnz = 0;
  for (const x of X) maxNnz = Math.max(maxNnz, x.idx.length);
  const xbuf: SparseVector = { idx: new Int32Array(maxNnz), val: new Float32Array(maxNnz) };
  const eps = 1e-8;
  const order = Array.from({ length: X.length }, (_, i) => i);
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    shuffle(order, random);
    let loss = 0;
    for (const i of order) {
      const x = inKeep < 1 ? dropInputs(X[i] as SparseVector, inKeep, random, xbuf) : (X[i] as SparseVector);
      const target = y[i] as number;
      mlpHidden(model, x, h);
      for (let j = 0; j < H; j++) {
        mask[j] = random() < keep ? 1 / keep : 0;
        h[j] = (h[j] as number) * (mask[j] as number);
      }
      mlpOutput(model, h, z);
      softmaxInPlace(z);
      // dz = p - target, weighted.
      if (target >= 0) {
        const cw = opts.classWeights ? (opts.classWeights[target] as number) : 1;
        loss -= cw * Math.log(Math.max(z[target] as number, 1e-12));
        for (let c = 0; c < C; c++) z[c] = cw * ((z[c] as number) - (c === target ? 1 : 0));
      } else {
        const nw = opts.negativeWeight ?? 1;
        for (let c = 0; c < C; c++) z[c] = nw * ((z[c] as number) - 1 / C);
      }
      for (let c = 0; c < C; c++) {
        const g = z[c] as number;
        gb2[c] = (gb2[c] as number) + g * g;
        model.b2[c] = (model.b2[c] as number) - (lr * g) / Math.sqrt((gb2[c] as number) + eps);
      }
      let zSq = 0;
      for (let c = 0; c < C; c++) zSq += (z[c] as number) * (z[c] as number);
      for (let j = 0; j < H; j++) {
        const a = h[j] as number;
        if (a === 0) {
          dh[j] = 0;
          continue;
        }
        const base = j * C;
        // Row-wise AdaGrad on the output layer too: one step size per hidden unit.
        gW[j] = (gW[j] as number) + (a * a * zSq) / C;
        const step = (lr * a) / Math.sqrt((gW[j] as number) + eps);
        let d = 0;
        for (let c = 0; c < C; c++) {
          const g = z[c] as number;
          const k = base + c;
          d += g * (w[k] as number);
          w[k] = (w[k] as number) - step * g;
        }
        dh[j] = d * (mask[j] as number);
      }
      let dhSq = 0;
      for (let j = 0; j < H; j++) {
        const g = dh[j] as number;
        dhSq += g * g;
        gb1[j] = (gb1[j] as number) + g * g;
        model.b1[j] = (model.b1[j] as number) - (lr * g) / Math.sqrt((gb1[j] as number) + eps);
      }
      const { idx, val } = x;
      for (let k = 0; k < idx.length; k++) {
        const f = idx[k] as number;
        const v = val[k] as number;
        // Row-wise AdaGrad: the mean squared gradient of the row sets one step size for it.
        gRow[f] = (gRow[f] as number) + (v * v * dhSq) / H;
        const step = (lr * v) / Math.sqrt((gRow[f] as number) + eps);
        const base = f * H;
        for (let j = 0; j < H; j++) e[base + j] = (e[base + j] as number) - step * (dh[j] as number);
      }
    }
    yield loss / X.length;
  }
  return model;
}

/** Keep each non-zero with probability `keep`, scaled by 1/keep (inverted dropout). */
function dropInputs(x: SparseVector, keep: number, random: () => number, buf: SparseVector): SparseVector {
  let n = 0;
  for (let k = 0; k < x.idx.length; k++) {
    if (random() >= keep) continue;
    buf.idx[n] = x.idx[k] as number;
    buf.val[n] = (x.val[k] as number) / keep;
    n++;
  }
  return { idx: buf.idx.subarray(0, n), val: buf.val.subarray(0, n) };
}

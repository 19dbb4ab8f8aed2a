import {
  DEFAULT_FEATURE_CONFIG,
  Featurizer,
  type FeatureConfig,
  type FeaturizerState,
} from '../features/featurizer';
import { packFloat32, unpackFloat32 } from '../features/pack';
import { normalize } from '../normalize';
import { fitTemperature, mixtureNll } from './calibration';
import { linearScores, softmax, trainLinear, type LinearModel } from './linear';
import { mlpHidden, mlpOutput, trainMlp, type MlpModel } from './mlp';
import { carrierNegatives } from './negatives';
import { dequantizeMatrix, quantizeMatrix, type QuantizedMatrix } from './quantize';
import { createRandom, shuffle } from './random';

/** Intent label that marks out-of-scope rows in training data. */
export const OOS_INTENT = 'oos';

export interface IntentExample {
  text: string;
  intent: string;
}

/** Epochs from the data size: about `updates` SGD steps, within [min, max] passes. */
export interface EpochRule {
  updates: number;
  min: number;
  max: number;
}

/** Everything that shapes the model. The defaults are the one setting used for every data set. */
export interface IntentHyperParams {
  /** Features of the linear model. */
  features: FeatureConfig;
  /** Features of the MLP (fewer: its input layer is dense per feature). */
  mlpFeatures: FeatureConfig;
  linear: { epochs: EpochRule; learningRate: number; l2: number; loss: 'sqhinge' | 'softmax' };
  /** null = linear model only. */
  mlp: { hidden: number; epochs: EpochRule; learningRate: number; dropout: number } | null;
  /** Carrier-phrase negatives (outlier exposure), only for data with out-of-scope rows; null = off. */
  negatives: { fraction: number; weight: number } | null;
  /** Share of train held out for calibration when no dev set is given. */
  holdoutFraction: number;
  /**
   * Operating point: the confidence threshold is the highest one that costs at most this much held-out
   * in-scope accuracy (absolute) against no threshold. `withOos` applies when the held-out data has
   * out-of-scope rows (there is out-of-scope traffic to catch), `withoutOos` otherwise (only the
   * least confident tail is cut).
   */
  rejectBudget: { withOos: number; withoutOos: number };
}

export const DEFAULT_HYPER_PARAMS: IntentHyperParams = {
  features: { ...DEFAULT_FEATURE_CONFIG, pairWindow: 5, posMaxN: 2, minDf: 1, denseWeight: 2 },
  mlpFeatures: { ...DEFAULT_FEATURE_CONFIG, charMinN: 3, charMaxN: 4 },
  linear: { epochs: { updates: 100_000, min: 6, max: 30 }, learningRate: 0.05, l2: 1e-5, loss: 'sqhinge' },
  mlp: { hidden: 128, epochs: { updates: 80_000, min: 6, max: 40 }, learningRate: 0.03, dropout: 0.3 },
  // Off: with the calibrated two-model ensemble they cost in-scope accuracy on CLINC150 dev and did
  // not improve the accuracy/OOS-recall curve (they did help the linear model alone).
  negatives: null,
  holdoutFraction: 0.2,
  rejectBudget: { withOos: 0.0025, withoutOos: 0.0025 },
};

export interface TrainIntentOptions {
  seed?: number;
  /** Held-out labelled rows for calibration and the threshold (never the test set). */
  dev?: readonly IntentExample[];
  /** Language of the training data ('en', 'zh', ...): turns English stemming on or off. */
  lang?: string;
  /** Progress 0..1 over the whole run, with a human-readable stage. */
  onProgress?: (fraction: number, message: string) => void;
  /** For experiments; production uses the defaults. */
  hyper?: Partial<IntentHyperParams>;
}

export interface IntentModelArtifact {
  format: 'kefu.intent-classifier';
  formatVersion: 1;
  /** Class index → intent; includes `oos` when the training data had it. */
  labels: string[];
  oosIndex: number;
  linear: { features: FeaturizerState; weights: QuantizedMatrix; bias: string };
  mlp: {
    features: FeaturizerState;
    hidden: number;
    e: QuantizedMatrix;
    b1: string;
    w: QuantizedMatrix;
    b2: string;
  } | null;
  calibration: {
    linearTemperature: number;
    mlpTemperature: number;
    /** Weight of the linear model in the average of the two calibrated distributions. */
    linearWeight: number;
    ensembleTemperature: number;
    /** Below this confidence the prediction is out of scope (intent null). */
    threshold: number;
    heldOut: 'dev' | 'train-holdout';
    heldOutSize: number;
    /** Held-out in-scope accuracy without and with the threshold. */
    heldOutAccuracy: number;
    heldOutAccuracyAtThreshold: number;
    /** Held-out out-of-scope recall at the threshold (null without out-of-scope rows). */
    heldOutOosRecall: number | null;
  };
  training: { examples: number; negatives: number; seed: number; stem: boolean; hyper: IntentHyperParams };
}

export interface IntentPrediction {
  /** null = out of scope (the `oos` class won or the confidence is under the threshold). */
  intent: string | null;
  /** Calibrated probability of the best in-scope intent. */
  confidence: number;
  /** In-scope intents by confidence, best first. */
  ranking: { intent: string; confidence: number }[];
}

export interface IntentClassifier {
  readonly labels: readonly string[];
  readonly threshold: number;
  predict(text: string, topK?: number): IntentPrediction;
}

// ---------------------------------------------------------------------------------------------
// Scoring, shared by training-time calibration and the loaded model so both see the same numbers.

interface Models {
  linearFeatures: Featurizer;
  linear: LinearModel;
  mlpFeatures: Featurizer | null;
  mlp: MlpModel | null;
}

interface Ensemble {
  linearTemperature: number;
  mlpTemperature: number;
  linearWeight: number;
  ensembleTemperature: number;
}

/** Raw scores of both models for one text. */
interface RawScores {
  linear: Float32Array;
  mlp: Float32Array | null;
}

function rawScores(m: Models, text: string, hidden: Float32Array | null): RawScores {
  const C = m.linear.numClasses;
  const linear = linearScores(m.linear, m.linearFeatures.transform(text), new Float32Array(C));
  if (!m.mlp || !m.mlpFeatures || !hidden) return { linear, mlp: null };
  const x = m.mlpFeatures.transform(text);
  return { linear, mlp: mlpOutput(m.mlp, mlpHidden(m.mlp, x, hidden), new Float32Array(C)) };
}

/** Calibrated class probabilities: weighted average of the temperature-scaled models, then one temperature. */
function probabilities(s: RawScores, e: Ensemble): Float32Array {
  const p = softmax(Float32Array.from(s.linear), e.linearTemperature);
  if (s.mlp) {
    const q = softmax(Float32Array.from(s.mlp), e.mlpTemperature);
    const a = e.linearWeight;
    for (let c = 0; c < p.length; c++) p[c] = a * (p[c] as number) + (1 - a) * (q[c] as number);
  }
  if (e.ensembleTemperature !== 1) {
    for (let c = 0; c < p.length; c++) p[c] = Math.log(Math.max(p[c] as number, 1e-30));
    softmax(p, e.ensembleTemperature);
  }
  return p;
}

function argmaxes(p: Float32Array, oosIndex: number): { top: number; bestInScope: number } {
  let top = 0;
  let bestInScope = -1;
  for (let c = 0; c < p.length; c++) {
    if ((p[c] as number) > (p[top] as number)) top = c;
    if (c !== oosIndex && (bestInScope < 0 || (p[c] as number) > (p[bestInScope] as number))) bestInScope = c;
  }
  return { top, bestInScope: Math.max(0, bestInScope) };
}

// ---------------------------------------------------------------------------------------------
// Training

const ENGLISH_FUNCTION_WORDS = new Set(
  'the a an to of in on for my me i you is are do does can how what when where why please with and it this that'.split(
    ' ',
  ),
);

/** English stemming only for English data; with no language given, guess from function words. */
function shouldStem(texts: readonly string[], lang: string | undefined): boolean {
  if (lang) return lang.toLowerCase().startsWith('en');
  let hits = 0;
  let total = 0;
  for (const t of texts.slice(0, 2000)) {
    for (const w of normalize(t).split(/[^a-z]+/)) {
      if (!w) continue;
      total++;
      if (ENGLISH_FUNCTION_WORDS.has(w)) hits++;
    }
  }
  return total > 0 && hits / total > 0.15;
}

function epochsFor(rule: EpochRule, n: number): number {
  return Math.max(rule.min, Math.min(rule.max, Math.round(rule.updates / Math.max(1, n))));
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Run a per-epoch generator to completion, yielding to the event loop between epochs. */
async function drive<T>(
  gen: Generator<number, T>,
  onEpoch: (epoch: number, loss: number) => void,
): Promise<T> {
  let epoch = 0;
  for (;;) {
    const r = gen.next();
    if (r.done) return r.value;
    onEpoch(epoch++, r.value);
    await tick();
  }
}

interface TrainedModels extends Models {
  negatives: number;
}

/** Fit features and both models on rows with class ids; weights come back already int8-rounded. */
async function trainModels(
  texts: readonly string[],
  y: Int32Array,
  numClasses: number,
  oosIndex: number,
  hyper: IntentHyperParams,
  seed: number,
  report: (fraction: number, message: string) => void,
): Promise<TrainedModels> {
  let allTexts: readonly string[] = texts;
  let allY = y;
  let negatives = 0;
  if (hyper.negatives && oosIndex >= 0) {
    const neg = carrierNegatives(texts, y, numClasses, {
      fraction: hyper.negatives.fraction,
      stem: hyper.features.stem,
      seed: seed + 17,
      oosLabel: oosIndex,
    });
    negatives = neg.length;
    allTexts = [...texts, ...neg];
    allY = new Int32Array(texts.length + neg.length).fill(-1);
    allY.set(y);
  }
  const counts = new Float32Array(numClasses);
  for (const c of y) counts[c] = (counts[c] as number) + 1;
  // Balanced class weights (the test distribution is unknown; treat intents alike), clipped so a
  // class with a handful of rows cannot dominate.
  const classWeights = counts.map((n) => (n > 0 ? Math.min(10, texts.length / (numClasses * n)) : 0));
  const negativeWeight = hyper.negatives?.weight ?? 0;
  const linEpochs = epochsFor(hyper.linear.epochs, allTexts.length);
  const mlpEpochs = hyper.mlp ? epochsFor(hyper.mlp.epochs, allTexts.length) : 0;
  const total = linEpochs + mlpEpochs + 2;

  // The vocabulary comes from the real examples only; negatives reuse it.
  const linearFeatures = Featurizer.fit(texts, hyper.features);
  const X = allTexts.map((t) => linearFeatures.transform(t));
  report(1 / total, `features: ${linearFeatures.size} linear`);
  const linear = await drive(
    trainLinear(X, allY, linearFeatures.size, numClasses, {
      epochs: linEpochs,
      learningRate: hyper.linear.learningRate,
      l2: hyper.linear.l2,
      loss: hyper.linear.loss,
      seed,
      classWeights,
      negativeWeight,
    }),
    (e, loss) => report((e + 2) / total, `linear epoch ${e + 1}/${linEpochs} loss ${loss.toFixed(4)}`),
  );
  let mlp: MlpModel | null = null;
  let mlpFeatures: Featurizer | null = null;
  if (hyper.mlp) {
    const cfg = hyper.mlp;
    const mf = Featurizer.fit(texts, hyper.mlpFeatures);
    mlpFeatures = mf;
    const Xm = allTexts.map((t) => mf.transform(t));
    report((linEpochs + 2) / total, `features: ${mf.size} mlp`);
    mlp = await drive(
      trainMlp(Xm, allY, mf.size, numClasses, {
        hidden: cfg.hidden,
        epochs: mlpEpochs,
        learningRate: cfg.learningRate,
        dropout: cfg.dropout,
        seed: seed + 1,
        classWeights,
        negativeWeight,
      }),
      (e, loss) =>
        report((linEpochs + e + 3) / total, `mlp epoch ${e + 1}/${mlpEpochs} loss ${loss.toFixed(4)}`),
    );
  }
  return { ...quantizeRoundTrip({ linearFeatures, linear, mlpFeatures, mlp }), negatives };
}

/** Quantise and dequantise, so that calibration sees exactly the weights the artifact will carry. */
function quantizeRoundTrip(m: Models): Models {
  const linear: LinearModel = {
    ...m.linear,
    w: dequantizeMatrix(quantizeMatrix(m.linear.w, m.linear.numFeatures, m.linear.numClasses)),
  };
  if (!m.mlp) return { ...m, linear };
  const mlp: MlpModel = {
    ...m.mlp,
    e: dequantizeMatrix(quantizeMatrix(m.mlp.e, m.mlp.numFeatures, m.mlp.numHidden)),
    w: dequantizeMatrix(quantizeMatrix(m.mlp.w, m.mlp.numHidden, m.mlp.numClasses)),
  };
  return { ...m, linear, mlp };
}

interface HeldOutRow {
  scores: RawScores;
  /** Class id; for an out-of-scope row the `oos` class, or -1 when the model has none. */
  gold: number;
  oos: boolean;
}

interface Calibration extends Ensemble {
  threshold: number;
  accuracy: number;
  accuracyAtThreshold: number;
  oosRecall: number | null;
}

/**
 * Fit the ensemble on held-out rows: a temperature per model, the mixing weight and a final
 * temperature (all by held-out NLL), then the threshold by the reject budget.
 */
function calibrate(
  rows: readonly HeldOutRow[],
  oosIndex: number,
  budget: IntentHyperParams['rejectBudget'],
): Calibration {
  const fit = rows.filter((r) => r.gold >= 0);
  const gold = fit.map((r) => r.gold);
  const linearTemperature = fitTemperature(
    fit.map((r) => r.scores.linear),
    gold,
  );
  let mlpTemperature = 1;
  let linearWeight = 1;
  let ensembleTemperature = 1;
  if (fit.every((r) => r.scores.mlp)) {
    mlpTemperature = fitTemperature(
      fit.map((r) => r.scores.mlp as Float32Array),
      gold,
    );
    const pl = fit.map((r) => softmax(Float32Array.from(r.scores.linear), linearTemperature));
    const pm = fit.map((r) => softmax(Float32Array.from(r.scores.mlp as Float32Array), mlpTemperature));
    // The mixing weight on a coarse grid: a few hundred held-out rows cannot resolve more.
    let best = Infinity;
    for (let k = 0; k <= 10; k++) {
      const a = k / 10;
      const nll = mixtureNll(pl, pm, a, gold);
      if (nll < best - 1e-9) {
        best = nll;
        linearWeight = a;
      }
    }
    const logp = fit.map((r) =>
      probabilities(r.scores, {
        linearTemperature,
        mlpTemperature,
        linearWeight,
        ensembleTemperature: 1,
      }).map((v) => Math.log(Math.max(v, 1e-30))),
    );
    ensembleTemperature = fitTemperature(logp, gold);
  }
  const ensemble: Ensemble = { linearTemperature, mlpTemperature, linearWeight, ensembleTemperature };

  const outcomes = rows.map((r) => {
    const p = probabilities(r.scores, ensemble);
    const { top, bestInScope } = argmaxes(p, oosIndex);
    return {
      oos: r.oos,
      predictedOos: top === oosIndex,
      correct: !r.oos && bestInScope === r.gold,
      confidence: p[bestInScope] as number,
    };
  });
  const inScope = outcomes.filter((o) => !o.oos);
  const oosRows = outcomes.filter((o) => o.oos);
  const accuracyAt = (t: number): number =>
    inScope.filter((o) => o.correct && !o.predictedOos && o.confidence >= t).length /
    Math.max(1, inScope.length);
  const accuracy = accuracyAt(0);
  const allowed = oosRows.length > 0 ? budget.withOos : budget.withoutOos;
  // Expected accuracy cost of a threshold: the calibrated confidences of the in-scope rows it
  // rejects (each is the chance that row was right). Smooth in t, unlike the observed step curve.
  const confidences = inScope.filter((o) => !o.predictedOos).map((o) => o.confidence);
  confidences.sort((a, b) => a - b);
  let threshold = 0;
  let cost = 0;
  for (const c of confidences) {
    cost += c / Math.max(1, inScope.length);
    if (cost > allowed) break;
    threshold = c;
  }
  return {
    ...ensemble,
    threshold,
    accuracy,
    accuracyAtThreshold: accuracyAt(threshold),
    oosRecall:
      oosRows.length > 0
        ? oosRows.filter((o) => o.predictedOos || o.confidence < threshold).length / oosRows.length
        : null,
  };
}

/** Stratified split: about `fraction` of each intent held out (at least one row kept for training). */
function stratifiedHoldout(y: Int32Array, numClasses: number, fraction: number, seed: number): boolean[] {
  const random = createRandom(seed);
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  y.forEach((c, i) => byClass[c]?.push(i));
  const held = new Array<boolean>(y.length).fill(false);
  for (const rows of byClass) {
    shuffle(rows, random);
    const k = Math.min(rows.length - 1, Math.round(rows.length * fraction));
    for (let i = 0; i < k; i++) held[rows[i] as number] = true;
  }
  return held;
}

/**
 * Train the intent classifier: a linear SVM over rich TF-IDF features and a one-hidden-layer MLP,
 * averaged with calibrated temperatures, plus an out-of-scope threshold chosen on held-out data
 * (the dev set when given; else a stratified slice of train, after which the models are retrained
 * on all of train and keep the calibration of the slice).
 */
export async function trainIntentClassifier(
  examples: readonly IntentExample[],
  opts: TrainIntentOptions = {},
): Promise<IntentModelArtifact> {
  const seed = opts.seed ?? 42;
  const hyper: IntentHyperParams = { ...DEFAULT_HYPER_PARAMS, ...opts.hyper };
  const rows = examples.filter((e) => e.text.trim() !== '' && e.intent.trim() !== '');
  const labels = [...new Set(rows.map((e) => e.intent))].sort();
  if (labels.filter((l) => l !== OOS_INTENT).length < 2) {
    throw new Error('need examples of at least two in-scope intents to train a classifier');
  }
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const oosIndex = labelIndex.get(OOS_INTENT) ?? -1;
  const C = labels.length;
  const texts = rows.map((e) => e.text);
  const y = Int32Array.from(rows, (e) => labelIndex.get(e.intent) as number);
  const stem = shouldStem(texts, opts.lang);
  const resolved: IntentHyperParams = {
    ...hyper,
    features: { ...hyper.features, stem: hyper.features.stem && stem },
    mlpFeatures: { ...hyper.mlpFeatures, stem: hyper.mlpFeatures.stem && stem },
  };

  const devRows = opts.dev?.filter((e) => e.text.trim() !== '') ?? [];
  const useDev = devRows.length > 0;
  const phases = useDev ? 1 : 2;
  const report = (phase: number, stage: string) => (fraction: number, message: string) =>
    opts.onProgress?.((phase + fraction * 0.98) / phases, `${stage}: ${message}`);
  const heldOut = (m: Models, list: readonly IntentExample[]): HeldOutRow[] => {
    const hidden = m.mlp ? new Float32Array(m.mlp.numHidden) : null;
    return list.map((e) => {
      const c = labelIndex.get(e.intent);
      // Rows of intents the model does not know count as out of scope.
      const oos = c === undefined || c === oosIndex;
      return { scores: rawScores(m, e.text, hidden), gold: oos ? oosIndex : (c as number), oos };
    });
  };

  let calibration: Calibration;
  let final: TrainedModels;
  let heldOutSize: number;
  if (useDev) {
    final = await trainModels(texts, y, C, oosIndex, resolved, seed, report(0, 'model'));
    const held = heldOut(final, devRows);
    heldOutSize = held.length;
    calibration = calibrate(held, oosIndex, hyper.rejectBudget);
  } else {
    const isHeld = stratifiedHoldout(y, C, hyper.holdoutFraction, seed + 5);
    const fitIdx = rows.map((_, i) => i).filter((i) => !isHeld[i]);
    const heldIdx = rows.map((_, i) => i).filter((i) => isHeld[i]);
    const aux = await trainModels(
      fitIdx.map((i) => texts[i] as string),
      Int32Array.from(fitIdx, (i) => y[i] as number),
      C,
      oosIndex,
      resolved,
      seed,
      report(0, 'calibration model'),
    );
    const held = heldOut(
      aux,
      heldIdx.map((i) => rows[i] as IntentExample),
    );
    heldOutSize = held.length;
    calibration = calibrate(held, oosIndex, hyper.rejectBudget);
    final = await trainModels(texts, y, C, oosIndex, resolved, seed, report(1, 'final model'));
  }
  opts.onProgress?.(1, `done: threshold ${calibration.threshold.toFixed(3)} on ${heldOutSize} held-out rows`);
  return toArtifact(final, labels, oosIndex, calibration, {
    heldOut: useDev ? 'dev' : 'train-holdout',
    heldOutSize,
    examples: rows.length,
    seed,
    stem,
    hyper: resolved,
  });
}

function toArtifact(
  m: TrainedModels,
  labels: string[],
  oosIndex: number,
  cal: Calibration,
  info: {
    heldOut: 'dev' | 'train-holdout';
    heldOutSize: number;
    examples: number;
    seed: number;
    stem: boolean;
    hyper: IntentHyperParams;
  },
): IntentModelArtifact {
  return {
    format: 'kefu.intent-classifier',
    formatVersion: 1,
    labels,
    oosIndex,
    linear: {
      features: m.linearFeatures.toState(),
      weights: quantizeMatrix(m.linear.w, m.linear.numFeatures, m.linear.numClasses),
      bias: packFloat32(m.linear.b),
    },
    mlp:
      m.mlp && m.mlpFeatures
        ? {
            features: m.mlpFeatures.toState(),
            hidden: m.mlp.numHidden,
            e: quantizeMatrix(m.mlp.e, m.mlp.numFeatures, m.mlp.numHidden),
            b1: packFloat32(m.mlp.b1),
            w: quantizeMatrix(m.mlp.w, m.mlp.numHidden, m.mlp.numClasses),
            b2: packFloat32(m.mlp.b2),
          }
        : null,
    calibration: {
      linearTemperature: cal.linearTemperature,
      mlpTemperature: cal.mlpTemperature,
      linearWeight: cal.linearWeight,
      ensembleTemperature: cal.ensembleTemperature,
      threshold: cal.threshold,
      heldOut: info.heldOut,
      heldOutSize: info.heldOutSize,
      heldOutAccuracy: cal.accuracy,
      heldOutAccuracyAtThreshold: cal.accuracyAtThreshold,
      heldOutOosRecall: cal.oosRecall,
    },
    training: {
      examples: info.examples,
      negatives: m.negatives,
      seed: info.seed,
      stem: info.stem,
      hyper: info.hyper,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Loading

export function loadIntentClassifier(artifact: IntentModelArtifact): IntentClassifier {
  if (artifact.format !== 'kefu.intent-classifier' || artifact.formatVersion !== 1) {
    throw new Error(
      `unsupported intent model format ${String(artifact.format)}@${String(artifact.formatVersion)}`,
    );
  }
  const labels = artifact.labels;
  const C = labels.length;
  const linearFeatures = Featurizer.fromState(artifact.linear.features);
  const linear: LinearModel = {
    numFeatures: linearFeatures.size,
    numClasses: C,
    w: dequantizeMatrix(artifact.linear.weights),
    b: unpackFloat32(artifact.linear.bias, C),
  };
  const a = artifact.mlp;
  const mlpFeatures = a ? Featurizer.fromState(a.features) : null;
  const mlp: MlpModel | null =
    a && mlpFeatures
      ? {
          numFeatures: mlpFeatures.size,
          numHidden: a.hidden,
          numClasses: C,
          e: dequantizeMatrix(a.e),
          b1: unpackFloat32(a.b1, a.hidden),
          w: dequantizeMatrix(a.w),
          b2: unpackFloat32(a.b2, C),
        }
      : null;
  const models: Models = { linearFeatures, linear, mlpFeatures, mlp };
  const hidden = mlp ? new Float32Array(mlp.numHidden) : null;
  const cal = artifact.calibration;
  const oosIndex = artifact.oosIndex;
  const inScope: number[] = [];
  for (let c = 0; c < C; c++) if (c !== oosIndex) inScope.push(c);
  return {
    labels: inScope.map((c) => labels[c] as string),
    threshold: cal.threshold,
    predict(text: string, topK = 5): IntentPrediction {
      const p = probabilities(rawScores(models, text, hidden), cal);
      const { top, bestInScope } = argmaxes(p, oosIndex);
      const confidence = p[bestInScope] as number;
      const ranking = [...inScope]
        .sort((x, y) => (p[y] as number) - (p[x] as number) || x - y)
        .slice(0, Math.max(1, topK))
        .map((c) => ({ intent: labels[c] as string, confidence: p[c] as number }));
      const outOfScope = top === oosIndex || confidence < cal.threshold;
      return { intent: outOfScope ? null : (labels[bestInScope] as string), confidence, ranking };
    },
  };
}

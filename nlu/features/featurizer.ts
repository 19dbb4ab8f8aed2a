import { normalize } from '../normalize';
import { packFloat32, packStrings, unpackFloat32, unpackStrings } from './pack';
import { analyze } from './tokenize';

export interface FeatureConfig {
  /** Largest word n-gram (1 = unigrams only). */
  wordMaxN: number;
  /** Unordered word pairs up to this distance apart (0 = none): cheap conjunctions for a linear model. */
  pairWindow: number;
  /** jieba part-of-speech tag n-grams of Chinese text, up to this n (0 = none). */
  posMaxN: number;
  /** Character n-gram range inside space-delimited words (the word is padded with < and >). */
  charMinN: number;
  charMaxN: number;
  /** Character n-grams 1..denseMaxN over runs of Han / kana / Thai text. */
  denseMaxN: number;
  /** English suffix stripping of word tokens (the classifier turns it off for other languages). */
  stem: boolean;
  /** Features seen in fewer training texts are dropped. */
  minDf: number;
  /** At most this many features (the most frequent win): bounds memory on large data sets. */
  maxFeatures: number;
  /** Weights of the three blocks, each L2-normalised first: words, word characters, dense-script characters. */
  wordWeight: number;
  charWeight: number;
  denseWeight: number;
}

export const DEFAULT_FEATURE_CONFIG: FeatureConfig = {
  wordMaxN: 2,
  pairWindow: 0,
  posMaxN: 0,
  charMinN: 2,
  charMaxN: 5,
  denseMaxN: 3,
  stem: true,
  minDf: 2,
  maxFeatures: 250_000,
  wordWeight: 1,
  charWeight: 1,
  denseWeight: 1,
};

/** A sparse row: parallel arrays of feature ids and values. */
export interface SparseVector {
  idx: Int32Array;
  val: Float32Array;
}

export interface FeaturizerState {
  config: FeatureConfig;
  size: number;
  /** Feature strings in id order, packed (see pack.ts). */
  vocab: string;
  /** IDF per feature id, packed float32. */
  idf: string;
}

type Counts = Map<string, number>;

function add(counts: Counts, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

interface RawFeatures {
  words: Counts;
  chars: Counts;
  dense: Counts;
}

/** Raw feature strings of one text in three blocks. Prefixes keep the kinds apart. */
export function extractRaw(text: string, config: FeatureConfig): RawFeatures {
  const { words, surfaces, denseRuns, tags } = analyze(normalize(text), config.stem, config.posMaxN > 0);
  const wordCounts: Counts = new Map();
  const charCounts: Counts = new Map();
  const denseCounts: Counts = new Map();
  for (let i = 0; i < words.length; i++) {
    add(wordCounts, 'w' + words[i]);
    let gram = words[i] as string;
    for (let n = 2; n <= config.wordMaxN && i + n <= words.length; n++) {
      gram += ' ' + words[i + n - 1];
      add(wordCounts, 'w' + gram);
    }
    for (let j = i + 2; j <= i + config.pairWindow && j < words.length; j++) {
      const a = words[i] as string;
      const b = words[j] as string;
      add(wordCounts, a < b ? 'p' + a + ' ' + b : 'p' + b + ' ' + a);
    }
  }
  if (words.length === 0) add(wordCounts, 'w<empty>');

  // Tag patterns ("ns v ns" = from A to B) generalise over names jieba knows but training never saw.
  for (let i = 0; i < tags.length; i++) {
    let gram = i === 0 ? '^' : '';
    for (let n = 1; n <= config.posMaxN && i + n <= tags.length; n++) {
      gram += (n > 1 ? ' ' : '') + tags[i + n - 1];
      add(wordCounts, 't' + gram);
    }
  }
  for (const surface of surfaces) {
    const padded = '<' + surface + '>';
    for (let n = config.charMinN; n <= config.charMaxN; n++) {
      for (let i = 0; i + n <= padded.length; i++) add(charCounts, 'c' + padded.slice(i, i + n));
    }
  }
  for (const run of denseRuns) {
    const chars = Array.from(run);
    for (let n = 1; n <= config.denseMaxN; n++) {
      for (let i = 0; i + n <= chars.length; i++) add(denseCounts, 'd' + chars.slice(i, i + n).join(''));
    }
    // Where a run starts and ends matters in short commands: 打开… (app), …怎么做 (cookbook).
    for (let n = 1; n <= config.denseMaxN && n <= chars.length; n++) {
      add(denseCounts, 'd^' + chars.slice(0, n).join(''));
      add(denseCounts, 'd$' + chars.slice(chars.length - n).join(''));
    }
  }
  return { words: wordCounts, chars: charCounts, dense: denseCounts };
}

/** TF-IDF over a training vocabulary: sublinear TF, smoothed IDF, each block L2-normalised and weighted. */
export class Featurizer {
  readonly config: FeatureConfig;
  private readonly ids: Map<string, number>;
  private readonly vocab: string[];
  private readonly idf: Float32Array;

  private constructor(config: FeatureConfig, vocab: string[], idf: Float32Array) {
    this.config = config;
    this.vocab = vocab;
    this.ids = new Map(vocab.map((f, i) => [f, i]));
    this.idf = idf;
  }

  static fit(texts: readonly string[], config: FeatureConfig = DEFAULT_FEATURE_CONFIG): Featurizer {
    const df: Counts = new Map();
    for (const text of texts) {
      const raw = extractRaw(text, config);
      for (const block of [raw.words, raw.chars, raw.dense]) for (const k of block.keys()) add(df, k);
    }
    let kept = [...df.entries()].filter(([, n]) => n >= config.minDf);
    if (kept.length > config.maxFeatures) {
      kept = kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, config.maxFeatures);
    }
    // Sorted so that ids do not depend on Map insertion order.
    const vocab = kept.map(([k]) => k).sort();
    const n = texts.length;
    const idf = Float32Array.from(vocab, (k) => Math.log((1 + n) / (1 + (df.get(k) ?? 0))) + 1);
    return new Featurizer(config, vocab, idf);
  }

  static fromState(state: FeaturizerState): Featurizer {
    const vocab = unpackStrings(state.vocab);
    if (vocab.length !== state.size) throw new Error(`corrupt vocabulary: ${vocab.length} ≠ ${state.size}`);
    return new Featurizer(state.config, vocab, unpackFloat32(state.idf, state.size));
  }

  toState(): FeaturizerState {
    return {
      config: this.config,
      size: this.vocab.length,
      vocab: packStrings(this.vocab),
      idf: packFloat32(this.idf),
    };
  }

  get size(): number {
    return this.vocab.length;
  }

  transform(text: string): SparseVector {
    const raw = extractRaw(text, this.config);
    const idx: number[] = [];
    const val: number[] = [];
    this.block(raw.words, this.config.wordWeight, idx, val);
    this.block(raw.chars, this.config.charWeight, idx, val);
    this.block(raw.dense, this.config.denseWeight, idx, val);
    return { idx: Int32Array.from(idx), val: Float32Array.from(val) };
  }

  private block(counts: Counts, weight: number, idx: number[], val: number[]): void {
    if (weight <= 0) return;
    const start = idx.length;
    let norm = 0;
    for (const [key, tf] of counts) {
      const id = this.ids.get(key);
      if (id === undefined) continue;
      const v = (1 + Math.log(tf)) * (this.idf[id] as number);
      idx.push(id);
      val.push(v);
      norm += v * v;
    }
    if (norm === 0) return;
    const scale = weight / Math.sqrt(norm);
    for (let i = start; i < val.length; i++) val[i] = (val[i] as number) * scale;
  }
}

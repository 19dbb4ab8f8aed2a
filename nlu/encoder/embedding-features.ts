import type { SparseVector } from '../features/featurizer';

/**
 * Same scale as one L2-normalised TF-IDF block (word or character), so the embedding neither
 * drowns out nor disappears next to the lexical features.
 */
export const DEFAULT_EMBEDDING_WEIGHT = 1;

/**
 * A dense sentence embedding as a sparse row in its own feature-id range [offset, offset + dim).
 * The classifier's weights are dense over the feature count, so the range should start right after
 * the TF-IDF vocabulary (offset = featurizer.size) and the model is sized offset + dim.
 */
export function embeddingFeatures(vec: Float32Array, weight: number, offset: number): SparseVector {
  if (!Number.isInteger(offset) || offset < 0)
    throw new Error(`embedding offset must be a natural number: ${offset}`);
  const idx = new Int32Array(vec.length);
  const val = new Float32Array(vec.length);
  for (let d = 0; d < vec.length; d++) {
    idx[d] = offset + d;
    val[d] = (vec[d] as number) * weight;
  }
  return { idx, val };
}

/** Appends b's entries after a's; the id ranges are expected to be disjoint. */
export function concatSparse(a: SparseVector, b: SparseVector): SparseVector {
  const idx = new Int32Array(a.idx.length + b.idx.length);
  const val = new Float32Array(a.val.length + b.val.length);
  idx.set(a.idx);
  idx.set(b.idx, a.idx.length);
  val.set(a.val);
  val.set(b.val, a.val.length);
  return { idx, val };
}

import { packBytes, packFloat32, unpackBytes, unpackFloat32 } from '../features/pack';

/**
 * int8 weights with one float scale per row: 4× smaller than float32 with no measurable change in
 * accuracy, and the many exact zeros of the hinge-loss model deflate well.
 */
export interface QuantizedMatrix {
  rows: number;
  cols: number;
  /** Per-row scale (weight = int8 × scale), packed float32. */
  scales: string;
  /** Row-major int8, packed. */
  data: string;
}

export function quantizeMatrix(m: Float32Array, rows: number, cols: number): QuantizedMatrix {
  const q = new Int8Array(rows * cols);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let max = 0;
    for (let c = 0; c < cols; c++) max = Math.max(max, Math.abs(m[base + c] as number));
    const scale = max > 0 ? max / 127 : 0;
    scales[r] = scale;
    if (scale === 0) continue;
    for (let c = 0; c < cols; c++) q[base + c] = Math.round((m[base + c] as number) / scale);
  }
  return {
    rows,
    cols,
    scales: packFloat32(scales),
    data: packBytes(new Uint8Array(q.buffer)),
  };
}

export function dequantizeMatrix(qm: QuantizedMatrix): Float32Array {
  const scales = unpackFloat32(qm.scales, qm.rows);
  const q = new Int8Array(unpackBytes(qm.data, qm.rows * qm.cols));
  const out = new Float32Array(qm.rows * qm.cols);
  for (let r = 0; r < qm.rows; r++) {
    const s = scales[r] as number;
    const base = r * qm.cols;
    for (let c = 0; c < qm.cols; c++) out[base + c] = (q[base + c] as number) * s;
  }
  return out;
}

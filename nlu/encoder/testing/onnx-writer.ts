/**
 * A minimal ONNX (protobuf) encoder for tests: just enough of ModelProto, GraphProto, NodeProto,
 * TensorProto and ValueInfoProto to write small graphs that onnxruntime can load, so tests never
 * need a downloaded model. Field numbers follow onnx/onnx.proto.
 */

/** TensorProto.DataType values used here. */
export const OnnxDataType = { FLOAT: 1, INT32: 6, INT64: 7 } as const;
export type OnnxElemType = keyof typeof OnnxDataType;

const WIRE_VARINT = 0;
const WIRE_FIXED32 = 5;
const WIRE_LENGTH = 2;

/** Append-only protobuf writer. Varints go through BigInt so negative int64 values encode correctly. */
export class ProtoWriter {
  private readonly chunks: number[] = [];

  private rawVarint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.chunks.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.chunks.push(Number(v));
  }

  private tag(field: number, wire: number): void {
    this.rawVarint((field << 3) | wire);
  }

  varint(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.rawVarint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const buf = new DataView(new ArrayBuffer(4));
    buf.setFloat32(0, value, true);
    for (let i = 0; i < 4; i++) this.chunks.push(buf.getUint8(i));
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, WIRE_LENGTH);
    this.rawVarint(data.length);
    for (const b of data) this.chunks.push(b);
    return this;
  }

  string(field: number, text: string): this {
    return this.bytes(field, new TextEncoder().encode(text));
  }

  message(field: number, inner: ProtoWriter): this {
    return this.bytes(field, inner.finish());
  }

  /** Packed repeated varints (proto3 default for repeated scalars). */
  packedVarints(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.rawVarint(v);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

export interface TensorSpec {
  name: string;
  type: OnnxElemType;
  dims: number[];
  /** Row-major values; written little-endian into raw_data. */
  data: ArrayLike<number>;
}

export interface ValueSpec {
  name: string;
  type: OnnxElemType;
  /** A number is a fixed size; a string is a named dynamic dimension. */
  shape: (number | string)[];
}

export type AttributeValue = number | number[] | { float: number };

export interface NodeSpec {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  /** Plain numbers are INT attributes, arrays INTS; floats must be tagged. */
  attributes?: Record<string, AttributeValue>;
}

export interface GraphSpec {
  name: string;
  nodes: NodeSpec[];
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  initializers: TensorSpec[];
}

export interface ModelOptions {
  irVersion?: number;
  opset?: number;
  producer?: string;
}

function rawData(type: OnnxElemType, values: ArrayLike<number>): Uint8Array {
  const width = type === 'INT64' ? 8 : 4;
  const view = new DataView(new ArrayBuffer(values.length * width));
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (type === 'FLOAT') view.setFloat32(i * 4, v, true);
    else if (type === 'INT32') view.setInt32(i * 4, v, true);
    else view.setBigInt64(i * 8, BigInt(v), true);
  }
  return new Uint8Array(view.buffer);
}

function tensorProto(t: TensorSpec): ProtoWriter {
  const expected = t.dims.reduce((a, b) => a * b, 1);
  if (expected !== t.data.length) {
    throw new Error(`tensor ${t.name}: ${t.data.length} values for dims [${t.dims.join(', ')}]`);
  }
  return new ProtoWriter()
    .packedVarints(1, t.dims)
    .varint(2, OnnxDataType[t.type])
    .string(8, t.name)
    .bytes(9, rawData(t.type, t.data));
}

function valueInfoProto(v: ValueSpec): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape) {
    const dim = typeof d === 'number' ? new ProtoWriter().varint(1, d) : new ProtoWriter().string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().varint(1, OnnxDataType[v.type]).message(2, shape);
  return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensorType));
}

// AttributeProto.AttributeType
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

function attributeProto(name: string, value: AttributeValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (typeof value === 'number') return w.varint(3, value).varint(20, ATTR_INT);
  if (Array.isArray(value)) return w.packedVarints(8, value).varint(20, ATTR_INTS);
  return w.float(2, value.float).varint(20, ATTR_FLOAT);
}

function nodeProto(n: NodeSpec, i: number): ProtoWriter {
  const w = new ProtoWriter();
  for (const input of n.inputs) w.string(1, input);
  for (const output of n.outputs) w.string(2, output);
  w.string(3, n.name ?? `${n.opType}_${i}`).string(4, n.opType);
  for (const [key, value] of Object.entries(n.attributes ?? {})) w.message(5, attributeProto(key, value));
  return w;
}

/** Serialises a single-graph model in the default ("ai.onnx") domain. */
export function encodeOnnxModel(graph: GraphSpec, options: ModelOptions = {}): Uint8Array {
  const g = new ProtoWriter();
  graph.nodes.forEach((n, i) => g.message(1, nodeProto(n, i)));
  g.string(2, graph.name);
  for (const t of graph.initializers) g.message(5, tensorProto(t));
  for (const v of graph.inputs) g.message(11, valueInfoProto(v));
  for (const v of graph.outputs) g.message(12, valueInfoProto(v));

  const opset = new ProtoWriter().string(1, '').varint(2, options.opset ?? 13);
  return new ProtoWriter()
    .varint(1, options.irVersion ?? 8)
    .string(2, options.producer ?? 'kefu-onnx-writer')
    .message(7, g)
    .message(8, opset)
    .finish();
}

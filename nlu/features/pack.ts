import { deflateRawSync, inflateRawSync } from 'node:zlib';

// Model artifacts are JSON (stored in the database); large numeric arrays travel as deflated base64.

export function packBytes(bytes: Uint8Array): string {
  return deflateRawSync(bytes, { level: 9 }).toString('base64');
}

/** Unpack into a fresh, aligned ArrayBuffer of exactly `byteLength` bytes. */
export function unpackBytes(packed: string, byteLength: number): ArrayBuffer {
  const raw = inflateRawSync(Buffer.from(packed, 'base64'));
  if (raw.byteLength !== byteLength) {
    throw new Error(`corrupt model data: expected ${byteLength} bytes, got ${raw.byteLength}`);
  }
  const out = new ArrayBuffer(byteLength);
  new Uint8Array(out).set(raw);
  return out;
}

export function packFloat32(values: Float32Array): string {
  return packBytes(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
}

export function unpackFloat32(packed: string, length: number): Float32Array {
  return new Float32Array(unpackBytes(packed, length * 4));
}

/** Strings without newlines (feature names: whitespace is collapsed to single spaces). */
export function packStrings(values: readonly string[]): string {
  return packBytes(Buffer.from(values.join('\n'), 'utf8'));
}

export function unpackStrings(packed: string): string[] {
  const raw = inflateRawSync(Buffer.from(packed, 'base64')).toString('utf8');
  return raw === '' ? [] : raw.split('\n');
}

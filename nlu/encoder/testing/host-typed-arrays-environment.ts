import { TestEnvironment } from 'jest-environment-node';

/**
 * Jest's node environment runs tests in a separate vm realm with its own typed-array constructors,
 * but onnxruntime-node's native binding builds its output tensors with the host realm's. ORT then
 * rejects them ("A float32 tensor's data must be type of function Float32Array()"). Sharing the
 * host constructors makes the two realms agree; use it with
 * `@jest-environment <rootDir>/nlu/encoder/testing/host-typed-arrays-environment.ts`.
 */
const SHARED = [
  'ArrayBuffer',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
] as const;

class HostTypedArraysEnvironment extends TestEnvironment {
  constructor(...args: ConstructorParameters<typeof TestEnvironment>) {
    super(...args);
    for (const name of SHARED) this.global[name] = globalThis[name] as never;
  }
}

// Jest loads an environment module's export as the class itself, so this cannot be a named export.
export = HostTypedArraysEnvironment;

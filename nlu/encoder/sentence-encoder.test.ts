/**
 * @jest-environment <rootDir>/nlu/encoder/testing/host-typed-arrays-environment.ts
 */
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { concatSparse, embeddingFeatures } from './embedding-features';
import { encoderFromEnv, loadSentenceEncoder, type SentenceEncoder } from './sentence-encoder';
import { TINY_HIDDEN, expectedEmbedding, tinyEmbeddingRow, writeTinyModel } from './testing/tiny-model';

// Every remote request fails loudly; the encoder must never need one.
const realFetch = globalThis.fetch;
const fetchCalls: unknown[] = [];
let root: string;
let modelDir: string;
let encoder: SentenceEncoder;

beforeAll(async () => {
  globalThis.fetch = (async (input: unknown) => {
    fetchCalls.push(input);
    throw new Error(`unexpected network request: ${String(input)}`);
  }) as typeof fetch;
  root = mkdtempSync(path.join(os.tmpdir(), 'kefu-encoder-'));
  modelDir = writeTinyModel(path.join(root, 'tiny-bert'));
  encoder = await loadSentenceEncoder(modelDir);
});

afterAll(() => {
  globalThis.fetch = realFetch;
  rmSync(root, { recursive: true, force: true });
});

afterEach(() => expect(fetchCalls).toEqual([]));

function expectClose(actual: Float32Array, expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((v, d) => expect(actual[d]).toBeCloseTo(v, 5));
}

const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('loadSentenceEncoder (tiny generated BERT, real transformers.js + onnxruntime-node)', () => {
  it('reports the hidden size and returns unit vectors', async () => {
    expect(encoder.dim).toBe(TINY_HIDDEN);
    const vecs = await encoder.embed(['where is my order', 'refund please', '退款']);
    expect(vecs).toHaveLength(3);
    for (const v of vecs) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v).toHaveLength(TINY_HIDDEN);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
  });

  it('gives the normalised mean of the token rows, [CLS] and [SEP] included', async () => {
    const [order, subword, chinese] = (await encoder.embed(['Where is my ORDER', 'orders', '退款?'])) as [
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    expectClose(order, expectedEmbedding(['[CLS]', 'where', 'is', 'my', 'order', '[SEP]']));
    expectClose(subword, expectedEmbedding(['[CLS]', 'order', '##s', '[SEP]']));
    // "?" is not in the vocabulary, so it becomes [UNK].
    expectClose(chinese, expectedEmbedding(['[CLS]', '退', '款', '[UNK]', '[SEP]']));
  });

  it('same tokens give identical vectors, different tokens different ones', async () => {
    const [a, b, c] = (await encoder.embed(['where is my order', 'WHERE  is my order', 'refund please'])) as [
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).not.toEqual(Array.from(a));
  });

  it('ignores padding: a short text batched with a long one pools only its own tokens', async () => {
    // [PAD] rows are 100s, so averaging over the padded length would move the vector a lot.
    expect(tinyEmbeddingRow('[PAD]')[0]).toBe(100);
    const [short] = (await encoder.embed(['refund', 'where is my order please refund'])) as [Float32Array];
    const [alone] = (await encoder.embed(['refund'])) as [Float32Array];
    expectClose(short, expectedEmbedding(['[CLS]', 'refund', '[SEP]']));
    expectClose(short, Array.from(alone));
  });

  it('splits long inputs into batches without changing the results', async () => {
    const small = await loadSentenceEncoder(modelDir, { batchSize: 2 });
    const texts = ['where', 'is my order', 'refund', 'please', '退款'];
    const batched = await small.embed(texts);
    const together = await encoder.embed(texts);
    expect(batched).toHaveLength(5);
    batched.forEach((v, i) => expectClose(v, Array.from(together[i] as Float32Array)));
    expect(await encoder.embed([])).toEqual([]);
  });

  it('leaves the library locked to local files', async () => {
    // Same module instance the encoder imported; a variable keeps tsc from needing the optional types.
    const specifier = '@huggingface/transformers';
    const { env } = (await import(specifier)) as {
      env: { allowRemoteModels: boolean; allowLocalModels: boolean };
    };
    expect(env.allowRemoteModels).toBe(false);
    expect(env.allowLocalModels).toBe(true);
  });
});

describe('encoderFromEnv', () => {
  it('is undefined when KEFU_EMBEDDING_MODEL_DIR is unset or blank', async () => {
    expect(await encoderFromEnv({})).toBeUndefined();
    expect(await encoderFromEnv({ KEFU_EMBEDDING_MODEL_DIR: '  ' })).toBeUndefined();
  });

  it('loads the folder the variable names', async () => {
    const fromEnv = await encoderFromEnv({ KEFU_EMBEDDING_MODEL_DIR: modelDir });
    expect(fromEnv?.dim).toBe(TINY_HIDDEN);
  });

  it('fails clearly for a missing folder', async () => {
    const missing = path.join(root, 'no-such-model');
    await expect(encoderFromEnv({ KEFU_EMBEDDING_MODEL_DIR: missing })).rejects.toThrow(
      `KEFU_EMBEDDING_MODEL_DIR=${missing} cannot be used as a sentence encoder: folder does not exist`,
    );
  });

  it('fails clearly for a folder without an ONNX graph', async () => {
    const dir = writeTinyModel(path.join(root, 'no-onnx'));
    unlinkSync(path.join(dir, 'onnx', 'model.onnx'));
    await expect(loadSentenceEncoder(dir)).rejects.toThrow(
      /KEFU_EMBEDDING_MODEL_DIR=.*: missing onnx\/model\.onnx/,
    );
  });

  it('fails clearly when the optional package is not installed', async () => {
    await jest.isolateModulesAsync(async () => {
      jest.doMock('@huggingface/transformers', () => {
        throw new Error("Cannot find module '@huggingface/transformers'");
      });
      // A fresh copy inside the isolated registry, so its import() sees the failing mock.
      const fresh = jest.requireActual<typeof import('./sentence-encoder')>('./sentence-encoder');
      await expect(fresh.loadSentenceEncoder(modelDir)).rejects.toThrow(
        /^KEFU_EMBEDDING_MODEL_DIR=.*: the optional package @huggingface\/transformers is not installed/,
      );
    });
    jest.dontMock('@huggingface/transformers');
  });

  it('fails clearly for a corrupt ONNX file', async () => {
    const dir = writeTinyModel(path.join(root, 'corrupt'));
    writeFileSync(path.join(dir, 'onnx', 'model.onnx'), 'not a protobuf');
    await expect(loadSentenceEncoder(dir)).rejects.toThrow(/^KEFU_EMBEDDING_MODEL_DIR=.*cannot be used/);
  });
});

describe('embedding features', () => {
  it('maps the dense vector into its own id range, scaled by the weight', () => {
    const vec = Float32Array.from([0.5, -0.25, 0, 1]);
    const row = embeddingFeatures(vec, 2, 100);
    expect(Array.from(row.idx)).toEqual([100, 101, 102, 103]);
    expect(Array.from(row.val)).toEqual([1, -0.5, 0, 2]);
    expect(() => embeddingFeatures(vec, 1, -1)).toThrow(/offset/);
  });

  it('appends the embedding block after the sparse TF-IDF row', () => {
    const tfidf = { idx: Int32Array.from([7, 3, 42]), val: Float32Array.from([0.6, 0.8, 0.1]) };
    const row = concatSparse(tfidf, embeddingFeatures(Float32Array.from([0.5, 0.5]), 1, 50));
    expect(Array.from(row.idx)).toEqual([7, 3, 42, 50, 51]);
    expect(Array.from(row.val)).toEqual([Math.fround(0.6), Math.fround(0.8), Math.fround(0.1), 0.5, 0.5]);
    expect(tfidf.idx).toHaveLength(3);
  });

  it('turns a real encoder output into features end to end', async () => {
    const [vec] = (await encoder.embed(['where is my order'])) as [Float32Array];
    const row = embeddingFeatures(vec, 0.5, 1000);
    expect(Array.from(row.idx)).toEqual(Array.from({ length: TINY_HIDDEN }, (_, d) => 1000 + d));
    expect(norm(row.val)).toBeCloseTo(0.5, 5);
  });
});

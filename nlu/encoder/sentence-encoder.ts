import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Dense sentence embeddings: mean-pooled over the attention mask, L2-normalised. */
export interface SentenceEncoder {
  dim: number;
  embed(texts: string[]): Promise<Float32Array[]>;
}

export interface SentenceEncoderOptions {
  /** Texts per forward pass: padding makes a batch as long as its longest text. */
  batchSize?: number;
}

export const EMBEDDING_MODEL_ENV = 'KEFU_EMBEDDING_MODEL_DIR';

// The package is an optional dependency, so its types are not imported: this is the slice we use.
interface TensorLike {
  dims: number[];
  data: ArrayLike<number | bigint>;
}
type TokenizerFn = (
  texts: string[],
  options: { padding: boolean; truncation: boolean },
) => Record<string, TensorLike>;
interface ModelFn {
  (inputs: Record<string, TensorLike>): Promise<Record<string, TensorLike>>;
}
interface Loader<T> {
  from_pretrained(id: string, options: Record<string, unknown>): Promise<T>;
}
interface TransformersModule {
  env: {
    allowRemoteModels: boolean;
    allowLocalModels: boolean;
    localModelPath: string;
    useFSCache: boolean;
    useBrowserCache: boolean;
    fetch: (input: unknown) => Promise<unknown>;
  };
  AutoTokenizer: Loader<TokenizerFn>;
  AutoModel: Loader<ModelFn>;
}

// A variable specifier keeps TypeScript from resolving (and requiring) the optional package at
// compile time; at run time it is a plain import() under tsx and a require() under swc/jest.
const TRANSFORMERS_PACKAGE = '@huggingface/transformers';

class EncoderLoadError extends Error {
  constructor(modelDir: string, reason: string) {
    super(`${EMBEDDING_MODEL_ENV}=${modelDir} cannot be used as a sentence encoder: ${reason}`);
    this.name = 'EncoderLoadError';
  }
}

async function importTransformers(modelDir: string): Promise<TransformersModule> {
  try {
    return (await import(TRANSFORMERS_PACKAGE)) as TransformersModule;
  } catch (err) {
    throw new EncoderLoadError(
      modelDir,
      `the optional package ${TRANSFORMERS_PACKAGE} is not installed or failed to load (${errorText(err)})`,
    );
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Checks the folder layout first so a bad path fails with a plain reason, not a library stack. */
function pickDtype(dir: string): 'fp32' | 'q8' {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error('folder does not exist');
  for (const file of ['config.json', 'tokenizer.json']) {
    if (!existsSync(path.join(dir, file))) throw new Error(`missing ${file}`);
  }
  const onnxDir = path.join(dir, 'onnx');
  const models = existsSync(onnxDir) ? readdirSync(onnxDir) : [];
  if (models.includes('model.onnx')) return 'fp32';
  // Many published exports ship only the int8 file next to their config.
  if (models.includes('model_quantized.onnx')) return 'q8';
  throw new Error('missing onnx/model.onnx (or onnx/model_quantized.onnx)');
}

/** Only ever reads the local folder: remote models, the download cache and fetch are all disabled. */
function lockToLocal(env: TransformersModule['env'], dir: string): void {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = path.dirname(dir);
  env.useFSCache = false;
  env.useBrowserCache = false;
  env.fetch = async (input: unknown) => {
    throw new Error(`network access is disabled for the sentence encoder (${String(input)})`);
  };
}

function pickHiddenStates(outputs: Record<string, TensorLike>): TensorLike {
  // Plain encoders name it last_hidden_state; sentence-transformers exports say token_embeddings.
  const named = outputs.last_hidden_state ?? outputs.token_embeddings;
  if (named) return named;
  const anyThreeD = Object.values(outputs).find((t) => t.dims.length === 3);
  if (!anyThreeD)
    throw new Error(`no [batch, tokens, hidden] output among ${Object.keys(outputs).join(', ')}`);
  return anyThreeD;
}

/** Mean over positions whose mask is 1, then L2 normalisation; one row per text. */
export function meanPoolNormalize(hidden: TensorLike, mask: TensorLike): Float32Array[] {
  const [batch, seq, dim] = hidden.dims as [number, number, number];
  const out: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    const v = new Float32Array(dim);
    let count = 0;
    for (let t = 0; t < seq; t++) {
      if (Number(mask.data[b * seq + t]) === 0) continue;
      count++;
      const base = (b * seq + t) * dim;
      for (let d = 0; d < dim; d++) v[d] = (v[d] as number) + Number(hidden.data[base + d]);
    }
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      v[d] = (v[d] as number) / Math.max(count, 1);
      norm += (v[d] as number) ** 2;
    }
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let d = 0; d < dim; d++) v[d] = (v[d] as number) * scale;
    out.push(v);
  }
  return out;
}

/**
 * Loads a local transformer encoder (config.json, tokenizer.json, onnx/model.onnx) through the
 * optional @huggingface/transformers package. Nothing is ever downloaded.
 */
export async function loadSentenceEncoder(
  modelDir: string,
  options: SentenceEncoderOptions = {},
): Promise<SentenceEncoder> {
  const dir = path.resolve(modelDir);
  let dtype: 'fp32' | 'q8';
  try {
    dtype = pickDtype(dir);
  } catch (err) {
    throw new EncoderLoadError(modelDir, errorText(err));
  }
  const transformers = await importTransformers(modelDir);
  lockToLocal(transformers.env, dir);

  // An absolute path is not a hub id, so the library reads it as a file path as it stands.
  const loadOptions = { local_files_only: true };
  let tokenizer: TokenizerFn;
  let model: ModelFn;
  try {
    tokenizer = await transformers.AutoTokenizer.from_pretrained(dir, loadOptions);
    model = await transformers.AutoModel.from_pretrained(dir, { ...loadOptions, dtype, device: 'cpu' });
  } catch (err) {
    throw new EncoderLoadError(modelDir, errorText(err));
  }

  const batchSize = Math.max(1, options.batchSize ?? 32);
  const embedBatch = async (texts: string[]): Promise<Float32Array[]> => {
    const inputs = tokenizer(texts, { padding: true, truncation: true });
    const mask = inputs.attention_mask;
    if (!mask) throw new Error('tokenizer returned no attention_mask');
    return meanPoolNormalize(pickHiddenStates(await model(inputs)), mask);
  };
  const embed = async (texts: string[]): Promise<Float32Array[]> => {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += batchSize)
      out.push(...(await embedBatch(texts.slice(i, i + batchSize))));
    return out;
  };

  // One probe pass proves the graph actually runs and tells us the width.
  let probe: Float32Array;
  try {
    [probe] = (await embed(['kefu'])) as [Float32Array];
  } catch (err) {
    throw new EncoderLoadError(modelDir, `the model does not run: ${errorText(err)}`);
  }
  return { dim: probe.length, embed };
}

/** The encoder named by KEFU_EMBEDDING_MODEL_DIR, or undefined when the variable is unset or empty. */
export async function encoderFromEnv(
  env: Record<string, string | undefined> = process.env,
): Promise<SentenceEncoder | undefined> {
  const dir = env[EMBEDDING_MODEL_ENV]?.trim();
  return dir ? loadSentenceEncoder(dir) : undefined;
}

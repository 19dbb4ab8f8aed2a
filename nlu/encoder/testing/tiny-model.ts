import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeOnnxModel } from './onnx-writer';

/**
 * A BERT-shaped model folder small enough to write in a test: a WordPiece tokenizer over a few
 * words and an ONNX graph whose "hidden state" is just the embedding row of each token. Pooling
 * results can therefore be computed by hand from TINY_EMBEDDINGS.
 */

export const TINY_HIDDEN = 8;

export const TINY_VOCAB = [
  '[PAD]',
  '[UNK]',
  '[CLS]',
  '[SEP]',
  'where',
  'is',
  'my',
  'order',
  '##s',
  'refund',
  'please',
  '退',
  '款',
] as const;

export type TinyToken = (typeof TINY_VOCAB)[number];

/** Row r of the embedding table; [PAD] is huge so any pooling that forgets the mask is obvious. */
export function tinyEmbeddingRow(token: TinyToken): number[] {
  const r = TINY_VOCAB.indexOf(token);
  if (token === '[PAD]') return Array.from({ length: TINY_HIDDEN }, () => 100);
  return Array.from({ length: TINY_HIDDEN }, (_, d) => Math.round(Math.sin(r * 1.7 + d * 0.9) * 1000) / 1000);
}

function tokenizerJson(): unknown {
  const special = ['[PAD]', '[UNK]', '[CLS]', '[SEP]'];
  const vocab = Object.fromEntries(TINY_VOCAB.map((t, i) => [t, i]));
  const id = (t: TinyToken) => TINY_VOCAB.indexOf(t);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: special.map((content) => ({
      id: vocab[content],
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [id('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [id('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  };
}

function tokenizerConfig(): unknown {
  return {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: 64,
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    cls_token: '[CLS]',
    sep_token: '[SEP]',
  };
}

function modelConfig(): unknown {
  return {
    model_type: 'bert',
    architectures: ['BertModel'],
    hidden_size: TINY_HIDDEN,
    num_attention_heads: 2,
    num_hidden_layers: 1,
    intermediate_size: 16,
    vocab_size: TINY_VOCAB.length,
    max_position_embeddings: 64,
    type_vocab_size: 2,
    pad_token_id: 0,
  };
}

/** The ONNX graph: last_hidden_state = Gather(word_embeddings, input_ids). */
export function tinyOnnxModel(): Uint8Array {
  return encodeOnnxModel({
    name: 'kefu_tiny_encoder',
    nodes: [
      {
        opType: 'Gather',
        inputs: ['word_embeddings', 'input_ids'],
        outputs: ['last_hidden_state'],
        attributes: { axis: 0 },
      },
    ],
    // The mask and segment ids are declared like a real BERT export; the graph ignores them.
    inputs: [
      { name: 'input_ids', type: 'INT64', shape: ['batch', 'sequence'] },
      { name: 'attention_mask', type: 'INT64', shape: ['batch', 'sequence'] },
      { name: 'token_type_ids', type: 'INT64', shape: ['batch', 'sequence'] },
    ],
    outputs: [{ name: 'last_hidden_state', type: 'FLOAT', shape: ['batch', 'sequence', TINY_HIDDEN] }],
    initializers: [
      {
        name: 'word_embeddings',
        type: 'FLOAT',
        dims: [TINY_VOCAB.length, TINY_HIDDEN],
        data: TINY_VOCAB.flatMap((t) => tinyEmbeddingRow(t)),
      },
    ],
  });
}

/** Writes config.json, tokenizer.json, tokenizer_config.json and onnx/model.onnx under dir. */
export function writeTinyModel(dir: string): string {
  mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  const json = (file: string, value: unknown) =>
    writeFileSync(path.join(dir, file), JSON.stringify(value, null, 2));
  json('config.json', modelConfig());
  json('tokenizer.json', tokenizerJson());
  json('tokenizer_config.json', tokenizerConfig());
  writeFileSync(path.join(dir, 'onnx', 'model.onnx'), tinyOnnxModel());
  return dir;
}

/** What the encoder must return for these tokens (already including [CLS] and [SEP]). */
export function expectedEmbedding(tokens: TinyToken[]): number[] {
  const mean = new Array<number>(TINY_HIDDEN).fill(0);
  for (const t of tokens)
    tinyEmbeddingRow(t).forEach((v, d) => (mean[d] = (mean[d] as number) + v / tokens.length));
  const norm = Math.sqrt(mean.reduce((s, v) => s + v * v, 0));
  return mean.map((v) => v / norm);
}

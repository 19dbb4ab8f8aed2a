import { createRequire } from 'node:module';
import { loadShopModel, trainShopModel } from '../shop-model';
import { OOS, type LabelledRow } from './dataset';

/** A trained engine: the intent for a text, null when out of scope. */
export interface EvalPredictor {
  predict(text: string, lang: string | undefined): Promise<string | null>;
}

export interface TrainInput {
  train: readonly LabelledRow[];
  dev?: readonly LabelledRow[];
  /** Languages of the data, most frequent first. */
  langs: string[];
  /** Used for rows without a `lang` field (from --lang or the file). */
  defaultLang: string | undefined;
  log: (msg: string) => void;
}

export type EngineName = 'kefu' | 'nlpjs';

export async function trainEngine(name: EngineName, input: TrainInput): Promise<EvalPredictor> {
  return name === 'kefu' ? trainKefu(input) : trainNlpjs(input);
}

/**
 * Kefu exactly as the bot runs it: the shop model's train → stored JSON artifact → load → parse,
 * with no built-in intents and no knowledge entries, only the file's examples.
 */
async function trainKefu(input: TrainInput): Promise<EvalPredictor> {
  let lastReport = -1;
  const artifact = await trainShopModel(
    {
      shopId: 'nlu-eval',
      locales: input.langs.length > 0 ? input.langs : ['en'],
      knowledge: [],
      intents: input.train.map((r) => ({ text: r.text, intent: r.intent })),
      builtins: false,
      dev: input.dev?.map((r) => ({ text: r.text, intent: r.intent })),
      seed: 1,
    },
    (fraction) => {
      const pct = Math.floor(fraction * 20) * 5;
      if (pct !== lastReport) {
        lastReport = pct;
        input.log(`training ${pct}%`);
      }
    },
  );
  // Through JSON, as the database stores it.
  const json = JSON.stringify(artifact);
  input.log(`model artifact ${(json.length / 1e6).toFixed(2)} MB`);
  const model = loadShopModel(JSON.parse(json));
  return {
    async predict(text, lang) {
      const result = await model.parse({ text, locale: lang ?? input.defaultLang });
      return result.intent === null || result.intent === OOS ? null : result.intent;
    },
  };
}

// NLP.js ships no type declarations; this is the part of NlpManager used here.
interface NlpManagerLike {
  addDocument(locale: string, utterance: string, intent: string): void;
  train(): Promise<void>;
  process(locale: string, utterance: string): Promise<{ intent?: string; score?: number }>;
}

/** Languages with an @nlpjs/lang-* package in node-nlp 4.27. */
const NLPJS_LANGS = new Set(
  'ar bn ca cs da de el en es eu fa fi fr ga gl hi hu hy id it ja ko lt ms ne nl no pl pt ro ru sl sr sv ta th tl tr uk zh'.split(
    ' ',
  ),
);

/** NLP.js language for a data language: the base code ("de-st" → "de"), or English when unsupported. */
export function nlpjsLang(lang: string | undefined): string {
  const base = (lang ?? 'en').toLowerCase().split(/[-_]/)[0] ?? 'en';
  return NLPJS_LANGS.has(base) ? base : 'en';
}

/** NLP.js (node-nlp) with its defaults (nlu threshold 0.5); its `None` counts as out of scope. */
async function trainNlpjs(input: TrainInput): Promise<EvalPredictor> {
  const requireCjs = createRequire(__filename);
  const { NlpManager } = requireCjs('node-nlp') as { NlpManager: new (settings: object) => NlpManagerLike };
  const langOf = (r: LabelledRow): string => nlpjsLang(r.lang ?? input.defaultLang);
  const languages = [...new Set(input.train.map(langOf))];
  const manager = new NlpManager({ languages, autoSave: false, autoLoad: false, nlu: { log: false } });
  for (const r of input.train) manager.addDocument(langOf(r), r.text, r.intent);
  input.log(`nlpjs: training ${input.train.length} documents in ${languages.join(', ')}`);
  await manager.train();
  return {
    async predict(text, lang) {
      const out = await manager.process(nlpjsLang(lang ?? input.defaultLang), text);
      const intent = out.intent;
      return !intent || intent === 'None' || intent === OOS ? null : intent;
    },
  };
}

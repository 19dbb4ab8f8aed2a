import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { NluModel, NluResult, ParseContext, ShopTrainingData } from '../bot/nlu';
import type { KnowledgeEntry } from '../bot/store/knowledge.repo';
import { builtinTrainingData } from './builtin/builtin-data';
import {
  DEFAULT_HYPER_PARAMS,
  type IntentModelArtifact,
  OOS_INTENT as OOS,
  loadIntentClassifier,
  trainIntentClassifier,
} from './classifier/intent-classifier';
import { extractEntities } from './entities';
import { Bm25Index, retrievalTerms } from './knowledge/bm25';
import { ANSWER_SCORE } from '../bot/knowledge';
import { KnowledgeMatcher, entryFingerprint, entryLabel } from './knowledge/matcher';
import { detectLocale } from './lang/detect';
import { normalize } from './normalize';
import { analyzeSentiment } from './sentiment/sentiment';

export const FAQ_INTENT = 'faq';

/**
 * How sure the knowledge match must be to win over the intent classifier on its own: an entry the
 * merchant wrote that matches this well is the answer even when a built-in intent is also likely.
 * (Below it, the dialogue manager arbitrates: bot/router.ts.)
 */
export const KNOWLEDGE_OVERRIDE = 0.8;
const MAX_KNOWLEDGE_NEGATIVES = 600;
/**
 * Above this many entries the entry classifier is not trained (its size and training time grow with
 * the entries): large shops are matched lexically, which needs no training at all.
 */
export const MAX_CLASSIFIER_ENTRIES = 1500;

const entrySchema = z.object({
  id: z.string(),
  locale: z.string(),
  question: z.string(),
  similar: z.array(z.string()),
  answer: z.string(),
});

export interface ShopModelArtifact {
  format: 'kefu-nlu';
  formatVersion: 2;
  intents: IntentModelArtifact;
  knowledge: {
    /** The entries as they were at publish (the classifier was trained on these). */
    entries: KnowledgeEntry[];
    /** Classifier over the entries plus `oos`; absent below two entries or above MAX_CLASSIFIER_ENTRIES. */
    classifier?: IntentModelArtifact;
  };
}

const artifactSchema = z.object({
  format: z.literal('kefu-nlu'),
  formatVersion: z.literal(2),
  intents: z.unknown(),
  knowledge: z.object({ entries: z.array(entrySchema), classifier: z.unknown().optional() }),
});

/**
 * Trains a shop's NLU: the intent classifier (built-in intents, custom examples, out-of-scope) and
 * the knowledge matcher (BM25 fused with a classifier over the shop's entries). The same function
 * backs `publish` and `npm run nlu:eval`.
 */
export async function trainShopModel(
  data: ShopTrainingData & { baseIntents?: IntentModelArtifact },
  onProgress?: (fraction: number) => void,
): Promise<ShopModelArtifact> {
  const examples = [...(data.builtins === false ? [] : builtinTrainingData()), ...(data.intents ?? [])];
  const entries = data.knowledge;
  const intents =
    data.baseIntents ??
    (await trainIntentClassifier(examples, {
      seed: data.seed ?? 1,
      dev: data.dev,
      onProgress: (f) => onProgress?.(entries.length ? f * 0.8 : f),
    }));
  let classifier: IntentModelArtifact | undefined;
  // One entry is not a classification problem (and cannot train one): lexical matching answers it.
  if (entries.length >= 2 && entries.length <= MAX_CLASSIFIER_ENTRIES) {
    classifier = await trainIntentClassifier(knowledgeExamples(entries, examples), {
      seed: data.seed ?? 1,
      onProgress: (f) => onProgress?.(0.8 + f * 0.2),
    });
  }
  onProgress?.(1);
  return { format: 'kefu-nlu', formatVersion: 2, intents, knowledge: { entries, classifier } };
}

/** The built-in intents alone: the same for every shop without custom intents, so it is cached. */
export async function trainBuiltinIntents(
  _input: unknown,
  onProgress?: (fraction: number) => void,
): Promise<IntentModelArtifact> {
  return trainIntentClassifier(builtinTrainingData(), { seed: 1, onProgress });
}

/**
 * Identifies a built-in intent model: the training data, the classifier's settings and its code
 * (a deployment with a changed classifier must not load an artifact the old code wrote).
 */
export function builtinIntentsKey(): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(DEFAULT_HYPER_PARAMS));
  for (const dir of ['classifier', 'features']) {
    const folder = path.join(__dirname, dir);
    for (const file of readdirSync(folder)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .sort()) {
      hash.update(readFileSync(path.join(folder, file)));
    }
  }
  for (const x of builtinTrainingData()) hash.update(`${x.intent}\t${x.text}\n`);
  return `builtin-intents:${hash.digest('hex').slice(0, 32)}`;
}

/**
 * The entry classifier's training set: each entry's phrasings as its own class, and as `oos` the
 * intent examples that do not resemble any entry (a shop's entry must win over the generic
 * "shop question" examples of the out-of-scope data).
 */
function knowledgeExamples(entries: KnowledgeEntry[], intentExamples: { text: string; intent: string }[]) {
  const own = entries.flatMap((e) =>
    [e.question, ...e.similar].map((text) => ({ text, intent: entryLabel(e.id) })),
  );
  const index = new Bm25Index(
    own.map((o) => ({ label: o.intent, terms: retrievalTerms(normalize(o.text)) })),
  );
  const negatives = intentExamples
    .filter((x) => (index.search(retrievalTerms(normalize(x.text)), 1)[0]?.score ?? 0) < 0.5)
    .map((x) => ({ text: x.text, intent: OOS }));
  // A spread-out sample is enough to teach "none of these entries" and keeps publish fast.
  const step = Math.max(1, Math.ceil(negatives.length / MAX_KNOWLEDGE_NEGATIVES));
  return [...own, ...negatives.filter((_, i) => i % step === 0)];
}

/**
 * A model from its stored artifact. `current` are the shop's entries now, when they may differ from
 * the published ones: new and edited entries are then matched lexically until the next publish,
 * deleted ones are gone at once.
 */
export function loadShopModel(raw: unknown, current?: readonly KnowledgeEntry[]): NluModel {
  const artifact = artifactSchema.parse(raw) as unknown as ShopModelArtifact;
  return new ShopModel(artifact, current);
}

class ShopModel implements NluModel {
  private readonly intents: ReturnType<typeof loadIntentClassifier>;
  private readonly knowledge: KnowledgeMatcher;

  constructor(artifact: ShopModelArtifact, current?: readonly KnowledgeEntry[]) {
    this.intents = loadIntentClassifier(artifact.intents);
    const { entries, classifier } = artifact.knowledge;
    const trained = new Map(classifier ? entries.map((e) => [e.id, entryFingerprint(e)]) : []);
    this.knowledge = new KnowledgeMatcher(
      current ?? entries,
      classifier ? loadIntentClassifier(classifier) : undefined,
      trained,
    );
  }

  async parse(input: { text: string; locale?: string; context?: ParseContext }): Promise<NluResult> {
    const normalized = normalize(input.text);
    const locale = detectLocale(input.text, input.locale);
    const ctx = input.context ?? {};
    const entities = extractEntities(input.text, {
      now: ctx.now ?? new Date(),
      timeZone: ctx.timeZone ?? 'Asia/Shanghai',
      orderIdPattern: ctx.orderIdPattern,
      locale,
      expect: ctx.expect,
    });
    const sentiment = analyzeSentiment(input.text, locale);
    if (!normalized) {
      return {
        text: input.text,
        normalized,
        locale,
        intent: null,
        confidence: 0,
        intents: [],
        entities,
        knowledge: [],
        sentiment,
      };
    }

    const prediction = this.intents.predict(input.text);
    const ranking = prediction.ranking;
    const knowledge = this.knowledge.match(input.text, locale);
    const best = knowledge[0];

    let intent = prediction.intent;
    let confidence = prediction.confidence;
    if (
      best &&
      best.score >= ANSWER_SCORE &&
      (!intent || (best.score >= KNOWLEDGE_OVERRIDE && best.score >= confidence))
    ) {
      intent = FAQ_INTENT;
      confidence = best.score;
    }
    const intents = [...ranking];
    if (best) intents.push({ intent: FAQ_INTENT, confidence: best.score });
    intents.sort((a, b) => b.confidence - a.confidence);
    return {
      text: input.text,
      normalized,
      locale,
      intent,
      confidence,
      intents: intents.slice(0, 5),
      entities,
      knowledge,
      sentiment,
    };
  }
}

import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { KnowledgeMatch, NluModel, NluResult, ParseContext, ShopTrainingData } from '../bot/nlu';
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
import { detectLocale } from './lang/detect';
import { normalize } from './normalize';
import { analyzeSentiment } from './sentiment/sentiment';

export const FAQ_INTENT = 'faq';

/**
 * How sure the knowledge match must be to win over the intent classifier: an entry the merchant
 * wrote that matches this well is the answer even when a built-in intent is also likely.
 */
export const KNOWLEDGE_OVERRIDE = 0.8;
/** Below this fused score a knowledge entry is not offered as the intent `faq` at all. */
export const KNOWLEDGE_MIN = 0.45;
const MAX_KNOWLEDGE_NEGATIVES = 600;

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
    entries: KnowledgeEntry[];
    /** Classifier over the entries plus `oos`; absent when the shop has no entries. */
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
  if (entries.length > 0) {
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
    [e.question, ...e.similar].map((text) => ({ text, intent: `${FAQ_INTENT}:${e.id}` })),
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

export function loadShopModel(raw: unknown): NluModel {
  const artifact = artifactSchema.parse(raw);
  return new ShopModel(artifact as unknown as ShopModelArtifact);
}

let background: string[][] | undefined;

/** Document frequencies of everyday customer language, so a shop's few entries do not make "how" rare. */
function backgroundTerms(): string[][] {
  background ??= builtinTrainingData().map((x) => retrievalTerms(normalize(x.text)));
  return background;
}

class ShopModel implements NluModel {
  private readonly intents: ReturnType<typeof loadIntentClassifier>;
  private readonly entryClassifier?: ReturnType<typeof loadIntentClassifier>;
  private readonly entries = new Map<string, KnowledgeEntry>();
  private readonly index?: Bm25Index;

  constructor(artifact: ShopModelArtifact) {
    this.intents = loadIntentClassifier(artifact.intents);
    const { entries, classifier } = artifact.knowledge;
    for (const e of entries) this.entries.set(e.id, e);
    if (entries.length > 0) {
      this.index = new Bm25Index(
        entries.flatMap((e) =>
          [e.question, ...e.similar].map((text) => ({ label: e.id, terms: retrievalTerms(normalize(text)) })),
        ),
        backgroundTerms(),
      );
    }
    if (classifier) this.entryClassifier = loadIntentClassifier(classifier);
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
    const knowledge = this.matchKnowledge(input.text, normalized, locale);
    const best = knowledge[0];

    let intent = prediction.intent;
    let confidence = prediction.confidence;
    if (
      best &&
      best.score >= KNOWLEDGE_MIN &&
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

  /** Entries of the customer's language, BM25 coverage fused with the entry classifier's probability. */
  private matchKnowledge(text: string, normalized: string, locale: string): KnowledgeMatch[] {
    if (!this.index) return [];
    const lang = locale.slice(0, 2);
    const lexical = new Map(this.index.search(retrievalTerms(normalized), 10).map((r) => [r.label, r.score]));
    const probs = new Map<string, number>();
    if (this.entryClassifier) {
      for (const r of this.entryClassifier.predict(text).ranking) {
        if (r.intent.startsWith(`${FAQ_INTENT}:`))
          probs.set(r.intent.slice(FAQ_INTENT.length + 1), r.confidence);
      }
    }
    const matches: KnowledgeMatch[] = [];
    for (const id of new Set([...lexical.keys(), ...probs.keys()])) {
      const entry = this.entries.get(id);
      if (!entry || entry.locale.slice(0, 2) !== lang) continue;
      const score = 0.5 * (lexical.get(id) ?? 0) + 0.5 * (probs.get(id) ?? 0);
      if (score > 0.05) matches.push({ id, question: entry.question, answer: entry.answer, score });
    }
    return matches.sort((a, b) => b.score - a.score).slice(0, 5);
  }
}

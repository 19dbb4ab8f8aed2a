import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import type { KnowledgeMatch, NluEngine, NluModel, NluResult, ShopTrainingData } from '../bot/nlu';
import type { KnowledgeEntry } from '../bot/store/knowledge.repo';
import { normalize } from './normalize';
import { detectLocale } from './lang/detect';
import { TfidfIndex } from './knowledge/tfidf-index';

/** Below this similarity nothing is recognised: the bot says so rather than guess. */
export const MATCH_THRESHOLD = 0.5;

const builtinSchema = z.record(z.string(), z.record(z.string(), z.array(z.string())));
const builtinExamples = builtinSchema.parse(
  parse(readFileSync(path.join(__dirname, 'builtin', 'chitchat.yaml'), 'utf8')),
);

const artifactSchema = z.object({
  format: z.literal('kefu-nlu'),
  formatVersion: z.literal(1),
  knowledge: z.array(
    z.object({
      id: z.string(),
      locale: z.string(),
      question: z.string(),
      similar: z.array(z.string()),
      answer: z.string(),
    }),
  ),
});
type Artifact = z.infer<typeof artifactSchema>;

const KB_PREFIX = 'kb:';
const INTENT_PREFIX = 'intent:';

/**
 * The foundation's NLU: built-in small-talk intents and the shop's knowledge, matched by TF-IDF
 * similarity over normalised text. The classifier of the NLU issue replaces the matching behind
 * the same NluEngine interface.
 */
export function createNluEngine(): NluEngine {
  return {
    async train(data: ShopTrainingData, onProgress) {
      onProgress?.(1);
      const artifact: Artifact = { format: 'kefu-nlu', formatVersion: 1, knowledge: data.knowledge };
      return artifact;
    },
    load(raw: unknown): NluModel {
      return new TfidfModel(artifactSchema.parse(raw).knowledge);
    },
  };
}

class TfidfModel implements NluModel {
  private readonly index: TfidfIndex;
  private readonly entries = new Map<string, KnowledgeEntry>();

  constructor(knowledge: KnowledgeEntry[]) {
    const docs: { label: string; text: string }[] = [];
    for (const byIntent of Object.values(builtinExamples)) {
      for (const [intent, examples] of Object.entries(byIntent)) {
        for (const text of examples) docs.push({ label: INTENT_PREFIX + intent, text: normalize(text) });
      }
    }
    for (const entry of knowledge) {
      this.entries.set(entry.id, entry);
      for (const text of [entry.question, ...entry.similar]) {
        docs.push({ label: KB_PREFIX + entry.id, text: normalize(text) });
      }
    }
    this.index = new TfidfIndex(docs);
  }

  async parse(input: { text: string; locale?: string }): Promise<NluResult> {
    const normalized = normalize(input.text);
    const locale = detectLocale(normalized, input.locale ?? 'zh-CN');
    const ranked = normalized ? this.index.search(normalized, 10) : [];
    const language = locale.slice(0, 2);

    const knowledge: KnowledgeMatch[] = [];
    const intents: { intent: string; confidence: number }[] = [];
    for (const { label, score } of ranked) {
      const confidence = Math.min(1, score);
      if (label.startsWith(KB_PREFIX)) {
        const entry = this.entries.get(label.slice(KB_PREFIX.length));
        if (!entry || entry.locale.slice(0, 2) !== language) continue;
        knowledge.push({ id: entry.id, question: entry.question, answer: entry.answer, score: confidence });
        if (!intents.some((i) => i.intent === 'faq')) intents.push({ intent: 'faq', confidence });
      } else {
        intents.push({ intent: label.slice(INTENT_PREFIX.length), confidence });
      }
    }
    const top = intents[0];
    const recognised = top && top.confidence >= MATCH_THRESHOLD ? top : undefined;
    return {
      text: input.text,
      normalized,
      locale,
      intent: recognised?.intent ?? null,
      confidence: top?.confidence ?? 0,
      intents,
      entities: [],
      knowledge,
    };
  }
}

import type { KnowledgeEntry } from './store/knowledge.repo';

/** The interface the turn pipeline needs from the NLU; `nlu/` implements it, `main.ts` wires it in. */

export interface Entity {
  type: string;
  value: string;
  /** The text the entity was found in, as the user wrote it. */
  text?: string;
}

export interface KnowledgeMatch {
  id: string;
  question: string;
  answer: string;
  /** Calibrated: how likely this entry answers the question, 0–1. */
  score: number;
}

export interface Sentiment {
  /** -1 (very negative) … 1 (very positive). */
  score: number;
  /** 0 … 1: how angry the customer sounds (a handoff trigger). */
  anger: number;
  label: 'negative' | 'neutral' | 'positive';
}

export interface NluResult {
  text: string;
  normalized: string;
  locale: string;
  /** `null` when nothing is confident enough (out of scope). */
  intent: string | null;
  confidence: number;
  intents: { intent: string; confidence: number }[];
  entities: Entity[];
  knowledge: KnowledgeMatch[];
  sentiment?: Sentiment;
}

/** What the conversation knows that helps understanding: the clock, the shop's settings, what was asked. */
export interface ParseContext {
  now?: Date;
  timeZone?: string;
  /** The shop's order id pattern (a regular expression source). */
  orderIdPattern?: string;
  /** The slot the bot just asked for: a bare "一百" is then an amount. */
  expect?: 'amount' | 'count' | 'orderId';
}

export interface ShopTrainingData {
  shopId: string;
  locales: string[];
  knowledge: KnowledgeEntry[];
  /** Extra labelled examples (custom intents; the evaluation command's training file). */
  intents?: { text: string; intent: string }[];
  /** Train on the platform's built-in intents too (default true). */
  builtins?: boolean;
  /** Held-out examples for thresholds (never the test set). */
  dev?: { text: string; intent: string }[];
  seed?: number;
}

export interface NluModel {
  parse(input: { text: string; locale?: string; context?: ParseContext }): Promise<NluResult>;
}

export interface NluEngine {
  /** Builds a serialisable model artifact (stored in the database, versioned). */
  train(data: ShopTrainingData, onProgress?: (fraction: number) => void): Promise<unknown>;
  /**
   * Turns a stored artifact back into a model that parses. `entries`: the shop's knowledge as it is
   * now, when it may have changed since the artifact was trained (matched at once, lexically).
   */
  load(artifact: unknown, entries?: readonly KnowledgeEntry[]): NluModel;
}

/** The summary of an NLU result that the messages API returns and the store keeps per turn. */
export function summarizeNlu(r: NluResult) {
  return {
    intent: r.intent,
    confidence: Math.round(r.confidence * 1000) / 1000,
    entities: r.entities.map((e) => ({ type: e.type, value: e.value })),
  };
}

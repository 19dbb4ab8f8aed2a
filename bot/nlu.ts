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
}

export interface ShopTrainingData {
  shopId: string;
  locales: string[];
  knowledge: KnowledgeEntry[];
}

export interface NluModel {
  parse(input: { text: string; locale?: string }): Promise<NluResult>;
}

export interface NluEngine {
  /** Builds a serialisable model artifact (stored in the database, versioned). */
  train(data: ShopTrainingData, onProgress?: (fraction: number) => void): Promise<unknown>;
  /** Turns a stored artifact back into a model that parses. */
  load(artifact: unknown): NluModel;
}

/** The summary of an NLU result that the messages API returns and the store keeps per turn. */
export function summarizeNlu(r: NluResult) {
  return {
    intent: r.intent,
    confidence: Math.round(r.confidence * 1000) / 1000,
    entities: r.entities.map((e) => ({ type: e.type, value: e.value })),
  };
}

import type { KnowledgeMatch, NluResult } from './nlu';

/**
 * The dialogue's policy for a shop's own knowledge: when a match is the answer, when the bot offers
 * the closest questions instead ("您是不是想问…"), and when a general question that an entry answers
 * beats a built-in task intent. Scores are the matcher's (nlu/knowledge/matcher.ts), 0–1.
 */

/** At or above this score the best entry is the answer. */
export const ANSWER_SCORE = 0.5;
/** Below ANSWER_SCORE but at least this: the closest entries are offered, one click each. */
export const SUGGEST_SCORE = 0.3;
/** A match this good outranks a task intent however sure that intent is (unless about own affairs). */
export const SURE_SCORE = 0.8;
/** How many entries "did you mean" offers. */
export const SUGGESTIONS = 3;

export type KnowledgeDecision =
  | { kind: 'answer'; match: KnowledgeMatch }
  | { kind: 'suggest'; matches: KnowledgeMatch[] }
  | { kind: 'none' };

export function decideKnowledge(matches: readonly KnowledgeMatch[]): KnowledgeDecision {
  const best = matches[0];
  if (best && best.score >= ANSWER_SCORE) return { kind: 'answer', match: best };
  const close = matches.filter((m) => m.score >= SUGGEST_SCORE).slice(0, SUGGESTIONS);
  return close.length > 0 ? { kind: 'suggest', matches: close } : { kind: 'none' };
}

/**
 * The customer speaks of their own order, refund, recharge or booking, or asks for one: 我的订单,
 * 我买的, 帮我查, my order, I ordered, can you… (not 我想问 / 我想了解, which introduce a general question).
 */
const OWN_AFFAIRS_ZH =
  /我的|我们的|俺的|帮我|给我|替我|我(?:刚|这|要|想|买|下|拍|付|订|充|退|申请)(?!问|咨询|了解|知道|请教)/;
const OWN_AFFAIRS_EN =
  /\b(?:my|mine|me)\b|\bI(?:'ve| have)? (?:ordered|bought|paid|placed|booked|purchased|returned)\b|\bI(?:'d| would)? (?:want|need|like)\b|\b(?:can|could|would) you\b/i;
/** Entities that only make sense about the customer's own affairs. */
const OWN_ENTITIES = new Set(['orderId', 'phone']);

export function aboutOwnAffairs(nlu: Pick<NluResult, 'text' | 'entities'>): boolean {
  return (
    OWN_AFFAIRS_ZH.test(nlu.text) ||
    OWN_AFFAIRS_EN.test(nlu.text) ||
    nlu.entities.some((e) => OWN_ENTITIES.has(e.type))
  );
}

/**
 * A general question an entry answers goes to the shop's answer even when a built-in task intent
 * (order.query on 什么时候发货) is likelier: the task wins only when the message is about the
 * customer's own affairs or continues the task in progress, or when the entry is less sure than
 * the intent. Dialogue intents (common.*) are left alone. `activeSkill` is the skill of the task in progress, `intentSkill` the skill the intent starts.
 */
export function knowledgeOutranks(
  nlu: Pick<NluResult, 'text' | 'entities' | 'intent' | 'confidence' | 'knowledge'>,
  intentSkill: string | undefined,
  activeSkill: string | undefined,
): boolean {
  const best = nlu.knowledge[0];
  if (!best || best.score < ANSWER_SCORE) return false;
  if (!nlu.intent || nlu.intent === 'faq') return true;
  if (nlu.intent.startsWith('common.')) return false;
  // As sure as the intent, or sure outright: "and the return address?" after an order is the
  // return-address skill, not the entry about changing a delivery address that shares a word with it.
  if (best.score < Math.min(nlu.confidence, SURE_SCORE)) return false;
  if (intentSkill !== undefined && intentSkill === activeSkill) return false;
  // About their own affairs, the task wins when its intent is clear, or surer than the entry ("my
  // card hasn't arrived" in a bank's shop is its own entry, not a doubtful order query).
  if (aboutOwnAffairs(nlu)) return nlu.confidence < OWN_TASK_CONFIDENCE && best.score > nlu.confidence;
  return true;
}

/** About their own affairs, a task intent at least this sure keeps the turn whatever an entry scores. */
const OWN_TASK_CONFIDENCE = 0.7;

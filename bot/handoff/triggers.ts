import type { NluResult } from '../nlu';
import type { Outcome } from '../skill';
import type { AgentTier } from '../store/handoffs.repo';
import type { HandoffPolicy } from './policy';

/** Why a person was brought in: stored on the handoff and shown to the agent. */
export type HandoffReason =
  | 'customer_request'
  | 'dtmf'
  | 'low_confidence'
  | 'negative_sentiment'
  | 'refund_dispute'
  | 'backend_failure'
  | 'vip';

export interface Trigger {
  reason: HandoffReason | string;
  tier: AgentTier;
}

/** The phone keypad's "0" (IVR channels send the digit as this payload). */
export const DTMF_HUMAN = 'dtmf:0';

// A safety net under the classifier for the plain requests; short messages only, so "人工费" or
// "is the agent's fee included" in a longer question does not summon anyone.
const ASK_HUMAN_ZH = /(转|接|找|要|换|叫)(个)?(人工|真人|客服)|人工(客服|服务|坐席)|真人客服|^人工$/;
const ASK_HUMAN_EN =
  /\b(human|agent|representative|real person|live person|operator|someone real|talk to a person)\b/i;

export function asksForHuman(text: string): boolean {
  const t = text.trim();
  if (!t) return false;
  if (/[\u4e00-\u9fff]/.test(t)) return t.length <= 16 && ASK_HUMAN_ZH.test(t);
  return t.split(/\s+/).length <= 9 && ASK_HUMAN_EN.test(t);
}

/** The tier each reason starts at: disputes and VIPs skip the first line. */
const TIER_FOR: Partial<Record<string, AgentTier>> = { refund_dispute: 'L2' };

/**
 * Whether this turn brings a person in, and why — in order of how plainly the customer asked:
 * the keypad, a skill that escalated (or the handoff skill), the words themselves, anger, VIP
 * tier at the start of a conversation, and finally the bot failing to understand N times in a row.
 */
export function detectTrigger(input: {
  text: string;
  payload?: string;
  nlu: Pick<NluResult, 'sentiment'>;
  outcome: Outcome;
  /** Low-confidence turns in a row, this one included. */
  lowConfidenceTurns: number;
  policy: HandoffPolicy;
  /** The verified customer's trust tier, when the conversation has just started. */
  newCustomerTier?: number;
}): Trigger | undefined {
  const { policy } = input;
  const make = (reason: string, tier?: AgentTier): Trigger => ({
    reason,
    tier: tier ?? TIER_FOR[reason] ?? 'L1',
  });
  if (input.payload === DTMF_HUMAN) return make('dtmf');
  if (input.outcome.status === 'handoff') return make(input.outcome.reason);
  if (!input.payload && asksForHuman(input.text)) return make('customer_request');
  if ((input.nlu.sentiment?.anger ?? 0) >= policy.angerThreshold) return make('negative_sentiment');
  if (
    policy.vipMinTier !== undefined &&
    input.newCustomerTier !== undefined &&
    input.newCustomerTier >= policy.vipMinTier
  ) {
    return make('vip', policy.vipTier);
  }
  if (policy.lowConfidenceTurns > 0 && input.lowConfidenceTurns >= policy.lowConfidenceTurns) {
    return make('low_confidence');
  }
  return undefined;
}

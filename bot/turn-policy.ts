import type { Reply } from './activity';
import type { NluResult } from './nlu';
import type { DialogueState, Outcome } from './skill';
import type { Conversation, StoredMessage } from './store/conversations.repo';
import type { Handoff } from './store/handoffs.repo';
import type { Shop, ShopSettings } from './store/shops.repo';
import type { InboundMessage } from './turn';

/** What a policy knows of the turn: the message, the shop, what the NLU understood, the state before. */
export interface PolicyInput {
  msg: InboundMessage;
  shop: Shop;
  settings: ShopSettings;
  conversation: Conversation;
  locale: string;
  text: string;
  nlu: NluResult;
  now: Date;
  previous: DialogueState;
  /** The conversation's open handoff (waiting for, or held by, a person). */
  open: Handoff | undefined;
}

/** The turn's answer as it passes back out through the policies. */
export interface TurnDraft {
  replies: Reply[];
  state: DialogueState;
  /** For the metrics: the skill outcome, or what a policy did instead (`agent`, `ticket`). */
  outcome: string;
  handoff: Handoff | undefined;
  /** Assist mode: the replies wait as this draft for an agent's approval. */
  draftId?: string;
  /** Set when the dialogue manager ran: which skill answered, and how its task ended. */
  routed?: { skill: string; outcome: Outcome };
}

/**
 * One rule around the dialogue manager, onion-style (as Bot Framework middleware): it decides the
 * turn itself (an agent holds the conversation: the bot stays silent), or calls `next` — the
 * policies after it, and at the core the dialogue manager — and adjusts what comes back (bring a
 * person in, hold the replies as a draft). The core steps (dedup, lock, load, save, publish)
 * stay in the TurnPipeline; policies only decide.
 */
export interface TurnPolicy {
  id: string;
  run(input: PolicyInput, next: () => Promise<TurnDraft>): Promise<TurnDraft>;
  /** After the turn is stored and published: follow-ups that must see it stored (routing a new handoff). */
  committed?(input: PolicyInput, draft: TurnDraft, messages: StoredMessage[]): Promise<void>;
}

/** Runs `policies` in order around `core`. */
export function runPolicies(
  policies: readonly TurnPolicy[],
  input: PolicyInput,
  core: () => Promise<TurnDraft>,
): Promise<TurnDraft> {
  const step = (i: number): Promise<TurnDraft> => {
    const policy = policies[i];
    return policy ? policy.run(input, () => step(i + 1)) : core();
  };
  return step(0);
}

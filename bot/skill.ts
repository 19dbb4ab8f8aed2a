import type { Reply } from './activity';
import type { NluResult } from './nlu';
import type { Shop, ShopSettings } from './store/shops.repo';
import type { Conversation } from './store/conversations.repo';

/** A task on the dialogue stack: plain data, so it can be stored, versioned and migrated. */
export interface Task {
  /** Addresses the task's quick replies, so a stale click (a confirmation clicked twice) is recognised. */
  id: string;
  skill: string;
  step: string;
  slots: Record<string, unknown>;
  /** Failed attempts at the current step; after MAX_ATTEMPTS the bot offers a human. */
  attempts: number;
  /** What the task just asked for, so the NLU reads a bare "一百" as an amount. */
  expect?: 'amount' | 'count' | 'orderId';
}

export interface DialogueState {
  stack: Task[];
  /** The conversation's language, remembered across turns. */
  locale?: string;
  turns: number;
  lastIntent?: string | null;
  /** Facts carried across tasks: the last order talked about, the last list shown… */
  memory: Record<string, unknown>;
  /** What the bot said last, for "repeat that". */
  lastReplies: Reply[];
  /** Consecutive turns the NLU was unsure about (handoff when it goes on). */
  lowConfidenceTurns: number;
  /** Nobody could take the handoff: the customer's next message is left on this ticket. */
  ticketId?: string;
}

export const initialDialogueState = (): DialogueState => ({
  stack: [],
  turns: 0,
  memory: {},
  lastReplies: [],
  lowConfidenceTurns: 0,
});

export interface TurnUser {
  id: string;
  verified: boolean;
}

/** What a skill sees and does during one turn. */
export interface TurnContext {
  readonly shop: Shop;
  readonly settings: ShopSettings;
  readonly conversation: Conversation;
  readonly user: TurnUser;
  readonly locale: string;
  readonly text: string;
  readonly payload?: string;
  readonly nlu: NluResult;
  readonly now: Date;
  /** The task this skill is running (begin: a fresh one; continue: the stored one). Mutate freely. */
  readonly task: Task;
  /** Conversation memory shared by all skills (mutate freely; it is saved with the state). */
  readonly memory: Record<string, unknown>;
  /** The value of a quick reply made with `choice()` for this task, when the customer clicked one. */
  readonly choice?: string;
  reply(reply: Reply): void;
  /** A message from the running skill's catalogue, in the turn's locale. */
  t(key: string, vars?: Record<string, string | number>): string;
  /** A quick-reply payload addressed to this task (see `choice`). */
  choicePayload(value: string): string;
}

export type Outcome =
  | { status: 'waiting' }
  /** `unresolved`: the task ended without doing what was asked (a login prompt): no satisfaction question. */
  | { status: 'done'; unresolved?: boolean }
  | { status: 'cancelled' }
  | { status: 'handoff'; reason: string };

export interface Skill {
  id: string;
  /** Intents that start this skill. */
  intents: string[];
  /** Postback prefixes this skill owns: a payload `faq:123` goes to the skill that lists `faq`. */
  postbacks?: string[];
  /** Messages per locale (see bot/i18n.ts). A `title` message names the task in "back to your …". */
  messages: Record<string, Record<string, string | string[]>>;
  /** Ask how it went when a task of this skill completes. */
  satisfaction?: boolean;
  begin(turn: TurnContext): Promise<Outcome>;
  continue?(turn: TurnContext): Promise<Outcome>;
  /** Ask again for what the task is waiting for (after an interruption). Defaults to `continue`. */
  resume?(turn: TurnContext): Promise<Outcome>;
}

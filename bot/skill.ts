import type { Reply } from './activity';
import type { NluResult } from './nlu';
import type { Shop, ShopSettings } from './store/shops.repo';
import type { Conversation } from './store/conversations.repo';

/** A task on the dialogue stack: plain data, so it can be stored, versioned and migrated. */
export interface Task {
  skill: string;
  step: string;
  slots: Record<string, unknown>;
  attempts: number;
}

export interface DialogueState {
  stack: Task[];
  /** The conversation's language, remembered across turns. */
  locale?: string;
  turns: number;
  lastIntent?: string | null;
}

export const initialDialogueState = (): DialogueState => ({ stack: [], turns: 0 });

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
  /** The task this skill is running (begin: a fresh one; continue: the stored one). Mutate freely. */
  readonly task: Task;
  reply(reply: Reply): void;
  /** A message from the running skill's catalogue, in the turn's locale. */
  t(key: string, vars?: Record<string, string | number>): string;
}

export type Outcome =
  | { status: 'waiting' }
  | { status: 'done' }
  | { status: 'cancelled' }
  | { status: 'handoff'; reason: string };

export interface Skill {
  id: string;
  /** Intents that start this skill. */
  intents: string[];
  /** Postback prefixes this skill owns: a payload `faq:123` goes to the skill that lists `faq`. */
  postbacks?: string[];
  /** Messages per locale (see bot/i18n.ts). */
  messages: Record<string, Record<string, string | string[]>>;
  begin(turn: TurnContext): Promise<Outcome>;
  continue?(turn: TurnContext): Promise<Outcome>;
}

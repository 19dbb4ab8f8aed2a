import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

// One schema for PGlite and PostgreSQL. Every row carries shop_id; every query is scoped by it.

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

export const shops = pgTable('shops', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  locales: jsonb('locales').$type<string[]>().notNull(),
  /** sha256 of the API key; the key itself is shown once, at creation. */
  apiKeyHash: text('api_key_hash').notNull().unique(),
  /** Needed in clear to verify userHash = HMAC(identitySecret, userId). Never returned after creation. */
  identitySecret: text('identity_secret').notNull(),
  createdAt: createdAt(),
});

export const shopSettings = pgTable('shop_settings', {
  shopId: text('shop_id')
    .primaryKey()
    .references(() => shops.id, { onDelete: 'cascade' }),
  settings: jsonb('settings').$type<Record<string, unknown>>().notNull(),
  updatedAt: updatedAt(),
});

export const knowledgeEntries = pgTable(
  'knowledge_entries',
  {
    shopId: text('shop_id')
      .notNull()
      .references(() => shops.id, { onDelete: 'cascade' }),
    id: text('id').notNull(),
    locale: text('locale').notNull(),
    question: text('question').notNull(),
    similar: jsonb('similar').$type<string[]>().notNull(),
    answer: text('answer').notNull(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.shopId, t.id] })],
);

/** A trained, versioned NLU model per shop, so every process of a deployment loads the same one. */
export const nluModels = pgTable(
  'nlu_models',
  {
    shopId: text('shop_id')
      .notNull()
      .references(() => shops.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    artifact: jsonb('artifact').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.shopId, t.version] })],
);

/**
 * Trained artifacts shared by every shop, keyed by a hash of their training data (the built-in
 * intent classifier): trained once per deployment, not once per shop and restart.
 */
export const nluArtifactCache = pgTable('nlu_artifact_cache', {
  key: text('key').primaryKey(),
  artifact: jsonb('artifact').notNull(),
  createdAt: createdAt(),
});

export const conversations = pgTable(
  'conversations',
  {
    id: text('id').primaryKey(),
    shopId: text('shop_id')
      .notNull()
      .references(() => shops.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull(),
    channel: text('channel').notNull(),
    verified: boolean('verified').notNull().default(false),
    locale: text('locale'),
    status: text('status').$type<'open' | 'ended'>().notNull().default('open'),
    createdAt: createdAt(),
    lastActivityAt: timestamp('last_activity_at', { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
  },
  (t) => [
    // At most one open conversation per customer per shop: concurrent first messages cannot fork it.
    uniqueIndex('conversations_open_user')
      .on(t.shopId, t.userId)
      .where(sql`${t.status} = 'open'`),
    // The admin's conversation list and analytics read a shop's conversations by date.
    index('conversations_shop_created').on(t.shopId, t.createdAt),
  ],
);

export const messages = pgTable(
  'messages',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    id: text('id').notNull().unique(),
    shopId: text('shop_id').notNull(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    role: text('role').$type<'user' | 'bot' | 'agent'>().notNull(),
    text: text('text'),
    payload: text('payload'),
    quickReplies: jsonb('quick_replies'),
    card: jsonb('card'),
    /** The NLU result of a user message. */
    nlu: jsonb('nlu'),
    /** For bot messages: time from receiving the user message to the reply, in ms. */
    latencyMs: integer('latency_ms'),
    createdAt: createdAt(),
  },
  (t) => [index('messages_conversation_seq').on(t.conversationId, t.seq)],
);

export const dialogueStates = pgTable('dialogue_states', {
  conversationId: text('conversation_id')
    .primaryKey()
    .references(() => conversations.id, { onDelete: 'cascade' }),
  shopId: text('shop_id').notNull(),
  version: integer('version').notNull(),
  state: jsonb('state').notNull(),
  updatedAt: updatedAt(),
});

/** One row per processed turn; `dedup_key` makes channel retries and repeated clientMessageIds run once. */
export const turns = pgTable(
  'turns',
  {
    id: text('id').primaryKey(),
    shopId: text('shop_id').notNull(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    dedupKey: text('dedup_key'),
    userMessageId: text('user_message_id').notNull(),
    stateVersion: integer('state_version').notNull(),
    result: jsonb('result').notNull(),
    latencyMs: integer('latency_ms').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('turns_dedup').on(t.shopId, t.dedupKey),
    index('turns_conversation').on(t.conversationId),
  ],
);

/** A request for a person; its status moves only along bot/handoff/state-machine.ts. */
export const handoffs = pgTable(
  'handoffs',
  {
    id: text('id').primaryKey(),
    shopId: text('shop_id').notNull(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull().default(''),
    status: text('status').notNull(),
    reason: text('reason').notNull(),
    tier: text('tier').notNull().default('L1'),
    /** The customer's language: routing picks an agent who speaks it. */
    locale: text('locale').notNull().default('zh-CN'),
    assignedTo: text('assigned_to'),
    /** Transfers between tiers, with the agent's note: [{at, agentId, fromTier, toTier, note}]. */
    notes: jsonb('notes').$type<unknown[]>().notNull().default([]),
    /** When it (last) entered the queue: position and wait are counted from here. */
    queuedAt: timestamp('queued_at', { withTimezone: true }).notNull().defaultNow(),
    assignedAt: timestamp('assigned_at', { withTimezone: true }),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('handoffs_shop_status').on(t.shopId, t.status, t.createdAt),
    // A conversation's handoffs (the admin's conversation list and transcript, analytics).
    index('handoffs_conversation').on(t.conversationId, t.createdAt),
    // One open request per conversation, even when two turns or processes ask at once.
    uniqueIndex('handoffs_open_conversation')
      .on(t.conversationId)
      .where(sql`${t.status} in ('pending', 'assigned', 'transferred')`),
  ],
);

/** Human agents of a shop; they sign in to the workspace with a token (stored as SHA-256). */
export const agents = pgTable(
  'agents',
  {
    id: text('id').primaryKey(),
    shopId: text('shop_id')
      .notNull()
      .references(() => shops.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tier: text('tier').notNull(),
    languages: jsonb('languages').$type<string[]>().notNull(),
    maxConcurrent: integer('max_concurrent').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    status: text('status').$type<'online' | 'away' | 'offline'>().notNull().default('offline'),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('agents_shop').on(t.shopId)],
);

/** In `assist` mode the bot's answer waits here until an agent approves (or edits) it. */
export const drafts = pgTable(
  'drafts',
  {
    id: text('id').primaryKey(),
    shopId: text('shop_id').notNull(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    question: text('question'),
    replies: jsonb('replies').notNull(),
    status: text('status').$type<'pending' | 'sent' | 'discarded'>().notNull().default('pending'),
    decidedBy: text('decided_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('drafts_shop_status').on(t.shopId, t.status, t.createdAt)],
);

/** A message left for the agents when none was online or the shop was closed. */
export const tickets = pgTable(
  'tickets',
  {
    id: text('id').primaryKey(),
    shopId: text('shop_id').notNull(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull(),
    handoffId: text('handoff_id'),
    reason: text('reason').notNull(),
    message: text('message'),
    status: text('status').$type<'open' | 'closed'>().notNull().default('open'),
    closedBy: text('closed_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('tickets_shop_status').on(t.shopId, t.status, t.createdAt)],
);

export const jobs = pgTable('jobs', {
  id: text('id').primaryKey(),
  shopId: text('shop_id').notNull(),
  type: text('type').notNull(),
  state: text('state').$type<'queued' | 'running' | 'done' | 'failed'>().notNull(),
  progress: real('progress').notNull().default(0),
  error: text('error'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** People who sign in to the merchant admin. Email is unique across the platform: one shop per person. */
export const shopUsers = pgTable(
  'shop_users',
  {
    id: text('id').primaryKey(),
    shopId: text('shop_id')
      .notNull()
      .references(() => shops.id, { onDelete: 'cascade' }),
    /** Lower-cased. */
    email: text('email').notNull().unique(),
    name: text('name').notNull().default(''),
    role: text('role').$type<'owner' | 'editor' | 'agent'>().notNull(),
    /** scrypt, with its parameters and salt (bot/auth/password.ts). */
    passwordHash: text('password_hash').notNull(),
    lastSignInAt: timestamp('last_sign_in_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('shop_users_shop').on(t.shopId)],
);

/** A signed-in browser. Only the SHA-256 of the cookie value is stored. */
export const userSessions = pgTable(
  'user_sessions',
  {
    idHash: text('id_hash').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => shopUsers.id, { onDelete: 'cascade' }),
    shopId: text('shop_id').notNull(),
    /** Sent back in X-CSRF-Token on every state-changing request made with the cookie. */
    csrfToken: text('csrf_token').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('user_sessions_user').on(t.userId)],
);

/** One row per shop and day the digest went out: the instance that inserts it sends it. */
export const digestRuns = pgTable(
  'digest_runs',
  {
    shopId: text('shop_id')
      .notNull()
      .references(() => shops.id, { onDelete: 'cascade' }),
    day: text('day').notNull(),
    /** sending | sent | failed */
    status: text('status').notNull(),
    /** Sends tried: a failed or stalled send is tried again, a few times. */
    attempts: integer('attempts').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.shopId, t.day] })],
);

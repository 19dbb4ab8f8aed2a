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

export const handoffs = pgTable(
  'handoffs',
  {
    id: text('id').primaryKey(),
    shopId: text('shop_id').notNull(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    status: text('status').notNull(),
    reason: text('reason').notNull(),
    tier: text('tier').notNull().default('L1'),
    assignedTo: text('assigned_to'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('handoffs_shop_status').on(t.shopId, t.status, t.createdAt)],
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

import { type SQL, and, asc, desc, eq, gt, inArray, ne, sql } from 'drizzle-orm';
import type { Db } from './db';
import { conversations, dialogueStates, handoffs, messages, turns } from './schema';
import { OPEN, sourcesOf } from '../handoff/state-machine';
import { type Handoff, toHandoff } from './handoffs.repo';
import { newId } from '../ids';
import { errors } from '../errors';
import type { Card, QuickReply, Role } from '../activity';
import { likePattern } from './knowledge.repo';
import { OpenConversations } from './open-conversations';

export interface Conversation {
  id: string;
  shopId: string;
  userId: string;
  channel: string;
  verified: boolean;
  locale: string | null;
  status: 'open' | 'ended';
  lastActivityAt: Date;
}

export interface StoredMessage {
  id: string;
  role: Role;
  text: string | null;
  payload?: string;
  quickReplies?: QuickReply[];
  card?: Card;
  nlu?: unknown;
  latencyMs?: number;
  createdAt: string;
}

export interface NewMessage {
  id: string;
  role: Role;
  text: string | null;
  payload?: string;
  quickReplies?: QuickReply[];
  card?: Card;
  nlu?: unknown;
  latencyMs?: number;
}

export interface Versioned<T> {
  version: number;
  state: T;
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** The admin's filters for a shop's conversations (all optional). */
export interface ConversationFilter {
  /** One conversation (the transcript view): the filters below do not apply to it. */
  id?: string;
  /** createdAt in [from, to). */
  from?: Date;
  to?: Date;
  /** Without a channel, every channel but `excludeChannel` (the test console). */
  channel?: string;
  excludeChannel?: string;
  handoff?: boolean;
  /** At least one user turn the bot could not answer. */
  unresolved?: boolean;
  /** Text some message contains (any case). */
  q?: string;
  /** Keyset: strictly older than this (createdAt, id) in the list's order. */
  before?: { at: string; id: string };
  limit?: number;
  /**
   * What a turn the bot could not answer looks like in messages.nlu.route: the fallback skill
   * (knowledge) ending unresolved (no match, "did you mean"), or a failed turn (skill `error`).
   */
  fallbackSkill: string;
}

export interface ConversationSummary extends Conversation {
  createdAt: Date;
  messageCount: number;
  firstText: string | null;
  /** The latest handoff of the conversation. */
  handoff: { status: string; reason: string; tier: string } | null;
  unresolvedTurns: number;
  /** createdAt to the microsecond (UTC, no zone), for the keyset cursor. */
  cursorAt: string;
}

export interface ConversationHandoff {
  id: string;
  status: string;
  reason: string;
  tier: string;
  assignedTo: string | null;
  createdAt: string;
  closedAt: string | null;
}

export class ConversationsRepo {
  /**
   * The reads every turn makes, built once: drizzle then skips building their SQL each time, and
   * PostgreSQL plans each once per connection (named statements).
   */
  private readonly hot;
  /** Embedded database only (see open-conversations.ts). */
  private readonly open?: OpenConversations;

  /** `rememberOpen`: this process alone writes the database (embedded), so it may remember open conversations. */
  constructor(
    private readonly db: Db,
    opts: { rememberOpen?: boolean } = {},
  ) {
    if (opts.rememberOpen) this.open = new OpenConversations();
    const p = (name: string) => sql.placeholder(name);
    this.hot = {
      findOpen: db
        .select()
        .from(conversations)
        .where(
          and(
            eq(conversations.shopId, p('shopId')),
            eq(conversations.userId, p('userId')),
            eq(conversations.status, 'open'),
          ),
        )
        .prepare('kefu_conversation_open'),
      turnContext: db
        .select({ version: dialogueStates.version, state: dialogueStates.state, handoff: handoffs })
        .from(conversations)
        .leftJoin(dialogueStates, eq(dialogueStates.conversationId, conversations.id))
        .leftJoin(
          handoffs,
          and(
            eq(handoffs.shopId, p('shopId')),
            eq(handoffs.conversationId, conversations.id),
            inArray(handoffs.status, [...OPEN]),
          ),
        )
        .where(and(eq(conversations.shopId, p('shopId')), eq(conversations.id, p('conversationId'))))
        .prepare('kefu_turn_context'),
      turnByDedupKey: db
        .select({ result: turns.result })
        .from(turns)
        .where(and(eq(turns.shopId, p('shopId')), eq(turns.dedupKey, p('dedupKey'))))
        .prepare('kefu_turn_by_dedup_key'),
    };
  }

  /**
   * The customer's open conversation in this shop, or a new one when there is none or it has been
   * idle longer than `idleMs`. Safe under concurrency: a partial unique index admits one open row.
   */
  async resolveOpen(input: {
    shopId: string;
    userId: string;
    channel: string;
    verified: boolean;
    idleMs: number;
    now?: Date;
  }): Promise<Conversation & { expiredHandoffs?: string[] }> {
    const now = input.now ?? new Date();
    let expiredHandoffs: string[] | undefined;
    for (let attempt = 0; attempt < 5; attempt++) {
      const open = await this.findOpen(input.shopId, input.userId);
      if (open && now.getTime() - open.lastActivityAt.getTime() <= input.idleMs) return open;
      // A conversation an agent is serving stays open however long the customer is away.
      if (open && (await this.hasAgent(open.id))) return open;
      if (open) {
        await this.db
          .transaction(async (tx) => {
            await tx
              .update(conversations)
              .set({ status: 'ended', endedAt: now })
              .where(and(eq(conversations.id, open.id), eq(conversations.status, 'open')));
            // Nobody will answer a request in a conversation that has ended.
            const expired = await tx
              .update(handoffs)
              .set({ status: 'expired', closedAt: now, updatedAt: now })
              .where(and(eq(handoffs.conversationId, open.id), inArray(handoffs.status, sourcesOf('expire'))))
              .returning({ id: handoffs.id });
            if (expired.length) expiredHandoffs = expired.map((h) => h.id);
          })
          .finally(() => this.open?.forgetCustomer(input.shopId, input.userId));
      }
      const mark = this.open?.mark();
      const inserted = await this.db
        .insert(conversations)
        .values({
          id: newId('c'),
          shopId: input.shopId,
          userId: input.userId,
          channel: input.channel,
          verified: input.verified,
          createdAt: now,
          lastActivityAt: now,
        })
        .onConflictDoNothing()
        .returning();
      if (inserted[0]) {
        const conversation = toConversation(inserted[0]);
        this.open?.remember(conversation, mark);
        return { ...conversation, ...(expiredHandoffs ? { expiredHandoffs } : {}) };
      }
      // Another request opened it first: loop and take theirs.
    }
    throw errors.unavailable('Could not open a conversation; try again.');
  }

  private async hasAgent(conversationId: string): Promise<boolean> {
    const [row] = await this.db
      .select({ id: handoffs.id })
      .from(handoffs)
      .where(and(eq(handoffs.conversationId, conversationId), eq(handoffs.status, 'assigned')));
    return !!row;
  }

  /** Ends a conversation (an agent resolved it and did not hand it back to the bot). */
  async end(shopId: string, conversationId: string, now = new Date()): Promise<void> {
    await this.db
      .update(conversations)
      .set({ status: 'ended', endedAt: now })
      .where(
        and(
          eq(conversations.shopId, shopId),
          eq(conversations.id, conversationId),
          eq(conversations.status, 'open'),
        ),
      )
      .finally(() => this.open?.forgetConversation(conversationId));
  }

  /** Ends the customer's open conversation (resolved, or a test starting afresh). */
  async endOpen(shopId: string, userId: string): Promise<void> {
    await this.db
      .update(conversations)
      .set({ status: 'ended', endedAt: new Date() })
      .where(
        and(
          eq(conversations.shopId, shopId),
          eq(conversations.userId, userId),
          eq(conversations.status, 'open'),
        ),
      )
      .finally(() => this.open?.forgetCustomer(shopId, userId));
  }

  async findOpen(shopId: string, userId: string): Promise<Conversation | undefined> {
    const remembered = this.open?.get(shopId, userId);
    if (remembered) return remembered;
    const mark = this.open?.mark();
    const [row] = await this.hot.findOpen.execute({ shopId, userId });
    const found = row && toConversation(row);
    if (found) this.open?.remember(found, mark);
    return found;
  }

  /** Forgets the remembered open conversations: for a change written behind this repository's back. */
  forgetRemembered(): void {
    this.open?.clear();
  }

  async findById(shopId: string, id: string): Promise<Conversation | undefined> {
    const [row] = await this.db
      .select()
      .from(conversations)
      .where(and(eq(conversations.shopId, shopId), eq(conversations.id, id)));
    return row && toConversation(row);
  }

  /** Messages in order; `afterId` continues after a message the caller already has. */
  async listMessages(
    shopId: string,
    conversationId: string,
    opts: { afterId?: string; limit?: number } = {},
  ) {
    let afterSeq = 0;
    if (opts.afterId) {
      const [row] = await this.db
        .select({ seq: messages.seq })
        .from(messages)
        .where(and(eq(messages.id, opts.afterId), eq(messages.conversationId, conversationId)));
      if (!row) throw errors.notFound('Message');
      afterSeq = row.seq;
    }
    const rows = await this.db
      .select()
      .from(messages)
      .where(
        and(
          eq(messages.shopId, shopId),
          eq(messages.conversationId, conversationId),
          gt(messages.seq, afterSeq),
        ),
      )
      .orderBy(asc(messages.seq))
      .limit(opts.limit ?? 500);
    return rows.map(toStoredMessage);
  }

  /** The last `limit` messages, oldest first (history restore in the widget). */
  async recentMessages(shopId: string, conversationId: string, limit: number): Promise<StoredMessage[]> {
    const rows = await this.db
      .select()
      .from(messages)
      .where(and(eq(messages.shopId, shopId), eq(messages.conversationId, conversationId)))
      .orderBy(sql`${messages.seq} desc`)
      .limit(limit);
    return rows.reverse().map(toStoredMessage);
  }

  async loadState<T>(conversationId: string): Promise<Versioned<T> | undefined> {
    const [row] = await this.db
      .select({ version: dialogueStates.version, state: dialogueStates.state })
      .from(dialogueStates)
      .where(eq(dialogueStates.conversationId, conversationId));
    return row && { version: row.version, state: row.state as T };
  }

  /**
   * What a turn reads under the conversation's lock, in one query: the versioned dialogue state
   * (absent before the first turn) and the open handoff (one at most: a partial unique index).
   */
  async loadTurnContext<T>(
    shopId: string,
    conversationId: string,
  ): Promise<{ state?: Versioned<T>; open?: Handoff }> {
    const [row] = await this.hot.turnContext.execute({ shopId, conversationId });
    return {
      ...(row?.version != null ? { state: { version: row.version, state: row.state as T } } : {}),
      ...(row?.handoff ? { open: toHandoff(row.handoff) } : {}),
    };
  }

  /** Optimistic save: succeeds only if the stored version is still `expectedVersion`; returns the new one. */
  async saveState(
    shopId: string,
    conversationId: string,
    state: unknown,
    expectedVersion: number,
  ): Promise<number> {
    return this.db.transaction((tx) => saveStateIn(tx, shopId, conversationId, state, expectedVersion));
  }

  async findTurnByDedupKey(shopId: string, dedupKey: string): Promise<unknown | undefined> {
    const [row] = await this.hot.turnByDedupKey.execute({ shopId, dedupKey });
    return row?.result;
  }

  async countTurns(conversationId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(turns)
      .where(eq(turns.conversationId, conversationId));
    return row?.n ?? 0;
  }

  /**
   * Everything a turn writes, atomically: the state (version-checked), its messages, the turn record
   * and the conversation's activity. One statement (data-modifying CTEs), so one round trip and no
   * transaction held open across awaits: when the version check fails nothing else is written.
   */
  async commitTurn(input: {
    shopId: string;
    conversationId: string;
    expectedVersion: number;
    state: unknown;
    locale: string | null;
    dedupKey?: string;
    messages: NewMessage[];
    result: unknown;
    latencyMs: number;
  }): Promise<number> {
    const { shopId, conversationId, expectedVersion } = input;
    const state = JSON.stringify(input.state);
    const now = new Date().toISOString();
    // The state's new version, or no row when another turn saved first.
    const saved =
      expectedVersion === 0
        ? sql`insert into dialogue_states (conversation_id, shop_id, version, state)
              values (${conversationId}, ${shopId}, 1, ${state}::jsonb)
              on conflict do nothing returning version`
        : sql`update dialogue_states set state = ${state}::jsonb, version = ${expectedVersion + 1}::int,
                updated_at = ${now}::timestamptz
              where conversation_id = ${conversationId} and version = ${expectedVersion}::int
              returning version`;
    // Rows in the column names of `messages`; jsonb_populate_record turns a missing key or null into NULL.
    const rows = JSON.stringify(
      input.messages.map((m) => ({
        id: m.id,
        shop_id: shopId,
        conversation_id: conversationId,
        role: m.role,
        text: m.text,
        payload: m.payload ?? null,
        quick_replies: m.quickReplies ?? null,
        card: m.card ?? null,
        nlu: m.nlu ?? null,
        latency_ms: m.latencyMs ?? null,
      })),
    );
    const userMessage = input.messages.find((m) => m.role === 'user');
    const result = (await this.db.execute(sql`
      with s as (${saved}),
      m as (
        insert into messages (id, shop_id, conversation_id, role, text, payload, quick_replies, card, nlu, latency_ms)
        select r.id, r.shop_id, r.conversation_id, r.role, r.text, r.payload, r.quick_replies, r.card, r.nlu, r.latency_ms
        from jsonb_array_elements(${rows}::jsonb) with ordinality as e(item, n)
        cross join lateral jsonb_populate_record(null::messages, e.item) as r
        where exists (select 1 from s)
        order by e.n
      ),
      t as (
        insert into turns (id, shop_id, conversation_id, dedup_key, user_message_id, state_version, result, latency_ms)
        select ${newId('t')}::text, ${shopId}::text, ${conversationId}::text, ${input.dedupKey ?? null}::text,
          ${userMessage?.id ?? ''}::text, s.version, ${JSON.stringify(input.result)}::jsonb, ${input.latencyMs}::int
        from s
      ),
      c as (
        update conversations set last_activity_at = ${now}::timestamptz,
          locale = coalesce(${input.locale || null}::text, locale)
        where id = ${conversationId} and exists (select 1 from s)
      )
      select version from s`)) as unknown as { rows: { version: number }[] };
    const version = result.rows[0]?.version;
    if (version === undefined) throw errors.versionConflict();
    this.open?.touched(conversationId, new Date(now), input.locale || null);
    return Number(version);
  }

  /** The shop's recent agent replies with the customer message each answered (for 蜂槽 suggestions). */
  async agentAnswers(
    shopId: string,
    opts: { excludeConversationId?: string; limit?: number } = {},
  ): Promise<{ question: string; answer: string }[]> {
    // The outer row is named in full: drizzle would print its columns unqualified inside the subquery.
    const question = sql<string | null>`(
      select u.text from messages u
      where u.conversation_id = "messages"."conversation_id" and u.role = 'user' and u.seq < "messages"."seq"
      order by u.seq desc limit 1)`;
    const rows = await this.db
      .select({ answer: messages.text, question })
      .from(messages)
      .where(
        and(
          eq(messages.shopId, shopId),
          eq(messages.role, 'agent'),
          // What was already said in this very conversation is no suggestion.
          ...(opts.excludeConversationId ? [ne(messages.conversationId, opts.excludeConversationId)] : []),
        ),
      )
      .orderBy(sql`${messages.seq} desc`)
      .limit(opts.limit ?? 500);
    return rows.flatMap((r) => (r.answer && r.question ? [{ question: r.question, answer: r.answer }] : []));
  }

  /**
   * The admin's conversation list, newest first, in one query: the counts, the first user text, the
   * latest handoff and the unanswered turns come from correlated subqueries, not a query per row.
   */
  async listForAdmin(shopId: string, f: ConversationFilter): Promise<ConversationSummary[]> {
    // The outer row is named in full inside the subqueries (drizzle prints its columns unqualified).
    const outer = sql.raw('"conversations"."id"');
    const unresolvedTurn = sql`m.role = 'user' and (
      (m.nlu->'route'->>'skill' = ${f.fallbackSkill} and m.nlu->'route'->>'unresolved' = 'true')
      or m.nlu->'route'->>'skill' = 'error')`;
    const where: SQL[] = [eq(conversations.shopId, shopId)];
    if (f.id !== undefined) where.push(eq(conversations.id, f.id));
    else {
      if (f.channel !== undefined) where.push(eq(conversations.channel, f.channel));
      else if (f.excludeChannel !== undefined) where.push(ne(conversations.channel, f.excludeChannel));
      if (f.from) where.push(sql`${conversations.createdAt} >= ${f.from.toISOString()}`);
      if (f.to) where.push(sql`${conversations.createdAt} < ${f.to.toISOString()}`);
      if (f.handoff !== undefined) {
        const any = sql`exists (select 1 from handoffs h where h.conversation_id = ${outer})`;
        where.push(f.handoff ? any : sql`not ${any}`);
      }
      if (f.unresolved !== undefined) {
        const any = sql`exists (select 1 from messages m where m.conversation_id = ${outer} and ${unresolvedTurn})`;
        where.push(f.unresolved ? any : sql`not ${any}`);
      }
      if (f.q) {
        where.push(
          sql`exists (select 1 from messages m where m.conversation_id = ${outer} and m.text ilike ${likePattern(f.q)} escape '\\')`,
        );
      }
      if (f.before) {
        where.push(
          sql`(${conversations.createdAt}, ${conversations.id}) < ((${f.before.at}::timestamp at time zone 'UTC'), ${f.before.id})`,
        );
      }
    }
    const rows = await this.db
      .select({
        row: conversations,
        messageCount: sql<number>`(select count(*)::int from messages m where m.conversation_id = ${outer})`,
        firstText: sql<string | null>`(select m.text from messages m
          where m.conversation_id = ${outer} and m.role = 'user' and m.text is not null order by m.seq limit 1)`,
        handoff: sql<{ status: string; reason: string; tier: string } | null>`(select
          json_build_object('status', h.status, 'reason', h.reason, 'tier', h.tier)
          from handoffs h where h.conversation_id = ${outer} order by h.created_at desc limit 1)`,
        unresolvedTurns: sql<number>`(select count(*)::int from messages m
          where m.conversation_id = ${outer} and ${unresolvedTurn})`,
        cursorAt: sql<string>`to_char(${conversations.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`,
      })
      .from(conversations)
      .where(and(...where))
      .orderBy(desc(conversations.createdAt), desc(conversations.id))
      .limit(f.limit ?? 50);
    return rows.map((r) => ({
      ...toConversation(r.row),
      createdAt: r.row.createdAt,
      messageCount: Number(r.messageCount),
      firstText: r.firstText,
      handoff: typeof r.handoff === 'string' ? JSON.parse(r.handoff) : r.handoff,
      unresolvedTurns: Number(r.unresolvedTurns),
      cursorAt: r.cursorAt,
    }));
  }

  /** Every handoff of a conversation, oldest first. */
  async handoffsOf(shopId: string, conversationId: string): Promise<ConversationHandoff[]> {
    const rows = await this.db
      .select()
      .from(handoffs)
      .where(and(eq(handoffs.shopId, shopId), eq(handoffs.conversationId, conversationId)))
      .orderBy(asc(handoffs.createdAt));
    return rows.map((h) => ({
      id: h.id,
      status: h.status,
      reason: h.reason,
      tier: h.tier,
      assignedTo: h.assignedTo,
      createdAt: h.createdAt.toISOString(),
      closedAt: h.closedAt ? h.closedAt.toISOString() : null,
    }));
  }

  /** Appends messages outside a turn (an agent's reply, a proactive message). */
  async appendMessages(shopId: string, conversationId: string, items: NewMessage[]): Promise<void> {
    if (items.length === 0) return;
    await this.db.insert(messages).values(
      items.map((m) => ({
        id: m.id,
        shopId,
        conversationId,
        role: m.role,
        text: m.text,
        payload: m.payload ?? null,
        quickReplies: m.quickReplies ?? null,
        card: m.card ?? null,
      })),
    );
  }
}

async function saveStateIn(
  tx: Tx,
  shopId: string,
  conversationId: string,
  state: unknown,
  expectedVersion: number,
): Promise<number> {
  if (expectedVersion === 0) {
    const inserted = await tx
      .insert(dialogueStates)
      .values({ conversationId, shopId, version: 1, state })
      .onConflictDoNothing()
      .returning({ version: dialogueStates.version });
    if (!inserted[0]) throw errors.versionConflict();
    return 1;
  }
  const updated = await tx
    .update(dialogueStates)
    .set({ state, version: expectedVersion + 1, updatedAt: new Date() })
    .where(
      and(eq(dialogueStates.conversationId, conversationId), eq(dialogueStates.version, expectedVersion)),
    )
    .returning({ version: dialogueStates.version });
  if (!updated[0]) throw errors.versionConflict();
  return updated[0].version;
}

function toConversation(row: typeof conversations.$inferSelect): Conversation {
  return {
    id: row.id,
    shopId: row.shopId,
    userId: row.userId,
    channel: row.channel,
    verified: row.verified,
    locale: row.locale,
    status: row.status,
    lastActivityAt: row.lastActivityAt,
  };
}

function toStoredMessage(row: typeof messages.$inferSelect): StoredMessage {
  return {
    id: row.id,
    role: row.role,
    text: row.text,
    ...(row.payload ? { payload: row.payload } : {}),
    ...(row.quickReplies ? { quickReplies: row.quickReplies as QuickReply[] } : {}),
    ...(row.card ? { card: row.card as Card } : {}),
    ...(row.nlu ? { nlu: row.nlu } : {}),
    ...(row.latencyMs !== null ? { latencyMs: row.latencyMs } : {}),
    createdAt: row.createdAt.toISOString(),
  };
}

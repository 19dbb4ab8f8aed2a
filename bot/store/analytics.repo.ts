import { type SQL, sql } from 'drizzle-orm';
import type { Db } from './db';
import { SUGGEST_SCORE } from '../knowledge';

/**
 * The merchant's figures, computed in SQL aggregates (docs/analytics.md defines each one). Every
 * query is scoped by shop and by the conversations that started in [from, to); a conversation's
 * turns belong to the day it started. Which turn counts as "not answered" is decided here once
 * (the `judged` rows below) and shared by the rates, the per-day figures and the unanswered list.
 */

export interface AnalyticsScope {
  shopId: string;
  from: Date;
  to: Date;
  /** IANA zone for the days (the shop's). */
  timeZone: string;
  /** The dialogue's fallback skill (shop knowledge): its unresolved turns are the bot's misses. */
  fallbackSkill: string;
  /** Channels left out everywhere (the merchant's test console). */
  excludeChannels: readonly string[];
}

export interface DayFigures {
  day: string;
  conversations: number;
  /** Conversations of the day with at least one handoff. */
  handoffs: number;
  /** Unanswered user turns in the day's conversations. */
  fallbacks: number;
  /** User turns the bot handled in the day's conversations. */
  botTurns: number;
  /** Conversations without a handoff whose last bot-handled turn was answered. */
  selfServed: number;
}

export interface AnalyticsSummary {
  days: DayFigures[];
  byChannel: Record<string, number>;
  topIntents: { intent: string; count: number }[];
  satisfaction: { five: number; answers: number };
}

export type UnansweredReason = 'fallback' | 'didYouMean' | 'handoff';

export interface UnansweredMessage {
  text: string;
  locale: string | null;
  reason: UnansweredReason;
  createdAt: string;
}

/** The postback of the satisfaction question (bot/router.ts: `dialogue:csat:5|3|1`). */
const CSAT_PAYLOAD = '^dialogue:csat:[0-9]+$';
/** A "did you mean" suggestion clicked: the shop-knowledge skill's postback (`faq:<entryId>`). */
const FAQ_CLICK = 'faq:%';
/** A skill that threw: the customer got an apology (bot/turn.ts). */
const ERROR_SKILL = 'error';

export class AnalyticsRepo {
  constructor(private readonly db: Db) {}

  async summary(scope: AnalyticsScope): Promise<AnalyticsSummary> {
    const [days, channels, intents, csat] = await Promise.all([
      this.rows<{
        day: string;
        conversations: number;
        handoffs: number;
        fallbacks: number;
        bot_turns: number;
        self_served: number;
      }>(sql`
        ${judged(scope)},
        per_conversation as (
          select conversation_id,
                 count(*) filter (where routed)::int as bot_turns,
                 count(*) filter (where failed)::int as fallbacks,
                 (array_agg(failed order by seq desc) filter (where routed))[1] as ended_failed
            from judged group by conversation_id
        ),
        handed as (
          select distinct h.conversation_id from handoffs h
           where h.shop_id = ${scope.shopId} and h.conversation_id in (select id from conv)
        )
        select conv.day,
               count(*)::int as conversations,
               count(handed.conversation_id)::int as handoffs,
               coalesce(sum(pc.fallbacks), 0)::int as fallbacks,
               coalesce(sum(pc.bot_turns), 0)::int as bot_turns,
               (count(*) filter (where handed.conversation_id is null and not coalesce(pc.ended_failed, false)))::int
                 as self_served
          from conv
          left join per_conversation pc on pc.conversation_id = conv.id
          left join handed on handed.conversation_id = conv.id
         group by conv.day
         order by conv.day`),
      this.rows<{ channel: string; count: number }>(sql`
        ${conversationsIn(scope)}
        select channel, count(*)::int as count from conv group by channel order by channel`),
      this.rows<{ intent: string; count: number }>(sql`
        ${conversationsIn(scope)}
        select m.nlu->>'intent' as intent, count(*)::int as count
          from messages m join conv on conv.id = m.conversation_id
         where m.shop_id = ${scope.shopId} and m.role = 'user' and m.nlu->>'intent' is not null
         group by 1 order by 2 desc, 1 limit 10`),
      this.rows<{ five: number; answers: number }>(sql`
        ${conversationsIn(scope)}
        select (count(*) filter (where m.payload = 'dialogue:csat:5'))::int as five, count(*)::int as answers
          from messages m join conv on conv.id = m.conversation_id
         where m.shop_id = ${scope.shopId} and m.role = 'user' and m.payload ~ ${CSAT_PAYLOAD}`),
    ]);
    return {
      days: days.map((d) => ({
        day: d.day,
        conversations: Number(d.conversations),
        handoffs: Number(d.handoffs),
        fallbacks: Number(d.fallbacks),
        botTurns: Number(d.bot_turns),
        selfServed: Number(d.self_served),
      })),
      byChannel: Object.fromEntries(channels.map((c) => [c.channel, Number(c.count)])),
      topIntents: intents.map((i) => ({ intent: i.intent, count: Number(i.count) })),
      satisfaction: { five: Number(csat[0]?.five ?? 0), answers: Number(csat[0]?.answers ?? 0) },
    };
  }

  /**
   * The customers' words behind the unanswered turns, newest first, at most `limit` (the caller
   * asks for one more to learn whether the list was cut).
   */
  async unanswered(scope: AnalyticsScope, limit: number): Promise<UnansweredMessage[]> {
    const rows = await this.rows<{
      text: string;
      locale: string | null;
      reason: string;
      created_at: string;
    }>(sql`
      ${judged(scope)}
      select text, locale, reason, created_at::text as created_at from judged
       where failed and text is not null and btrim(text) <> ''
       order by created_at desc, seq desc
       limit ${limit}`);
    return rows.map((r) => ({
      text: r.text,
      locale: r.locale,
      reason: r.reason as UnansweredReason,
      createdAt: r.created_at,
    }));
  }

  /** Shops that subscribed to the daily digest (a webhook URL in their settings). */
  async digestSubscribers(): Promise<string[]> {
    const rows = await this.rows<{ shop_id: string }>(sql`
      select shop_id from shop_settings
       where coalesce(settings->'digest'->>'webhookUrl', '') <> '' order by shop_id`);
    return rows.map((r) => r.shop_id);
  }

  /**
   * Claims the digest of (shop, day) for this process: true for exactly one caller, however many
   * instances tick at once (the primary key decides, and the row lock of the conflict update).
   * A day whose send failed, or stalled in `sending` (the process died), is claimed again after
   * `retryAfterMs`, up to `maxAttempts` sends in all.
   */
  async claimDigest(
    shopId: string,
    day: string,
    opts: { now: Date; retryAfterMs: number; maxAttempts: number },
  ): Promise<boolean> {
    const retryBefore = new Date(opts.now.getTime() - opts.retryAfterMs);
    const rows = await this.rows<{ day: string }>(sql`
      insert into digest_runs (shop_id, day, status, attempts, created_at, updated_at)
      values (${shopId}, ${day}, 'sending', 1, ${opts.now}, ${opts.now})
      on conflict (shop_id, day) do update
         set status = 'sending', attempts = digest_runs.attempts + 1, updated_at = ${opts.now}
       where digest_runs.status in ('failed', 'sending')
         and digest_runs.updated_at < ${retryBefore}
         and digest_runs.attempts < ${opts.maxAttempts}
      returning day`);
    return rows.length === 1;
  }

  async finishDigest(shopId: string, day: string, status: 'sent' | 'failed', now: Date): Promise<void> {
    await this.db.execute(
      sql`update digest_runs set status = ${status}, updated_at = ${now}
           where shop_id = ${shopId} and day = ${day}`,
    );
  }

  async digestStatus(shopId: string, day: string): Promise<string | undefined> {
    const rows = await this.rows<{ status: string }>(
      sql`select status from digest_runs where shop_id = ${shopId} and day = ${day}`,
    );
    return rows[0]?.status;
  }

  private async rows<T>(query: SQL): Promise<T[]> {
    // PGlite and node-postgres both answer raw queries with `{ rows }`.
    const result = (await this.db.execute(query)) as unknown as { rows: T[] };
    return result.rows;
  }
}

/** `with conv as (…)`: the shop's conversations that started in the range, with their local day. */
function conversationsIn(scope: AnalyticsScope): SQL {
  const excluded = scope.excludeChannels.length
    ? sql`and c.channel not in (${sql.join(
        scope.excludeChannels.map((c) => sql`${c}`),
        sql`, `,
      )})`
    : sql``;
  return sql`
    with conv as (
      select c.id, c.channel, c.locale,
             to_char(c.created_at at time zone ${scope.timeZone}, 'YYYY-MM-DD') as day
        from conversations c
       where c.shop_id = ${scope.shopId}
         and c.created_at >= ${scope.from.toISOString()}::timestamptz
         and c.created_at < ${scope.to.toISOString()}::timestamptz
         ${excluded}
    )`;
}

/**
 * `conv`, then `judged`: every user message of those conversations with
 * - routed: the bot handled the turn (`nlu.route` is stored; absent while a person held it);
 * - failed: the bot could not answer it — the fallback skill ended unresolved ("not found", or
 *   "did you mean" whose suggestions the customer's next message did not click), or a skill failed;
 * - reason: handoff (a handoff was requested in this turn or the customer's next one),
 *   didYouMean (suggestions offered, none clicked) or fallback.
 */
function judged(scope: AnalyticsScope): SQL {
  return sql`
    ${conversationsIn(scope)},
    all_messages as (
      select m.seq, m.conversation_id, m.role, m.text, m.payload, m.nlu, m.created_at, conv.locale,
             lag(m.created_at) over (partition by m.conversation_id order by m.seq) as prev_at
        from messages m join conv on conv.id = m.conversation_id
       where m.shop_id = ${scope.shopId}
    ),
    user_turns as (
      select u.*,
             (u.nlu->'route') is not null as routed,
             coalesce(
               u.nlu->'route'->>'skill' = ${ERROR_SKILL}
               or (u.nlu->'route'->>'skill' = ${scope.fallbackSkill}
                   and (u.nlu->'route'->>'unresolved')::boolean),
               false) as unresolved,
             coalesce((u.nlu->'knowledge'->0->>'score')::float8, 0) >= ${SUGGEST_SCORE}
               and u.nlu->'route'->>'skill' = ${scope.fallbackSkill} as suggested,
             exists (
               select 1 from handoffs h
                where h.shop_id = ${scope.shopId} and h.conversation_id = u.conversation_id
                  and h.created_at <= u.created_at
                  and (u.prev_at is null or h.created_at > u.prev_at)
             ) as requested_handoff
        from all_messages u
       where u.role = 'user'
    ),
    with_next as (
      select t.*,
             lead(t.payload) over (partition by t.conversation_id order by t.seq) as next_payload,
             lead(t.requested_handoff) over (partition by t.conversation_id order by t.seq) as next_handoff
        from user_turns t
    ),
    judged as (
      select w.*,
             w.unresolved and not (w.suggested and coalesce(w.next_payload like ${FAQ_CLICK}, false)) as failed,
             case when w.requested_handoff or coalesce(w.next_handoff, false) then 'handoff'
                  when w.suggested then 'didYouMean'
                  else 'fallback' end as reason
        from with_next w
    )`;
}

import type { Platform } from '../../bot/platform';
import { shopTimeZone } from '../../bot/settings';
import type { AnalyticsScope, UnansweredReason } from '../../bot/store/analytics.repo';
import type { Shop, ShopSettings } from '../../bot/store/shops.repo';
import { type QuestionCluster, clusterQuestions } from '../../nlu/knowledge/cluster';
import type { AnalyticsReport, UnansweredCluster } from './analytics.schemas';
import { CONSOLE_CHANNEL } from './console.routes';

/** The unanswered questions are clustered from at most this many messages, the newest. */
export const UNANSWERED_SAMPLE = 5000;
/** Clusters returned. */
export const UNANSWERED_CLUSTERS = 50;
const REASONS: readonly UnansweredReason[] = ['fallback', 'didYouMean', 'handoff'];

/**
 * The shop's figures for a range (docs/analytics.md): counts and rates from the store's SQL
 * aggregates, and the unanswered questions clustered with the knowledge matcher's representation,
 * each with the shop's nearest entry so the merchant can add the question to it.
 */
export class AnalyticsService {
  constructor(private readonly platform: Pick<Platform, 'store' | 'models' | 'router'>) {}

  async report(
    shop: Shop,
    settings: ShopSettings,
    range: { from: Date; to: Date },
    opts: { clusters?: number } = {},
  ): Promise<AnalyticsReport> {
    const { store } = this.platform;
    const timeZone = shopTimeZone(settings);
    const scope: AnalyticsScope = {
      shopId: shop.id,
      from: range.from,
      to: range.to,
      timeZone,
      fallbackSkill: this.platform.router.fallbackSkillId,
      excludeChannels: [CONSOLE_CHANNEL],
    };
    const [summary, messages] = await Promise.all([
      store.analytics.summary(scope),
      store.analytics.unanswered(scope, UNANSWERED_SAMPLE + 1),
    ]);
    const sampled = messages.length > UNANSWERED_SAMPLE;
    const clusters = clusterQuestions(messages.slice(0, UNANSWERED_SAMPLE), REASONS).slice(
      0,
      opts.clusters ?? UNANSWERED_CLUSTERS,
    );

    const byDate = new Map(summary.days.map((d) => [d.day, d]));
    const total = { conversations: 0, handoffs: 0, fallbacks: 0, botTurns: 0, selfServed: 0 };
    for (const d of summary.days) {
      total.conversations += d.conversations;
      total.handoffs += d.handoffs;
      total.fallbacks += d.fallbacks;
      total.botTurns += d.botTurns;
      total.selfServed += d.selfServed;
    }
    const share = (n: number, of: number) => (of > 0 ? n / of : 0);
    return {
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      timezone: timeZone,
      conversations: total.conversations,
      userMessages: total.botTurns,
      selfServiceRate: share(total.selfServed, total.conversations),
      handoffRate: share(total.handoffs, total.conversations),
      fallbackRate: share(total.fallbacks, total.botTurns),
      satisfaction: summary.satisfaction.answers
        ? summary.satisfaction.five / summary.satisfaction.answers
        : null,
      satisfactionResponses: summary.satisfaction.answers,
      byDay: daysOf(range, timeZone).map((day) => {
        const d = byDate.get(day);
        return {
          day,
          conversations: d?.conversations ?? 0,
          handoffs: d?.handoffs ?? 0,
          fallbacks: d?.fallbacks ?? 0,
        };
      }),
      byChannel: summary.byChannel,
      topIntents: summary.topIntents,
      unanswered: await this.withSuggestions(shop, clusters),
      unansweredSampled: sampled,
    };
  }

  /** The shop's nearest entry for each cluster's representative question, as the bot would match it today. */
  private async withSuggestions(
    shop: Shop,
    clusters: QuestionCluster<UnansweredReason>[],
  ): Promise<UnansweredCluster[]> {
    if (clusters.length === 0) return [];
    const model = await this.platform.models.get(shop.id);
    const out: UnansweredCluster[] = [];
    for (const c of clusters) {
      const best = (await model.parse({ text: c.text, locale: c.locale })).knowledge[0];
      out.push({
        text: c.text,
        count: c.count,
        examples: c.examples,
        reasons: c.reasons,
        ...(best
          ? {
              suggestedEntry: {
                id: best.id,
                question: best.question,
                score: Math.round(best.score * 1000) / 1000,
              },
            }
          : {}),
      });
    }
    return out;
  }
}

// Days in a time zone. A "day" is the shop's calendar date, YYYY-MM-DD.

const dayFormatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar date of `at` in `timeZone`. */
export function localDay(at: Date, timeZone: string): string {
  let f = dayFormatters.get(timeZone);
  if (!f) {
    // en-CA formats as YYYY-MM-DD.
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormatters.set(timeZone, f);
  }
  return f.format(at);
}

export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** The instant the shop's day begins (local midnight; DST-safe: the offset is re-read at the result). */
export function startOfLocalDay(day: string, timeZone: string): Date {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const utcMidnight = Date.UTC(y, m - 1, d);
  let at = utcMidnight - offsetMs(new Date(utcMidnight), timeZone);
  at = utcMidnight - offsetMs(new Date(at), timeZone);
  return new Date(at);
}

/** How far `timeZone`'s wall clock is ahead of UTC at `at`. */
function offsetMs(at: Date, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  const wall = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return wall - (at.getTime() - at.getMilliseconds());
}

/** Every local day the range touches, from's day to the day of the range's last instant. */
export function daysOf(range: { from: Date; to: Date }, timeZone: string): string[] {
  const last = localDay(new Date(range.to.getTime() - 1), timeZone);
  const days: string[] = [];
  for (let day = localDay(range.from, timeZone); day <= last && days.length <= 400; day = addDays(day, 1)) {
    days.push(day);
  }
  return days;
}

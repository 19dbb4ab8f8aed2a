import { shopTimeZone } from '../../bot/settings';
import type { Shop, ShopSettings } from '../../bot/store/shops.repo';
import { type AnalyticsService, addDays, localDay, startOfLocalDay } from '../api/analytics.service';
import type { Digest } from '../api/analytics.schemas';
import { DIGEST_CLUSTERS, renderDigestHtml } from './digest.render';

/** The digest's language: the one the merchant chose, else the shop's first. */
export function digestLocale(shop: Shop, settings: ShopSettings): 'zh-CN' | 'en-US' {
  const chosen = settings.digest?.locale ?? shop.locales[0] ?? 'zh-CN';
  return chosen.startsWith('zh') ? 'zh-CN' : 'en-US';
}

/** The shop's day before `now` (the last day that has ended, in its time zone). */
export function previousDay(now: Date, settings: ShopSettings): string {
  return addDays(localDay(now, shopTimeZone(settings)), -1);
}

/** One local day's figures and its top unanswered clusters, as JSON and as e-mail-ready HTML. */
export async function buildDigest(
  analytics: AnalyticsService,
  shop: Shop,
  settings: ShopSettings,
  day: string,
): Promise<{ digest: Digest; html: string }> {
  const timeZone = shopTimeZone(settings);
  const range = { from: startOfLocalDay(day, timeZone), to: startOfLocalDay(addDays(day, 1), timeZone) };
  const figures = await analytics.report(shop, settings, range, { clusters: DIGEST_CLUSTERS });
  const digest: Digest = { shopId: shop.id, day, locale: digestLocale(shop, settings), figures };
  return { digest, html: renderDigestHtml(digest, settings.profile?.name ?? shop.name) };
}

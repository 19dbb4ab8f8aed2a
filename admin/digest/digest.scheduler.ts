import type { Logger } from '../../bot/log';
import type { Store } from '../../bot/store/store';
import { signKefuRequest } from '../../commerce/signature';
import type { AnalyticsService } from '../api/analytics.service';
import { buildDigest, previousDay } from './digest.service';

/** How often the scheduler looks for shops whose day has ended. */
export const DIGEST_INTERVAL_MS = 5 * 60 * 1000;
/** The webhook call's limit. */
export const DIGEST_TIMEOUT_MS = 5000;
/** A failed send, or one stalled by a process that died, is tried again after this long … */
export const DIGEST_RETRY_AFTER_MS = 30 * 60 * 1000;
/** … up to this many sends of one day. */
export const DIGEST_MAX_ATTEMPTS = 3;

export interface DigestSchedulerDeps {
  store: Store;
  analytics: AnalyticsService;
  log: Logger;
  /** Injectable so a test can run "the next morning" at once. */
  clock?: () => Date;
  intervalMs?: number;
  fetch?: typeof fetch;
}

/**
 * Once a day per subscribed shop, the digest of the shop's previous day is POSTed to its webhook,
 * signed like the calls to a commerce backend (X-Kefu-Timestamp, X-Kefu-Signature =
 * "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body))). Every instance ticks; the one
 * whose claim of the day in digest_runs succeeds sends, so a day goes out once however many run. A
 * failed send (or one a dying process left in `sending`) is claimed again half an hour later, three
 * sends at most.
 */
export class DigestScheduler {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly deps: DigestSchedulerDeps) {}

  start(): void {
    if (this.timer) return;
    const interval = this.deps.intervalMs ?? DIGEST_INTERVAL_MS;
    this.timer = setInterval(() => void this.tick(), interval);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One look at every subscribed shop; resolves when this tick's digests are sent (or failed). */
  tick(): Promise<void> {
    // Ticks do not overlap: a slow webhook must not make the next tick send the same day twice.
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<void> {
    const { store, log } = this.deps;
    let shopIds: string[];
    try {
      shopIds = await store.analytics.digestSubscribers();
    } catch (err) {
      log.warn({ err }, 'digest: could not list the subscribed shops');
      return;
    }
    for (const shopId of shopIds) {
      try {
        await this.sendFor(shopId);
      } catch (err) {
        log.warn({ err, shopId }, 'digest: failed');
      }
    }
  }

  private async sendFor(shopId: string): Promise<void> {
    const { store, log } = this.deps;
    const now = this.deps.clock?.() ?? new Date();
    const [shop, settings] = await Promise.all([
      store.shops.findById(shopId),
      store.shops.getSettings(shopId),
    ]);
    const url = settings.digest?.webhookUrl;
    if (!shop || !url) return;
    const day = previousDay(now, settings);
    const claim = { now, retryAfterMs: DIGEST_RETRY_AFTER_MS, maxAttempts: DIGEST_MAX_ATTEMPTS };
    if (!(await store.analytics.claimDigest(shopId, day, claim))) return;

    let status: 'sent' | 'failed' = 'failed';
    try {
      const { digest, html } = await buildDigest(this.deps.analytics, shop, settings, day);
      const body = JSON.stringify({ shopId, day, figures: digest.figures, html });
      const timestamp = String(Math.floor(now.getTime() / 1000));
      const res = await (this.deps.fetch ?? globalThis.fetch)(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-kefu-timestamp': timestamp,
          'x-kefu-signature': signKefuRequest(
            settings.digest?.secret ?? shop.identitySecret,
            timestamp,
            body,
          ),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(DIGEST_TIMEOUT_MS),
      });
      await res.body?.cancel().catch(() => undefined);
      status = res.ok ? 'sent' : 'failed';
      // The URL may carry a token: only the shop, the day and the status are logged.
      log.info({ shopId, day, status: res.status }, 'digest delivered');
    } catch (err) {
      log.warn({ shopId, day, err: (err as Error).name }, 'digest: webhook call failed');
    } finally {
      await store.analytics.finishDigest(shopId, day, status, now);
    }
  }
}

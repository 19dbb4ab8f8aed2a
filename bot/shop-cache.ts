import { type EventBus, topics } from './events';
import type { Shop, ShopSettings } from './store/shops.repo';
import type { Store } from './store/store';

interface Entry {
  shop: Shop;
  settings: ShopSettings;
  at: number;
}

/**
 * The shop and its settings for the turn pipeline, cached for `ttlMs`: every turn needs them and
 * they rarely change. A settings update in any instance invalidates the entry everywhere (event
 * bus); the TTL bounds staleness should that event be lost.
 */
export class ShopCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: Store,
    private readonly ttlMs = 5_000,
  ) {}

  async listen(events: EventBus): Promise<void> {
    await events.subscribe(topics.shopUpdated, (event) => {
      const shopId = (event as { shopId?: unknown }).shopId;
      if (typeof shopId === 'string') this.entries.delete(shopId);
    });
  }

  async get(shopId: string): Promise<Entry | undefined> {
    const cached = this.entries.get(shopId);
    if (cached && Date.now() - cached.at < this.ttlMs) return cached;
    const shop = await this.store.shops.findById(shopId);
    if (!shop) {
      this.entries.delete(shopId);
      return undefined;
    }
    const entry = { shop, settings: await this.store.shops.getSettings(shopId), at: Date.now() };
    this.entries.set(shopId, entry);
    return entry;
  }
}

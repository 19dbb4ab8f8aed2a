import type { NluEngine, NluModel } from './nlu';
import type { Store } from './store/store';

interface Cached {
  version: number;
  model: NluModel;
  checkedAt: number;
}

/**
 * Each shop's newest published NLU model, loaded from the database and cached. A publish in any
 * process is seen here within `recheckMs` (or at once, via `invalidate`, on a model.published event).
 */
export class ModelRegistry {
  private readonly cache = new Map<string, Cached>();
  private readonly loading = new Map<string, Promise<Cached>>();

  constructor(
    private readonly store: Store,
    private readonly engine: NluEngine,
    private readonly recheckMs = 5_000,
  ) {}

  async get(shopId: string): Promise<NluModel> {
    const cached = this.cache.get(shopId);
    if (cached && Date.now() - cached.checkedAt < this.recheckMs) return cached.model;
    let pending = this.loading.get(shopId);
    if (!pending) {
      pending = this.refresh(shopId, cached).finally(() => this.loading.delete(shopId));
      this.loading.set(shopId, pending);
    }
    return (await pending).model;
  }

  invalidate(shopId: string): void {
    const cached = this.cache.get(shopId);
    if (cached) cached.checkedAt = 0;
  }

  private async refresh(shopId: string, cached: Cached | undefined): Promise<Cached> {
    const version = await this.store.models.latestVersion(shopId);
    if (cached && cached.version === version) {
      cached.checkedAt = Date.now();
      return cached;
    }
    let model: NluModel;
    if (version === 0) {
      // Never published: the built-in intents only, no shop knowledge yet.
      const shop = await this.store.shops.findById(shopId);
      model = this.engine.load(
        await this.engine.train({ shopId, locales: shop?.locales ?? [], knowledge: [] }),
      );
    } else {
      const latest = await this.store.models.latest(shopId);
      model = this.engine.load(latest?.artifact);
    }
    const next = { version, model, checkedAt: Date.now() };
    this.cache.set(shopId, next);
    return next;
  }
}

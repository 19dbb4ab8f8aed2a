import type { NluEngine, NluModel } from './nlu';
import type { KnowledgeEntry } from './store/knowledge.repo';
import type { Store } from './store/store';

interface Cached {
  version: number;
  /** The shop's knowledge revision the model was loaded with (entries saved since publish count). */
  revision: string;
  artifact: unknown;
  model: NluModel;
  /** The entries the model matches against (read with the revision above). */
  entries: KnowledgeEntry[];
  checkedAt: number;
}

/**
 * Each shop's newest published NLU model, loaded from the database and cached, over the shop's
 * knowledge as it is now: an entry saved or deleted since the last publish is matched (or gone) at
 * once. A publish or knowledge change in any process is seen here within `recheckMs` (or at once,
 * via `invalidate`, on a model.published or knowledge.changed event).
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
    return (await this.current(shopId)).model;
  }

  /**
   * The shop's knowledge entries, as fresh as the model's (skills read them on every fallback and
   * FAQ button: from here, not from the database each time).
   */
  async entries(shopId: string): Promise<KnowledgeEntry[]> {
    return (await this.current(shopId)).entries;
  }

  private async current(shopId: string): Promise<Cached> {
    const cached = this.cache.get(shopId);
    if (cached && Date.now() - cached.checkedAt < this.recheckMs) return cached;
    let pending = this.loading.get(shopId);
    if (!pending) {
      pending = this.refresh(shopId, cached).finally(() => this.loading.delete(shopId));
      this.loading.set(shopId, pending);
    }
    return pending;
  }

  invalidate(shopId: string): void {
    const cached = this.cache.get(shopId);
    if (cached) cached.checkedAt = 0;
  }

  private async refresh(shopId: string, cached: Cached | undefined): Promise<Cached> {
    const [version, revision] = await Promise.all([
      this.store.models.latestVersion(shopId),
      this.store.knowledge.revision(shopId),
    ]);
    if (cached && cached.version === version && cached.revision === revision) {
      cached.checkedAt = Date.now();
      return cached;
    }
    let artifact: unknown;
    if (cached && cached.version === version) {
      artifact = cached.artifact;
    } else if (version === 0) {
      // Never published: the built-in intents, and the shop's entries matched lexically.
      const shop = await this.store.shops.findById(shopId);
      artifact = await this.engine.train({ shopId, locales: shop?.locales ?? [], knowledge: [] });
    } else {
      artifact = (await this.store.models.latest(shopId))?.artifact;
    }
    const entries = await this.store.knowledge.list(shopId);
    const model = this.engine.load(artifact, entries);
    const next = { version, revision, artifact, model, entries, checkedAt: Date.now() };
    this.cache.set(shopId, next);
    return next;
  }
}

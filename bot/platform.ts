import { Redis } from 'ioredis';
import { TurnAdmission } from './admission';
import type { Config } from './config';
import { type EventBus, MemoryEventBus, RedisEventBus } from './events';
import { deploymentNamespace } from './jobs/namespace';
import { JobRunner } from './jobs/runner';
import { type ConversationLock, MemoryLock } from './lock/lock';
import { RedisLock } from './lock/redis.lock';
import type { Logger } from './log';
import { Metrics } from './metrics';
import { ModelRegistry } from './models';
import type { NluEngine } from './nlu';
import { registerPublishJob } from './publish';
import { RateLimiter } from './rate-limit';
import { SkillRouter } from './router';
import { ShopCache } from './shop-cache';
import type { Skill } from './skill';
import { openDatabase } from './store/db';
import type { KnowledgeEntry } from './store/knowledge.repo';
import { Store } from './store/store';
import { type ProactiveProvider, TurnPipeline } from './turn';
import { withTimeout } from './timeout';
import { HandoffService } from './handoff/handoff.service';
import type { CustomerDirectory } from './handoff/context';
import { handoffTurnPolicies } from './handoff/turn-policies';

/** The bot's services, built once by main.ts and handed to the channels and the admin. */
export interface Platform {
  config: Config;
  adminToken: string;
  log: Logger;
  metrics: Metrics;
  store: Store;
  events: EventBus;
  lock: ConversationLock;
  models: ModelRegistry;
  router: SkillRouter;
  turns: TurnPipeline;
  /** The instance's turn slots and queue (back-pressure). */
  admission: TurnAdmission;
  /** Each shop and its settings, cached; invalidated on shop.updated in every instance. */
  shops: ShopCache;
  handoffs: HandoffService;
  jobs: JobRunner;
  redis?: Redis;
  /** A limit per key, shared by every instance when Redis is configured; `name` names its keys. */
  rateLimiter(name: string, capacity: number, refillPerSecond: number): RateLimiter;
  /** Database (and Redis, when configured) answer. */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

export interface PlatformParts {
  config: Config;
  adminToken: string;
  log: Logger;
  /** Built once the store exists (it caches shared artifacts there). */
  engine: (deps: { store: Store }) => NluEngine;
  /**
   * Skills are built once the store exists. `knowledge` lists a shop's entries from the model
   * registry's cache (kept fresh on every change), not from the database each turn.
   */
  skills: (deps: { store: Store; knowledge: { list(shopId: string): Promise<KnowledgeEntry[]> } }) => Skill[];
  fallbackSkill: string;
  metrics?: Metrics;
  /** The turn's clock (relative dates, "today"); tests freeze it. */
  clock?: () => Date;
  /** 猜你想问 for a verified customer opening the chat. */
  proactive?: ProactiveProvider;
  /** Customer profiles and recent orders for the agents (and VIP routing). */
  customers?: CustomerDirectory;
}

export async function createPlatform(parts: PlatformParts): Promise<Platform> {
  const { config, log } = parts;
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    pgliteThread: config.pgliteThread,
  });
  const store = new Store(database);
  const metrics = parts.metrics ?? new Metrics();
  metrics.countQueries(() => database.queries);

  let redis: Redis | undefined;
  let redisSub: Redis | undefined;
  let events: EventBus;
  let lock: ConversationLock;
  if (config.redisUrl) {
    // No offline queue: while Redis is down a command fails at once (a turn answers 503) instead of
    // waiting through reconnect attempts, which held every request for about 20 s.
    const options = {
      maxRetriesPerRequest: 3,
      connectTimeout: 5000,
      lazyConnect: true,
      enableOfflineQueue: false,
    };
    redis = new Redis(config.redisUrl, options);
    redisSub = new Redis(config.redisUrl, options);
    for (const client of [redis, redisSub]) client.on('error', (err) => log.warn({ err }, 'redis error'));
    await Promise.all([redis.connect(), redisSub.connect()]);
    events = new RedisEventBus(redis, redisSub);
    lock = new RedisLock(redis);
  } else {
    events = new MemoryEventBus();
    lock = new MemoryLock();
  }

  const engine = parts.engine({ store });
  const models = new ModelRegistry(store, engine);
  const knowledge = { list: (shopId: string) => models.entries(shopId) };
  const router = new SkillRouter(parts.skills({ store, knowledge }), parts.fallbackSkill);
  const shops = new ShopCache(store);
  await shops.listen(events);
  const handoffs = new HandoffService({
    store,
    lock,
    events,
    log,
    metrics,
    clock: parts.clock,
    customers: parts.customers,
  });
  handoffs.start();
  const admission = new TurnAdmission(config.turnAdmission, metrics);
  const turns = new TurnPipeline({
    store,
    lock,
    models,
    router,
    shops,
    events,
    log,
    metrics,
    clock: parts.clock,
    proactive: parts.proactive,
    handoffs,
    policies: handoffTurnPolicies({ handoffs, fallbackSkillId: router.fallbackSkillId, log }),
    admission,
  });
  const namespace = deploymentNamespace(config);
  const jobs = new JobRunner(
    store.jobs,
    log,
    config.redisUrl ? { redisUrl: config.redisUrl, prefix: `kefu:${namespace}:bull` } : undefined,
  );
  await registerPublishJob({ jobs, store, engine, models, events });
  await jobs.start();

  return {
    config,
    adminToken: parts.adminToken,
    log,
    metrics,
    store,
    events,
    lock,
    models,
    router,
    turns,
    admission,
    shops,
    handoffs,
    jobs,
    redis,
    rateLimiter: (name, capacity, refillPerSecond) =>
      new RateLimiter({ name, capacity, refillPerSecond, redis, keyPrefix: `kefu:${namespace}:rl` }),
    async ready() {
      try {
        await withTimeout(database.ping(), 2000);
        if (redis) await withTimeout(redis.ping(), 2000);
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      handoffs.stop();
      await jobs.close();
      await lock.close();
      await events.close();
      if (redisSub) await redisSub.quit().catch(() => undefined);
      if (redis) await redis.quit().catch(() => undefined);
      await database.close();
    },
  };
}

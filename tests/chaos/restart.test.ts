import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { RedisEventBus } from '../../bot/events';
import { userHashFor } from '../../bot/identity';
import { openDatabase } from '../../bot/store/db';
import { Store } from '../../bot/store/store';
import { seedBuiltinIntents } from '../support/builtin-cache';
import { api } from '../support/http';
import { type KefuProcess, startKefuProcess } from '../support/process';
import { tempDir } from '../support/server';
import {
  type ChaosCommerceBackend,
  chaosCustomer,
  createChaosTenant,
  startChaosShop,
} from './support/chaos-shop';
import {
  type Sent,
  findLeaks,
  keepOutput,
  runCustomers,
  sendUntilAnswered,
  storedProblems,
} from './support/client';
import {
  type PrivatePostgres,
  type PrivateRedis,
  postgresBinDir,
  startPrivatePostgres,
  startPrivateRedis,
} from './support/private-services';

const FULL = process.env.KEFU_CHAOS === 'full';
const CUSTOMERS = 2000;
const CONCURRENCY = FULL ? 12 : 4;
/** How long each server stays down. */
const OUTAGE_MS = FULL ? 8000 : 2000;
const ADMIN_TOKEN = 'chaos-restart-admin-token-0123456789';
const COMMERCE_SECRET = 'chaos-restart-commerce-secret-0815';

function hasRedisServer(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `describe` when the private servers can be started; in CI their absence is a failure. */
function describeWithBinaries(needPostgres: boolean) {
  if (hasRedisServer() && (!needPostgres || postgresBinDir() !== undefined)) return describe;
  if (process.env.CI === 'true') throw new Error('redis-server and the PostgreSQL binaries are needed in CI');
  console.warn('redis-server or the PostgreSQL server binaries are missing: skipping a restart chaos suite');
  return describe.skip;
}

describeWithBinaries(true)('Redis and PostgreSQL restarted under load', () => {
  let dir: ReturnType<typeof tempDir>;
  let redis: PrivateRedis;
  let pg: PrivatePostgres;
  let shop: Awaited<ReturnType<typeof startChaosShop>>;
  let backend: ChaosCommerceBackend;
  let kefu: KefuProcess;
  let exited: string | undefined;
  let shopId: string;
  let apiKey: string;
  let identitySecret: string;

  beforeAll(async () => {
    dir = tempDir('kefu-chaos-restart-');
    [redis, pg] = await Promise.all([startPrivateRedis(), startPrivatePostgres()]);
    const seeded = await openDatabase({ databaseUrl: pg.url, dataDir: ':memory:' });
    await seedBuiltinIntents(new Store(seeded));
    await seeded.close();
    shop = await startChaosShop(CUSTOMERS, COMMERCE_SECRET);
    backend = shop.backend;
    kefu = await startKefuProcess(
      {
        DATABASE_URL: pg.url,
        REDIS_URL: redis.url,
        KEFU_DEMO: '0',
        KEFU_ADMIN_TOKEN: ADMIN_TOKEN,
        KEFU_DATA_DIR: dir.dir,
        KEFU_RATE_LIMIT_BURST: '1000',
        LOG_LEVEL: 'info',
        // Off the shared MQTT broker the test run may point at (an empty value disables the channel).
        MQTT_URL: '',
      },
      60_000,
    );
    kefu.child.once('exit', (code, signal) => (exited = `exit ${code} ${signal}`));
    ({ shopId, apiKey, identitySecret } = await createChaosTenant({
      createOn: kefu.url,
      adminToken: ADMIN_TOKEN,
      name: 'restart chaos',
      backendUrl: shop.server.url,
      commerceSecret: COMMERCE_SECRET,
    }));
  }, 90_000);

  afterAll(async () => {
    await kefu?.stop();
    if (kefu) keepOutput('restart-kefu', kefu.output());
    await shop?.server.close();
    await redis?.stop();
    await pg?.destroy();
    dir?.remove();
  });

  test(
    'readyz goes 503 and back, outage requests get a clean 503, no acknowledged turn lost, the process lives',
    async () => {
      // /readyz, polled throughout: the statuses in the order seen (repeats folded).
      const readiness: number[] = [];
      let polling = true;
      const poller = (async () => {
        while (polling) {
          const status = await fetch(`${kefu.url}/readyz`, { signal: AbortSignal.timeout(5000) })
            .then((r) => r.status)
            .catch(() => 0);
          if (readiness.at(-1) !== status) readiness.push(status);
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const until = async (status: number, what: string, timeoutMs = 20_000) => {
        const deadline = Date.now() + timeoutMs;
        while (readiness.at(-1) !== status) {
          if (Date.now() > deadline) throw new Error(`readyz not ${status} ${what} (seen ${readiness})`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      let answered = 0;
      const progress = async (what: string) => {
        const from = answered;
        const deadline = Date.now() + 30_000;
        while (answered < from + 5) {
          if (Date.now() > deadline) throw new Error(`no turn answered ${what}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };

      // One message sent during an outage, once: it must be refused at once, not held.
      const probes: Sent[] = [];
      const probe = async (name: string) => {
        const sent: Sent = {
          userId: chaosCustomer(CUSTOMERS - 1 - probes.length).userId,
          clientMessageId: `probe-${name}`,
          text: '你好',
          attempts: 0,
          failures: [],
        };
        probes.push(sent);
        const t0 = Date.now();
        await sendUntilAnswered(sent, {
          shopId,
          identitySecret,
          urls: () => [kefu.url],
          first: 0,
          deadline: 0,
        });
        return { sent, ms: Date.now() - t0 };
      };

      let stop = false;
      const started = Date.now();
      const load = runCustomers({
        customers: Array.from({ length: CUSTOMERS }, (_, n) => n),
        concurrency: CONCURRENCY,
        runId: 'r',
        until: () => stop,
        send: (s) =>
          sendUntilAnswered(s, {
            shopId,
            identitySecret,
            urls: () => [kefu.url],
            first: 0,
            deadline: started + (FULL ? 240_000 : 50_000),
            timeoutMs: 20_000,
          }),
        onSent: () => answered++,
      });

      await until(200, 'at the start');
      await progress('before the outages');
      // A conversation to open a live stream (SSE) on while Redis is down.
      const streamed = await api(kefu.url, 'POST', `/api/v1/shops/${shopId}/messages`, {
        token: apiKey,
        body: { userId: 'sse-probe', text: '你好' },
      });
      expect(streamed.status).toBe(200);
      const openStream = () =>
        fetch(`${kefu.url}/api/v1/shops/${shopId}/conversations/${streamed.body.conversationId}/events`, {
          headers: { authorization: `Bearer ${apiKey}` },
          signal: AbortSignal.timeout(5000),
        }).then(
          async (r) => {
            const status = r.status;
            await r.body?.cancel();
            return status;
          },
          (err: Error) => err.name,
        );

      const redisDown = Date.now();
      await redis.kill();
      await until(503, 'with Redis down');
      const redisProbe = await probe('redis');
      // Refused at once rather than answered 200 with a stream that never carries anything.
      const streamDuringOutage = await openStream();
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      await redis.start();
      const redisUp = Date.now();
      await until(200, 'after Redis came back');
      await progress('after Redis came back');

      const pgDown = Date.now();
      await pg.stop('immediate');
      await until(503, 'with PostgreSQL down');
      const pgProbe = await probe('postgres');
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      await pg.start();
      const pgUp = Date.now();
      await until(200, 'after PostgreSQL came back');
      await progress('after PostgreSQL came back');

      stop = true;
      const sent: Sent[] = await load;
      // Asked again once the servers are back, the probes are answered (and stored once, below).
      for (const p of probes) {
        await sendUntilAnswered(p, {
          shopId,
          identitySecret,
          urls: () => [kefu.url],
          first: 0,
          deadline: Date.now() + 10_000,
        });
        sent.push(p);
      }
      polling = false;
      await poller;

      const failures = sent.flatMap((s) => s.failures);
      const statuses = failures.map((f) => f.status ?? f.error);
      const within = (from: number, to: number) => failures.filter((f) => f.at >= from && f.at <= to).length;
      console.log(
        `restarts: ${sent.length} messages in ${((Date.now() - started) / 1000).toFixed(1)} s; readyz ${readiness.join(' → ')}; ` +
          `failed attempts: ${JSON.stringify(Object.fromEntries(countBy(statuses)))}, ` +
          `${within(redisDown, redisUp)} while Redis was down, ${within(pgDown, pgUp)} while PostgreSQL was down`,
      );
      expect(exited).toBeUndefined();
      for (const { sent: p, ms } of [redisProbe, pgProbe]) {
        expect([p.clientMessageId, p.failures[0]?.status, ms < 5000]).toEqual([p.clientMessageId, 503, true]);
      }
      expect(readiness).toEqual([200, 503, 200, 503, 200]);
      expect(streamDuringOutage).toBe(503);
      expect(await openStream()).toBe(200);
      expect(sent.filter((s) => !s.body).map((s) => [s.clientMessageId, s.failures.slice(-3)])).toEqual([]);
      // Requests during the outages were refused cleanly: 503 with the API's error shape, nothing internal.
      const http = failures.filter((f) => f.status !== undefined);
      expect(http.length).toBeGreaterThan(0);
      expect(new Set(http.map((f) => f.status))).toEqual(new Set([503]));
      for (const f of http) {
        const body = JSON.parse(f.body!) as { error: { code: string; message: string } };
        expect(Object.keys(body)).toEqual(['error']);
        expect(Object.keys(body.error).sort()).toEqual(['code', 'message']);
        expect([body.error.code, f.retryAfter]).toEqual(['UNAVAILABLE', '1']);
        expect(f.body).not.toMatch(/\bat \S+|ECONN|redis|postgres|sql|stack|\.ts\b/i);
      }

      expect(await storedProblems(pg.url, shopId, sent)).toEqual([]);
      expect([...backend.perTarget('refund')].filter(([, n]) => n !== 1)).toEqual([]);
      expect([...backend.perTarget('recharge')].filter(([, n]) => n !== 1)).toEqual([]);

      // A retry of an acknowledged message after both restarts still gets its original answer.
      for (const s of sent.filter((_, i) => i % 10 === 0)) {
        const again: Sent = { ...s, body: undefined, attempts: 0, failures: [] };
        await sendUntilAnswered(again, {
          shopId,
          identitySecret,
          urls: () => [kefu.url],
          first: 0,
          deadline: Date.now() + 10_000,
        });
        expect(again.body).toEqual(s.body);
      }

      const output = kefu.output();
      expect(output).not.toMatch(/unhandled rejection|uncaught|ERR_UNHANDLED/i);
      const customers = new Set(sent.map((s) => s.userId));
      const secrets = [ADMIN_TOKEN, apiKey, identitySecret, COMMERCE_SECRET];
      for (let n = 0; n < customers.size; n++) {
        secrets.push(chaosCustomer(n).phone, userHashFor(identitySecret, chaosCustomer(n).userId));
      }
      expect(findLeaks(output, secrets)).toEqual([]);
    },
    FULL ? 300_000 : 60_000,
  );
});

describeWithBinaries(false)('the event bus across a Redis restart', () => {
  test('subscriptions work again after the restart, including one refused during the outage', async () => {
    const redis = await startPrivateRedis();
    // The options the platform connects with (bot/platform.ts).
    const options = { maxRetriesPerRequest: 3, lazyConnect: true, enableOfflineQueue: false };
    const pub = new Redis(redis.url, options);
    const sub = new Redis(redis.url, options);
    for (const c of [pub, sub]) c.on('error', () => undefined);
    try {
      await Promise.all([pub.connect(), sub.connect()]);
      const bus = new RedisEventBus(pub, sub);
      const kept: unknown[] = [];
      await bus.subscribe('kept', (e) => kept.push(e));
      await redis.kill();
      await expect(bus.subscribe('t', () => undefined)).rejects.toThrow();
      await redis.start();
      const deadline = Date.now() + 15_000;
      while (pub.status !== 'ready' || sub.status !== 'ready') {
        if (Date.now() > deadline) throw new Error('ioredis did not reconnect');
        await new Promise((r) => setTimeout(r, 50));
      }
      const seen: unknown[] = [];
      await bus.subscribe('t', (e) => seen.push(e));
      await bus.publish('t', { n: 1 });
      // A subscription from before the outage is renewed by the reconnect (ioredis resubscribes).
      await bus.publish('kept', { n: 2 });
      while ((seen.length === 0 || kept.length === 0) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect([seen, kept]).toEqual([[{ n: 1 }], [{ n: 2 }]]);
    } finally {
      pub.disconnect();
      sub.disconnect();
      await redis.stop();
    }
  });
});

function countBy<T>(items: T[]): Map<T, number> {
  const counts = new Map<T, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

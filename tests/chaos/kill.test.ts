import { isDeepStrictEqual } from 'node:util';
import { userHashFor } from '../../bot/identity';
import { openDatabase } from '../../bot/store/db';
import { Store } from '../../bot/store/store';
import { seedBuiltinIntents } from '../support/builtin-cache';
import { api } from '../support/http';
import { type KefuProcess, startKefuProcess } from '../support/process';
import { tempDir } from '../support/server';
import { createTestDatabase, describeWith, serviceUrl } from '../support/services';
import {
  type ChaosCommerceBackend,
  chaosCustomer,
  createChaosTenant,
  customerOfTarget,
  startChaosShop,
} from './support/chaos-shop';
import { killTree } from './support/process-tree';
import {
  RECHARGE_CONFIRM,
  REFUND_CONFIRM,
  type Sent,
  findLeaks,
  keepOutput,
  runCustomers,
  sendUntilAnswered,
  storedProblems,
} from './support/client';

// npm test: 80 customers × 8 messages (640). npm run chaos (KEFU_CHAOS=full): 650 × 8 (5,200).
const FULL = process.env.KEFU_CHAOS === 'full';
const CUSTOMERS = FULL ? 650 : 80;
const CONCURRENCY = FULL ? 40 : 20;
/** The instance dies once this share of the messages has been answered. */
const KILL_AT = 0.4;
const ADMIN_TOKEN = 'chaos-kill-admin-token-0123456789';
const COMMERCE_SECRET = 'chaos-kill-commerce-secret-4711';

describeWith('DATABASE_URL')('kill -9 of one of two instances in the middle of the load', () => {
  let dir: ReturnType<typeof tempDir>;
  let db: { url: string; drop(): Promise<void> };
  let shop: Awaited<ReturnType<typeof startChaosShop>>;
  let backend: ChaosCommerceBackend;
  let a: KefuProcess;
  let b: KefuProcess;
  let shopId: string;
  let apiKey: string;
  let identitySecret: string;

  beforeAll(async () => {
    dir = tempDir('kefu-chaos-kill-');
    const redisUrl = serviceUrl('REDIS_URL');
    if (!redisUrl) throw new Error('REDIS_URL is needed: two instances share their locks through Redis');
    db = await createTestDatabase(serviceUrl('DATABASE_URL')!);
    // The built-in intent model, as a deployment's database holds it (no instance trains at start).
    const seeded = await openDatabase({ databaseUrl: db.url, dataDir: ':memory:' });
    await seedBuiltinIntents(new Store(seeded));
    await seeded.close();
    // Side effects answer after 500 ms: a kill in that window leaves one executed and unrecorded.
    shop = await startChaosShop(CUSTOMERS, COMMERCE_SECRET, 500);
    backend = shop.backend;
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl,
      KEFU_DEMO: '0',
      KEFU_ADMIN_TOKEN: ADMIN_TOKEN,
      KEFU_DATA_DIR: dir.dir,
      KEFU_RATE_LIMIT_BURST: '1000',
      LOG_LEVEL: 'info',
      // Off the shared MQTT broker the test run may point at (an empty value disables the channel).
      MQTT_URL: '',
    };
    [a, b] = await Promise.all([startKefuProcess(env, 60_000), startKefuProcess(env, 60_000)]);
    ({ shopId, apiKey, identitySecret } = await createChaosTenant({
      createOn: a.url,
      configureOn: b.url,
      adminToken: ADMIN_TOKEN,
      name: '双11 chaos',
      backendUrl: shop.server.url,
      commerceSecret: COMMERCE_SECRET,
    }));
  }, 120_000);

  afterAll(async () => {
    if (a?.child.pid) killTree(a.child.pid);
    await b?.stop();
    if (a && b) {
      keepOutput('kill-a', a.output());
      keepOutput('kill-b', b.output());
    }
    await shop?.server.close();
    await db?.drop();
    dir?.remove();
  });

  test(
    `${CUSTOMERS * 8} messages over both instances, one SIGKILLed: nothing lost, nothing twice`,
    async () => {
      const total = CUSTOMERS * 8;
      const started = Date.now();
      let answered = 0;
      let killedAt: number | undefined;
      let killing: Promise<void> | undefined;
      // Which instance each customer's current attempt went to (0: A, the victim).
      const attemptOn = new Map<string, number>();
      const victimHasSideEffectInFlight = () =>
        [...backend.inFlight.keys()].some((t) => attemptOn.get(customerOfTarget(t)) === 0);
      const kill = async () => {
        // Pull the plug while A waits for a side effect's answer: it dies between the backend and the commit.
        for (let i = 0; i < 200 && !victimHasSideEffectInFlight(); i++)
          await new Promise((r) => setTimeout(r, 10));
        killTree(a.child.pid!);
        killedAt = answered;
      };
      const sent = await runCustomers({
        customers: Array.from({ length: CUSTOMERS }, (_, n) => n),
        concurrency: CONCURRENCY,
        runId: 'k',
        send: (s, index) =>
          sendUntilAnswered(s, {
            shopId,
            identitySecret,
            urls: () => [a.url, b.url],
            first: index,
            deadline: started + (FULL ? 540_000 : 50_000),
            onAttempt: (target) => attemptOn.set(s.userId, target),
          }),
        onSent: () => {
          answered++;
          if (!killing && answered >= total * KILL_AT) killing = kill();
        },
      });
      await killing;
      const seconds = (Date.now() - started) / 1000;
      // Really gone: its port refuses connections.
      expect(
        await fetch(`${a.url}/healthz`).then(
          () => 'answered',
          () => 'refused',
        ),
      ).toBe('refused');

      const unanswered = sent.filter((s) => !s.body);
      const retried = sent.filter((s) => s.failures.length > 0);
      const networkFailures = sent.flatMap((s) => s.failures).filter((f) => f.error).length;
      const reexecuted = [...backend.executions.values()].filter((e) => e.requests > 1).length;
      console.log(
        `kill -9: ${sent.length} messages from ${CUSTOMERS} customers in ${seconds.toFixed(1)} s; ` +
          `instance A killed after ${killedAt} answers; ${retried.length} messages retried ` +
          `(${networkFailures} network errors, ${sent.flatMap((s) => s.failures).length - networkFailures} HTTP errors); ` +
          `answered by B: ${sent.filter((s) => s.answeredBy === 1).length}; ` +
          `side effects: ${backend.executions.size} executed, ${reexecuted} asked for again with the same key`,
      );
      expect(unanswered.map((s) => ({ key: s.clientMessageId, failures: s.failures.slice(-3) }))).toEqual([]);
      expect(sent).toHaveLength(total);
      expect(killedAt).toBeGreaterThan(0);
      expect(killedAt).toBeLessThan(total);
      // The kill was felt: requests to the dead instance failed and were answered elsewhere.
      expect(networkFailures).toBeGreaterThan(0);

      // Every acknowledged message stored exactly once, with the reply the client got.
      expect(await storedProblems(db.url, shopId, sent)).toEqual([]);

      // Every refund and recharge flow reached its confirmation and ran exactly once on the backend.
      const byCustomer = new Map<string, Sent[]>();
      for (const s of sent) byCustomer.set(s.userId, [...(byCustomer.get(s.userId) ?? []), s]);
      for (const [userId, steps] of byCustomer) {
        expect([userId, steps[REFUND_CONFIRM]!.body!.replies[0]!.text]).toEqual([
          userId,
          expect.stringMatching(/极速退款已到账/),
        ]);
        expect([userId, steps[RECHARGE_CONFIRM]!.body!.replies[0]!.text]).toEqual([
          userId,
          expect.stringMatching(/充值成功/),
        ]);
      }
      const refunds = backend.perTarget('refund');
      const recharges = backend.perTarget('recharge');
      expect([...refunds].filter(([, n]) => n !== 1)).toEqual([]);
      expect([...recharges].filter(([, n]) => n !== 1)).toEqual([]);
      expect(refunds.size).toBe(CUSTOMERS);
      expect(recharges.size).toBe(CUSTOMERS);
      // And the crash window was hit: a side effect A asked for was asked for again, same key, by B.
      expect(reexecuted).toBeGreaterThan(0);

      // A retry of an acknowledged message gets the original answer (ids and text), from the survivor.
      const replays = FULL ? sent.filter((s, i) => i % 5 === 0 || s.failures.length > 0) : sent;
      const mismatched: string[] = [];
      for (let i = 0; i < replays.length; i += CONCURRENCY) {
        await Promise.all(
          replays.slice(i, i + CONCURRENCY).map(async (s) => {
            const again: Sent = { ...s, body: undefined, attempts: 0, failures: [] };
            await sendUntilAnswered(again, {
              shopId,
              identitySecret,
              urls: () => [b.url],
              first: 0,
              deadline: Date.now() + 30_000,
            });
            if (!isDeepStrictEqual(again.body, s.body)) mismatched.push(s.clientMessageId);
          }),
        );
      }
      expect(mismatched).toEqual([]);
      expect(backend.executions.size).toBe(2 * CUSTOMERS);

      expect((await api(b.url, 'GET', '/readyz')).status).toBe(200);
      expect(b.child.exitCode).toBeNull();

      // Nothing the instances printed holds a secret, a token, a phone number or a userHash in clear.
      const secrets = [ADMIN_TOKEN, apiKey, identitySecret, COMMERCE_SECRET];
      for (let n = 0; n < CUSTOMERS; n++) {
        secrets.push(chaosCustomer(n).phone, userHashFor(identitySecret, chaosCustomer(n).userId));
      }
      const output = a.output() + b.output();
      expect(findLeaks(output, secrets)).toEqual([]);
      expect(output).not.toMatch(/unhandled rejection|uncaught/i);
    },
    FULL ? 600_000 : 60_000,
  );
});

import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { type ConversationLock, MemoryLock } from '../../bot/lock/lock';
import { RedisLock } from '../../bot/lock/redis.lock';
import { describeWith, serviceUrl } from '../support/services';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The lock contract: one holder at a time per key, arrival order, independence across keys. */
function lockContract(make: () => { locks: ConversationLock[]; cleanup(): Promise<void> }) {
  let locks: ConversationLock[];
  let cleanup: () => Promise<void>;
  beforeEach(() => ({ locks, cleanup } = make()));
  afterEach(() => cleanup());
  const key = () => `test:${randomBytes(6).toString('hex')}`;

  test('runs one at a time per key, in arrival order', async () => {
    const k = key();
    const order: number[] = [];
    let active = 0;
    let maxActive = 0;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        locks[i % locks.length]!.run(k, async () => {
          active++;
          maxActive = Math.max(maxActive, active);
          order.push(i);
          await sleep(2);
          active--;
        }),
      ),
    );
    expect(maxActive).toBe(1);
    expect(order).toHaveLength(20);
    // Each holder keeps its own callers in arrival order.
    for (let h = 0; h < locks.length; h++) {
      const mine = order.filter((i) => i % locks.length === h);
      expect(mine).toEqual([...mine].sort((a, b) => a - b));
    }
  });

  test('different keys do not wait for each other', async () => {
    const [k1, k2] = [key(), key()];
    let releaseFirst!: () => void;
    const first = locks[0]!.run(k1, () => new Promise<void>((r) => (releaseFirst = r)));
    const second = await locks[0]!.run(k2, async () => 'done');
    expect(second).toBe('done');
    releaseFirst();
    await first;
  });

  test('a failing holder releases the lock', async () => {
    const k = key();
    await expect(locks[0]!.run(k, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(locks[locks.length - 1]!.run(k, async () => 42)).resolves.toBe(42);
  });
}

describe('lock contract: in-process', () => {
  lockContract(() => {
    const lock = new MemoryLock();
    return { locks: [lock], cleanup: () => lock.close() };
  });
});

describeWith('REDIS_URL')('lock contract: Redis, two independent holders (as two processes)', () => {
  lockContract(() => {
    const clients = [new Redis(serviceUrl('REDIS_URL')!), new Redis(serviceUrl('REDIS_URL')!)];
    return {
      locks: clients.map((c) => new RedisLock(c)),
      cleanup: async () => {
        await Promise.all(clients.map((c) => c.quit()));
      },
    };
  });

  test('a process that stalls between Redis calls never holds it together with a fast one', async () => {
    // A busy event loop pauses a process after each Redis reply; the lock must not depend on the
    // gap between two of its calls (taking a ticket and joining the queue once were two calls).
    const stalled = (redis: Redis): Redis =>
      new Proxy(redis, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            const result = value.apply(target, args);
            if (!result || typeof result.then !== 'function') return result;
            return result.then(async (reply: unknown) => (await sleep(15), reply));
          };
        },
      });
    const clients = [new Redis(serviceUrl('REDIS_URL')!), new Redis(serviceUrl('REDIS_URL')!)];
    const slow = new RedisLock(stalled(clients[0]!));
    const fast = new RedisLock(clients[1]!);
    let active = 0;
    let maxActive = 0;
    const hold = async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await sleep(40);
      active--;
    };
    for (let round = 0; round < 5; round++) {
      const k = `test:${randomBytes(6).toString('hex')}`;
      const first = slow.run(k, hold);
      await sleep(1);
      await Promise.all([first, fast.run(k, hold)]);
    }
    await Promise.all(clients.map((c) => c.quit()));
    expect(maxActive).toBe(1);
  });

  test('a crashed holder (lease never renewed) blocks others for at most one lease', async () => {
    const redis = new Redis(serviceUrl('REDIS_URL')!);
    const k = `test:${randomBytes(6).toString('hex')}`;
    // A dead waiter at the head of the queue: its lease key does not exist.
    await redis.zadd(`kefu:lock:{${k}}:queue`, 0, 'dead-token');
    const lock = new RedisLock(redis, { leaseMs: 500 });
    const started = Date.now();
    await expect(lock.run(k, async () => 'ok')).resolves.toBe('ok');
    expect(Date.now() - started).toBeLessThan(500);
    await redis.quit();
  });
});

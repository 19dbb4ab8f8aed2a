import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RateLimiter } from './rate-limit';
import { describeWith, serviceUrl } from '../tests/support/services';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const unique = (what: string) => `${what}-${randomBytes(6).toString('hex')}`;

async function takeMany(limiters: RateLimiter[], key: string, n: number): Promise<boolean[]> {
  const out: boolean[] = [];
  for (let i = 0; i < n; i++) out.push(await limiters[i % limiters.length]!.take(key));
  return out;
}

describe('in-process', () => {
  test('a burst up to capacity, then the steady rate, per key', async () => {
    const limiter = new RateLimiter({ name: unique('mem'), capacity: 5, refillPerSecond: 1 });
    expect(await takeMany([limiter], 'a', 6)).toEqual([true, true, true, true, true, false]);
    expect(await limiter.take('b')).toBe(true);
    await sleep(1_100);
    // One more a second: the burst itself comes back only after capacity / rate seconds.
    expect(await takeMany([limiter], 'a', 2)).toEqual([true, false]);
  });

  test('allows() looks without taking: a limit that counts only failures', async () => {
    const limiter = new RateLimiter({ name: unique('mem'), capacity: 3, refillPerSecond: 1 / 60 });
    for (let i = 0; i < 5; i++) expect(await limiter.allows('guess')).toBe(true);
    await takeMany([limiter], 'guess', 3);
    expect(await limiter.allows('guess')).toBe(false);
    expect(await limiter.allows('someone-else')).toBe(true);
  });

  test('two processes without Redis each count on their own', async () => {
    const name = unique('mem');
    const a = new RateLimiter({ name, capacity: 4, refillPerSecond: 1 / 60 });
    const b = new RateLimiter({ name, capacity: 4, refillPerSecond: 1 / 60 });
    expect((await takeMany([a, b], 'k', 8)).filter(Boolean)).toHaveLength(8);
  });
});

describeWith('REDIS_URL')('on Redis', () => {
  const url = serviceUrl('REDIS_URL')!;
  const clients: Redis[] = [];
  const client = (target = url) => {
    const c = new Redis(target, { maxRetriesPerRequest: 1, lazyConnect: true });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  });

  test('two instances share one customer\u2019s limit', async () => {
    const name = unique('shared');
    const [ra, rb] = [client(), client()];
    await Promise.all([ra.connect(), rb.connect()]);
    const a = new RateLimiter({ name, capacity: 6, refillPerSecond: 1 / 60, redis: ra });
    const b = new RateLimiter({ name, capacity: 6, refillPerSecond: 1 / 60, redis: rb });
    const results = await takeMany([a, b], 'shop:u-1', 12);
    expect(results).toEqual([...Array(6).fill(true), ...Array(6).fill(false)]);
    expect(await a.allows('shop:u-1')).toBe(false);
    expect(await b.take('shop:u-2')).toBe(true);
  });

  test('the steady rate comes back on Redis too', async () => {
    const name = unique('rate');
    const r = client();
    await r.connect();
    const limiter = new RateLimiter({ name, capacity: 4, refillPerSecond: 1, redis: r });
    expect(await takeMany([limiter], 'k', 5)).toEqual([true, true, true, true, false]);
    await sleep(1_100);
    expect(await takeMany([limiter], 'k', 2)).toEqual([true, false]);
  });

  test('with Redis down, the limit still holds in-process and nothing throws', async () => {
    // Nothing listens on port 1: the client never becomes ready.
    const down = client('redis://127.0.0.1:1');
    down.connect().catch(() => undefined);
    const limiter = new RateLimiter({
      name: unique('down'),
      capacity: 3,
      refillPerSecond: 1 / 60,
      redis: down,
    });
    const started = Date.now();
    expect(await takeMany([limiter], 'k', 4)).toEqual([true, true, true, false]);
    expect(await limiter.allows('k')).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

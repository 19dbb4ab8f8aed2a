import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { type EventBus, MemoryEventBus, RedisEventBus } from '../../bot/events';
import { describeWith, serviceUrl } from '../support/services';

function waitFor<T>(check: () => T | undefined, ms = 2000): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      const v = check();
      if (v !== undefined) return resolve(v);
      if (Date.now() - started > ms) return reject(new Error('timed out'));
      setTimeout(tick, 5);
    };
    tick();
  });
}

/** Pub/sub contract: what one bus publishes, every subscriber on every bus receives, in order. */
function eventsContract(make: () => Promise<{ buses: EventBus[]; cleanup(): Promise<void> }>) {
  let buses: EventBus[];
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ buses, cleanup } = await make()));
  afterEach(() => cleanup());

  test('delivers to subscribers of the topic only, in order, and stops after unsubscribe', async () => {
    const topic = `t-${randomBytes(4).toString('hex')}`;
    const got: unknown[][] = buses.map(() => []);
    const offs = await Promise.all(buses.map((bus, i) => bus.subscribe(topic, (e) => got[i]!.push(e))));
    const other: unknown[] = [];
    await buses[0]!.subscribe(`${topic}-other`, (e) => other.push(e));
    // No waiting: once subscribe() resolves, the subscription is live.
    for (let n = 0; n < 5; n++) await buses.at(-1)!.publish(topic, { n });
    await waitFor(() => (got.every((g) => g.length === 5) ? true : undefined));
    for (const g of got) expect(g).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
    expect(other).toEqual([]);
    offs.forEach((off) => off());
    await buses[0]!.publish(topic, { n: 99 });
    await new Promise((r) => setTimeout(r, 50));
    for (const g of got) expect(g).toHaveLength(5);
  });
}

describe('event bus contract: in-process', () => {
  eventsContract(async () => {
    const bus = new MemoryEventBus();
    return { buses: [bus], cleanup: () => bus.close() };
  });
});

describeWith('REDIS_URL')('event bus contract: Redis, two instances', () => {
  eventsContract(async () => {
    const url = serviceUrl('REDIS_URL')!;
    const clients = Array.from({ length: 4 }, () => new Redis(url));
    const buses = [new RedisEventBus(clients[0]!, clients[1]!), new RedisEventBus(clients[2]!, clients[3]!)];
    return {
      buses,
      cleanup: async () => {
        await Promise.all(buses.map((b) => b.close()));
        await Promise.all(clients.map((c) => c.quit()));
      },
    };
  });
});

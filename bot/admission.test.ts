import { TurnAdmission } from './admission';
import { KefuError } from './errors';
import { Metrics } from './metrics';

/** A clock the test moves by hand (turn durations feed the Retry-After estimate). */
function manualClock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

async function refusal(p: Promise<unknown>): Promise<KefuError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof KefuError)) throw new Error(`expected a KefuError, got ${String(err)}`);
  return err;
}

async function gauge(metrics: Metrics, name: string): Promise<number> {
  const m = await metrics.registry.getSingleMetric(name)!.get();
  return m.values.reduce((sum, v) => sum + v.value, 0);
}

describe('TurnAdmission', () => {
  it('runs up to maxConcurrent at once and lets the waiters in first come, first served', async () => {
    const admission = new TurnAdmission({ maxConcurrent: 2, maxQueued: 10, maxWaitMs: 10_000 });
    const a = await admission.acquire();
    const b = await admission.acquire();
    const order: number[] = [];
    const waiters = [1, 2, 3].map((i) =>
      admission.acquire().then((release) => {
        order.push(i);
        return release;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    expect(admission.stats).toMatchObject({ running: 2, queued: 3 });

    a();
    const first = await waiters[0]!;
    expect(order).toEqual([1]);
    b();
    const second = await waiters[1]!;
    first();
    const third = await waiters[2]!;
    expect(order).toEqual([1, 2, 3]);
    expect(admission.stats).toMatchObject({ running: 2, queued: 0 });
    second();
    third();
    expect(admission.stats).toMatchObject({ running: 0, queued: 0 });
  });

  it('a newcomer does not overtake the queue when a slot frees up', async () => {
    const admission = new TurnAdmission({ maxConcurrent: 1, maxQueued: 5, maxWaitMs: 10_000 });
    const a = await admission.acquire();
    const order: string[] = [];
    const queued = admission.acquire().then((r) => (order.push('queued'), r));
    a();
    const late = admission.acquire().then((r) => (order.push('late'), r));
    (await queued)();
    (await late)();
    expect(order).toEqual(['queued', 'late']);
  });

  it('refuses at once with OVERLOADED (429, retryable, Retry-After) when the queue is full', async () => {
    const metrics = new Metrics({ defaults: false });
    const admission = new TurnAdmission({ maxConcurrent: 1, maxQueued: 2, maxWaitMs: 10_000 }, metrics);
    const running = await admission.acquire();
    const waiting = [admission.acquire(), admission.acquire()];
    const started = Date.now();
    const err = await refusal(admission.acquire());
    expect(Date.now() - started).toBeLessThan(1000);
    expect(err).toMatchObject({ code: 'OVERLOADED', status: 429, retryable: true });
    expect(err.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(await gauge(metrics, 'kefu_turns_rejected_total')).toBe(1);
    expect(await gauge(metrics, 'kefu_turns_running')).toBe(1);
    expect(await gauge(metrics, 'kefu_turns_queued')).toBe(2);

    running();
    (await waiting[0]!)();
    (await waiting[1]!)();
    expect(await gauge(metrics, 'kefu_turns_running')).toBe(0);
    expect(await gauge(metrics, 'kefu_turns_queued')).toBe(0);
  });

  it('with no queue, the turn beyond the running ones is refused', async () => {
    const admission = new TurnAdmission({ maxConcurrent: 1, maxQueued: 0, maxWaitMs: 10_000 });
    const running = await admission.acquire();
    expect(await refusal(admission.acquire())).toMatchObject({ code: 'OVERLOADED' });
    running();
    (await admission.acquire())();
  });

  it('a waiter gives up after maxWaitMs and leaves the queue', async () => {
    const metrics = new Metrics({ defaults: false });
    const admission = new TurnAdmission({ maxConcurrent: 1, maxQueued: 5, maxWaitMs: 50 }, metrics);
    const running = await admission.acquire();
    const started = Date.now();
    const err = await refusal(admission.acquire());
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(err).toMatchObject({ code: 'OVERLOADED', status: 429 });
    expect(admission.stats.queued).toBe(0);
    const rejected = await metrics.registry.getSingleMetric('kefu_turns_rejected_total')!.get();
    expect(rejected.values).toEqual([
      expect.objectContaining({ labels: { reason: 'wait_timeout' }, value: 1 }),
    ]);
    // The slot it never got goes to the next one as usual.
    running();
    (await admission.acquire())();
  });

  it('a release called twice frees one slot only', async () => {
    const admission = new TurnAdmission({ maxConcurrent: 1, maxQueued: 0, maxWaitMs: 1000 });
    const release = await admission.acquire();
    release();
    release();
    const again = await admission.acquire();
    expect(admission.stats.running).toBe(1);
    await expect(admission.acquire()).rejects.toMatchObject({ code: 'OVERLOADED' });
    again();
  });

  it('estimates Retry-After as queue length × mean turn time / concurrency, clamped to 1..30 s', async () => {
    const clock = manualClock();
    const admission = new TurnAdmission(
      { maxConcurrent: 2, maxQueued: 8, maxWaitMs: 60_000 },
      undefined,
      clock.now,
    );
    // No turn measured yet, nothing waiting: the floor.
    expect(admission.retryAfterSeconds()).toBe(1);

    // Turns of 1 s each.
    for (let i = 0; i < 3; i++) {
      const r = await admission.acquire();
      clock.advance(1000);
      r();
    }
    expect(admission.stats.meanTurnMs).toBeCloseTo(1000);
    const held = [await admission.acquire(), await admission.acquire()];
    const waiting = Array.from({ length: 8 }, () => admission.acquire());
    // 8 waiting × 1 s / 2 slots = 4 s.
    expect(admission.retryAfterSeconds()).toBe(4);
    const err = await refusal(admission.acquire());
    expect(err.retryAfterSeconds).toBe(4);
    expect(err.message).toContain('4 s');

    // Slow turns (a minute each) push the estimate to the 30 s ceiling.
    for (const r of held) {
      clock.advance(60_000);
      r();
    }
    for (const w of waiting.slice(0, 2)) {
      const r = await w;
      clock.advance(60_000);
      r();
    }
    expect(admission.stats.queued).toBe(4);
    expect(admission.retryAfterSeconds()).toBe(30);
    for (const w of waiting.slice(2)) (await w)();
  });
});

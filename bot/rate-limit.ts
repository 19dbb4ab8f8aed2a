import type { Redis } from 'ioredis';
import {
  BurstyRateLimiter,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';

export interface RateLimitOptions {
  /** Names the limit's keys: every instance that uses the same name (and Redis) shares the counts. */
  name: string;
  /** Messages allowed at once. */
  capacity: number;
  /** The steady rate after the burst. */
  refillPerSecond: number;
  /** Shared between instances when set; in-process otherwise. */
  redis?: Redis;
  /** Prefix of the Redis keys (one deployment's limits, apart from another's on the same Redis). */
  keyPrefix?: string;
}

/**
 * A limit per key (shop + customer): a burst of `capacity`, then `refillPerSecond`, built from
 * rate-limiter-flexible's fixed windows: a steady window (the rate) and, when it is spent, a burst
 * window of `capacity` minus the steady share that comes back in full after capacity / rate seconds.
 * So a fresh key gets `capacity` at once and then the rate, like a token bucket; a client that keeps
 * pushing at the limit can get up to twice the rate over the long run (the burst window also
 * resets), which is fine for what it is for: stopping a runaway client, not a determined attacker
 * (that belongs in front of the load balancer).
 *
 * With Redis the counts are shared by every instance; when Redis does not answer, each instance
 * falls back to its own in-memory counts (insurance limiter) rather than failing the request.
 */
export class RateLimiter {
  private readonly steady: RateLimiterAbstract;
  private readonly burst?: RateLimiterAbstract;
  private readonly limiter: Pick<RateLimiterAbstract, 'consume'>;

  constructor(opts: RateLimitOptions) {
    const rate = opts.refillPerSecond;
    // Windows are whole seconds (Redis TTLs): below one per second, one message per 1/rate seconds.
    const steadySeconds = rate >= 1 ? 1 : Math.ceil(1 / rate);
    const steadyPoints = Math.max(1, Math.round(rate * steadySeconds));
    const burstPoints = opts.capacity - steadyPoints;
    const burstSeconds = Math.max(1, Math.ceil(opts.capacity / rate));
    const prefix = `${opts.keyPrefix ?? 'kefu:rl'}:${opts.name}`;
    const make = (kind: string, points: number, duration: number): RateLimiterAbstract => {
      const memory = new RateLimiterMemory({ keyPrefix: `${prefix}:${kind}`, points, duration });
      if (!opts.redis) return memory;
      return new RateLimiterRedis({
        storeClient: opts.redis,
        keyPrefix: `${prefix}:${kind}`,
        points,
        duration,
        // Redis down: count in this process at once instead of queueing behind the reconnect.
        rejectIfRedisNotReady: true,
        insuranceLimiter: memory,
      });
    };
    this.steady = make('steady', Math.min(steadyPoints, opts.capacity), steadySeconds);
    if (burstPoints > 0) this.burst = make('burst', burstPoints, burstSeconds);
    this.limiter = this.burst ? new BurstyRateLimiter(this.steady, this.burst) : this.steady;
  }

  /** Takes one message's worth; false when the key is over its limit. */
  async take(key: string): Promise<boolean> {
    try {
      await this.limiter.consume(key);
      return true;
    } catch (err) {
      if (err instanceof RateLimiterRes) return false;
      // Neither Redis nor the insurance limiter answered: a limit must not turn into an error.
      return true;
    }
  }

  /** True when `key` could take one now; takes nothing (for limits that count only failures). */
  async allows(key: string): Promise<boolean> {
    try {
      const [steady, burst] = await Promise.all([this.steady.get(key), this.burst?.get(key)]);
      const left = (res: RateLimiterRes | null | undefined, points: number) =>
        res ? res.remainingPoints > 0 : points > 0;
      return left(steady, this.steady.points) || (this.burst ? left(burst, this.burst.points) : false);
    } catch {
      return true;
    }
  }
}

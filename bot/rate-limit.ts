/**
 * A token bucket per key (shop + customer): a burst of `capacity` messages, then `refillPerSecond`.
 * In-process, so with several instances each enforces its own share; it guards against a runaway
 * client, not a determined attacker (that belongs in front of the load balancer).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly capacity = 30,
    private readonly refillPerSecond = 1,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token; false when the key is over its limit. */
  take(key: string): boolean {
    const t = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.capacity, at: t };
    bucket.tokens = Math.min(this.capacity, bucket.tokens + ((t - bucket.at) / 1000) * this.refillPerSecond);
    bucket.at = t;
    if (this.buckets.size > 100_000) this.prune(t);
    if (bucket.tokens < 1) {
      this.buckets.set(key, bucket);
      return false;
    }
    bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    return true;
  }

  /** True when `key` could take a token now; takes none (for limits that count only failures). */
  allows(key: string): boolean {
    const b = this.buckets.get(key);
    if (!b) return true;
    return Math.min(this.capacity, b.tokens + ((this.now() - b.at) / 1000) * this.refillPerSecond) >= 1;
  }

  private prune(t: number): void {
    const fullAfterMs = (this.capacity / this.refillPerSecond) * 1000;
    for (const [key, b] of this.buckets) if (t - b.at > fullAfterMs) this.buckets.delete(key);
  }
}

import { commerceErrors, isCommerceError } from './commerce';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit (default 5). */
  failureThreshold?: number;
  /** The failures must fall within this window (default 60 s); older ones are forgotten. */
  windowMs?: number;
  /** How long the circuit stays open before one probe may go through (default 30 s). */
  coolDownMs?: number;
  /** Epoch milliseconds; tests pass a fake clock. */
  now?: () => number;
  /** Which errors are the backend's fault. Default: BACKEND_UNAVAILABLE, _TIMEOUT and _BAD_RESPONSE. */
  isFailure?: (err: unknown) => boolean;
}

const BACKEND_FAILURES = new Set(['BACKEND_UNAVAILABLE', 'BACKEND_TIMEOUT', 'BACKEND_BAD_RESPONSE']);

/** A 404 or a refused request means the backend is up and answering, so neither counts. */
export function isBackendFailure(err: unknown): boolean {
  return isCommerceError(err) && BACKEND_FAILURES.has(err.code);
}

/**
 * One shop's circuit breaker: after `failureThreshold` consecutive backend failures within `windowMs`
 * it opens, and calls fail fast with BACKEND_UNAVAILABLE (retryable) instead of making every customer
 * wait for a timeout. After `coolDownMs` it lets a single probe through: success closes it, a failure
 * opens it for another cool-down. Other calls made while the probe is in flight still fail fast.
 */
export class CircuitBreaker {
  private readonly failureThreshold: number;
  private readonly windowMs: number;
  private readonly coolDownMs: number;
  private readonly now: () => number;
  private readonly isFailure: (err: unknown) => boolean;
  /** Times of the current run of consecutive failures. */
  private failures: number[] = [];
  private openedAt: number | undefined;
  private probing = false;

  constructor(options: CircuitBreakerOptions = {}) {
    this.failureThreshold = Math.max(1, Math.floor(options.failureThreshold ?? 5));
    this.windowMs = options.windowMs ?? 60_000;
    this.coolDownMs = options.coolDownMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.isFailure = options.isFailure ?? isBackendFailure;
  }

  get state(): CircuitState {
    if (this.openedAt === undefined) return 'closed';
    return this.now() - this.openedAt >= this.coolDownMs ? 'half-open' : 'open';
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    const state = this.state;
    if (state === 'open' || (state === 'half-open' && this.probing)) {
      throw commerceErrors.unavailable('the circuit breaker is open after repeated failures');
    }
    const probe = state === 'half-open';
    if (probe) this.probing = true;
    try {
      const result = await call();
      this.onSuccess();
      return result;
    } catch (err) {
      if (this.isFailure(err)) this.onFailure(probe);
      else this.onSuccess();
      throw err;
    } finally {
      if (probe) this.probing = false;
    }
  }

  private onSuccess(): void {
    this.failures = [];
    this.openedAt = undefined;
  }

  private onFailure(probe: boolean): void {
    const now = this.now();
    if (probe) {
      this.openedAt = now;
      return;
    }
    // A call that started before the circuit opened may fail after: it must not extend the cool-down.
    if (this.openedAt !== undefined) return;
    this.failures = this.failures.filter((t) => now - t < this.windowMs);
    this.failures.push(now);
    if (this.failures.length >= this.failureThreshold) {
      this.openedAt = now;
      this.failures = [];
    }
  }
}

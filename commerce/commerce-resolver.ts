import { createHash } from 'node:crypto';
import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker';
import { type CommerceBackend, commerceErrors } from './commerce';
import { DemoCommerceBackend } from './demo.backend';
import { HttpCommerceBackend } from './http.backend';

/** A shop's `commerce` settings, as bot/settings.ts accepts them. */
export type CommerceSettings =
  { type: 'demo' } | { type: 'http'; baseUrl: string; secret: string; timeoutMs?: number };

export type CommerceResolver = (
  shopId: string,
  settings: { commerce?: CommerceSettings },
) => CommerceBackend | undefined;

export interface CommerceResolverOptions {
  /** Builds a shop's demo backend (default: a DemoCommerceBackend on the real clock). */
  demo?: (shopId: string) => DemoCommerceBackend;
  /** Epoch milliseconds, for the breakers and the signature timestamps. */
  now?: () => number;
  fetch?: typeof fetch;
  breaker?: Omit<CircuitBreakerOptions, 'now'>;
  /** Overrides for the http backends, e.g. `retries` (the settings still give `timeoutMs`). */
  http?: { retries?: number; budgetMs?: number; backoffMs?: number; maxResponseBytes?: number };
}

interface Entry {
  /** A hash of the settings: the secret itself is never kept outside the backend. */
  fingerprint: string;
  backend: CommerceBackend;
}

/**
 * Gives each shop one backend, built from its settings and kept while they stay the same: the demo's
 * refunds and bookings persist across turns, and each http shop keeps its circuit breaker. When the
 * settings change (new URL, rotated secret), the shop gets a fresh backend and a fresh breaker, so a
 * fix is not held back by the old backend's open circuit.
 */
export function createCommerceResolver(options: CommerceResolverOptions = {}): CommerceResolver {
  const entries = new Map<string, Entry>();
  const makeDemo = options.demo ?? (() => new DemoCommerceBackend());
  const now = options.now ?? Date.now;

  const build = (shopId: string, commerce: CommerceSettings): CommerceBackend => {
    if (commerce.type === 'demo') return makeDemo(shopId);
    try {
      return new HttpCommerceBackend({
        ...options.http,
        baseUrl: commerce.baseUrl,
        secret: commerce.secret,
        timeoutMs: commerce.timeoutMs,
        breaker: new CircuitBreaker({ ...options.breaker, now }),
        fetch: options.fetch,
        now,
      });
    } catch {
      // Settings are validated when saved; if one still slips through, customers get an apology.
      return new UnavailableCommerceBackend('the shop’s commerce settings are invalid');
    }
  };

  return (shopId, settings) => {
    const commerce = settings.commerce;
    if (!commerce) {
      entries.delete(shopId);
      return undefined;
    }
    const fingerprint = fingerprintOf(commerce);
    const known = entries.get(shopId);
    if (known?.fingerprint === fingerprint) return known.backend;
    const backend = build(shopId, commerce);
    entries.set(shopId, { fingerprint, backend });
    return backend;
  };
}

function fingerprintOf(commerce: CommerceSettings): string {
  const parts =
    commerce.type === 'demo'
      ? ['demo']
      : ['http', commerce.baseUrl, commerce.secret, String(commerce.timeoutMs ?? '')];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** Stands in for a backend that cannot be built: every call fails as a backend failure would. */
export class UnavailableCommerceBackend implements CommerceBackend {
  constructor(private readonly reason: string) {}
  private fail(): Promise<never> {
    return Promise.reject(commerceErrors.unavailable(this.reason));
  }
  getCustomer = () => this.fail();
  listOrders = () => this.fail();
  getOrder = () => this.fail();
  getReturnAddress = () => this.fail();
  requestRefund = () => this.fail();
  recharge = () => this.fail();
  searchTickets = () => this.fail();
  bookTicket = () => this.fail();
}

import type {
  BookingResult,
  CommerceBackend,
  Customer,
  Order,
  RechargeRequest,
  RechargeResult,
  RefundRequest,
  RefundResult,
  ReturnAddress,
  TicketOption,
} from '../../../commerce/commerce';
import { type FakeShopServer, startFakeShopServer } from '../../../commerce/testing/fake-shop-server';
import { api } from '../../support/http';

/** A side effect the shop's backend carried out: one per idempotency key, as the contract demands. */
export interface Execution {
  kind: 'refund' | 'recharge';
  /** The order refunded, or the customer topped up. */
  target: string;
  key: string;
  /** How many requests carried this key (more than one: Kefu re-sent the same action). */
  requests: number;
}

/** Customer `chaos-<n>` owns order `8000<n>` (paid, ¥199) and the phone 139<n, 8 digits>. */
export function chaosCustomer(n: number): { userId: string; orderId: string; phone: string } {
  const pad = String(n).padStart(8, '0');
  return { userId: `chaos-${n}`, orderId: `8${pad}`, phone: `139${pad}` };
}

/** The customer a side effect's target belongs to (an order id, or the customer id itself). */
export function customerOfTarget(target: string): string {
  return /^8\d{8}$/.test(target) ? `chaos-${Number(target.slice(1))}` : target;
}

/**
 * A shop backend with as many customers as the load needs, each with one refundable order. It
 * executes each side effect once per idempotency key (a real backend's duty), counts every request,
 * and answers side effects only after `sideEffectDelayMs`: a crash in that window leaves an executed
 * refund whose answer the instance never read — the case that must not execute twice on retry.
 */
export class ChaosCommerceBackend implements CommerceBackend {
  readonly executions = new Map<string, Execution>();
  private readonly results = new Map<string, RefundResult | RechargeResult>();
  /** Side-effect requests received and not answered yet, by target (order or customer). */
  readonly inFlight = new Map<string, number>();
  private seq = 0;

  constructor(
    private readonly customers: number,
    private readonly sideEffectDelayMs = 0,
  ) {}

  private index(userId: string): number | undefined {
    const m = /^chaos-(\d+)$/.exec(userId);
    const n = m ? Number(m[1]) : NaN;
    return n >= 0 && n < this.customers ? n : undefined;
  }

  async getCustomer(customerId: string): Promise<Customer | undefined> {
    return this.index(customerId) === undefined ? undefined : { id: customerId, name: '测试', tier: 4 };
  }

  async listOrders(customerId: string, limit: number): Promise<Order[]> {
    const n = this.index(customerId);
    return n === undefined || limit < 1 ? [] : [this.order(n)];
  }

  async getOrder(orderId: string): Promise<Order | undefined> {
    const n = /^8\d{8}$/.test(orderId) ? Number(orderId.slice(1)) : undefined;
    return n !== undefined && n < this.customers ? this.order(n) : undefined;
  }

  private order(n: number): Order {
    const { userId, orderId } = chaosCustomer(n);
    // Refunds never change the order here: each customer refunds it once, so a second refund shows as a duplicate.
    return {
      id: orderId,
      customerId: userId,
      status: 'paid',
      createdAt: '2026-11-11T10:00:00+08:00',
      total: 199,
      currency: 'CNY',
      items: [{ sku: 'SKU-1', title: '保温杯', qty: 1, price: 199 }],
    };
  }

  async getReturnAddress(): Promise<ReturnAddress | undefined> {
    return undefined;
  }

  async requestRefund(orderId: string, _request: RefundRequest, key: string): Promise<RefundResult> {
    return this.sideEffect('refund', orderId, key, () => ({
      refundId: this.nextId('RF'),
      status: 'approved',
    }));
  }

  async recharge(request: RechargeRequest, key: string): Promise<RechargeResult> {
    return this.sideEffect('recharge', request.customerId, key, () => ({
      rechargeId: this.nextId('RC'),
      status: 'done',
    }));
  }

  async searchTickets(): Promise<TicketOption[]> {
    return [];
  }

  async bookTicket(): Promise<BookingResult> {
    return { bookingId: this.nextId('BK'), status: 'failed' };
  }

  /** Executions per target (order or customer): any count above one is a duplicated side effect. */
  perTarget(kind: Execution['kind']): Map<string, number> {
    const counts = new Map<string, number>();
    for (const e of this.executions.values())
      if (e.kind === kind) counts.set(e.target, (counts.get(e.target) ?? 0) + 1);
    return counts;
  }

  private async sideEffect<T extends RefundResult | RechargeResult>(
    kind: Execution['kind'],
    target: string,
    key: string,
    execute: () => T,
  ): Promise<T> {
    this.inFlight.set(target, (this.inFlight.get(target) ?? 0) + 1);
    try {
      const seen = this.executions.get(key);
      if (seen) seen.requests++;
      else {
        this.executions.set(key, { kind, target, key, requests: 1 });
        this.results.set(key, execute());
      }
      if (this.sideEffectDelayMs > 0) await new Promise((r) => setTimeout(r, this.sideEffectDelayMs));
      return this.results.get(key) as T;
    } finally {
      const left = this.inFlight.get(target)! - 1;
      if (left > 0) this.inFlight.set(target, left);
      else this.inFlight.delete(target);
    }
  }

  private nextId(prefix: string): string {
    return `${prefix}-${String(++this.seq).padStart(6, '0')}`;
  }
}

/** The chaos backend served over real HTTP with the contract's signatures and Idempotency-Key checks. */
export async function startChaosShop(
  customers: number,
  secret: string,
  sideEffectDelayMs = 0,
): Promise<{ server: FakeShopServer; backend: ChaosCommerceBackend }> {
  const backend = new ChaosCommerceBackend(customers, sideEffectDelayMs);
  return { server: await startFakeShopServer({ secret, backend }), backend };
}

/**
 * A shop created on one instance (`createOn`) and configured through another (`configureOn`, or
 * the same) to use the chaos backend; small talk it has no knowledge for must not call a person:
 * these runs are about the bot.
 */
export async function createChaosTenant(opts: {
  createOn: string;
  configureOn?: string;
  adminToken: string;
  name: string;
  backendUrl: string;
  commerceSecret: string;
}): Promise<{ shopId: string; apiKey: string; identitySecret: string }> {
  const created = await api(opts.createOn, 'POST', '/api/v1/shops', {
    token: opts.adminToken,
    body: { name: opts.name, locales: ['zh-CN'] },
  });
  if (created.status !== 201) throw new Error(`creating the shop answered ${created.status}`);
  const {
    id: shopId,
    apiKey,
    identitySecret,
  } = created.body as {
    id: string;
    apiKey: string;
    identitySecret: string;
  };
  const settings = await api(opts.configureOn ?? opts.createOn, 'PUT', `/api/v1/shops/${shopId}/settings`, {
    token: apiKey,
    body: {
      commerce: { type: 'http', baseUrl: opts.backendUrl, secret: opts.commerceSecret },
      handoff: { lowConfidenceTurns: 0, vipMinTier: null },
    },
  });
  if (settings.status !== 200) throw new Error(`configuring the shop answered ${settings.status}`);
  return { shopId, apiKey, identitySecret };
}

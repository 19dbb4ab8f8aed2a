import {
  type BookingRequest,
  type BookingResult,
  type CommerceBackend,
  commerceErrors,
  type Customer,
  isRechargeDenomination,
  isValidRechargePhone,
  type Order,
  type RechargeRequest,
  type RechargeResult,
  REFUNDABLE_STATUSES,
  type RefundRequest,
  type RefundResult,
  type ReturnAddress,
  type TicketOption,
  type TicketSearch,
  ticketSearchSchema,
} from './commerce';
import { buildDemoOrders, DEMO_CUSTOMERS, demoReturnAddress } from './demo.data';
import { findDemoTicketOption, isInternationalRoute, searchDemoTickets } from './demo.tickets';
import { isCalendarDate, toShanghaiIso } from './demo.util';

export interface DemoCommerceOptions {
  /** "Now" for the seeded data: order dates are offsets from it. Tests pass a fixed clock. */
  clock?: () => Date;
}

/** A refund the demo backend accepted (approved or pending), for tests and the demo admin. */
export interface DemoRefund {
  refundId: string;
  orderId: string;
  amount: number;
  reason: string;
  fast: boolean;
  status: 'approved' | 'pending';
  idempotencyKey: string;
  createdAt: string;
}

export interface DemoRecharge extends RechargeRequest {
  rechargeId: string;
  status: RechargeResult['status'];
  idempotencyKey: string;
}

export interface DemoBooking extends BookingRequest {
  bookingId: string;
  status: BookingResult['status'];
  idempotencyKey: string;
}

/** Passengers one booking may carry, as on the big booking sites. */
export const MAX_PASSENGERS = 9;

/**
 * The built-in backend of the demo shop and of tests: seeded customers and orders (see
 * commerce/README.md), in memory, deterministic for a given clock. Side effects are idempotent per
 * key: the same key returns the very same result object and records nothing twice. A repeated key
 * returns the first result even if the request differs, as the key names the action.
 */
export class DemoCommerceBackend implements CommerceBackend {
  private readonly clock: () => Date;
  private readonly orders: Map<string, Order>;
  private readonly refunds: DemoRefund[] = [];
  private readonly rechargeLog: DemoRecharge[] = [];
  private readonly bookingLog: DemoBooking[] = [];
  private readonly refundResults = new Map<string, RefundResult>();
  private readonly rechargeResults = new Map<string, RechargeResult>();
  private readonly bookingResults = new Map<string, BookingResult>();
  private seq = 0;

  constructor(options: DemoCommerceOptions = {}) {
    this.clock = options.clock ?? (() => new Date());
    this.orders = new Map(buildDemoOrders(this.clock()).map((o) => [o.id, o]));
  }

  async getCustomer(customerId: string): Promise<Customer | undefined> {
    const c = DEMO_CUSTOMERS.find((x) => x.id === customerId);
    return c ? { id: c.id, name: c.name, tier: c.tier } : undefined;
  }

  async listOrders(customerId: string, limit: number): Promise<Order[]> {
    return [...this.orders.values()]
      .filter((o) => o.customerId === customerId)
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))
      .slice(0, Math.max(0, Math.floor(limit)))
      .map((o) => structuredClone(o));
  }

  async getOrder(orderId: string): Promise<Order | undefined> {
    const order = this.orders.get(orderId);
    // Copies, so a caller cannot change the demo's state by editing what it got.
    return order ? structuredClone(order) : undefined;
  }

  async getReturnAddress(orderId: string): Promise<ReturnAddress | undefined> {
    return this.orders.has(orderId) ? demoReturnAddress(orderId) : undefined;
  }

  /**
   * Approves a fast refund at once and leaves the others pending (the order turns `refunding`);
   * rejects orders that are not paid, shipped or delivered, and amounts above what is left to refund.
   */
  async requestRefund(
    orderId: string,
    request: RefundRequest,
    idempotencyKey: string,
  ): Promise<RefundResult> {
    return this.once(this.refundResults, idempotencyKey, () => this.refund(orderId, request, idempotencyKey));
  }

  private refund(orderId: string, request: RefundRequest, idempotencyKey: string): RefundResult {
    const refundId = this.nextId('RF');
    const order = this.orders.get(orderId);
    const reject = (message: string): RefundResult => ({ refundId, status: 'rejected', message });
    if (!order) return reject(`Order ${orderId} not found.`);
    if (!REFUNDABLE_STATUSES.includes(order.status)) {
      return reject(
        `Order ${orderId} is ${order.status}: only paid, shipped or delivered orders can be refunded.`,
      );
    }
    if (!Number.isFinite(request.amount) || request.amount <= 0)
      return reject('The amount must be positive.');
    const refunded = this.refunds.filter((r) => r.orderId === orderId).reduce((sum, r) => sum + r.amount, 0);
    const left = Math.round((order.total - refunded) * 100) / 100;
    if (request.amount > left) return reject(`The amount exceeds the ${left.toFixed(2)} CNY left to refund.`);

    const status = request.fast ? 'approved' : 'pending';
    this.refunds.push({
      refundId,
      orderId,
      amount: request.amount,
      reason: request.reason,
      fast: request.fast,
      status,
      idempotencyKey,
      createdAt: toShanghaiIso(this.clock().getTime()),
    });
    if (status === 'pending') order.status = 'refunding';
    else if (request.amount >= left) order.status = 'refunded';
    return status === 'approved'
      ? { refundId, status, message: 'Refund approved; the money returns to the original payment method.' }
      : { refundId, status, message: 'Refund request sent to the merchant for review.' };
  }

  /** Refunds accepted for an order, oldest first. */
  refundsFor(orderId: string): DemoRefund[] {
    return this.refunds.filter((r) => r.orderId === orderId).map((r) => ({ ...r }));
  }

  /**
   * Tops up a valid phone with an allowed denomination. Numbers ending in 0000 come back `pending`
   * (the carrier is slow), so that branch can be tested.
   */
  async recharge(request: RechargeRequest, idempotencyKey: string): Promise<RechargeResult> {
    return this.once(this.rechargeResults, idempotencyKey, () => {
      const rechargeId = this.nextId('RC');
      const valid =
        request.customerId.length > 0 &&
        isValidRechargePhone(request.phone) &&
        isRechargeDenomination(request.amount);
      const status = !valid ? 'failed' : request.phone.endsWith('0000') ? 'pending' : 'done';
      this.rechargeLog.push({ ...request, rechargeId, status, idempotencyKey });
      return { rechargeId, status };
    });
  }

  /** Every recharge attempt, failed ones included, oldest first. */
  recharges(): DemoRecharge[] {
    return this.rechargeLog.map((r) => ({ ...r }));
  }

  async searchTickets(query: TicketSearch): Promise<TicketOption[]> {
    const parsed = ticketSearchSchema.safeParse(query);
    if (!parsed.success || !isCalendarDate(parsed.data.date)) {
      throw commerceErrors.badRequest('tickets/search needs type flight|train, from, to and date YYYY-MM-DD');
    }
    return searchDemoTickets(parsed.data);
  }

  /**
   * Books an option from the timetable (no earlier search needed, like a real backend). Domestic
   * trips are confirmed at once; international flights stay `pending` (travel documents are checked).
   * An unknown option id, or a passenger count outside 1–9, gives `failed`.
   */
  async bookTicket(request: BookingRequest, idempotencyKey: string): Promise<BookingResult> {
    return this.once(this.bookingResults, idempotencyKey, () => {
      const bookingId = this.nextId('BK');
      const found = findDemoTicketOption(request.optionId);
      const valid =
        request.customerId.length > 0 &&
        Number.isInteger(request.passengers) &&
        request.passengers >= 1 &&
        request.passengers <= MAX_PASSENGERS;
      const status =
        !found || !valid ? 'failed' : isInternationalRoute(found.from, found.to) ? 'pending' : 'confirmed';
      this.bookingLog.push({ ...request, bookingId, status, idempotencyKey });
      return { bookingId, status };
    });
  }

  /** A customer's booking attempts, failed ones included, oldest first. */
  bookingsFor(customerId: string): DemoBooking[] {
    return this.bookingLog.filter((b) => b.customerId === customerId).map((b) => ({ ...b }));
  }

  /** Runs `action` once per key; later calls with the key get the first (frozen) result. */
  private once<T extends object>(results: Map<string, T>, key: string, action: () => T): T {
    const prior = results.get(key);
    if (prior) return prior;
    const result = Object.freeze(action());
    results.set(key, result);
    return result;
  }

  private nextId(prefix: string): string {
    this.seq += 1;
    return `${prefix}-${String(this.seq).padStart(6, '0')}`;
  }
}

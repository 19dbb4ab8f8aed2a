import { z, type ZodType } from 'zod';
import { KefuError } from '../bot/errors';

/**
 * The one interface skills use to reach a shop's own order system (see specs/commerce-backend.md).
 * The schemas mirror the wire format, so the http implementation can parse every answer at the edge.
 */

/** Trust stars (地平线 trust model): 0 = unknown customer, 5 = most trusted. */
export const customerSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  tier: z.int().min(0).max(5),
});
export type Customer = z.infer<typeof customerSchema>;

export const orderStatusSchema = z.enum([
  'unpaid',
  'paid',
  'shipped',
  'delivered',
  'refunding',
  'refunded',
  'cancelled',
]);
export type OrderStatus = z.infer<typeof orderStatusSchema>;
export const ORDER_STATUSES = orderStatusSchema.options;

/** Only these statuses may be refunded; Kefu checks this before calling the backend. */
export const REFUNDABLE_STATUSES: readonly OrderStatus[] = ['paid', 'shipped', 'delivered'];

export const orderItemSchema = z.object({
  sku: z.string(),
  title: z.string(),
  qty: z.int().positive(),
  price: z.number().nonnegative(),
});
export type OrderItem = z.infer<typeof orderItemSchema>;

const isoDateTime = z.iso.datetime({ offset: true });

export const shipmentEventSchema = z.object({
  time: isoDateTime,
  description: z.string(),
});
export type ShipmentEvent = z.infer<typeof shipmentEventSchema>;

/** `events` may come in any order: readers sort them by time (see `sortedEvents`). */
export const shipmentSchema = z.object({
  carrier: z.string(),
  trackingNo: z.string(),
  status: z.string(),
  events: z.array(shipmentEventSchema),
});
export type Shipment = z.infer<typeof shipmentSchema>;

export const orderSchema = z.object({
  id: z.string().min(1),
  customerId: z.string().min(1),
  status: orderStatusSchema,
  createdAt: isoDateTime,
  total: z.number().nonnegative(),
  currency: z.string().length(3),
  items: z.array(orderItemSchema),
  shipment: shipmentSchema.optional(),
});
export type Order = z.infer<typeof orderSchema>;

export const returnAddressSchema = z.object({
  name: z.string(),
  phone: z.string(),
  address: z.string(),
});
export type ReturnAddress = z.infer<typeof returnAddressSchema>;

export const refundRequestSchema = z.object({
  amount: z.number().positive(),
  reason: z.string(),
  /** Instant refund (极速退款): Kefu sets it from the customer's tier and the shop's limit. */
  fast: z.boolean(),
});
export type RefundRequest = z.infer<typeof refundRequestSchema>;

export const refundResultSchema = z.object({
  refundId: z.string(),
  status: z.enum(['approved', 'pending', 'rejected']),
  message: z.string().optional(),
});
export type RefundResult = z.infer<typeof refundResultSchema>;

/** Top-up amounts (CNY) a recharge may use. */
export const RECHARGE_DENOMINATIONS = [10, 20, 30, 50, 100, 200, 300, 500] as const;
export type RechargeDenomination = (typeof RECHARGE_DENOMINATIONS)[number];

export const MAINLAND_MOBILE = /^1[3-9]\d{9}$/;
export const E164_PHONE = /^\+[1-9]\d{6,14}$/;

export function isValidRechargePhone(phone: string): boolean {
  return MAINLAND_MOBILE.test(phone) || E164_PHONE.test(phone);
}

export function isRechargeDenomination(amount: number): amount is RechargeDenomination {
  return (RECHARGE_DENOMINATIONS as readonly number[]).includes(amount);
}

export const rechargeRequestSchema = z.object({
  customerId: z.string().min(1),
  phone: z.string(),
  amount: z.number(),
});
export type RechargeRequest = z.infer<typeof rechargeRequestSchema>;

export const rechargeResultSchema = z.object({
  rechargeId: z.string(),
  status: z.enum(['done', 'pending', 'failed']),
});
export type RechargeResult = z.infer<typeof rechargeResultSchema>;

export const ticketTypeSchema = z.enum(['flight', 'train']);
export type TicketType = z.infer<typeof ticketTypeSchema>;

export const ticketSearchSchema = z.object({
  type: ticketTypeSchema,
  /** City names in Chinese or English (北京, Beijing). */
  from: z.string().min(1),
  to: z.string().min(1),
  /** YYYY-MM-DD in the shop's time zone. */
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
});
export type TicketSearch = z.infer<typeof ticketSearchSchema>;

export const ticketOptionSchema = z.object({
  id: z.string().min(1),
  type: ticketTypeSchema,
  from: z.string(),
  to: z.string(),
  departAt: isoDateTime,
  arriveAt: isoDateTime,
  /** Flight or train number: MU5101, G7. */
  number: z.string(),
  price: z.number().nonnegative(),
});
export type TicketOption = z.infer<typeof ticketOptionSchema>;

export const bookingRequestSchema = z.object({
  customerId: z.string().min(1),
  optionId: z.string().min(1),
  passengers: z.int().positive(),
});
export type BookingRequest = z.infer<typeof bookingRequestSchema>;

export const bookingResultSchema = z.object({
  bookingId: z.string(),
  status: z.enum(['confirmed', 'pending', 'failed']),
});
export type BookingResult = z.infer<typeof bookingResultSchema>;

/** Wrapped answers of the http contract. */
export const ordersResponseSchema = z.object({ orders: z.array(orderSchema) });
export const ticketSearchResponseSchema = z.object({ options: z.array(ticketOptionSchema) });

/**
 * A shop's order system. `undefined` means "not found" (404); a failure to reach or understand the
 * backend throws a `CommerceError`. Ownership checks (is this the user's order?) are Kefu's, not the
 * backend's. Every side effect takes an idempotency key: the same key returns the first result again.
 */
export interface CommerceBackend {
  getCustomer(customerId: string): Promise<Customer | undefined>;
  /** Newest first, at most `limit`. */
  listOrders(customerId: string, limit: number): Promise<Order[]>;
  getOrder(orderId: string): Promise<Order | undefined>;
  /** `undefined`: use the return address in the shop's settings. */
  getReturnAddress(orderId: string): Promise<ReturnAddress | undefined>;
  requestRefund(orderId: string, request: RefundRequest, idempotencyKey: string): Promise<RefundResult>;
  recharge(request: RechargeRequest, idempotencyKey: string): Promise<RechargeResult>;
  searchTickets(query: TicketSearch): Promise<TicketOption[]>;
  bookTicket(request: BookingRequest, idempotencyKey: string): Promise<BookingResult>;
}

/** Shipment events in time order, oldest first; the backend may send them in any order. */
export function sortedEvents(shipment: Shipment): ShipmentEvent[] {
  return [...shipment.events].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
}

export type CommerceErrorCode =
  'BACKEND_UNAVAILABLE' | 'BACKEND_TIMEOUT' | 'BACKEND_BAD_RESPONSE' | 'BACKEND_BAD_REQUEST';

/**
 * A failure to reach or understand a shop's backend. Skills answer it with an apology and an offer
 * of a human, never with invented data; `retryable` says whether trying again may help.
 */
export class CommerceError extends KefuError {
  constructor(
    override readonly code: CommerceErrorCode,
    message: string,
    status: number,
    retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(code, message, status, retryable);
    this.name = 'CommerceError';
    if (options && 'cause' in options) this.cause = options.cause;
  }
}

export const commerceErrors = {
  unavailable: (detail: string, cause?: unknown) =>
    new CommerceError('BACKEND_UNAVAILABLE', `The shop's backend is unavailable: ${detail}`, 503, true, {
      cause,
    }),
  timeout: (ms: number) =>
    new CommerceError('BACKEND_TIMEOUT', `The shop's backend did not answer within ${ms} ms.`, 504, true),
  badResponse: (detail: string, cause?: unknown) =>
    new CommerceError(
      'BACKEND_BAD_RESPONSE',
      `The shop's backend gave a malformed answer: ${detail}`,
      502,
      false,
      {
        cause,
      },
    ),
  /** The backend refused the request as malformed (4xx other than 404): a bug on our side, not the customer's. */
  badRequest: (detail: string) =>
    new CommerceError('BACKEND_BAD_REQUEST', `The shop's backend refused the request: ${detail}`, 502, false),
};

export function isCommerceError(err: unknown): err is CommerceError {
  return err instanceof CommerceError;
}

/** Parses a backend answer, turning a schema mismatch into BACKEND_BAD_RESPONSE. */
export function parseBackendAnswer<T>(schema: ZodType<T>, data: unknown, what: string): T {
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw commerceErrors.badResponse(`${what}${where}: ${issue?.message ?? 'invalid'}`, parsed.error);
  }
  return parsed.data;
}

import type { ZodType } from 'zod';
import { CircuitBreaker } from './circuit-breaker';
import {
  type BookingRequest,
  type BookingResult,
  bookingResultSchema,
  type CommerceBackend,
  CommerceError,
  commerceErrors,
  type Customer,
  customerSchema,
  type Order,
  orderSchema,
  ordersResponseSchema,
  parseBackendAnswer,
  type RechargeRequest,
  type RechargeResult,
  rechargeResultSchema,
  type RefundRequest,
  type RefundResult,
  refundResultSchema,
  type ReturnAddress,
  returnAddressSchema,
  type TicketOption,
  type TicketSearch,
  ticketSearchResponseSchema,
} from './commerce';
import { signKefuRequest } from './signature';

export interface HttpCommerceOptions {
  /** The shop's backend, e.g. `https://shop.example/kefu`; routes are appended to it. */
  baseUrl: string;
  /** Shared HMAC secret. Never logged, never put in an error. */
  secret: string;
  /** Per attempt (default 3000 ms). */
  timeoutMs?: number;
  /** Extra attempts for reads (GET) after a timeout, a network error or a 5xx (default 2). */
  retries?: number;
  /** The most one call may take, retries included (default 2 × timeoutMs), so a turn stays short. */
  budgetMs?: number;
  /** First backoff before a retry (default 100 ms); it doubles per retry, with jitter. */
  backoffMs?: number;
  /** Bigger answers are refused (default 1 MiB), so a hostile backend cannot exhaust memory. */
  maxResponseBytes?: number;
  /** The shop's breaker; by default each backend has its own. */
  breaker?: CircuitBreaker;
  fetch?: typeof fetch;
  /** Epoch milliseconds, for the signature timestamp. */
  now?: () => number;
  /** 0 ≤ x < 1, for the backoff jitter. */
  random?: () => number;
}

export const DEFAULT_TIMEOUT_MS = 3000;
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
const MAX_BACKOFF_MS = 2000;
/** Visible ASCII only: anything else is not a valid header value. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Encodes one path segment. `.` and `..` are refused outright: URL parsers resolve them (even as
 * `%2E%2E`), so no encoding keeps them in place. `/` and the rest are percent-encoded.
 */
export function pathSegment(value: string): string | undefined {
  if (value === '' || value === '.' || value === '..') return undefined;
  return encodeURIComponent(value);
}

interface Call<T> {
  method: 'GET' | 'POST';
  /** Already-encoded path below baseUrl. */
  path: string;
  /** A route label for errors: ids stay out of messages (they may be personal data). */
  route: string;
  query?: Record<string, string>;
  body?: unknown;
  idempotencyKey?: string;
  schema: ZodType<T>;
  /** Whether a 404 means "not found" (→ undefined) rather than a refused request. */
  notFoundIsEmpty?: boolean;
}

type Attempt = { kind: 'ok'; body: unknown } | { kind: 'notFound' };

/** What one signed GET found: an answer (its status, and whether its body was JSON), a timeout, or no connection. */
export type PingResult =
  | { kind: 'answered'; status: number; json: boolean }
  | { kind: 'timeout'; timeoutMs: number }
  | { kind: 'unreachable'; reason: string };

/** The path the connection test asks for: a customer no shop has (404) or a test answer (200). */
export const CONNECTION_TEST_PATH = '/customers/kefu-connection-test';

/** Why an attempt failed, and whether a read may try again. */
class AttemptFailure {
  constructor(
    readonly error: CommerceError,
    readonly retryable: boolean,
  ) {}
}

/**
 * The `http` commerce backend: signed requests to the shop's own system (specs/commerce-backend.md).
 *
 * Retry rule: only reads (GET) are retried, after a timeout, a network error, a 408/429 or a 5xx,
 * with exponential backoff and jitter, within `budgetMs`. POSTs are never retried here: a timed-out
 * refund may have happened, and only the caller knows whether to try again. Its idempotency key
 * makes that user-level retry safe, since the backend answers a repeated key with the first result.
 */
export class HttpCommerceBackend implements CommerceBackend {
  private readonly baseUrl: string;
  private readonly secret: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly budgetMs: number;
  private readonly backoffMs: number;
  private readonly maxResponseBytes: number;
  private readonly breaker: CircuitBreaker;
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(options: HttpCommerceOptions) {
    this.baseUrl = checkBaseUrl(options.baseUrl);
    if (!options.secret) throw new TypeError('HttpCommerceBackend needs a secret');
    this.secret = options.secret;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.retries = Math.max(0, Math.floor(options.retries ?? 2));
    this.budgetMs = options.budgetMs ?? 2 * this.timeoutMs;
    this.backoffMs = options.backoffMs ?? 100;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.breaker = options.breaker ?? new CircuitBreaker();
    // Wrapped, so the global fetch is never called with this object as its receiver.
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  async getCustomer(customerId: string): Promise<Customer | undefined> {
    const id = pathSegment(customerId);
    if (id === undefined) return undefined;
    return this.call({
      method: 'GET',
      path: `/customers/${id}`,
      route: 'GET /customers/:customerId',
      schema: customerSchema,
      notFoundIsEmpty: true,
    });
  }

  async listOrders(customerId: string, limit: number): Promise<Order[]> {
    const id = pathSegment(customerId);
    const n = Math.max(0, Math.floor(limit));
    if (id === undefined || n === 0) return [];
    const answer = await this.call({
      method: 'GET',
      path: `/customers/${id}/orders`,
      route: 'GET /customers/:customerId/orders',
      query: { limit: String(n) },
      schema: ordersResponseSchema,
      notFoundIsEmpty: true,
    });
    // Newest first and at most `limit`, whatever the backend sent.
    return (answer?.orders ?? [])
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))
      .slice(0, n);
  }

  async getOrder(orderId: string): Promise<Order | undefined> {
    const id = pathSegment(orderId);
    if (id === undefined) return undefined;
    return this.call({
      method: 'GET',
      path: `/orders/${id}`,
      route: 'GET /orders/:orderId',
      schema: orderSchema,
      notFoundIsEmpty: true,
    });
  }

  async getReturnAddress(orderId: string): Promise<ReturnAddress | undefined> {
    const id = pathSegment(orderId);
    if (id === undefined) return undefined;
    return this.call({
      method: 'GET',
      path: `/orders/${id}/return-address`,
      route: 'GET /orders/:orderId/return-address',
      schema: returnAddressSchema,
      notFoundIsEmpty: true,
    });
  }

  async requestRefund(
    orderId: string,
    request: RefundRequest,
    idempotencyKey: string,
  ): Promise<RefundResult> {
    const id = pathSegment(orderId);
    if (id === undefined) throw commerceErrors.badRequest('an order id cannot be empty, "." or ".."');
    const body: RefundRequest = { amount: request.amount, reason: request.reason, fast: request.fast };
    return this.mustAnswer(
      await this.call({
        method: 'POST',
        path: `/orders/${id}/refunds`,
        route: 'POST /orders/:orderId/refunds',
        body,
        idempotencyKey,
        schema: refundResultSchema,
      }),
    );
  }

  async recharge(request: RechargeRequest, idempotencyKey: string): Promise<RechargeResult> {
    const body: RechargeRequest = {
      customerId: request.customerId,
      phone: request.phone,
      amount: request.amount,
    };
    return this.mustAnswer(
      await this.call({
        method: 'POST',
        path: '/recharges',
        route: 'POST /recharges',
        body,
        idempotencyKey,
        schema: rechargeResultSchema,
      }),
    );
  }

  async searchTickets(query: TicketSearch): Promise<TicketOption[]> {
    const answer = await this.call({
      method: 'GET',
      path: '/tickets/search',
      route: 'GET /tickets/search',
      query: { type: query.type, from: query.from, to: query.to, date: query.date },
      schema: ticketSearchResponseSchema,
    });
    // Departure order, as the demo gives them: skills list them as they come.
    return this.mustAnswer(answer).options.sort((a, b) => Date.parse(a.departAt) - Date.parse(b.departAt));
  }

  async bookTicket(request: BookingRequest, idempotencyKey: string): Promise<BookingResult> {
    const body: BookingRequest = {
      customerId: request.customerId,
      optionId: request.optionId,
      passengers: request.passengers,
    };
    return this.mustAnswer(
      await this.call({
        method: 'POST',
        path: '/tickets/bookings',
        route: 'POST /tickets/bookings',
        body,
        idempotencyKey,
        schema: bookingResultSchema,
      }),
    );
  }

  /**
   * One signed GET of `path`, without retries or the breaker: does the backend answer, and does it
   * accept the signature? (The merchant admin's connection test.) Never throws for the backend's sake.
   */
  async ping(path: string = CONNECTION_TEST_PATH): Promise<PingResult> {
    const route = `GET ${path}`;
    const timestamp = String(Math.floor(this.now() / 1000));
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    try {
      let response: Response;
      try {
        response = await this.fetchFn(`${this.baseUrl}${path}`, {
          method: 'GET',
          headers: {
            accept: 'application/json',
            'x-kefu-timestamp': timestamp,
            'x-kefu-signature': signKefuRequest(this.secret, timestamp, ''),
          },
          signal: controller.signal,
          redirect: 'manual',
        });
      } catch (err) {
        if (timedOut) return { kind: 'timeout', timeoutMs: this.timeoutMs };
        return { kind: 'unreachable', reason: networkReason(err) };
      }
      let json = false;
      try {
        JSON.parse(await this.readBody(response, route, controller, this.timeoutMs));
        json = true;
      } catch {
        // Not JSON, too big, or cut off; a body that never ends is a timeout.
        if (timedOut) return { kind: 'timeout', timeoutMs: this.timeoutMs };
      }
      return { kind: 'answered', status: response.status, json };
    } finally {
      clearTimeout(timer);
    }
  }

  private mustAnswer<T>(answer: T | undefined): T {
    // Only routes with notFoundIsEmpty can give undefined; this guards the types.
    if (answer === undefined) throw commerceErrors.badRequest('not found');
    return answer;
  }

  private async call<T>(call: Call<T>): Promise<T | undefined> {
    if (call.method === 'POST' && !IDEMPOTENCY_KEY.test(call.idempotencyKey ?? '')) {
      // Checked before the breaker: it is our bug, not the backend's.
      throw commerceErrors.badRequest('the idempotency key must be 1–255 visible ASCII characters');
    }
    return this.breaker.run(async () => {
      const attempt = await this.withRetries(call);
      if (attempt.kind === 'notFound') return undefined;
      return parseBackendAnswer(call.schema, attempt.body, call.route);
    });
  }

  private async withRetries(call: Call<unknown>): Promise<Attempt> {
    const deadline = this.now() + this.budgetMs;
    const attempts = call.method === 'GET' ? 1 + this.retries : 1;
    for (let n = 0; ; n++) {
      const timeoutMs = Math.max(1, Math.min(this.timeoutMs, deadline - this.now()));
      try {
        return await this.attempt(call, timeoutMs);
      } catch (err) {
        if (!(err instanceof AttemptFailure)) throw err;
        const delay = this.backoff(n);
        const last = n + 1 >= attempts || !err.retryable;
        // A retry with (almost) no time left would only turn a 5xx into a timeout.
        if (last || deadline - this.now() - delay < Math.min(this.timeoutMs, 50)) throw err.error;
        await sleep(delay);
      }
    }
  }

  /** Exponential, with jitter between half and all of the step, so callers' retries do not march in step. */
  private backoff(n: number): number {
    const step = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2 ** n);
    return Math.round(step / 2 + (this.random() * step) / 2);
  }

  private async attempt(call: Call<unknown>, timeoutMs: number): Promise<Attempt> {
    const rawBody = call.body === undefined ? '' : JSON.stringify(call.body);
    const timestamp = String(Math.floor(this.now() / 1000));
    const headers: Record<string, string> = {
      accept: 'application/json',
      'x-kefu-timestamp': timestamp,
      'x-kefu-signature': signKefuRequest(this.secret, timestamp, rawBody),
    };
    if (call.method === 'POST') {
      headers['content-type'] = 'application/json';
      headers['idempotency-key'] = call.idempotencyKey!;
    }
    const query = call.query ? `?${new URLSearchParams(call.query).toString()}` : '';
    const url = `${this.baseUrl}${call.path}${query}`;

    const controller = new AbortController();
    // The timer covers the body too: a backend that trickles bytes is as dead as a silent one.
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      let response: Response;
      try {
        response = await this.fetchFn(url, {
          method: call.method,
          headers,
          body: call.method === 'POST' ? rawBody : undefined,
          signal: controller.signal,
          // A redirect would carry the signed request somewhere the shop did not configure.
          redirect: 'manual',
        });
      } catch (err) {
        if (controller.signal.aborted) throw new AttemptFailure(commerceErrors.timeout(timeoutMs), true);
        throw new AttemptFailure(commerceErrors.unavailable(`${call.route}: ${networkReason(err)}`), true);
      }
      const { status } = response;
      if (status >= 200 && status < 300) {
        const text = await this.readBody(response, call.route, controller, timeoutMs);
        try {
          return { kind: 'ok', body: JSON.parse(text) };
        } catch (err) {
          throw new AttemptFailure(commerceErrors.badResponse(`${call.route}: not JSON`, err), false);
        }
      }
      await response.body?.cancel().catch(() => undefined);
      if (status === 404 && call.notFoundIsEmpty) return { kind: 'notFound' };
      if (status >= 500 || status === 408 || status === 429) {
        throw new AttemptFailure(commerceErrors.unavailable(`${call.route} answered ${status}`), true);
      }
      if (status >= 400)
        throw new AttemptFailure(commerceErrors.badRequest(`${call.route} answered ${status}`), false);
      throw new AttemptFailure(commerceErrors.badResponse(`${call.route} answered ${status}`), false);
    } finally {
      clearTimeout(timer);
    }
  }

  private async readBody(
    response: Response,
    route: string,
    controller: AbortController,
    timeoutMs: number,
  ): Promise<string> {
    const tooBig = () =>
      new AttemptFailure(
        commerceErrors.badResponse(`${route}: more than ${this.maxResponseBytes} bytes`),
        false,
      );
    const declared = Number(response.headers.get('content-length'));
    if (declared > this.maxResponseBytes) {
      controller.abort();
      throw tooBig();
    }
    if (!response.body) return '';
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > this.maxResponseBytes) {
          controller.abort();
          throw tooBig();
        }
        chunks.push(value);
      }
    } catch (err) {
      if (err instanceof AttemptFailure) throw err;
      if (controller.signal.aborted) throw new AttemptFailure(commerceErrors.timeout(timeoutMs), true);
      throw new AttemptFailure(commerceErrors.unavailable(`${route}: ${networkReason(err)}`), true);
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
    } catch (err) {
      throw new AttemptFailure(commerceErrors.badResponse(`${route}: not UTF-8`, err), false);
    }
  }
}

function checkBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError('commerce baseUrl is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError('commerce baseUrl must be http(s)');
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new TypeError('commerce baseUrl must not carry credentials, a query or a fragment');
  }
  return url.href.replace(/\/+$/, '');
}

/** A short cause (ECONNREFUSED, "other side closed") without the URL or headers. */
function networkReason(err: unknown): string {
  // Duck-typed: fetch's errors may come from another realm (a VM context), where instanceof fails.
  type Failure = { cause?: unknown; code?: unknown; message?: unknown } | null | undefined;
  const outer = err as Failure;
  const cause = (outer?.cause && typeof outer.cause === 'object' ? outer.cause : outer) as Failure;
  if (typeof cause?.code === 'string') return cause.code;
  return typeof cause?.message === 'string' ? cause.message.slice(0, 100) : 'network error';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

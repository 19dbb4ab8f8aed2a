import { createHmac } from 'node:crypto';
import { CircuitBreaker } from './circuit-breaker';
import { CommerceError } from './commerce';
import { CONTRACT_NOW } from './commerce-backend.contract';
import { DemoCommerceBackend } from './demo.backend';
import { HttpCommerceBackend, type HttpCommerceOptions } from './http.backend';
import { verifyKefuSignature } from './signature';
import { type FakeShopServer, startFakeShopServer } from './testing/fake-shop-server';

const SECRET = 'wire-secret-5f2c';

let server: FakeShopServer;
let demo: DemoCommerceBackend;

beforeEach(async () => {
  demo = new DemoCommerceBackend({ clock: () => CONTRACT_NOW });
  server = await startFakeShopServer({ secret: SECRET, backend: demo, basePath: '/kefu' });
});
afterEach(() => server.close());

function client(options: Partial<HttpCommerceOptions> = {}): HttpCommerceBackend {
  return new HttpCommerceBackend({ baseUrl: server.url, secret: SECRET, backoffMs: 5, ...options });
}

async function failure(promise: Promise<unknown>): Promise<CommerceError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(CommerceError);
    return err as CommerceError;
  }
  throw new Error('expected a CommerceError');
}

const routeHits = (route: string) => server.requests.filter((r) => r.route === route).length;

describe('HttpCommerceBackend on the wire', () => {
  test('signs every request: HMAC of timestamp + "." + raw body, with a current timestamp', async () => {
    const b = client();
    await b.getCustomer('c-1001');
    await b.listOrders('c-1001', 5);
    await b.getOrder('1001');
    await b.getReturnAddress('1001');
    await b.searchTickets({ type: 'train', from: '北京', to: '上海', date: '2025-06-14' });
    await b.requestRefund('1003', { amount: 10, reason: '质量问题', fast: true }, 'k-rf');
    await b.recharge({ customerId: 'c-1001', phone: '13912345678', amount: 50 }, 'k-rc');
    await b.bookTicket({ customerId: 'c-1001', optionId: 'TR-BJS-SHA-20250614-1', passengers: 1 }, 'k-bk');

    expect(server.requests).toHaveLength(8);
    const nowSeconds = Date.now() / 1000;
    for (const r of server.requests) {
      const ts = r.headers['x-kefu-timestamp']!;
      expect(ts).toMatch(/^\d+$/);
      expect(Math.abs(Number(ts) - nowSeconds)).toBeLessThan(60);
      // Recomputed here, independently of the code under test.
      const expected = `sha256=${createHmac('sha256', SECRET).update(`${ts}.${r.body}`).digest('hex')}`;
      expect(r.headers['x-kefu-signature']).toBe(expected);
      expect(r.verified).toBe(true);
      if (r.method === 'GET') expect(r.body).toBe('');
      expect(JSON.stringify(r)).not.toContain(SECRET);
    }
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /kefu/customers/c-1001',
      'GET /kefu/customers/c-1001/orders',
      'GET /kefu/orders/1001',
      'GET /kefu/orders/1001/return-address',
      'GET /kefu/tickets/search',
      'POST /kefu/orders/1003/refunds',
      'POST /kefu/recharges',
      'POST /kefu/tickets/bookings',
    ]);
    expect(server.requests[1]!.query).toEqual({ limit: '5' });
    expect(server.requests[4]!.query).toEqual({
      type: 'train',
      from: '北京',
      to: '上海',
      date: '2025-06-14',
    });
  });

  test('POSTs carry JSON and the caller’s Idempotency-Key, the same on a repeated call; GETs carry none', async () => {
    const b = client();
    const request = { amount: 50, reason: 'late', fast: false };
    const first = await b.requestRefund('1003', request, 'refund:conv-1:1003');
    const second = await b.requestRefund('1003', request, 'refund:conv-1:1003');
    expect(second).toEqual(first);
    await b.getOrder('1003');

    const posts = server.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    for (const p of posts) {
      expect(p.headers['idempotency-key']).toBe('refund:conv-1:1003');
      expect(p.headers['content-type']).toBe('application/json');
      expect(JSON.parse(p.body)).toEqual(request);
    }
    expect(server.requests.find((r) => r.method === 'GET')!.headers['idempotency-key']).toBeUndefined();
    expect(demo.refundsFor('1003')).toHaveLength(1);
  });

  test('refuses to send a POST without a usable idempotency key', async () => {
    const b = client();
    for (const key of ['', '退款-1', 'a b', 'x'.repeat(256)]) {
      const err = await failure(b.recharge({ customerId: 'c-1', phone: '13912345678', amount: 50 }, key));
      expect(err.code).toBe('BACKEND_BAD_REQUEST');
    }
    expect(server.requests).toHaveLength(0);
  });

  test('the shop refuses a missing or wrong signature and a stale timestamp (401 → BAD_REQUEST)', async () => {
    const unsigned = await fetch(`${server.url}/customers/c-1001`);
    expect(unsigned.status).toBe(401);

    const wrongSecret = await failure(client({ secret: 'not-the-secret' }).getCustomer('c-1001'));
    expect(wrongSecret.code).toBe('BACKEND_BAD_REQUEST');

    const stale = await failure(client({ now: () => Date.now() - 301_000 }).getCustomer('c-1001'));
    expect(stale.code).toBe('BACKEND_BAD_REQUEST');
    const early = await failure(client({ now: () => Date.now() + 301_000 }).getCustomer('c-1001'));
    expect(early.code).toBe('BACKEND_BAD_REQUEST');
    expect(await client({ now: () => Date.now() - 290_000 }).getCustomer('c-1001')).toBeDefined();

    expect(server.requests.map((r) => r.verified)).toEqual([false, false, false, false, true]);
    const stored = server.requests[2]!;
    const check = verifyKefuSignature(
      SECRET,
      { timestamp: stored.headers['x-kefu-timestamp'], signature: stored.headers['x-kefu-signature'] },
      stored.body,
    );
    expect(check).toEqual({ ok: false, reason: 'stale' });
  });

  test('encodes path segments: an order id cannot escape its route', async () => {
    const b = client();
    expect(await b.getOrder('../customers/c-1001')).toBeUndefined();
    expect(await b.getReturnAddress('1001/../../customers/c-1001')).toBeUndefined();
    expect(await b.getOrder('1001?limit=1')).toBeUndefined();
    expect(server.requests.map((r) => r.path)).toEqual([
      '/kefu/orders/..%2Fcustomers%2Fc-1001',
      '/kefu/orders/1001%2F..%2F..%2Fcustomers%2Fc-1001/return-address',
      '/kefu/orders/1001%3Flimit%3D1',
    ]);
    expect(server.requests.every((r) => Object.keys(r.query).length === 0)).toBe(true);

    // `.` and `..` cannot be kept in place by any encoding, so they never leave the client.
    server.reset();
    expect(await b.getOrder('..')).toBeUndefined();
    expect(await b.getOrder('.')).toBeUndefined();
    expect((await failure(b.requestRefund('..', { amount: 1, reason: 'x', fast: true }, 'k'))).code).toBe(
      'BACKEND_BAD_REQUEST',
    );
    expect(server.requests).toHaveLength(0);
  });
});

describe('HttpCommerceBackend retries', () => {
  test('a read that gets two 500s and then a 200 succeeds', async () => {
    server.inject({ kind: 'status', status: 500 }, { times: 2, route: 'GET /orders/:orderId' });
    const order = await client().getOrder('1002');
    expect(order?.id).toBe('1002');
    expect(routeHits('GET /orders/:orderId')).toBe(3);
    expect(server.requests.every((r) => r.verified)).toBe(true);
  });

  test('a read gives up after `retries` and reports the backend unavailable', async () => {
    server.inject({ kind: 'status', status: 503 }, { times: 5 });
    const err = await failure(client({ retries: 2 }).getCustomer('c-1001'));
    expect(err.code).toBe('BACKEND_UNAVAILABLE');
    expect(err.retryable).toBe(true);
    expect(server.requests).toHaveLength(3);
  });

  test('a read survives a dropped connection', async () => {
    server.inject({ kind: 'reset' });
    expect((await client().getCustomer('c-1002'))?.name).toBe('李娜');
    expect(server.requests).toHaveLength(2);
  });

  test('a POST that gets a 500 is not retried', async () => {
    server.inject({ kind: 'status', status: 500 }, { route: 'POST /orders/:orderId/refunds' });
    const err = await failure(
      client().requestRefund('1003', { amount: 10, reason: 'x', fast: true }, 'k-500'),
    );
    expect(err.code).toBe('BACKEND_UNAVAILABLE');
    expect(routeHits('POST /orders/:orderId/refunds')).toBe(1);
    expect(demo.refundsFor('1003')).toHaveLength(0);
  });

  test('a POST whose connection drops is not retried either (it may have been applied)', async () => {
    server.inject({ kind: 'reset' });
    const err = await failure(
      client().bookTicket({ customerId: 'c-1', optionId: 'TR-BJS-SHA-20250614-1', passengers: 1 }, 'k-reset'),
    );
    expect(err.code).toBe('BACKEND_UNAVAILABLE');
    expect(server.requests).toHaveLength(1);
  });

  test('4xx answers are refused requests and are not retried', async () => {
    server.inject({ kind: 'status', status: 400 });
    expect((await failure(client().getOrder('1001'))).code).toBe('BACKEND_BAD_REQUEST');
    server.inject({ kind: 'status', status: 403 });
    expect((await failure(client().getCustomer('c-1001'))).code).toBe('BACKEND_BAD_REQUEST');
    // A 404 where "not found" means nothing: a wrong baseUrl, not a missing record.
    server.inject({ kind: 'status', status: 404 });
    const search = client().searchTickets({ type: 'train', from: '北京', to: '上海', date: '2025-06-14' });
    expect((await failure(search)).code).toBe('BACKEND_BAD_REQUEST');
    expect(server.requests).toHaveLength(3);
  });

  test('a redirect is not followed', async () => {
    server.inject({ kind: 'status', status: 302, body: '' });
    expect((await failure(client().getCustomer('c-1001'))).code).toBe('BACKEND_BAD_RESPONSE');
    expect(server.requests).toHaveLength(1);
  });
});

describe('HttpCommerceBackend timeouts', () => {
  test('a backend that never answers a POST → BACKEND_TIMEOUT after about timeoutMs', async () => {
    server.inject({ kind: 'hang' });
    const started = Date.now();
    const err = await failure(
      client({ timeoutMs: 200 }).recharge({ customerId: 'c-1', phone: '13912345678', amount: 50 }, 'k-hang'),
    );
    const elapsed = Date.now() - started;
    expect(err.code).toBe('BACKEND_TIMEOUT');
    expect(err.retryable).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(1500);
    expect(server.requests).toHaveLength(1);
  });

  test('a read that never answers is retried within the call’s budget (2 × timeoutMs by default)', async () => {
    server.inject({ kind: 'hang' }, { times: 5 });
    const started = Date.now();
    const err = await failure(client({ timeoutMs: 200 }).getOrder('1001'));
    const elapsed = Date.now() - started;
    expect(err.code).toBe('BACKEND_TIMEOUT');
    expect(elapsed).toBeLessThan(1500);
    expect(server.requests.length).toBeGreaterThanOrEqual(2);
    expect(server.requests.length).toBeLessThanOrEqual(3);
  });

  test('a slow first answer is retried and the second one used', async () => {
    server.inject({ kind: 'delay', ms: 400 });
    expect((await client({ timeoutMs: 200, budgetMs: 1000 }).getOrder('1001'))?.id).toBe('1001');
    expect(server.requests).toHaveLength(2);
  });

  test('a connection refused is BACKEND_UNAVAILABLE', async () => {
    const url = server.url;
    await server.close();
    const b = new HttpCommerceBackend({ baseUrl: url, secret: SECRET, retries: 1, backoffMs: 1 });
    const err = await failure(b.getCustomer('c-1001'));
    expect(err.code).toBe('BACKEND_UNAVAILABLE');
    expect(err.message).not.toContain(SECRET);
    server = await startFakeShopServer({ secret: SECRET }); // for afterEach
  });
});

describe('HttpCommerceBackend answers', () => {
  test('malformed JSON → BACKEND_BAD_RESPONSE, not retried', async () => {
    server.inject({ kind: 'raw', body: '{"id": "c-1001", "name": ' });
    expect((await failure(client().getCustomer('c-1001'))).code).toBe('BACKEND_BAD_RESPONSE');
    server.inject({ kind: 'raw', body: '<html>Bad gateway</html>' });
    expect((await failure(client().getOrder('1001'))).code).toBe('BACKEND_BAD_RESPONSE');
    server.inject({ kind: 'raw', body: '' });
    expect((await failure(client().getOrder('1001'))).code).toBe('BACKEND_BAD_RESPONSE');
    expect(server.requests).toHaveLength(3);
  });

  test('schema-invalid answers → BACKEND_BAD_RESPONSE, never half-used data', async () => {
    const b = client();
    server.inject({ kind: 'raw', body: JSON.stringify({ id: 'c-1001', name: '张伟', tier: 9 }) });
    expect((await failure(b.getCustomer('c-1001'))).code).toBe('BACKEND_BAD_RESPONSE');

    const order = await demo.getOrder('1002');
    server.inject({ kind: 'raw', body: JSON.stringify({ ...order, status: 'lost' }) });
    const bad = await failure(b.getOrder('1002'));
    expect(bad.code).toBe('BACKEND_BAD_RESPONSE');
    expect(bad.message).toContain('status');

    // One bad order spoils the list: dropping it would show the customer an invented history.
    const orders = await demo.listOrders('c-1001', 5);
    orders[2] = { ...orders[2]!, total: -1 };
    server.inject({ kind: 'raw', body: JSON.stringify({ orders }) });
    expect((await failure(b.listOrders('c-1001', 5))).code).toBe('BACKEND_BAD_RESPONSE');

    server.inject({ kind: 'raw', body: JSON.stringify({ refundId: 'RF-1', status: 'maybe' }) });
    const refund = b.requestRefund('1003', { amount: 1, reason: 'x', fast: true }, 'k-bad');
    expect((await failure(refund)).code).toBe('BACKEND_BAD_RESPONSE');

    server.inject({ kind: 'raw', body: JSON.stringify([]) });
    expect((await failure(b.recharge({ customerId: 'c', phone: '1', amount: 1 }, 'k-arr'))).code).toBe(
      'BACKEND_BAD_RESPONSE',
    );
  });

  test('a huge answer is refused, declared or streamed', async () => {
    const b = client({ maxResponseBytes: 64 * 1024 });
    server.inject({ kind: 'huge', bytes: 10 * 1024 * 1024, declareLength: true });
    expect((await failure(b.getOrder('1001'))).code).toBe('BACKEND_BAD_RESPONSE');
    server.inject({ kind: 'huge', bytes: 10 * 1024 * 1024 });
    const err = await failure(b.getOrder('1001'));
    expect(err.code).toBe('BACKEND_BAD_RESPONSE');
    expect(err.message).toContain('bytes');
    // The default limit (1 MiB) too.
    server.inject({ kind: 'huge', bytes: 2 * 1024 * 1024 });
    expect((await failure(client().getCustomer('c-1001'))).code).toBe('BACKEND_BAD_RESPONSE');
    expect(server.requests).toHaveLength(3);
  });

  test('no error carries the secret', async () => {
    const b = client({ timeoutMs: 100, retries: 0 });
    const faults = [
      { kind: 'status', status: 500 },
      { kind: 'status', status: 401 },
      { kind: 'raw', body: 'nope' },
      { kind: 'hang' },
      { kind: 'reset' },
    ] as const;
    for (const fault of faults) {
      server.inject(fault);
      const err = await failure(b.getCustomer('c-1001'));
      const seen = `${err.message} ${err.stack} ${JSON.stringify(err)} ${String(err.cause)}`;
      expect(seen).not.toContain(SECRET);
    }
  });

  test('refuses a baseUrl with credentials, a query or a foreign scheme', () => {
    for (const baseUrl of [
      'https://u:p@shop.example',
      'https://shop.example/?a=1',
      'ftp://shop.example',
      'nope',
    ]) {
      expect(() => new HttpCommerceBackend({ baseUrl, secret: SECRET })).toThrow(TypeError);
    }
  });
});

describe('HttpCommerceBackend circuit breaker', () => {
  test('opens after N failures and fails fast without touching the server, then half-opens', async () => {
    let offset = 0;
    const now = () => Date.now() + offset;
    const breaker = new CircuitBreaker({ failureThreshold: 3, coolDownMs: 30_000, now });
    const b = client({ breaker, now, retries: 0 });

    server.inject({ kind: 'status', status: 502 }, { times: 3 });
    for (let i = 0; i < 3; i++) expect((await failure(b.getOrder('1001'))).code).toBe('BACKEND_UNAVAILABLE');
    expect(breaker.state).toBe('open');
    expect(server.requests).toHaveLength(3);

    const fast = await failure(b.getOrder('1001'));
    expect(fast.code).toBe('BACKEND_UNAVAILABLE');
    expect(fast.retryable).toBe(true);
    await failure(b.requestRefund('1003', { amount: 1, reason: 'x', fast: true }, 'k-open'));
    expect(server.requests).toHaveLength(3);

    // After the cool-down one probe goes through; it fails, so the circuit opens again.
    offset += 30_000;
    expect(breaker.state).toBe('half-open');
    server.inject({ kind: 'status', status: 500 });
    await failure(b.getOrder('1001'));
    expect(server.requests).toHaveLength(4);
    expect(breaker.state).toBe('open');
    await failure(b.getOrder('1001'));
    expect(server.requests).toHaveLength(4);

    // The next probe succeeds and closes it.
    offset += 30_000;
    expect((await b.getOrder('1001'))?.id).toBe('1001');
    expect(breaker.state).toBe('closed');
    expect((await b.getCustomer('c-1001'))?.id).toBe('c-1001');
    expect(server.requests).toHaveLength(6);
  });

  test('404s and refused requests do not open it', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2 });
    const b = client({ breaker });
    for (let i = 0; i < 3; i++) expect(await b.getOrder('9999')).toBeUndefined();
    server.inject({ kind: 'status', status: 400 }, { times: 3 });
    for (let i = 0; i < 3; i++) expect((await failure(b.getOrder('1001'))).code).toBe('BACKEND_BAD_REQUEST');
    expect(breaker.state).toBe('closed');
  });

  test('a read’s retries count as one failure', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2 });
    server.inject({ kind: 'status', status: 500 }, { times: 3 });
    await failure(client({ breaker, retries: 2 }).getOrder('1001'));
    expect(server.requests).toHaveLength(3);
    expect(breaker.state).toBe('closed');
  });
});

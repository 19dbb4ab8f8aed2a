import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { type CommerceBackend, isCommerceError, type TicketSearch } from '../commerce';
import { DemoCommerceBackend } from '../demo.backend';
import { verifyKefuSignature } from '../signature';

/** One request as the shop's backend saw it on the wire. */
export interface RecordedRequest {
  method: string;
  /** The path as received (still percent-encoded), without the query. */
  path: string;
  query: Record<string, string>;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
  /** The route it matched, e.g. `GET /orders/:orderId`; undefined for an unknown path. */
  route?: string;
  /** Whether its timestamp and signature verified. */
  verified: boolean;
}

/** A misbehaviour to inject instead of (or before) the normal answer. */
export type FakeShopFault =
  /** Answer with this status and body (default `{"error":"injected"}`). */
  | { kind: 'status'; status: number; body?: string }
  /** Answer 200 with this raw body: malformed JSON, a schema-invalid answer… */
  | { kind: 'raw'; body: string; status?: number }
  /** Never answer (until the server closes). */
  | { kind: 'hang' }
  /** Answer normally, after a delay. */
  | { kind: 'delay'; ms: number }
  /** Drop the connection without an answer. */
  | { kind: 'reset' }
  /** Answer 200 with `bytes` bytes, streamed; `declareLength` sends a Content-Length too. */
  | { kind: 'huge'; bytes: number; declareLength?: boolean };

export interface FakeShopServerOptions {
  secret: string;
  /** The data served; default a fresh DemoCommerceBackend. */
  backend?: CommerceBackend;
  /** Served under this path, e.g. `/kefu` (default: the root). */
  basePath?: string;
  /** Added to every answer. */
  latencyMs?: number;
  /** The shop's clock, epoch ms. */
  now?: () => number;
  maxSkewSeconds?: number;
  /** Called for every request (after it is recorded): a fault to apply, or undefined to serve it. */
  failNext?: (request: RecordedRequest) => FakeShopFault | undefined;
}

export interface InjectOptions {
  /** How many matching requests get the fault (default 1). */
  times?: number;
  /** Only requests of this route, e.g. `GET /orders/:orderId` (default: any). */
  route?: string;
}

export interface FakeShopServer {
  /** The base URL to configure as `commerce.baseUrl`. */
  readonly url: string;
  readonly backend: CommerceBackend;
  /** Every request received, oldest first, including refused ones. */
  readonly requests: RecordedRequest[];
  latencyMs: number;
  /** Queues a fault for the next matching request(s); queued faults apply in order. */
  inject(fault: FakeShopFault, options?: InjectOptions): void;
  /** Forgets recorded requests and queued faults. */
  reset(): void;
  close(): Promise<void>;
}

const MAX_REQUEST_BYTES = 64 * 1024;

// Types are checked, ranges are not: the backend itself answers `rejected`/`failed`, as the demo does.
const refundBody = z.object({ amount: z.number(), reason: z.string(), fast: z.boolean() });
const rechargeBody = z.object({ customerId: z.string(), phone: z.string(), amount: z.number() });
const bookingBody = z.object({ customerId: z.string(), optionId: z.string(), passengers: z.number() });

type Answer = { status: number; body?: unknown };

interface Route {
  method: 'GET' | 'POST';
  pattern: string[];
  name: string;
  handle(
    params: string[],
    ctx: { query: Record<string, string>; json: () => unknown; key: string },
  ): Promise<Answer>;
}

const found = (value: unknown): Answer => (value === undefined ? notFound() : { status: 200, body: value });
const notFound = (): Answer => ({ status: 404, body: { error: 'not found' } });

function routes(backend: CommerceBackend): Route[] {
  const route = (method: Route['method'], path: string, handle: Route['handle']): Route => ({
    method,
    pattern: path.split('/').filter(Boolean),
    name: `${method} ${path}`,
    handle,
  });
  return [
    route('GET', '/customers/:customerId', async ([id]) => found(await backend.getCustomer(id!))),
    route('GET', '/customers/:customerId/orders', async ([id], { query }) => {
      const limit = query.limit === undefined ? 5 : Number(query.limit);
      if (!Number.isInteger(limit) || limit < 0) return { status: 400, body: { error: 'bad limit' } };
      return { status: 200, body: { orders: await backend.listOrders(id!, limit) } };
    }),
    route('GET', '/orders/:orderId', async ([id]) => found(await backend.getOrder(id!))),
    route('GET', '/orders/:orderId/return-address', async ([id]) =>
      found(await backend.getReturnAddress(id!)),
    ),
    route('POST', '/orders/:orderId/refunds', async ([id], { json, key }) => ({
      status: 200,
      body: await backend.requestRefund(id!, refundBody.parse(json()), key),
    })),
    route('POST', '/recharges', async (_, { json, key }) => ({
      status: 200,
      body: await backend.recharge(rechargeBody.parse(json()), key),
    })),
    route('GET', '/tickets/search', async (_, { query }) => {
      // Unchecked on purpose: the backend refuses a malformed query (BAD_REQUEST → 400 below).
      const search = { type: query.type, from: query.from, to: query.to, date: query.date } as TicketSearch;
      return { status: 200, body: { options: await backend.searchTickets(search) } };
    }),
    route('POST', '/tickets/bookings', async (_, { json, key }) => ({
      status: 200,
      body: await backend.bookTicket(bookingBody.parse(json()), key),
    })),
  ];
}

function match(all: Route[], segments: string[]): { route: Route; params: string[] }[] {
  const hits: { route: Route; params: string[] }[] = [];
  for (const route of all) {
    if (route.pattern.length !== segments.length) continue;
    const params: string[] = [];
    const ok = route.pattern.every((p, i) => {
      if (p.startsWith(':')) return params.push(segments[i]!) > 0;
      return p === segments[i];
    });
    if (ok) hits.push({ route, params });
  }
  return hits;
}

/**
 * A small shop backend speaking the commerce contract over real HTTP, for tests: it serves a
 * CommerceBackend (the demo by default), checks the signature and timestamp of every request
 * (401 otherwise), needs an Idempotency-Key on every POST (400), records everything it receives,
 * and can be told to fail, hang or flood per route.
 */
export async function startFakeShopServer(options: FakeShopServerOptions): Promise<FakeShopServer> {
  const backend = options.backend ?? new DemoCommerceBackend();
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  const now = options.now ?? Date.now;
  const table = routes(backend);
  const requests: RecordedRequest[] = [];
  let queued: { fault: FakeShopFault; left: number; route?: string }[] = [];

  const state = { latencyMs: options.latencyMs ?? 0 };

  const takeQueued = (request: RecordedRequest): FakeShopFault | undefined => {
    const entry = queued.find((q) => q.left > 0 && (q.route === undefined || q.route === request.route));
    if (!entry) return undefined;
    entry.left -= 1;
    queued = queued.filter((q) => q.left > 0);
    return entry.fault;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readRequestBody(req);
    const target = new URL(req.url ?? '/', 'http://fake.invalid');
    const rawPath = (req.url ?? '/').split('?')[0]!;
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
    );
    const check = verifyKefuSignature(
      options.secret,
      { timestamp: headers['x-kefu-timestamp'], signature: headers['x-kefu-signature'] },
      raw ?? '',
      now(),
      options.maxSkewSeconds,
    );
    const segments = splitPath(rawPath, basePath);
    const hits = segments ? match(table, segments) : [];
    const hit = hits.find((h) => h.route.method === req.method);
    const request: RecordedRequest = {
      method: req.method ?? '',
      path: rawPath,
      query: Object.fromEntries(target.searchParams),
      headers,
      body: raw ?? '',
      route: hit?.route.name,
      verified: check.ok,
    };
    requests.push(request);

    const fault = options.failNext?.(request) ?? takeQueued(request);
    if (fault && (await applyFault(fault, req, res))) return;
    if (state.latencyMs > 0) await sleep(state.latencyMs);

    if (raw === undefined) return send(res, { status: 413, body: { error: 'request too large' } });
    if (!check.ok) return send(res, { status: 401, body: { error: `signature ${check.reason}` } });
    if (!segments || hits.length === 0) return send(res, notFound());
    if (!hit) return send(res, { status: 405, body: { error: 'method not allowed' } });
    const key = headers['idempotency-key'] ?? '';
    if (req.method === 'POST') {
      if (!key) return send(res, { status: 400, body: { error: 'Idempotency-Key required' } });
      if (!/^application\/json\b/.test(headers['content-type'] ?? '')) {
        return send(res, { status: 415, body: { error: 'application/json required' } });
      }
    }
    try {
      const json = () => JSON.parse(raw) as unknown;
      send(res, await hit.route.handle(hit.params, { query: request.query, json, key }));
    } catch (err) {
      const bad = err instanceof SyntaxError || err instanceof z.ZodError;
      if (bad || (isCommerceError(err) && err.code === 'BACKEND_BAD_REQUEST')) {
        return send(res, { status: 400, body: { error: 'bad request' } });
      }
      send(res, { status: 500, body: { error: 'internal error' } });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, { status: 500, body: { error: 'internal error' } });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    backend,
    requests,
    get latencyMs() {
      return state.latencyMs;
    },
    set latencyMs(ms: number) {
      state.latencyMs = ms;
    },
    inject(fault, { times = 1, route } = {}) {
      queued.push({ fault, left: times, route });
    },
    reset() {
      requests.length = 0;
      queued = [];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Hanging answers would keep close() waiting forever.
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** Decoded segments below basePath, or undefined when the path is outside it or badly encoded. */
function splitPath(rawPath: string, basePath: string): string[] | undefined {
  if (basePath && rawPath !== basePath && !rawPath.startsWith(`${basePath}/`)) return undefined;
  try {
    // Split before decoding: `..%2Fx` stays one segment, as a careful backend would read it.
    return rawPath.slice(basePath.length).split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

/** Returns whether the fault answered the request (a delay lets it be served normally). */
async function applyFault(fault: FakeShopFault, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  switch (fault.kind) {
    case 'delay':
      await sleep(fault.ms);
      return false;
    case 'hang':
      return true;
    case 'reset':
      req.socket.destroy();
      return true;
    case 'status':
      res.writeHead(fault.status, { 'content-type': 'application/json' });
      res.end(fault.body ?? '{"error":"injected"}');
      return true;
    case 'raw':
      res.writeHead(fault.status ?? 200, { 'content-type': 'application/json' });
      res.end(fault.body);
      return true;
    case 'huge': {
      const headers: Record<string, string | number> = { 'content-type': 'application/json' };
      if (fault.declareLength) headers['content-length'] = fault.bytes;
      res.writeHead(200, headers);
      await flood(res, fault.bytes);
      return true;
    }
  }
}

/** Writes `bytes` of a JSON-looking string, honouring back-pressure, until done or the client leaves. */
async function flood(res: ServerResponse, bytes: number): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  let left = bytes;
  while (left > 0 && !res.destroyed) {
    const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
    left -= piece.length;
    if (!res.write(piece)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  if (!res.destroyed) res.end();
}

/** The body as text, or undefined when it exceeds MAX_REQUEST_BYTES. */
async function readRequestBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, answer: Answer): void {
  const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

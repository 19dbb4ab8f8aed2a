import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { api } from '../../tests/support/http';
import { type TestServer, startTestServer } from '../../tests/support/server';
import { type ServerFrame, closeCodes, serverFrameSchema } from './protocol';
import { type WebChannelOptions, createWebChannel } from './web.adapter';

/** A socket that records every frame (validated against the protocol) and how it closed. */
class Client {
  readonly frames: ServerFrame[] = [];
  readonly closed: Promise<{ code: number; reason: string; at: number }>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.frames.push(serverFrameSchema.parse(JSON.parse(String(data)))));
    ws.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })),
    );
  }

  async until<T extends ServerFrame['type']>(
    type: T,
    match: (f: Extract<ServerFrame, { type: T }>) => boolean = () => true,
  ): Promise<Extract<ServerFrame, { type: T }>> {
    return (await this.first(
      (f) => f.type === type && match(f as Extract<ServerFrame, { type: T }>),
    )) as Extract<ServerFrame, { type: T }>;
  }

  /** The first frame (already received or still to come) that `match` accepts. */
  async first(match: (f: ServerFrame) => boolean, timeoutMs = 20_000): Promise<ServerFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no such frame; got ${JSON.stringify(this.frames)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  send(frame: unknown): void {
    this.ws.send(JSON.stringify(frame));
  }
}

const visitorId = () => `v_${randomBytes(9).toString('base64url')}`;

let srv: TestServer;
let shopId: string;
const open: Client[] = [];

beforeAll(async () => {
  // One turn at a time and no queue: a second message while one runs is refused (OVERLOADED).
  srv = await startTestServer({ env: { KEFU_MAX_CONCURRENT_TURNS: '1', KEFU_MAX_QUEUED_TURNS: '0' } });
  const shop = await api(srv.url, 'POST', '/api/v1/shops', {
    token: srv.adminToken,
    body: { name: 'Limits' },
  });
  shopId = shop.body.id;
}, 60_000);

afterEach(() => {
  for (const c of open.splice(0)) c.ws.terminate();
});

afterAll(async () => {
  await srv?.stop();
});

/** The web channel on its own, with test limits, over the same platform. */
async function channel(options: WebChannelOptions) {
  const web = createWebChannel(srv.platform, options);
  const server = http.createServer();
  server.on('upgrade', (req, socket, head) => {
    if (!web.upgrade?.(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/channels/web/${shopId}/ws`;
  return {
    connect(opts?: ConstructorParameters<typeof WebSocket>[2]) {
      const client = new Client(new WebSocket(`${base}?visitorId=${visitorId()}`, opts));
      open.push(client);
      return client;
    },
    async stop() {
      await web.close?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

test('a socket that stops answering pings is dropped', async () => {
  const web = await channel({ heartbeatMs: 100 });
  try {
    const dead = web.connect({ autoPong: false });
    await dead.until('history');
    expect((await dead.closed).code).toBe(1006);
  } finally {
    await web.stop();
  }
});

test('a socket with no message for the idle limit is closed (4408), keep-alive pings do not count', async () => {
  const web = await channel({ heartbeatMs: 100, idleMs: 1500 });
  try {
    const idle = web.connect();
    const active = web.connect();
    await Promise.all([idle.until('history'), active.until('history')]);
    // The idle one only pings, as the widget does; the active one chats every 500 ms.
    const pinging = setInterval(() => idle.send({ type: 'ping' }), 200);
    let n = 0;
    const chatting = setInterval(() => active.send({ type: 'message', id: `m-${n++}`, text: 'hello' }), 500);
    let idleClosed;
    try {
      idleClosed = await idle.closed;
      expect(active.ws.readyState).toBe(WebSocket.OPEN);
    } finally {
      clearInterval(pinging);
      clearInterval(chatting);
    }
    expect(idleClosed).toMatchObject({ code: closeCodes.idle, reason: 'idle for too long' });
    expect(idle.frames.some((f) => f.type === 'pong')).toBe(true);
    // Once it stops chatting, the active one idles out too.
    const stopped = Date.now();
    const activeClosed = await active.closed;
    expect(activeClosed.code).toBe(closeCodes.idle);
    expect(activeClosed.at - stopped).toBeGreaterThanOrEqual(1000);
  } finally {
    await web.stop();
  }
});

test('beyond the socket cap an upgrade gets 503 with Retry-After; a closed socket frees its place', async () => {
  const web = await channel({ maxSockets: 3 });
  try {
    const three = [web.connect(), web.connect(), web.connect()];
    await Promise.all(three.map((c) => c.until('history')));

    const fourth = web.connect();
    const refused = await new Promise<http.IncomingMessage>((resolve, reject) => {
      fourth.ws.once('unexpected-response', (_req, res) => resolve(res));
      fourth.ws.once('open', () => reject(new Error('the fourth socket was let in')));
    });
    expect(refused.statusCode).toBe(503);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);

    three[0]!.ws.close();
    await three[0]!.closed;
    const again = web.connect();
    await again.until('history');
    expect(again.ws.readyState).toBe(WebSocket.OPEN);
  } finally {
    await web.stop();
  }
});

test('an overloaded instance answers a message with an OVERLOADED error frame; the socket stays open', async () => {
  const wsBase = srv.url.replace(/^http/, 'ws');
  const clients = Array.from({ length: 12 }, () => {
    const c = new Client(new WebSocket(`${wsBase}/channels/web/${shopId}/ws?visitorId=${visitorId()}`));
    open.push(c);
    return c;
  });
  await Promise.all(clients.map((c) => c.until('history')));
  // All at once: with one turn at a time and no queue, the instance sheds most of them.
  clients.forEach((c, i) => c.send({ type: 'message', id: `burst-${i}`, text: 'hello' }));
  const outcomes = await Promise.all(
    clients.map((c, i) => c.first((f) => (f.type === 'ack' || f.type === 'error') && f.id === `burst-${i}`)),
  );
  const refused = outcomes.filter((o) => o.type === 'error');
  expect(outcomes.some((o) => o.type === 'ack')).toBe(true);
  expect(refused.length).toBeGreaterThan(0);
  for (const e of refused) {
    expect(e).toMatchObject({ type: 'error', code: 'OVERLOADED', retryable: true });
    expect(e.retryAfter).toBeGreaterThanOrEqual(1);
  }

  // The refused visitor resends (same id, as the widget does) once it is quiet: answered, same socket.
  const i = outcomes.findIndex((o) => o.type === 'error');
  const c = clients[i]!;
  expect(c.ws.readyState).toBe(WebSocket.OPEN);
  c.send({ type: 'message', id: `burst-${i}`, text: 'hello' });
  await c.until('ack', (f) => f.id === `burst-${i}`);
  expect(c.frames.some((f) => f.type === 'message' && f.message.role === 'bot')).toBe(true);
});

import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { topics } from '../../bot/events';
import { userHashFor } from '../../bot/identity';
import type { StoredMessage } from '../../bot/store/conversations.repo';
import type { MessageEvent } from '../../bot/turn';
import { type TestServer, startTestServer } from '../../tests/support/server';
import { createTestDatabase, describeWith, serviceUrl } from '../../tests/support/services';
import { type ServerFrame, type WidgetConfig, serverFrameSchema } from './protocol';
import { createWebChannel } from './web.adapter';

/** A WebSocket client that records every frame, validates it against the protocol, and waits for the next one. */
class TestClient {
  readonly frames: ServerFrame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private cursor = 0;
  private wake?: () => void;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(serverFrameSchema.parse(JSON.parse(String(data))));
      this.wake?.();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.wake?.();
      });
    });
    ws.on('error', () => undefined);
  }

  static connect(url: string, opts: ConstructorParameters<typeof WebSocket>[2] = {}): TestClient {
    return new TestClient(new WebSocket(url, opts));
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame (after the ones already taken) of `type`; frames skipped on the way are taken too. */
  async next<T extends ServerFrame['type']>(
    type: T,
    timeoutMs = 15_000,
  ): Promise<Extract<ServerFrame, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.frames.length) {
        const frame = this.frames[this.cursor++]!;
        if (frame.type === type) return frame as Extract<ServerFrame, { type: T }>;
      }
      if (this.ws.readyState === WebSocket.CLOSED)
        throw new Error(`socket closed while waiting for "${type}"`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no "${type}" frame; got ${JSON.stringify(this.frames.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Frames taken so far, from `from` on. */
  taken(from = 0): ServerFrame[] {
    return this.frames.slice(from, this.cursor);
  }

  get position(): number {
    return this.cursor;
  }

  close(): void {
    this.ws.close();
  }
}

let srv: TestServer;
let wsBase: string;
const clients: TestClient[] = [];

function visitorId(): string {
  return `v_${randomBytes(9).toString('base64url')}`;
}

function connect(
  shopId: string,
  params: Record<string, string>,
  opts?: ConstructorParameters<typeof WebSocket>[2],
) {
  const client = TestClient.connect(
    `${wsBase}/channels/web/${shopId}/ws?${new URLSearchParams(params)}`,
    opts,
  );
  clients.push(client);
  return client;
}

/** Sends one message and collects the frames up to the turn's end (typing off). */
async function turn(client: TestClient, id: string, text: string) {
  const start = client.position;
  client.send({ type: 'message', id, text });
  await client.next('ack');
  await client.next('typing');
  const frames = client.taken(start);
  return { frames, messages: frames.flatMap((f) => (f.type === 'message' ? [f.message] : [])) };
}

beforeAll(async () => {
  srv = await startTestServer({ demo: true });
  wsBase = srv.url.replace(/^http/, 'ws');
});

afterEach(() => {
  for (const c of clients.splice(0)) c.ws.terminate();
});

afterAll(() => srv.stop());

describe('HTTP routes', () => {
  test('GET /channels/web/:shopId/config gives the name, greetings and the widget words', async () => {
    const res = await fetch(`${srv.url}/channels/web/demo/config`);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const body = (await res.json()) as WidgetConfig;
    expect(body).toMatchObject({ shopId: 'demo', name: 'Kefu 演示商城', locales: ['zh-CN', 'en-US'] });
    expect(body.greeting['zh-CN']).toContain('Kefu 演示商城');
    expect(body.greeting['en-US']).toMatch(/welcome|assistant/i);
    expect(body.ui['zh-CN']?.send).toBe('发送');
    expect(body.ui['en-US']?.send).toBe('Send');
  });

  test('a shop without a profile gets the default greeting from the catalogue', async () => {
    await srv.platform.store.shops.create({ id: 'plain-shop', name: '小店', locales: ['zh-CN', 'en-US'] });
    const body = (await (await fetch(`${srv.url}/channels/web/plain-shop/config`)).json()) as WidgetConfig;
    expect(body.name).toBe('小店');
    expect(body.greeting['zh-CN']).toBe('您好，我是小店的智能客服，有什么可以帮您？');
    expect(body.greeting['en-US']).toContain('小店');
  });

  test('an unknown shop is a JSON 404', async () => {
    const res = await fetch(`${srv.url}/channels/web/no-such-shop/config`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
  });

  test('GET /widget.js serves the bundled widget', async () => {
    const res = await fetch(`${srv.url}/widget.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toContain('max-age=300');
    const js = await res.text();
    expect(js).toContain('kefu-launcher');
    expect(js).not.toMatch(/^\s*import /m);
    expect(js.length).toBeLessThan(40_000);
  });

  test('bundled scripts go gzipped to browsers that take it, and 304 when the copy is current', async () => {
    const get = (path: string, headers: Record<string, string>) =>
      new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        http
          .get(`${srv.url}${path}`, { headers }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
            );
          })
          .on('error', reject);
      });
    for (const path of ['/widget.js', '/agent/workspace.js', '/admin/admin.js']) {
      const plain = await get(path, {});
      expect(plain.headers['content-encoding']).toBeUndefined();
      const zipped = await get(path, { 'accept-encoding': 'gzip, deflate, br' });
      expect(zipped.status).toBe(200);
      expect(zipped.headers['content-encoding']).toBe('gzip');
      expect(zipped.headers.vary).toMatch(/Accept-Encoding/i);
      expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
      expect(zipped.body.length).toBeLessThan(plain.body.length / 2);
      const etag = String(zipped.headers.etag);
      expect(etag).toMatch(/^"[\w-]+"$/);
      const again = await get(path, { 'accept-encoding': 'gzip', 'if-none-match': etag });
      expect(again.status).toBe(304);
      expect(again.body.length).toBe(0);
    }
  });

  test('GET / serves the demo shop page with the widget script tag', async () => {
    const res = await fetch(`${srv.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('<script src="/widget.js" data-shop-id="demo" defer></script>');
  });
});

describe('WebSocket /channels/web/:shopId/ws', () => {
  test('a conversation: history, typing, the user and bot messages, then history after reconnecting', async () => {
    const visitor = visitorId();
    const first = connect('demo', { visitorId: visitor });
    expect((await first.next('history')).messages).toEqual([]);

    const { frames, messages } = await turn(first, 'c-1', '你好');
    const types = frames.map((f) => f.type);
    expect(types[0]).toBe('typing');
    expect(frames[0]).toEqual({ type: 'typing', on: true });
    expect(frames.at(-1)).toEqual({ type: 'typing', on: false });
    expect(types.indexOf('ack')).toBeGreaterThan(types.lastIndexOf('message'));
    expect(messages[0]).toMatchObject({ role: 'user', text: '你好', clientId: 'c-1' });
    const bot = messages.filter((m) => m.role === 'bot');
    expect(bot.length).toBeGreaterThanOrEqual(1);
    expect(bot[0]!.text).toMatch(/您好|欢迎/);
    expect(bot[0]!.quickReplies?.length).toBeGreaterThan(0);
    expect(new Set(messages.map((m) => m.id)).size).toBe(messages.length);
    const ack = frames.find((f) => f.type === 'ack');
    expect(ack).toEqual({ type: 'ack', id: 'c-1', messageId: messages[0]!.id });
    // Internal fields never reach the browser.
    expect(JSON.stringify(frames)).not.toMatch(/"nlu"|latencyMs/);
    first.close();

    const second = connect('demo', { visitorId: visitor });
    const history = (await second.next('history')).messages;
    expect(history.map((m) => m.id)).toEqual(messages.map((m) => m.id));
    expect(history[0]).toMatchObject({ role: 'user', text: '你好' });

    const conversation = await srv.platform.store.conversations.findOpen('demo', `web:${visitor}`);
    expect(conversation).toMatchObject({ channel: 'web', verified: false });
    expect(await srv.platform.store.conversations.countTurns(conversation!.id)).toBe(1);

    // The widget resends what it had not seen acknowledged, with the same id: no second turn.
    const resent = await turn(second, 'c-1', '你好');
    expect(resent.messages).toEqual([]);
    expect(resent.frames.find((f) => f.type === 'ack')).toEqual({
      type: 'ack',
      id: 'c-1',
      messageId: messages[0]!.id,
    });
    expect(await srv.platform.store.conversations.countTurns(conversation!.id)).toBe(1);
  });

  test('every socket of the conversation gets its messages, agent replies from elsewhere included', async () => {
    const visitor = visitorId();
    const tabA = connect('demo', { visitorId: visitor });
    await tabA.next('history');
    await turn(tabA, 'a-1', '你好');

    const tabB = connect('demo', { visitorId: visitor });
    expect((await tabB.next('history')).messages.length).toBeGreaterThanOrEqual(2);
    const sent = await turn(tabA, 'a-2', '谢谢');
    const seenByB = [await tabB.next('message'), await tabB.next('message')].map((f) => f.message);
    expect(seenByB[0]).toMatchObject({ role: 'user', text: '谢谢' });
    expect(seenByB[0]!.clientId).toBeUndefined(); // tab B did not send it
    expect(seenByB.map((m) => m.id)).toEqual(sent.messages.slice(0, 2).map((m) => m.id));

    // An agent's reply stored and published by another process reaches both tabs through the bus.
    const conversation = await srv.platform.store.conversations.findOpen('demo', `web:${visitor}`);
    const message: StoredMessage = {
      id: `m_agent_${randomBytes(4).toString('hex')}`,
      role: 'agent',
      text: '您好，我是人工客服小王。',
      createdAt: new Date().toISOString(),
    };
    await srv.platform.store.conversations.appendMessages('demo', conversation!.id, [message]);
    const event: MessageEvent = { type: 'message', conversationId: conversation!.id, message };
    await srv.platform.events.publish(topics.conversation('demo', conversation!.id), event);
    for (const tab of [tabA, tabB]) {
      expect((await tab.next('message')).message).toMatchObject({
        id: message.id,
        role: 'agent',
        text: message.text,
      });
    }
    // Published twice (a retry somewhere): still shown once.
    await srv.platform.events.publish(topics.conversation('demo', conversation!.id), event);
    tabA.send({ type: 'ping' });
    await tabA.next('pong');
    expect(tabA.frames.filter((f) => f.type === 'message' && f.message.id === message.id)).toHaveLength(1);
  });

  test('bad frames get an error frame and the socket stays usable', async () => {
    const client = connect('demo', { visitorId: visitorId() });
    await client.next('history');

    client.send('{not json');
    expect(await client.next('error')).toMatchObject({ code: 'INVALID_JSON' });
    client.send({ type: 'message', id: 'has spaces!', text: 'hi' });
    expect(await client.next('error')).toMatchObject({ code: 'VALIDATION_FAILED' });
    client.send({ type: 'shout' });
    expect(await client.next('error')).toMatchObject({ code: 'VALIDATION_FAILED' });
    client.send({ type: 'message', id: 'empty-1', text: '   ' });
    expect(await client.next('error')).toMatchObject({ code: 'EMPTY_MESSAGE', id: 'empty-1' });

    // 2,001 code points (4,002 UTF-16 units): too long, counted the way the API counts.
    client.send({ type: 'message', id: 'long-1', text: '😀'.repeat(2001) });
    const tooLong = await client.next('error');
    expect(tooLong).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', id: 'long-1' });
    expect(tooLong.message).not.toMatch(/\bat\s.+\(/); // no stack trace

    client.send({ type: 'ping' });
    await client.next('pong');
    const { messages } = await turn(client, 'ok-1', '你好');
    expect(messages.some((m) => m.role === 'bot')).toBe(true);
  });

  test('frames sent before the history arrives are answered, in order', async () => {
    const client = connect('demo', { visitorId: visitorId() });
    await new Promise((resolve) => client.ws.once('open', resolve));
    client.send({ type: 'message', id: 'early-1', text: '你好' });
    client.send({ type: 'message', id: 'early-2', text: '谢谢' });
    expect((await client.next('history')).messages).toEqual([]);
    expect(await client.next('ack')).toMatchObject({ id: 'early-1' });
    expect(await client.next('ack')).toMatchObject({ id: 'early-2' });
    const users = client.frames.flatMap((f) =>
      f.type === 'message' && f.message.role === 'user' ? [f.message] : [],
    );
    expect(users.map((m) => [m.text, m.clientId])).toEqual([
      ['你好', 'early-1'],
      ['谢谢', 'early-2'],
    ]);
  });

  test('an unknown shop closes with 4404, a bad visitorId with 4400', async () => {
    expect((await connect('no-such-shop', { visitorId: visitorId() }).closed).code).toBe(4404);
    expect((await connect('demo', { visitorId: 'short' }).closed).code).toBe(4400);
    expect((await connect('demo', {}).closed).code).toBe(4400);
  });

  test('a userHash that does not verify closes with 4401', async () => {
    const closed = await connect('demo', {
      visitorId: visitorId(),
      userId: 'cust-7',
      userHash: 'ab'.repeat(32),
    }).closed;
    expect(closed.code).toBe(4401);
    expect(closed.reason).toMatch(/userHash/);
  });

  test('a verified customer chats as themselves', async () => {
    const shop = await srv.platform.store.shops.findById('demo');
    const userId = `cust-${randomBytes(4).toString('hex')}`;
    const client = connect('demo', {
      visitorId: visitorId(),
      userId,
      userHash: userHashFor(shop!.identitySecret, userId),
    });
    expect((await client.next('history')).messages).toEqual([]);
    const { messages } = await turn(client, 'v-1', '你好');
    expect(messages.some((m) => m.role === 'bot')).toBe(true);
    const conversation = await srv.platform.store.conversations.findOpen('demo', userId);
    expect(conversation).toMatchObject({ userId, verified: true, channel: 'web' });
  });

  test('猜你想问: a verified demo customer opening the chat is offered questions from their orders, once', async () => {
    const shop = await srv.platform.store.shops.findById('demo');
    const params = {
      visitorId: visitorId(),
      userId: 'c-1002',
      userHash: userHashFor(shop!.identitySecret, 'c-1002'),
    };
    const first = (await connect('demo', params).next('history')).messages;
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ role: 'bot' });
    const payloads = (first[0]!.quickReplies ?? []).map((q: { payload: string }) => q.payload);
    expect(payloads.length).toBeGreaterThan(0);
    expect(payloads.every((p: string) => p.startsWith('suggest:'))).toBe(true);
    // Reconnecting shows the same conversation; the offer is not repeated.
    const again = (await connect('demo', params).next('history')).messages;
    expect(again.map((m: { id: string }) => m.id)).toEqual(first.map((m: { id: string }) => m.id));
  });

  test('other upgrade paths are not taken', async () => {
    const client = TestClient.connect(`${wsBase}/channels/web/demo/not-ws?visitorId=${visitorId()}`);
    clients.push(client);
    const error = await new Promise<Error>((resolve) => client.ws.once('error', resolve));
    expect(error.message).toMatch(/404/);
  });
});

describe('heartbeat', () => {
  test('a socket that stops answering pings is dropped; one that answers stays', async () => {
    // The channel on its own, with a fast heartbeat, over the same platform.
    const channel = createWebChannel(srv.platform, { heartbeatMs: 100 });
    const server = http.createServer();
    server.on('upgrade', (req, socket, head) => {
      if (!channel.upgrade?.(req, socket, head)) socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/channels/web/demo/ws`;
    try {
      const dead = TestClient.connect(`${base}?visitorId=${visitorId()}`, { autoPong: false });
      const live = TestClient.connect(`${base}?visitorId=${visitorId()}`);
      clients.push(dead, live);
      await Promise.all([dead.next('history'), live.next('history')]);
      expect((await dead.closed).code).toBe(1006);
      expect(live.ws.readyState).toBe(WebSocket.OPEN);
    } finally {
      await channel.close?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describeWith('REDIS_URL')('across instances (PostgreSQL + Redis)', () => {
  let db: { url: string; drop(): Promise<void> };
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    const databaseUrl = serviceUrl('DATABASE_URL');
    if (!databaseUrl) throw new Error('DATABASE_URL is needed with REDIS_URL for the two-instance test');
    db = await createTestDatabase(databaseUrl);
    const redisUrl = serviceUrl('REDIS_URL');
    a = await startTestServer({ demo: true, databaseUrl: db.url, redisUrl });
    b = await startTestServer({ demo: true, databaseUrl: db.url, redisUrl });
  });

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await db?.drop();
  });

  test('sockets on two instances see the same messages, each once, with events arriving through Redis', async () => {
    const visitor = visitorId();
    const onA = TestClient.connect(
      `${a.url.replace(/^http/, 'ws')}/channels/web/demo/ws?visitorId=${visitor}`,
    );
    clients.push(onA);
    await onA.next('history');
    const first = await turn(onA, 'x-1', '你好');
    expect(first.messages[0]).toMatchObject({ role: 'user', text: '你好', clientId: 'x-1' });
    expect(first.messages.some((m) => m.role === 'bot')).toBe(true);

    const onB = TestClient.connect(
      `${b.url.replace(/^http/, 'ws')}/channels/web/demo/ws?visitorId=${visitor}`,
    );
    clients.push(onB);
    expect((await onB.next('history')).messages.map((m) => m.id)).toEqual(first.messages.map((m) => m.id));

    // A turn on A reaches B through Redis; an agent reply published by B reaches A the same way.
    const second = await turn(onA, 'x-2', '谢谢');
    for (const m of second.messages) expect((await onB.next('message')).message.id).toBe(m.id);
    const conversation = await b.platform.store.conversations.findOpen('demo', `web:${visitor}`);
    const message: StoredMessage = {
      id: `m_agent_${randomBytes(4).toString('hex')}`,
      role: 'agent',
      text: 'Hello from an agent on the other instance.',
      createdAt: new Date().toISOString(),
    };
    await b.platform.store.conversations.appendMessages('demo', conversation!.id, [message]);
    const event: MessageEvent = { type: 'message', conversationId: conversation!.id, message };
    await b.platform.events.publish(topics.conversation('demo', conversation!.id), event);
    expect((await onA.next('message')).message).toMatchObject({ id: message.id, role: 'agent' });

    // Late copies through Redis were dropped: every message went to each socket once.
    await new Promise((r) => setTimeout(r, 300));
    for (const client of [onA, onB]) {
      const ids = client.frames.flatMap((f) => (f.type === 'message' ? [f.message.id] : []));
      expect(new Set(ids).size).toBe(ids.length);
    }
  });
});

describe('shutdown', () => {
  // Last: it stops the shared server.
  test('close() sends 1001 to every open socket', async () => {
    const client = connect('demo', { visitorId: visitorId() });
    await client.next('history');
    await srv.stop();
    expect((await client.closed).code).toBe(1001);
  });
});

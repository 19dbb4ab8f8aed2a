import net from 'node:net';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { buildSync } from 'esbuild';
import fc from 'fast-check';
import type { z } from 'zod';
import type { Reply } from '../../../bot/activity';
import { userHashFor } from '../../../bot/identity';
import type { StoredMessage } from '../../../bot/store/conversations.repo';
import type { TurnResult } from '../../../bot/turn';
import type { postMessageSchema } from '../protocol';
import { type TestServer, startTestServer } from '../../../tests/support/server';
import {
  type KefuMessage,
  type KefuPostMessageBody,
  type KefuReply,
  type KefuStream,
  type KefuTurnResult,
  KefuApiError,
  SseParser,
  type SseEvent,
  createKefuClient,
  isMessage,
  isTurnResult,
  parseRetryAfter,
} from './client';

// ---------------------------------------------------------------------------------------------
// The client's wire types are the server's (checked by `tsc --noEmit`: a drift is a type error).
// ---------------------------------------------------------------------------------------------
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const typesInSync: [
  Equals<KefuTurnResult, TurnResult>,
  Equals<KefuReply, Reply>,
  Equals<KefuMessage, StoredMessage>,
  Equals<KefuPostMessageBody, z.input<typeof postMessageSchema>>,
] = [true, true, true, true];

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function parseAll(chunks: string[]): { events: SseEvent[]; retries: number[] } {
  const events: SseEvent[] = [];
  const retries: number[] = [];
  const parser = new SseParser(
    (e) => events.push(e),
    (ms) => retries.push(ms),
  );
  for (const c of chunks) parser.feed(c);
  return { events, retries };
}

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

const aTurn: KefuTurnResult = {
  conversationId: 'cv_1',
  userMessageId: 'm_1',
  replies: [{ text: 'hi', quickReplies: [{ title: 'Orders', payload: 'order.query' }] }],
  nlu: { intent: 'common.greet', confidence: 0.9, entities: [] },
  handoff: 'none',
};

/** A fetch that answers from a script and records each call's body. */
function scriptedFetch(steps: ((init: RequestInit | undefined) => Promise<Response> | Response)[]) {
  const calls: { url: string; body: unknown; headers: Record<string, string> }[] = [];
  const fn = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({
      url: String(input),
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
      headers: (init?.headers ?? {}) as Record<string, string>,
    });
    const step = steps[Math.min(calls.length - 1, steps.length - 1)];
    if (!step) throw new Error('no step');
    return step(init);
  }) as typeof fetch;
  return { fn, calls };
}

/** A fetch that never answers until aborted (a server that hangs). */
function hang(init: RequestInit | undefined): Promise<Response> {
  return new Promise((_resolve, reject) => {
    init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
  });
}

/** A TCP proxy in front of the server: the test cuts its connections and refuses new ones at will. */
async function startProxy(targetPort: number) {
  const sockets = new Set<net.Socket>();
  const requestHeads: string[] = [];
  let refusing = false;
  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('data', (d: Buffer) => {
      const text = d.toString('latin1');
      if (/^(GET|POST) /.test(text)) requestHeads.push(text.split('\r\n\r\n')[0] ?? '');
    });
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requestHeads,
    /** Kills every open connection (the stream's included). */
    cut() {
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    refuse(on: boolean) {
      refusing = on;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// SSE wire format: golden tests and a fuzz test
// ---------------------------------------------------------------------------------------------

describe('SseParser', () => {
  test('the server’s wire format → events (golden)', () => {
    const wire =
      'retry: 3000\n\n' +
      'id: m_1\nevent: message\ndata: {"id":"m_1","role":"bot","text":"你好","createdAt":"2025-01-01T00:00:00.000Z"}\n\n' +
      ': keep-alive\n\n' +
      'id: m_2\nevent: message\ndata: {"id":"m_2","role":"agent","text":"hi","createdAt":"2025-01-01T00:00:01.000Z"}\n\n';
    expect(parseAll([wire])).toEqual({
      retries: [3000],
      events: [
        {
          event: 'message',
          id: 'm_1',
          data: '{"id":"m_1","role":"bot","text":"你好","createdAt":"2025-01-01T00:00:00.000Z"}',
        },
        {
          event: 'message',
          id: 'm_2',
          data: '{"id":"m_2","role":"agent","text":"hi","createdAt":"2025-01-01T00:00:01.000Z"}',
        },
      ],
    });
  });

  test('CRLF and CR line ends, a BOM, multi-line data, fields without a space or value (golden)', () => {
    const wire =
      '\uFEFFdata:a\r\ndata: b\r\n\r\n' + 'event: ping\rdata\r\r' + 'id: x\ndata:  two spaces\nfoo: bar\n\n';
    expect(parseAll([wire]).events).toEqual([
      { event: 'message', data: 'a\nb', id: '' },
      { event: 'ping', data: '', id: '' },
      { event: 'message', data: ' two spaces', id: 'x' },
    ]);
  });

  test('the id persists, an id with NUL is ignored, a bad retry is ignored, an unfinished event is dropped', () => {
    const { events, retries } = parseAll([
      'id: a\ndata: 1\n\n',
      'data: 2\n\n',
      'id: b\0c\ndata: 3\n\n',
      'retry: 10s\nretry: 25\n\n',
      'id: z\ndata: never finished\n',
    ]);
    expect(events).toEqual([
      { event: 'message', data: '1', id: 'a' },
      { event: 'message', data: '2', id: 'a' },
      { event: 'message', data: '3', id: 'a' },
    ]);
    expect(retries).toEqual([25]);
  });

  test('a CRLF split across two chunks is one line break', () => {
    expect(parseAll(['data: a\r', '\ndata: b\r', '\n\r', '\n']).events).toEqual([
      { event: 'message', data: 'a\nb', id: '' },
    ]);
  });

  test('fuzz: 10,000 generated streams, split anywhere, parse as the whole and never throw', () => {
    const piece = fc.oneof(
      fc.constantFrom('data', 'data:', 'data: ', 'id: ', 'id:', 'event: ', 'retry: ', ':', 'x: '),
      fc.constantFrom('\n', '\r', '\r\n', '\n\n', '\r\n\r\n', '\uFEFF', '\0'),
      fc.string({ maxLength: 8 }),
      fc.constantFrom('{"id":"m_1"}', '12', '你好'),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (pieces, cuts) => {
          const wire = pieces.join('');
          const whole = parseAll([wire]);
          const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
          const chunks: string[] = [];
          let at = 0;
          for (const p of points) {
            chunks.push(wire.slice(at, p));
            at = p;
          }
          chunks.push(wire.slice(at));
          expect(parseAll(chunks)).toEqual(whole);
        },
      ),
      { numRuns: 10_000 },
    );
  });

  test('fuzz: the response checks never throw and accept only well-formed shapes', () => {
    fc.assert(
      fc.property(fc.anything(), (v) => {
        expect(typeof isTurnResult(v)).toBe('boolean');
        expect(typeof isMessage(v)).toBe('boolean');
      }),
      { numRuns: 10_000 },
    );
    expect(isTurnResult(aTurn)).toBe(true);
    expect(isTurnResult({ ...aTurn, handoff: 'maybe' })).toBe(false);
    expect(isTurnResult({ ...aTurn, replies: [{ text: 1 }] })).toBe(false);
    expect(isMessage({ id: 'm', role: 'bot', text: null, createdAt: 'x' })).toBe(true);
    expect(isMessage({ id: 'm', role: 'system', text: null, createdAt: 'x' })).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// send: retries, timeouts, typed errors (scripted fetch)
// ---------------------------------------------------------------------------------------------

describe('send with a scripted fetch', () => {
  const opts = { baseUrl: 'http://kefu.test/', shopId: 'demo', auth: { userId: 'u-1', userHash: 'ab' } };

  test('retries a 503 and a network failure with the same clientMessageId', async () => {
    const { fn, calls } = scriptedFetch([
      () => jsonResponse(503, { error: { code: 'LOCK_TIMEOUT', message: 'busy' } }),
      () => Promise.reject(new TypeError('fetch failed')),
      () => jsonResponse(200, aTurn),
    ]);
    const client = createKefuClient({ ...opts, fetch: fn, retry: { minDelayMs: 1 } });
    await expect(client.send({ text: 'hi', locale: 'en-US' })).resolves.toEqual(aTurn);
    expect(calls).toHaveLength(3);
    expect(calls[0]?.url).toBe('http://kefu.test/api/v1/shops/demo/messages');
    const body = calls[0]?.body as KefuPostMessageBody;
    expect(body).toEqual({
      userId: 'u-1',
      userHash: 'ab',
      text: 'hi',
      locale: 'en-US',
      clientMessageId: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(calls.map((c) => (c.body as KefuPostMessageBody).clientMessageId)).toEqual([
      body.clientMessageId,
      body.clientMessageId,
      body.clientMessageId,
    ]);
  });

  test('honours Retry-After on a 429', async () => {
    const { fn, calls } = scriptedFetch([
      () =>
        jsonResponse(429, { error: { code: 'RATE_LIMITED', message: 'slow down' } }, { 'retry-after': '1' }),
      () => jsonResponse(200, aTurn),
    ]);
    const client = createKefuClient({ ...opts, fetch: fn, retry: { minDelayMs: 1 } });
    const started = Date.now();
    await client.send({ text: 'hi', clientMessageId: 'fixed-1' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(calls.map((c) => (c.body as KefuPostMessageBody).clientMessageId)).toEqual(['fixed-1', 'fixed-1']);
  });

  test('a Retry-After longer than maxDelayMs gives up at once with the typed error', async () => {
    const { fn, calls } = scriptedFetch([
      () =>
        jsonResponse(
          429,
          { error: { code: 'RATE_LIMITED', message: 'slow down' } },
          { 'retry-after': '120' },
        ),
    ]);
    const client = createKefuClient({ ...opts, fetch: fn, retry: { maxDelayMs: 1000 } });
    const err = await client.send({ text: 'hi' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KefuApiError);
    expect(err).toMatchObject({ status: 429, code: 'RATE_LIMITED', retryable: true, retryAfterMs: 120_000 });
    expect(calls).toHaveLength(1);
  });

  test('a request that hangs times out (AbortController) and is retried', async () => {
    const { fn, calls } = scriptedFetch([hang, () => jsonResponse(200, aTurn)]);
    const client = createKefuClient({ ...opts, fetch: fn, timeoutMs: 50, retry: { minDelayMs: 1 } });
    await expect(client.send({ text: 'hi' })).resolves.toEqual(aTurn);
    expect(calls).toHaveLength(2);

    const always = scriptedFetch([hang]);
    const failing = createKefuClient({
      ...opts,
      fetch: always.fn,
      timeoutMs: 30,
      retry: { retries: 1, minDelayMs: 1 },
    });
    await expect(failing.send({ text: 'hi' })).rejects.toMatchObject({
      status: 0,
      code: 'TIMEOUT',
      retryable: true,
    });
    expect(always.calls).toHaveLength(2);
  });

  test('a 400 is not retried; an unreadable 502 and a malformed 200 are typed errors', async () => {
    const bad = scriptedFetch([
      () =>
        jsonResponse(400, { error: { code: 'VALIDATION_FAILED', message: 'text or payload is required' } }),
    ]);
    await expect(createKefuClient({ ...opts, fetch: bad.fn }).send({})).rejects.toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      message: 'text or payload is required',
      retryable: false,
    });
    expect(bad.calls).toHaveLength(1);

    const proxyPage = scriptedFetch([() => new Response('<html>Bad Gateway</html>', { status: 502 })]);
    await expect(
      createKefuClient({ ...opts, fetch: proxyPage.fn, retry: { retries: 1, minDelayMs: 1 } }).send({
        text: 'x',
      }),
    ).rejects.toMatchObject({ status: 502, code: 'HTTP_502', retryable: true });
    expect(proxyPage.calls).toHaveLength(2);

    const odd = scriptedFetch([() => jsonResponse(200, { replies: 'nope' })]);
    await expect(createKefuClient({ ...opts, fetch: odd.fn }).send({ text: 'x' })).rejects.toMatchObject({
      code: 'INVALID_RESPONSE',
    });
  });

  test('API-key auth sends the bearer key and needs a userId', async () => {
    const { fn, calls } = scriptedFetch([() => jsonResponse(200, aTurn)]);
    const client = createKefuClient({
      baseUrl: 'http://kefu.test',
      shopId: 'demo',
      auth: { apiKey: 'k1' },
      fetch: fn,
    });
    await expect(client.send({ text: 'x' })).rejects.toMatchObject({ code: 'USER_ID_REQUIRED' });
    await client.send({ text: 'x', userId: 'c-9' });
    expect(calls[0]?.headers.authorization).toBe('Bearer k1');
    expect(calls[0]?.body).toMatchObject({ userId: 'c-9' });
    expect(calls[0]?.body).not.toHaveProperty('userHash');
  });

  test('parseRetryAfter reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(
      parseRetryAfter('Thu, 01 Jan 2099 00:00:10 GMT', Date.parse('Thu, 01 Jan 2099 00:00:00 GMT')),
    ).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('runs in browsers', () => {
  test('bundles for the browser platform with no Node built-ins and no dependencies', () => {
    const file = path.join(__dirname, 'client.ts');
    const out = buildSync({
      entryPoints: [file],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
    });
    const { inputs } = buildSync({
      entryPoints: [file],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
    }).metafile;
    expect(Object.keys(inputs).map((p) => path.basename(p))).toEqual(['client.ts']);
    expect(out.outputFiles[0]?.text).not.toMatch(/require\(|from ["']node:/);
    expect(readFileSync(file, 'utf8')).not.toMatch(/from ['"]/);
  });
});

// ---------------------------------------------------------------------------------------------
// Against the whole app
// ---------------------------------------------------------------------------------------------

describe('against the running app (demo shop)', () => {
  let srv: TestServer;
  let secret: string;
  const streams: KefuStream[] = [];
  const customer = (userId: string) => ({ userId, userHash: userHashFor(secret, userId) });

  beforeAll(async () => {
    srv = await startTestServer({ demo: true });
    const shop = await srv.platform.store.shops.findById('demo');
    if (!shop) throw new Error('no demo shop');
    secret = shop.identitySecret;
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await srv.stop();
  });

  test('the types are in sync (compile-time) and a verified customer gets a TurnResult', async () => {
    expect(typesInSync).toEqual([true, true, true, true]);
    const client = createKefuClient({ baseUrl: srv.url, shopId: 'demo', auth: customer('c-1001') });
    const result = await client.send({ text: '我的订单1001到哪了', locale: 'zh-CN' });
    expect(isTurnResult(result)).toBe(true);
    expect(Object.keys(result).sort()).toEqual(
      ['conversationId', 'handoff', 'nlu', 'replies', 'userMessageId'].sort(),
    );
    expect(result.nlu?.intent).toBe('order.query');
    expect(result.replies.length).toBeGreaterThan(0);
    // Verified: the order's own data comes back (an anonymous visitor never sees it).
    expect(JSON.stringify(result.replies)).toContain('1001');

    const { conversationId, messages } = await client.history(result.conversationId);
    expect(conversationId).toBe(result.conversationId);
    expect(messages[0]).toMatchObject({ id: result.userMessageId, role: 'user', text: '我的订单1001到哪了' });
    expect(messages.slice(1).map((m) => m.text)).toEqual(result.replies.map((r) => r.text));
    const after = await client.history(result.conversationId, { after: result.userMessageId });
    expect(after.messages.map((m) => m.id)).toEqual(messages.slice(1).map((m) => m.id));
  });

  test('the stream delivers a second send’s reply, survives a cut with Last-Event-ID, exactly once', async () => {
    const me = customer('c-1002');
    const direct = createKefuClient({ baseUrl: srv.url, shopId: 'demo', auth: me });
    const first = await direct.send({ text: '你好' });
    const proxy = await startProxy(srv.port);
    try {
      const viaProxy = createKefuClient({ baseUrl: proxy.url, shopId: 'demo', auth: me, timeoutMs: 2000 });
      const got: KefuMessage[] = [];
      const errors: KefuApiError[] = [];
      let opens = 0;
      const stream = viaProxy.stream(first.conversationId, {
        onMessage: (m) => got.push(m),
        onError: (e) => errors.push(e),
        onOpen: () => opens++,
        reconnectDelayMs: 20,
        maxReconnectDelayMs: 100,
      });
      streams.push(stream);
      await waitFor(() => opens === 1, 'the stream to open');
      const startCursor = stream.lastEventId;
      // Default start: after the conversation's latest message, so the first turn is not replayed.
      const before = await direct.history(first.conversationId);
      expect(startCursor).toBe(before.messages.at(-1)?.id);

      const second = await direct.send({ text: '退货地址是什么' });
      await waitFor(() => got.length === 1 + second.replies.length, 'the second turn on the stream');
      expect(got[0]).toMatchObject({ id: second.userMessageId, role: 'user', text: '退货地址是什么' });
      expect(got.slice(1).map((m) => ({ role: m.role, text: m.text }))).toEqual(
        second.replies.map((r) => ({ role: 'bot', text: r.text })),
      );
      const lastBeforeCut = got.at(-1)?.id;

      // Cut the connection and keep the line down while the third turn happens.
      proxy.refuse(true);
      proxy.cut();
      await waitFor(() => errors.length > 0, 'the client to notice the cut');
      const third = await direct.send({ text: '谢谢' });
      await new Promise((r) => setTimeout(r, 100));
      const duringOutage = got.length;
      proxy.refuse(false);

      await waitFor(() => opens >= 2, 'the stream to reconnect');
      const afterThird = duringOutage + 1 + third.replies.length;
      await waitFor(() => got.length >= afterThird, 'the missed turn');
      expect(got[duringOutage]?.id).toBe(third.userMessageId);
      // A fourth turn, live on the new connection.
      const fourth = await direct.send({ text: '再见' });
      await waitFor(() => got.length >= afterThird + 1 + fourth.replies.length, 'the fourth turn');
      expect(got[afterThird]?.id).toBe(fourth.userMessageId);

      expect(duringOutage).toBe(1 + second.replies.length);
      const resumed = proxy.requestHeads.filter((h) => h.startsWith('GET') && h.includes('/events'));
      expect(resumed.length).toBeGreaterThanOrEqual(2);
      expect(resumed[0]).toMatch(new RegExp(`last-event-id: ${startCursor}`, 'i'));
      expect(resumed.at(-1)).toMatch(new RegExp(`last-event-id: ${lastBeforeCut}`, 'i'));
      expect(errors.every((e) => e.retryable)).toBe(true);

      // Exactly what was stored after the stream's start, each once and in order.
      const stored = await direct.history(first.conversationId, { after: startCursor });
      expect(got.map((m) => m.id)).toEqual(stored.messages.map((m) => m.id));
      expect(new Set(got.map((m) => m.id)).size).toBe(got.length);
      for (const m of got) expect(isMessage(m)).toBe(true);
      expect(got.map((m) => m.text)).toEqual(stored.messages.map((m) => m.text));
      stream.close();
    } finally {
      await proxy.close();
    }
  });

  test('a stream from a TurnResult’s userMessageId starts with that turn’s replies (API key auth)', async () => {
    const direct = createKefuClient({ baseUrl: srv.url, shopId: 'demo', auth: customer('c-1003') });
    const turn = await direct.send({ text: 'hello', locale: 'en-US' });
    const admin = createKefuClient({
      baseUrl: srv.url,
      shopId: 'demo',
      auth: { apiKey: srv.demoApiKey ?? '' },
    });
    const got: KefuMessage[] = [];
    const stream = admin.stream(turn.conversationId, {
      onMessage: (m) => got.push(m),
      lastEventId: turn.userMessageId,
    });
    streams.push(stream);
    await waitFor(() => got.length === turn.replies.length, 'the replayed replies');
    expect(got.map((m) => m.text)).toEqual(turn.replies.map((r) => r.text));
    stream.close();
  });

  test('a send whose response was lost is retried with the same clientMessageId: one stored turn', async () => {
    const me = customer('c-1004');
    const firstAnswers: unknown[] = [];
    const bodies: KefuPostMessageBody[] = [];
    let lost = false;
    const losingFetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const res = await fetch(input, init);
      if (init?.method === 'POST') {
        bodies.push(JSON.parse(String(init.body)) as KefuPostMessageBody);
        if (!lost) {
          // The server ran the turn, but the answer never reaches the client.
          lost = true;
          firstAnswers.push(await res.json());
          throw new TypeError('socket hang up');
        }
      }
      return res;
    }) as typeof fetch;
    const client = createKefuClient({
      baseUrl: srv.url,
      shopId: 'demo',
      auth: me,
      fetch: losingFetch,
      retry: { minDelayMs: 1 },
    });
    const result = await client.send({ text: '我的订单1002到哪了' });
    expect(bodies).toHaveLength(2);
    expect(bodies[1]?.clientMessageId).toBe(bodies[0]?.clientMessageId);
    expect(result).toEqual(firstAnswers[0]);

    // A later explicit repeat returns the original answer too, and nothing ran twice.
    const again = await client.send({
      text: '我的订单1002到哪了',
      clientMessageId: bodies[0]?.clientMessageId,
    });
    expect(again).toEqual(result);
    const { messages } = await client.history(result.conversationId);
    expect(messages.filter((m) => m.role === 'user').map((m) => m.id)).toEqual([result.userMessageId]);
    expect(messages).toHaveLength(1 + result.replies.length);
    const dedupKey = `app:c-1004:${bodies[0]?.clientMessageId}`;
    expect(await srv.platform.store.conversations.findTurnByDedupKey('demo', dedupKey)).toEqual(result);
  });

  test('bad credentials are a typed 401, not retried; the stream reports it and stops', async () => {
    const forged = createKefuClient({
      baseUrl: srv.url,
      shopId: 'demo',
      auth: { userId: 'c-1001', userHash: 'f'.repeat(64) },
    });
    const err = await forged.send({ text: '我的订单1001到哪了' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KefuApiError);
    expect(err).toMatchObject({ status: 401, code: 'INVALID_USER_HASH', retryable: false });

    const real = createKefuClient({ baseUrl: srv.url, shopId: 'demo', auth: customer('c-1001') });
    const { conversationId } = await real.send({ text: '你好' });
    await expect(forged.history(conversationId)).rejects.toMatchObject({
      status: 401,
      code: 'INVALID_USER_HASH',
    });

    const wrongKey = createKefuClient({ baseUrl: srv.url, shopId: 'demo', auth: { apiKey: 'sk_wrong' } });
    const errors: KefuApiError[] = [];
    let opened = false;
    const stream = wrongKey.stream(conversationId, {
      onMessage: () => undefined,
      onError: (e) => errors.push(e),
      onOpen: () => (opened = true),
      lastEventId: 'm_x',
      reconnectDelayMs: 10,
    });
    streams.push(stream);
    await waitFor(() => errors.length > 0, 'the stream error');
    await new Promise((r) => setTimeout(r, 100));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ status: 401, retryable: false });
    expect(opened).toBe(false);

    // Someone else's conversation looks like a missing one.
    const other = createKefuClient({ baseUrl: srv.url, shopId: 'demo', auth: customer('c-1003') });
    await expect(other.history(conversationId)).rejects.toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });
});

import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import fc from 'fast-check';

/** One request the fake Bot Framework connector received. */
export interface CapturedRequest {
  method: string;
  url: string;
  authorization?: string;
  body: Record<string, unknown>;
}

/**
 * A local stand-in for the Bot Framework connector (`serviceUrl`): records every POST of an
 * activity and answers with a resource id, as the real service does.
 */
export class FakeConnector {
  readonly requests: CapturedRequest[] = [];
  private waiters: (() => void)[] = [];
  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeConnector> {
    const box: { connector?: FakeConnector } = {};
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        box.connector?.requests.push({
          method: req.method ?? '',
          url: req.url ?? '',
          ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
          body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
        });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ id: `reply-${box.connector?.requests.length ?? 0}` }));
        for (const wake of box.connector?.waiters.splice(0) ?? []) wake();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    box.connector = new FakeConnector(server, `http://127.0.0.1:${port}/`);
    return box.connector;
  }

  /** Waits until at least `n` requests arrived in all, and returns them. */
  async waitFor(n: number, timeoutMs = 15_000): Promise<CapturedRequest[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${n} requests, got ${JSON.stringify(this.requests, null, 1)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.requests.slice(0, n);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A fixture activity (a real payload shape), with `serviceUrl` and any fields replaced. */
export function fixture(name: string, patch: Record<string, unknown> = {}): Record<string, unknown> {
  const raw = JSON.parse(readFileSync(path.join(__dirname, 'fixtures', `${name}.json`), 'utf8')) as Record<
    string,
    unknown
  >;
  return { ...raw, ...patch };
}

// ---- fuzz generators (channels/agents/agents.fuzz.test.ts, tests/fuzz) ----

export const junk = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 40 }),
  fc.constant(''),
  fc.constant('x'.repeat(3000)),
  fc.constant('ftp://example.invalid/'),
  fc.constant('javascript:alert(1)'),
  fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.anything({ maxDepth: 1 }), { maxKeys: 3 }),
);

/** Fields a message needs; breaking any one of them makes the activity malformed. */
export const REQUIRED: ((a: Record<string, unknown>, v: unknown) => void)[] = [
  (a, v) => (a.type = typeof v === 'string' ? 7 : v),
  (a) => delete a.conversation,
  (a, v) => (a.conversation = { id: typeof v === 'string' && v ? 1 : v }),
  (a, v) => (a.channelId = typeof v === 'string' && v.length > 0 && v.length <= 64 ? null : v),
  (a) => delete a.serviceUrl,
  (a, v) => (a.serviceUrl = typeof v === 'string' ? `not a url ${v}` : v),
  (a) => delete a.from,
  (a, v) => (a.from = { id: typeof v === 'string' && v ? [] : v }),
  (a) => delete a.recipient,
  (a) => delete a.id,
  (a, v) => (a.id = typeof v === 'string' && v ? {} : v),
  (a) => {
    a.text = '   ';
    delete a.value;
  },
  (a, v) => (a.text = typeof v === 'string' ? { v } : (v ?? 42)),
  (a) => (a.text = '字'.repeat(2001)),
  (a, v) =>
    (a.channelData = { kefu: { userId: 'c-1001', userHash: typeof v === 'string' ? v : 'ab'.repeat(32) } }),
  (a, v) => (a.channelData = { kefu: v === undefined ? null : v }),
];

/** A real message fixture with one required field broken, plus random noise in other fields. */
export const malformedMessage = fc
  .record({
    base: fc.constantFrom('emulator-message', 'teams-card-submit', 'webchat-message-back'),
    breaks: fc.uniqueArray(fc.integer({ min: 0, max: REQUIRED.length - 1 }), { minLength: 1, maxLength: 3 }),
    values: fc.array(junk, { minLength: 3, maxLength: 3 }),
    noise: fc.dictionary(
      fc.constantFrom('locale', 'entities', 'attachments', 'timestamp', 'replyToId', 'textFormat', 'extra'),
      junk,
      { maxKeys: 3 },
    ),
  })
  .map(({ base, breaks, values, noise }) => {
    const a: Record<string, unknown> = { ...fixture(base), ...noise };
    breaks.forEach((b, i) => REQUIRED[b]!(a, values[i]));
    return a;
  });

/** Anything at all: not an object, arrays, objects with random keys and types. */
export const garbage = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.record(
    {
      type: junk,
      channelId: junk,
      conversation: fc.oneof(junk, fc.record({ id: junk })),
      from: fc.oneof(junk, fc.record({ id: junk })),
      recipient: junk,
      serviceUrl: junk,
      id: junk,
      text: junk,
      value: junk,
      membersAdded: fc.oneof(junk, fc.array(fc.record({ id: junk }), { maxLength: 3 })),
    },
    { requiredKeys: [] },
  ),
);

import { count, eq } from 'drizzle-orm';
import fc from 'fast-check';
import { isKefuError } from '../../bot/errors';
import { parseInput } from '../../bot/http';
import { conversations, messages } from '../../bot/store/schema';
import type { Shop } from '../../bot/store/shops.repo';
import { type TestServer, startTestServer } from '../../tests/support/server';
import { interpretActivity } from './agents.adapter';
import { garbage, malformedMessage } from './agents.test-support';
import { activitySchema } from './protocol';

const SHOP = { id: 'fuzz', name: 'Fuzz', locales: ['zh-CN'], identitySecret: 'fuzz-secret' } as Shop;

/** The parse path of the adapter: the edge schema, then what the activity means. */
function parse(body: unknown) {
  return interpretActivity(SHOP, parseInput(activitySchema, body));
}

describe('fuzz: malformed activities through parse', () => {
  test('10,000 broken message activities: always a 4xx KefuError, never a turn, never a crash', () => {
    let refused = 0;
    fc.assert(
      fc.property(malformedMessage, (body) => {
        try {
          const inbound = parse(body);
          // A broken message may read as some other, ignorable activity type — never as a message.
          expect(inbound?.kind).not.toBe('message');
        } catch (err) {
          if (!isKefuError(err)) throw err;
          expect(err.status).toBeGreaterThanOrEqual(400);
          expect(err.status).toBeLessThan(500);
          refused++;
        }
      }),
      { numRuns: 10_000 },
    );
    expect(refused).toBeGreaterThan(9_000);
  });

  test('5,000 arbitrary values: parse answers or refuses with a 4xx, never anything else', () => {
    fc.assert(
      fc.property(garbage, (body) => {
        try {
          parse(body);
        } catch (err) {
          if (!isKefuError(err)) throw err;
          expect(err.status).toBeGreaterThanOrEqual(400);
          expect(err.status).toBeLessThan(500);
        }
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('fuzz: malformed activities over HTTP', () => {
  let srv: TestServer;
  let shopId: string;

  beforeAll(async () => {
    srv = await startTestServer({});
    const created = await fetch(`${srv.url}/api/v1/shops`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${srv.adminToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Fuzz Shop', locales: ['zh-CN', 'en-US'] }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    shopId = created.id;
  });
  afterAll(() => srv.stop());

  test('300 broken activities and 100 raw bodies: no 5xx, and the shop has no conversation', async () => {
    const url = `${srv.url}/channels/agents/${shopId}/messages`;
    const statuses = new Map<number, number>();
    const send = async (body: string) => {
      const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(res.status).toBeLessThan(500);
      expect(text).not.toMatch(/at .*\.(ts|js):\d+/); // never a stack trace
    };
    for (const body of fc.sample(malformedMessage, { numRuns: 300, seed: 42 })) {
      await send(JSON.stringify(body));
    }
    const raw = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.constant('{"type":'),
      fc.constant('[]'),
      fc.constant('null'),
    );
    for (const body of fc.sample(raw, { numRuns: 100, seed: 7 })) await send(body);
    await new Promise((r) => setTimeout(r, 300));
    const { db } = srv.platform.store.database;
    const [convs] = await db
      .select({ n: count() })
      .from(conversations)
      .where(eq(conversations.shopId, shopId));
    const [msgs] = await db.select({ n: count() }).from(messages).where(eq(messages.shopId, shopId));
    expect(convs?.n).toBe(0);
    expect(msgs?.n).toBe(0);
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
  });
});

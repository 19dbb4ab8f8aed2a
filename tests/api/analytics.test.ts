import { sql } from 'drizzle-orm';
import WebSocket from 'ws';
import { localDay, addDays } from '../../admin/api/analytics.service';
import { userHashFor } from '../../bot/identity';
import { api } from '../support/http';
import { type TestServer, startTestServer } from '../support/server';

/**
 * The analytics figures against a seeded set of conversations with known counts (issue 11). Every
 * message goes through the real public endpoints (the app channel's POST …/messages, the web
 * widget's WebSocket, the merchant's test console); the expected figures below can be checked by
 * hand against the table. Definitions: docs/analytics.md.
 */
let srv: TestServer;
let shop: { id: string; apiKey: string; identitySecret: string };
let shopB: { id: string; apiKey: string };
const TZ = 'Asia/Shanghai';
const password = 'correct horse battery';

type Step = { text: string } | { payload: string } | { click: 'csat:5' | 'csat:1' | 'faq:wash' };
interface Seed {
  id: string;
  channel: 'app' | 'web' | 'console';
  verified?: boolean;
  steps: Step[];
  /** Moved to the shop's previous day after seeding (its conversation's createdAt minus 24 h). */
  yesterday?: boolean;
}

/*
 * The seeded set. "fail" = a user turn the bot could not answer (fallback / "did you mean" not clicked).
 *
 * | conv | channel | turns (bot's answer)                                   | handoff | fail | self-served | csat |
 * |------|---------|--------------------------------------------------------|---------|------|-------------|------|
 * | a1   | app     | 发货要几天 (entry "ship")                               |         | 0    | yes         |      |  yesterday
 * | a2   | app     | 你们支持开发票吗 (not found)                             |         | 1    | no          |      |  yesterday
 * | a3   | app     | 能开发票吗 (not found); 转人工 (handoff)                 | yes     | 1    | no          |      |
 * | a4   | web     | 可以开发票吗 (not found)                                 |         | 1    | no          |      |
 * | a5   | app ✓   | 退货地址是哪里 (address + csat question); click 5        |         | 0    | yes         | 5    |
 * | a6   | app     | 退货地址是哪里 (address + csat question); click 1        |         | 0    | yes         | 1    |
 * | a7   | app     | 有没有赠品 (not found); 发货要几天 (entry "ship")         |         | 1    | yes         |      |
 * | a8   | web     | 会送赠品吗 (not found)                                   |         | 1    | no          |      |
 * | a9   | app     | 衣服会不会缩水 (did you mean "wash"); click it (answer)    |         | 0    | yes         |      |
 * | a10  | app     | 衣服会不会缩水 (did you mean "wash"), nothing clicked     |         | 1    | no          |      |
 * | con  | console | 你们支持开发票吗 — the test console: never counted       |         |      |             |      |
 *
 * conversations 10 (app 8, web 2; yesterday 2, today 8); bot turns 15 (a3, a5, a6, a7, a9: 2 each);
 * fails 6 → fallbackRate 6/15; handoffRate 1/10; selfServiceRate 5/10; satisfaction 1/2 of 2 answers.
 * Unanswered: invoices ×3 (fallback 2, handoff 1: a3's question was followed by 转人工),
 * gifts ×2 (fallback 2), 衣服会不会缩水 ×1 (didYouMean 1; nearest entry "wash").
 */
const seeds: Seed[] = [
  { id: 'a1', channel: 'app', steps: [{ text: '发货要几天' }], yesterday: true },
  { id: 'a2', channel: 'app', steps: [{ text: '你们支持开发票吗' }], yesterday: true },
  { id: 'a3', channel: 'app', steps: [{ text: '能开发票吗' }, { text: '转人工' }] },
  { id: 'a4', channel: 'web', steps: [{ text: '可以开发票吗' }] },
  { id: 'a5', channel: 'app', verified: true, steps: [{ text: '退货地址是哪里' }, { click: 'csat:5' }] },
  { id: 'a6', channel: 'app', steps: [{ text: '退货地址是哪里' }, { click: 'csat:1' }] },
  { id: 'a7', channel: 'app', steps: [{ text: '有没有赠品' }, { text: '发货要几天' }] },
  { id: 'a8', channel: 'web', steps: [{ text: '会送赠品吗' }] },
  { id: 'a9', channel: 'app', steps: [{ text: '衣服会不会缩水' }, { click: 'faq:wash' }] },
  { id: 'a10', channel: 'app', steps: [{ text: '衣服会不会缩水' }] },
  { id: 'con', channel: 'console', steps: [{ text: '你们支持开发票吗' }] },
];

interface Reply {
  text: string;
  quickReplies?: { title: string; payload: string }[];
}

/** The payload of the quick reply the bot offered that ends with `suffix` (the customer clicks it). */
function offered(replies: Reply[], suffix: string): string {
  const payload = replies
    .flatMap((r) => r.quickReplies ?? [])
    .find((q) => q.payload.endsWith(suffix))?.payload;
  if (!payload) throw new Error(`the bot did not offer …${suffix}: ${JSON.stringify(replies)}`);
  return payload;
}

async function sendApp(seed: Seed, message: { text?: string; payload?: string }) {
  const userId = `cust-${seed.id}`;
  const res = await api(srv.url, 'POST', `/api/v1/shops/${shop.id}/messages`, {
    body: {
      userId,
      ...(seed.verified ? { userHash: userHashFor(shop.identitySecret, userId) } : {}),
      ...message,
    },
  });
  expect(res.status).toBe(200);
  return { conversationId: res.body.conversationId as string, replies: res.body.replies as Reply[] };
}

async function sendConsole(message: { text?: string; payload?: string }) {
  const res = await api(srv.url, 'POST', `/api/v1/shops/${shop.id}/console/messages`, {
    token: shop.apiKey,
    body: message,
  });
  expect(res.status).toBe(200);
  return { conversationId: res.body.conversationId as string, replies: res.body.replies as Reply[] };
}

/** The web widget: one socket per visitor; a message is done when its ack comes. */
async function webVisitor(visitorId: string) {
  const ws = new WebSocket(
    `${srv.url.replace(/^http/, 'ws')}/channels/web/${shop.id}/ws?visitorId=${visitorId}`,
  );
  const frames: { type: string; id?: string; message?: { role: string; text: string } }[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(String(data))));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let n = 0;
  return {
    async send(text: string) {
      const id = `f${++n}`;
      ws.send(JSON.stringify({ type: 'message', id, text }));
      const deadline = Date.now() + 15_000;
      while (!frames.some((f) => f.type === 'ack' && f.id === id)) {
        if (Date.now() > deadline) throw new Error(`no ack: ${JSON.stringify(frames)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => ws.close(),
  };
}

async function seed(s: Seed): Promise<string | undefined> {
  if (s.channel === 'web') {
    const visitor = await webVisitor(`visitor_${s.id}_000`);
    for (const step of s.steps) if ('text' in step) await visitor.send(step.text);
    visitor.close();
    return undefined;
  }
  const send =
    s.channel === 'console' ? sendConsole : (m: { text?: string; payload?: string }) => sendApp(s, m);
  let last: { conversationId: string; replies: Reply[] } | undefined;
  for (const step of s.steps) {
    if ('text' in step) last = await send({ text: step.text });
    else if ('payload' in step) last = await send({ payload: step.payload });
    else last = await send({ payload: offered(last!.replies, step.click) });
  }
  return last?.conversationId;
}

async function signIn(email: string): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${srv.url}/api/v1/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { csrfToken: string };
  return { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]!, csrf: body.csrfToken };
}

async function asSession(session: { cookie: string }, path: string) {
  const res = await fetch(srv.url + path, { headers: { cookie: session.cookie } });
  return { status: res.status, body: (await res.json()) as { error?: { code: string } } };
}

let today: string;
let consoleConversation: string;
let yesterday: string;

beforeAll(async () => {
  srv = await startTestServer();
  const created = await api(srv.url, 'POST', '/api/v1/shops', {
    token: srv.adminToken,
    body: { name: 'Analytics shop', owner: { email: 'owner@analytics.example', name: 'O', password } },
  });
  expect(created.status).toBe(201);
  shop = created.body;
  shopB = (
    await api(srv.url, 'POST', '/api/v1/shops', {
      token: srv.adminToken,
      body: { name: 'Shop B', owner: { email: 'owner@b-analytics.example', name: 'B', password } },
    })
  ).body;
  const settings = await api(srv.url, 'PUT', `/api/v1/shops/${shop.id}/settings`, {
    token: shop.apiKey,
    body: {
      // Three misses in a row would bring a person in by themselves; this set wants its handoffs explicit.
      handoff: { lowConfidenceTurns: 0 },
      returnAddress: { name: '售后部', phone: '021-5555-0100', address: '上海市浦东新区测试路 1 号' },
    },
  });
  expect(settings.status).toBe(200);
  const knowledge = await api(srv.url, 'POST', `/api/v1/shops/${shop.id}/knowledge`, {
    token: shop.apiKey,
    body: {
      entries: [
        {
          id: 'ship',
          locale: 'zh-CN',
          question: '一般几天发货',
          similar: ['多久发货'],
          answer: '48 小时内发货。',
        },
        {
          id: 'size',
          locale: 'zh-CN',
          question: '尺码怎么选',
          similar: ['码数偏大还是偏小'],
          answer: '按平时的尺码选。',
        },
        {
          id: 'wash',
          locale: 'zh-CN',
          question: '羊毛衫怎么洗涤',
          similar: ['毛衣放洗衣机洗会缩水吗'],
          answer: '请手洗。',
        },
      ],
    },
  });
  expect(knowledge.status).toBe(200);

  const moved: string[] = [];
  for (const s of seeds) {
    const conversationId = await seed(s);
    if (s.yesterday) moved.push(conversationId!);
    if (s.channel === 'console') consoleConversation = conversationId!;
  }
  // Time cannot pass in a test: two conversations are moved to the shop's previous day.
  await srv.platform.store.database.db.execute(
    sql`update conversations set created_at = created_at - interval '1 day' where id in (${sql.join(
      moved.map((id) => sql`${id}`),
      sql`, `,
    )})`,
  );
  today = localDay(new Date(), TZ);
  yesterday = addDays(today, -1);

  // An agent of the shop (may not read analytics) and an editor (may).
  const owner = await signIn('owner@analytics.example');
  for (const [email, role] of [
    ['agent@analytics.example', 'agent'],
    ['editor@analytics.example', 'editor'],
  ]) {
    const res = await fetch(`${srv.url}/api/v1/shops/${shop.id}/users`, {
      method: 'POST',
      headers: { cookie: owner.cookie, 'x-csrf-token': owner.csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ email, name: role, role, password }),
    });
    expect(res.status).toBe(201);
  }
}, 120_000);
afterAll(() => srv.stop());

/** From the start of the day before yesterday to the end of today, in the shop's time zone (3 days). */
function threeDays(): string {
  return `from=${addDays(today, -2)}&to=${addDays(today, 1)}`;
}

test('the figures of the seeded set, exactly', async () => {
  const res = await api(srv.url, 'GET', `/api/v1/shops/${shop.id}/analytics?${threeDays()}`, {
    token: shop.apiKey,
  });
  expect(res.status).toBe(200);
  const a = res.body;
  expect(a.timezone).toBe(TZ);
  expect(a.conversations).toBe(10);
  // The console's conversation is there, and left out.
  expect((await srv.platform.store.conversations.findById(shop.id, consoleConversation))?.channel).toBe(
    'console',
  );
  expect(a.userMessages).toBe(15);
  expect(a.handoffRate).toBe(1 / 10);
  expect(a.selfServiceRate).toBe(5 / 10);
  expect(a.fallbackRate).toBe(6 / 15);
  expect(a.satisfaction).toBe(1 / 2);
  expect(a.satisfactionResponses).toBe(2);
  expect(a.byChannel).toEqual({ app: 8, web: 2 });
  expect(a.byDay).toEqual([
    { day: addDays(today, -2), conversations: 0, handoffs: 0, fallbacks: 0 },
    { day: yesterday, conversations: 2, handoffs: 0, fallbacks: 1 },
    { day: today, conversations: 8, handoffs: 1, fallbacks: 5 },
  ]);
  // 发货要几天 ×2 (a1, a7), 退货地址是哪里 ×2, 转人工 ×1; unmatched questions and clicks have no intent.
  expect(a.topIntents).toEqual([
    { intent: 'faq', count: 2 },
    { intent: 'return.address', count: 2 },
    { intent: 'common.human', count: 1 },
  ]);
  expect(a.unansweredSampled).toBe(false);

  const [invoices, gifts, wash, ...rest] = a.unanswered;
  expect(rest).toEqual([]);
  expect(invoices).toMatchObject({ count: 3, reasons: { fallback: 2, didYouMean: 0, handoff: 1 } });
  expect([...invoices.examples].sort()).toEqual(['你们支持开发票吗', '能开发票吗', '可以开发票吗'].sort());
  expect(invoices.examples).toContain(invoices.text);
  expect(gifts).toMatchObject({ count: 2, reasons: { fallback: 2, didYouMean: 0, handoff: 0 } });
  expect([...gifts.examples].sort()).toEqual(['有没有赠品', '会送赠品吗'].sort());
  expect(wash).toMatchObject({
    text: '衣服会不会缩水',
    count: 1,
    examples: ['衣服会不会缩水'],
    reasons: { fallback: 0, didYouMean: 1, handoff: 0 },
    suggestedEntry: { id: 'wash', question: '羊毛衫怎么洗涤' },
  });
});

test('ranges: one day, the default (last 7 days), and the conversations outside', async () => {
  const day = await api(srv.url, 'GET', `/api/v1/shops/${shop.id}/analytics?from=${yesterday}&to=${today}`, {
    token: shop.apiKey,
  });
  expect(day.status).toBe(200);
  expect(day.body).toMatchObject({ conversations: 2, userMessages: 2, handoffRate: 0, fallbackRate: 1 / 2 });
  expect(day.body.selfServiceRate).toBe(1 / 2);
  expect(day.body.satisfaction).toBeNull();
  expect(day.body.byDay).toEqual([{ day: yesterday, conversations: 2, handoffs: 0, fallbacks: 1 }]);
  expect(day.body.unanswered).toEqual([
    expect.objectContaining({
      text: '你们支持开发票吗',
      count: 1,
      reasons: { fallback: 1, didYouMean: 0, handoff: 0 },
    }),
  ]);

  const byDefault = await api(srv.url, 'GET', `/api/v1/shops/${shop.id}/analytics`, { token: shop.apiKey });
  expect(byDefault.status).toBe(200);
  expect(byDefault.body.conversations).toBe(10);
  expect(byDefault.body.byDay).toHaveLength(8); // 7 × 24 h from now back touches 8 local days

  const past = await api(
    srv.url,
    'GET',
    `/api/v1/shops/${shop.id}/analytics?from=2025-01-01T00:00:00Z&to=2025-01-03T00:00:00%2B08:00`,
    { token: shop.apiKey },
  );
  expect(past.status).toBe(200);
  expect(past.body).toMatchObject({
    conversations: 0,
    userMessages: 0,
    selfServiceRate: 0,
    handoffRate: 0,
    fallbackRate: 0,
    satisfaction: null,
    byChannel: {},
    topIntents: [],
    unanswered: [],
  });
  expect(past.body.byDay.map((d: { day: string }) => d.day)).toEqual(['2025-01-01', '2025-01-02']);
});

test('another shop sees none of it', async () => {
  const res = await api(srv.url, 'GET', `/api/v1/shops/${shopB.id}/analytics?${threeDays()}`, {
    token: shopB.apiKey,
  });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ conversations: 0, unanswered: [], topIntents: [] });
});

test('who may read it: 401 without credentials, 403 for another shop or an agent, 404 for no shop', async () => {
  const path = `/api/v1/shops/${shop.id}/analytics`;
  const none = await api(srv.url, 'GET', path);
  expect(none.status).toBe(401);
  expect(none.body.error.code).toBeDefined();
  expect((await api(srv.url, 'GET', path, { token: shopB.apiKey })).status).toBe(403);
  expect((await api(srv.url, 'GET', path, { token: 'sk_not-a-key' })).status).toBe(401);
  expect((await api(srv.url, 'GET', path, { token: srv.adminToken })).status).toBe(200);
  expect(
    (await api(srv.url, 'GET', '/api/v1/shops/shop_missing/analytics', { token: srv.adminToken })).status,
  ).toBe(404);

  const agent = await asSession(await signIn('agent@analytics.example'), path);
  expect(agent.status).toBe(403);
  expect(agent.body.error?.code).toBe('ROLE_FORBIDDEN');
  const otherOwner = await asSession(await signIn('owner@b-analytics.example'), path);
  expect(otherOwner.status).toBe(403);
  const editor = await asSession(await signIn('editor@analytics.example'), `${path}?${threeDays()}`);
  expect(editor.status).toBe(200);
  expect((editor.body as { conversations?: number }).conversations).toBe(10);
  // The digest has the same guard.
  expect((await api(srv.url, 'GET', `${path}/digest`)).status).toBe(401);
  expect((await api(srv.url, 'GET', `${path}/digest`, { token: shopB.apiKey })).status).toBe(403);
});

test.each([
  ['from after to', () => `from=${today}&to=${yesterday}`, 'BAD_RANGE'],
  ['an empty range', () => `from=${today}&to=${today}`, 'BAD_RANGE'],
  ['more than 366 days', () => 'from=2024-01-01T00:00:00Z&to=2025-01-02T00:00:00Z', 'BAD_RANGE'],
  ['not a date', () => 'from=yesterday', 'VALIDATION_FAILED'],
  ['an unknown parameter', () => 'since=2025-01-01', 'VALIDATION_FAILED'],
])('a bad range is a 400: %s', async (_name, query, code) => {
  const res = await api(srv.url, 'GET', `/api/v1/shops/${shop.id}/analytics?${query()}`, {
    token: shop.apiKey,
  });
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe(code);
  expect(JSON.stringify(res.body)).not.toMatch(/at \w+ \(/); // no stack trace
});

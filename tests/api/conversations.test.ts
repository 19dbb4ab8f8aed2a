import { sql } from 'drizzle-orm';
import WebSocket from 'ws';
import { api } from '../support/http';
import { type TestServer, startTestServer } from '../support/server';

// The merchant admin's conversations: the list with its filters and pages, and one transcript (issue 11).
let srv: TestServer;
let shop: { id: string; apiKey: string };
let shopB: { id: string; apiKey: string };
const password = 'correct horse battery';

interface Session {
  cookie: string;
  csrf: string;
}
let agentSession: Session;

/** The conversations the tests expect, by name. */
const ids: Record<string, string> = {};

async function say(userId: string, text: string): Promise<string> {
  const res = await api(srv.url, 'POST', `/api/v1/shops/${shop.id}/messages`, { body: { userId, text } });
  expect(res.status).toBe(200);
  return res.body.conversationId;
}

/** A web widget visitor saying one thing (the web channel), done when the ack comes. */
async function sayOnWeb(visitorId: string, text: string): Promise<void> {
  const ws = new WebSocket(
    `${srv.url.replace(/^http/, 'ws')}/channels/web/${shop.id}/ws?visitorId=${visitorId}`,
  );
  const frames: { type: string; id?: string }[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(String(data))));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'message', id: 'f1', text }));
  const deadline = Date.now() + 15_000;
  while (!frames.some((f) => f.type === 'ack' && f.id === 'f1')) {
    if (Date.now() > deadline) throw new Error(`no ack: ${JSON.stringify(frames)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  ws.close();
}

const list = async (query = '', token = shop.apiKey) => {
  const res = await api(srv.url, 'GET', `/api/v1/shops/${shop.id}/conversations${query ? `?${query}` : ''}`, {
    token,
  });
  expect(res.status).toBe(200);
  return res.body as { conversations: { id: string; [k: string]: unknown }[]; nextCursor?: string };
};
const listed = async (query = '') => (await list(query)).conversations.map((c) => c.id).sort();
const named = (...names: string[]) => names.map((n) => ids[n]!).sort();

beforeAll(async () => {
  srv = await startTestServer();
  shop = (
    await api(srv.url, 'POST', '/api/v1/shops', {
      token: srv.adminToken,
      body: { name: 'Conversations', owner: { email: 'owner@conv.example', name: 'O', password } },
    })
  ).body;
  shopB = (await api(srv.url, 'POST', '/api/v1/shops', { token: srv.adminToken, body: { name: 'Other' } }))
    .body;
  const settings = await api(srv.url, 'PUT', `/api/v1/shops/${shop.id}/settings`, {
    token: shop.apiKey,
    body: { handoff: { lowConfidenceTurns: 0 } },
  });
  expect(settings.status).toBe(200);
  const kb = await api(srv.url, 'POST', `/api/v1/shops/${shop.id}/knowledge`, {
    token: shop.apiKey,
    body: {
      entries: [
        {
          id: 'ship',
          locale: 'zh-CN',
          question: '你们一般几天发货',
          similar: ['多久能发货'],
          answer: '48 小时内发货。',
        },
      ],
    },
  });
  expect(kb.status).toBe(200);

  // answered: a question the knowledge answers; handoff: 转人工 (the user id is a phone number);
  // unanswered: a question nobody can answer; web: the widget; console: the merchant's test console.
  ids.answered = await say('u-answered', '多久能发货');
  ids.handoff = await say('13812345678', '转人工');
  ids.unanswered = await say('u-unanswered', '你们支持开发票吗');
  await sayOnWeb('visitor_web_0001', '你好');
  const console = await api(srv.url, 'POST', `/api/v1/shops/${shop.id}/console/messages`, {
    token: shop.apiKey,
    body: { text: '你们支持开发票吗' },
  });
  expect(console.status).toBe(200);
  ids.console = console.body.conversationId;
  const all = await list('channel=web');
  expect(all.conversations).toHaveLength(1);
  ids.web = all.conversations[0]!.id;
  // One conversation from last month, for the date filter.
  ids.old = await say('u-old', '多久能发货');
  await srv.platform.store.database.db.execute(
    sql`update conversations set created_at = created_at - interval '30 days' where id = ${ids.old}`,
  );

  const owner = await signIn('owner@conv.example');
  const added = await fetch(`${srv.url}/api/v1/shops/${shop.id}/users`, {
    method: 'POST',
    headers: { cookie: owner.cookie, 'x-csrf-token': owner.csrf, 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'agent@conv.example', name: 'Agent', role: 'agent', password }),
  });
  expect(added.status).toBe(201);
  agentSession = await signIn('agent@conv.example');
});
afterAll(() => srv.stop());

async function signIn(email: string): Promise<Session> {
  const res = await fetch(`${srv.url}/api/v1/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  expect(res.status).toBe(200);
  return { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]!, csrf: (await res.json()).csrfToken };
}

describe('the list', () => {
  test('newest first, without the test console; each row with its counts, first text and handoff', async () => {
    const { conversations, nextCursor } = await list();
    expect(nextCursor).toBeUndefined();
    expect(conversations.map((c) => c.id)).toEqual([
      ids.web,
      ids.unanswered,
      ids.handoff,
      ids.answered,
      ids.old,
    ]);
    const handoff = conversations.find((c) => c.id === ids.handoff)!;
    expect(handoff).toEqual({
      id: ids.handoff,
      userId: '138****5678',
      verified: false,
      channel: 'app',
      locale: 'zh-CN',
      status: 'open',
      createdAt: expect.any(String),
      lastActivityAt: expect.any(String),
      messageCount: expect.any(Number),
      firstText: '转人工',
      handoff: { status: 'pending', reason: 'customer_request', tier: 'L1' },
      unresolvedTurns: 0,
    });
    expect(handoff.messageCount).toBeGreaterThanOrEqual(2);
    expect(conversations.find((c) => c.id === ids.unanswered)).toMatchObject({
      userId: 'u-unanswered',
      firstText: '你们支持开发票吗',
      handoff: null,
      unresolvedTurns: 1,
      messageCount: 2,
    });
    expect(conversations.find((c) => c.id === ids.answered)).toMatchObject({
      unresolvedTurns: 0,
      handoff: null,
    });
  });

  test('each filter returns the right conversations', async () => {
    expect(await listed('handoff=yes')).toEqual(named('handoff'));
    expect(await listed('handoff=no')).toEqual(named('answered', 'unanswered', 'web', 'old'));
    expect(await listed('unresolved=true')).toEqual(named('unanswered'));
    expect(await listed('unresolved=false')).toEqual(named('answered', 'handoff', 'web', 'old'));
    expect(await listed('channel=app')).toEqual(named('answered', 'handoff', 'unanswered', 'old'));
    expect(await listed('channel=web')).toEqual(named('web'));
    expect(await listed('channel=console')).toEqual(named('console'));
    expect(await listed('channel=voice')).toEqual([]);
    expect(await listed(`q=${encodeURIComponent('开发票')}`)).toEqual(named('unanswered'));
    // The bot's words are searched too: the answer "48 小时内发货。"
    expect(await listed(`q=${encodeURIComponent('48 小时')}`)).toEqual(named('answered', 'old'));
    expect(await listed('q=%25')).toEqual([]);
    const weekAgo = new Date(Date.now() - 7 * 86_400_000).toISOString();
    expect(await listed(`from=${weekAgo}`)).toEqual(named('answered', 'handoff', 'unanswered', 'web'));
    expect(await listed(`to=${weekAgo}`)).toEqual(named('old'));
    expect(await listed(`from=${new Date(Date.now() + 60_000).toISOString()}`)).toEqual([]);
    // Filters combine.
    expect(await listed(`channel=app&handoff=no&from=${weekAgo}`)).toEqual(named('answered', 'unanswered'));
  });

  test('pages by (createdAt, id) with the before cursor: every conversation once, in order', async () => {
    // Three conversations started in the same microsecond: the id breaks the tie, and no page loses one.
    await srv.platform.store.database.db.execute(
      sql`update conversations set created_at = (select created_at from conversations where id = ${ids.unanswered})
          where id in (${ids.handoff}, ${ids.answered})`,
    );
    const everything = (await list()).conversations.map((c) => c.id);
    expect(everything.slice(1, 4).sort()).toEqual(named('answered', 'handoff', 'unanswered'));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await list(`limit=2${cursor ? `&before=${cursor}` : ''}`);
      expect(page.conversations.length).toBeLessThanOrEqual(2);
      seen.push(...page.conversations.map((c) => c.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(everything);
  });

  test('bad parameters are 400', async () => {
    const path = `/api/v1/shops/${shop.id}/conversations`;
    for (const query of [
      'limit=101',
      'limit=0',
      'handoff=maybe',
      'from=yesterday',
      'before=bm9wZQ',
      'channel=W%20B',
    ]) {
      const res = await api(srv.url, 'GET', `${path}?${query}`, { token: shop.apiKey });
      expect({ query, status: res.status, code: res.body.error?.code }).toEqual({
        query,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
  });
});

describe('a transcript', () => {
  test('the messages with their NLU, and the handoffs', async () => {
    const res = await api(srv.url, 'GET', `/api/v1/shops/${shop.id}/conversations/${ids.unanswered}`, {
      token: shop.apiKey,
    });
    expect(res.status).toBe(200);
    expect(res.body.conversation).toMatchObject({ id: ids.unanswered, unresolvedTurns: 1, channel: 'app' });
    const [user, bot] = res.body.messages;
    expect(user).toEqual({
      id: expect.any(String),
      role: 'user',
      text: '你们支持开发票吗',
      createdAt: expect.any(String),
      nlu: {
        intent: null,
        confidence: expect.any(Number),
        entities: expect.any(Array),
        route: { skill: 'shop-knowledge', outcome: 'done', unresolved: true },
        knowledge: expect.any(Array),
      },
    });
    expect(bot).toMatchObject({ role: 'bot', text: expect.any(String) });
    expect(bot.nlu).toBeUndefined();
    expect(res.body.handoffs).toEqual([]);

    const answered = await api(srv.url, 'GET', `/api/v1/shops/${shop.id}/conversations/${ids.answered}`, {
      token: shop.apiKey,
    });
    expect(answered.body.messages[0].nlu.knowledge[0]).toEqual({ id: 'ship', score: expect.any(Number) });
    expect(answered.body.messages[1].text).toBe('48 小时内发货。');
  });

  test("a handed-over conversation: the handoff, and the agent's reply", async () => {
    const agent = await api(srv.url, 'POST', `/api/v1/shops/${shop.id}/agents`, {
      token: shop.apiKey,
      body: { name: 'Li', tier: 'L1', languages: ['zh-CN'], maxConcurrent: 5 },
    });
    expect(agent.status).toBe(201);
    const [pending] = (await api(srv.url, 'GET', `/api/v1/shops/${shop.id}/handoffs`, { token: shop.apiKey }))
      .body.handoffs;
    const assign = await api(srv.url, 'POST', `/api/v1/shops/${shop.id}/handoffs/${pending.id}/assign`, {
      token: agent.body.token,
      body: {},
    });
    expect(assign.status).toBe(200);
    const reply = await api(
      srv.url,
      'POST',
      `/api/v1/shops/${shop.id}/conversations/${ids.handoff}/agent-messages`,
      {
        token: agent.body.token,
        body: { text: '您好，我是客服小李' },
      },
    );
    expect(reply.status).toBe(201);

    const res = await api(srv.url, 'GET', `/api/v1/shops/${shop.id}/conversations/${ids.handoff}`, {
      token: shop.apiKey,
    });
    expect(res.body.conversation).toMatchObject({ userId: '138****5678', handoff: { status: 'assigned' } });
    expect(res.body.handoffs).toEqual([
      {
        id: pending.id,
        status: 'assigned',
        reason: 'customer_request',
        tier: 'L1',
        assignedTo: agent.body.id,
        createdAt: expect.any(String),
        closedAt: null,
      },
    ]);
    expect(res.body.messages.at(-1)).toMatchObject({ role: 'agent', text: '您好，我是客服小李' });
    expect(res.body.messages[0]).toMatchObject({
      role: 'user',
      text: '转人工',
      nlu: { route: { skill: expect.any(String) } },
    });
  });
});

describe('who may', () => {
  test('agents and editors read; other shops are refused; unknown ids are 404', async () => {
    const headers = { cookie: agentSession.cookie };
    const asAgent = await fetch(`${srv.url}/api/v1/shops/${shop.id}/conversations`, { headers });
    expect(asAgent.status).toBe(200);
    expect((await asAgent.json()).conversations.length).toBeGreaterThan(0);
    const one = await fetch(`${srv.url}/api/v1/shops/${shop.id}/conversations/${ids.answered}`, { headers });
    expect(one.status).toBe(200);
    // …but an agent may not import knowledge.
    const imported = await fetch(`${srv.url}/api/v1/shops/${shop.id}/knowledge/import?dryRun=true`, {
      method: 'POST',
      headers: { ...headers, 'x-csrf-token': agentSession.csrf, 'content-type': 'text/csv' },
      body: 'question,answer\nq,a\n',
    });
    expect(imported.status).toBe(403);
    // Another shop's session cannot read this shop.
    const path = `/api/v1/shops/${shop.id}/conversations`;
    expect((await api(srv.url, 'GET', path, { token: shopB.apiKey })).status).toBe(403);
    expect((await api(srv.url, 'GET', `${path}/${ids.answered}`, { token: shopB.apiKey })).status).toBe(403);
    expect((await api(srv.url, 'GET', path)).status).toBe(401);
    expect((await api(srv.url, 'GET', `${path}/c_nope`, { token: shop.apiKey })).status).toBe(404);
    // A conversation of another shop is unknown here, even to this shop's key.
    const other = await api(srv.url, 'POST', `/api/v1/shops/${shopB.id}/messages`, {
      body: { userId: 'x', text: '你好' },
    });
    expect(
      (await api(srv.url, 'GET', `${path}/${other.body.conversationId}`, { token: shop.apiKey })).status,
    ).toBe(404);
  });
});

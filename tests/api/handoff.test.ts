import { eq } from 'drizzle-orm';
import { userHashFor } from '../../bot/identity';
import { createServer } from '../../bot/server';
import { createHandoffApi } from '../../admin/api/handoff.routes';
import { conversations } from '../../bot/store/schema';
import { api } from '../support/http';
import { type TestServer, startTestServer } from '../support/server';

// Human handoff over the public API, on the embedded default with the demo shop: every trigger in
// Chinese and English, routing, the queue, the bot's silence, hand-back, assist mode, tickets.

jest.setTimeout(60_000);

let srv: TestServer;
let key: string;
let secret: string;
/** The platform's clock runs this far ahead of the real one (expiry tests move it). */
let offsetMs = 0;
let seq = 0;

const SHOP = 'demo';
const path = (p: string) => `/api/v1/shops/${SHOP}${p}`;

beforeAll(async () => {
  srv = await startTestServer({
    demo: true,
    rateLimitBurst: 100_000,
    clock: () => new Date(Date.now() + offsetMs),
  });
  key = srv.demoApiKey!;
  secret = (await srv.platform.store.shops.findById(SHOP))!.identitySecret;
});
afterAll(() => srv.stop());

beforeEach(async () => {
  offsetMs = 0;
  // Each test starts with an empty queue, nobody online and the people at work around the clock.
  const { store } = srv.platform;
  for (const h of await store.handoffs.list(SHOP, { statuses: ['pending', 'assigned', 'transferred'] })) {
    await store.handoffs.transition(SHOP, h.id, 'resolve');
  }
  for (const a of await store.agents.list(SHOP)) await store.agents.setStatus(SHOP, a.id, 'offline');
  await settings({
    mode: 'auto',
    handoff: { autoAssign: false, lowConfidenceTurns: 2, confidenceThreshold: 0.5 },
    businessHours: { timezone: 'UTC', days: [0, 1, 2, 3, 4, 5, 6], open: '00:00', close: '00:00' },
  });
});

async function settings(patch: Record<string, unknown>) {
  const res = await api(srv.url, 'PUT', path('/settings'), { token: key, body: patch });
  expect(res.status).toBe(200);
}

/** A fresh customer; `verified` ones are the demo shop's customers (c-1001 has five stars). */
function customer(opts: { id?: string; verified?: boolean } = {}) {
  const userId = opts.id ?? `u-${Date.now()}-${seq++}`;
  const userHash = opts.verified ? userHashFor(secret, userId) : undefined;
  return {
    userId,
    async say(text: string, extra: Record<string, unknown> = {}) {
      const res = await api(srv.url, 'POST', path('/messages'), {
        token: undefined,
        body: { userId, ...(userHash ? { userHash } : {}), text, ...extra },
      });
      expect(res.status).toBe(200);
      return res.body as {
        conversationId: string;
        replies: { text: string; quickReplies?: { title: string; payload: string }[] }[];
        handoff: string;
        draftId?: string;
        nlu: { intent: string | null };
      };
    },
    async click(payload: string) {
      const res = await api(srv.url, 'POST', path('/messages'), {
        body: { userId, ...(userHash ? { userHash } : {}), payload },
      });
      expect(res.status).toBe(200);
      return res.body as { conversationId: string; replies: { text: string }[]; handoff: string };
    },
  };
}

async function agent(
  input: { name?: string; tier?: 'L1' | 'L2' | 'expert'; languages?: string[]; maxConcurrent?: number } = {},
  online = true,
) {
  const res = await api(srv.url, 'POST', path('/agents'), {
    token: key,
    body: {
      name: input.name ?? `agent-${seq++}`,
      tier: input.tier ?? 'L1',
      languages: input.languages ?? ['zh-CN', 'en-US'],
      maxConcurrent: input.maxConcurrent ?? 5,
    },
  });
  expect(res.status).toBe(201);
  const { id, token } = res.body as { id: string; token: string };
  if (online) {
    const status = await api(srv.url, 'PUT', path(`/agents/${id}/status`), {
      token,
      body: { status: 'online' },
    });
    expect(status.status).toBe(200);
  }
  return { id, token };
}

async function openHandoff(conversationId: string) {
  const list = await api(srv.url, 'GET', path('/handoffs?status=open'), { token: key });
  return (
    list.body.handoffs as {
      id: string;
      conversationId: string;
      reason: string;
      tier: string;
      status: string;
    }[]
  ).find((h) => h.conversationId === conversationId);
}

const texts = (r: { replies: { text: string }[] }) => r.replies.map((x) => x.text).join('\n');

describe('triggers', () => {
  test.each([
    ['转人工', 'zh'],
    ['人工客服', 'zh'],
    ['我要找真人', 'zh'],
    ['agent', 'en'],
    ['human please', 'en'],
    ['I want to speak to a representative', 'en'],
  ])('the customer asks for a person: "%s"', async (text) => {
    await agent();
    const c = customer();
    const res = await c.say(text);
    expect(res.handoff).toBe('queued');
    expect(await openHandoff(res.conversationId)).toMatchObject({
      reason: 'customer_request',
      tier: 'L1',
      status: 'pending',
    });
  });

  test('DTMF 0 on the phone keypad', async () => {
    const res = await customer().click('dtmf:0');
    expect(res.handoff).toBe('queued');
    expect(await openHandoff(res.conversationId)).toMatchObject({ reason: 'dtmf' });
  });

  test.each([
    ['zh-CN', ['阿巴阿巴嘟嘟噜', '噗噜噗噜咕叽咕叽'], /没能理解清楚/],
    ['en-US', ['flibber quaxle zorp', 'wibble splonk morbid quango'], /haven't understood/],
  ])('%s: N turns in a row the bot did not understand', async (locale, lines, said) => {
    const c = customer();
    const first = await c.say(lines[0]!, { locale });
    expect(first.handoff).toBe('none');
    const second = await c.say(lines[1]!, { locale });
    expect(second.handoff).toBe('queued');
    expect(texts(second)).toMatch(said);
    expect(await openHandoff(second.conversationId)).toMatchObject({ reason: 'low_confidence' });
  });

  test('an understood turn in between resets the count', async () => {
    const c = customer();
    expect((await c.say('阿巴阿巴嘟嘟噜')).handoff).toBe('none');
    expect((await c.say('怎么退货')).handoff).toBe('none');
    expect((await c.say('噗噜噗噜咕叽咕叽')).handoff).toBe('none');
  });

  test.each([
    ['zh-CN', '你们这什么垃圾服务，气死我了！', /非常抱歉/],
    ['en-US', 'This is ridiculous, I am furious with your service!', /really sorry/],
  ])('%s: anger', async (locale, text, said) => {
    const res = await customer().say(text, { locale });
    expect(res.handoff).toBe('queued');
    expect(texts(res)).toMatch(said);
    expect(await openHandoff(res.conversationId)).toMatchObject({ reason: 'negative_sentiment' });
  });

  test.each([
    ['zh-CN', 'c-1004', '订单1015退款', /二线/],
    ['en-US', 'c-1012', 'refund order 1042', /second-line/],
  ])('%s: a disputed refund escalates to L2 from the refund skill', async (locale, id, ask, said) => {
    // Already refunded: the refund skill offers a person, and its button carries the dispute.
    const c = customer({ id, verified: true });
    const refused = await c.say(ask, { locale });
    const dispute = refused.replies
      .flatMap((r) => r.quickReplies ?? [])
      .find((q) => q.payload.endsWith(':refund_dispute'));
    expect(dispute).toBeDefined();
    const res = await c.click(dispute!.payload);
    expect(res.handoff).toBe('queued');
    expect(texts(res)).toMatch(said);
    expect(await openHandoff(res.conversationId)).toMatchObject({ reason: 'refund_dispute', tier: 'L2' });
    await srv.platform.store.conversations.endOpen(SHOP, id);
  });

  test.each([
    ['zh-CN', 'c-1007', '订单1023到哪了', /订单系统连续出错/],
    ['en-US', 'c-1005', 'where is order 1017', /order system keeps failing/],
  ])('%s: a backend that keeps failing escalates by itself', async (locale, id, ask, said) => {
    await settings({
      commerce: { type: 'http', baseUrl: 'http://127.0.0.1:9/', secret: 'x', timeoutMs: 200 },
    });
    try {
      const c = customer({ id, verified: true });
      const first = await c.say(ask, { locale });
      expect(first.handoff).toBe('none');
      const second = await c.say(ask, { locale });
      expect(second.handoff).toBe('queued');
      expect(texts(second)).toMatch(said);
      expect(await openHandoff(second.conversationId)).toMatchObject({ reason: 'backend_failure' });
      await srv.platform.store.conversations.endOpen(SHOP, id);
    } finally {
      await settings({ commerce: { type: 'demo' } });
    }
  });

  test.each([
    ['zh-CN', 'c-1001', 'c-1006', '你好', /专属客服/],
    ['en-US', 'c-1003', 'c-1005', 'hello', /dedicated agent/],
  ])(
    '%s: a VIP tier goes straight to a person, at the dedicated tier',
    async (locale, vipId, regularId, hello, said) => {
      // c-1001 has five stars, c-1003 three; c-1006 none, c-1005 one.
      await settings({ handoff: { vipMinTier: 3, vipTier: 'L2' } });
      try {
        const vip = await customer({ id: vipId, verified: true }).say(hello, { locale });
        expect(vip.handoff).toBe('queued');
        expect(texts(vip)).toMatch(said);
        expect(await openHandoff(vip.conversationId)).toMatchObject({ reason: 'vip', tier: 'L2' });
        const regular = await customer({ id: regularId, verified: true }).say(hello, { locale });
        expect(regular.handoff).toBe('none');
      } finally {
        await settings({ handoff: { vipMinTier: null } });
        await srv.platform.store.conversations.endOpen(SHOP, vipId);
        await srv.platform.store.conversations.endOpen(SHOP, regularId);
      }
    },
  );
});

describe('the queue', () => {
  test('the customer is told their position and an estimated wait, and can still ask simple questions', async () => {
    await agent({ maxConcurrent: 1 });
    const a = await customer().say('转人工');
    const b = await customer().say('转人工');
    const c = customer();
    const third = await c.say('转人工');
    expect(texts(a)).toMatch(/排在第一位/);
    expect(texts(b)).toMatch(/前面还有 1 位/);
    expect(texts(third)).toMatch(/前面还有 2 位客户在排队，预计等待约 \d+ 分钟/);
    // While waiting the bot still answers, and asking again gets the place in the queue.
    const simple = await c.say('怎么退货');
    expect(simple.handoff).toBe('queued');
    expect(texts(simple)).toMatch(/退货|退换/);
    const again = await c.say('人工客服');
    expect(texts(again)).toMatch(/您仍在排队，前面还有 2 位/);
    expect(await openHandoff(third.conversationId)).toMatchObject({ status: 'pending' });
  });

  test('in English too', async () => {
    await agent();
    await customer().say('human', { locale: 'en-US' });
    const second = await customer().say('talk to a real person', { locale: 'en-US' });
    expect(texts(second)).toMatch(/There is 1 customer ahead of you; the estimated wait is about \d+ min/);
  });

  test('a waiting customer can withdraw the request', async () => {
    await agent();
    const c = customer();
    const asked = await c.say('转人工');
    const withdrawn = await c.say('算了，不用了');
    expect(texts(withdrawn)).toMatch(/已为您取消转人工/);
    expect(withdrawn.handoff).toBe('none');
    expect(await openHandoff(asked.conversationId)).toBeUndefined();
  });

  test('nobody online: the customer is told honestly, leaves a message, and the agents get a ticket', async () => {
    const c = customer();
    const asked = await c.say('转人工');
    expect(texts(asked)).toMatch(/暂时没有客服在线.*留言/);
    const left = await c.say('我的快递三天没动了，电话 13800138000，麻烦回电');
    expect(texts(left)).toMatch(/已记录您的留言（工单号 tk_/);
    const tickets = await api(srv.url, 'GET', path('/tickets?status=open'), { token: key });
    const ticket = tickets.body.tickets.find(
      (t: { conversationId: string }) => t.conversationId === asked.conversationId,
    );
    expect(ticket).toMatchObject({
      reason: 'customer_request',
      message: expect.stringContaining('三天没动'),
    });
    // The request still waits: an agent who comes back can take it, and reply to the ticket.
    const a = await agent();
    const handoff = await openHandoff(asked.conversationId);
    expect(
      (await api(srv.url, 'POST', path(`/handoffs/${handoff!.id}/assign`), { token: a.token, body: {} }))
        .status,
    ).toBe(200);
    const closed = await api(srv.url, 'POST', path(`/tickets/${ticket.id}/close`), {
      token: a.token,
      body: {},
    });
    expect(closed.body).toMatchObject({ status: 'closed', closedBy: a.id });
    expect(
      (await api(srv.url, 'POST', path(`/tickets/${ticket.id}/close`), { token: a.token, body: {} })).status,
    ).toBe(409);
  });

  test('a clear question while leaving a message is kept on the ticket and answered too', async () => {
    const c = customer();
    const asked = await c.say('转人工');
    expect(texts(asked)).toMatch(/留言/);
    const both = await c.say('怎么退货');
    expect(both.replies[0]!.text).toMatch(/已记录您的留言/);
    expect(
      both.replies
        .slice(1)
        .map((r) => r.text)
        .join('\n'),
    ).toMatch(/退/);
    // Withdrawn: later messages are the bot's again, not the ticket's.
    const again = customer();
    await again.say('转人工');
    await again.say('算了，不用了');
    const after = await again.say('阿巴阿巴嘟嘟噜');
    expect(texts(after)).not.toMatch(/已记录您的留言/);
  });

  test('outside business hours the customer is told the hours', async () => {
    await agent();
    const hour = new Date().getUTCHours();
    const pad = (h: number) => String(h % 24).padStart(2, '0');
    await settings({
      businessHours: { timezone: 'UTC', open: `${pad(hour + 2)}:00`, close: `${pad(hour + 3)}:00` },
    });
    const res = await customer().say('人工客服');
    expect(texts(res)).toMatch(
      new RegExp(`不是人工客服的工作时间（${pad(hour + 2)}:00–${pad(hour + 3)}:00）`),
    );
    expect(res.handoff).toBe('queued');
  });

  test('a request nobody takes expires into a ticket, and the customer is told', async () => {
    const c = customer();
    const asked = await c.say('转人工');
    const handoff = await openHandoff(asked.conversationId);
    offsetMs = 61 * 60_000;
    expect(await srv.platform.handoffs.sweep()).toBeGreaterThanOrEqual(1);
    const after = await api(srv.url, 'GET', path(`/handoffs/${handoff!.id}`), { token: key });
    expect(after.body.status).toBe('expired');
    const history = await api(srv.url, 'GET', path(`/conversations/${asked.conversationId}/messages`), {
      token: key,
    });
    expect(history.body.messages.at(-1).text).toMatch(/已为您创建工单（tk_/);
  });
});

describe('idle conversations', () => {
  test('a waiting conversation that idles out expires its handoff, and the agents hear of it', async () => {
    const a = await agent();
    const c = customer();
    const asked = await c.say('转人工');
    const handoff = await openHandoff(asked.conversationId);
    const stream = await fetch(srv.url + path('/agent-events'), {
      headers: { authorization: `Bearer ${a.token}` },
    });
    const events = readSse(stream);
    // The customer went away for an hour.
    await srv.platform.store.database.db
      .update(conversations)
      .set({ lastActivityAt: new Date(Date.now() - 60 * 60_000) })
      .where(eq(conversations.id, asked.conversationId));
    // Written behind the repository's back: the embedded store must not answer from what it remembers.
    srv.platform.store.conversations.forgetRemembered();
    const back = await c.say('你好');
    expect(back.conversationId).not.toBe(asked.conversationId);
    const expired = await events.until((e) => e.event === 'handoff' && e.data.id === handoff!.id);
    expect(expired.data.status).toBe('expired');
    events.close();
  });

  test('a conversation an agent is serving stays open however long the customer is away', async () => {
    const a = await agent();
    const c = customer();
    const asked = await c.say('转人工');
    const handoff = await openHandoff(asked.conversationId);
    await api(srv.url, 'POST', path(`/handoffs/${handoff!.id}/assign`), { token: a.token, body: {} });
    await srv.platform.store.database.db
      .update(conversations)
      .set({ lastActivityAt: new Date(Date.now() - 60 * 60_000) })
      .where(eq(conversations.id, asked.conversationId));
    // Written behind the repository's back: the embedded store must not answer from what it remembers.
    srv.platform.store.conversations.forgetRemembered();
    const back = await c.say('我回来了');
    expect(back).toMatchObject({ conversationId: asked.conversationId, handoff: 'agent', replies: [] });
  });
});

describe('routing', () => {
  test('tier: an L1 agent cannot take an L2 handoff; an L2 agent takes its own tier first, then L1', async () => {
    const l1 = await agent({ tier: 'L1' });
    const l2 = await agent({ tier: 'L2' });
    const plain = await customer().say('转人工');
    const vipShop = await customer().click('dialogue:human:refund_dispute');
    const disputed = await openHandoff(vipShop.conversationId);
    expect(disputed).toMatchObject({ tier: 'L2' });
    const refused = await api(srv.url, 'POST', path(`/handoffs/${disputed!.id}/assign`), {
      token: l1.token,
      body: {},
    });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'AGENT_NOT_ELIGIBLE' } } });
    const first = await api(srv.url, 'POST', path('/handoffs/next'), { token: l2.token, body: {} });
    expect(first.body).toMatchObject({ id: disputed!.id, assignedTo: l2.id });
    const second = await api(srv.url, 'POST', path('/handoffs/next'), { token: l2.token, body: {} });
    expect(second.body).toMatchObject({ conversationId: plain.conversationId, assignedTo: l2.id });
    expect((await api(srv.url, 'POST', path('/handoffs/next'), { token: l1.token, body: {} })).status).toBe(
      204,
    );
  });

  test('language: an English conversation is not offered to a Chinese-only agent', async () => {
    const zhOnly = await agent({ languages: ['zh-CN'] });
    const en = await agent({ languages: ['en-US'] });
    const english = await customer().say('I need a human', { locale: 'en-US' });
    const handoff = await openHandoff(english.conversationId);
    expect(handoff).toMatchObject({ locale: 'en-US' });
    expect(
      (await api(srv.url, 'POST', path('/handoffs/next'), { token: zhOnly.token, body: {} })).status,
    ).toBe(204);
    const refused = await api(srv.url, 'POST', path(`/handoffs/${handoff!.id}/assign`), {
      token: zhOnly.token,
      body: {},
    });
    expect(refused.status).toBe(403);
    const taken = await api(srv.url, 'POST', path('/handoffs/next'), { token: en.token, body: {} });
    expect(taken.body).toMatchObject({ id: handoff!.id });
  });

  test('capacity: an agent at maxConcurrent gets 409 until one is resolved; oldest first', async () => {
    const a = await agent({ maxConcurrent: 1 });
    const older = await customer().say('转人工');
    const newer = await customer().say('转人工');
    const first = await api(srv.url, 'POST', path('/handoffs/next'), { token: a.token, body: {} });
    expect(first.body).toMatchObject({ conversationId: older.conversationId });
    const listed = await api(srv.url, 'GET', path('/agents'), { token: key });
    expect(listed.body.agents.find((x: { id: string }) => x.id === a.id)).toMatchObject({
      active: 1,
      maxConcurrent: 1,
    });
    const full = await api(srv.url, 'POST', path('/handoffs/next'), { token: a.token, body: {} });
    expect(full).toMatchObject({ status: 409, body: { error: { code: 'AGENT_AT_CAPACITY' } } });
    await api(srv.url, 'POST', path(`/handoffs/${first.body.id}/resolve`), {
      token: a.token,
      body: { returnToBot: true },
    });
    const next = await api(srv.url, 'POST', path('/handoffs/next'), { token: a.token, body: {} });
    expect(next.body).toMatchObject({ conversationId: newer.conversationId });
  });

  test('autoAssign: a new request goes to the least loaded online agent who can serve it', async () => {
    await settings({ handoff: { autoAssign: true } });
    const busy = await agent({ maxConcurrent: 2 });
    const idle = await agent({ maxConcurrent: 2 });
    await agent({ languages: ['en-US'] });
    const first = await customer().say('转人工');
    const h1 = await openHandoff(first.conversationId);
    expect(h1?.status).toBe('assigned');
    const second = await customer().say('转人工');
    const h2 = await openHandoff(second.conversationId);
    expect(h2?.status).toBe('assigned');
    expect(
      new Set([(h1 as { assignedTo?: string }).assignedTo, (h2 as { assignedTo?: string }).assignedTo]),
    ).toEqual(new Set([busy.id, idle.id]));
    // The customer hears they are next, then the agent joins — in that order in the transcript.
    expect(texts(second)).toMatch(/排在第一位/);
    const history = await api(srv.url, 'GET', path(`/conversations/${second.conversationId}/messages`), {
      token: key,
    });
    expect(history.body.messages.map((m: { role: string; text: string }) => `${m.role}:${m.text}`)).toEqual([
      'user:转人工',
      expect.stringMatching(/^bot:好的，正在为您转接人工客服/),
      expect.stringMatching(/^bot:您已排在第一位/),
      expect.stringMatching(/^bot:客服agent-\d+已接入/),
    ]);
    const metrics = await api(srv.url, 'GET', '/metrics');
    expect(metrics.body).toMatch(/kefu_handoffs_total\{reason="customer_request",tier="L1"\} \d+/);
    expect(metrics.body).toMatch(/kefu_handoff_wait_seconds_count \d+/);
  });

  test('10 concurrent assigns of one handoff: exactly one 200, nine 409', async () => {
    const agents = await Promise.all(Array.from({ length: 10 }, () => agent()));
    const asked = await customer().say('转人工');
    const handoff = await openHandoff(asked.conversationId);
    const results = await Promise.all(
      agents.map((a) =>
        api(srv.url, 'POST', path(`/handoffs/${handoff!.id}/assign`), {
          token: key,
          body: { agentId: a.id },
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, ...Array(9).fill(409)]);
    const winner = results.find((r) => r.status === 200)!.body.assignedTo;
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error.code === 'HANDOFF_TAKEN')).toBe(
      true,
    );
    expect(
      (await api(srv.url, 'GET', path(`/handoffs/${handoff!.id}`), { token: key })).body.assignedTo,
    ).toBe(winner);
  });
});

describe('assigned: the agent talks, the bot is silent', () => {
  test('customer messages go to the agent, the bot says nothing; agent replies reach the customer over SSE', async () => {
    const a = await agent({ name: '小王' });
    const c = customer({ id: 'c-1002', verified: true });
    const asked = await c.say('转人工');
    const handoff = await openHandoff(asked.conversationId);

    const stream = await fetch(srv.url + path('/agent-events'), {
      headers: { authorization: `Bearer ${a.token}` },
    });
    const events = readSse(stream);
    const taken = await api(srv.url, 'POST', path(`/handoffs/${handoff!.id}/assign`), {
      token: a.token,
      body: {},
    });
    expect(taken.status).toBe(200);

    const silent = await c.say('我的订单1005到哪了');
    expect(silent).toMatchObject({ handoff: 'agent', replies: [] });
    const got = await events.until(
      (e) => e.event === 'message' && e.data.message?.text === '我的订单1005到哪了',
    );
    expect(got.data.message.nlu).toMatchObject({ intent: expect.any(String) });

    const customerStream = await fetch(
      srv.url +
        path(
          `/conversations/${asked.conversationId}/events?userId=c-1002&userHash=${userHashFor(secret, 'c-1002')}`,
        ),
    );
    const customerEvents = readSse(customerStream);
    const sent = await api(srv.url, 'POST', path(`/conversations/${asked.conversationId}/agent-messages`), {
      token: a.token,
      body: { text: '您好，1005 已经到达本地网点，今天派送。' },
    });
    expect(sent.status).toBe(201);
    const delivered = await customerEvents.until((e) => e.data?.role === 'agent');
    expect(delivered.data.text).toBe('您好，1005 已经到达本地网点，今天派送。');

    const history = await api(srv.url, 'GET', path(`/conversations/${asked.conversationId}/messages`), {
      token: key,
    });
    const tail = history.body.messages
      .slice(-3)
      .map((m: { role: string; text: string }) => `${m.role}:${m.text}`);
    expect(tail).toEqual([
      expect.stringMatching(/^bot:客服小王已接入/),
      'user:我的订单1005到哪了',
      'agent:您好，1005 已经到达本地网点，今天派送。',
    ]);
    events.close();
    customerEvents.close();

    // Another agent cannot write into it.
    const other = await agent();
    const intruder = await api(
      srv.url,
      'POST',
      path(`/conversations/${asked.conversationId}/agent-messages`),
      {
        token: other.token,
        body: { text: 'hi' },
      },
    );
    expect(intruder).toMatchObject({ status: 409, body: { error: { code: 'NOT_ASSIGNED_TO_YOU' } } });
    await api(srv.url, 'POST', path(`/handoffs/${handoff!.id}/resolve`), {
      token: a.token,
      body: { returnToBot: false },
    });
  });

  test('the context: transcript with NLU, reason, profile and trust tier, recent orders, a summary', async () => {
    const a = await agent();
    const c = customer({ id: 'c-1003', verified: true });
    await c.say('订单1007到哪了');
    const asked = await c.say('转人工');
    const handoff = await openHandoff(asked.conversationId);
    await api(srv.url, 'POST', path(`/handoffs/${handoff!.id}/assign`), { token: a.token, body: {} });
    const ctx = await api(srv.url, 'GET', path(`/conversations/${asked.conversationId}/context`), {
      token: a.token,
    });
    expect(ctx.status).toBe(200);
    expect(ctx.body).toMatchObject({
      reason: 'customer_request',
      handoff: { id: handoff!.id, status: 'assigned' },
      profile: { userId: 'c-1003', verified: true, tier: expect.any(Number), name: expect.any(String) },
    });
    expect(ctx.body.recentOrders.length).toBeGreaterThan(0);
    const userTurns = ctx.body.transcript.filter((m: { role: string }) => m.role === 'user');
    expect(userTurns[0]).toMatchObject({
      text: '订单1007到哪了',
      nlu: { intent: 'order.query', entities: [{ type: 'orderId', value: '1007' }] },
    });
    expect(ctx.body.summary).toMatch(/已登录/);
    expect(ctx.body.summary).toMatch(/订单 1007/);
    expect(ctx.body.summary).toMatch(/查询订单|订单查询|查订单/);
    expect(ctx.body.summary).toMatch(/转人工原因：客户要求人工/);
    await api(srv.url, 'POST', path(`/handoffs/${handoff!.id}/resolve`), {
      token: a.token,
      body: { returnToBot: false },
    });
  });

  test('an anonymous customer gets no profile or orders in the context', async () => {
    const a = await agent();
    const asked = await customer().say('转人工');
    const handoff = await openHandoff(asked.conversationId);
    await api(srv.url, 'POST', path(`/handoffs/${handoff!.id}/assign`), { token: a.token, body: {} });
    const ctx = await api(srv.url, 'GET', path(`/conversations/${asked.conversationId}/context`), {
      token: a.token,
    });
    expect(ctx.body.profile).toEqual({ userId: expect.any(String), verified: false });
    expect(ctx.body.recentOrders).toEqual([]);
    expect(ctx.body.summary).toMatch(/匿名访客/);
  });

  test('suggestions: the shop knowledge and earlier agent answers to similar questions, ranked', async () => {
    const a = await agent({ maxConcurrent: 10 });
    // An earlier conversation where an agent answered a question about an invoice.
    const earlier = customer();
    const e1 = await earlier.say('转人工');
    const h1 = await openHandoff(e1.conversationId);
    await api(srv.url, 'POST', path(`/handoffs/${h1!.id}/assign`), { token: a.token, body: {} });
    await earlier.say('发票抬头写错了能重开吗');
    await api(srv.url, 'POST', path(`/conversations/${e1.conversationId}/agent-messages`), {
      token: a.token,
      body: { text: '可以的，请把正确的抬头和税号发给我，我们 24 小时内重开电子发票。' },
    });
    // Now a new customer asks something similar.
    const now = customer();
    const e2 = await now.say('转人工');
    const h2 = await openHandoff(e2.conversationId);
    await api(srv.url, 'POST', path(`/handoffs/${h2!.id}/assign`), { token: a.token, body: {} });
    await now.say('发票抬头写错了怎么重开');
    const res = await api(srv.url, 'GET', path(`/conversations/${e2.conversationId}/suggestions`), {
      token: a.token,
    });
    expect(res.status).toBe(200);
    const sources = res.body.suggestions.map((s: { source: string }) => s.source);
    expect(sources).toContain('agent');
    expect(res.body.suggestions[0].score).toBeGreaterThanOrEqual(res.body.suggestions.at(-1).score);
    // The earlier conversation's own suggestions do not repeat what its agent already said there.
    const own = await api(srv.url, 'GET', path(`/conversations/${e1.conversationId}/suggestions`), {
      token: a.token,
    });
    expect(own.body.suggestions.filter((x: { source: string }) => x.source === 'agent')).toEqual([]);
    expect(res.body.suggestions.find((s: { source: string }) => s.source === 'agent').text).toMatch(
      /重开电子发票/,
    );

    const shipping = customer();
    const e3 = await shipping.say('转人工');
    const h3 = await openHandoff(e3.conversationId);
    await api(srv.url, 'POST', path(`/handoffs/${h3!.id}/assign`), { token: a.token, body: {} });
    await shipping.say('你们发什么快递');
    const kb = await api(srv.url, 'GET', path(`/conversations/${e3.conversationId}/suggestions`), {
      token: a.token,
    });
    expect(kb.body.suggestions[0]).toMatchObject({ source: 'knowledge' });
  });
});

describe('transfer and resolve', () => {
  test('L1 → L2 → expert keeps the transcript and adds the notes', async () => {
    const l1 = await agent({ tier: 'L1' });
    const l2 = await agent({ tier: 'L2' });
    const expert = await agent({ tier: 'expert' });
    const c = customer();
    await c.say('我买的手机屏幕有问题');
    const asked = await c.say('转人工');
    const handoff = await openHandoff(asked.conversationId);
    await api(srv.url, 'POST', path(`/handoffs/${handoff!.id}/assign`), { token: l1.token, body: {} });
    const up = await api(srv.url, 'POST', path(`/handoffs/${handoff!.id}/transfer`), {
      token: l1.token,
      body: { tier: 'L2', note: '屏幕坏点，客户要求换新' },
    });
    expect(up.body).toMatchObject({
      status: 'transferred',
      tier: 'L2',
      assignedTo: null,
      notes: [{ fromTier: 'L1', toTier: 'L2', note: '屏幕坏点，客户要求换新', agentId: l1.id }],
    });
    expect(
      (await api(srv.url, 'POST', path(`/handoffs/${handoff!.id}/assign`), { token: l1.token, body: {} }))
        .status,
    ).toBe(403);
    await api(srv.url, 'POST', path(`/handoffs/${handoff!.id}/assign`), { token: l2.token, body: {} });
    const again = await api(srv.url, 'POST', path(`/handoffs/${handoff!.id}/transfer`), {
      token: l2.token,
      body: { tier: 'expert', note: '需要质检专家判断' },
    });
    expect(again.body.notes).toHaveLength(2);
    await api(srv.url, 'POST', path(`/handoffs/${handoff!.id}/assign`), { token: expert.token, body: {} });
    const ctx = await api(srv.url, 'GET', path(`/conversations/${asked.conversationId}/context`), {
      token: expert.token,
    });
    expect(ctx.body.transcript.map((m: { text: string }) => m.text)).toEqual(
      expect.arrayContaining([
        '我买的手机屏幕有问题',
        '转人工',
        expect.stringMatching(/正在为您转接二线客服/),
      ]),
    );
    expect(ctx.body.handoff.notes.map((n: { note: string }) => n.note)).toEqual([
      '屏幕坏点，客户要求换新',
      '需要质检专家判断',
    ]);
    // Only the agent serving it may transfer it.
    expect(
      (
        await api(srv.url, 'POST', path(`/handoffs/${handoff!.id}/transfer`), {
          token: l1.token,
          body: { tier: 'L2' },
        })
      ).status,
    ).toBe(409);
  });

  test('hand back to the bot resumes cleanly: no task from before the handoff', async () => {
    const a = await agent();
    const c = customer({ id: 'c-1005', verified: true });
    // A refund waiting for its confirmation when the customer asks for a person.
    const refund = await c.say('订单1017退款50元，尺码不合适');
    expect(refund.replies.some((r) => r.quickReplies?.some((q) => q.payload.includes(':confirm')))).toBe(
      true,
    );
    const asked = await c.say('转人工');
    const handoff = await openHandoff(asked.conversationId);
    await api(srv.url, 'POST', path(`/handoffs/${handoff!.id}/assign`), { token: a.token, body: {} });
    const resolved = await api(srv.url, 'POST', path(`/handoffs/${handoff!.id}/resolve`), {
      token: a.token,
      body: { returnToBot: true },
    });
    expect(resolved.body).toMatchObject({ status: 'resolved' });
    const state = await srv.platform.store.conversations.loadState<{ stack: unknown[] }>(
      asked.conversationId,
    );
    expect(state!.state.stack).toEqual([]);
    // "确认" no longer confirms the refund from before; the bot answers as itself.
    const after = await c.say('确认');
    expect(after.handoff).toBe('none');
    expect(texts(after)).not.toMatch(/退款申请已|已为您提交|极速退款/);
    const faq = await c.say('怎么退货');
    expect(faq.replies.length).toBeGreaterThan(0);
    expect(faq.conversationId).toBe(asked.conversationId);
    await srv.platform.store.conversations.endOpen(SHOP, 'c-1005');
  });

  test('resolve without hand-back ends the conversation; the next message starts a new one', async () => {
    const a = await agent();
    const c = customer();
    const asked = await c.say('转人工');
    const handoff = await openHandoff(asked.conversationId);
    await api(srv.url, 'POST', path(`/handoffs/${handoff!.id}/assign`), { token: a.token, body: {} });
    await api(srv.url, 'POST', path(`/handoffs/${handoff!.id}/resolve`), {
      token: a.token,
      body: { returnToBot: false },
    });
    const next = await c.say('你好');
    expect(next.conversationId).not.toBe(asked.conversationId);
    expect(next.handoff).toBe('none');
  });

  test('removing an agent revokes the token and puts their conversations back in the queue', async () => {
    const leaving = await agent({ name: '离职的客服' });
    const asked = await customer().say('转人工');
    const handoff = await openHandoff(asked.conversationId);
    await api(srv.url, 'POST', path(`/handoffs/${handoff!.id}/assign`), { token: leaving.token, body: {} });
    expect(
      (await api(srv.url, 'DELETE', path(`/agents/${leaving.id}`), { token: leaving.token })).status,
    ).toBe(401);
    expect((await api(srv.url, 'DELETE', path(`/agents/${leaving.id}`), { token: key })).status).toBe(204);
    expect((await api(srv.url, 'GET', '/api/v1/agents/me', { token: leaving.token })).status).toBe(401);
    const back = await api(srv.url, 'GET', path(`/handoffs/${handoff!.id}`), { token: key });
    expect(back.body).toMatchObject({ status: 'transferred', assignedTo: null, tier: 'L1' });
    expect(back.body.notes.at(-1).note).toMatch(/离职的客服 was removed/);
    expect((await api(srv.url, 'DELETE', path(`/agents/${leaving.id}`), { token: key })).status).toBe(404);
  });

  test('a removed agent’s open event stream ends at the next heartbeat', async () => {
    // The same platform behind a second server whose stream beats every 100 ms.
    const fast = createServer(srv.platform, [createHandoffApi(srv.platform, { heartbeatMs: 100 })]);
    const { port } = await fast.listen(0, '127.0.0.1');
    try {
      const leaving = await agent();
      const stream = await fetch(`http://127.0.0.1:${port}${path('/agent-events')}`, {
        headers: { authorization: `Bearer ${leaving.token}` },
      });
      expect(stream.status).toBe(200);
      const ended = (async () => {
        const reader = stream.body!.getReader();
        while (!(await reader.read()).done) {
          // keep-alives until the stream ends
        }
        return true;
      })();
      expect((await api(srv.url, 'DELETE', path(`/agents/${leaving.id}`), { token: key })).status).toBe(204);
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 5000)));
      await expect(Promise.race([ended, gaveUp])).resolves.toBe(true);
      clearTimeout(timer);
    } finally {
      fast.server.closeAllConnections();
      await new Promise((r) => fast.server.close(r));
    }
  });
});

describe('assist mode', () => {
  test('the bot drafts; the customer sees it only after an agent approves (or edits) it', async () => {
    await settings({ mode: 'assist' });
    const a = await agent();
    const c = customer();
    const asked = await c.say('怎么退货');
    expect(asked.replies).toEqual([]);
    expect(asked.draftId).toMatch(/^d_/);
    let history = await api(srv.url, 'GET', path(`/conversations/${asked.conversationId}/messages`), {
      token: key,
    });
    expect(history.body.messages.map((m: { role: string }) => m.role)).toEqual(['user']);

    // Nor does the opening offer (猜你想问) reach a customer unapproved.
    expect(
      await srv.platform.turns.open({ shopId: SHOP, channel: 'web', userId: 'c-1001', verified: true }),
    ).toBe(false);
    const drafts = await api(srv.url, 'GET', path('/drafts?status=pending'), { token: a.token });
    const draft = drafts.body.drafts.find((d: { id: string }) => d.id === asked.draftId);
    expect(draft).toMatchObject({ question: '怎么退货', status: 'pending' });
    expect(draft.replies[0].text).toMatch(/退/);

    const approved = await api(srv.url, 'POST', path(`/drafts/${asked.draftId}/approve`), {
      token: a.token,
      body: {},
    });
    expect(approved.body).toMatchObject({ status: 'sent', decidedBy: a.id });
    history = await api(srv.url, 'GET', path(`/conversations/${asked.conversationId}/messages`), {
      token: key,
    });
    expect(history.body.messages.map((m: { role: string }) => m.role)).toEqual([
      'user',
      ...draft.replies.map(() => 'bot'),
    ]);
    expect(history.body.messages[1].text).toBe(draft.replies[0].text);
    // A second approval (double click, second agent) sends nothing.
    expect(
      (await api(srv.url, 'POST', path(`/drafts/${asked.draftId}/approve`), { token: a.token, body: {} }))
        .status,
    ).toBe(409);

    const edited = await c.say('发什么快递');
    const ok = await api(srv.url, 'POST', path(`/drafts/${edited.draftId}/approve`), {
      token: a.token,
      body: { text: '默认中通，偏远地区顺丰。' },
    });
    expect(ok.status).toBe(200);
    const discarded = await c.say('谢谢');
    expect(
      (await api(srv.url, 'POST', path(`/drafts/${discarded.draftId}/discard`), { token: a.token, body: {} }))
        .body.status,
    ).toBe('discarded');
    history = await api(srv.url, 'GET', path(`/conversations/${asked.conversationId}/messages`), {
      token: key,
    });
    expect(
      history.body.messages.map((m: { role: string; text: string }) => `${m.role}:${m.text}`).slice(-3),
    ).toEqual(['user:发什么快递', 'agent:默认中通，偏远地区顺丰。', 'user:谢谢']);
  });
});

describe('agents API', () => {
  test('the OpenAPI document describes every agents and handoff endpoint', async () => {
    const doc = await api(srv.url, 'GET', '/api/v1/openapi.json');
    for (const p of [
      '/api/v1/shops/{shopId}/agents',
      '/api/v1/agents/me',
      '/api/v1/shops/{shopId}/agents/{agentId}',
      '/api/v1/shops/{shopId}/agents/{agentId}/status',
      '/api/v1/shops/{shopId}/handoffs',
      '/api/v1/shops/{shopId}/handoffs/next',
      '/api/v1/shops/{shopId}/handoffs/{handoffId}',
      '/api/v1/shops/{shopId}/handoffs/{handoffId}/assign',
      '/api/v1/shops/{shopId}/handoffs/{handoffId}/transfer',
      '/api/v1/shops/{shopId}/handoffs/{handoffId}/resolve',
      '/api/v1/shops/{shopId}/conversations/{conversationId}/context',
      '/api/v1/shops/{shopId}/conversations/{conversationId}/suggestions',
      '/api/v1/shops/{shopId}/conversations/{conversationId}/agent-messages',
      '/api/v1/shops/{shopId}/drafts',
      '/api/v1/shops/{shopId}/drafts/{draftId}/approve',
      '/api/v1/shops/{shopId}/drafts/{draftId}/discard',
      '/api/v1/shops/{shopId}/tickets',
      '/api/v1/shops/{shopId}/tickets/{ticketId}/close',
      '/api/v1/shops/{shopId}/agent-events',
    ]) {
      expect(doc.body.paths).toHaveProperty([p]);
    }
  });

  test('creating agents needs the shop key; tokens are per shop; validation', async () => {
    const a = await agent({}, false);
    const me = await api(srv.url, 'GET', '/api/v1/agents/me', { token: a.token });
    expect(me.body).toMatchObject({ id: a.id, shopId: SHOP, tier: 'L1', status: 'offline' });
    expect(me.body).not.toHaveProperty('tokenHash');
    expect((await api(srv.url, 'GET', '/api/v1/agents/me', { token: 'ag_nope' })).status).toBe(401);
    // An agent cannot create agents; bad input is a 400 naming the field.
    expect(
      (
        await api(srv.url, 'POST', path('/agents'), {
          token: a.token,
          body: { name: 'x', tier: 'L1', languages: ['zh-CN'], maxConcurrent: 1 },
        })
      ).status,
    ).toBe(401);
    const bad = await api(srv.url, 'POST', path('/agents'), {
      token: key,
      body: { name: 'x', tier: 'L9', languages: [], maxConcurrent: 0 },
    });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    expect(bad.body.error.message).toMatch(/tier/);
    // Another shop's agent sees nothing here.
    const other = await api(srv.url, 'POST', '/api/v1/shops', {
      token: srv.adminToken,
      body: { name: 'Other' },
    });
    const foreign = await api(srv.url, 'POST', `/api/v1/shops/${other.body.id}/agents`, {
      token: other.body.apiKey,
      body: { name: 'y', tier: 'L1', languages: ['zh-CN'], maxConcurrent: 1 },
    });
    expect((await api(srv.url, 'GET', path('/handoffs'), { token: foreign.body.token })).status).toBe(403);
    expect((await api(srv.url, 'GET', path('/handoffs'))).status).toBe(401);
    // An agent acts only as themselves.
    const b = await agent();
    const asked = await customer().say('转人工');
    const handoff = await openHandoff(asked.conversationId);
    const impostor = await api(srv.url, 'POST', path(`/handoffs/${handoff!.id}/assign`), {
      token: a.token,
      body: { agentId: b.id },
    });
    expect(impostor.status).toBe(403);
    // A shop key must name the agent.
    expect(
      (await api(srv.url, 'POST', path(`/handoffs/${handoff!.id}/assign`), { token: key, body: {} })).status,
    ).toBe(400);
    expect(
      (
        await api(srv.url, 'POST', path('/handoffs/h_missing/assign'), {
          token: key,
          body: { agentId: b.id },
        })
      ).status,
    ).toBe(404);
  });
});

/** Reads a Server-Sent Events response; `until` waits for an event matching a predicate. */
function readSse(res: Response) {
  const events: { event: string; data: any }[] = [];
  const waiters: {
    match: (e: { event: string; data: any }) => boolean;
    resolve: (e: { event: string; data: any }) => void;
  }[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let closed = false;
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (!data) continue;
          const parsed = { event, data: JSON.parse(data) };
          events.push(parsed);
          for (const w of [...waiters]) {
            if (w.match(parsed)) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve(parsed);
            }
          }
        }
      }
    } catch {
      if (!closed) throw new Error('SSE stream failed');
    }
  })();
  return {
    events,
    until(match: (e: { event: string; data: any }) => boolean, timeoutMs = 10_000) {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise<{ event: string; data: any }>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no matching SSE event; got ${JSON.stringify(events.map((e) => e.event))}`)),
          timeoutMs,
        );
        waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) });
      });
    },
    close() {
      closed = true;
      void reader.cancel().catch(() => undefined);
    },
  };
}

import { userHashFor } from '../../bot/identity';
import { api } from '../support/http';
import { type TestServer, startTestServer } from '../support/server';

let srv: TestServer;
let shopA: { id: string; apiKey: string; identitySecret: string };
let shopB: { id: string; apiKey: string; identitySecret: string };

const knowledge = [
  {
    id: 'invoice',
    locale: 'zh-CN',
    question: '可以开发票吗',
    similar: ['能开发票吗', '发票怎么开', '需要增值税发票'],
    answer: '可以开具电子发票，下单时填写抬头即可。',
  },
  {
    id: 'ship-en',
    locale: 'en-US',
    question: 'When will my order ship?',
    similar: ['how long until you ship'],
    answer: 'Within 48 hours of payment.',
  },
];

async function publishAndWait(shopId: string, apiKey: string) {
  const started = await api(srv.url, 'POST', `/api/v1/shops/${shopId}/publish`, { token: apiKey });
  expect(started.status).toBe(202);
  for (let i = 0; i < 600; i++) {
    const job = await api(srv.url, 'GET', `/api/v1/shops/${shopId}/jobs/${started.body.jobId}`, {
      token: apiKey,
    });
    if (job.body.state === 'done') return job.body;
    if (job.body.state === 'failed') throw new Error(job.body.error);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('publish did not finish');
}

beforeAll(async () => {
  srv = await startTestServer();
  const a = await api(srv.url, 'POST', '/api/v1/shops', {
    token: srv.adminToken,
    body: { name: 'Shop A', locales: ['zh-CN', 'en-US'] },
  });
  const b = await api(srv.url, 'POST', '/api/v1/shops', { token: srv.adminToken, body: { name: 'Shop B' } });
  shopA = a.body;
  shopB = b.body;
});
afterAll(() => srv.stop());

describe('process endpoints', () => {
  test('healthz, readyz, metrics, openapi', async () => {
    expect(await api(srv.url, 'GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect((await api(srv.url, 'GET', '/readyz')).status).toBe(200);
    const metrics = await api(srv.url, 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('kefu_turns_total');
    const doc = await api(srv.url, 'GET', '/api/v1/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    for (const path of [
      '/api/v1/shops',
      '/api/v1/shops/{shopId}/settings',
      '/api/v1/shops/{shopId}/knowledge',
      '/api/v1/shops/{shopId}/knowledge/{entryId}',
      '/api/v1/shops/{shopId}/publish',
      '/api/v1/shops/{shopId}/jobs/{jobId}',
      '/api/v1/shops/{shopId}/messages',
      '/api/v1/shops/{shopId}/conversations/{conversationId}/messages',
      '/api/v1/shops/{shopId}/conversations/{conversationId}/events',
    ]) {
      expect(doc.body.paths).toHaveProperty([path]);
    }
  });

  test('unknown routes are a JSON 404', async () => {
    expect(await api(srv.url, 'GET', '/api/v1/nope')).toMatchObject({
      status: 404,
      body: { error: { code: 'NOT_FOUND' } },
    });
  });
});

describe('POST /api/v1/shops', () => {
  test('creates a shop with credentials shown once', async () => {
    expect(shopA).toEqual({
      id: expect.any(String),
      apiKey: expect.any(String),
      identitySecret: expect.any(String),
    });
  });
  test('no credentials → 401, wrong token → 401, a shop key → 401', async () => {
    expect((await api(srv.url, 'POST', '/api/v1/shops', { body: { name: 'x' } })).status).toBe(401);
    expect(
      (await api(srv.url, 'POST', '/api/v1/shops', { token: 'nope', body: { name: 'x' } })).body.error.code,
    ).toBe('UNAUTHORIZED');
    expect(
      (await api(srv.url, 'POST', '/api/v1/shops', { token: shopA.apiKey, body: { name: 'x' } })).status,
    ).toBe(401);
  });
  test('malformed JSON → 400 INVALID_JSON; bad fields → 400 VALIDATION_FAILED', async () => {
    const bad = await api(srv.url, 'POST', '/api/v1/shops', { token: srv.adminToken, rawBody: '{"name": ' });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'INVALID_JSON' } } });
    expect(JSON.stringify(bad.body)).not.toMatch(/at .*\.ts|node_modules/);
    const invalid = await api(srv.url, 'POST', '/api/v1/shops', {
      token: srv.adminToken,
      body: { name: '', locales: ['klingon!'] },
    });
    expect(invalid).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
  });
});

describe('settings', () => {
  const path = () => `/api/v1/shops/${shopA.id}/settings`;
  test('merge-update returns the whole object with secrets masked', async () => {
    const first = await api(srv.url, 'PUT', path(), {
      token: shopA.apiKey,
      body: {
        profile: { name: 'A 店' },
        commerce: { type: 'http', baseUrl: 'http://127.0.0.1:9/shop', secret: 's3cret' },
      },
    });
    expect(first.status).toBe(200);
    const second = await api(srv.url, 'PUT', path(), {
      token: shopA.apiKey,
      body: { profile: { greeting: { 'zh-CN': '欢迎' } }, handoff: { confidenceThreshold: 0.4 } },
    });
    expect(second.body).toEqual({
      profile: { name: 'A 店', greeting: { 'zh-CN': '欢迎' } },
      commerce: { type: 'http', baseUrl: 'http://127.0.0.1:9/shop', secret: '********' },
      handoff: { confidenceThreshold: 0.4 },
    });
    expect((await api(srv.url, 'GET', path(), { token: shopA.apiKey })).body).toEqual(second.body);
    // The operator may administer any shop.
    expect((await api(srv.url, 'GET', path(), { token: srv.adminToken })).status).toBe(200);
  });
  test('unknown fields and bad values → 400', async () => {
    expect((await api(srv.url, 'PUT', path(), { token: shopA.apiKey, body: { mood: 'happy' } })).status).toBe(
      400,
    );
    expect((await api(srv.url, 'PUT', path(), { token: shopA.apiKey, body: { mode: 'chaos' } })).status).toBe(
      400,
    );
    const tz = await api(srv.url, 'PUT', path(), {
      token: shopA.apiKey,
      body: { businessHours: { timezone: 'Mars/Base' } },
    });
    expect(tz.body.error.message).toMatch(/time zone/);
  });
  test('no key → 401, bad key → 401, another shop’s key → 403', async () => {
    expect((await api(srv.url, 'GET', path())).status).toBe(401);
    expect((await api(srv.url, 'GET', path(), { token: 'sk_nope' })).status).toBe(401);
    expect(await api(srv.url, 'GET', path(), { token: shopB.apiKey })).toMatchObject({
      status: 403,
      body: { error: { code: 'FORBIDDEN' } },
    });
    expect(
      (await api(srv.url, 'PUT', path(), { token: shopB.apiKey, body: { mode: 'assist' } })).status,
    ).toBe(403);
  });
});

describe('knowledge and publish', () => {
  test('upsert, list, replace by id, delete; other shops cannot touch it', async () => {
    const up = await api(srv.url, 'POST', `/api/v1/shops/${shopA.id}/knowledge`, {
      token: shopA.apiKey,
      body: { entries: knowledge },
    });
    expect(up).toMatchObject({ status: 200, body: { upserted: 2 } });
    const temp = await api(srv.url, 'POST', `/api/v1/shops/${shopA.id}/knowledge`, {
      token: shopA.apiKey,
      body: { entries: [{ locale: 'zh-CN', question: '临时', answer: '临时答案' }] },
    });
    const tempId = temp.body.ids[0];
    expect(
      (await api(srv.url, 'GET', `/api/v1/shops/${shopA.id}/knowledge`, { token: shopA.apiKey })).body
        .entries,
    ).toHaveLength(3);
    expect(
      (await api(srv.url, 'DELETE', `/api/v1/shops/${shopA.id}/knowledge/${tempId}`, { token: shopB.apiKey }))
        .status,
    ).toBe(403);
    expect(
      (await api(srv.url, 'DELETE', `/api/v1/shops/${shopA.id}/knowledge/${tempId}`, { token: shopA.apiKey }))
        .status,
    ).toBe(204);
    expect(
      (await api(srv.url, 'DELETE', `/api/v1/shops/${shopA.id}/knowledge/${tempId}`, { token: shopA.apiKey }))
        .status,
    ).toBe(404);
    expect(
      (await api(srv.url, 'GET', `/api/v1/shops/${shopA.id}/knowledge`, { token: shopB.apiKey })).status,
    ).toBe(403);
    expect(
      (
        await api(srv.url, 'POST', `/api/v1/shops/${shopA.id}/knowledge`, {
          token: shopA.apiKey,
          body: { entries: [{ locale: 'zh-CN' }] },
        })
      ).status,
    ).toBe(400);
  });

  test('a saved entry is answered at once, before any publish, and still after it', async () => {
    const ask = () =>
      api(srv.url, 'POST', `/api/v1/shops/${shopA.id}/messages`, {
        body: { userId: 'pub-user', text: '你们能开发票吗' },
      });
    const before = await ask();
    expect(before.body.replies[0].text).toBe('可以开具电子发票，下单时填写抬头即可。');
    const job = await publishAndWait(shopA.id, shopA.apiKey);
    expect(job).toMatchObject({ state: 'done', progress: 1 });
    const after = await ask();
    expect(after.body.replies[0].text).toBe('可以开具电子发票，下单时填写抬头即可。');
    expect(after.body.nlu).toMatchObject({ intent: 'faq' });
    expect(
      (await api(srv.url, 'GET', `/api/v1/shops/${shopA.id}/jobs/job_missing`, { token: shopA.apiKey }))
        .status,
    ).toBe(404);
    expect(
      (await api(srv.url, 'POST', `/api/v1/shops/${shopA.id}/publish`, { token: shopB.apiKey })).status,
    ).toBe(403);
  });
});

describe('messages', () => {
  const post = (body: unknown) => api(srv.url, 'POST', `/api/v1/shops/${shopA.id}/messages`, { body });

  test('credentials that are sent must be right: a wrong key is 401, another shop’s key 403', async () => {
    const path = `/api/v1/shops/${shopA.id}/messages`;
    const body = { userId: 'auth-check', text: '你好' };
    const wrong = await api(srv.url, 'POST', path, { token: 'sk_not-a-key', body });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('UNAUTHORIZED');
    expect((await api(srv.url, 'POST', path, { token: shopB.apiKey, body })).status).toBe(403);
    expect((await api(srv.url, 'POST', path, { token: shopA.apiKey, body })).status).toBe(200);
  });

  test('a body that is not JSON is a clear 415, not a vague 400', async () => {
    for (const [type, payload] of [
      ['application/x-www-form-urlencoded', 'userId=u&text=hi'],
      ['text/plain', '{"userId":"u","text":"hi"}'],
    ]) {
      const res = await fetch(`${srv.url}/api/v1/shops/${shopA.id}/messages`, {
        method: 'POST',
        headers: { 'content-type': type! },
        body: payload,
      });
      expect(res.status).toBe(415);
      const json = (await res.json()) as { error: { code: string; message: string } };
      expect(json.error).toEqual({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'Send the body as JSON (Content-Type: application/json).',
      });
    }
  });

  test('a NUL character (which PostgreSQL text cannot hold) is a 400 and stores nothing', async () => {
    for (const body of [
      { userId: 'nul-text', text: 'hi\u0000there' },
      { userId: 'nul\u0000id', text: 'hi' },
      { userId: 'nul-retry', text: 'hi', clientMessageId: 'a\u0000b' },
    ]) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('NUL_CHARACTER');
    }
    expect(await srv.platform.store.conversations.findOpen(shopA.id, 'nul-text')).toBeUndefined();
  });

  test('a greeting gets a greeting, in the customer’s language', async () => {
    const zh = await post({ userId: 'greet-zh', text: '你好' });
    expect(zh.status).toBe(200);
    expect(zh.body).toMatchObject({
      conversationId: expect.any(String),
      handoff: 'none',
      nlu: { intent: 'common.greet' },
    });
    expect(zh.body.replies[0].text).toMatch(/您好|欢迎/);
    const en = await post({ userId: 'greet-en', text: 'hello there' });
    expect(en.body.replies[0].text).toMatch(/Hello|help/);
  });

  test('the same user continues the same conversation', async () => {
    const first = await post({ userId: 'same', text: '你好' });
    const second = await post({ userId: 'same', text: '多久发货' });
    expect(second.body.conversationId).toBe(first.body.conversationId);
  });

  test('an unknown question gets an honest fallback', async () => {
    const res = await post({ userId: 'fallback', text: '你们老板喜欢什么颜色的猫' });
    expect(res.body.nlu.intent).toBeNull();
    expect(res.body.replies[0].text).toMatch(/暂时还不会回答|换个说法/);
  });

  test('malformed JSON → 400; missing text → 400; unknown shop → 404', async () => {
    const bad = await api(srv.url, 'POST', `/api/v1/shops/${shopA.id}/messages`, {
      rawBody: '{"userId":"u","text":',
    });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'INVALID_JSON' } } });
    expect((await post({ userId: 'u' })).status).toBe(400);
    expect((await post({ userId: 'u', text: '   ' })).status).toBe(400);
    expect(
      (
        await api(srv.url, 'POST', '/api/v1/shops/no-such-shop/messages', {
          body: { userId: 'u', text: 'hi' },
        })
      ).status,
    ).toBe(404);
  });

  test('2,000 code points pass; 2,001 → 413 (counted in code points, not UTF-16 units)', async () => {
    const emoji = '😀'; // two UTF-16 units, one code point
    expect((await post({ userId: 'long', text: emoji.repeat(2000) })).status).toBe(200);
    const tooLong = await post({ userId: 'long', text: '长'.repeat(2001) });
    expect(tooLong).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
  });

  test('userHash: valid → verified; bad → 401', async () => {
    const ok = await post({
      userId: 'c-1',
      userHash: userHashFor(shopA.identitySecret, 'c-1'),
      text: '你好',
    });
    expect(ok.status).toBe(200);
    const bad = await post({
      userId: 'c-1',
      userHash: userHashFor(shopB.identitySecret, 'c-1'),
      text: '你好',
    });
    expect(bad).toMatchObject({ status: 401, body: { error: { code: 'INVALID_USER_HASH' } } });
    expect((await post({ userId: 'c-1', userHash: 'zz', text: '你好' })).status).toBe(401);
  });

  test('a customer sending faster than the limit gets 429, others are unaffected', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 35; i++) statuses.push((await post({ userId: 'flood', text: `第${i}条` })).status);
    expect(statuses.slice(0, 30)).toEqual(Array(30).fill(200));
    expect(statuses.slice(30)).toContain(429);
    const limited = await post({ userId: 'flood', text: 'again' });
    expect(limited).toMatchObject({ status: 429, body: { error: { code: 'RATE_LIMITED' } } });
    expect((await post({ userId: 'not-flood', text: '你好' })).status).toBe(200);
  });

  test('a repeated clientMessageId returns the first answer and stores one turn', async () => {
    const body = { userId: 'retry-user', text: '多久发货', clientMessageId: 'cm-1' };
    const [a, b] = await Promise.all([post(body), post(body)]);
    const c = await post(body);
    expect(b.body).toEqual(a.body);
    expect(c.body).toEqual(a.body);
    expect(await srv.platform.store.conversations.countTurns(a.body.conversationId)).toBe(1);
    const history = await api(
      srv.url,
      'GET',
      `/api/v1/shops/${shopA.id}/conversations/${a.body.conversationId}/messages`,
      { token: shopA.apiKey },
    );
    expect(history.body.messages.filter((m: { role: string }) => m.role === 'user')).toHaveLength(1);
  });
});

describe('conversation history and events', () => {
  let conversationId: string;
  const userId = 'history-user';
  const hash = () => userHashFor(shopA.identitySecret, userId);

  beforeAll(async () => {
    const res = await api(srv.url, 'POST', `/api/v1/shops/${shopA.id}/messages`, {
      body: { userId, userHash: hash(), text: '你好' },
    });
    conversationId = res.body.conversationId;
  });

  test('with the shop key, or as the conversation’s own verified user', async () => {
    const path = `/api/v1/shops/${shopA.id}/conversations/${conversationId}/messages`;
    const byKey = await api(srv.url, 'GET', path, { token: shopA.apiKey });
    expect(byKey.status).toBe(200);
    expect(byKey.body.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'bot']);
    expect(byKey.body.messages[0]).toMatchObject({
      id: expect.any(String),
      role: 'user',
      text: '你好',
      createdAt: expect.any(String),
    });
    const byUser = await api(srv.url, 'GET', `${path}?userId=${userId}&userHash=${hash()}`);
    expect(byUser.body.messages).toEqual(byKey.body.messages);
    const after = await api(srv.url, 'GET', `${path}?after=${byKey.body.messages[0].id}`, {
      token: shopA.apiKey,
    });
    expect(after.body.messages.map((m: { role: string }) => m.role)).toEqual(['bot']);
  });

  test('no credentials → 401; another shop → 403; another user → 404', async () => {
    const path = `/api/v1/shops/${shopA.id}/conversations/${conversationId}/messages`;
    expect((await api(srv.url, 'GET', path)).status).toBe(401);
    expect((await api(srv.url, 'GET', path, { token: shopB.apiKey })).status).toBe(403);
    const other = 'someone-else';
    const res = await api(
      srv.url,
      'GET',
      `${path}?userId=${other}&userHash=${userHashFor(shopA.identitySecret, other)}`,
    );
    expect(res.status).toBe(404);
    expect((await api(srv.url, 'GET', `${path}?userId=${userId}&userHash=${'0'.repeat(64)}`)).status).toBe(
      401,
    );
  });

  test('Server-Sent Events deliver new messages as they are stored', async () => {
    const controller = new AbortController();
    const res = await fetch(
      `${srv.url}/api/v1/shops/${shopA.id}/conversations/${conversationId}/events?userId=${userId}&userHash=${hash()}`,
      { signal: controller.signal },
    );
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const events: { role: string; text: string }[] = [];
    const reading = (async () => {
      while (events.length < 2) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let idx;
        while ((idx = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, idx);
          buffer = buffer.slice(idx + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (data) events.push(JSON.parse(data.slice(6)));
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    await api(srv.url, 'POST', `/api/v1/shops/${shopA.id}/messages`, {
      body: { userId, userHash: hash(), text: '谢谢' },
    });
    await reading;
    controller.abort();
    expect(events.map((e) => e.role)).toEqual(['user', 'bot']);
    expect(events[0]!.text).toBe('谢谢');
    expect(events[1]!.text).toMatch(/不客气/);
  });
});

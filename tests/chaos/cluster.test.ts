import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { deploymentNamespace } from '../../bot/jobs/namespace';
import { JOB_QUEUE } from '../../bot/jobs/runner';
import { createLogger } from '../../bot/log';
import { api } from '../support/http';
import { type TestServer, startTestServer } from '../support/server';
import { createTestDatabase, describeWith, serviceUrl } from '../support/services';

/**
 * Two instances on one PostgreSQL database and one Redis, as `npm run cluster` runs them: what one
 * does, the other sees; what must happen once happens once.
 */
describeWith('DATABASE_URL')('two instances on PostgreSQL + Redis', () => {
  const BURST = 12;
  const redisUrl = serviceUrl('REDIS_URL');
  let db: { url: string; drop(): Promise<void> };
  let a: TestServer;
  let b: TestServer;
  // Both instances' log lines, to count the job runs.
  const logLines: string[] = [];
  const log = createLogger({ level: 'info', destination: { write: (line: string) => logLines.push(line) } });

  beforeAll(async () => {
    if (!redisUrl) throw new Error('REDIS_URL is needed for the cluster test');
    db = await createTestDatabase(serviceUrl('DATABASE_URL')!);
    const opts = { databaseUrl: db.url, redisUrl, rateLimitBurst: BURST, log };
    [a, b] = await Promise.all([startTestServer(opts), startTestServer(opts)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    if (db && redisUrl) {
      // This database's queue, gone with it (the shared Redis is left as it was found).
      const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
      const prefix = `kefu:${deploymentNamespace({ databaseUrl: db.url, dataDir: ':memory:' })}:bull`;
      await new Queue(JOB_QUEUE, { connection, prefix }).obliterate({ force: true });
      await connection.quit();
    }
    await db?.drop();
  });

  async function createShop(name: string): Promise<{ id: string; apiKey: string }> {
    const res = await api(a.url, 'POST', '/api/v1/shops', {
      token: a.adminToken,
      body: { name, locales: ['zh-CN', 'en-US'] },
    });
    expect(res.status).toBe(201);
    // Messages the bot does not understand would otherwise call a person after the third.
    await api(a.url, 'PUT', `/api/v1/shops/${res.body.id}/settings`, {
      token: res.body.apiKey,
      body: { handoff: { lowConfidenceTurns: 0 } },
    });
    return res.body;
  }

  async function countRows(sql: string, params: unknown[]): Promise<number> {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows[0].n;
    } finally {
      await client.end();
    }
  }

  test('one conversation alternating between instances: in order, each message once', async () => {
    const shop = await createShop('Order');
    const texts = Array.from({ length: 10 }, (_, i) => `message ${i}`);
    const replies: unknown[] = [];
    for (const [i, text] of texts.entries()) {
      const res = await api((i % 2 ? b : a).url, 'POST', `/api/v1/shops/${shop.id}/messages`, {
        body: { userId: 'u-alt', text, clientMessageId: `cm-${i}` },
      });
      expect(res.status).toBe(200);
      replies.push(res.body);
    }
    const conversationId = (replies[0] as { conversationId: string }).conversationId;
    // A client retrying message 3 on the other instance, twice at once, gets the first answer.
    const retries = await Promise.all(
      [a, b].map((srv) =>
        api(srv.url, 'POST', `/api/v1/shops/${shop.id}/messages`, {
          body: { userId: 'u-alt', text: texts[3], clientMessageId: 'cm-3' },
        }),
      ),
    );
    for (const retry of retries) expect(retry.body).toEqual(replies[3]);

    const history = await api(
      b.url,
      'GET',
      `/api/v1/shops/${shop.id}/conversations/${conversationId}/messages`,
      { token: shop.apiKey },
    );
    const messages = history.body.messages as { role: string; text: string }[];
    expect(messages.filter((m) => m.role === 'user').map((m) => m.text)).toEqual(texts);
    // Every user message is answered before the next one is stored.
    messages.forEach((m, i) => {
      if (m.role === 'user') expect(messages[i + 1]?.role).toBe('bot');
    });
    expect(
      await countRows('select count(*)::int as n from turns where conversation_id = $1', [conversationId]),
    ).toBe(texts.length);
  });

  test('a publish on one instance is trained once, and both answer with the new knowledge', async () => {
    const shop = await createShop('Publish');
    const ask = (srv: TestServer, text: string, userId: string) =>
      api(srv.url, 'POST', `/api/v1/shops/${shop.id}/messages`, { body: { userId, text } });
    const said = (res: { body: { replies: { text: string }[] } }) =>
      res.body.replies.map((r) => r.text).join('\n');
    // Both instances have the shop's (empty) model loaded before the publish.
    for (const srv of [a, b]) expect((await ask(srv, '你好', 'warm')).status).toBe(200);

    const answer = '付款后48小时内发货。';
    const saved = await api(a.url, 'POST', `/api/v1/shops/${shop.id}/knowledge`, {
      token: shop.apiKey,
      body: { entries: [{ id: 'ship', locale: 'zh-CN', question: '你们一般几天发货', similar: [], answer }] },
    });
    expect(saved.status).toBe(200);
    const started = await api(a.url, 'POST', `/api/v1/shops/${shop.id}/publish`, { token: shop.apiKey });
    expect(started.status).toBe(202);
    const jobId = started.body.jobId as string;
    // The job's state is in the database: the other instance answers for it.
    let job: { state: string } = { state: 'queued' };
    const deadline = Date.now() + 30_000;
    while (job.state !== 'done' && job.state !== 'failed' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await api(b.url, 'GET', `/api/v1/shops/${shop.id}/jobs/${jobId}`, { token: shop.apiKey })).body;
    }
    expect(job).toMatchObject({ state: 'done', progress: 1 });

    const runs = logLines.filter((l) => l.includes(jobId) && l.includes('"job done"'));
    expect(runs).toHaveLength(1);
    expect(await countRows('select count(*)::int as n from nlu_models where shop_id = $1', [shop.id])).toBe(
      1,
    );
    for (const [i, srv] of [a, b].entries()) {
      expect(said(await ask(srv, '请问多久能发货呀', `after-${i}`))).toBe(answer);
    }
  }, 45_000);

  test('a knowledge entry saved on one instance is answered by the other within a second', async () => {
    const shop = await createShop('Knowledge');
    const ask = (text: string, userId: string) =>
      api(b.url, 'POST', `/api/v1/shops/${shop.id}/messages`, { body: { userId, text } });
    const answer = '可以开具电子发票，下单时填写抬头即可。';
    // b has the shop's model (and its entries) cached before the change.
    expect(JSON.stringify((await ask('可以开发票吗', 'before')).body)).not.toContain(answer);
    const saved = await api(a.url, 'POST', `/api/v1/shops/${shop.id}/knowledge`, {
      token: shop.apiKey,
      body: { entries: [{ id: 'invoice', locale: 'zh-CN', question: '可以开发票吗', similar: [], answer }] },
    });
    expect(saved.status).toBe(200);
    const changed = Date.now();
    // The registry re-checks every 5 s: only the knowledge.changed event makes this quicker.
    let reply: string;
    let i = 0;
    do {
      reply = JSON.stringify((await ask('可以开发票吗', `after-${i++}`)).body);
    } while (!reply.includes(answer) && Date.now() - changed < 1_000);
    expect(reply).toContain(answer);
  });

  test('a settings change on one instance is seen by the other within a second', async () => {
    const shop = await createShop('Settings');
    const cached = await b.platform.shops.get(shop.id);
    expect(cached?.settings.returnAddress?.address).not.toBe('新地址 1 号');
    const put = await api(a.url, 'PUT', `/api/v1/shops/${shop.id}/settings`, {
      token: shop.apiKey,
      body: { returnAddress: { name: '售后', phone: '021-60000000', address: '新地址 1 号' } },
    });
    expect(put.status).toBe(200);
    const changed = Date.now();
    // The cache keeps an entry for 5 s: only the event can make this quicker.
    let seen: string | undefined;
    for (;;) {
      seen = (await b.platform.shops.get(shop.id))?.settings.returnAddress?.address;
      if (seen === '新地址 1 号' || Date.now() - changed >= 1_000) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen).toBe('新地址 1 号');
  });

  test('one customer\u2019s rate limit is shared by both instances', async () => {
    const shop = await createShop('Limit');
    // Sent at once, half to each: two separate limits would let all of them through.
    const statuses = (
      await Promise.all(
        Array.from({ length: 2 * BURST }, (_, i) =>
          api((i % 2 ? b : a).url, 'POST', `/api/v1/shops/${shop.id}/messages`, {
            body: { userId: 'flood', text: `第${i}条` },
          }),
        ),
      )
    ).map((r) => r.status);
    const ok = statuses.filter((s) => s === 200).length;
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    // The burst, plus a few steady refills (one a second) while the requests arrive; two limits
    // of their own would have let all 2 × BURST through.
    expect(ok).toBeGreaterThanOrEqual(BURST);
    expect(ok).toBeLessThanOrEqual(BURST + 4);
  }, 30_000);
});

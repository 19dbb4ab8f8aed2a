import { Client } from 'pg';
import { api } from '../support/http';
import { type KefuProcess, startKefuProcess } from '../support/process';
import { startTestServer, tempDir } from '../support/server';
import { createTestDatabase, describeWith, serviceUrl } from '../support/services';

const N = 20;

function metricValue(metricsText: string, name: string): number {
  const line = metricsText.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** Stored messages must be whole turns: each user message followed directly by its bot reply. */
function expectWholeTurns(messages: { role: string; text: string }[], texts: string[]) {
  expect(messages).toHaveLength(2 * texts.length);
  for (let i = 0; i < messages.length; i += 2) {
    expect(messages[i]!.role).toBe('user');
    expect(messages[i + 1]!.role).toBe('bot');
  }
  expect(
    messages
      .filter((m) => m.role === 'user')
      .map((m) => m.text)
      .sort(),
  ).toEqual([...texts].sort());
}

describe('one conversation, 20 concurrent messages (embedded default)', () => {
  test('over HTTP: all processed one at a time, 20 turns stored, state version +20', async () => {
    const srv = await startTestServer();
    try {
      const shop = (
        await api(srv.url, 'POST', '/api/v1/shops', { token: srv.adminToken, body: { name: 'C' } })
      ).body;
      // Twenty messages the bot cannot understand would otherwise call a person after the third.
      await api(srv.url, 'PUT', `/api/v1/shops/${shop.id}/settings`, {
        token: shop.apiKey,
        body: { handoff: { lowConfidenceTurns: 0 } },
      });
      const texts = Array.from({ length: N }, (_, i) => `消息 ${i}`);
      const results = await Promise.all(
        texts.map((text) =>
          api(srv.url, 'POST', `/api/v1/shops/${shop.id}/messages`, { body: { userId: 'u-busy', text } }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(Array(N).fill(200));
      const conversationId = results[0]!.body.conversationId;
      expect(new Set(results.map((r) => r.body.conversationId))).toEqual(new Set([conversationId]));
      expect(await srv.platform.store.conversations.countTurns(conversationId)).toBe(N);
      const state = await srv.platform.store.conversations.loadState<{ turns: number }>(conversationId);
      expect(state).toMatchObject({ version: N, state: { turns: N } });
      const history = await api(
        srv.url,
        'GET',
        `/api/v1/shops/${shop.id}/conversations/${conversationId}/messages`,
        { token: shop.apiKey },
      );
      expectWholeTurns(history.body.messages, texts);
      const metrics = await api(srv.url, 'GET', '/metrics');
      expect(metricValue(metrics.body, 'kefu_state_conflicts_total')).toBe(0);
    } finally {
      await srv.stop();
    }
  });

  test('in arrival order', async () => {
    const srv = await startTestServer();
    try {
      const { id: shopId } = await srv.platform.store.shops.create({ name: 'Order', locales: ['zh-CN'] });
      const texts = Array.from({ length: N }, (_, i) => `第 ${i} 条`);
      // Arrival order is the order handle() is called in; none is awaited before the next arrives.
      const pending = texts.map((text) =>
        srv.platform.turns.handle({ shopId, channel: 'test', userId: 'u-order', verified: false, text }),
      );
      const results = await Promise.all(pending);
      const conversationId = results[0]!.conversationId;
      const messages = await srv.platform.store.conversations.listMessages(shopId, conversationId);
      expect(messages.filter((m) => m.role === 'user').map((m) => m.text)).toEqual(texts);
      expect((await srv.platform.store.conversations.loadState(conversationId))?.version).toBe(N);
    } finally {
      await srv.stop();
    }
  });
});

describeWith('DATABASE_URL')('two server processes sharing PostgreSQL and Redis', () => {
  const redisUrl = serviceUrl('REDIS_URL');
  let db: { url: string; drop(): Promise<void> };
  let procs: KefuProcess[] = [];
  const adminToken = 'two-process-admin-token-123';
  const dir = tempDir();

  beforeAll(async () => {
    if (!redisUrl) throw new Error('REDIS_URL is needed for the two-process test');
    db = await createTestDatabase(serviceUrl('DATABASE_URL')!);
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl,
      KEFU_DEMO: '0',
      KEFU_ADMIN_TOKEN: adminToken,
      KEFU_DATA_DIR: dir.dir,
    };
    procs = await Promise.all([startKefuProcess(env), startKefuProcess(env)]);
  }, 60_000);
  afterAll(async () => {
    const codes = await Promise.all(procs.map((p) => p.stop()));
    expect(codes).toEqual([0, 0]); // graceful shutdown on SIGTERM
    await db?.drop();
    dir.remove();
  });

  test('20 concurrent messages split across both: one at a time, 20 turns, version +20, no conflicts', async () => {
    const [a, b] = procs as [KefuProcess, KefuProcess];
    const shop = (await api(a.url, 'POST', '/api/v1/shops', { token: adminToken, body: { name: 'Two' } }))
      .body;
    await api(a.url, 'PUT', `/api/v1/shops/${shop.id}/settings`, {
      token: shop.apiKey,
      body: { handoff: { lowConfidenceTurns: 0 } },
    });
    const texts = Array.from({ length: N }, (_, i) => `message ${i}`);
    const results = await Promise.all(
      texts.map((text, i) =>
        api((i % 2 ? b : a).url, 'POST', `/api/v1/shops/${shop.id}/messages`, {
          body: { userId: 'u-shared', text },
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(N).fill(200));
    const conversationId = results[0]!.body.conversationId;
    expect(new Set(results.map((r) => r.body.conversationId)).size).toBe(1);

    const client = new Client({ connectionString: db.url });
    await client.connect();
    const turns = await client.query('select count(*)::int as n from turns where conversation_id = $1', [
      conversationId,
    ]);
    const state = await client.query(
      'select version, state from dialogue_states where conversation_id = $1',
      [conversationId],
    );
    await client.end();
    expect(turns.rows[0].n).toBe(N);
    expect(state.rows[0].version).toBe(N);
    expect(state.rows[0].state.turns).toBe(N);

    const history = await api(
      b.url,
      'GET',
      `/api/v1/shops/${shop.id}/conversations/${conversationId}/messages`,
      { token: shop.apiKey },
    );
    expectWholeTurns(history.body.messages, texts);
    for (const p of procs) {
      expect(metricValue((await api(p.url, 'GET', '/metrics')).body, 'kefu_state_conflicts_total')).toBe(0);
    }
  });

  test('a message event published by one process reaches an SSE client of the other', async () => {
    const [a, b] = procs as [KefuProcess, KefuProcess];
    const shop = (await api(a.url, 'POST', '/api/v1/shops', { token: adminToken, body: { name: 'Pubsub' } }))
      .body;
    const first = await api(a.url, 'POST', `/api/v1/shops/${shop.id}/messages`, {
      body: { userId: 'sse', text: 'hello' },
    });
    const controller = new AbortController();
    const res = await fetch(
      `${b.url}/api/v1/shops/${shop.id}/conversations/${first.body.conversationId}/events`,
      {
        headers: { authorization: `Bearer ${shop.apiKey}` },
        signal: controller.signal,
      },
    );
    const reader = res.body!.getReader();
    let text = '';
    const got = (async () => {
      while (!text.includes('thanks a lot')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    await api(a.url, 'POST', `/api/v1/shops/${shop.id}/messages`, {
      body: { userId: 'sse', text: 'thanks a lot' },
    });
    await got;
    controller.abort();
    expect(text).toContain('"text":"thanks a lot"');
  });

  test('10 concurrent assigns of one handoff across both processes: exactly one 200, nine 409', async () => {
    const [a, b] = procs as [KefuProcess, KefuProcess];
    const shop = (await api(a.url, 'POST', '/api/v1/shops', { token: adminToken, body: { name: 'Race' } }))
      .body;
    const agents = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api((i % 2 ? b : a).url, 'POST', `/api/v1/shops/${shop.id}/agents`, {
          token: shop.apiKey,
          body: { name: `agent ${i}`, tier: 'L1', languages: ['zh-CN'], maxConcurrent: 3 },
        }),
      ),
    );
    expect(agents.map((r) => r.status)).toEqual(Array(10).fill(201));
    const asked = await api(b.url, 'POST', `/api/v1/shops/${shop.id}/messages`, {
      body: { userId: 'u-race', text: '转人工' },
    });
    expect(asked.body.handoff).toBe('queued');
    const [handoff] = (
      await api(a.url, 'GET', `/api/v1/shops/${shop.id}/handoffs?status=pending`, { token: shop.apiKey })
    ).body.handoffs;
    const results = await Promise.all(
      agents.map((agent, i) =>
        api((i % 2 ? a : b).url, 'POST', `/api/v1/shops/${shop.id}/handoffs/${handoff.id}/assign`, {
          token: agent.body.token,
          body: {},
        }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(409)]);
    const winner = results.find((r) => r.status === 200)!.body.assignedTo;
    for (const p of [a, b]) {
      const seen = await api(p.url, 'GET', `/api/v1/shops/${shop.id}/handoffs/${handoff.id}`, {
        token: shop.apiKey,
      });
      expect(seen.body).toMatchObject({ status: 'assigned', assignedTo: winner });
    }
    // The customer's next message, on either process, reaches the agent and not the bot.
    const silent = await api(a.url, 'POST', `/api/v1/shops/${shop.id}/messages`, {
      body: { userId: 'u-race', text: '在吗' },
    });
    expect(silent.body).toMatchObject({ handoff: 'agent', replies: [] });
  });
});

describe('state survives a restart', () => {
  test('embedded data dir', async () => {
    const dir = tempDir();
    try {
      let srv = await startTestServer({ dataDir: dir.dir });
      const shop = (
        await api(srv.url, 'POST', '/api/v1/shops', { token: srv.adminToken, body: { name: 'R' } })
      ).body;
      const first = await api(srv.url, 'POST', `/api/v1/shops/${shop.id}/messages`, {
        body: { userId: 'u-r', text: '你好' },
      });
      await srv.stop();
      srv = await startTestServer({ dataDir: dir.dir });
      const second = await api(srv.url, 'POST', `/api/v1/shops/${shop.id}/messages`, {
        body: { userId: 'u-r', text: '谢谢' },
      });
      expect(second.body.conversationId).toBe(first.body.conversationId);
      expect(await srv.platform.store.conversations.loadState(first.body.conversationId)).toMatchObject({
        version: 2,
        state: { turns: 2 },
      });
      await srv.stop();
    } finally {
      dir.remove();
    }
  });
});

describeWith('DATABASE_URL')('state survives a restart on PostgreSQL', () => {
  test('PostgreSQL', async () => {
    const db = await createTestDatabase(serviceUrl('DATABASE_URL')!);
    try {
      let srv = await startTestServer({ databaseUrl: db.url });
      const shop = (
        await api(srv.url, 'POST', '/api/v1/shops', { token: srv.adminToken, body: { name: 'R' } })
      ).body;
      const first = await api(srv.url, 'POST', `/api/v1/shops/${shop.id}/messages`, {
        body: { userId: 'u-r', text: 'hi' },
      });
      await srv.stop();
      srv = await startTestServer({ databaseUrl: db.url });
      const second = await api(srv.url, 'POST', `/api/v1/shops/${shop.id}/messages`, {
        body: { userId: 'u-r', text: 'thanks' },
      });
      expect(second.body.conversationId).toBe(first.body.conversationId);
      expect(await srv.platform.store.conversations.loadState(first.body.conversationId)).toMatchObject({
        version: 2,
      });
      await srv.stop();
    } finally {
      await db.drop();
    }
  });
});

import { eq } from 'drizzle-orm';
import { shops } from '../../bot/store/schema';
import { Store } from '../../bot/store/store';
import { type OpenTestDatabase, onEveryDatabase } from '../support/services';

/** One repository contract, run against every database the platform supports. */
function storeContract(open: OpenTestDatabase) {
  let store: Store;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const opened = await open();
    store = new Store(opened.database);
    cleanup = async () => {
      await opened.database.close();
      await opened.cleanup();
    };
  });
  afterAll(() => cleanup());

  /** A new shop with one open anonymous conversation. */
  async function newConversation(shopName: string) {
    const { id: shopId } = await store.shops.create({ name: shopName, locales: ['zh-CN'] });
    const conv = await store.conversations.resolveOpen({
      shopId,
      userId: 'u',
      channel: 'app',
      verified: false,
      idleMs: 60_000,
    });
    return { shopId, conv };
  }

  test('shops: created with a hashed API key that finds the shop; a wrong key finds nothing', async () => {
    const created = await store.shops.create({ name: 'Shop A', locales: ['zh-CN'] });
    expect(created.apiKey).toMatch(/^sk_/);
    expect((await store.shops.findByApiKey(created.apiKey))?.id).toBe(created.id);
    expect(await store.shops.findByApiKey(created.apiKey + 'x')).toBeUndefined();
    // The key itself is never stored, only its SHA-256.
    const [row] = await store.database.db
      .select({ hash: shops.apiKeyHash })
      .from(shops)
      .where(eq(shops.id, created.id));
    expect(row?.hash).not.toBe(created.apiKey);
    expect(row?.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('settings merge key by key', async () => {
    const { id } = await store.shops.create({ name: 'Shop B', locales: ['en-US'] });
    await store.shops.mergeSettings(id, {
      profile: { name: 'B', greeting: { 'en-US': 'Hi' } },
      mode: 'auto',
    });
    const merged = await store.shops.mergeSettings(id, { profile: { greeting: { 'zh-CN': '你好' } } });
    expect(merged).toEqual({
      profile: { name: 'B', greeting: { 'en-US': 'Hi', 'zh-CN': '你好' } },
      mode: 'auto',
    });
    expect(await store.shops.getSettings(id)).toEqual(merged);
  });

  test('knowledge: upsert replaces by id, scoped by shop', async () => {
    const a = await store.shops.create({ name: 'K1', locales: ['zh-CN'] });
    const b = await store.shops.create({ name: 'K2', locales: ['zh-CN'] });
    const entry = {
      id: 'ship',
      locale: 'zh-CN',
      question: '多久发货',
      similar: ['什么时候发货'],
      answer: '48小时内',
    };
    await store.knowledge.upsert(a.id, [entry]);
    await store.knowledge.upsert(b.id, [{ ...entry, answer: 'B 的答案' }]);
    await store.knowledge.upsert(a.id, [{ ...entry, answer: '24小时内' }]);
    expect(await store.knowledge.list(a.id)).toEqual([{ ...entry, answer: '24小时内' }]);
    expect((await store.knowledge.list(b.id))[0]?.answer).toBe('B 的答案');
    expect(await store.knowledge.delete(b.id, 'ship')).toBe(true);
    expect(await store.knowledge.delete(b.id, 'ship')).toBe(false);
    expect(await store.knowledge.list(a.id)).toHaveLength(1);
  });

  test('models are versioned per shop', async () => {
    const { id } = await store.shops.create({ name: 'M', locales: ['en-US'] });
    expect(await store.models.latest(id)).toBeUndefined();
    expect(await store.models.save(id, { n: 1 })).toBe(1);
    expect(await store.models.save(id, { n: 2 })).toBe(2);
    expect(await store.models.latest(id)).toEqual({ version: 2, artifact: { n: 2 } });
  });

  test('one open conversation per user, even when opened concurrently; idle ones end', async () => {
    const { id: shopId } = await store.shops.create({ name: 'C', locales: ['zh-CN'] });
    const open = () =>
      store.conversations.resolveOpen({
        shopId,
        userId: 'u1',
        channel: 'app',
        verified: false,
        idleMs: 60_000,
      });
    const conversations = await Promise.all(Array.from({ length: 8 }, open));
    expect(new Set(conversations.map((c) => c.id)).size).toBe(1);
    const later = new Date(Date.now() + 120_000);
    const next = await store.conversations.resolveOpen({
      shopId,
      userId: 'u1',
      channel: 'app',
      verified: false,
      idleMs: 60_000,
      now: later,
    });
    expect(next.id).not.toBe(conversations[0]!.id);
    expect((await store.conversations.findById(shopId, conversations[0]!.id))?.status).toBe('ended');
    // Another shop's id lookup sees nothing.
    expect(await store.conversations.findById('other-shop', next.id)).toBeUndefined();
  });

  test('the open conversation follows every end and every turn (also where the process remembers it)', async () => {
    const { shopId, conv } = await newConversation('E');
    const open = (now?: Date) =>
      store.conversations.resolveOpen({
        shopId,
        userId: 'u',
        channel: 'app',
        verified: false,
        idleMs: 60_000,
        now,
      });
    expect((await open()).id).toBe(conv.id);
    // A turn moves the activity on: 50 s later the conversation is still open, 70 s after the start it would not be.
    await new Promise((r) => setTimeout(r, 20));
    await store.conversations.commitTurn({
      shopId,
      conversationId: conv.id,
      expectedVersion: 0,
      state: {},
      locale: 'en-US',
      messages: [],
      result: {},
      latencyMs: 1,
    });
    const after = await open(new Date(conv.lastActivityAt.getTime() + 60_010));
    expect(after).toMatchObject({ id: conv.id, locale: 'en-US' });
    expect(after.lastActivityAt.getTime()).toBeGreaterThan(conv.lastActivityAt.getTime());
    // Ended by an agent: the next message opens a new conversation.
    await store.conversations.end(shopId, conv.id);
    const second = await open();
    expect(second.id).not.toBe(conv.id);
    // Ended for the customer.
    await store.conversations.endOpen(shopId, 'u');
    const third = await open();
    expect(third.id).not.toBe(second.id);
    expect(await store.conversations.findOpen(shopId, 'u')).toMatchObject({ id: third.id, status: 'open' });
  });

  test('state saves are optimistic: a stale version is refused', async () => {
    const { shopId, conv } = await newConversation('S');
    expect(await store.conversations.loadState(conv.id)).toBeUndefined();
    expect(await store.conversations.saveState(shopId, conv.id, { a: 1 }, 0)).toBe(1);
    expect(await store.conversations.saveState(shopId, conv.id, { a: 2 }, 1)).toBe(2);
    await expect(store.conversations.saveState(shopId, conv.id, { a: 3 }, 1)).rejects.toMatchObject({
      code: 'STATE_VERSION_CONFLICT',
    });
    await expect(store.conversations.saveState(shopId, conv.id, { a: 3 }, 0)).rejects.toMatchObject({
      code: 'STATE_VERSION_CONFLICT',
    });
    expect(await store.conversations.loadState(conv.id)).toEqual({ version: 2, state: { a: 2 } });
  });

  test('a turn commits state, messages and the turn record together; a stale turn commits nothing', async () => {
    const { shopId, conv } = await newConversation('T');
    const turn = (version: number, key: string) =>
      store.conversations.commitTurn({
        shopId,
        conversationId: conv.id,
        expectedVersion: version,
        state: { v: version + 1 },
        locale: 'zh-CN',
        dedupKey: key,
        messages: [
          { id: `m-${key}-u`, role: 'user', text: '你好', nlu: { intent: 'common.greet' } },
          {
            id: `m-${key}-b`,
            role: 'bot',
            text: '您好',
            latencyMs: 3,
            quickReplies: [{ title: 'a', payload: 'b' }],
          },
        ],
        result: { key },
        latencyMs: 3,
      });
    expect(await turn(0, 'k1')).toBe(1);
    expect(await turn(1, 'k2')).toBe(2);
    await expect(turn(1, 'k3')).rejects.toMatchObject({ code: 'STATE_VERSION_CONFLICT' });
    expect(await store.conversations.countTurns(conv.id)).toBe(2);
    expect(await store.conversations.findTurnByDedupKey(shopId, 'k2')).toEqual({ key: 'k2' });
    expect(await store.conversations.findTurnByDedupKey(shopId, 'k3')).toBeUndefined();
    const messages = await store.conversations.listMessages(shopId, conv.id);
    expect(messages.map((m) => m.id)).toEqual(['m-k1-u', 'm-k1-b', 'm-k2-u', 'm-k2-b']);
    expect(messages[0]?.nlu).toEqual({ intent: 'common.greet' });
    expect(messages[1]?.quickReplies).toEqual([{ title: 'a', payload: 'b' }]);
    const after = await store.conversations.listMessages(shopId, conv.id, { afterId: 'm-k1-b' });
    expect(after.map((m) => m.id)).toEqual(['m-k2-u', 'm-k2-b']);
    expect((await store.conversations.recentMessages(shopId, conv.id, 2)).map((m) => m.id)).toEqual([
      'm-k2-u',
      'm-k2-b',
    ]);
  });

  test("a turn's read is one query: the versioned state and the open handoff", async () => {
    const { shopId, conv } = await newConversation('R');
    expect(await store.conversations.loadTurnContext(shopId, conv.id)).toEqual({});
    await store.conversations.saveState(shopId, conv.id, { a: 1 }, 0);
    const { handoff } = await store.handoffs.request({
      shopId,
      conversationId: conv.id,
      userId: 'u',
      reason: 'asked',
      locale: 'zh-CN',
    });
    const read = await store.conversations.loadTurnContext(shopId, conv.id);
    expect(read).toEqual({ state: { version: 1, state: { a: 1 } }, open: handoff });
    expect(read.open).toEqual(await store.handoffs.findOpen(shopId, conv.id));
    // Another shop reads nothing of it.
    expect(await store.conversations.loadTurnContext('other-shop', conv.id)).toEqual({});
  });

  test('a committed turn stores absent fields as absent; a repeated dedup key commits nothing', async () => {
    const { shopId, conv } = await newConversation('D');
    const commit = (version: number, id: string, locale: string | null) =>
      store.conversations.commitTurn({
        shopId,
        conversationId: conv.id,
        expectedVersion: version,
        state: { n: version },
        locale,
        dedupKey: 'same',
        messages: [{ id, role: 'user', text: null, payload: 'p' }],
        result: { id },
        latencyMs: 1,
      });
    expect(await commit(0, 'd1', 'en-US')).toBe(1);
    await expect(commit(1, 'd2', null)).rejects.toThrow();
    expect(await store.conversations.loadState(conv.id)).toEqual({ version: 1, state: { n: 0 } });
    expect(await store.conversations.listMessages(shopId, conv.id)).toEqual([
      { id: 'd1', role: 'user', text: null, payload: 'p', createdAt: expect.any(String) },
    ]);
    expect((await store.conversations.findById(shopId, conv.id))?.locale).toBe('en-US');
  });

  test('jobs keep their state', async () => {
    const { id: shopId } = await store.shops.create({ name: 'J', locales: ['zh-CN'] });
    const job = await store.jobs.create(shopId, 'publish');
    await store.jobs.update(job.id, { state: 'failed', progress: 0.5, error: 'boom' });
    expect(await store.jobs.get(shopId, job.id)).toMatchObject({
      state: 'failed',
      progress: 0.5,
      error: 'boom',
    });
    expect(await store.jobs.get('another-shop', job.id)).toBeUndefined();
  });
}

onEveryDatabase('store contract', storeContract);

import { MemoryEventBus, topics } from './events';
import { ConversationFollower } from './follower';
import { createLogger } from './log';
import { openDatabase } from './store/db';
import { Store } from './store/store';
import type { StoredMessage } from './store/conversations.repo';

describe('ConversationFollower', () => {
  let store: Store;
  let events: MemoryEventBus;
  let close: () => Promise<void>;
  const log = createLogger({ level: 'silent' });
  let shopId: string;

  beforeAll(async () => {
    const db = await openDatabase({ dataDir: ':memory:' });
    store = new Store(db);
    close = () => db.close();
    shopId = (await store.shops.create({ name: 'Follower shop', locales: ['zh-CN'] })).id;
  });
  afterAll(() => close());
  beforeEach(() => {
    events = new MemoryEventBus();
  });

  async function conversation(userId: string) {
    return store.conversations.resolveOpen({
      shopId,
      userId,
      channel: 'test',
      verified: false,
      idleMs: 60_000,
    });
  }
  function message(id: string, text: string, role: StoredMessage['role'] = 'bot'): StoredMessage {
    return { id, role, text, createdAt: new Date().toISOString() };
  }
  async function store_(conversationId: string, ...messages: StoredMessage[]) {
    await store.conversations.appendMessages(shopId, conversationId, messages);
  }
  async function publish(conversationId: string, m: StoredMessage) {
    await events.publish(topics.conversation(shopId, conversationId), {
      type: 'message',
      conversationId,
      message: m,
    });
  }

  test('delivers the backlog after an id, then live messages, each once and in order', async () => {
    const c = await conversation('u-backlog');
    await store_(c.id, message('m-a1', 'one'), message('m-a2', 'two'), message('m-a3', 'three'));
    const got: string[] = [];
    const follower = new ConversationFollower({ events, store, log }, shopId, (m) => void got.push(m.id));
    await follower.follow(c.id, { after: 'm-a1' });
    // A live copy of something read back is not sent again; a new one is.
    await publish(c.id, message('m-a3', 'three'));
    await store_(c.id, message('m-a4', 'four'));
    await publish(c.id, message('m-a4', 'four'));
    await follower.idle();
    expect(got).toEqual(['m-a2', 'm-a3', 'm-a4']);
    follower.close();
    await publish(c.id, message('m-a5', 'five'));
    expect(got).toHaveLength(3);
  });

  test('catchUp finds what was stored while nobody published (a turn before the subscription)', async () => {
    const c = await conversation('u-catchup');
    const got: string[] = [];
    const follower = new ConversationFollower({ events, store, log }, shopId, (m) => void got.push(m.id));
    await follower.follow(c.id);
    await store_(c.id, message('m-b1', 'hi', 'user'), message('m-b2', 'hello'));
    await follower.catchUp();
    await store_(c.id, message('m-b3', 'later'));
    await follower.catchUp();
    await follower.idle();
    expect(got).toEqual(['m-b1', 'm-b2', 'm-b3']);
  });

  test('the backlog can go to one batch (a history frame), and events of other conversations are ignored', async () => {
    const c = await conversation('u-history');
    const other = await conversation('u-other');
    await store_(c.id, message('m-c1', 'a'), message('m-c2', 'b'));
    const live: string[] = [];
    let history: string[] = [];
    const follower = new ConversationFollower({ events, store, log }, shopId, (m) => void live.push(m.id));
    await follower.follow(c.id, { recent: 10 }, (ms) => (history = ms.map((m) => m.id)));
    await publish(c.id, message('m-c2', 'b'));
    await publish(other.id, message('m-x1', 'not ours'));
    await events.publish(topics.conversation(shopId, c.id), {
      type: 'message',
      conversationId: other.id,
      message: message('m-x2', 'x'),
    });
    await events.publish(topics.conversation(shopId, c.id), {
      type: 'message',
      conversationId: c.id,
      message: { id: 5 },
    });
    await follower.idle();
    expect(history).toEqual(['m-c1', 'm-c2']);
    expect(live).toEqual([]);
  });

  test('an unknown last event id reads as nothing to catch up on; a failing deliver does not stop the next', async () => {
    const c = await conversation('u-unknown');
    await store_(c.id, message('m-d1', 'a'));
    const got: string[] = [];
    const follower = new ConversationFollower({ events, store, log }, shopId, (m) => {
      if (m.id === 'm-d2') throw new Error('socket gone');
      got.push(m.id);
    });
    await follower.follow(c.id, { after: 'm-does-not-exist' });
    await publish(c.id, message('m-d2', 'b'));
    await publish(c.id, message('m-d3', 'c'));
    await follower.idle();
    expect(got).toEqual(['m-d3']);
  });

  test('async delivery keeps the order', async () => {
    const c = await conversation('u-async');
    const got: string[] = [];
    const follower = new ConversationFollower({ events, store, log }, shopId, async (m) => {
      await new Promise((r) => setTimeout(r, m.id === 'm-e1' ? 30 : 1));
      got.push(m.id);
    });
    await follower.follow(c.id);
    await publish(c.id, message('m-e1', 'slow'));
    await publish(c.id, message('m-e2', 'fast'));
    await follower.idle();
    expect(got).toEqual(['m-e1', 'm-e2']);
  });
});

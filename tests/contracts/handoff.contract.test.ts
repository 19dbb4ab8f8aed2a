import {
  HANDOFF_EVENTS,
  type HandoffEvent,
  type HandoffStatus,
  TRANSITIONS,
} from '../../bot/handoff/state-machine';
import { isKefuError } from '../../bot/errors';
import { Store } from '../../bot/store/store';
import { type OpenTestDatabase, onEveryDatabase } from '../support/services';

/** How to reach each status from a new request, by legal moves only. */
const PATH_TO: Record<HandoffStatus, HandoffEvent[]> = {
  pending: [],
  assigned: ['assign'],
  transferred: ['assign', 'transfer'],
  resolved: ['resolve'],
  expired: ['expire'],
};

/**
 * Every legal and illegal move of the state machine against a real database: the store's
 * conditional UPDATE must follow the table exactly, and refuse the rest with a 409.
 */
function handoffContract(open: OpenTestDatabase) {
  let store: Store;
  let cleanup: () => Promise<void>;
  let shopId: string;
  let n = 0;

  beforeAll(async () => {
    const opened = await open();
    store = new Store(opened.database);
    cleanup = async () => {
      await opened.database.close();
      await opened.cleanup();
    };
    shopId = (await store.shops.create({ name: 'Handoffs', locales: ['zh-CN'] })).id;
  });
  afterAll(() => cleanup());

  async function handoffIn(status: HandoffStatus) {
    const conversation = await store.conversations.resolveOpen({
      shopId,
      userId: `u-${n++}`,
      channel: 'app',
      verified: false,
      idleMs: 60_000,
    });
    const { handoff } = await store.handoffs.request({
      shopId,
      conversationId: conversation.id,
      userId: conversation.userId,
      reason: 'customer_request',
      locale: 'zh-CN',
    });
    for (const event of PATH_TO[status]) {
      await store.handoffs.transition(
        shopId,
        handoff.id,
        event,
        event === 'assign' ? { assignedTo: 'a_1' } : {},
      );
    }
    return handoff;
  }

  const cases = (Object.keys(PATH_TO) as HandoffStatus[]).flatMap((from) =>
    HANDOFF_EVENTS.filter((e) => e !== 'request').map((event) => [from, event] as const),
  );

  test.each(cases)('%s + %s', async (from, event) => {
    const h = await handoffIn(from);
    const to = TRANSITIONS[from][event];
    if (to) {
      const moved = await store.handoffs.transition(
        shopId,
        h.id,
        event,
        event === 'assign' ? { assignedTo: 'a_2' } : {},
      );
      expect(moved.status).toBe(to);
      expect((await store.handoffs.get(shopId, h.id))?.status).toBe(to);
      return;
    }
    const err = await store.handoffs.transition(shopId, h.id, event).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isKefuError(err) && err.status).toBe(409);
    expect(isKefuError(err) && err.code).toBe(
      event === 'assign' && from === 'assigned' ? 'HANDOFF_TAKEN' : 'ILLEGAL_TRANSITION',
    );
    // Refused means unchanged.
    expect((await store.handoffs.get(shopId, h.id))?.status).toBe(from);
  });

  test('request: none → pending; while one is open the same handoff is returned, after it closes a new one', async () => {
    const first = await handoffIn('pending');
    const again = await store.handoffs.request({
      shopId,
      conversationId: first.conversationId,
      userId: first.userId,
      reason: 'low_confidence',
      locale: 'zh-CN',
    });
    expect(again).toMatchObject({ created: false, handoff: { id: first.id, reason: 'customer_request' } });
    await store.handoffs.transition(shopId, first.id, 'resolve');
    const next = await store.handoffs.request({
      shopId,
      conversationId: first.conversationId,
      userId: first.userId,
      reason: 'low_confidence',
      locale: 'zh-CN',
    });
    expect(next.created).toBe(true);
    expect(next.handoff.id).not.toBe(first.id);
  });

  test('concurrent requests in one conversation open one handoff', async () => {
    const h = await handoffIn('resolved');
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        store.handoffs.request({
          shopId,
          conversationId: h.conversationId,
          userId: h.userId,
          reason: 'customer_request',
          locale: 'zh-CN',
        }),
      ),
    );
    expect(new Set(results.map((r) => r.handoff.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  test('a missing handoff, or another shop’s, is a 404', async () => {
    const h = await handoffIn('pending');
    const other = (await store.shops.create({ name: 'Other', locales: ['zh-CN'] })).id;
    for (const [shop, id] of [
      [shopId, 'h_missing'],
      [other, h.id],
    ] as const) {
      const err = await store.handoffs.transition(shop, id, 'assign').catch((e: unknown) => e);
      expect(isKefuError(err) && err.status).toBe(404);
    }
  });
}

onEveryDatabase('handoff state machine in the store', handoffContract);

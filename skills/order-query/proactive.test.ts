import { type CommerceBackend, commerceErrors } from '../../commerce/commerce';
import { DemoCommerceBackend } from '../../commerce/demo.backend';
import { proactiveSuggestions } from './proactive';

// The demo orders are offsets from the clock: a fixed one makes ages exact (see commerce/README.md).
const now = new Date('2025-06-10T04:00:00Z');
const backend = new DemoCommerceBackend({ clock: () => now });

describe('proactiveSuggestions (猜你想问)', () => {
  test('c-1001: unpaid 1005, shipped 1002, delivered 1001 (6 days ago) → pay, parcel, return', async () => {
    expect(await proactiveSuggestions(backend, 'c-1001', 'zh-CN', now)).toEqual({
      text: '猜你想问：',
      quickReplies: [
        { title: '怎么付款？', payload: 'suggest:pay:1005' },
        { title: '我的快递到哪了？', payload: 'suggest:order.query:1002' },
        { title: '怎么退货？', payload: 'suggest:return.address:1001' },
      ],
    });
  });

  test('the latest order comes first and each kind once: c-1002 has shipped 1008 on top', async () => {
    const s = await proactiveSuggestions(backend, 'c-1002', 'en-US', now);
    expect(s?.text).toBe('You might want to ask:');
    // 1006 was delivered 12 days ago: past the 7-day return window, so no "how do I return it?".
    expect(s?.quickReplies).toEqual([{ title: 'Where is my parcel?', payload: 'suggest:order.query:1008' }]);
  });

  test('a delivered order counts from its delivery (the last tracking event), within 7 days', async () => {
    // c-1006: 1022 unpaid, 1020 paid, 1021 delivered about 6 days ago (ordered 7 days ago).
    const s = await proactiveSuggestions(backend, 'c-1006', 'en-US', now);
    expect(s?.quickReplies.map((q) => q.payload)).toEqual([
      'suggest:pay:1022',
      'suggest:return.address:1021',
    ]);
    const later = new Date(now.getTime() + 3 * 86_400_000);
    const afterWindow = await proactiveSuggestions(backend, 'c-1006', 'en-US', later);
    expect(afterWindow?.quickReplies.map((q) => q.payload)).toEqual(['suggest:pay:1022']);
  });

  test('nothing to suggest (no orders, or only settled ones) → undefined', async () => {
    expect(await proactiveSuggestions(backend, 'c-9999', 'zh-CN', now)).toBeUndefined();
    const settled = {
      listOrders: async (id: string, limit: number) =>
        (await backend.listOrders(id, limit)).filter(
          (o) => o.status === 'cancelled' || o.status === 'refunded',
        ),
    } as unknown as CommerceBackend;
    expect(await proactiveSuggestions(settled, 'c-1001', 'en-US', now)).toBeUndefined();
  });

  test('a failing backend gives no suggestions and no error', async () => {
    const failing = {
      listOrders: async () => {
        throw commerceErrors.timeout(300);
      },
    } as unknown as CommerceBackend;
    await expect(proactiveSuggestions(failing, 'c-1001', 'zh-CN', now)).resolves.toBeUndefined();
  });

  test("an order of someone else in the backend's answer is never suggested", async () => {
    const leaky = {
      listOrders: async () => [(await backend.getOrder('1008'))!],
    } as unknown as CommerceBackend;
    expect(await proactiveSuggestions(leaky, 'c-1001', 'en-US', now)).toBeUndefined();
  });
});

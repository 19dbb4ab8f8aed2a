import type { NluResult } from '../../bot/nlu';
import { SkillRouter, type TurnInput } from '../../bot/router';
import { type DialogueState, initialDialogueState } from '../../bot/skill';
import { DemoCommerceBackend } from '../../commerce/demo.backend';
import { createReturnAddressSkill } from '../return-address/return-address.skill';
import type { SkillDeps } from '../skill-deps';
import { createOrderQuerySkill } from './order-query.skill';
import { fallbackSkill } from '../../tests/support/skill-harness';

// The skills through the real dialogue manager, with the NLU's answer given by hand: what the
// conversation tests cannot do (click a card button, other shop settings, no backend at all).
const now = new Date('2025-06-10T04:00:00Z');
const DEMO_ADDRESS = {
  name: 'Kefu 演示商城售后部',
  phone: '021-60000000',
  address: '上海市浦东新区演示路 88 号 3 号仓',
};

const fallback = fallbackSkill;

function setup(opts: { backend?: boolean; settings?: Record<string, unknown> } = {}) {
  const demo = new DemoCommerceBackend({ clock: () => now });
  const calls: string[] = [];
  const deps: SkillDeps = {
    knowledge: { list: async () => [] },
    commerce: () => {
      calls.push('resolve');
      return opts.backend === false ? undefined : demo;
    },
  };
  const router = new SkillRouter(
    [createOrderQuerySkill(deps), createReturnAddressSkill(deps), fallback],
    'fallback',
  );
  const settings = opts.settings ?? {
    returnAddress: DEMO_ADDRESS,
    businessHours: { timezone: 'Asia/Shanghai' },
  };
  let state: DialogueState = initialDialogueState();

  async function say(
    text: string,
    o: {
      intent?: string | null;
      orderId?: string;
      payload?: string;
      user?: string;
      verified?: boolean;
      locale?: string;
    } = {},
  ) {
    const nlu: NluResult = {
      text,
      normalized: text,
      locale: o.locale ?? 'zh-CN',
      intent: o.intent ?? null,
      confidence: o.intent ? 0.95 : 0,
      intents: [],
      entities: o.orderId ? [{ type: 'orderId', value: o.orderId }] : [],
      knowledge: [],
    };
    const input: TurnInput = {
      shop: { id: 'demo', name: 'Demo', locales: ['zh-CN', 'en-US'], identitySecret: 'x' },
      settings,
      conversation: {
        id: 'conv-1',
        shopId: 'demo',
        userId: o.user ?? 'c-1001',
        channel: 'test',
        verified: o.verified ?? true,
        locale: null,
        status: 'open',
        lastActivityAt: now,
      },
      user: { id: o.user ?? 'c-1001', verified: o.verified ?? true },
      locale: o.locale ?? 'zh-CN',
      text,
      payload: o.payload,
      nlu,
      now,
    } as TurnInput;
    const result = await router.route(input, state);
    state = result.state;
    return result;
  }
  return { say, calls, demo, state: () => state };
}

describe('order.query', () => {
  test('no order id: recent orders as cards (title, status, date, total, a button); clicking one shows it', async () => {
    const { say, state } = setup();
    const list = await say('查一下我的订单', { intent: 'order.query' });
    const cards = list.replies.filter((r) => r.card).map((r) => r.card!);
    expect(cards.map((c) => c.subtitle)).toEqual([
      '订单号 1005',
      '订单号 1003',
      '订单号 1002',
      '订单号 1001',
      '订单号 1004',
    ]);
    expect(cards[3]).toEqual({
      title: '加绒连帽卫衣 灰色 XL 等2件',
      subtitle: '订单号 1001',
      fields: [
        { label: '状态', value: '已签收' },
        { label: '下单时间', value: expect.stringMatching(/^2025-06-04 \d{2}:\d{2}$/) },
        { label: '金额', value: '¥278.80' },
      ],
      buttons: [{ title: '查看这个订单', payload: expect.stringMatching(/^task:k_[\w-]+:1001$/) }],
    });
    expect(state().memory.lastOrders).toEqual(['1005', '1003', '1002', '1001', '1004']);

    const payload = cards[2]!.buttons![0]!.payload;
    const shown = await say('查看这个订单', { payload });
    expect(shown.replies[0]!.text).toMatch(
      /^订单 1002：已发货\n商品：主动降噪蓝牙耳机 ×1[\s\S]*顺丰速运，运单号 SF\d+/,
    );
    expect(state().memory.orderId).toBe('1002');
    expect(state().stack).toEqual([]);

    // The same card clicked again after the task ended runs nothing.
    const again = await say('查看这个订单', { payload });
    expect(again.skill).toBe('dialogue');
  });

  test('shipment events are sorted: the latest three, newest first, in the shop time zone', async () => {
    const { say, demo } = setup({ settings: { businessHours: { timezone: 'Europe/London' } } });
    const r = await say('订单1001到哪了', { intent: 'order.query', orderId: '1001' });
    const times = [...r.replies[0]!.text.matchAll(/· (\d{2}-\d{2} \d{2}:\d{2}) /g)].map((m) => m[1]!);
    expect(times).toHaveLength(3);
    expect([...times].sort().reverse()).toEqual(times);
    // The newest event (the signature), as London sees it.
    const signed = Math.max(
      ...(await demo.getOrder('1001'))!.shipment!.events.map((e) => Date.parse(e.time)),
    );
    const london = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/London',
      hour: '2-digit',
      minute: '2-digit',
    });
    expect(times[0]!.slice(-5)).toBe(london.format(signed));
    expect(r.replies[0]!.text).toMatch(/· \d{2}-\d{2} \d{2}:\d{2} 【上海市】快件已签收/);
  });

  test('a card value that is not the customer\'s order is "not found" like any unknown id', async () => {
    const { say } = setup();
    const list = await say('查一下我的订单', { intent: 'order.query' });
    const payload = list.replies.find((r) => r.card)!.card!.buttons![0]!.payload.replace(/1005$/, '1006');
    const r = await say('查看这个订单', { payload });
    const text = r.replies.map((x) => x.text).join('\n');
    expect(text).toMatch(/没有找到订单 1006/);
    expect(text).not.toMatch(/智能手机|2999|京东/);
  });

  test('anonymous: asked to log in and the backend is never even resolved', async () => {
    const { say, calls } = setup();
    const r = await say('订单1002到哪了', {
      intent: 'order.query',
      orderId: '1002',
      verified: false,
      user: 'v-1',
    });
    expect(r.replies[0]!.text).toMatch(/登录/);
    expect(calls).toEqual([]);
  });

  test('"the second one" later in the conversation refers to the list shown before', async () => {
    const { say } = setup({});
    await say('check my orders', { intent: 'order.query', locale: 'en-US' });
    await say('never mind', { intent: 'common.cancel', locale: 'en-US' });
    const r = await say('what about the second one', { intent: 'order.query', locale: 'en-US' });
    expect(r.replies[0]!.text).toMatch(/^Order 1003: Paid, awaiting shipment/);
  });

  test("suggest postbacks: pay explains how to pay; someone else's order is not found", async () => {
    const { say } = setup();
    const pay = await say('怎么付款？', { payload: 'suggest:pay:1005' });
    expect(pay.replies[0]!.text).toMatch(/订单 1005（轻量跑步鞋 42码，¥459）还没有付款/);
    const other = await say('我的快递到哪了？', { payload: 'suggest:order.query:1008' });
    expect(other.replies[0]!.text).toMatch(/没有找到订单 1008/);
    const anon = await say('怎么退货？', {
      payload: 'suggest:return.address:1001',
      verified: false,
      user: 'v-2',
    });
    expect(anon.replies[0]!.text).toMatch(/登录/);
  });
});

describe('return.address', () => {
  test('an order without its own address and a shop without a setting: said honestly, a person offered', async () => {
    const { say } = setup({ settings: {} });
    const r = await say('订单1006退货地址', { intent: 'return.address', orderId: '1006', user: 'c-1002' });
    expect(r.replies[0]!.text).toMatch(/还没有设置退货地址/);
    expect(r.replies[0]!.quickReplies?.map((q) => q.payload)).toEqual(['dialogue:human']);
  });

  test('an order with its own address does not need the shop setting', async () => {
    const { say } = setup({ settings: {} });
    const r = await say('订单1001退货地址', { intent: 'return.address', orderId: '1001' });
    expect(r.replies[0]!.text).toMatch(/订单 1001 的退货地址[\s\S]*0571-88880001/);
  });

  test('anonymous with no shop setting: nothing to give, a person offered', async () => {
    const { say, calls } = setup({ settings: {} });
    const r = await say('return address', {
      intent: 'return.address',
      verified: false,
      user: 'v-3',
      locale: 'en-US',
    });
    expect(r.replies[0]!.text).toMatch(/hasn't set up a return address/);
    expect(calls).toEqual([]);
  });

  test('a shop with no order system still has its general address', async () => {
    const { say } = setup({ backend: false });
    const r = await say('退货地址是哪里', { intent: 'return.address' });
    expect(r.replies.map((x) => x.text).join('\n')).toMatch(/本店的退货地址[\s\S]*浦东新区[\s\S]*退货步骤/);
  });

  test('a card click picks the order to return', async () => {
    const { say } = setup();
    const list = await say('我要退货', { intent: 'return.address' });
    const cards = list.replies.filter((r) => r.card).map((r) => r.card!);
    expect(cards.map((c) => c.subtitle)).toEqual(['订单号 1002', '订单号 1001']);
    const r = await say('查看这个订单', { payload: cards[0]!.buttons![0]!.payload });
    expect(r.replies[0]!.text).toMatch(/订单 1002 的退货地址[\s\S]*020-66660002/);
  });
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { KefuError } from '../bot/errors';
import {
  CommerceError,
  customerSchema,
  ORDER_STATUSES,
  type Order,
  orderSchema,
  RECHARGE_DENOMINATIONS,
  sortedEvents,
  ticketOptionSchema,
} from './commerce';
import { DemoCommerceBackend } from './demo.backend';
import { DEMO_CITIES } from './demo.tickets';

// 2025-06-10 12:00 in Asia/Shanghai.
const NOW = new Date('2025-06-10T04:00:00Z');
const clock = () => NOW;
const CUSTOMER_IDS = Array.from({ length: 12 }, (_, i) => `c-${1001 + i}`);

function backend(now: Date = NOW): DemoCommerceBackend {
  return new DemoCommerceBackend({ clock: () => now });
}

async function allOrders(b: DemoCommerceBackend): Promise<Order[]> {
  const lists = await Promise.all(CUSTOMER_IDS.map((id) => b.listOrders(id, 100)));
  return lists.flat();
}

describe('DemoCommerceBackend customers', () => {
  it('has c-1001..c-1012 covering every trust tier, with Chinese and English names', async () => {
    const b = backend();
    const customers = await Promise.all(CUSTOMER_IDS.map((id) => b.getCustomer(id)));
    for (const c of customers) expect(customerSchema.parse(c)).toEqual(c);
    expect(new Set(customers.map((c) => c?.tier))).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    expect(customers.some((c) => /\p{Script=Han}/u.test(c?.name ?? ''))).toBe(true);
    expect(customers.some((c) => /^[A-Za-z ]+$/.test(c?.name ?? ''))).toBe(true);
    expect(await b.getCustomer('c-1001')).toEqual({ id: 'c-1001', name: '张伟', tier: 5 });
  });

  it('does not know other ids', async () => {
    expect(await backend().getCustomer('c-9999')).toBeUndefined();
    expect(await backend().getCustomer('')).toBeUndefined();
  });
});

describe('DemoCommerceBackend orders', () => {
  it('gives every customer 2–5 valid orders, ids 1001–1042, and every status', async () => {
    const b = backend();
    for (const id of CUSTOMER_IDS) {
      const n = (await b.listOrders(id, 100)).length;
      expect(n).toBeGreaterThanOrEqual(2);
      expect(n).toBeLessThanOrEqual(5);
    }
    const orders = await allOrders(b);
    for (const o of orders) expect(orderSchema.parse(o)).toEqual(o);
    expect(orders.map((o) => o.id).sort()).toEqual(Array.from({ length: 42 }, (_, i) => String(1001 + i)));
    expect(new Set(orders.map((o) => o.status))).toEqual(new Set(ORDER_STATUSES));
  });

  it('has totals in CNY that add up, and items in Chinese and English', async () => {
    const orders = await allOrders(backend());
    for (const o of orders) {
      expect(o.currency).toBe('CNY');
      expect(o.items.length).toBeGreaterThan(0);
      const sum = o.items.reduce((s, i) => s + i.price * i.qty, 0);
      expect(o.total).toBeCloseTo(sum, 2);
    }
    const titles = orders.flatMap((o) => o.items.map((i) => i.title));
    expect(titles).toContain('主动降噪蓝牙耳机');
    expect(titles).toContain('Noise-cancelling wireless earbuds');
  });

  it('dates orders in the recent past, relative to the clock', async () => {
    const orders = await allOrders(backend());
    for (const o of orders) {
      const t = Date.parse(o.createdAt);
      expect(t).toBeLessThanOrEqual(NOW.getTime());
      expect(t).toBeGreaterThan(NOW.getTime() - 31 * 24 * 3_600_000);
      expect(o.createdAt).toMatch(/\+08:00$/);
    }
    const later = new Date(NOW.getTime() + 100 * 24 * 3_600_000);
    const moved = await backend(later).getOrder('1001');
    const here = await backend().getOrder('1001');
    expect(Date.parse(moved?.createdAt ?? '') - Date.parse(here?.createdAt ?? '')).toBe(100 * 24 * 3_600_000);
  });

  it('is deterministic for a given clock', async () => {
    expect(await allOrders(backend())).toEqual(await allOrders(backend()));
  });

  it('lists a customer’s orders newest first, at most `limit`', async () => {
    const b = backend();
    const orders = await b.listOrders('c-1001', 5);
    expect(orders.map((o) => o.id)).toEqual(['1005', '1003', '1002', '1001', '1004']);
    expect((await b.listOrders('c-1001', 2)).map((o) => o.id)).toEqual(['1005', '1003']);
    expect(await b.listOrders('c-1001', 0)).toEqual([]);
    expect(await b.listOrders('c-9999', 5)).toEqual([]);
  });

  it('gets one order, undefined when unknown, and hands out copies', async () => {
    const b = backend();
    const order = await b.getOrder('1002');
    expect(order).toMatchObject({ id: '1002', customerId: 'c-1001', status: 'shipped', total: 899 });
    expect(await b.getOrder('9999')).toBeUndefined();
    expect(await b.getOrder('c-1001')).toBeUndefined();
    if (order) order.status = 'cancelled';
    expect((await b.getOrder('1002'))?.status).toBe('shipped');
  });
});

describe('DemoCommerceBackend shipments', () => {
  const carriers = ['顺丰速运', 'SF Express', '中通快递', 'ZTO Express', '京东物流', 'JD Logistics'];
  // Several clocks, so the invariants do not hold by luck at one time of day.
  const clocks = [NOW, new Date('2025-06-09T16:00:00Z'), new Date('2026-01-31T23:59:00Z')];

  it.each(clocks)('ships exactly the orders that left the warehouse (clock %s)', async (now) => {
    for (const o of await allOrders(backend(now))) {
      if (o.status === 'shipped' || o.status === 'delivered') expect(o.shipment).toBeDefined();
      if (['unpaid', 'paid', 'cancelled'].includes(o.status)) expect(o.shipment).toBeUndefined();
      if (!o.shipment) continue;
      expect(carriers).toContain(o.shipment.carrier);
      expect(o.shipment.trackingNo).toMatch(/^(SF\d{13}|7\d{13}|JDVA\d{11})$/);
      expect(o.shipment.events.length).toBeGreaterThanOrEqual(3);
      for (const e of o.shipment.events) {
        expect(Date.parse(e.time)).toBeGreaterThan(Date.parse(o.createdAt));
        expect(Date.parse(e.time)).toBeLessThanOrEqual(now.getTime());
        expect(e.description).toMatch(/\p{Script=Han}/u);
      }
      const last = sortedEvents(o.shipment).at(-1)?.description ?? '';
      if (o.status === 'shipped') {
        expect(last).not.toMatch(/签收/);
        expect(o.shipment.status).not.toBe('delivered');
      } else {
        expect(last).toMatch(/签收/);
        expect(o.shipment.status).toBe('delivered');
      }
    }
  });

  it('sends tracking events out of time order, as real backends may', async () => {
    for (const o of await allOrders(backend())) {
      if (!o.shipment) continue;
      const times = o.shipment.events.map((e) => e.time);
      expect(times).not.toEqual([...times].sort());
      expect(sortedEvents(o.shipment).map((e) => e.time)).toEqual([...times].sort());
    }
  });

  it('has a stalled parcel: 1013 has had no update for more than two days', async () => {
    const order = await backend().getOrder('1013');
    expect(order?.status).toBe('shipped');
    const last = order?.shipment ? sortedEvents(order.shipment).at(-1) : undefined;
    expect(NOW.getTime() - Date.parse(last?.time ?? '')).toBeGreaterThan(48 * 3_600_000);
  });

  it('uses the customer’s language for the carrier name', async () => {
    const b = backend();
    expect((await b.getOrder('1002'))?.shipment?.carrier).toBe('顺丰速运');
    expect((await b.getOrder('1010'))?.shipment?.carrier).toBe('SF Express');
    expect((await b.getOrder('1001'))?.shipment?.carrier).toBe('中通快递');
    expect((await b.getOrder('1006'))?.shipment?.carrier).toBe('京东物流');
  });
});

describe('DemoCommerceBackend return addresses', () => {
  it('has one for ZTO and SF orders; JD orders and unknown orders fall back to the shop', async () => {
    const b = backend();
    expect(await b.getReturnAddress('1001')).toMatchObject({ phone: '0571-88880001' });
    expect(await b.getReturnAddress('1002')).toMatchObject({ phone: '020-66660002' });
    expect((await b.getReturnAddress('1002'))?.address).toMatch(/广州/);
    expect(await b.getReturnAddress('1006')).toBeUndefined();
    expect(await b.getReturnAddress('1003')).toBeUndefined();
    expect(await b.getReturnAddress('9999')).toBeUndefined();
  });
});

describe('DemoCommerceBackend refunds', () => {
  it('approves a fast refund at once and marks a full refund refunded', async () => {
    const b = backend();
    const result = await b.requestRefund('1001', { amount: 278.8, reason: '尺码不合适', fast: true }, 'k-1');
    expect(result.status).toBe('approved');
    expect(result.refundId).toMatch(/^RF-/);
    expect((await b.getOrder('1001'))?.status).toBe('refunded');
    expect(b.refundsFor('1001')).toEqual([
      expect.objectContaining({ amount: 278.8, fast: true, status: 'approved', idempotencyKey: 'k-1' }),
    ]);
  });

  it('leaves a normal refund pending for the merchant and marks the order refunding', async () => {
    const b = backend();
    const result = await b.requestRefund(
      '1002',
      { amount: 899, reason: 'changed my mind', fast: false },
      'k-2',
    );
    expect(result.status).toBe('pending');
    expect((await b.getOrder('1002'))?.status).toBe('refunding');
  });

  it('allows partial fast refunds up to the total', async () => {
    const b = backend();
    expect((await b.requestRefund('1001', { amount: 100, reason: 'a', fast: true }, 'p-1')).status).toBe(
      'approved',
    );
    expect((await b.getOrder('1001'))?.status).toBe('delivered');
    const over = await b.requestRefund('1001', { amount: 200, reason: 'b', fast: true }, 'p-2');
    expect(over.status).toBe('rejected');
    expect(over.message).toMatch(/178\.80/);
    expect((await b.requestRefund('1001', { amount: 178.8, reason: 'c', fast: true }, 'p-3')).status).toBe(
      'approved',
    );
    expect((await b.getOrder('1001'))?.status).toBe('refunded');
    expect(b.refundsFor('1001')).toHaveLength(2);
  });

  it.each([
    ['1005', 'unpaid'],
    ['1009', 'cancelled'],
    ['1004', 'refunded'],
    ['1007', 'refunding'],
  ])('rejects order %s, which is %s', async (orderId, status) => {
    const b = backend();
    const result = await b.requestRefund(orderId, { amount: 1, reason: 'x', fast: true }, `r-${orderId}`);
    expect(result.status).toBe('rejected');
    expect(result.message).toContain(status);
    expect(b.refundsFor(orderId)).toEqual([]);
    expect((await b.getOrder(orderId))?.status).toBe(status);
  });

  it('rejects an amount above the total, a non-positive amount, and an unknown order', async () => {
    const b = backend();
    expect((await b.requestRefund('1002', { amount: 899.01, reason: 'x', fast: true }, 'a')).status).toBe(
      'rejected',
    );
    expect((await b.requestRefund('1002', { amount: 0, reason: 'x', fast: true }, 'b')).status).toBe(
      'rejected',
    );
    expect((await b.requestRefund('9999', { amount: 1, reason: 'x', fast: true }, 'c')).status).toBe(
      'rejected',
    );
    expect(b.refundsFor('1002')).toEqual([]);
    expect((await b.getOrder('1002'))?.status).toBe('shipped');
  });

  it('is idempotent: the same key twice gives the same result and one refund', async () => {
    const b = backend();
    const first = await b.requestRefund('1003', { amount: 5999, reason: '不想要了', fast: false }, 'same');
    const again = await b.requestRefund('1003', { amount: 5999, reason: '不想要了', fast: false }, 'same');
    expect(again).toBe(first);
    expect(b.refundsFor('1003')).toHaveLength(1);
    // A retry of a rejected request is rejected the same way, not re-decided.
    const rejected = await b.requestRefund('1005', { amount: 1, reason: 'x', fast: true }, 'rej');
    expect(await b.requestRefund('1005', { amount: 1, reason: 'x', fast: true }, 'rej')).toBe(rejected);
  });

  it('a new key on an order already refunding is rejected (no double refund)', async () => {
    const b = backend();
    await b.requestRefund('1003', { amount: 5999, reason: 'x', fast: false }, 'one');
    expect((await b.requestRefund('1003', { amount: 5999, reason: 'x', fast: false }, 'two')).status).toBe(
      'rejected',
    );
    expect(b.refundsFor('1003')).toHaveLength(1);
  });
});

describe('DemoCommerceBackend recharges', () => {
  it.each(RECHARGE_DENOMINATIONS)('tops up %d CNY', async (amount) => {
    const result = await backend().recharge(
      { customerId: 'c-1001', phone: '13800138000', amount },
      `k-${amount}`,
    );
    expect(result.status).toBe('done');
    expect(result.rechargeId).toMatch(/^RC-/);
  });

  it.each([
    ['an amount that is not a denomination', '13800138000', 15],
    ['a negative amount', '13800138000', -10],
    ['a landline', '01088886666', 50],
    ['a number starting 12', '12800138000', 50],
    ['a short number', '1380013800', 50],
    ['a number with spaces', '138 0013 8000', 50],
    ['E.164 without +', '8613800138000', 50],
  ])('fails for %s', async (_what, phone, amount) => {
    const b = backend();
    expect((await b.recharge({ customerId: 'c-1001', phone, amount }, 'k')).status).toBe('failed');
  });

  it('accepts E.164 numbers, and leaves numbers ending 0000 pending', async () => {
    const b = backend();
    expect(
      (await b.recharge({ customerId: 'c-1003', phone: '+447911123456', amount: 100 }, 'a')).status,
    ).toBe('done');
    expect((await b.recharge({ customerId: 'c-1001', phone: '13912340000', amount: 30 }, 'b')).status).toBe(
      'pending',
    );
  });

  it('is idempotent per key', async () => {
    const b = backend();
    const request = { customerId: 'c-1001', phone: '13800138000', amount: 50 };
    const first = await b.recharge(request, 'same');
    expect(await b.recharge(request, 'same')).toBe(first);
    expect(b.recharges()).toHaveLength(1);
    const other = await b.recharge(request, 'other');
    expect(other.rechargeId).not.toBe(first.rechargeId);
    expect(b.recharges()).toHaveLength(2);
  });
});

describe('DemoCommerceBackend ticket search', () => {
  const b = new DemoCommerceBackend({ clock });
  const strip = (options: { from: string; to: string }[]) =>
    options.map(({ from: _f, to: _t, ...rest }) => rest);

  it('gives the same options for Chinese and English city names, named in the language asked', async () => {
    const zh = await b.searchTickets({ type: 'train', from: '北京', to: '上海', date: '2025-06-14' });
    const en = await b.searchTickets({ type: 'train', from: 'Beijing', to: 'Shanghai', date: '2025-06-14' });
    expect(zh.length).toBeGreaterThanOrEqual(2);
    expect(strip(en)).toEqual(strip(zh));
    expect(zh.every((o) => o.from === '北京' && o.to === '上海')).toBe(true);
    expect(en.every((o) => o.from === 'Beijing' && o.to === 'Shanghai')).toBe(true);
    const mixed = await b.searchTickets({
      type: 'train',
      from: '北京市',
      to: ' shanghai ',
      date: '2025-06-14',
    });
    expect(strip(mixed)).toEqual(strip(zh));
    expect(mixed[0]).toMatchObject({ from: '北京', to: 'Shanghai' });
  });

  it('normalises spellings of the same city', async () => {
    const date = '2025-07-01';
    const a = await b.searchTickets({ type: 'flight', from: "Xi'an", to: '广州', date });
    for (const name of ['xian', 'XIAN', '西安', '西安市', 'xi an']) {
      expect(strip(await b.searchTickets({ type: 'flight', from: name, to: 'Guangzhou', date }))).toEqual(
        strip(a),
      );
    }
    expect(a.length).toBeGreaterThanOrEqual(2);
  });

  it('runs 2–5 valid options a day on every mainland train route, departing that day in +08:00', async () => {
    const mainland = DEMO_CITIES.filter((c) => c.mainland);
    const date = '2025-06-14';
    for (const from of mainland) {
      for (const to of mainland) {
        if (from === to) continue;
        const options = await b.searchTickets({ type: 'train', from: from.zh, to: to.zh, date });
        expect(options.length).toBeGreaterThanOrEqual(2);
        expect(options.length).toBeLessThanOrEqual(5);
        for (const o of options) {
          expect(ticketOptionSchema.parse(o)).toEqual(o);
          expect(o.departAt.startsWith(`${date}T`)).toBe(true);
          expect(o.departAt).toMatch(/\+08:00$/);
          expect(o.number).toMatch(/^G\d+$/);
          expect(Date.parse(o.arriveAt)).toBeGreaterThan(Date.parse(o.departAt));
          // No overnight high-speed trains.
          expect(o.arriveAt <= `${date}T23:30:00+08:00`).toBe(true);
        }
        const departs = options.map((o) => o.departAt);
        expect(departs).toEqual([...departs].sort());
        expect(new Set(options.map((o) => o.id)).size).toBe(options.length);
        expect(new Set(options.map((o) => o.number)).size).toBe(options.length);
      }
    }
  });

  it('flies internationally but runs trains only within the mainland', async () => {
    const date = '2025-06-14';
    const flights = await b.searchTickets({ type: 'flight', from: '上海', to: '东京', date });
    expect(flights.length).toBeGreaterThanOrEqual(2);
    expect(flights[0]?.departAt.startsWith(date)).toBe(true);
    expect(await b.searchTickets({ type: 'flight', from: 'London', to: 'New York', date })).not.toEqual([]);
    expect(await b.searchTickets({ type: 'train', from: '上海', to: '东京', date })).toEqual([]);
    expect(await b.searchTickets({ type: 'train', from: '深圳', to: '香港', date })).toEqual([]);
    expect(await b.searchTickets({ type: 'flight', from: '北京', to: '香港', date })).not.toEqual([]);
  });

  it('has no flights between close cities, nor to an unknown or the same city', async () => {
    const date = '2025-06-14';
    expect(await b.searchTickets({ type: 'flight', from: '上海', to: '杭州', date })).toEqual([]);
    expect(await b.searchTickets({ type: 'train', from: '上海', to: '杭州', date })).not.toEqual([]);
    expect(await b.searchTickets({ type: 'train', from: '北京', to: 'Atlantis', date })).toEqual([]);
    expect(await b.searchTickets({ type: 'train', from: '北京', to: 'Beijing', date })).toEqual([]);
  });

  it('is sold out for trains 北京→上海 on the 13th of every month (the documented empty case)', async () => {
    for (const date of ['2025-06-13', '2025-07-13', '2026-01-13']) {
      expect(await b.searchTickets({ type: 'train', from: '北京', to: '上海', date })).toEqual([]);
      expect(await b.searchTickets({ type: 'train', from: 'Beijing', to: 'Shanghai', date })).toEqual([]);
    }
    expect(
      await b.searchTickets({ type: 'train', from: '北京', to: '上海', date: '2025-06-12' }),
    ).not.toEqual([]);
    expect(
      await b.searchTickets({ type: 'train', from: '上海', to: '北京', date: '2025-06-13' }),
    ).not.toEqual([]);
    expect(
      await b.searchTickets({ type: 'flight', from: '北京', to: '上海', date: '2025-06-13' }),
    ).not.toEqual([]);
  });

  it('is deterministic, whatever the clock', async () => {
    const query = { type: 'flight' as const, from: '成都', to: '新加坡', date: '2025-08-01' };
    const other = new DemoCommerceBackend({ clock: () => new Date('2030-01-01T00:00:00Z') });
    expect(await other.searchTickets(query)).toEqual(await b.searchTickets(query));
  });

  it('refuses a malformed query as a backend bad request', async () => {
    for (const date of ['2025-6-14', '2025-02-30', 'tomorrow']) {
      await expect(b.searchTickets({ type: 'train', from: '北京', to: '上海', date })).rejects.toMatchObject({
        code: 'BACKEND_BAD_REQUEST',
        retryable: false,
      });
    }
  });
});

describe('DemoCommerceBackend bookings', () => {
  async function firstOption(type: 'flight' | 'train', from: string, to: string) {
    const [option] = await backend().searchTickets({ type, from, to, date: '2025-06-20' });
    if (!option) throw new Error('no option');
    return option;
  }

  it('confirms a domestic trip and records it', async () => {
    const b = backend();
    const option = await firstOption('train', '杭州', '北京');
    const result = await b.bookTicket({ customerId: 'c-1001', optionId: option.id, passengers: 2 }, 'bk-1');
    expect(result).toEqual({ bookingId: expect.stringMatching(/^BK-/), status: 'confirmed' });
    expect(b.bookingsFor('c-1001')).toEqual([
      expect.objectContaining({ optionId: option.id, passengers: 2 }),
    ]);
  });

  it('books from the option id alone, with or without an earlier search on this backend', async () => {
    const option = await firstOption('flight', 'Beijing', 'Chengdu');
    const fresh = backend();
    expect(
      (await fresh.bookTicket({ customerId: 'c-1003', optionId: option.id, passengers: 1 }, 'x')).status,
    ).toBe('confirmed');
  });

  it('leaves an international flight pending', async () => {
    const option = await firstOption('flight', '上海', 'London');
    const result = await backend().bookTicket(
      { customerId: 'c-1008', optionId: option.id, passengers: 1 },
      'i',
    );
    expect(result.status).toBe('pending');
  });

  it.each([
    ['an unknown option id', 'nope', 1],
    ['a well-formed id past the day’s options', 'TR-BJS-SHA-20250620-9', 1],
    ['a sold-out day', 'TR-BJS-SHA-20250613-1', 1],
    ['an unknown city code', 'FL-XXX-SHA-20250620-1', 1],
    ['no passengers', 'TR-BJS-SHA-20250620-1', 0],
    ['too many passengers', 'TR-BJS-SHA-20250620-1', 10],
    ['a fractional passenger', 'TR-BJS-SHA-20250620-1', 1.5],
  ])('fails for %s', async (_what, optionId, passengers) => {
    const result = await backend().bookTicket({ customerId: 'c-1001', optionId, passengers }, 'k');
    expect(result.status).toBe('failed');
  });

  it('is idempotent per key', async () => {
    const b = backend();
    const option = await firstOption('train', '南京', '武汉');
    const request = { customerId: 'c-1007', optionId: option.id, passengers: 1 };
    const first = await b.bookTicket(request, 'same');
    expect(await b.bookTicket(request, 'same')).toBe(first);
    expect(b.bookingsFor('c-1007')).toHaveLength(1);
  });
});

describe('CommerceError', () => {
  it('is a KefuError with a stable code and a retryable flag', () => {
    const err = new CommerceError('BACKEND_TIMEOUT', 'slow', 504, true);
    expect(err).toBeInstanceOf(KefuError);
    expect(err).toMatchObject({ code: 'BACKEND_TIMEOUT', retryable: true, name: 'CommerceError' });
  });
});

describe('commerce/README.md', () => {
  // The README is what testers write conversations against: it must not drift from the data.
  const readme = readFileSync(path.join(__dirname, 'README.md'), 'utf8');

  it('lists every customer with their tier and orders, newest first', async () => {
    const b = backend();
    for (const id of CUSTOMER_IDS) {
      const c = await b.getCustomer(id);
      const orders = await b.listOrders(id, 100);
      const listed = orders.map((o) => `${o.id} ${o.status}`);
      const row = readme.split('\n').find((l) => l.startsWith(`| ${id} |`)) ?? '';
      const [, , name, tier, , ordersCell] = row.split('|').map((s) => s.trim());
      expect([name, Number(tier)]).toEqual([c?.name, c?.tier]);
      expect(ordersCell?.replace(/ \([^)]*\)/g, '').split(', ')).toEqual(listed);
    }
  });

  it('lists the orders by status', async () => {
    const orders = await allOrders(backend());
    for (const status of ORDER_STATUSES) {
      const row = readme.split('\n').find((l) => l.startsWith(`| ${status} |`)) ?? '';
      const ids = orders.filter((o) => o.status === status).map((o) => o.id);
      expect(row.split('|')[2]?.trim().split(', ')).toEqual(ids.sort());
    }
  });
});

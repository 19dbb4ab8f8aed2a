import {
  bookingResultSchema,
  type CommerceBackend,
  CommerceError,
  customerSchema,
  orderSchema,
  rechargeResultSchema,
  refundResultSchema,
  returnAddressSchema,
  ticketOptionSchema,
} from './commerce';
import type { DemoCommerceBackend } from './demo.backend';

/** The clock every implementation's demo data is built from, so answers can be compared. */
export const CONTRACT_NOW = new Date('2025-06-10T04:00:00Z');

export interface CommerceContractFixture {
  backend: CommerceBackend;
  /** The demo behind the backend, when there is one, to check what was recorded (one refund, not two). */
  demo?: DemoCommerceBackend;
  close?(): Promise<void>;
}

/**
 * The commerce backend contract (specs/commerce-backend.md, data in commerce/README.md): every
 * implementation must pass it. `make` gives a fresh backend serving the demo data built at CONTRACT_NOW.
 */
export function commerceBackendContract(make: () => Promise<CommerceContractFixture>): void {
  let fixture: CommerceContractFixture;
  let backend: CommerceBackend;
  beforeEach(async () => {
    fixture = await make();
    backend = fixture.backend;
  });
  afterEach(async () => {
    await fixture.close?.();
  });

  const errorCode = async (promise: Promise<unknown>): Promise<string | undefined> => {
    try {
      await promise;
      return undefined;
    } catch (err) {
      expect(err).toBeInstanceOf(CommerceError);
      return (err as CommerceError).code;
    }
  };

  describe('customers', () => {
    test('a known customer, with name and trust tier', async () => {
      const customer = await backend.getCustomer('c-1001');
      expect(customer).toEqual({ id: 'c-1001', name: '张伟', tier: 5 });
      expect(customerSchema.parse(customer)).toEqual(customer);
      expect(await backend.getCustomer('c-1012')).toEqual({ id: 'c-1012', name: 'Noah Garcia', tier: 0 });
    });

    test('an unknown, empty or path-like id is not found', async () => {
      for (const id of ['c-9999', '', '..', '../c-1001', 'c-1001/orders', 'c-1001?x=1']) {
        expect(await backend.getCustomer(id)).toBeUndefined();
      }
    });
  });

  describe('orders', () => {
    test('a customer’s orders, newest first, at most `limit`', async () => {
      const orders = await backend.listOrders('c-1001', 5);
      expect(orders.map((o) => o.id)).toEqual(['1005', '1003', '1002', '1001', '1004']);
      for (const o of orders) expect(orderSchema.parse(o)).toEqual(o);
      expect(orders.every((o) => o.customerId === 'c-1001')).toBe(true);
      expect((await backend.listOrders('c-1001', 2)).map((o) => o.id)).toEqual(['1005', '1003']);
    });

    test('an unknown customer has no orders', async () => {
      expect(await backend.listOrders('c-9999', 5)).toEqual([]);
      expect(await backend.listOrders('../orders/1001', 5)).toEqual([]);
    });

    test('one order, with items and a shipment only once shipped', async () => {
      const shipped = await backend.getOrder('1002');
      expect(orderSchema.parse(shipped)).toEqual(shipped);
      expect(shipped).toMatchObject({ id: '1002', customerId: 'c-1001', status: 'shipped', total: 899 });
      expect(shipped?.shipment?.carrier).toBe('顺丰速运');
      expect(shipped?.shipment?.events.length).toBeGreaterThan(0);

      const paid = await backend.getOrder('1003');
      expect(paid).toMatchObject({ id: '1003', status: 'paid', currency: 'CNY' });
      expect(paid?.shipment).toBeUndefined();
      expect(paid?.items[0]?.title).toContain('笔记本电脑');

      const english = await backend.getOrder('1010');
      expect(english?.shipment?.carrier).toBe('SF Express');
    });

    test('the same order by id and in the list', async () => {
      const [listed] = await backend.listOrders('c-1003', 1);
      expect(listed).toBeDefined();
      expect(await backend.getOrder(listed!.id)).toEqual(listed);
    });

    test('an unknown order is not found, and an id cannot reach another path', async () => {
      for (const id of [
        '9999',
        '',
        '.',
        '..',
        '../1001',
        '1001/return-address',
        '%2e%2e',
        '1001?x=1',
        '1001#x',
      ]) {
        expect(await backend.getOrder(id)).toBeUndefined();
      }
    });
  });

  describe('return address', () => {
    test('per warehouse, and undefined when the shop’s settings apply', async () => {
      const hangzhou = await backend.getReturnAddress('1001');
      expect(returnAddressSchema.parse(hangzhou)).toEqual(hangzhou);
      expect(hangzhou?.address).toContain('杭州');
      expect((await backend.getReturnAddress('1002'))?.address).toContain('广州');
      expect(await backend.getReturnAddress('1006')).toBeUndefined(); // JD Logistics
      expect(await backend.getReturnAddress('1003')).toBeUndefined(); // never shipped
      expect(await backend.getReturnAddress('9999')).toBeUndefined();
      expect(await backend.getReturnAddress('../1001')).toBeUndefined();
    });
  });

  describe('refunds', () => {
    test('a fast refund is approved at once and refunds the order', async () => {
      const result = await backend.requestRefund(
        '1001',
        { amount: 278.8, reason: '不想要了', fast: true },
        'rf-fast-1',
      );
      expect(refundResultSchema.parse(result)).toEqual(result);
      expect(result.status).toBe('approved');
      expect(result.refundId).toMatch(/\S/);
      expect((await backend.getOrder('1001'))?.status).toBe('refunded');
    });

    test('a reviewed refund is pending and the order turns refunding', async () => {
      const result = await backend.requestRefund(
        '1002',
        { amount: 899, reason: 'broken', fast: false },
        'rf-1',
      );
      expect(result.status).toBe('pending');
      expect((await backend.getOrder('1002'))?.status).toBe('refunding');
      const again = await backend.requestRefund('1002', { amount: 1, reason: 'again', fast: false }, 'rf-2');
      expect(again.status).toBe('rejected');
    });

    test('rejects, with a reason, what cannot be refunded', async () => {
      const unpaid = await backend.requestRefund('1005', { amount: 10, reason: 'x', fast: true }, 'rf-a');
      expect(unpaid.status).toBe('rejected');
      expect(unpaid.message).toMatch(/\S/);
      const tooMuch = await backend.requestRefund('1003', { amount: 6000, reason: 'x', fast: true }, 'rf-b');
      expect(tooMuch.status).toBe('rejected');
      const unknown = await backend.requestRefund('9999', { amount: 1, reason: 'x', fast: true }, 'rf-c');
      expect(unknown.status).toBe('rejected');
    });

    test('the same idempotency key refunds once', async () => {
      const request = { amount: 100, reason: '部分退款', fast: true };
      const first = await backend.requestRefund('1003', request, 'rf-same');
      const second = await backend.requestRefund('1003', request, 'rf-same');
      expect(first.status).toBe('approved');
      expect(second).toEqual(first);
      // Had 100 been refunded twice, only 5799 would be left.
      const rest = await backend.requestRefund('1003', { ...request, amount: 5899 }, 'rf-rest');
      expect(rest.status).toBe('approved');
      expect(rest.refundId).not.toBe(first.refundId);
      if (fixture.demo) expect(fixture.demo.refundsFor('1003')).toHaveLength(2);
    });
  });

  describe('recharges', () => {
    test('done, pending for a slow carrier, failed when invalid', async () => {
      const done = await backend.recharge({ customerId: 'c-1001', phone: '13912345678', amount: 50 }, 'rc-1');
      expect(rechargeResultSchema.parse(done)).toEqual(done);
      expect(done.status).toBe('done');
      const slow = await backend.recharge(
        { customerId: 'c-1001', phone: '13912340000', amount: 100 },
        'rc-2',
      );
      expect(slow.status).toBe('pending');
      const e164 = await backend.recharge(
        { customerId: 'c-1003', phone: '+447700900123', amount: 20 },
        'rc-3',
      );
      expect(e164.status).toBe('done');
      const badAmount = await backend.recharge(
        { customerId: 'c-1', phone: '13912345678', amount: 25 },
        'rc-4',
      );
      expect(badAmount.status).toBe('failed');
      const badPhone = await backend.recharge({ customerId: 'c-1', phone: '12345', amount: 50 }, 'rc-5');
      expect(badPhone.status).toBe('failed');
    });

    test('the same idempotency key recharges once', async () => {
      const request = { customerId: 'c-1001', phone: '13800138000', amount: 30 };
      const first = await backend.recharge(request, 'rc-same');
      expect(await backend.recharge(request, 'rc-same')).toEqual(first);
      const other = await backend.recharge(request, 'rc-other');
      expect(other.rechargeId).not.toBe(first.rechargeId);
      if (fixture.demo) expect(fixture.demo.recharges()).toHaveLength(2);
    });
  });

  describe('tickets', () => {
    test('search gives options in departure order, in the customer’s script', async () => {
      const options = await backend.searchTickets({
        type: 'train',
        from: '北京',
        to: '上海',
        date: '2025-06-14',
      });
      expect(options.length).toBeGreaterThanOrEqual(2);
      expect(options.length).toBeLessThanOrEqual(5);
      for (const o of options) {
        expect(ticketOptionSchema.parse(o)).toEqual(o);
        expect(o).toMatchObject({ type: 'train', from: '北京', to: '上海' });
        expect(o.departAt.startsWith('2025-06-14')).toBe(true);
      }
      const departs = options.map((o) => Date.parse(o.departAt));
      expect(departs).toEqual([...departs].sort((a, b) => a - b));

      const english = await backend.searchTickets({
        type: 'flight',
        from: 'shanghai',
        to: 'London',
        date: '2025-06-14',
      });
      expect(english.length).toBeGreaterThan(0);
      expect(english[0]).toMatchObject({ from: 'Shanghai', to: 'London' });
    });

    test('no results: sold out, no flight on a short route, unknown city', async () => {
      expect(
        await backend.searchTickets({ type: 'train', from: '北京', to: '上海', date: '2025-06-13' }),
      ).toEqual([]);
      expect(
        await backend.searchTickets({ type: 'flight', from: '上海', to: '杭州', date: '2025-06-14' }),
      ).toEqual([]);
      expect(
        await backend.searchTickets({ type: 'train', from: 'Atlantis', to: '上海', date: '2025-06-14' }),
      ).toEqual([]);
    });

    test('a malformed query is a bad request', async () => {
      const badDate = backend.searchTickets({ type: 'train', from: '北京', to: '上海', date: '2025-02-30' });
      expect(await errorCode(badDate)).toBe('BACKEND_BAD_REQUEST');
      const badType = backend.searchTickets({
        type: 'bus' as 'train',
        from: '北京',
        to: '上海',
        date: '2025-06-14',
      });
      expect(await errorCode(badType)).toBe('BACKEND_BAD_REQUEST');
    });

    test('booking: confirmed at home, pending abroad, failed for an unknown option', async () => {
      const [option] = await backend.searchTickets({
        type: 'train',
        from: '北京',
        to: '上海',
        date: '2025-06-14',
      });
      const booked = await backend.bookTicket(
        { customerId: 'c-1001', optionId: option!.id, passengers: 2 },
        'bk-1',
      );
      expect(bookingResultSchema.parse(booked)).toEqual(booked);
      expect(booked.status).toBe('confirmed');
      const abroad = await backend.bookTicket(
        { customerId: 'c-1003', optionId: 'FL-SHA-LON-20250614-2', passengers: 1 },
        'bk-2',
      );
      expect(abroad.status).toBe('pending');
      const unknown = await backend.bookTicket(
        { customerId: 'c-1001', optionId: 'TR-XXX-SHA-20250614-1', passengers: 1 },
        'bk-3',
      );
      expect(unknown.status).toBe('failed');
      const tooMany = await backend.bookTicket(
        { customerId: 'c-1001', optionId: option!.id, passengers: 10 },
        'bk-4',
      );
      expect(tooMany.status).toBe('failed');
    });

    test('the same idempotency key books once', async () => {
      const request = { customerId: 'c-1002', optionId: 'TR-BJS-SHA-20250614-1', passengers: 1 };
      const first = await backend.bookTicket(request, 'bk-same');
      expect(first.status).toBe('confirmed');
      expect(await backend.bookTicket(request, 'bk-same')).toEqual(first);
      if (fixture.demo) expect(fixture.demo.bookingsFor('c-1002')).toHaveLength(1);
    });
  });
}

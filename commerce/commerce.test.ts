import { KefuError } from '../bot/errors';
import {
  commerceErrors,
  isCommerceError,
  isRechargeDenomination,
  isValidRechargePhone,
  orderSchema,
  ordersResponseSchema,
  parseBackendAnswer,
  sortedEvents,
} from './commerce';

const order = {
  id: '1',
  customerId: 'c-1',
  status: 'shipped',
  createdAt: '2025-06-01T10:00:00+08:00',
  total: 199,
  currency: 'CNY',
  items: [{ sku: 'a', title: 'T恤', qty: 1, price: 199 }],
  shipment: {
    carrier: '顺丰速运',
    trackingNo: 'SF1',
    status: 'in_transit',
    events: [
      { time: '2025-06-02T09:00:00+08:00', description: 'b' },
      { time: '2025-06-02T02:00:00Z', description: 'a' },
    ],
  },
};

describe('commerce contract schemas', () => {
  it('parses the spec’s order shape and sorts events by instant, whatever the offset', () => {
    const parsed = parseBackendAnswer(orderSchema, order, 'order');
    expect(parsed.shipment && sortedEvents(parsed.shipment).map((e) => e.description)).toEqual(['b', 'a']);
    expect(parsed.shipment?.events[0]?.description).toBe('b');
  });

  it('turns a malformed answer into a non-retryable BACKEND_BAD_RESPONSE naming the field', () => {
    let caught: unknown;
    try {
      parseBackendAnswer(ordersResponseSchema, { orders: [{ ...order, status: 'lost' }] }, 'orders');
    } catch (err) {
      caught = err;
    }
    expect(isCommerceError(caught)).toBe(true);
    expect(caught).toBeInstanceOf(KefuError);
    expect(caught).toMatchObject({ code: 'BACKEND_BAD_RESPONSE', retryable: false, status: 502 });
    expect((caught as Error).message).toContain('orders.0.status');
  });

  it('has retryable unavailable and timeout errors', () => {
    expect(commerceErrors.unavailable('ECONNREFUSED')).toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      retryable: true,
    });
    expect(commerceErrors.timeout(3000)).toMatchObject({ code: 'BACKEND_TIMEOUT', retryable: true });
    const cause = new Error('boom');
    expect(commerceErrors.unavailable('x', cause).cause).toBe(cause);
  });

  it('validates recharge phones and denominations', () => {
    expect(isValidRechargePhone('13912345678')).toBe(true);
    expect(isValidRechargePhone('+8613912345678')).toBe(true);
    expect(isValidRechargePhone('12912345678')).toBe(false);
    expect(isValidRechargePhone('+0123456789')).toBe(false);
    expect(isRechargeDenomination(500)).toBe(true);
    expect(isRechargeDenomination(25)).toBe(false);
  });
});

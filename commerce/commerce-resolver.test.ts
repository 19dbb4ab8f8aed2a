import { CommerceError } from './commerce';
import {
  createCommerceResolver,
  type CommerceSettings,
  UnavailableCommerceBackend,
} from './commerce-resolver';
import { DemoCommerceBackend } from './demo.backend';
import { HttpCommerceBackend } from './http.backend';

const http = (
  over: Partial<Extract<CommerceSettings, { type: 'http' }>> = {},
): { commerce: CommerceSettings } => ({
  commerce: { type: 'http', baseUrl: 'http://127.0.0.1:9/shop', secret: 's3cret', ...over },
});

describe('createCommerceResolver', () => {
  test('no commerce settings → no backend', () => {
    expect(createCommerceResolver()('shop-1', {})).toBeUndefined();
  });

  test('demo: one instance per shop, kept across calls, so side effects persist', async () => {
    const made: string[] = [];
    const resolve = createCommerceResolver({
      demo: (shopId) => {
        made.push(shopId);
        return new DemoCommerceBackend();
      },
    });
    const a = resolve('shop-a', { commerce: { type: 'demo' } });
    expect(a).toBeInstanceOf(DemoCommerceBackend);
    expect(resolve('shop-a', { commerce: { type: 'demo' } })).toBe(a);
    const b = resolve('shop-b', { commerce: { type: 'demo' } });
    expect(b).not.toBe(a);
    expect(made).toEqual(['shop-a', 'shop-b']);
  });

  test('http: memoised while the settings stay the same, rebuilt when any of them changes', () => {
    const resolve = createCommerceResolver();
    const first = resolve('shop-1', http());
    expect(first).toBeInstanceOf(HttpCommerceBackend);
    expect(resolve('shop-1', http())).toBe(first);
    const rotated = resolve('shop-1', http({ secret: 'rotated' }));
    expect(rotated).not.toBe(first);
    const moved = resolve('shop-1', http({ secret: 'rotated', baseUrl: 'http://127.0.0.1:9/v2' }));
    expect(moved).not.toBe(rotated);
    const slower = resolve(
      'shop-1',
      http({ secret: 'rotated', baseUrl: 'http://127.0.0.1:9/v2', timeoutMs: 5000 }),
    );
    expect(slower).not.toBe(moved);
    expect(resolve('shop-1', { commerce: { type: 'demo' } })).toBeInstanceOf(DemoCommerceBackend);
    expect(resolve('shop-1', {})).toBeUndefined();
    expect(resolve('shop-1', http())).not.toBe(first);
  });

  test('one breaker per shop: a failing shop does not open another shop’s circuit', async () => {
    const fetch = jest.fn(async (url: string | URL | Request) => {
      if (String(url).startsWith('http://down.example')) throw new TypeError('fetch failed');
      return new Response(JSON.stringify({ id: 'c-1', name: 'A', tier: 1 }), { status: 200 });
    }) as unknown as typeof globalThis.fetch;
    const resolve = createCommerceResolver({ fetch, breaker: { failureThreshold: 2 }, http: { retries: 0 } });
    const down = resolve('down', http({ baseUrl: 'http://down.example' }))!;
    const up = resolve('up', http({ baseUrl: 'http://up.example' }))!;
    for (let i = 0; i < 2; i++) await expect(down.getCustomer('c-1')).rejects.toBeInstanceOf(CommerceError);
    const calls = (fetch as unknown as jest.Mock).mock.calls.length;
    await expect(down.getCustomer('c-1')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect((fetch as unknown as jest.Mock).mock.calls.length).toBe(calls); // failed fast
    await expect(up.getCustomer('c-1')).resolves.toEqual({ id: 'c-1', name: 'A', tier: 1 });
    // New settings, new breaker: the fixed shop is not held back by the old open circuit.
    const fixed = resolve('down', http({ baseUrl: 'http://up.example' }))!;
    await expect(fixed.getCustomer('c-1')).resolves.toBeDefined();
  });

  test('settings that cannot make a backend give one that fails like an unavailable backend', async () => {
    const backend = createCommerceResolver()('shop-1', http({ baseUrl: 'ftp://nope' }));
    expect(backend).toBeInstanceOf(UnavailableCommerceBackend);
    await expect(backend!.getOrder('1')).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      retryable: true,
    });
  });
});

import { commerceBackendContract, CONTRACT_NOW } from './commerce-backend.contract';
import { DemoCommerceBackend } from './demo.backend';
import { HttpCommerceBackend } from './http.backend';
import { startFakeShopServer } from './testing/fake-shop-server';

const SECRET = 'contract-secret';

describe('commerce backend contract: demo', () => {
  commerceBackendContract(async () => {
    const demo = new DemoCommerceBackend({ clock: () => CONTRACT_NOW });
    return { backend: demo, demo };
  });
});

describe('commerce backend contract: http, against a shop server serving the demo', () => {
  commerceBackendContract(async () => {
    const demo = new DemoCommerceBackend({ clock: () => CONTRACT_NOW });
    const server = await startFakeShopServer({ secret: SECRET, backend: demo, basePath: '/kefu' });
    const backend = new HttpCommerceBackend({ baseUrl: server.url, secret: SECRET, timeoutMs: 2000 });
    return {
      backend,
      demo,
      close: async () => {
        // Every request of the contract was signed and accepted.
        expect(server.requests.filter((r) => !r.verified)).toEqual([]);
        await server.close();
      },
    };
  });
});

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyKefuSignature } from '../../commerce/signature';
import { api } from '../support/http';
import { type TestServer, startTestServer } from '../support/server';

// "Test the connection" on the settings page: one signed GET to the shop's backend (issue 11).
// The backend here is a local HTTP server that checks the signature as a real shop's would
// (specs/commerce-backend.md); its base paths choose how it misbehaves.
const SECRET = 'shop-backend-secret';
let srv: TestServer;
let backend: http.Server;
let backendUrl: string;
let closedUrl: string;
let shop: { id: string; apiKey: string };
let shopB: { id: string; apiKey: string };
const seen: { path: string; method: string }[] = [];
const password = 'correct horse battery';

function startBackend(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    seen.push({ path, method: req.method ?? '' });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const check = verifyKefuSignature(
      SECRET,
      {
        timestamp: req.headers['x-kefu-timestamp'] as string,
        signature: req.headers['x-kefu-signature'] as string,
      },
      '',
    );
    if (path.startsWith('/slow/')) return void setTimeout(() => json(404, { error: 'late' }), 4500);
    if (path.startsWith('/boom/')) return json(503, { error: 'down' });
    if (path.startsWith('/html/'))
      return void res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>hi</h1>');
    if (path.startsWith('/moved/'))
      return void res.writeHead(302, { location: 'http://example.invalid/' }).end();
    if (!check.ok) return json(401, { error: 'bad signature', reason: check.reason });
    if (path === '/shop/customers/kefu-connection-test') return json(404, { error: 'no such customer' });
    if (path === '/known/customers/kefu-connection-test')
      return json(200, { id: 'kefu-connection-test', name: 'Test', tier: 0 });
    json(404, { error: 'unknown route' });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const test_ = (body?: unknown, opts: { token?: string; lang?: string } = {}) =>
  fetch(`${srv.url}/api/v1/shops/${shop.id}/settings/commerce/test`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${opts.token ?? shop.apiKey}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(opts.lang ? { 'accept-language': opts.lang } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).then(async (res) => ({ status: res.status, body: await res.json() }));

const http_ = (base: string, secret?: string) => ({
  commerce: { type: 'http', baseUrl: `${backendUrl}${base}`, ...(secret ? { secret } : {}) },
});

beforeAll(async () => {
  backend = await startBackend();
  backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  // A port nobody listens on: bound, then closed.
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
  closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((r) => closed.close(() => r()));

  srv = await startTestServer();
  shop = (
    await api(srv.url, 'POST', '/api/v1/shops', {
      token: srv.adminToken,
      body: { name: 'Commerce', owner: { email: 'owner@commerce.example', name: 'O', password } },
    })
  ).body;
  shopB = (await api(srv.url, 'POST', '/api/v1/shops', { token: srv.adminToken, body: { name: 'B' } })).body;
});
afterAll(async () => {
  await srv.stop();
  await new Promise<void>((r) => backend.close(() => r()));
});

describe('POST /settings/commerce/test', () => {
  test('a reachable backend that accepts the signature: ok, with one signed GET', async () => {
    seen.length = 0;
    const res = await test_(http_('/shop', SECRET));
    expect(res).toEqual({
      status: 200,
      body: {
        ok: true,
        status: 404,
        latencyMs: expect.any(Number),
        message: expect.stringContaining('Connected'),
      },
    });
    expect(seen).toEqual([{ path: '/shop/customers/kefu-connection-test', method: 'GET' }]);
    expect((await test_(http_('/known', SECRET))).body).toMatchObject({ ok: true, status: 200 });
  });

  test('a wrong secret: not ok, and the message says the secret is probably wrong', async () => {
    const res = await test_(http_('/shop', 'not-the-secret'));
    expect(res.body).toMatchObject({ ok: false, status: 401 });
    expect(res.body.message).toMatch(/secret is probably wrong/);
    const zh = await test_(http_('/shop', 'not-the-secret'), { lang: 'zh-CN' });
    expect(zh.body.message).toContain('密钥可能不正确');
  });

  test('timeout, connection refused, 5xx, non-JSON and redirects are not ok, each with its reason', async () => {
    const slow = await test_(http_('/slow', SECRET));
    expect(slow.body).toMatchObject({ ok: false, message: expect.stringContaining('3 seconds') });
    expect(slow.body.status).toBeUndefined();
    expect(slow.body.latencyMs).toBeGreaterThanOrEqual(2900);
    expect(slow.body.latencyMs).toBeLessThan(4500);

    const refused = await test_({ commerce: { type: 'http', baseUrl: closedUrl, secret: SECRET } });
    expect(refused.body).toMatchObject({ ok: false, message: expect.stringContaining('ECONNREFUSED') });
    expect((await test_(http_('/boom', SECRET))).body).toMatchObject({ ok: false, status: 503 });
    const html = await test_(http_('/html', SECRET));
    expect(html.body).toMatchObject({
      ok: false,
      status: 200,
      message: expect.stringContaining('not with JSON'),
    });
    expect((await test_(http_('/moved', SECRET))).body).toMatchObject({ ok: false, status: 302 });
  });

  test('without a body: the saved settings; the saved secret serves the saved baseUrl only', async () => {
    expect((await test_()).body).toMatchObject({
      ok: false,
      message: expect.stringContaining('No commerce backend'),
    });
    const saved = await api(srv.url, 'PUT', `/api/v1/shops/${shop.id}/settings`, {
      token: shop.apiKey,
      body: { commerce: { type: 'http', baseUrl: `${backendUrl}/shop/`, secret: SECRET } },
    });
    expect(saved.status).toBe(200);
    expect((await test_()).body).toMatchObject({ ok: true, status: 404 });
    // The form shows the masked secret: sent without one, the saved one is used for the saved address.
    expect((await test_(http_('/shop'))).body).toMatchObject({ ok: true });
    const elsewhere = await test_(http_('/known'));
    expect(elsewhere).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    expect(elsewhere.body.error.message).toContain('secret');
    // Not saved by testing.
    const settings = await api(srv.url, 'GET', `/api/v1/shops/${shop.id}/settings`, { token: shop.apiKey });
    expect(settings.body.commerce).toEqual({
      type: 'http',
      baseUrl: `${backendUrl}/shop/`,
      secret: '********',
    });
  });

  test('the demo backend is ok at once; baseUrls that are not http(s) are refused', async () => {
    expect((await test_({ commerce: { type: 'demo' } })).body).toEqual({
      ok: true,
      latencyMs: 0,
      message: expect.any(String),
    });
    for (const baseUrl of [
      'ftp://127.0.0.1/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'not a url',
      'http://u:p@127.0.0.1/',
    ]) {
      const res = await test_({ commerce: { type: 'http', baseUrl, secret: SECRET } });
      expect({ baseUrl, status: res.status, code: res.body.error?.code }).toEqual({
        baseUrl,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
    expect(
      (await test_({ commerce: { type: 'http', baseUrl: backendUrl, secret: SECRET, extra: 1 } })).status,
    ).toBe(400);
  });

  test('editors only, this shop only', async () => {
    const signIn = async (email: string) => {
      const res = await fetch(`${srv.url}/api/v1/auth/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      });
      return {
        cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]!,
        csrf: (await res.json()).csrfToken,
      };
    };
    const owner = await signIn('owner@commerce.example');
    await fetch(`${srv.url}/api/v1/shops/${shop.id}/users`, {
      method: 'POST',
      headers: { cookie: owner.cookie, 'x-csrf-token': owner.csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'agent@commerce.example', name: 'A', role: 'agent', password }),
    });
    const agent = await signIn('agent@commerce.example');
    const path = `${srv.url}/api/v1/shops/${shop.id}/settings/commerce/test`;
    const as = (who: { cookie: string; csrf: string }, csrf = true) =>
      fetch(path, {
        method: 'POST',
        headers: { cookie: who.cookie, ...(csrf ? { 'x-csrf-token': who.csrf } : {}) },
      });
    expect((await as(owner)).status).toBe(200);
    expect((await as(owner, false)).status).toBe(403);
    expect((await as(agent)).status).toBe(403);
    expect((await test_(undefined, { token: shopB.apiKey })).status).toBe(403);
    expect((await fetch(path, { method: 'POST' })).status).toBe(401);
  });
});

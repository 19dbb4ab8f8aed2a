import { api } from '../support/http';
import { type TestServer, startTestServer } from '../support/server';

// Merchant admin sign-in, roles, CSRF and tenant isolation, over the public API (issue 11).
let srv: TestServer;

interface Browser {
  cookie: string;
  csrf: string;
  user: { id: string; role: string; shopId: string };
}

/** A request as the admin page sends it: the session cookie, and the CSRF token unless told not to. */
async function call(
  b: Browser | undefined,
  method: string,
  path: string,
  opts: { body?: unknown; csrf?: string | false; contentType?: string; raw?: string } = {},
) {
  const headers: Record<string, string> = {};
  if (b) headers.cookie = b.cookie;
  const csrf = opts.csrf === undefined ? b?.csrf : opts.csrf;
  if (csrf) headers['x-csrf-token'] = csrf;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.contentType) headers['content-type'] = opts.contentType;
  const res = await fetch(srv.url + path, {
    method,
    headers,
    body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

async function signIn(email: string, password: string): Promise<Browser> {
  const res = await fetch(`${srv.url}/api/v1/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  expect(res.status).toBe(200);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const body = await res.json();
  return { cookie: setCookie.split(';')[0]!, csrf: body.csrfToken, user: body.user };
}

async function createShop(name: string, owner?: object) {
  const res = await api(srv.url, 'POST', '/api/v1/shops', {
    token: srv.adminToken,
    body: { name, ...(owner ? { owner } : {}) },
  });
  return res;
}

let shopA: { id: string; apiKey: string };
let shopB: { id: string; apiKey: string };
let ownerA: Browser;
let editorA: Browser;
let agentA: Browser;
let ownerB: Browser;
const password = 'correct horse battery';

beforeAll(async () => {
  srv = await startTestServer({ demo: true });
  const a = await createShop('Shop A', { email: 'Owner@A.example', name: 'Ann', password });
  expect(a.status).toBe(201);
  expect(a.body.owner).toMatchObject({ email: 'owner@a.example', role: 'owner', shopId: a.body.id });
  expect(JSON.stringify(a.body)).not.toContain('passwordHash');
  shopA = a.body;
  const b = await createShop('Shop B', { email: 'owner@b.example', name: 'Bo', password });
  shopB = b.body;
  ownerA = await signIn('owner@a.example', password);
  ownerB = await signIn('owner@b.example', password);
  for (const [email, role] of [
    ['editor@a.example', 'editor'],
    ['agent@a.example', 'agent'],
  ]) {
    const res = await call(ownerA, 'POST', `/api/v1/shops/${shopA.id}/users`, {
      body: { email, name: role, role, password },
    });
    expect(res.status).toBe(201);
  }
  editorA = await signIn('editor@a.example', password);
  agentA = await signIn('agent@a.example', password);
}, 120_000);

afterAll(() => srv.stop());

describe('sign-in', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie and never returns the hash', async () => {
    const res = await fetch(`${srv.url}/api/v1/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'OWNER@a.example', password }),
    });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^kefu_session=ses_/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    // Plain HTTP: a browser would drop a Secure cookie, so it is Secure only over HTTPS (next test).
    expect(cookie).not.toMatch(/Secure/i);
    const body = await res.json();
    expect(body.user).toMatchObject({ email: 'owner@a.example', role: 'owner', shopId: shopA.id });
    expect(body.user.passwordHash).toBeUndefined();
    expect(body.csrfToken).toMatch(/^csrf_/);
  });

  it('marks the cookie Secure behind an HTTPS proxy', async () => {
    const res = await fetch(`${srv.url}/api/v1/auth/sign-in`, {
      method: 'POST',
      // The proxy in front of Kefu (on loopback, which bot/server.ts trusts) terminated TLS.
      headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
      body: JSON.stringify({ email: 'owner@a.example', password }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(/; Secure/i);
  });

  it('refuses a wrong password and an unknown address with the same answer', async () => {
    for (const email of ['owner@a.example', 'nobody@a.example']) {
      const res = await api(srv.url, 'POST', '/api/v1/auth/sign-in', {
        body: { email, password: 'wrong password' },
      });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('INVALID_CREDENTIALS');
    }
  });

  it('knows the session, and sign-out ends it', async () => {
    const b = await signIn('editor@a.example', password);
    const session = await call(b, 'GET', '/api/v1/auth/session');
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ user: { role: 'editor' }, csrfToken: b.csrf });
    expect((await call(b, 'POST', '/api/v1/auth/sign-out', { csrf: false })).status).toBe(403);
    expect((await call(b, 'POST', '/api/v1/auth/sign-out')).status).toBe(204);
    expect((await call(b, 'GET', '/api/v1/auth/session')).status).toBe(401);
    expect((await call(b, 'GET', `/api/v1/shops/${shopA.id}/settings`)).status).toBe(401);
  });

  it('slows down password guessing', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await api(srv.url, 'POST', '/api/v1/auth/sign-in', {
        body: { email: 'guess@target.example', password: `guess ${i}` },
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
  });

  it('the demo shop has an owner who can sign in', async () => {
    expect(srv.demoOwner?.email).toBe('owner@demo.kefu.local');
    const b = await signIn(srv.demoOwner!.email, srv.demoOwner!.password);
    expect(b.user).toMatchObject({ shopId: 'demo', role: 'owner' });
  });
});

describe('roles', () => {
  it('owners and editors change settings; an agent reads conversations but not settings', async () => {
    const patch = { returnAddress: { name: 'A 售后', phone: '021-1', address: '上海 1 号' } };
    expect((await call(ownerA, 'PUT', `/api/v1/shops/${shopA.id}/settings`, { body: patch })).status).toBe(
      200,
    );
    const edited = await call(editorA, 'PUT', `/api/v1/shops/${shopA.id}/settings`, { body: patch });
    expect(edited.status).toBe(200);
    const denied = await call(agentA, 'PUT', `/api/v1/shops/${shopA.id}/settings`, { body: patch });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('ROLE_FORBIDDEN');
    expect((await call(agentA, 'GET', `/api/v1/shops/${shopA.id}/settings`)).status).toBe(403);
    expect((await call(agentA, 'POST', `/api/v1/shops/${shopA.id}/publish`)).status).toBe(403);
  });

  it('only owners manage users, and the last owner cannot be removed', async () => {
    const denied = await call(editorA, 'POST', `/api/v1/shops/${shopA.id}/users`, {
      body: { email: 'x@a.example', role: 'owner', password },
    });
    expect(denied.status).toBe(403);
    const users = await call(ownerA, 'GET', `/api/v1/shops/${shopA.id}/users`);
    expect(users.body.users.map((u: { role: string }) => u.role).sort()).toEqual([
      'agent',
      'editor',
      'owner',
    ]);
    expect(JSON.stringify(users.body)).not.toMatch(/password/i);
    const last = await call(ownerA, 'DELETE', `/api/v1/shops/${shopA.id}/users/${ownerA.user.id}`);
    expect(last.status).toBe(409);
    expect(last.body.error.code).toBe('LAST_OWNER');
  });

  it('a removed user is signed out at once', async () => {
    const added = await call(ownerA, 'POST', `/api/v1/shops/${shopA.id}/users`, {
      body: { email: 'temp@a.example', role: 'editor', password },
    });
    const temp = await signIn('temp@a.example', password);
    expect((await call(temp, 'GET', `/api/v1/shops/${shopA.id}/settings`)).status).toBe(200);
    expect((await call(ownerA, 'DELETE', `/api/v1/shops/${shopA.id}/users/${added.body.id}`)).status).toBe(
      204,
    );
    expect((await call(temp, 'GET', `/api/v1/shops/${shopA.id}/settings`)).status).toBe(401);
  });

  it('an e-mail signs in to one shop only', async () => {
    const res = await call(ownerB, 'POST', `/api/v1/shops/${shopB.id}/users`, {
      body: { email: 'EDITOR@a.example', role: 'editor', password },
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('EMAIL_TAKEN');
    const shop = await createShop('Shop C', { email: 'owner@a.example', password });
    expect(shop.status).toBe(409);
  });

  it('refuses weak passwords and unknown roles', async () => {
    for (const body of [
      { email: 'w@a.example', role: 'editor', password: 'short' },
      { email: 'w@a.example', role: 'admin', password },
      { email: 'not-an-email', role: 'editor', password },
    ]) {
      const res = await call(ownerA, 'POST', `/api/v1/shops/${shopA.id}/users`, { body });
      expect(res.status).toBe(400);
    }
  });
});

describe('CSRF', () => {
  it('a cookie request that changes something needs the CSRF token', async () => {
    const patch = { profile: { name: 'Hijacked' } };
    const none = await call(ownerA, 'PUT', `/api/v1/shops/${shopA.id}/settings`, {
      body: patch,
      csrf: false,
    });
    expect(none.status).toBe(403);
    expect(none.body.error.code).toBe('CSRF_FAILED');
    const wrong = await call(ownerA, 'PUT', `/api/v1/shops/${shopA.id}/settings`, {
      body: patch,
      csrf: ownerB.csrf,
    });
    expect(wrong.status).toBe(403);
    const read = await call(ownerA, 'GET', `/api/v1/shops/${shopA.id}/settings`);
    expect(read.body.profile?.name).not.toBe('Hijacked');
  });

  it('a cross-site form post is refused before anything runs', async () => {
    const form = await call(ownerA, 'POST', `/api/v1/shops/${shopA.id}/publish`, {
      csrf: false,
      contentType: 'application/x-www-form-urlencoded',
      raw: 'a=1',
    });
    expect(form.status).toBe(403);
    const users = await call(ownerA, 'POST', `/api/v1/shops/${shopA.id}/users`, {
      csrf: false,
      contentType: 'application/x-www-form-urlencoded',
      raw: 'email=evil%40x.example&role=owner&password=0123456789ab',
    });
    expect(users.status).toBe(403);
    const list = await call(ownerA, 'GET', `/api/v1/shops/${shopA.id}/users`);
    expect(list.body.users.some((u: { email: string }) => u.email === 'evil@x.example')).toBe(false);
  });
});

describe('tenant isolation', () => {
  it('a user of shop A can neither read nor change shop B', async () => {
    for (const [method, path, body] of [
      ['GET', `/api/v1/shops/${shopB.id}/settings`],
      ['PUT', `/api/v1/shops/${shopB.id}/settings`, { profile: { name: 'x' } }],
      ['GET', `/api/v1/shops/${shopB.id}/knowledge`],
      ['POST', `/api/v1/shops/${shopB.id}/publish`],
      ['GET', `/api/v1/shops/${shopB.id}/users`],
      ['POST', `/api/v1/shops/${shopB.id}/console/messages`, { text: '你好' }],
    ] as const) {
      for (const who of [ownerA, editorA]) {
        const res = await call(who, method, path, { body });
        expect([method, path, res.status]).toEqual([method, path, 403]);
      }
    }
  });

  it('settings secrets never come back', async () => {
    const put = await call(ownerA, 'PUT', `/api/v1/shops/${shopA.id}/settings`, {
      body: { commerce: { type: 'http', baseUrl: 'https://shop.example/api', secret: 'sup3r-secret-value' } },
    });
    expect(put.status).toBe(200);
    const got = await call(editorA, 'GET', `/api/v1/shops/${shopA.id}/settings`);
    expect(JSON.stringify(put.body) + JSON.stringify(got.body)).not.toContain('sup3r-secret-value');
    expect(got.body.commerce.baseUrl).toBe('https://shop.example/api');
  });
});

describe('test console', () => {
  it('answers with the debug view of the turn, and resets', async () => {
    const owner = await signIn(srv.demoOwner!.email, srv.demoOwner!.password);
    const first = await call(owner, 'POST', '/api/v1/shops/demo/console/messages', {
      body: { text: '运费怎么算', locale: 'zh-CN' },
    });
    expect(first.status).toBe(200);
    expect(first.body.sessionId).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
    expect(first.body.replies[0].text).toMatch(/运费|包邮/);
    expect(first.body.debug.skill).toBe('shop-knowledge');
    expect(first.body.debug.confidence).toBeGreaterThan(0);
    expect(first.body.debug.knowledge[0]).toMatchObject({
      question: expect.any(String),
      score: expect.any(Number),
    });

    const next = await call(owner, 'POST', '/api/v1/shops/demo/console/messages', {
      body: { text: '转人工', sessionId: first.body.sessionId },
    });
    expect(next.body.conversationId).toBe(first.body.conversationId);
    expect(next.body.debug.intent).toBe('common.human');

    const reset = await call(owner, 'POST', '/api/v1/shops/demo/console/reset', {
      body: { sessionId: first.body.sessionId },
    });
    expect(reset.status).toBe(204);
    const after = await call(owner, 'POST', '/api/v1/shops/demo/console/messages', {
      body: { text: '你好', sessionId: first.body.sessionId },
    });
    expect(after.body.conversationId).not.toBe(first.body.conversationId);
  });

  it('validates its input', async () => {
    const res = await call(ownerA, 'POST', `/api/v1/shops/${shopA.id}/console/messages`, {
      body: { text: '  ' },
    });
    expect(res.status).toBe(400);
    const agent = await call(agentA, 'POST', `/api/v1/shops/${shopA.id}/console/messages`, {
      body: { text: 'hi' },
    });
    expect(agent.status).toBe(403);
  });
});

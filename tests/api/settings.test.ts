import { api } from '../support/http';
import { type TestServer, startTestServer } from '../support/server';

// PUT …/settings as a merge patch: null removes a field or section (issue 11 polish), over the API.
let srv: TestServer;
let shopA: { id: string; apiKey: string };
let shopB: { id: string; apiKey: string };
let agentSession: { cookie: string; csrf: string };
let editorSession: { cookie: string; csrf: string };
const password = 'correct horse battery';

const path = (shopId: string) => `/api/v1/shops/${shopId}/settings`;
const put = (body: unknown, shop = shopA) => api(srv.url, 'PUT', path(shop.id), { token: shop.apiKey, body });
const get = (shop = shopA) => api(srv.url, 'GET', path(shop.id), { token: shop.apiKey });

async function signIn(email: string) {
  const res = await fetch(`${srv.url}/api/v1/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  expect(res.status).toBe(200);
  const body = await res.json();
  return { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]!, csrf: body.csrfToken as string };
}

async function sessionPut(s: { cookie: string; csrf: string }, body: unknown, csrf = true) {
  const res = await fetch(srv.url + path(shopA.id), {
    method: 'PUT',
    headers: {
      cookie: s.cookie,
      'content-type': 'application/json',
      ...(csrf ? { 'x-csrf-token': s.csrf } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const FULL = {
  profile: { name: 'Shop A', greeting: { 'zh-CN': '您好', 'en-US': 'Hello' } },
  returnAddress: { name: 'Returns', phone: '021-5555', address: '1 Road' },
  commerce: { type: 'http', baseUrl: 'https://shop.example/api', secret: 'commerce-secret-0001' },
  handoff: {
    confidenceThreshold: 0.4,
    autoAssign: true,
    vipMinTier: 4,
    vipTier: 'expert',
    expireMinutes: 30,
  },
  mode: 'assist',
  channels: {
    twilio: { authToken: 'twilio-secret-0001', agentNumber: '+862100000001' },
    vxml: { token: 'vxml-secret-0001', agentNumber: '+862100000002' },
    alexa: { skillId: 'amzn1.ask.skill.1' },
    aligenie: { skillId: 'ali-1', privateKey: 'ali-secret-0001' },
    agents: { appId: 'app-1', appPassword: 'agents-secret-0001', tenantId: 'tenant-1' },
  },
  digest: { webhookUrl: 'https://hooks.example/digest', email: 'ops@a.example', locale: 'en-US' },
};

beforeAll(async () => {
  srv = await startTestServer();
  const create = async (name: string, email: string) => {
    const res = await api(srv.url, 'POST', '/api/v1/shops', {
      token: srv.adminToken,
      body: { name, owner: { email, name, password } },
    });
    expect(res.status).toBe(201);
    return res.body;
  };
  shopA = await create('Shop A', 'owner@settings-a.example');
  shopB = await create('Shop B', 'owner@settings-b.example');
  const owner = await signIn('owner@settings-a.example');
  for (const [email, role] of [
    ['editor@settings-a.example', 'editor'],
    ['agent@settings-a.example', 'agent'],
  ]) {
    const res = await fetch(`${srv.url}/api/v1/shops/${shopA.id}/users`, {
      method: 'POST',
      headers: { cookie: owner.cookie, 'x-csrf-token': owner.csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ email, name: role, role, password }),
    });
    expect(res.status).toBe(201);
  }
  editorSession = await signIn('editor@settings-a.example');
  agentSession = await signIn('agent@settings-a.example');
}, 120_000);

afterAll(() => srv.stop());

beforeEach(async () => {
  // Every test starts from the same full settings (null the sections first: commerce replaces whole).
  const reset = await put({ ...Object.fromEntries(Object.keys(FULL).map((k) => [k, null])) });
  expect(reset.status).toBe(200);
  expect(reset.body).toEqual({});
  expect((await put(FULL)).status).toBe(200);
});

describe('the settings the page now edits', () => {
  it('are saved, and their secrets never come back', async () => {
    const got = await get();
    expect(got.status).toBe(200);
    expect(got.body.handoff).toEqual({
      confidenceThreshold: 0.4,
      autoAssign: true,
      vipMinTier: 4,
      vipTier: 'expert',
      expireMinutes: 30,
    });
    expect(got.body.channels.vxml).toEqual({ token: '********', agentNumber: '+862100000002' });
    expect(got.body.channels.aligenie).toEqual({ skillId: 'ali-1', privateKey: '********' });
    expect(got.body.channels.agents).toEqual({
      appId: 'app-1',
      appPassword: '********',
      tenantId: 'tenant-1',
    });
    expect(JSON.stringify(got.body)).not.toMatch(/secret-0001/);
  });
});

describe('null removes a field', () => {
  it('clears optional fields and keeps their siblings', async () => {
    const res = await put({
      profile: { greeting: { 'zh-CN': null } },
      digest: { webhookUrl: null },
      channels: { twilio: { agentNumber: null }, vxml: { agentNumber: null }, agents: { tenantId: null } },
      handoff: { angerThreshold: 0.7, vipMinTier: null },
    });
    expect(res.status).toBe(200);
    for (const body of [res.body, (await get()).body]) {
      expect(body.profile).toEqual({ name: 'Shop A', greeting: { 'en-US': 'Hello' } });
      expect(body.digest).toEqual({ email: 'ops@a.example', locale: 'en-US' });
      expect(body.channels.twilio).toEqual({ authToken: '********' });
      expect(body.channels.vxml).toEqual({ token: '********' });
      expect(body.channels.agents).toEqual({ appId: 'app-1', appPassword: '********' });
      expect(body.handoff).toEqual({
        confidenceThreshold: 0.4,
        autoAssign: true,
        angerThreshold: 0.7,
        vipTier: 'expert',
        expireMinutes: 30,
      });
      // Untouched sections stay as they were.
      expect(body.returnAddress).toEqual(FULL.returnAddress);
      expect(body.commerce).toEqual({ ...FULL.commerce, secret: '********' });
    }
  });

  it('removes a section left empty, and whole sections (falling back to their defaults)', async () => {
    const emptied = await put({ digest: { webhookUrl: null, email: null, locale: null } });
    expect(emptied.status).toBe(200);
    expect(emptied.body.digest).toBeUndefined();
    const whole = await put({ returnAddress: null, commerce: null, mode: null, channels: { alexa: null } });
    expect(whole.status).toBe(200);
    const got = (await get()).body;
    expect(got.returnAddress).toBeUndefined();
    expect(got.commerce).toBeUndefined();
    expect(got.mode).toBeUndefined();
    expect(got.channels.alexa).toBeUndefined();
    expect(got.channels.aligenie).toEqual({ skillId: 'ali-1', privateKey: '********' });
    // A secret can be removed over the API too (the page never offers it).
    expect((await put({ channels: { aligenie: { privateKey: null } } })).body.channels.aligenie).toEqual({
      skillId: 'ali-1',
    });
  });

  it('never stores a null inside a section that was not there', async () => {
    await put({ digest: null });
    const res = await put({ digest: { webhookUrl: null, email: 'new@a.example' } });
    expect(res.status).toBe(200);
    expect(res.body.digest).toEqual({ email: 'new@a.example' });
    expect((await get()).body.digest).toEqual({ email: 'new@a.example' });
    const none = await put({ nlu: { orderIdPattern: null } });
    expect(none.status).toBe(200);
    expect(none.body.nlu).toBeUndefined();
  });

  it('refuses null on a field its section requires, and changes nothing', async () => {
    const before = (await get()).body;
    for (const body of [
      { returnAddress: { name: 'R', phone: null, address: 'A' } },
      { returnAddress: { phone: null } },
      { commerce: { type: 'http', baseUrl: null, secret: 'x' } },
      { commerce: { type: null } },
      { channels: { alexa: { skillId: null } } },
      { profile: { greeting: null, name: '' } },
      { handoff: { autoAssign: 'yes' } },
    ]) {
      const res = await put(body);
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), 400]);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(res.body)).not.toMatch(/\bat\s+\S+\.(ts|js):\d+/);
    }
    expect((await get()).body).toEqual(before);
  });

  it('keeps every request without null meaning what it meant', async () => {
    const res = await put({ profile: { greeting: { 'zh-CN': '欢迎' } }, handoff: { expireMinutes: 90 } });
    expect(res.body.profile).toEqual({ name: 'Shop A', greeting: { 'zh-CN': '欢迎', 'en-US': 'Hello' } });
    expect(res.body.handoff.expireMinutes).toBe(90);
    expect(res.body.handoff.autoAssign).toBe(true);
    // A new backend still replaces the old one whole.
    const demo = await put({ commerce: { type: 'demo' } });
    expect(demo.body.commerce).toEqual({ type: 'demo' });
    // An empty string is still a value (the voice channel's "no agent number").
    const empty = await put({ channels: { twilio: { agentNumber: '' } } });
    expect(empty.body.channels.twilio).toEqual({ authToken: '********', agentNumber: '' });
  });
});

describe('access', () => {
  it('401 without credentials, 403 for another shop or an agent or no CSRF token, 404 for no shop', async () => {
    const clear = { digest: { webhookUrl: null } };
    const anonymous = await api(srv.url, 'PUT', path(shopA.id), { body: clear });
    expect(anonymous.status).toBe(401);
    expect((await put(clear, { ...shopA, apiKey: shopB.apiKey })).status).toBe(403);
    const agent = await sessionPut(agentSession, clear);
    expect(agent.status).toBe(403);
    expect((await sessionPut(editorSession, clear, false)).status).toBe(403);
    expect((await get()).body.digest.webhookUrl).toBe(FULL.digest.webhookUrl);
    const missing = await api(srv.url, 'PUT', path('shop_nope'), { token: srv.adminToken, body: clear });
    expect(missing.status).toBe(404);
    // The editor (with the CSRF token) may clear it.
    const editor = await sessionPut(editorSession, clear);
    expect(editor.status).toBe(200);
    expect(editor.body.digest).toEqual({ email: 'ops@a.example', locale: 'en-US' });
  });
});

describe('OpenAPI', () => {
  it('documents null in the PUT body', async () => {
    const doc = (await api(srv.url, 'GET', '/api/v1/openapi.json')).body;
    const body =
      doc.paths['/api/v1/shops/{shopId}/settings'].put.requestBody.content['application/json'].schema;
    const text = JSON.stringify(body);
    expect(text).toContain('null removes');
    const webhook = body.properties.digest.anyOf.find((s: { type?: string }) => s.type === 'object')
      .properties.webhookUrl;
    expect(JSON.stringify(webhook)).toContain('"type":"null"');
    const phone = body.properties.returnAddress.anyOf.find((s: { type?: string }) => s.type === 'object')
      .properties.phone;
    expect(JSON.stringify(phone)).not.toContain('null');
  });
});

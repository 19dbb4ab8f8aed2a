import { Writable } from 'node:stream';
import { userHashFor } from '../../bot/identity';
import { createLogger } from '../../bot/log';
import { createTestDatabase, describeWith, serviceUrl } from '../support/services';
import { type TestServer, startTestServer } from '../support/server';

/*
 * The tenant isolation matrix (issue 12): every path × method of the server's own OpenAPI document,
 * called as nobody, as another shop (its API key, one of its agents, its signed-in owner) and as an
 * agent of the same shop on an owner/editor action. The expected answer of each pair is derived from
 * the operation's `security` by the rules in `expectation()`; the target shop is seeded with marker
 * strings that no refused (or foreign) answer may contain, and the server's logs are read for
 * credentials and the customer's phone number in clear.
 */

const TARGET = 'demo';
const PASSWORD = 'correct horse battery';
const MARK = {
  answer: 'ISOLATION-KB-ANSWER-5c1e',
  address: 'ISOLATION-RETURN-ADDRESS-9b2d',
  text: 'ISOLATION-CONVERSATION-TEXT-3f7a',
  phone: '13912345678',
} as const;
const MARKERS = Object.values(MARK);
/** The security schemes of the merchant API; any other scheme (vxmlToken, botFrameworkJwt) is a channel's. */
const API_SCHEMES = ['shopApiKey', 'adminToken', 'sessionCookie', 'agentToken'] as const;
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

type SecurityRequirement = Record<string, string[]>;
interface Operation {
  method: string;
  path: string;
  key: string;
  security: SecurityRequirement[] | undefined;
}

type Scheme = 'none' | 'shopApiKey' | 'agentToken' | 'sessionCookie';
interface Caller {
  name: string;
  scheme: Scheme;
  shopId: string | undefined;
  role?: 'owner' | 'editor' | 'agent';
  bearer?: string;
  cookie?: string;
  csrf?: string;
}
/** A status list, or `allowed` (the caller may do this: not part of the matrix). */
type Expectation = readonly number[] | 'allowed';

interface Sent {
  status: number;
  text: string;
}

/*
 * Roles of the admin sessions (specs/http-api.md): by default owners and editors; these differ. The
 * document does not carry roles, so they are listed here, each with its reason.
 */
const SESSION_ROLES: { match: RegExp; roles: readonly string[]; reason: string }[] = [
  {
    match: /^\w+ \/api\/v1\/shops\/\{shopId\}\/users(\/|$)/,
    roles: ['owner'],
    reason: 'only owners manage users',
  },
  {
    match: /^GET \/api\/v1\/shops\/\{shopId\}\/conversations(\/\{conversationId\})?$/,
    roles: ['owner', 'editor', 'agent'],
    reason: 'agents read conversations (staff)',
  },
];
const EDITORS = ['owner', 'editor'];

/** Answers that the rules do not derive, each with its reason. */
const EXCEPTIONS: Record<string, { expect: (c: Caller) => Expectation; reason: string }> = {
  'POST /api/v1/auth/sign-out': {
    // Idempotent: there is nothing to end without a session, and no data in the answer.
    expect: (c) => (c.scheme === 'sessionCookie' ? 'allowed' : [204]),
    reason: 'ends only the caller’s own session; without one it is a 204 with an empty body',
  },
  'POST /api/v1/shops/{shopId}/messages': {
    // A customer chats without an account: a caller with no bearer is an anonymous customer.
    expect: (c) => (c.bearer === undefined ? 'allowed' : c.scheme === 'shopApiKey' ? [403] : [401]),
    reason: 'customers chat anonymously; a bearer that is sent must be the shop’s key',
  },
};

function hasApiScheme(op: Operation): boolean {
  return (op.security ?? []).some((req) =>
    Object.keys(req).some((s) => (API_SCHEMES as readonly string[]).includes(s)),
  );
}

/** The rules: what `caller` must get from `op` on the target shop. */
function expectation(op: Operation, caller: Caller): Expectation {
  const exception = EXCEPTIONS[op.key];
  if (exception) return exception.expect(caller);
  const schemes = (op.security ?? []).flatMap((req) => Object.keys(req));
  // No credentials, or credentials this operation does not take (a session where only bearer
  // tokens count, an agent's token where only the shop key counts): unauthenticated.
  if (caller.scheme === 'none' || !schemes.includes(caller.scheme)) return [401];
  // Not about a shop (the caller's own session, an agent's own profile): the caller's own data.
  if (!op.path.includes('{shopId}')) return 'allowed';
  if (caller.shopId !== TARGET) return [403];
  if (caller.scheme === 'sessionCookie') {
    const roles = SESSION_ROLES.find((r) => r.match.test(op.key))?.roles ?? EDITORS;
    return roles.includes(caller.role!) ? 'allowed' : [403];
  }
  return 'allowed';
}

const QUERIES: Record<string, string> = {
  'GET /api/v1/shops/{shopId}/knowledge/template': '?format=csv',
  'GET /api/v1/shops/{shopId}/knowledge/export': '?format=csv',
  'POST /api/v1/shops/{shopId}/knowledge/import': '?dryRun=false',
  'GET /api/v1/shops/{shopId}/analytics/digest': '?day=2026-01-05&format=json',
};

/** Valid bodies, so an answer cannot come from validation instead of authorization. */
function bodyFor(
  op: Operation,
  actingAgentId: string | undefined,
): { type: string; raw: string } | undefined {
  if (op.method === 'GET' || op.method === 'DELETE') return undefined;
  const agentId = actingAgentId ? { agentId: actingAgentId } : {};
  const json = (body: unknown) => ({ type: 'application/json', raw: JSON.stringify(body) });
  const p = op.path.replace('/api/v1/shops/{shopId}', '');
  switch (p) {
    case '/settings':
      return json({ returnAddress: { name: 'Evil', phone: '000', address: 'Evil street' } });
    case '/knowledge':
      return json({ entries: [{ locale: 'zh-CN', question: 'evil question', answer: 'evil answer' }] });
    case '/knowledge/import':
      return {
        type: 'text/csv',
        raw: 'id,locale,question,similar,answer\n,zh-CN,evil question,,evil answer\n',
      };
    case '/knowledge/{entryId}/similar':
      return json({ text: 'evil similar question' });
    case '/console/messages':
      return json({ text: '你好' });
    case '/console/reset':
      return json({ sessionId: 'isolation-session-0001' });
    case '/users':
      return json({ email: 'evil@evil.example', name: 'Evil', role: 'owner', password: PASSWORD });
    case '/agents':
      return json({ name: 'Evil', tier: 'L1', languages: ['zh-CN'], maxConcurrent: 1 });
    case '/agents/{agentId}/status':
      return json({ status: 'online' });
    case '/handoffs/{handoffId}/transfer':
      return json({ tier: 'L2', ...agentId });
    case '/handoffs/{handoffId}/resolve':
      return json({ returnToBot: true, ...agentId });
    case '/conversations/{conversationId}/agent-messages':
      return json({ text: 'evil reply', ...agentId });
    case '/messages':
      return json({ userId: 'isolation-probe', text: '你好' });
    default:
      if (op.path === '/api/v1/shops') return json({ name: 'Evil shop' });
      return json(
        p.startsWith('/handoffs') || p.startsWith('/drafts') || p.startsWith('/tickets') ? agentId : {},
      );
  }
}

function fillPath(path: string, shopId: string, ids: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    if (name === 'shopId') return shopId;
    const id = ids[name];
    if (!id) throw new Error(`No id of the target shop for {${name}} in ${path}: seed one in this test`);
    return encodeURIComponent(id);
  });
}

/**
 * The isolation suite against one server. `database` gives the PostgreSQL URL, or none for the
 * embedded default.
 */
function isolationSuite(database: () => Promise<{ url?: string; drop(): Promise<void> }>) {
  let srv: TestServer;
  let drop: () => Promise<void> = async () => undefined;
  const logLines: string[] = [];
  let ops: Operation[] = [];
  let shopB: { id: string; apiKey: string };
  let ids: Record<string, string>;
  let idsB: Record<string, string>;
  let callers: Record<'none' | 'keyB' | 'agentB' | 'ownerB' | 'agentA' | 'agentSessionA' | 'editorA', Caller>;
  let keyA: string;
  let ownerA: Caller;
  let secretA: string;
  const secrets: string[] = [];
  const channelSecrets = {
    twilio: 'isolation-twilio-auth-token-7d1',
    vxml: 'isolation-vxml-token-2c9',
    aligenie: 'isolation-aligenie-key-4e8',
    agents: 'isolation-botframework-pw-6a3',
  };

  async function send(
    method: string,
    url: string,
    who: Partial<Caller>,
    body?: { type: string; raw: string },
    headers: Record<string, string> = {},
  ): Promise<Sent> {
    const h: Record<string, string> = { ...headers };
    if (who.bearer) h.authorization = `Bearer ${who.bearer}`;
    if (who.cookie) h.cookie = who.cookie;
    if (who.csrf) h['x-csrf-token'] = who.csrf;
    if (body) h['content-type'] = body.type;
    const abort = new AbortController();
    const res = await fetch(srv.url + url, { method, headers: h, body: body?.raw, signal: abort.signal });
    let text: string;
    if ((res.headers.get('content-type') ?? '').includes('text/event-stream')) {
      // A stream never ends: read what it sends in a moment, then hang up.
      const reader = res.body!.getReader();
      const chunks: string[] = [];
      const decoder = new TextDecoder();
      const until = Date.now() + 400;
      while (Date.now() < until) {
        const next = await Promise.race([
          reader.read(),
          new Promise<undefined>((r) => setTimeout(r, until - Date.now())),
        ]);
        if (!next || next.done) break;
        chunks.push(decoder.decode(next.value));
      }
      abort.abort();
      text = chunks.join('');
    } else {
      text = await res.text();
    }
    return { status: res.status, text };
  }

  async function json<T>(method: string, url: string, who: Partial<Caller>, body?: unknown): Promise<T> {
    const raw = body === undefined ? undefined : { type: 'application/json', raw: JSON.stringify(body) };
    const res = await send(method, url, who, raw);
    if (res.status >= 300) throw new Error(`${method} ${url} → ${res.status} ${res.text}`);
    return (res.text ? JSON.parse(res.text) : {}) as T;
  }

  async function signIn(email: string, password: string, role: Caller['role']): Promise<Caller> {
    const res = await fetch(`${srv.url}/api/v1/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    expect(res.status).toBe(200);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    const body = (await res.json()) as { csrfToken: string; user: { shopId: string } };
    secrets.push(cookie.split('=')[1]!, body.csrfToken);
    return {
      name: `${role} session of ${body.user.shopId}`,
      scheme: 'sessionCookie',
      shopId: body.user.shopId,
      role,
      cookie,
      csrf: body.csrfToken,
    };
  }

  function leaked(text: string): string[] {
    return MARKERS.filter((m) => text.includes(m));
  }

  /**
   * One operation as one caller on `path` (query added): a wrong status or any of the target's data
   * in the answer comes back as a line for the failure list.
   */
  async function probe(
    op: Operation,
    caller: Caller,
    path: string,
    actingAgent: string | undefined,
    expected: readonly number[],
  ): Promise<string | undefined> {
    const res = await send(
      op.method,
      path + (QUERIES[op.key] ?? ''),
      caller,
      bodyFor(op, caller.scheme === 'agentToken' ? undefined : actingAgent),
    );
    const leaks = leaked(res.text);
    if (expected.includes(res.status) && !leaks.length) return undefined;
    return `${op.key} as ${caller.name}: ${res.status} (expected ${expected.join('/')})${leaks.length ? ` leaking ${leaks.join(', ')}` : ''}`;
  }

  beforeAll(async () => {
    const db = await database();
    drop = db.drop;
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    });
    srv = await startTestServer({
      demo: true,
      databaseUrl: db.url,
      rateLimitBurst: 10_000,
      log: createLogger({ level: 'trace', destination: sink }),
    });
    keyA = srv.demoApiKey!;
    secretA = (await srv.platform.store.shops.findById(TARGET))!.identitySecret;
    secrets.push(keyA, srv.adminToken, ...Object.values(channelSecrets));

    const doc = await json<{ paths: Record<string, Record<string, { security?: SecurityRequirement[] }>> }>(
      'GET',
      '/api/v1/openapi.json',
      {},
    );
    ops = Object.entries(doc.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((m) => ({
        method: m.toUpperCase(),
        path,
        key: `${m.toUpperCase()} ${path}`,
        security: item[m]!.security,
      })),
    );

    // The other shop, its owner and one of its agents.
    const b = await json<{ id: string; apiKey: string }>(
      'POST',
      '/api/v1/shops',
      { bearer: srv.adminToken },
      {
        name: 'Other shop',
        owner: { email: 'owner@other.example', name: 'Bo', password: PASSWORD },
      },
    );
    shopB = { id: b.id, apiKey: b.apiKey };
    secrets.push(shopB.apiKey);
    const agentB = await json<{ id: string; token: string }>(
      'POST',
      `/api/v1/shops/${shopB.id}/agents`,
      { bearer: shopB.apiKey },
      {
        name: 'Other agent',
        tier: 'L1',
        languages: ['zh-CN'],
        maxConcurrent: 5,
      },
    );
    secrets.push(agentB.token);
    const ownerB = await signIn('owner@other.example', PASSWORD, 'owner');

    // The target shop: its people…
    ownerA = await signIn(srv.demoOwner!.email, srv.demoOwner!.password, 'owner');
    const users: Record<string, string> = {};
    for (const role of ['editor', 'agent'] as const) {
      const u = await json<{ id: string }>('POST', `/api/v1/shops/${TARGET}/users`, ownerA, {
        email: `${role}@target.example`,
        name: role,
        role,
        password: PASSWORD,
      });
      users[role] = u.id;
    }
    const editorA = await signIn('editor@target.example', PASSWORD, 'editor');
    const agentSessionA = await signIn('agent@target.example', PASSWORD, 'agent');
    const agentA = await json<{ id: string; token: string }>(
      'POST',
      `/api/v1/shops/${TARGET}/agents`,
      { bearer: keyA },
      {
        name: 'Target agent',
        tier: 'L1',
        languages: ['zh-CN'],
        maxConcurrent: 5,
      },
    );
    secrets.push(agentA.token);

    // …and its data, with the markers.
    await json(
      'PUT',
      `/api/v1/shops/${TARGET}/settings`,
      { bearer: keyA },
      {
        returnAddress: { name: '退货组', phone: '021-5555-0000', address: MARK.address },
        channels: {
          twilio: { authToken: channelSecrets.twilio },
          vxml: { token: channelSecrets.vxml },
          alexa: { skillId: 'amzn1.ask.skill.isolation' },
          aligenie: { skillId: 'isolation', privateKey: channelSecrets.aligenie },
          agents: {
            appId: 'isolation-app',
            appPassword: channelSecrets.agents,
            tenantId: 'isolation-tenant',
          },
        },
      },
    );
    const kb = await json<{ ids: string[] }>(
      'POST',
      `/api/v1/shops/${TARGET}/knowledge`,
      { bearer: keyA },
      {
        entries: [{ locale: 'zh-CN', question: '隔离测试的专用问题', answer: MARK.answer }],
      },
    );
    const customer = { userId: MARK.phone, userHash: userHashFor(secretA, MARK.phone) };
    const said = await json<{ conversationId: string }>(
      'POST',
      `/api/v1/shops/${TARGET}/messages`,
      {},
      {
        ...customer,
        text: `${MARK.text}，我的电话 ${MARK.phone}`,
      },
    );
    await json('POST', `/api/v1/shops/${TARGET}/messages`, {}, { ...customer, text: '转人工' });
    const handoffs = await json<{ handoffs: { id: string; conversationId: string }[] }>(
      'GET',
      `/api/v1/shops/${TARGET}/handoffs?status=open`,
      { bearer: keyA },
    );
    const handoff = handoffs.handoffs.find((h) => h.conversationId === said.conversationId);
    expect(handoff).toBeDefined();
    const { store } = srv.platform;
    const draft = await store.drafts.create({
      shopId: TARGET,
      conversationId: said.conversationId,
      question: MARK.text,
      replies: [{ text: MARK.answer }],
    });
    const ticket = await store.tickets.create({
      shopId: TARGET,
      conversationId: said.conversationId,
      userId: MARK.phone,
      handoffId: handoff!.id,
      reason: 'customer_request',
    });
    const job = await store.jobs.create(TARGET, 'isolation-probe');
    ids = {
      conversationId: said.conversationId,
      handoffId: handoff!.id,
      entryId: kb.ids[0]!,
      jobId: job.id,
      agentId: agentA.id,
      userId: users.agent!,
      draftId: draft.id,
      ticketId: ticket.id,
    };
    idsB = { agentId: agentB.id };

    callers = {
      none: { name: 'no credentials', scheme: 'none', shopId: undefined },
      keyB: { name: 'another shop’s API key', scheme: 'shopApiKey', shopId: shopB.id, bearer: shopB.apiKey },
      agentB: {
        name: 'another shop’s agent token',
        scheme: 'agentToken',
        shopId: shopB.id,
        bearer: agentB.token,
      },
      ownerB: { ...ownerB, name: 'another shop’s owner session' },
      agentA: {
        name: 'the shop’s own agent token',
        scheme: 'agentToken',
        shopId: TARGET,
        bearer: agentA.token,
      },
      agentSessionA: { ...agentSessionA, name: 'the shop’s own agent session' },
      editorA: { ...editorA, name: 'the shop’s own editor session' },
    };
  }, 120_000);

  afterAll(async () => {
    await srv?.stop();
    await drop();
  });

  test('every operation in the document says who may call it', () => {
    expect(ops.length).toBeGreaterThan(40);
    const undeclared = ops.filter((op) => op.security === undefined).map((op) => op.key);
    expect(undeclared).toEqual([]);
  });

  test('the target shop’s ids are real: its own key reads every one of them', async () => {
    const reads = ops.filter(
      (op) => op.method === 'GET' && /\{(?!shopId)\w+\}/.test(op.path) && hasApiScheme(op),
    );
    expect(reads.length).toBeGreaterThan(5);
    for (const op of reads) {
      const res = await send('GET', fillPath(op.path, TARGET, ids), { bearer: keyA });
      expect([op.key, res.status]).toEqual([op.key, 200]);
    }
  });

  test('the matrix: nobody, another shop and the wrong role get 401/403 and none of the shop’s data', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const op of ops.filter(hasApiScheme)) {
      for (const caller of Object.values(callers)) {
        const expected = expectation(op, caller);
        if (expected === 'allowed') continue;
        const actingAgent = caller.shopId === shopB.id ? idsB.agentId : ids.agentId;
        const failure = await probe(op, caller, fillPath(op.path, TARGET, ids), actingAgent, expected);
        checked++;
        if (failure) failures.push(failure);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(200);
  });

  test('the matrix changed nothing in the target shop', async () => {
    const settings = await json<{ returnAddress: { address: string } }>(
      'GET',
      `/api/v1/shops/${TARGET}/settings`,
      { bearer: keyA },
    );
    expect(settings.returnAddress.address).toBe(MARK.address);
    const kb = await json<{ entries: { id: string; question: string; similar: string[] }[] }>(
      'GET',
      `/api/v1/shops/${TARGET}/knowledge`,
      { bearer: keyA },
    );
    expect(kb.entries.find((e) => e.id === ids.entryId)?.similar).toEqual([]);
    expect(kb.entries.some((e) => e.question.startsWith('evil'))).toBe(false);
    const users = await json<{ users: { id: string; email: string }[] }>(
      'GET',
      `/api/v1/shops/${TARGET}/users`,
      { bearer: keyA },
    );
    expect(users.users.map((u) => u.id)).toContain(ids.userId);
    expect(users.users.some((u) => u.email.startsWith('evil'))).toBe(false);
    const agents = await json<{ agents: { id: string; name: string }[] }>(
      'GET',
      `/api/v1/shops/${TARGET}/agents`,
      { bearer: keyA },
    );
    expect(agents.agents.map((a) => a.id)).toContain(ids.agentId);
    expect(agents.agents.some((a) => a.name === 'Evil')).toBe(false);
    const handoff = await json<{ status: string }>(
      'GET',
      `/api/v1/shops/${TARGET}/handoffs/${ids.handoffId}`,
      { bearer: keyA },
    );
    expect(handoff.status).toBe('pending');
    const drafts = await json<{ drafts: { id: string }[] }>('GET', `/api/v1/shops/${TARGET}/drafts`, {
      bearer: keyA,
    });
    expect(drafts.drafts.map((d) => d.id)).toContain(ids.draftId);
    const tickets = await json<{ tickets: { id: string }[] }>('GET', `/api/v1/shops/${TARGET}/tickets`, {
      bearer: keyA,
    });
    expect(tickets.tickets.map((t) => t.id)).toContain(ids.ticketId);
  });

  test('the shop’s ids under another shop’s path, with that shop’s credentials: 404, never its data', async () => {
    const failures: string[] = [];
    let checked = 0;
    const withIds = ops.filter(
      (op) => hasApiScheme(op) && op.path.includes('{shopId}') && /\{(?!shopId)\w+\}/.test(op.path),
    );
    for (const op of withIds) {
      const schemes = (op.security ?? []).flatMap((r) => Object.keys(r));
      for (const caller of [callers.keyB, callers.ownerB, callers.agentB]) {
        if (!schemes.includes(caller.scheme)) continue;
        // An agent acts only for themselves: naming another agent is a 403 before any lookup.
        const expected = caller.scheme === 'agentToken' && op.path.includes('{agentId}') ? [403, 404] : [404];
        const failure = await probe(op, caller, fillPath(op.path, shopB.id, ids), idsB.agentId, expected);
        checked++;
        if (failure) failures.push(failure);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  test('another shop reading its own lists sees none of the target shop’s data', async () => {
    const lists = ops.filter(
      (op) =>
        op.method === 'GET' &&
        hasApiScheme(op) &&
        op.path.includes('{shopId}') &&
        !/\{(?!shopId)\w+\}/.test(op.path),
    );
    let checked = 0;
    for (const op of lists) {
      const schemes = (op.security ?? []).flatMap((r) => Object.keys(r));
      for (const caller of [callers.keyB, callers.ownerB, callers.agentB]) {
        if (!schemes.includes(caller.scheme)) continue;
        const res = await send('GET', fillPath(op.path, shopB.id, ids) + (QUERIES[op.key] ?? ''), caller);
        checked++;
        expect([op.key, caller.name, res.status < 500, leaked(res.text)]).toEqual([
          op.key,
          caller.name,
          true,
          [],
        ]);
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  describe('public operations', () => {
    /** The public operations checked by a test below (besides the plain GET pages). */
    const CUSTOMER = ['POST /api/v1/shops/{shopId}/messages'];
    const WEBHOOKS = [
      'POST /channels/alexa/{shopId}',
      'POST /channels/aligenie/{shopId}',
      'POST /channels/twilio/{shopId}/voice',
      'GET /channels/vxml/{shopId}/start',
      'POST /channels/vxml/{shopId}/start',
      'POST /channels/vxml/{shopId}/turn',
      'POST /channels/agents/{shopId}/messages',
    ];
    const SIGN_IN = 'POST /api/v1/auth/sign-in';

    test('every public operation is checked here', () => {
      const publicOps = ops.filter((op) => !hasApiScheme(op) || op.key === CUSTOMER[0]);
      const unchecked = publicOps
        .filter((op) => op.method !== 'GET' || /\{(?!shopId)\w+\}/.test(op.path))
        .map((op) => op.key)
        .filter((k) => ![...CUSTOMER, ...WEBHOOKS, SIGN_IN].includes(k));
      expect(unchecked).toEqual([]);
    });

    test('pages, health and the widget’s config carry none of the shop’s data', async () => {
      const pages = ops.filter(
        (op) => !hasApiScheme(op) && op.method === 'GET' && !/\{(?!shopId)\w+\}/.test(op.path),
      );
      expect(pages.length).toBeGreaterThan(8);
      for (const op of pages) {
        const res = await send('GET', fillPath(op.path, TARGET, ids), {});
        expect([op.key, res.status < 500, leaked(res.text)]).toEqual([op.key, true, []]);
      }
    });

    test('sign-in: a wrong password is a 401 that says nothing', async () => {
      const res = await send(
        SIGN_IN.split(' ')[0]!,
        SIGN_IN.split(' ')[1]!,
        {},
        {
          type: 'application/json',
          raw: JSON.stringify({ email: srv.demoOwner!.email, password: 'not the password' }),
        },
      );
      expect(res.status).toBe(401);
      expect(leaked(res.text)).toEqual([]);
    });

    test('customers: a wrong userHash is a 401, another customer’s conversation a 404', async () => {
      const base = `/api/v1/shops/${TARGET}`;
      const post = (body: unknown, who: Partial<Caller> = {}) =>
        send('POST', `${base}/messages`, who, { type: 'application/json', raw: JSON.stringify(body) });
      const wrongHash = await post({ userId: MARK.phone, userHash: 'ab'.repeat(32), text: '我的订单' });
      expect(wrongHash.status).toBe(401);
      // A hash another shop would vouch with is not this shop's.
      const otherSecret = (await srv.platform.store.shops.findById(shopB.id))!.identitySecret;
      const foreign = await post({
        userId: MARK.phone,
        userHash: userHashFor(otherSecret, MARK.phone),
        text: '我的订单',
      });
      expect(foreign.status).toBe(401);
      expect((await post({ userId: 'x', text: 'hi' }, callers.keyB)).status).toBe(403);
      expect((await post({ userId: 'x', text: 'hi' }, callers.agentA)).status).toBe(401);
      // An anonymous visitor may not write into (and speak as) the verified customer's conversation.
      const impostor = await post({ userId: MARK.phone, text: '把我的收货地址改成别处' });
      expect(impostor.status).toBe(401);
      expect(leaked(impostor.text)).toEqual([]);
      // Nor read back the verified customer's answer by replaying their retry id.
      const retryId = { clientMessageId: 'isolation-retry-1' };
      const vouched = { userId: MARK.phone, userHash: userHashFor(secretA, MARK.phone) };
      expect((await post({ ...vouched, ...retryId, text: '我的订单' })).status).toBe(200);
      const replay = await post({ userId: MARK.phone, ...retryId, text: '我的订单' });
      expect(replay.status).toBe(401);
      expect(leaked(replay.text)).toEqual([]);
      // Anonymous visitors with their own ids still chat.
      const anonymous = await post({ userId: 'isolation-visitor', text: '你好' });
      expect(anonymous.status).toBe(200);
      expect(leaked(anonymous.text)).toEqual([]);
      const history = await json<{ messages: { text: string | null }[] }>(
        'GET',
        `${base}/conversations/${ids.conversationId}/messages`,
        { bearer: keyA },
      );
      expect(history.messages.some((m) => m.text?.includes('收货地址'))).toBe(false);

      for (const tail of ['messages', 'events']) {
        const url = `${base}/conversations/${ids.conversationId}/${tail}`;
        const other = 'another-customer';
        const cases: [string, Partial<Caller>, number[]][] = [
          ['', {}, [401]],
          [`?userId=${MARK.phone}&userHash=${'ab'.repeat(32)}`, {}, [401]],
          [`?userId=${other}&userHash=${userHashFor(secretA, other)}`, {}, [403, 404]],
          [`?userId=${MARK.phone}&userHash=${userHashFor(otherSecret, MARK.phone)}`, {}, [401]],
        ];
        for (const [query, who, expected] of cases) {
          const res = await send('GET', url + query, who);
          expect([tail, query, expected.includes(res.status), res.status, leaked(res.text)]).toEqual([
            tail,
            query,
            true,
            res.status,
            [],
          ]);
        }
      }
      // The customer's own view works (so the refusals above are about the caller, not the id).
      const own = await send(
        'GET',
        `${base}/conversations/${ids.conversationId}/messages?userId=${MARK.phone}&userHash=${userHashFor(secretA, MARK.phone)}`,
        {},
      );
      expect(own.status).toBe(200);
      expect(own.text).toContain(MARK.text);
    });

    test('channel webhooks without a valid signature or token: refused, nothing stored', async () => {
      const snapshot = async () =>
        (await send('GET', `/api/v1/shops/${TARGET}/conversations?limit=200`, { bearer: keyA })).text;
      const before = await snapshot();
      const form = (fields: Record<string, string>) => ({
        type: 'application/x-www-form-urlencoded',
        raw: new URLSearchParams(fields).toString(),
      });
      const jsonBody = (body: unknown) => ({ type: 'application/json', raw: JSON.stringify(body) });
      const now = new Date().toISOString();
      const alexa = jsonBody({
        version: '1.0',
        session: {
          sessionId: 's-1',
          application: { applicationId: 'amzn1.ask.skill.isolation' },
          user: { userId: 'u-1' },
        },
        request: {
          type: 'IntentRequest',
          requestId: 'r-1',
          timestamp: now,
          locale: 'zh-CN',
          intent: { name: 'AskIntent' },
        },
      });
      const call = {
        CallSid: 'CA' + '0'.repeat(32),
        AccountSid: 'AC' + '0'.repeat(32),
        From: '+8613912345678',
        SpeechResult: '我要退货',
      };
      const cases: [string, string, Record<string, string>, { type: string; raw: string }, number[]][] = [
        ['POST', `/channels/alexa/${TARGET}`, {}, alexa, [401]],
        [
          'POST',
          `/channels/alexa/${TARGET}`,
          { signaturecertchainurl: 'https://evil.example/cert.pem', 'signature-256': 'AAAA' },
          alexa,
          [401],
        ],
        [
          'POST',
          `/channels/aligenie/${TARGET}`,
          {},
          jsonBody({ sessionId: 's-1', utterance: '我要退货', skillId: 'isolation' }),
          [401, 403],
        ],
        [
          'POST',
          `/channels/aligenie/${TARGET}`,
          { 'x-kefu-token': 'wrong' },
          jsonBody({ sessionId: 's-1', utterance: '我要退货', skillId: 'isolation' }),
          [401, 403],
        ],
        ['POST', `/channels/twilio/${TARGET}/voice`, {}, form(call), [401, 403]],
        [
          'POST',
          `/channels/twilio/${TARGET}/voice`,
          { 'x-twilio-signature': 'AAAA' },
          form(call),
          [401, 403],
        ],
        ['GET', `/channels/vxml/${TARGET}/start?token=wrong`, {}, form({}), [401, 403]],
        ['POST', `/channels/vxml/${TARGET}/start`, {}, form({}), [401, 403]],
        [
          'POST',
          `/channels/vxml/${TARGET}/turn?token=wrong`,
          {},
          form({ utterance: '我要退货' }),
          [401, 403],
        ],
        [
          'POST',
          `/channels/agents/${TARGET}/messages`,
          {},
          jsonBody({
            type: 'message',
            text: '我要退货',
            from: { id: 'u-1' },
            conversation: { id: 'c-1' },
            serviceUrl: 'https://evil.example',
          }),
          [401, 403],
        ],
        [
          'POST',
          `/channels/agents/${TARGET}/messages`,
          { authorization: 'Bearer not.a.jwt' },
          jsonBody({
            type: 'message',
            text: '我要退货',
            from: { id: 'u-1' },
            conversation: { id: 'c-1' },
            serviceUrl: 'https://evil.example',
          }),
          [401, 403],
        ],
      ];
      for (const [method, url, headers, body, expected] of cases) {
        const res = await send(method, url, {}, method === 'GET' ? undefined : body, headers);
        expect([method, url, expected.includes(res.status), res.status, leaked(res.text)]).toEqual([
          method,
          url,
          true,
          res.status,
          [],
        ]);
      }
      expect(await snapshot()).toBe(before);
    });
  });

  test('the logs hold no credentials and no phone number in clear', () => {
    const logs = logLines.join('');
    expect(logLines.length).toBeGreaterThan(0);
    expect(secrets.length).toBeGreaterThan(10);
    const found = [MARK.phone, ...secrets].filter((s) => s.length >= 8 && logs.includes(s));
    expect(found).toEqual([]);
  });
}

describe('tenant isolation: embedded PGlite', () => {
  isolationSuite(async () => ({ drop: async () => undefined }));
});

describeWith('DATABASE_URL')('tenant isolation: PostgreSQL', () => {
  isolationSuite(async () => {
    const db = await createTestDatabase(serviceUrl('DATABASE_URL')!);
    return { url: db.url, drop: db.drop };
  });
});

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { addDays, localDay } from '../../admin/api/analytics.service';
import { DigestScheduler } from '../../admin/digest/digest.scheduler';
import { AnalyticsService } from '../../admin/api/analytics.service';
import { verifyKefuSignature } from '../../commerce/signature';
import { api } from '../support/http';
import { type TestServer, startTestServer } from '../support/server';

/**
 * The daily digest: served as JSON and as e-mail-ready HTML, and POSTed once per shop and day to the
 * shop's webhook, signed like the commerce backend calls — however many schedulers tick.
 */
let srv: TestServer;
let shop: { id: string; apiKey: string; identitySecret: string };
let failing: { id: string; apiKey: string };
const SECRET = 'whsec_digest-test-0123456789';
const TZ = 'Asia/Shanghai';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
const received: Received[] = [];
let hook: http.Server;
let hookUrl: string;

beforeAll(async () => {
  hook = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(req.url === '/broken' ? 500 : 204).end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;

  srv = await startTestServer();
  shop = (
    await api(srv.url, 'POST', '/api/v1/shops', { token: srv.adminToken, body: { name: 'Digest <shop>' } })
  ).body;
  failing = (
    await api(srv.url, 'POST', '/api/v1/shops', { token: srv.adminToken, body: { name: 'Broken hook' } })
  ).body;
  const put = await api(srv.url, 'PUT', `/api/v1/shops/${shop.id}/settings`, {
    token: shop.apiKey,
    body: {
      handoff: { lowConfidenceTurns: 0 },
      digest: { webhookUrl: `${hookUrl}/digest`, secret: SECRET, locale: 'en-US' },
    },
  });
  expect(put.status).toBe(200);
  // The secret is write-only.
  expect(put.body.digest).toEqual({ webhookUrl: `${hookUrl}/digest`, secret: '********', locale: 'en-US' });
  expect(
    JSON.stringify(
      (await api(srv.url, 'GET', `/api/v1/shops/${shop.id}/settings`, { token: shop.apiKey })).body,
    ),
  ).not.toContain(SECRET);
  await api(srv.url, 'PUT', `/api/v1/shops/${failing.id}/settings`, {
    token: failing.apiKey,
    body: { digest: { webhookUrl: `${hookUrl}/broken` } },
  });

  // Today's conversations: two questions the bot cannot answer (one with markup, which must come out escaped).
  for (const [userId, text] of [
    ['c-1', '能开发票吗'],
    ['c-2', '<b>可以开发票吗</b>'],
  ]) {
    const res = await api(srv.url, 'POST', `/api/v1/shops/${shop.id}/messages`, { body: { userId, text } });
    expect(res.status).toBe(200);
  }
}, 60_000);
afterAll(async () => {
  await srv.stop();
  await new Promise((r) => hook.close(r));
});

test('GET …/analytics/digest: the day as JSON and as e-mail-ready HTML in the shop’s language', async () => {
  const today = localDay(new Date(), TZ);
  const json = await api(srv.url, 'GET', `/api/v1/shops/${shop.id}/analytics/digest?day=${today}`, {
    token: shop.apiKey,
  });
  expect(json.status).toBe(200);
  expect(json.body).toMatchObject({ shopId: shop.id, day: today, locale: 'en-US' });
  expect(json.body.figures).toMatchObject({ conversations: 2, fallbackRate: 1, selfServiceRate: 0 });
  expect(json.body.figures.byDay).toEqual([{ day: today, conversations: 2, handoffs: 0, fallbacks: 2 }]);
  expect(json.body.figures.unanswered[0]).toMatchObject({ count: 2 });

  const res = await fetch(`${srv.url}/api/v1/shops/${shop.id}/analytics/digest?day=${today}&format=html`, {
    headers: { authorization: `Bearer ${shop.apiKey}` },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  const html = await res.text();
  expect(html).toMatch(/^<!DOCTYPE html>/);
  expect(html).toContain('Daily digest');
  expect(html).toContain('Digest &lt;shop&gt;');
  expect(html).toContain('&lt;b&gt;可以开发票吗&lt;/b&gt;');
  expect(html).not.toContain('<b>');
  expect(html).not.toMatch(/<style|<script|class=/); // inline styles only, for e-mail clients
  expect(html).toContain('<table role="presentation"');

  // The other catalogue: a shop without a digest locale writes in its first locale (zh-CN by default).
  const zh = await fetch(`${srv.url}/api/v1/shops/${failing.id}/analytics/digest?day=${today}&format=html`, {
    headers: { authorization: `Bearer ${failing.apiKey}` },
  });
  expect(await zh.text()).toContain('客服日报');

  const bad = await api(srv.url, 'GET', `/api/v1/shops/${shop.id}/analytics/digest?day=tomorrow`, {
    token: shop.apiKey,
  });
  expect(bad.status).toBe(400);
  expect(
    (
      await api(srv.url, 'GET', `/api/v1/shops/${shop.id}/analytics/digest?format=pdf`, {
        token: shop.apiKey,
      })
    ).status,
  ).toBe(400);
});

test('the next morning: exactly one signed digest per shop, however many ticks and instances', async () => {
  const today = localDay(new Date(), TZ);
  // "The next morning": 24 h from now, today has ended in the shop's time zone.
  const nextMorning = new Date(Date.now() + 24 * 60 * 60 * 1000);
  let now = nextMorning;
  const clock = () => now;
  const instance = () =>
    new DigestScheduler({
      store: srv.platform.store,
      analytics: new AnalyticsService(srv.platform),
      log: srv.platform.log,
      clock,
    });
  const first = instance();
  const second = instance();
  await Promise.all([first.tick(), second.tick()]);
  await first.tick();

  const mine = received.filter((r) => r.path === '/digest');
  expect(mine).toHaveLength(1);
  const [call] = mine;
  expect(call!.headers['content-type']).toBe('application/json');
  const check = verifyKefuSignature(
    SECRET,
    {
      timestamp: String(call!.headers['x-kefu-timestamp']),
      signature: String(call!.headers['x-kefu-signature']),
    },
    call!.body,
    nextMorning.getTime(),
  );
  expect(check).toEqual({ ok: true });
  expect(call!.headers['x-kefu-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
  const body = JSON.parse(call!.body);
  expect(body).toMatchObject({ shopId: shop.id, day: today });
  expect(body.figures).toMatchObject({ conversations: 2, fallbackRate: 1 });
  expect(body.html).toContain('Daily digest');
  expect(await srv.platform.store.analytics.digestStatus(shop.id, today)).toBe('sent');

  // The shop whose webhook answers 500: tried once, recorded as failed (retried later, below).
  expect(received.filter((r) => r.path === '/broken')).toHaveLength(1);
  expect(await srv.platform.store.analytics.digestStatus(failing.id, today)).toBe('failed');
  // Signed with the shop's identity secret when the digest has no secret of its own.
  const broken = received.find((r) => r.path === '/broken')!;
  const shopRow = await srv.platform.store.shops.findById(failing.id);
  expect(
    verifyKefuSignature(
      shopRow!.identitySecret,
      {
        timestamp: String(broken.headers['x-kefu-timestamp']),
        signature: String(broken.headers['x-kefu-signature']),
      },
      broken.body,
      nextMorning.getTime(),
    ),
  ).toEqual({ ok: true });

  // Nothing for "today" yet (it has not ended in the shop's time zone), and nothing more later the same day.
  await instance().tick();
  expect(received).toHaveLength(2);
  expect(await srv.platform.store.analytics.digestStatus(shop.id, addDays(today, 1))).toBeUndefined();

  // Half an hour on, the failed day is tried again (the sent one is not), three sends in all.
  const minutes = (n: number) => new Date(nextMorning.getTime() + n * 60 * 1000);
  for (const [at, brokenCalls] of [
    [10, 1],
    [31, 2],
    [62, 3],
    [93, 3],
    [124, 3],
  ] as const) {
    now = minutes(at);
    await instance().tick();
    expect(received.filter((r) => r.path === '/broken')).toHaveLength(brokenCalls);
  }
  expect(received.filter((r) => r.path === '/digest')).toHaveLength(1);
  expect(await srv.platform.store.analytics.digestStatus(failing.id, today)).toBe('failed');
});

test('a send a dying process left in "sending" is claimed again later, by one instance', async () => {
  const day = '2020-01-01';
  const store = srv.platform.store;
  const at = new Date('2020-01-02T01:00:00Z');
  const claim = (now: Date) =>
    store.analytics.claimDigest(shop.id, day, { now, retryAfterMs: 30 * 60_000, maxAttempts: 3 });
  expect(await claim(at)).toBe(true);
  // Still sending (the process died here): not claimed again soon after …
  expect(await claim(new Date(at.getTime() + 5 * 60_000))).toBe(false);
  // … but half an hour on, by exactly one of two instances.
  const later = new Date(at.getTime() + 31 * 60_000);
  expect((await Promise.all([claim(later), claim(later)])).sort()).toEqual([false, true]);
});

test('the webhook URL must be http(s); the digest settings are validated', async () => {
  for (const digest of [
    { webhookUrl: 'ftp://example.com/x' },
    { webhookUrl: 'not a url' },
    { locale: 'fr-FR' },
    { other: 1 },
  ]) {
    const res = await api(srv.url, 'PUT', `/api/v1/shops/${shop.id}/settings`, {
      token: shop.apiKey,
      body: { digest },
    });
    expect(res.status).toBe(400);
  }
});

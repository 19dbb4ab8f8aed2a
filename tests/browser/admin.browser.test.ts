import { mkdirSync, rmSync } from 'node:fs';
import { type AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import writeXlsxFile from 'write-excel-file/node';
import { describeInBrowser, launchChromium } from '../support/browser';
import { api } from '../support/http';
import { type TestServer, startTestServer } from '../support/server';

// The merchant admin (/admin) driven end to end in Chromium as the demo shop's owner: import a
// spreadsheet with a preview, publish, try the bot in the test console, change the return address,
// read a transcript, see the dashboard's charts and turn an unanswered question into knowledge.
// Screenshots of every step go to artifacts/admin/.

jest.setTimeout(240_000);

const SHOTS = path.join(__dirname, '..', '..', 'artifacts', 'admin');
const NEW_QUESTION = '你们支持用数字人民币付款吗';
const NEW_ANSWER = '支持的，结账时选择「数字人民币」即可付款。';
const NEW_ADDRESS = '杭州市西湖区文三路 100 号 Kefu 售后中心';
const UNANSWERED = '可以把包裹寄到南极科考站吗';

/** 50 rows: 48 good ones and two bad ones (row 8: no answer; row 21: no question). */
async function knowledgeWorkbook(): Promise<Buffer> {
  const header = ['locale', 'question', 'similar', 'answer'];
  const rows: string[][] = [['zh-CN', NEW_QUESTION, '可以用数字人民币支付吗\n支持数字人民币吗', NEW_ANSWER]];
  for (let i = 2; i <= 50; i++) {
    if (i === 7) rows.push(['zh-CN', '这一行没有答案', '', '']);
    else if (i === 20) rows.push(['zh-CN', '', '', '这一行没有问题']);
    else rows.push(['zh-CN', `第 ${i} 号礼盒包含哪些东西`, '', `第 ${i} 号礼盒里有 ${i} 件小礼物。`]);
  }
  const cells = [header, ...rows].map((r) => r.map((value) => ({ value, type: String })));
  return writeXlsxFile(cells, { sheet: 'knowledge' }).toBuffer();
}

describeInBrowser('merchant admin: the demo owner runs the shop from /admin', () => {
  let srv: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];
  let shot = 0;

  async function screenshot(name: string, p: Page = page, fullPage = true): Promise<void> {
    shot++;
    await p.screenshot({ path: path.join(SHOTS, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage });
  }

  function watch(p: Page): void {
    p.on('pageerror', (err) => pageErrors.push(err.message));
    p.on('console', (msg) => {
      if (/Content Security Policy|Refused to/i.test(msg.text())) cspViolations.push(msg.text());
    });
  }

  async function open(route: string): Promise<void> {
    await page.getByTestId(`nav-${route}`).click();
    await page.getByTestId(`view-${route}`).waitFor();
  }

  async function consoleAsk(text: string): Promise<{ reply: string; confidence: string }> {
    const before = await page.getByTestId('console-bot').count();
    await page.getByTestId('console-input').fill(text);
    await page.getByTestId('console-send').click();
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid="console-bot"]').length > n,
      before,
      { timeout: 30_000 },
    );
    const replies = await page.getByTestId('console-bot').allTextContents();
    return {
      reply: replies.slice(before).join('\n'),
      confidence: (await page.getByTestId('debug-confidence').textContent()) ?? '',
    };
  }

  beforeAll(async () => {
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    srv = await startTestServer({ demo: true });
    browser = await launchChromium();
    context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
    watch(page);
  });

  afterAll(async () => {
    await browser?.close();
    await srv?.stop();
  });

  test('signs in with e-mail and password; the page runs under the strict CSP', async () => {
    expect(srv.demoOwner).toBeDefined();
    const res = await page.goto(`${srv.url}/admin`);
    expect(res?.headers()['content-security-policy']).toContain("default-src 'none'");
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.getByTestId('signin-email').waitFor();
    // A wrong password: the API's message, and still the form.
    await page.getByTestId('signin-email').fill(srv.demoOwner!.email);
    await page.getByTestId('signin-password').fill('not-the-password');
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('signin-error').filter({ hasText: /\S/ }).waitFor();
    // Told in the page's language, not the API's English.
    expect(await page.getByTestId('signin-error').textContent()).toBe('邮箱或密码不正确。');
    await screenshot('signin-error');

    await page.getByTestId('signin-password').fill(srv.demoOwner!.password);
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('admin-user').waitFor();
    expect(await page.getByTestId('admin-user').textContent()).toContain('店主');
    // An owner sees every page, users included.
    for (const route of [
      'dashboard',
      'knowledge',
      'publish',
      'console',
      'conversations',
      'settings',
      'users',
    ])
      expect(await page.getByTestId(`nav-${route}`).count()).toBe(1);
    // The session is a cookie the page cannot read; a reload keeps it.
    expect(await page.evaluate(() => document.cookie)).not.toContain('kefu_session');
    await page.reload();
    await page.getByTestId('admin-user').waitFor();
    await screenshot('signed-in');
  });

  test('imports an XLSX of 50 rows: the preview shows the two bad rows, then 48 are saved', async () => {
    await open('knowledge');
    await page.getByTestId('knowledge-row').first().waitFor();
    await page.getByTestId('import-file').setInputFiles({
      name: 'knowledge.xlsx',
      mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      buffer: await knowledgeWorkbook(),
    });
    await page.getByTestId('import-preview').waitFor();
    const bad = page.getByTestId('import-row-error');
    expect(await bad.count()).toBe(2);
    expect(await bad.nth(0).getAttribute('data-row')).toBe('8');
    expect(await bad.nth(1).getAttribute('data-row')).toBe('21');
    expect(await bad.nth(0).locator('td.errors').textContent()).toMatch(/answer/);
    expect(await bad.nth(1).locator('td.errors').textContent()).toMatch(/question/);
    expect(await page.getByTestId('import-row').count()).toBe(48);
    // Nothing is saved by the preview.
    const total = async () =>
      (await api(srv.url, 'GET', '/api/v1/shops/demo/knowledge', { token: srv.demoApiKey })).body
        .total as number;
    const before = await total();
    const probe = await api(
      srv.url,
      'GET',
      `/api/v1/shops/demo/knowledge?q=${encodeURIComponent(NEW_QUESTION)}`,
      {
        token: srv.demoApiKey,
      },
    );
    expect(probe.body.total).toBe(0);
    await screenshot('import-preview');

    const confirm = page.getByTestId('import-confirm');
    expect(await confirm.textContent()).toContain('48');
    await confirm.click();
    await page.locator('[data-testid="import-status"][data-state="done"]').waitFor();
    expect(await page.getByTestId('import-status').textContent()).toContain('48');
    expect(await total()).toBe(before + 48);
    await screenshot('import-done');
  });

  test('publishes with a progress bar that reaches done', async () => {
    await open('publish');
    await page.getByTestId('publish-go').click();
    await page.getByTestId('publish-progress').waitFor();
    await page.locator('[data-testid="publish-state"][data-state="done"]').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('publish-progress').evaluate((p) => (p as HTMLProgressElement).value)).toBe(
      100,
    );
    await screenshot('publish-done');
  });

  test('the test console answers a new question, with its confidence', async () => {
    await open('console');
    const { reply, confidence } = await consoleAsk('请问可以用数字人民币付款吗');
    expect(reply).toContain(NEW_ANSWER);
    expect(Number(confidence)).toBeGreaterThan(0);
    expect(Number(confidence)).toBeLessThanOrEqual(1);
    expect(await page.getByTestId('debug-knowledge').textContent()).toContain(NEW_QUESTION);
    expect(await page.getByTestId('debug-confidence-bar').count()).toBe(1);
    await screenshot('console-answer');
  });

  test('a new return address in the settings is what the bot tells customers', async () => {
    await open('settings');
    const address = page.getByTestId('setting-returnAddress-address');
    await address.waitFor();
    // Secrets never come back: the commerce secret field is empty and just says whether one is set.
    await page.waitForFunction(
      () =>
        (document.querySelector('[data-testid="setting-returnAddress-name"]') as HTMLInputElement)?.value !==
        '',
    );
    await address.fill(NEW_ADDRESS);
    // A secret is write-only: typed once, then the page only says that one is set.
    const token = page.getByTestId('setting-channels-twilio-authToken');
    expect(await page.getByTestId('setting-channels-twilio-authToken-state').getAttribute('data-set')).toBe(
      'false',
    );
    await token.fill('twilio-secret-0123456789');
    await page.getByTestId('settings-save').click();
    await page.locator('[data-testid="settings-status"][data-state="saved"]').waitFor();
    expect(await token.inputValue()).toBe('');
    expect(await page.getByTestId('setting-channels-twilio-authToken-state').getAttribute('data-set')).toBe(
      'true',
    );
    const saved = await api(srv.url, 'GET', '/api/v1/shops/demo/settings', { token: srv.demoApiKey });
    expect(saved.body.returnAddress.address).toBe(NEW_ADDRESS);
    expect(JSON.stringify(saved.body)).not.toContain('twilio-secret-0123456789');
    expect(saved.body.channels.twilio.authToken).toBe('********');
    await screenshot('settings-saved');

    // "Test connection" tries the form's backend before it is saved: here a shop backend on this machine.
    const calls: { path: string; signed: boolean }[] = [];
    const backend = createServer((req, res) => {
      calls.push({ path: req.url ?? '', signed: Boolean(req.headers['x-kefu-signature']) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"orders":[]}');
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    try {
      await page.getByTestId('setting-commerce-type').selectOption('http');
      await page
        .getByTestId('setting-commerce-baseUrl')
        .fill(`http://127.0.0.1:${(backend.address() as AddressInfo).port}`);
      await page.getByTestId('setting-commerce-secret').fill('backend-secret-0123456789');
      await page.getByTestId('commerce-test').click();
      await page.locator('[data-testid="commerce-test-result"][data-ok]').waitFor();
      await screenshot('settings-commerce-test');
      expect(await page.getByTestId('commerce-test-result').getAttribute('data-ok')).toBe('true');
      expect(calls).toHaveLength(1);
      expect(calls[0]?.signed).toBe(true);
    } finally {
      backend.close();
    }
    // Not saved: the shop still runs on the demo backend.
    const still = await api(srv.url, 'GET', '/api/v1/shops/demo/settings', { token: srv.demoApiKey });
    expect(still.body.commerce).toEqual({ type: 'demo' });

    await open('console');
    const { reply } = await consoleAsk('退货地址是哪里');
    expect(reply).toContain(NEW_ADDRESS);
    await screenshot('console-return-address');
  });

  test('seeded conversations: the list and a transcript with the NLU annotations', async () => {
    const say = (userId: string, text: string) =>
      api(srv.url, 'POST', '/api/v1/shops/demo/messages', { body: { userId, text, locale: 'zh-CN' } });
    for (const [userId, text] of [
      ['seed-1', '下单后多久发货？'],
      ['seed-2', '你好'],
      ['seed-3', UNANSWERED],
      ['seed-4', '能不能把包裹寄到南极科考站'],
      ['seed-5', '转人工'],
    ] as const) {
      expect((await say(userId, text)).status).toBe(200);
    }
    await open('conversations');
    const item = page.getByTestId('conv-item').filter({ hasText: '下单后多久发货' });
    await item.first().waitFor();
    await item.first().click();
    await page.getByTestId('conv-transcript').waitFor();
    const messages = page.getByTestId('conv-message');
    expect(await messages.count()).toBeGreaterThanOrEqual(2);
    expect(
      await page.locator('[data-testid="conv-message"][data-role="user"]').first().textContent(),
    ).toContain('下单后多久发货');
    expect(
      await page.locator('[data-testid="conv-message"][data-role="bot"]').count(),
    ).toBeGreaterThanOrEqual(1);
    expect(await page.getByTestId('conv-nlu').first().textContent()).toMatch(
      /意图: \S+ · 置信度: \d\.\d\d · 技能: \S+/,
    );
    await screenshot('conversation-transcript');

    // Filtered to the conversations with a handoff: only the customer who asked for a person.
    await page.getByTestId('conv-handoff').selectOption('yes');
    await page.getByTestId('conv-search').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="conv-item"]').length === 1);
    await page.getByTestId('conv-item').first().click();
    await page.getByTestId('conv-handoff-record').first().waitFor();
    expect(await page.getByTestId('conv-transcript').textContent()).toContain('转人工');
    await screenshot('conversation-handoff');
  });

  test('the dashboard draws its charts with data and lists the unanswered question', async () => {
    await open('dashboard');
    await page.locator('[data-testid="view-dashboard"][data-loaded="true"]').waitFor();
    expect(
      Number(await page.locator('[data-testid="kpi-conversations"] .kpi-value').textContent()),
    ).toBeGreaterThanOrEqual(4);
    for (const chart of ['byDay', 'byChannel', 'topIntents']) {
      const painted = await page.getByTestId(`chart-${chart}`).evaluate((host) => {
        const canvas = host.querySelector('canvas');
        if (!canvas || canvas.width === 0 || canvas.height === 0) return 0;
        const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 3; data && i < data.length; i += 4) if (data[i]! > 0) n++;
        return n;
      });
      expect(painted).toBeGreaterThan(500);
    }
    const item = page.getByTestId('unanswered-item').filter({ hasText: '南极' }).first();
    await item.waitFor();
    await screenshot('dashboard');

    // One click: the entry editor opens with the question filled in.
    await item.getByTestId('unanswered-add').click();
    await page.getByTestId('entry-editor').waitFor();
    expect(await page.getByTestId('entry-question').inputValue()).toContain('南极');
    await page.getByTestId('entry-answer').fill('抱歉，我们暂时不能寄送到南极科考站。');
    await screenshot('unanswered-to-entry');
    await page.getByTestId('entry-save').click();
    await page.getByTestId('entry-editor').waitFor({ state: 'hidden' });
    const found = await api(srv.url, 'GET', `/api/v1/shops/demo/knowledge?q=${encodeURIComponent('南极')}`, {
      token: srv.demoApiKey,
    });
    expect(found.body.total).toBe(1);
    expect(found.body.entries[0].answer).toContain('南极科考站');
    expect(found.body.entries[0].question).toContain('南极');
  });

  test('on a phone-sized screen the menu runs across the top', async () => {
    const phone = await context.newPage();
    watch(phone);
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${srv.url}/admin#/knowledge`);
    await phone.getByTestId('view-knowledge').waitFor();
    const menu = await phone.locator('nav.menu').boundingBox();
    expect(menu?.y).toBe(0);
    expect(menu?.width).toBeGreaterThan(380);
    expect(menu?.height).toBeLessThan(80);
    await screenshot('phone-knowledge', phone, false);
    await phone.getByTestId('nav-dashboard').click();
    await phone.locator('[data-testid="view-dashboard"][data-loaded="true"]').waitFor();
    await screenshot('phone-dashboard', phone);
    await phone.close();
  });

  test('switches to English, and remembers it', async () => {
    await page.getByTestId('nav-dashboard').click();
    await page.getByTestId('admin-locale').selectOption('en-US');
    await page.getByTestId('view-dashboard').waitFor();
    expect(await page.getByTestId('nav-knowledge').textContent()).toBe('Knowledge');
    expect(await page.getByTestId('admin-user').textContent()).toContain('Owner');
    await page.reload();
    await page.getByTestId('admin-user').waitFor();
    expect(await page.getByTestId('nav-settings').textContent()).toBe('Settings');
    expect(await page.locator('html').getAttribute('lang')).toBe('en-US');
    await page.locator('[data-testid="view-dashboard"][data-loaded="true"]').waitFor();
    await screenshot('english');
  });

  test('an agent sees only the conversations; the other pages are not offered', async () => {
    const agent = { email: 'agent@demo.test', name: '小李', role: 'agent', password: 'agent-password-1' };
    expect(
      (await api(srv.url, 'POST', '/api/v1/shops/demo/users', { token: srv.demoApiKey, body: agent })).status,
    ).toBe(201);
    const other = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
    const p = await other.newPage();
    watch(p);
    await p.goto(`${srv.url}/admin#/settings`);
    await p.getByTestId('signin-email').fill(agent.email);
    await p.getByTestId('signin-password').fill(agent.password);
    await p.getByTestId('signin-submit').click();
    // Asked for settings, the agent lands on the conversations, the only page in their menu.
    await p.getByTestId('view-conversations').waitFor();
    expect(await p.locator('nav.menu a').count()).toBe(1);
    expect(await p.getByTestId('nav-settings').count()).toBe(0);
    await p.getByTestId('conv-item').first().waitFor();
    await screenshot('agent-conversations', p, false);
    await other.close();
  });

  test("the owner of another shop sees only their shop, and the demo shop's API refuses them", async () => {
    const created = await api(srv.url, 'POST', '/api/v1/shops', {
      token: srv.adminToken,
      body: {
        name: '隔壁小店',
        owner: { email: 'owner@next-door.test', name: '邻居', password: 'next-door-pass-1' },
      },
    });
    expect(created.status).toBe(201);
    const other = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 800 } });
    const p = await other.newPage();
    watch(p);
    await p.goto(`${srv.url}/admin#/knowledge`);
    await p.getByTestId('signin-email').fill('owner@next-door.test');
    await p.getByTestId('signin-password').fill('next-door-pass-1');
    await p.getByTestId('signin-submit').click();
    await p.getByTestId('view-knowledge').waitFor();
    // Their own, empty knowledge: none of the demo shop's entries (nor the 48 imported above).
    await p.getByText('还没有问答。').waitFor();
    expect(await p.getByText(NEW_QUESTION).count()).toBe(0);
    // The page's own session, aimed at the demo shop by hand: every read and change is refused.
    const attempts = await p.evaluate(async () => {
      const session = await (await fetch('/api/v1/auth/session')).json();
      const headers = { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken };
      const statuses: number[] = [];
      for (const [method, url, body] of [
        ['GET', '/api/v1/shops/demo/settings', undefined],
        ['GET', '/api/v1/shops/demo/knowledge', undefined],
        ['GET', '/api/v1/shops/demo/conversations', undefined],
        ['GET', '/api/v1/shops/demo/analytics', undefined],
        [
          'PUT',
          '/api/v1/shops/demo/settings',
          JSON.stringify({ returnAddress: { name: 'x', phone: '1', address: 'x' } }),
        ],
        ['POST', '/api/v1/shops/demo/publish', undefined],
      ] as const) {
        statuses.push((await fetch(url, { method, headers, body })).status);
      }
      return statuses;
    });
    expect(attempts).toEqual([403, 403, 403, 403, 403, 403]);
    const settings = await api(srv.url, 'GET', '/api/v1/shops/demo/settings', { token: srv.demoApiKey });
    expect(settings.body.returnAddress.address).toBe(NEW_ADDRESS);
    await screenshot('other-shop-knowledge', p, false);
    await other.close();
  });

  test('nothing broke on the way: no script errors, no CSP violations', () => {
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});

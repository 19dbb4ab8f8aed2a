import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { describeInBrowser, launchChromium } from '../support/browser';
import { api } from '../support/http';
import { type TestServer, startTestServer } from '../support/server';

// The settings page's handoff and channel fields, and clearing a saved value from the page
// (sent as null, which the API removes). Screenshots go to artifacts/admin-settings/.

jest.setTimeout(180_000);

const SHOTS = path.join(__dirname, '..', '..', 'artifacts', 'admin-settings');

describeInBrowser('merchant admin: settings the page edits and clears', () => {
  let srv: TestServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  const settings = async () =>
    (await api(srv.url, 'GET', '/api/v1/shops/demo/settings', { token: srv.demoApiKey })).body;

  async function save(): Promise<void> {
    await page.evaluate(() => {
      delete (document.querySelector('[data-testid="settings-status"]') as HTMLElement).dataset.state;
    });
    await page.getByTestId('settings-save').click();
    await page.locator('[data-testid="settings-status"][data-state="saved"]').waitFor();
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    srv = await startTestServer({ demo: true });
    const put = await api(srv.url, 'PUT', '/api/v1/shops/demo/settings', {
      token: srv.demoApiKey,
      body: {
        digest: { webhookUrl: 'https://hooks.example/digest', email: 'ops@demo.example' },
        profile: { greeting: { 'en-US': 'Welcome to the demo shop!' } },
        channels: { vxml: { agentNumber: '+862100000009' } },
      },
    });
    expect(put.status).toBe(200);
    browser = await launchChromium();
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${srv.url}/admin`);
    await page.getByTestId('signin-email').fill(srv.demoOwner!.email);
    await page.getByTestId('signin-password').fill(srv.demoOwner!.password);
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('admin-user').waitFor();
    await page.getByTestId('admin-locale').selectOption('en-US');
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('view-settings').waitFor();
    await page.waitForFunction(
      () =>
        (document.querySelector('[data-testid="setting-digest-webhookUrl"]') as HTMLInputElement)?.value !==
        '',
    );
  });

  afterAll(async () => {
    await browser?.close();
    await srv?.stop();
  });

  test('shows the handoff and channel settings, in the page language, secrets write-only', async () => {
    const label = (testId: string) =>
      page.evaluate((id) => {
        const control = document.querySelector(`[data-testid="${id}"]`);
        return control?.closest('.field')?.querySelector('label')?.textContent ?? '';
      }, testId);
    expect(await label('setting-handoff-autoAssign')).toBe(
      'Assign waiting customers to online agents automatically',
    );
    expect(await label('setting-handoff-expireMinutes')).toBe('Ticket after (minutes, default 60)');
    expect(await label('setting-channels-agents-tenantId')).toBe('Agents tenant ID');
    expect(await page.getByTestId('setting-channels-vxml-agentNumber').inputValue()).toBe('+862100000009');
    for (const secret of ['channels-vxml-token', 'channels-aligenie-privateKey']) {
      expect(await page.getByTestId(`setting-${secret}`).inputValue()).toBe('');
      expect(await page.getByTestId(`setting-${secret}-state`).getAttribute('data-set')).toBe('false');
    }
    expect(await page.getByTestId('setting-handoff-autoAssign').isChecked()).toBe(false);

    // The same page in Chinese.
    await page.getByTestId('admin-locale').selectOption('zh-CN');
    await page.getByTestId('view-settings').waitFor();
    await page.getByTestId('setting-handoff-autoAssign').waitFor();
    expect(await label('setting-handoff-autoAssign')).toBe('自动把排队的顾客分配给在线坐席');
    expect(await label('setting-channels-vxml-token')).toMatch(/^VoiceXML 网关令牌/);
    await page.getByTestId('admin-locale').selectOption('en-US');
    await page.getByTestId('setting-handoff-autoAssign').waitFor();
    await page.waitForFunction(
      () =>
        (document.querySelector('[data-testid="setting-digest-webhookUrl"]') as HTMLInputElement)?.value !==
        '',
    );
  });

  test('sets auto-assign, VIP and channel fields; clears the digest webhook URL and a greeting', async () => {
    await page.getByTestId('setting-handoff-autoAssign').check();
    await page.getByTestId('setting-handoff-vipMinTier').fill('4');
    await page.getByTestId('setting-handoff-vipTier').selectOption('expert');
    await page.getByTestId('setting-handoff-expireMinutes').fill('45');
    await page.getByTestId('setting-channels-vxml-token').fill('vxml-secret-0123456789');
    await page.getByTestId('setting-channels-agents-tenantId').fill('tenant-42');
    await page.getByTestId('setting-digest-webhookUrl').fill('');
    await page.getByTestId('setting-profile-greeting-en-US').fill('');
    await save();
    await page.screenshot({ path: path.join(SHOTS, '01-settings-saved.png'), fullPage: true });

    const saved = await settings();
    expect(saved.handoff).toMatchObject({
      autoAssign: true,
      vipMinTier: 4,
      vipTier: 'expert',
      expireMinutes: 45,
    });
    // Cleared: gone from the settings, the rest of the section kept.
    expect(saved.digest).toEqual({ email: 'ops@demo.example' });
    expect(saved.profile.greeting).toEqual({
      'zh-CN': '您好，欢迎光临 Kefu 演示商城！我是智能客服小K，请问有什么可以帮您？',
    });
    expect(saved.channels.vxml).toEqual({ token: '********', agentNumber: '+862100000009' });
    expect(saved.channels.agents).toEqual({ tenantId: 'tenant-42' });
    expect(JSON.stringify(saved)).not.toContain('vxml-secret-0123456789');
    // The page shows what was saved: the secret field empty again, "set".
    expect(await page.getByTestId('setting-channels-vxml-token').inputValue()).toBe('');
    expect(await page.getByTestId('setting-channels-vxml-token-state').getAttribute('data-set')).toBe('true');
    expect(await page.getByTestId('setting-digest-webhookUrl').inputValue()).toBe('');

    // Unchecking and emptying: auto-assign off (false), the VIP rule removed (off), a number cleared.
    await page.getByTestId('setting-handoff-autoAssign').uncheck();
    await page.getByTestId('setting-handoff-vipMinTier').fill('');
    await page.getByTestId('setting-channels-vxml-agentNumber').fill('');
    await save();
    const again = await settings();
    expect(again.handoff).toEqual({
      confidenceThreshold: 0.5,
      lowConfidenceTurns: 2,
      autoAssign: false,
      vipTier: 'expert',
      expireMinutes: 45,
    });
    // An empty secret field keeps the saved secret.
    expect(again.channels.vxml).toEqual({ token: '********' });
    // A reload shows the saved state.
    await page.reload();
    await page.getByTestId('setting-handoff-expireMinutes').waitFor();
    await page.waitForFunction(
      () =>
        (document.querySelector('[data-testid="setting-handoff-expireMinutes"]') as HTMLInputElement)
          ?.value === '45',
    );
    expect(await page.getByTestId('setting-handoff-autoAssign').isChecked()).toBe(false);
    expect(await page.getByTestId('setting-handoff-vipMinTier').inputValue()).toBe('');
    expect(await page.getByTestId('setting-handoff-vipTier').inputValue()).toBe('expert');
    await page.screenshot({ path: path.join(SHOTS, '02-settings-reloaded.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});

import type { Browser, Page } from 'playwright-core';
import { describeInBrowser, launchChromium, waitForMoreBotMessages } from '../support/browser';
import { api } from '../support/http';
import { type TestServer, startTestServer } from '../support/server';

// The widget in Chromium against an instance that sheds its message (OVERLOADED): the message
// stays pending, the visitor is told, and it goes through by itself once there is room.

jest.setTimeout(120_000);

describeInBrowser('web chat widget when the instance is overloaded', () => {
  let srv: TestServer;
  let browser: Browser;
  let page: Page;
  let shopId: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // One turn at a time, no queue: while the test holds the slot, every message is refused.
    srv = await startTestServer({ env: { KEFU_MAX_CONCURRENT_TURNS: '1', KEFU_MAX_QUEUED_TURNS: '0' } });
    const shop = await api(srv.url, 'POST', '/api/v1/shops', {
      token: srv.adminToken,
      body: { name: 'Busy' },
    });
    browser = await launchChromium();
    const context = await browser.newContext({ locale: 'en-US' });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    shopId = shop.body.id;
  });

  afterAll(async () => {
    await browser?.close();
    await srv?.stop();
  });

  test('a shed message is kept, the visitor is told, and it is answered once there is room', async () => {
    // A page of the instance's own origin (a routed page counts as public and may not reach 127.0.0.1),
    // with the widget added as a shop's page embeds it.
    await page.goto(`${srv.url}/healthz`);
    await page.evaluate((id) => {
      const script = document.createElement('script');
      script.src = '/widget.js';
      script.dataset.shopId = id;
      script.dataset.locale = 'en-US';
      document.body.append(script);
    }, shopId);
    await page.getByTestId('kefu-launcher').click();
    await page.getByTestId('kefu-panel').waitFor({ state: 'visible' });
    const bots = () => page.locator('[data-testid="kefu-message"][data-role="bot"]').count();
    // The greeting (from /config) is shown before anything is sent.
    await page.locator('[data-testid="kefu-message"][data-role="bot"]').first().waitFor();

    const slot = await srv.platform.admission.acquire();
    let released = false;
    try {
      const before = await bots();
      await page.getByTestId('kefu-input').fill('hello');
      await page.getByTestId('kefu-input').press('Enter');
      await page.getByTestId('kefu-notice').filter({ hasText: 'sent again' }).first().waitFor();
      const mine = page.locator('[data-testid="kefu-message"][data-role="user"]').last();
      expect(await mine.getAttribute('class')).not.toContain('failed');
      expect(await bots()).toBe(before);
      const rejected = await srv.platform.metrics.registry
        .getSingleMetric('kefu_turns_rejected_total')!
        .get();
      expect(rejected.values.reduce((n, v) => n + v.value, 0)).toBeGreaterThan(0);

      slot();
      released = true;
      await waitForMoreBotMessages(page, before);
      expect(await mine.getAttribute('class')).not.toContain('failed');
      expect(await page.locator('[data-testid="kefu-message"][data-role="user"]').count()).toBe(1);
    } finally {
      if (!released) slot();
    }
    expect(pageErrors).toEqual([]);
  });
});

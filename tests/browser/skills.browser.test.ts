import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, describeInBrowser, launchChromium, waitForMoreBotMessages } from '../support/browser';
import { type TestServer, startTestServer } from '../support/server';

// A logged-in demo customer walks a refund and a ticket booking in Chinese, in the real widget.

jest.setTimeout(120_000);

describeInBrowser('service skills in the widget, in Chinese', () => {
  let srv: TestServer;
  let browser: Browser;
  let page: Page;

  const botMessages = () => page.locator('[data-testid="kefu-message"][data-role="bot"]');
  const botCount = () =>
    page.evaluate(
      () =>
        document.querySelector('#kefu-widget')?.shadowRoot?.querySelectorAll('[data-role="bot"]').length ?? 0,
    );

  async function waitForReplies(before: number): Promise<string> {
    await waitForMoreBotMessages(page, before);
    const all = await botMessages().allTextContents();
    return all.slice(before).join('\n');
  }

  async function send(text: string): Promise<string> {
    const before = await botCount();
    await page.getByTestId('kefu-input').fill(text);
    await page.getByTestId('kefu-input').press('Enter');
    return waitForReplies(before);
  }

  async function click(title: RegExp, which: 'first' | 'last' = 'last'): Promise<string> {
    const before = await botCount();
    await page.getByTestId('kefu-quick-reply').filter({ hasText: title })[which]().click();
    return waitForReplies(before);
  }

  beforeAll(async () => {
    srv = await startTestServer({ demo: true });
    browser = await launchChromium();
    page = await (
      await browser.newContext({ locale: 'zh-CN', viewport: { width: 1100, height: 800 } })
    ).newPage();
    // The demo page vouches for demo customer 张伟 (c-1001, five stars), as a shop's page would.
    await page.goto(`${srv.url}/?as=c-1001`);
    await page.getByTestId('kefu-launcher').click();
    await page.getByTestId('kefu-panel').waitFor({ state: 'visible' });
  });

  afterAll(async () => {
    await browser?.close();
    await srv?.stop();
  });

  test('a refund: one sentence, confirm, instant refund for a trusted customer', async () => {
    const summary = await send('订单1003退款50元，尺码不合适');
    expect(summary).toMatch(/1003[\s\S]*¥50\.00[\s\S]*极速退款/);
    expect(await click(/^确认$/)).toMatch(/极速退款已到账：¥50\.00/);
  });

  test('a ticket booking: route and date in one sentence, pick an option, confirm', async () => {
    // "下周五" is always ahead, whatever day the test runs.
    const options = await send('帮我订一张下周五北京到上海的高铁票');
    expect(options).toMatch(/北京[\s\S]*上海/);
    // Options come as quick replies such as "G7 08:00→12:30 ¥553".
    const confirmation = await click(/→.*¥/, 'first');
    expect(confirmation).toMatch(/请确认：.*北京→上海.*确认预订吗/);
    expect(await click(/^确认$/)).toMatch(/预订成功！.*预订号/);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'widget-skills.png') });
  });
});

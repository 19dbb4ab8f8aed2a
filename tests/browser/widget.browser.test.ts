import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, describeInBrowser, launchChromium, waitForMoreBotMessages } from '../support/browser';
import { demoKnowledge } from '../../admin/demo/demo-shop';
import { type TestServer, startTestServer } from '../support/server';

// Drives the real widget, served by the real app, in Debian's headless Chromium.

jest.setTimeout(120_000);

describeInBrowser('web chat widget in Chromium', () => {
  let srv: TestServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  const messages = () => page.getByTestId('kefu-message');
  const botMessages = () => page.locator('[data-testid="kefu-message"][data-role="bot"]');

  async function send(text: string): Promise<void> {
    const before = await botMessages().count();
    await page.getByTestId('kefu-input').fill(text);
    await page.getByTestId('kefu-input').press('Enter');
    await expectMoreBotMessages(before);
  }

  const expectMoreBotMessages = (before: number) => waitForMoreBotMessages(page, before);

  function answerFor(locale: string, matches: (question: string) => boolean): string | undefined {
    return demoKnowledge().find((e) => e.locale === locale && [e.question, ...e.similar].some(matches))
      ?.answer;
  }

  beforeAll(async () => {
    srv = await startTestServer({ demo: true });
    browser = await launchChromium();
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1100, height: 760 } });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  afterAll(async () => {
    await browser?.close();
    await srv?.stop();
  });

  test('chat on the demo page, in Chinese, and find the conversation again after a reload', async () => {
    await page.goto(`${srv.url}/`);
    await page.getByTestId('kefu-launcher').click();
    const panel = page.getByTestId('kefu-panel');
    await panel.waitFor({ state: 'visible' });
    await expect(page.getByTestId('kefu-title').textContent()).resolves.toBe('Kefu 演示商城');
    // The greeting from /config fills the empty panel.
    await expect(botMessages().first().textContent()).resolves.toContain('Kefu 演示商城');

    await send('你好');
    await expect(messages().filter({ hasText: '你好' }).first().getAttribute('data-role')).resolves.toBe(
      'user',
    );
    const quickReplies = page.getByTestId('kefu-quick-reply');
    expect(await quickReplies.count()).toBeGreaterThan(0);

    // A quick reply sends its title (shown as the user's bubble) with its payload.
    const title = (await quickReplies.first().textContent()) ?? '';
    const before = await botMessages().count();
    await quickReplies.first().click();
    await expect(page.locator('[data-role="user"]').last().textContent()).resolves.toBe(title);
    await expectMoreBotMessages(before);
    // The demo offers its own questions as quick replies: the answer is that entry's.
    const quickAnswer = answerFor('zh-CN', (q) => q === title);
    expect(quickAnswer).toBeDefined();
    await expect(botMessages().last().textContent()).resolves.toContain(quickAnswer!.slice(0, 12));

    // A question from the demo shop's Chinese knowledge.
    const shipping = answerFor('zh-CN', (q) => q.includes('发货'));
    expect(shipping).toBeDefined();
    await send('多久发货');
    await expect(botMessages().last().textContent()).resolves.toContain(shipping!.slice(0, 12));

    // Markup from a customer is text, never HTML.
    const attack = '<img src=x onerror="window.__xss=1">';
    await send(attack);
    await expect(page.locator('[data-role="user"]').last().textContent()).resolves.toBe(attack);
    expect(await page.locator('#kefu-widget img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();

    const shown = await messages().evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.id));
    expect(new Set(shown).size).toBe(shown.length);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'widget.png') });

    // Reload: the server sends the open conversation's history; the panel stays open.
    const userTexts = await page.locator('[data-role="user"]').allTextContents();
    await page.reload();
    await panel.waitFor({ state: 'visible' });
    await page
      .locator('[data-role="user"]')
      .nth(userTexts.length - 1)
      .waitFor();
    expect(await page.locator('[data-role="user"]').allTextContents()).toEqual(userTexts);
    expect(await page.getByText(shipping!.slice(0, 12), { exact: false }).count()).toBeGreaterThan(0);
    expect(await page.locator('#kefu-widget img').count()).toBe(0);

    // Phones get the whole screen.
    await page.setViewportSize({ width: 390, height: 760 });
    const box = await panel.boundingBox();
    expect(box).toMatchObject({ x: 0, y: 0, width: 390, height: 760 });

    expect(pageErrors).toEqual([]);
  });
});

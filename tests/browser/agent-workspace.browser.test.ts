import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { demoKnowledge } from '../../admin/demo/demo-shop';
import { ARTIFACTS, describeInBrowser, launchChromium, waitForMoreBotMessages } from '../support/browser';
import { api } from '../support/http';
import { type TestServer, startTestServer } from '../support/server';

// Two pages at once: an agent in the workspace (/agent) and a logged-in demo customer in the widget.
// The customer asks for a human, the agent takes the conversation live, answers with a suggested
// reply, and hands it back to the bot, which answers again.

jest.setTimeout(180_000);

const QUESTION = '下单后多久发货？';
const AGENT_SUFFIX = '有其他问题随时找我～';

describeInBrowser('agent workspace: take a customer from the queue and hand them back to the bot', () => {
  let srv: TestServer;
  let browser: Browser;
  let agent: Page;
  let customer: Page;
  let agentToken: string;
  let screenshotsTaken = false;
  const pageErrors: string[] = [];

  const botCount = () =>
    customer.evaluate(
      () =>
        document.querySelector('#kefu-widget')?.shadowRoot?.querySelectorAll('[data-role="bot"]').length ?? 0,
    );
  const customerUserAcked = (text: string) =>
    customer
      .locator('[data-testid="kefu-message"][data-role="user"]:not(.pending)')
      .filter({ hasText: text })
      .first()
      .waitFor();

  async function customerSays(text: string): Promise<void> {
    await customer.getByTestId('kefu-input').fill(text);
    await customer.getByTestId('kefu-input').press('Enter');
  }

  /** Sends and waits for the bot's answer; returns the text of the new bot messages. */
  async function customerAsks(text: string): Promise<string> {
    const before = await botCount();
    await customerSays(text);
    await waitForMoreBotMessages(customer, before);
    const all = await customer.locator('[data-testid="kefu-message"][data-role="bot"]').allTextContents();
    return all.slice(before).join('\n');
  }

  const transcript = () => agent.getByTestId('ws-transcript-message');

  async function screenshots(): Promise<void> {
    mkdirSync(ARTIFACTS, { recursive: true });
    await agent.screenshot({ path: path.join(ARTIFACTS, 'agent-workspace.png') });
    await customer.screenshot({ path: path.join(ARTIFACTS, 'agent-workspace-customer.png') });
    screenshotsTaken = true;
  }

  beforeAll(async () => {
    srv = await startTestServer({ demo: true });
    browser = await launchChromium();
    agent = await (
      await browser.newContext({ locale: 'zh-CN', viewport: { width: 1400, height: 860 } })
    ).newPage();
    agent.on('pageerror', (err) => pageErrors.push(err.message));
    customer = await (
      await browser.newContext({ locale: 'zh-CN', viewport: { width: 1100, height: 800 } })
    ).newPage();
  });

  afterAll(async () => {
    // A failed run still leaves pictures of where it stopped.
    if (!screenshotsTaken && agent && customer) await screenshots().catch(() => undefined);
    await browser?.close();
    await srv?.stop();
  });

  test('the shop creates an agent, who signs in with the token and goes live', async () => {
    const created = await api(srv.url, 'POST', '/api/v1/shops/demo/agents', {
      token: srv.demoApiKey,
      body: { name: '小王', tier: 'L1', languages: ['zh-CN'], maxConcurrent: 3 },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(String), token: expect.any(String) });
    agentToken = created.body.token;

    const page = await agent.goto(`${srv.url}/agent`);
    expect(page?.headers()['cache-control']).toBe('no-cache');
    // A wrong token: the API's message, and still the sign-in form.
    await agent.getByTestId('ws-token').fill('not-a-real-token');
    await agent.getByTestId('ws-signin').click();
    await agent.getByTestId('ws-signin-error').filter({ hasText: /\S/ }).waitFor();

    await agent.getByTestId('ws-token').fill(agentToken);
    await agent.getByTestId('ws-signin').click();
    await agent.getByTestId('ws-connection').filter({ hasText: '已连接' }).waitFor();
    expect(await agent.getByTestId('ws-agent').textContent()).toContain('小王');
    // The token stays in the tab's session storage, never in the address.
    expect(agent.url()).not.toContain(agentToken);
    expect(await agent.evaluate(() => Object.values(sessionStorage))).toContain(agentToken);
  });

  test('a customer who asks for a human shows up in the queue without a reload', async () => {
    await customer.goto(`${srv.url}/?as=c-1001`);
    await customer.getByTestId('kefu-launcher').click();
    await customer.getByTestId('kefu-panel').waitFor({ state: 'visible' });
    expect(await customerAsks('转人工')).toMatch(/人工/);
    await customerSays(QUESTION);
    await customerUserAcked(QUESTION);

    const item = agent.getByTestId('ws-queue-item').first();
    await item.waitFor();
    expect(await item.getAttribute('data-handoff-id')).toBeTruthy();
    expect(await item.textContent()).toMatch(/客户要求转人工/);
  });

  test('the agent takes it and sees the summary, the reason, the transcript and suggestions', async () => {
    await agent.getByTestId('ws-queue-item').first().getByTestId('ws-take').click();
    await agent.getByTestId('ws-mine-item').first().waitFor();
    await agent
      .getByTestId('ws-summary')
      .filter({ hasText: /发货|转人工/ })
      .waitFor();
    expect(await agent.getByTestId('ws-reason').textContent()).toMatch(/\S/);
    await transcript().filter({ hasText: '转人工' }).first().waitFor();
    await transcript().filter({ hasText: QUESTION }).first().waitFor();
    expect(await transcript().filter({ hasText: '转人工' }).first().getAttribute('data-role')).toBe('user');
    expect(await agent.getByTestId('ws-profile').textContent()).toContain('c-1001');
    await agent.getByTestId('ws-suggestion').first().waitFor();
  });

  test('a suggested reply, edited, reaches the customer as the agent', async () => {
    const suggestion = agent.getByTestId('ws-suggestion').first();
    const suggested = ((await suggestion.getByTestId('ws-suggestion-text').textContent()) ?? '').trim();
    expect(suggested).not.toBe('');
    await suggestion.getByTestId('ws-suggestion-insert').click();
    const reply = agent.getByTestId('ws-reply');
    expect(await reply.inputValue()).toContain(suggested);

    const text = `${suggested}${AGENT_SUFFIX}`;
    await reply.fill(text);
    await agent.getByTestId('ws-send').click();
    await agent.locator('[data-testid="ws-transcript-message"][data-role="agent"]').first().waitFor();
    expect(await reply.inputValue()).toBe('');

    const fromAgent = customer.locator('[data-testid="kefu-message"][data-role="agent"]');
    await fromAgent.filter({ hasText: AGENT_SUFFIX }).first().waitFor();
    expect(await fromAgent.first().textContent()).toContain(suggested);
  });

  test('while the agent holds the conversation, the bot stays silent', async () => {
    const before = await botCount();
    // Customers' words are text on the agent's screen, never markup.
    const held = '好的，那我等一下 <img src=x onerror="window.__xss=1">';
    await customerSays(held);
    await customerUserAcked(held);
    await transcript().filter({ hasText: held }).first().waitFor();
    expect(await agent.locator('[data-testid="ws-transcript"] img').count()).toBe(0);
    expect(await agent.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    await customer.waitForTimeout(1500);
    expect(await botCount()).toBe(before);
  });

  test('back to the bot: the customer hears from the bot again, and it answers questions', async () => {
    const before = await botCount();
    await agent.getByTestId('ws-resolve-bot').click();
    await waitForMoreBotMessages(customer, before);
    await agent.getByTestId('ws-mine-item').first().waitFor({ state: 'detached' });
    expect(await agent.getByTestId('ws-reply').isDisabled()).toBe(true);

    const fee = demoKnowledge().find((e) => e.id === 'zh-shipping-fee');
    expect(fee).toBeDefined();
    expect(await customerAsks('运费怎么算？')).toContain(fee!.answer.slice(0, 12));

    await screenshots();
    expect(pageErrors).toEqual([]);
  });
});

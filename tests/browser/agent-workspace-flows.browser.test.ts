import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { demoKnowledge } from '../../admin/demo/demo-shop';
import { ARTIFACTS, describeInBrowser, launchChromium } from '../support/browser';
import { api } from '../support/http';
import { type TestServer, startTestServer } from '../support/server';

// The agent workspace's other flows, each on a server of its own: an L1 agent takes the next
// customer and transfers them to an L2 agent, who sees the note and the whole conversation; assist
// mode, where the customer (in the real widget) sees the bot's answers only once an agent approved
// them; messages left while nobody was online; and signing out, which takes the agent offline.

jest.setTimeout(180_000);

const SHOP = 'demo';
const shopPath = (p: string) => `/api/v1/shops/${SHOP}${p}`;
/** open == close: the people are at work around the clock, whatever time the test runs. */
const AROUND_THE_CLOCK = { timezone: 'UTC', days: [0, 1, 2, 3, 4, 5, 6], open: '00:00', close: '00:00' };

interface Message {
  id: string;
  role: 'user' | 'bot' | 'agent';
  text: string | null;
}

describeInBrowser('agent workspace flows', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** A server with the demo shop, its people at work around the clock. */
  async function demoServer(): Promise<TestServer> {
    const srv = await startTestServer({ demo: true });
    await putSettings(srv, { businessHours: AROUND_THE_CLOCK });
    return srv;
  }

  async function putSettings(srv: TestServer, patch: Record<string, unknown>): Promise<void> {
    const res = await api(srv.url, 'PUT', shopPath('/settings'), { token: srv.demoApiKey, body: patch });
    expect(res.status).toBe(200);
  }

  async function createAgent(
    srv: TestServer,
    name: string,
    tier: 'L1' | 'L2' | 'expert',
  ): Promise<{ id: string; token: string; name: string }> {
    const res = await api(srv.url, 'POST', shopPath('/agents'), {
      token: srv.demoApiKey,
      body: { name, tier, languages: ['zh-CN'], maxConcurrent: 3 },
    });
    expect(res.status).toBe(201);
    return { id: res.body.id, token: res.body.token, name };
  }

  async function agentStatus(srv: TestServer, agentId: string): Promise<string | undefined> {
    const res = await api(srv.url, 'GET', shopPath('/agents'), { token: srv.demoApiKey });
    expect(res.status).toBe(200);
    return (res.body.agents as { id: string; status: string }[]).find((a) => a.id === agentId)?.status;
  }

  /** A customer of the app channel (REST). */
  async function customerSays(
    srv: TestServer,
    userId: string,
    text: string,
  ): Promise<{ conversationId: string; replies: { text: string }[]; handoff: string }> {
    const res = await api(srv.url, 'POST', shopPath('/messages'), { body: { userId, text } });
    expect(res.status).toBe(200);
    return res.body;
  }

  async function history(srv: TestServer, conversationId: string): Promise<Message[]> {
    const res = await api(srv.url, 'GET', shopPath(`/conversations/${conversationId}/messages`), {
      token: srv.demoApiKey,
    });
    expect(res.status).toBe(200);
    return res.body.messages;
  }

  async function newPage(errors: string[], width = 1400): Promise<Page> {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width, height: 860 } });
    const page = await context.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    return page;
  }

  async function signIn(page: Page, srv: TestServer, token: string): Promise<void> {
    if (!page.url().startsWith(`${srv.url}/agent`)) await page.goto(`${srv.url}/agent`);
    await page.getByTestId('ws-token').fill(token);
    await page.getByTestId('ws-signin').click();
    await page.getByTestId('ws-connection').filter({ hasText: '已连接' }).waitFor();
  }

  /** A mark on the page's window: still there later means the page was never reloaded. */
  const markPage = (page: Page) =>
    page.evaluate(() => ((window as unknown as { __kefuMark?: boolean }).__kefuMark = true));
  const stillMarked = (page: Page) =>
    page.evaluate(() => (window as unknown as { __kefuMark?: boolean }).__kefuMark === true);

  async function screenshot(page: Page, name: string): Promise<void> {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, `agent-workspace-flows-${name}.png`) });
  }

  // ---------------------------------------------------------------------------------------------

  describe('take next, and transfer from L1 to L2', () => {
    const NOTE = '屏幕竖线，客户要求换新，请二线确认';
    const L1_REPLY = '您好，请问是哪一个订单？';
    const userId = `u-transfer-${Date.now()}`;
    let srv: TestServer;
    let l1: Page;
    let l2: Page;
    let l1Agent: { id: string; token: string; name: string };
    let l2Agent: { id: string; token: string; name: string };
    let conversationId: string;
    let handoffId: string;
    let done = false;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      srv = await demoServer();
      l1 = await newPage(pageErrors);
      l2 = await newPage(pageErrors);
    });

    afterAll(async () => {
      if (!done && l1 && l2) {
        await screenshot(l1, 'transfer-l1').catch(() => undefined);
        await screenshot(l2, 'transfer-l2').catch(() => undefined);
      }
      await l1?.context().close();
      await l2?.context().close();
      await srv?.stop();
    });

    test('an L1 and an L2 agent sign in, each in a browser of their own', async () => {
      l1Agent = await createAgent(srv, '一线小王', 'L1');
      l2Agent = await createAgent(srv, '二线老李', 'L2');
      await signIn(l1, srv, l1Agent.token);
      await signIn(l2, srv, l2Agent.token);
      expect(await l1.getByTestId('ws-agent').textContent()).toContain('一线小王');
      expect(await l2.getByTestId('ws-agent').textContent()).toContain('二线老李');
      expect(await agentStatus(srv, l1Agent.id)).toBe('online');
      expect(await agentStatus(srv, l2Agent.id)).toBe('online');
      await markPage(l1);
      await markPage(l2);
    });

    test('the L1 agent takes the next customer: the conversation opens and leaves the queue', async () => {
      await customerSays(srv, userId, '我买的手机屏幕有问题');
      const asked = await customerSays(srv, userId, '转人工');
      expect(asked.handoff).toBe('queued');
      conversationId = asked.conversationId;

      // Both queues show the customer live.
      for (const page of [l1, l2]) await page.getByTestId('ws-queue-item').first().waitFor();
      handoffId = (await l1.getByTestId('ws-queue-item').first().getAttribute('data-handoff-id')) ?? '';
      expect(handoffId).not.toBe('');

      await l1.getByTestId('ws-take-next').click();
      await l1.getByTestId('ws-conversation').waitFor({ state: 'visible' });
      await l1.locator(`[data-testid="ws-mine-item"][data-conversation-id="${conversationId}"]`).waitFor();
      expect(await l1.getByTestId('ws-customer').textContent()).toContain(userId);
      const transcript = l1.getByTestId('ws-transcript-message');
      await transcript.filter({ hasText: '我买的手机屏幕有问题' }).first().waitFor();
      await transcript.filter({ hasText: '转人工' }).first().waitFor();
      await transcript.filter({ hasText: '客服一线小王已接入' }).first().waitFor();
      expect(await l1.getByTestId('ws-reply').isEnabled()).toBe(true);

      // Taken: gone from both queues, without a reload.
      for (const page of [l1, l2]) {
        await page.locator(`[data-testid="ws-queue-item"][data-handoff-id="${handoffId}"]`).waitFor({
          state: 'detached',
        });
      }
      const handoff = await api(srv.url, 'GET', shopPath(`/handoffs/${handoffId}`), {
        token: srv.demoApiKey,
      });
      expect(handoff.body).toMatchObject({ status: 'assigned', assignedTo: l1Agent.id, tier: 'L1' });
    });

    test('the L1 agent talks with the customer, then transfers to L2 with a note', async () => {
      // The customer's words reach the agent live; the agent's reply reaches the customer.
      const held = await customerSays(srv, userId, '屏幕上有一条绿色竖线');
      expect(held).toMatchObject({ handoff: 'agent', replies: [] });
      await l1
        .getByTestId('ws-transcript-message')
        .filter({ hasText: '屏幕上有一条绿色竖线' })
        .first()
        .waitFor();
      await l1.getByTestId('ws-reply').fill(L1_REPLY);
      await l1.getByTestId('ws-send').click();
      await l1
        .locator('[data-testid="ws-transcript-message"][data-role="agent"]')
        .filter({ hasText: L1_REPLY })
        .waitFor();

      await l1.getByTestId('ws-transfer-tier').selectOption('L2');
      await l1.getByTestId('ws-transfer-note').fill(NOTE);
      await l1.getByTestId('ws-transfer').click();

      // The L1 agent's view stays open, read-only, and the conversation is no longer theirs.
      await l1.getByTestId('ws-view-banner').filter({ hasText: '已转接给二线 L2' }).waitFor();
      await l1.getByTestId('ws-mine-item').first().waitFor({ state: 'detached' });
      expect(await l1.getByTestId('ws-reply').isDisabled()).toBe(true);

      const handoff = await api(srv.url, 'GET', shopPath(`/handoffs/${handoffId}`), {
        token: srv.demoApiKey,
      });
      expect(handoff.body).toMatchObject({
        status: 'transferred',
        tier: 'L2',
        assignedTo: null,
        notes: [{ fromTier: 'L1', toTier: 'L2', note: NOTE, agentId: l1Agent.id }],
      });
    });

    test("the L2 agent's queue shows it live, with the note", async () => {
      const item = l2.locator(`[data-testid="ws-queue-item"][data-handoff-id="${handoffId}"]`);
      await item.waitFor();
      expect(await item.locator('[data-field="tier"]').textContent()).toBe('二线 L2');
      expect(await item.locator('[data-field="user"]').textContent()).toBe(userId);
      expect(await item.locator('[data-field="note"]').textContent()).toBe(`一线 L1 → 二线 L2：${NOTE}`);
      expect(await stillMarked(l2)).toBe(true);
      expect(await stillMarked(l1)).toBe(true);
    });

    test('the L2 agent takes it and sees the note and the whole transcript', async () => {
      await l2
        .locator(`[data-testid="ws-queue-item"][data-handoff-id="${handoffId}"]`)
        .getByTestId('ws-take')
        .click();
      await l2.locator(`[data-testid="ws-mine-item"][data-conversation-id="${conversationId}"]`).waitFor();
      await l2.getByTestId('ws-conversation').waitFor({ state: 'visible' });
      await l2.getByTestId('ws-notes').getByText(`一线 L1 → 二线 L2：${NOTE}`).waitFor();
      expect(await l2.getByTestId('ws-reason').textContent()).toBe('客户要求转人工');
      await l2
        .getByTestId('ws-transcript-message')
        .filter({ hasText: '客服二线老李已接入' })
        .first()
        .waitFor();
      expect(await l2.getByTestId('ws-reply').isEnabled()).toBe(true);

      // Everything the customer and the bot and the L1 agent said, in order, and nothing else.
      const messages = await history(srv, conversationId);
      expect(messages.map((m) => `${m.role}:${m.text}`)).toEqual(
        expect.arrayContaining([
          'user:我买的手机屏幕有问题',
          'user:转人工',
          'bot:客服一线小王已接入，为您服务。',
          'user:屏幕上有一条绿色竖线',
          `agent:${L1_REPLY}`,
          expect.stringMatching(/^bot:正在为您转接二线/),
          'bot:客服二线老李已接入，为您服务。',
        ]),
      );
      const shown = l2.getByTestId('ws-transcript-message');
      const rows = await shown.evaluateAll((nodes) =>
        nodes.map((n) => ({
          id: n.getAttribute('data-id'),
          role: n.getAttribute('data-role'),
          text: n.textContent,
        })),
      );
      expect(rows.map((r) => `${r.id}:${r.role}`)).toEqual(messages.map((m) => `${m.id}:${m.role}`));
      messages.forEach((m, i) => expect(rows[i]!.text).toContain(m.text ?? ''));

      await screenshot(l1, 'transfer-l1');
      await screenshot(l2, 'transfer-l2');
      done = true;
      expect(pageErrors).toEqual([]);
    });
  });

  // ---------------------------------------------------------------------------------------------

  describe('assist mode: the customer sees the bot only after an agent approved it', () => {
    const FEE_QUESTION = '运费怎么算？';
    const SHIPPING_QUESTION = '下单后多久发货？';
    const EDITED = '满 99 元包邮，不满 99 元运费 8 元；我是客服小周，还有问题随时找我。';
    let srv: TestServer;
    let agent: Page;
    let customer: Page;
    let agentInfo: { id: string; token: string; name: string };
    let done = false;
    const pageErrors: string[] = [];

    const agentMessages = () => customer.locator('[data-testid="kefu-message"][data-role="agent"]');
    const draftFor = (question: string) =>
      agent
        .getByTestId('ws-draft')
        .filter({ has: agent.getByTestId('ws-draft-question').getByText(question) });

    /** What the customer's widget shows after their question (role and text of each message). */
    const shownAfter = (question: string) =>
      customer.evaluate((q) => {
        const nodes = Array.from(
          document
            .querySelector('#kefu-widget')
            ?.shadowRoot?.querySelectorAll('[data-testid="kefu-message"]') ?? [],
        );
        const at = nodes.findIndex((n) => n.getAttribute('data-role') === 'user' && n.textContent === q);
        if (at < 0) throw new Error(`the widget does not show the question ${q}`);
        return nodes
          .slice(at + 1)
          .map((n) => ({ role: n.getAttribute('data-role'), text: n.textContent ?? '' }));
      }, question);

    async function widgetSays(text: string): Promise<void> {
      await customer.getByTestId('kefu-input').fill(text);
      await customer.getByTestId('kefu-input').press('Enter');
      await customer
        .locator('[data-testid="kefu-message"][data-role="user"]:not(.pending)')
        .filter({ hasText: text })
        .first()
        .waitFor();
    }

    beforeAll(async () => {
      srv = await demoServer();
      await putSettings(srv, { mode: 'assist' });
      agent = await newPage(pageErrors);
      customer = await newPage(pageErrors, 1100);
    });

    afterAll(async () => {
      try {
        if (!done && agent && customer) {
          await screenshot(agent, 'assist').catch(() => undefined);
          await screenshot(customer, 'assist-customer').catch(() => undefined);
        }
      } finally {
        if (srv) await putSettings(srv, { mode: 'auto' }).catch(() => undefined);
        await agent?.context().close();
        await customer?.context().close();
        await srv?.stop();
      }
    });

    test('the bot drafts its answer: the agent sees it live, the customer sees nothing', async () => {
      agentInfo = await createAgent(srv, '客服小周', 'L1');
      await signIn(agent, srv, agentInfo.token);
      await markPage(agent);

      await customer.goto(`${srv.url}/?as=c-1001`);
      await customer.getByTestId('kefu-launcher').click();
      await customer.getByTestId('kefu-panel').waitFor({ state: 'visible' });

      await widgetSays(FEE_QUESTION);
      const draft = draftFor(FEE_QUESTION);
      await draft.waitFor();
      const fee = demoKnowledge().find((e) => e.id === 'zh-shipping-fee');
      expect(fee).toBeDefined();
      expect(await draft.getByTestId('ws-draft-text').inputValue()).toContain(fee!.answer.slice(0, 12));
      expect(await stillMarked(agent)).toBe(true);

      // The turn is over (its draft exists); give a stray answer time to arrive, and see none did.
      await customer.waitForTimeout(1500);
      expect(await shownAfter(FEE_QUESTION)).toEqual([]);
      expect(
        await customer
          .getByTestId('kefu-message')
          .filter({ hasText: fee!.answer.slice(0, 12) })
          .count(),
      ).toBe(0);
    });

    test('an edited draft reaches the customer as the agent, with the edited text', async () => {
      const draft = draftFor(FEE_QUESTION);
      const draftId = await draft.getAttribute('data-draft-id');
      await draft.getByTestId('ws-draft-text').fill(EDITED);
      await draft.getByTestId('ws-draft-approve').click();

      await agentMessages().filter({ hasText: EDITED }).waitFor();
      await draft.waitFor({ state: 'detached' });
      await agent.getByTestId('ws-notice').filter({ hasText: '草稿已发送给客户。' }).waitFor();
      // Only the edited text, as the agent: not the bot's draft beside it.
      await customer.waitForTimeout(500);
      const shown = await shownAfter(FEE_QUESTION);
      expect(shown.map((m) => m.role)).toEqual(['agent']);
      expect(shown[0]!.text).toContain(EDITED);

      const sent = await api(srv.url, 'GET', shopPath('/drafts?status=sent'), { token: srv.demoApiKey });
      expect(sent.body.drafts.find((d: { id: string }) => d.id === draftId)).toMatchObject({
        status: 'sent',
        question: FEE_QUESTION,
        decidedBy: agentInfo.id,
        replies: [{ text: EDITED }],
      });
    });

    test('a draft approved as written reaches the customer as the bot', async () => {
      await widgetSays(SHIPPING_QUESTION);
      const draft = draftFor(SHIPPING_QUESTION);
      await draft.waitFor();
      const draftId = await draft.getAttribute('data-draft-id');
      const text = await draft.getByTestId('ws-draft-text').inputValue();
      const shipping = demoKnowledge().find((e) => e.id === 'zh-shipping-time');
      expect(shipping).toBeDefined();
      expect(text).toContain(shipping!.answer.slice(0, 12));
      await customer.waitForTimeout(1500);
      expect(await shownAfter(SHIPPING_QUESTION)).toEqual([]);

      await draft.getByTestId('ws-draft-approve').click();
      await customer
        .locator('[data-testid="kefu-message"][data-role="bot"]')
        .filter({ hasText: shipping!.answer.slice(0, 12) })
        .waitFor();
      await draft.waitFor({ state: 'detached' });
      await customer.waitForTimeout(500);
      const shown = await shownAfter(SHIPPING_QUESTION);
      expect(shown.every((m) => m.role === 'bot')).toBe(true);
      expect(shown.map((m) => m.text).join('\n\n')).toBe(text);

      const sent = await api(srv.url, 'GET', shopPath('/drafts?status=sent'), { token: srv.demoApiKey });
      expect(sent.body.drafts.find((d: { id: string }) => d.id === draftId)).toMatchObject({
        status: 'sent',
        question: SHIPPING_QUESTION,
        decidedBy: agentInfo.id,
      });

      await screenshot(agent, 'assist');
      await screenshot(customer, 'assist-customer');
      done = true;
      expect(pageErrors).toEqual([]);
    });
  });

  // ---------------------------------------------------------------------------------------------

  describe('signing out, and the messages left while nobody was online', () => {
    const LEFT = '我的快递三天没动了，电话 13800138000，麻烦回电';
    const REPLY = '您好，已联系快递公司加急处理，今天内给您回电。';
    const userId = `u-ticket-${Date.now()}`;
    let srv: TestServer;
    let agent: Page;
    let agentInfo: { id: string; token: string; name: string };
    let conversationId: string;
    let ticketId: string;
    let done = false;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      srv = await demoServer();
      agent = await newPage(pageErrors);
    });

    afterAll(async () => {
      if (!done && agent) await screenshot(agent, 'tickets').catch(() => undefined);
      await agent?.context().close();
      await srv?.stop();
    });

    test('signing out sets the agent offline and shows the sign-in form again', async () => {
      agentInfo = await createAgent(srv, '客服小张', 'L1');
      await signIn(agent, srv, agentInfo.token);
      expect(await agentStatus(srv, agentInfo.id)).toBe('online');

      await agent.getByTestId('ws-signout').click();
      await agent.getByTestId('ws-token').waitFor({ state: 'visible' });
      expect(await agent.getByTestId('ws-signin').isVisible()).toBe(true);
      expect(await agent.getByTestId('ws-queue').isVisible()).toBe(false);
      expect(await agent.evaluate(() => Object.values(sessionStorage))).not.toContain(agentInfo.token);
      expect(await agentStatus(srv, agentInfo.id)).toBe('offline');
    });

    test('with nobody online the customer leaves a message, and it becomes a ticket', async () => {
      const asked = await customerSays(srv, userId, '转人工');
      expect(asked.handoff).toBe('queued');
      expect(asked.replies.map((r) => r.text).join('\n')).toMatch(/暂时没有客服在线/);
      conversationId = asked.conversationId;
      const left = await customerSays(srv, userId, LEFT);
      expect(left.replies.map((r) => r.text).join('\n')).toMatch(/已记录您的留言（工单号 tk_/);

      const open = await api(srv.url, 'GET', shopPath('/tickets?status=open'), { token: srv.demoApiKey });
      const ticket = open.body.tickets.find(
        (t: { conversationId: string }) => t.conversationId === conversationId,
      );
      expect(ticket).toMatchObject({ userId, message: expect.stringContaining('三天没动') });
      ticketId = ticket.id;
    });

    test('an agent who signs in sees the ticket, answers it, and the customer gets the answer', async () => {
      await signIn(agent, srv, agentInfo.token);
      const item = agent.locator(`[data-testid="ws-ticket"][data-ticket-id="${ticketId}"]`);
      await item.waitFor();
      expect(await item.getByTestId('ws-ticket-message').textContent()).toContain(LEFT);
      expect(await item.textContent()).toContain(userId);

      await item.getByTestId('ws-ticket-open').click();
      await agent.getByTestId('ws-conversation').waitFor({ state: 'visible' });
      await agent.getByTestId('ws-view-banner').filter({ hasText: '客户留言' }).waitFor();
      await agent.getByTestId('ws-transcript-message').filter({ hasText: LEFT }).first().waitFor();
      expect(await agent.getByTestId('ws-customer').textContent()).toContain(userId);
      expect(await agent.getByTestId('ws-reply').isEnabled()).toBe(true);

      await agent.getByTestId('ws-reply').fill(REPLY);
      await agent.getByTestId('ws-send').click();
      await agent
        .locator('[data-testid="ws-transcript-message"][data-role="agent"]')
        .filter({ hasText: REPLY })
        .waitFor();
      expect(await agent.getByTestId('ws-reply').inputValue()).toBe('');
      const messages = await history(srv, conversationId);
      expect(messages.at(-1)).toMatchObject({ role: 'agent', text: REPLY });
    });

    test('closing the ticket takes it off the list', async () => {
      const item = agent.locator(`[data-testid="ws-ticket"][data-ticket-id="${ticketId}"]`);
      await item.getByTestId('ws-ticket-close').click();
      await item.waitFor({ state: 'detached' });
      await agent.getByTestId('ws-notice').filter({ hasText: '留言已关闭。' }).waitFor();
      expect(await agent.getByTestId('ws-ticket').count()).toBe(0);
      // The open conversation had only the ticket as a reason to reply: it is read-only now.
      await agent.getByTestId('ws-view-banner').filter({ hasText: '留言已关闭' }).waitFor();
      expect(await agent.getByTestId('ws-reply').isDisabled()).toBe(true);

      const open = await api(srv.url, 'GET', shopPath('/tickets?status=open'), { token: srv.demoApiKey });
      expect(open.body.tickets.map((t: { id: string }) => t.id)).not.toContain(ticketId);
      const closed = await api(srv.url, 'GET', shopPath('/tickets?status=closed'), { token: srv.demoApiKey });
      expect(closed.body.tickets.find((t: { id: string }) => t.id === ticketId)).toMatchObject({
        status: 'closed',
        closedBy: agentInfo.id,
      });

      await screenshot(agent, 'tickets');
      done = true;
      expect(pageErrors).toEqual([]);
    });
  });
});

import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { errorHandler } from '../../bot/http';
import { userHashFor } from '../../bot/identity';
import type { Shop } from '../../bot/store/shops.repo';
import { type TestServer, startTestServer } from '../../tests/support/server';
import {
  type AgentsRef,
  adaptiveCardOf,
  createAgentsChannel,
  interpretActivity,
  normalizeLocale,
  renderActivity,
} from './agents.adapter';
import { FakeConnector, fixture } from './agents.test-support';

const SHOP: Shop = {
  id: 'shop-golden',
  name: 'Golden Shop',
  locales: ['zh-CN', 'en-US'],
  identitySecret: 'golden-identity-secret',
} as Shop;

describe('golden: activity → InboundMessage', () => {
  test('Emulator text message: anonymous, locale normalized, dedup by conversation + activity id', () => {
    const inbound = interpretActivity(SHOP, fixture('emulator-message') as never);
    expect(inbound).toEqual({
      kind: 'message',
      message: {
        shopId: 'shop-golden',
        channel: 'agents',
        userId: 'agents:emulator:5e1e3ae0-5d2c-11ef-9d0b-3b1b9f1c2a11',
        verified: false,
        text: '你好',
        locale: 'zh-CN',
        dedupKey: 'agents:8a4d2c10-5d2c-11ef-b0a5-8d6f3c2e7d11|livechat:9b7f1e20-5d2c-11ef-9d0b-3b1b9f1c2a11',
      },
      ref: {
        shopId: 'shop-golden',
        channelId: 'emulator',
        serviceUrl: 'http://localhost:51234',
        conversation: { id: '8a4d2c10-5d2c-11ef-b0a5-8d6f3c2e7d11|livechat' },
        bot: { id: 'd4c5f3a0-5d2c-11ef-b0a5-8d6f3c2e7d11', name: 'Bot', role: 'bot' },
        user: { id: '5e1e3ae0-5d2c-11ef-9d0b-3b1b9f1c2a11', name: 'User', role: 'user' },
        activityId: '9b7f1e20-5d2c-11ef-9d0b-3b1b9f1c2a11',
        locale: 'zh-CN',
      },
    });
  });

  test('Teams message with a mention and a shop-vouched identity: verified, mention stripped', () => {
    const body = fixture('teams-message');
    body.channelData = {
      tenant: { id: '72f988bf-86f1-41af-91ab-2d7cd011db47' },
      kefu: { userId: 'c-1001', userHash: userHashFor(SHOP.identitySecret, 'c-1001') },
    };
    const inbound = interpretActivity(SHOP, body as never);
    expect(inbound?.kind).toBe('message');
    if (inbound?.kind !== 'message') return;
    expect(inbound.message).toEqual({
      shopId: 'shop-golden',
      channel: 'agents',
      userId: 'c-1001',
      verified: true,
      text: 'Where is my order 1001?',
      locale: 'en-US',
      dedupKey: 'agents:a:1XyZabcDEFghiJKLmnoPQRstuVWXyz0123456789:1714529000123',
    });
    expect(inbound.ref.conversation).toEqual({
      id: 'a:1XyZabcDEFghiJKLmnoPQRstuVWXyz0123456789',
      conversationType: 'personal',
      tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    });
  });

  test('a wrong userHash is a 401, a malformed channelData.kefu a 400', () => {
    const bad = fixture('teams-message');
    bad.channelData = { kefu: { userId: 'c-1001', userHash: 'ab'.repeat(32) } };
    expect(() => interpretActivity(SHOP, bad as never)).toThrow(expect.objectContaining({ status: 401 }));
    bad.channelData = { kefu: { userId: 'c-1001' } };
    expect(() => interpretActivity(SHOP, bad as never)).toThrow(expect.objectContaining({ status: 400 }));
  });

  test('Adaptive Card Action.Submit (Teams) and messageBack (Web Chat) → payload, not text', () => {
    const card = interpretActivity(SHOP, fixture('teams-card-submit') as never);
    expect(card?.kind === 'message' && card.message).toEqual({
      shopId: 'shop-golden',
      channel: 'agents',
      userId: 'agents:msteams:29:1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefGHIJ',
      verified: false,
      payload: 'refund_order:1001',
      locale: 'en-US',
      dedupKey: 'agents:a:1XyZabcDEFghiJKLmnoPQRstuVWXyz0123456789:1714529000456',
    });
    const back = interpretActivity(SHOP, fixture('webchat-message-back') as never);
    expect(back?.kind === 'message' && back.message).toEqual({
      shopId: 'shop-golden',
      channel: 'agents',
      userId: 'agents:webchat:dl_7d4c1a2b3c4d5e6f',
      verified: false,
      payload: 'human',
      locale: 'en-US',
      dedupKey: 'agents:DfSkX0PqXyz1234567890-o:DfSkX0PqXyz1234567890-o|0000003',
    });
  });

  test('conversationUpdate: Emulator adds the user, Teams personal install adds the bot → start', () => {
    const emu = interpretActivity(SHOP, fixture('emulator-conversation-update') as never);
    expect(emu).toMatchObject({
      kind: 'start',
      locale: 'zh-CN',
      ref: { user: { id: '5e1e3ae0-5d2c-11ef-9d0b-3b1b9f1c2a11', name: 'User' }, channelId: 'emulator' },
    });
    const teams = interpretActivity(SHOP, fixture('teams-install') as never);
    expect(teams).toMatchObject({
      kind: 'start',
      ref: { user: { id: '29:1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefGHIJ' }, channelId: 'msteams' },
    });
    // The bot alone joining a group conversation greets nobody.
    const group = fixture('teams-install', {
      conversation: { id: '19:abc@thread.tacv2', conversationType: 'channel' },
    });
    expect(interpretActivity(SHOP, group as never)).toBeUndefined();
  });

  test('typing and other activity types run nothing; empty and too long messages are refused', () => {
    expect(interpretActivity(SHOP, fixture('emulator-typing') as never)).toBeUndefined();
    expect(() => interpretActivity(SHOP, fixture('emulator-message', { text: '  ' }) as never)).toThrow(
      expect.objectContaining({ status: 400, code: 'EMPTY_MESSAGE' }),
    );
    expect(() =>
      interpretActivity(SHOP, fixture('emulator-message', { text: '字'.repeat(2001) }) as never),
    ).toThrow(expect.objectContaining({ status: 413 }));
    expect(() =>
      interpretActivity(SHOP, fixture('emulator-message', { serviceUrl: 'ftp://x' }) as never),
    ).toThrow(expect.objectContaining({ status: 400 }));
  });

  test('locales from the wire', () => {
    expect(normalizeLocale('zh-cn')).toBe('zh-CN');
    expect(normalizeLocale('en_us')).toBe('en-US');
    expect(normalizeLocale('zh-hans')).toBe('zh-Hans');
    expect(normalizeLocale('fr')).toBe('fr');
    expect(normalizeLocale('not a locale')).toBeUndefined();
    expect(normalizeLocale(undefined)).toBeUndefined();
  });
});

const REF: AgentsRef = {
  shopId: 'shop-golden',
  channelId: 'emulator',
  serviceUrl: 'http://localhost:51234',
  conversation: { id: 'conv-1' },
  bot: { id: 'bot-1', name: 'Bot' },
  user: { id: 'user-1', name: 'User' },
};

describe('golden: replies → outgoing activities', () => {
  test('text with quick replies → suggestedActions (messageBack carrying the payload)', () => {
    const out = renderActivity(
      {
        text: '请选择订单',
        quickReplies: [
          { title: '订单 1001', payload: 'pick:1001' },
          { title: '转人工', payload: 'human' },
        ],
      },
      { ref: REF, replyToId: 'act-9', locale: 'zh-CN' },
    );
    expect(out).toEqual({
      type: 'message',
      channelId: 'emulator',
      serviceUrl: 'http://localhost:51234',
      from: { id: 'bot-1', name: 'Bot' },
      recipient: { id: 'user-1', name: 'User' },
      conversation: { id: 'conv-1' },
      replyToId: 'act-9',
      locale: 'zh-CN',
      text: '请选择订单',
      textFormat: 'plain',
      inputHint: 'expectingInput',
      suggestedActions: {
        to: ['user-1'],
        actions: [
          {
            type: 'messageBack',
            title: '订单 1001',
            text: '订单 1001',
            displayText: '订单 1001',
            value: { kefu: { payload: 'pick:1001' } },
          },
          {
            type: 'messageBack',
            title: '转人工',
            text: '转人工',
            displayText: '转人工',
            value: { kefu: { payload: 'human' } },
          },
        ],
      },
    });
  });

  test('Teams gets imBack suggested actions (the only kind it shows)', () => {
    const out = renderActivity(
      { text: 'Pick one', quickReplies: [{ title: 'Agent', payload: 'human' }] },
      { ref: { ...REF, channelId: 'msteams' } },
    );
    expect(out.suggestedActions).toEqual({
      to: ['user-1'],
      actions: [{ type: 'imBack', title: 'Agent', value: 'Agent' }],
    });
    expect(out.replyToId).toBeUndefined();
  });

  test('an order card → Adaptive Card 1.5 (title, FactSet, Action.Submit with the payload)', () => {
    const card = {
      title: 'Wireless earbuds',
      subtitle: 'Order 1001',
      fields: [
        { label: 'Status', value: 'Shipped' },
        { label: 'Total', value: '¥199.00' },
      ],
      buttons: [{ title: 'This one', payload: 'choice:1001' }],
    };
    const out = renderActivity({ text: 'Your order:', card }, { ref: REF, replyToId: 'act-1' });
    expect(out.attachments).toEqual([
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: {
          type: 'AdaptiveCard',
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          version: '1.5',
          body: [
            { type: 'TextBlock', text: 'Wireless earbuds', weight: 'Bolder', size: 'Medium', wrap: true },
            { type: 'TextBlock', text: 'Order 1001', isSubtle: true, wrap: true, spacing: 'None' },
            {
              type: 'FactSet',
              facts: [
                { title: 'Status', value: 'Shipped' },
                { title: 'Total', value: '¥199.00' },
              ],
            },
          ],
          actions: [{ type: 'Action.Submit', title: 'This one', data: { kefu: { payload: 'choice:1001' } } }],
        },
      },
    ]);
    expect(out.text).toBe('Your order:');
    expect(adaptiveCardOf({ title: 'Only a title' })).toEqual({
      type: 'AdaptiveCard',
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      version: '1.5',
      body: [{ type: 'TextBlock', text: 'Only a title', weight: 'Bolder', size: 'Medium', wrap: true }],
    });
  });
});

// ---------------------------------------------------------------------------------------------

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** What Kefu must post back for a stored message, written out by hand from the protocol. */
function expectedReply(
  incoming: Record<string, unknown>,
  text: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const from = incoming.from as { id: string; name?: string };
  const recipient = incoming.recipient as { id: string; name?: string };
  return {
    type: 'message',
    channelId: incoming.channelId,
    serviceUrl: incoming.serviceUrl,
    from: recipient,
    recipient: from,
    conversation: incoming.conversation,
    replyToId: incoming.id,
    locale: 'zh-CN',
    text,
    textFormat: 'plain',
    ...extra,
  };
}

describe('HTTP: auth off (development, Emulator)', () => {
  let srv: TestServer;
  let connector: FakeConnector;
  let endpoint: string;

  beforeAll(async () => {
    srv = await startTestServer({ demo: true });
    connector = await FakeConnector.start();
    endpoint = `${srv.url}/channels/agents/demo/messages`;
  });
  afterAll(async () => {
    await srv.stop();
    await connector.stop();
  });
  beforeEach(() => {
    connector.requests.length = 0;
  });

  function activity(patch: Record<string, unknown> = {}): Record<string, unknown> {
    return fixture('emulator-message', {
      serviceUrl: connector.url,
      id: randomUUID(),
      conversation: { id: `conv-${randomUUID()}|livechat` },
      from: { id: `user-${randomUUID()}`, name: 'User', role: 'user' },
      ...patch,
    });
  }

  test('a message gets 202, and its reply is posted to serviceUrl/v3/conversations/{id}/activities/{activityId}', async () => {
    const incoming = activity({ text: '你好' });
    const res = await post(endpoint, incoming);
    expect(res).toEqual({ status: 202, body: {} });
    const [reply] = await connector.waitFor(1);
    const conv = (incoming.conversation as { id: string }).id;
    expect(reply!.method).toBe('POST');
    expect(reply!.url).toBe(
      `/v3/conversations/${conv}/activities/${encodeURIComponent(String(incoming.id))}`,
    );
    expect(reply!.authorization).toBeUndefined();
    // The stored bot reply is what went out, exactly.
    const userId = `agents:emulator:${(incoming.from as { id: string }).id}`;
    const open = await srv.platform.store.conversations.findOpen('demo', userId);
    expect(open).toBeDefined();
    const stored = await srv.platform.store.conversations.listMessages('demo', open!.id, {});
    const bot = stored.filter((m) => m.role === 'bot');
    expect(bot.length).toBeGreaterThan(0);
    await connector.waitFor(bot.length);
    expect(connector.requests.map((r) => r.body)).toEqual(
      bot.map((m) =>
        expectedReply(
          incoming,
          m.text!,
          m.quickReplies?.length
            ? {
                inputHint: 'expectingInput',
                suggestedActions: {
                  to: [(incoming.from as { id: string }).id],
                  actions: m.quickReplies.map((q) => ({
                    type: 'messageBack',
                    title: q.title,
                    text: q.title,
                    displayText: q.title,
                    value: { kefu: { payload: q.payload } },
                  })),
                },
              }
            : {},
        ),
      ),
    );
    expect(stored.find((m) => m.role === 'user')?.text).toBe('你好');
  });

  test('a verified customer gets order cards as Adaptive Cards; pressing a button sends its payload', async () => {
    const shop = await srv.platform.store.shops.findById('demo');
    const incoming = activity({
      text: '我要退款',
      channelData: { kefu: { userId: 'c-1001', userHash: userHashFor(shop!.identitySecret, 'c-1001') } },
    });
    expect((await post(endpoint, incoming)).status).toBe(202);
    const open = await waitForOpen(srv, 'c-1001');
    const stored = await waitForBotMessages(srv, open, 1);
    const withCard = stored.filter((m) => m.role === 'bot' && m.card);
    expect(withCard.length).toBeGreaterThan(0);
    const sent = await connector.waitFor(stored.filter((m) => m.role === 'bot').length);
    const cardActivity = sent.map((r) => r.body).find((b) => Array.isArray(b.attachments));
    const card = withCard[0]!.card!;
    expect(cardActivity).toEqual(
      expectedReply(incoming, withCard[0]!.text!, {
        attachments: [
          {
            contentType: 'application/vnd.microsoft.card.adaptive',
            content: {
              type: 'AdaptiveCard',
              $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
              version: '1.5',
              body: [
                { type: 'TextBlock', text: card.title, weight: 'Bolder', size: 'Medium', wrap: true },
                ...(card.subtitle
                  ? [{ type: 'TextBlock', text: card.subtitle, isSubtle: true, wrap: true, spacing: 'None' }]
                  : []),
                ...(card.fields?.length
                  ? [{ type: 'FactSet', facts: card.fields.map((f) => ({ title: f.label, value: f.value })) }]
                  : []),
              ],
              ...(card.buttons?.length
                ? {
                    actions: card.buttons.map((b) => ({
                      type: 'Action.Submit',
                      title: b.title,
                      data: { kefu: { payload: b.payload } },
                    })),
                  }
                : {}),
            },
          },
        ],
      }),
    );

    // Press the card's first button: Teams / Web Chat send `value` = the button's data.
    const button = card.buttons?.[0];
    expect(button).toBeDefined();
    const before = connector.requests.length;
    const click = activity({
      text: undefined,
      value: { kefu: { payload: button!.payload } },
      from: incoming.from,
      conversation: incoming.conversation,
      channelData: incoming.channelData,
    });
    expect((await post(endpoint, click)).status).toBe(202);
    await connector.waitFor(before + 1);
    const after = await srv.platform.store.conversations.listMessages('demo', open, {});
    const pressed = after.filter((m) => m.role === 'user').at(-1);
    expect(pressed?.payload).toBe(button!.payload);
    // Replies to the click answer the click's activity.
    expect(connector.requests[before]!.url).toContain(`/activities/${encodeURIComponent(String(click.id))}`);
  });

  test('the same activity posted twice runs one turn and is answered once', async () => {
    const incoming = activity({ text: '你好' });
    expect((await post(endpoint, incoming)).status).toBe(202);
    const userId = `agents:emulator:${(incoming.from as { id: string }).id}`;
    const open = await waitForOpen(srv, userId);
    const bot = (await waitForBotMessages(srv, open, 1)).filter((m) => m.role !== 'user');
    await connector.waitFor(bot.length);
    expect((await post(endpoint, incoming)).status).toBe(202);
    await settle(srv);
    expect(connector.requests).toHaveLength(bot.length);
    const stored = await srv.platform.store.conversations.listMessages('demo', open, {});
    expect(stored.filter((m) => m.role === 'user')).toHaveLength(1);
  });

  test('conversationUpdate greets the user who joined (sendToConversation, no replyToId)', async () => {
    const update = fixture('emulator-conversation-update', {
      serviceUrl: connector.url,
      conversation: { id: `conv-${randomUUID()}|livechat` },
    });
    expect(await post(endpoint, update)).toEqual({ status: 200, body: {} });
    const [greeting] = await connector.waitFor(1);
    const conv = (update.conversation as { id: string }).id;
    expect(greeting!.url).toBe(`/v3/conversations/${conv}/activities`);
    const settings = await srv.platform.store.shops.getSettings('demo');
    const configured = (settings.profile as { greeting: Record<string, string> }).greeting['zh-CN'];
    expect(greeting!.body).toEqual({
      type: 'message',
      channelId: 'emulator',
      serviceUrl: connector.url,
      from: { id: 'd4c5f3a0-5d2c-11ef-b0a5-8d6f3c2e7d11', name: 'Bot', role: 'bot' },
      recipient: { id: '5e1e3ae0-5d2c-11ef-9d0b-3b1b9f1c2a11', name: 'User' },
      conversation: { id: conv },
      locale: 'zh-CN',
      text: configured,
      textFormat: 'plain',
    });
  });

  test('typing is acknowledged and runs nothing; bad payloads are clear 4xx', async () => {
    const typing = fixture('emulator-typing', { serviceUrl: connector.url });
    expect(await post(endpoint, typing)).toEqual({ status: 200, body: {} });
    const noConversation = await post(endpoint, { type: 'message', channelId: 'emulator', text: 'hi' });
    expect(noConversation.status).toBe(400);
    expect((noConversation.body.error as { code: string }).code).toBe('VALIDATION_FAILED');
    expect((await post(endpoint, '{not json')).status).toBe(400);
    const tooLong = await post(endpoint, activity({ text: 'x'.repeat(2001) }));
    expect(tooLong.status).toBe(413);
    expect((await post(`${srv.url}/channels/agents/nope/messages`, activity())).status).toBe(404);
    const shop = await srv.platform.store.shops.findById('demo');
    const badHash = await post(
      endpoint,
      activity({
        channelData: { kefu: { userId: 'c-1002', userHash: userHashFor(shop!.identitySecret, 'c-1003') } },
      }),
    );
    expect(badHash.status).toBe(401);
    expect(await srv.platform.store.conversations.findOpen('demo', 'c-1002')).toBeUndefined();
    await settle(srv);
    expect(connector.requests).toHaveLength(0);
  });

  test('Teams: an imBack suggested action comes back as its title and runs as the payload', async () => {
    const teams = fixture('teams-message', {
      serviceUrl: connector.url,
      id: `${Date.now()}`,
      text: '你好',
      locale: 'zh-CN',
      channelData: { tenant: { id: '72f988bf-86f1-41af-91ab-2d7cd011db47' } },
      from: { id: `29:${randomUUID()}`, name: 'Li Lei' },
      conversation: { id: `a:${randomUUID()}`, conversationType: 'personal' },
    });
    expect((await post(endpoint, teams)).status).toBe(202);
    const [first] = await connector.waitFor(1);
    const actions = (
      first!.body.suggestedActions as { actions: { type: string; title: string; value: string }[] }
    ).actions;
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.every((a) => a.type === 'imBack' && a.value === a.title)).toBe(true);
    const userId = `agents:msteams:${(teams.from as { id: string }).id}`;
    const conversationId = await waitForOpen(srv, userId);
    const offered = (await srv.platform.store.conversations.listMessages('demo', conversationId, {})).find(
      (m) => m.quickReplies?.length,
    )!.quickReplies![0]!;
    const before = connector.requests.length;
    const pressed = { ...teams, id: `${Date.now() + 1}`, text: offered.title };
    expect((await post(endpoint, pressed)).status).toBe(202);
    await connector.waitFor(before + 1);
    const users = (await srv.platform.store.conversations.listMessages('demo', conversationId, {})).filter(
      (m) => m.role === 'user',
    );
    expect(users.at(-1)?.payload).toBe(offered.payload);
  });

  test('openApiPaths describe the endpoint with the activity schema', () => {
    const paths = createAgentsChannel(srv.platform).openApiPaths as Record<
      string,
      { post: Record<string, unknown> }
    >;
    const post = paths['/channels/agents/{shopId}/messages']!.post;
    const schema = (post.requestBody as { content: Record<string, { schema: { properties: object } }> })
      .content['application/json']!.schema;
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['type', 'conversation', 'serviceUrl', 'text']),
    );
    expect(Object.keys(post.responses as object)).toEqual(
      expect.arrayContaining(['200', '202', '400', '401']),
    );
  });

  test('after a handoff, the human agent’s reply is posted to the conversation too', async () => {
    const incoming = activity({ text: '转人工' });
    expect((await post(endpoint, incoming)).status).toBe(202);
    const userId = `agents:emulator:${(incoming.from as { id: string }).id}`;
    const conversationId = await waitForOpen(srv, userId);
    await waitForBotMessages(srv, conversationId, 1);
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${srv.url}${path}`, {
        method,
        headers: { Authorization: `Bearer ${srv.demoApiKey}`, 'Content-Type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
    const handoffs = await api('GET', '/api/v1/shops/demo/handoffs?status=pending');
    const handoff = (handoffs.body.handoffs as { id: string; conversationId: string }[]).find(
      (h) => h.conversationId === conversationId,
    );
    expect(handoff).toBeDefined();
    const agent = await api('POST', '/api/v1/shops/demo/agents', {
      name: 'Agent Wang',
      tier: 'L1',
      languages: ['zh-CN'],
      maxConcurrent: 5,
    });
    expect(agent.status).toBe(201);
    const agentId = String(agent.body.id);
    expect((await api('POST', `/api/v1/shops/demo/handoffs/${handoff!.id}/assign`, { agentId })).status).toBe(
      200,
    );
    await settle(srv);
    const before = connector.requests.length;
    const sent = await api('POST', `/api/v1/shops/demo/conversations/${conversationId}/agent-messages`, {
      agentId,
      text: '您好，我是客服小王，请问有什么可以帮您？',
    });
    expect(sent.status).toBe(201);
    const all = await connector.waitFor(before + 1);
    const agentReply = all
      .map((r) => r.body)
      .find((b) => b.text === '您好，我是客服小王，请问有什么可以帮您？');
    expect(agentReply).toEqual(expectedReply(incoming, '您好，我是客服小王，请问有什么可以帮您？'));
  });
});

describe('HTTP: auth on (the shop configured an appId)', () => {
  let srv: TestServer;
  let connector: FakeConnector;
  let keys: KeyServer;
  let signedApp: http.Server;
  let signedUrl: string;
  let shopId: string;
  const appId = '0b6fb3b2-6f7e-4b8a-9c1d-2e3f4a5b6c7d';
  const tenant = '3c1a2b4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

  beforeAll(async () => {
    srv = await startTestServer({});
    connector = await FakeConnector.start();
    keys = await KeyServer.start();
    const created = await fetch(`${srv.url}/api/v1/shops`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${srv.adminToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Signed Shop', locales: ['zh-CN', 'en-US'] }),
    }).then((r) => r.json() as Promise<{ id: string; apiKey: string }>);
    shopId = created.id;
    const put = await fetch(`${srv.url}/api/v1/shops/${shopId}/settings`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${created.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ channels: { agents: { appId, tenantId: tenant } } }),
    });
    expect(put.status).toBe(200);
    // The same channel, with the Entra authority pointed at a local key server, so a locally signed
    // token can be verified by the SDK's own JWT check (Microsoft's keys cannot be reached here).
    const channel = createAgentsChannel(srv.platform, { authority: `${keys.url}/${tenant}` });
    const app = express();
    channel.mount(app);
    app.use(errorHandler(srv.platform.log));
    signedApp = http.createServer(app);
    await new Promise<void>((resolve) => signedApp.listen(0, '127.0.0.1', resolve));
    signedUrl = `http://127.0.0.1:${(signedApp.address() as AddressInfo).port}/channels/agents/${shopId}/messages`;
  });
  afterAll(async () => {
    await new Promise((r) => signedApp.close(r));
    await srv.stop();
    await connector.stop();
    await keys.stop();
  });

  function activity(): Record<string, unknown> {
    return fixture('emulator-message', {
      serviceUrl: connector.url,
      id: randomUUID(),
      conversation: { id: `conv-${randomUUID()}` },
      from: { id: `user-${randomUUID()}`, name: 'User' },
    });
  }
  const userOf = (a: Record<string, unknown>) => `agents:emulator:${(a.from as { id: string }).id}`;

  async function assertNothingRan(a: Record<string, unknown>): Promise<void> {
    await new Promise((r) => setTimeout(r, 200));
    expect(await srv.platform.store.conversations.findOpen(shopId, userOf(a))).toBeUndefined();
    expect(connector.requests).toHaveLength(0);
  }

  test('an unsigned request → 401, nothing stored, nothing sent', async () => {
    const a = activity();
    const res = await post(`${srv.url}/channels/agents/${shopId}/messages`, a);
    expect(res.status).toBe(401);
    expect(res.body.error).toEqual({ code: 'INVALID_TOKEN', message: expect.any(String) });
    await assertNothingRan(a);
  });

  test('a garbage bearer, a wrong scheme, a token for another app, or signed by another key → 401', async () => {
    const a = activity();
    const url = `${srv.url}/channels/agents/${shopId}/messages`;
    expect((await post(url, a, { Authorization: 'Bearer not.a.jwt' })).status).toBe(401);
    expect((await post(url, a, { Authorization: 'Basic dXNlcjpwYXNz' })).status).toBe(401);
    const claims = tokenClaims(appId, tenant, connector.url);
    expect(
      (await post(signedUrl, a, { Authorization: `Bearer ${keys.sign({ ...claims, aud: 'other-app' })}` }))
        .status,
    ).toBe(401);
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(
      (await post(signedUrl, a, { Authorization: `Bearer ${signJwt(claims, stranger, keys.kid)}` })).status,
    ).toBe(401);
    expect(
      (await post(signedUrl, a, { Authorization: `Bearer ${keys.sign({ ...claims, exp: 1_000_000 })}` }))
        .status,
    ).toBe(401);
    // A token from another tenant (an issuer the app does not trust).
    const otherTenant = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';
    expect(
      (
        await post(signedUrl, a, {
          Authorization: `Bearer ${keys.sign({ ...claims, iss: `https://sts.windows.net/${otherTenant}/`, tid: otherTenant })}`,
        })
      ).status,
    ).toBe(401);
    // The token says the activity comes from one service, the activity names another.
    expect(
      (
        await post(signedUrl, a, {
          Authorization: `Bearer ${keys.sign({ ...claims, serviceurl: 'https://smba.trafficmanager.net/apac/' })}`,
        })
      ).status,
    ).toBe(401);
    await assertNothingRan(a);
  });

  test('a token signed with the tenant’s key (verified by the SDK) runs the turn', async () => {
    const a = activity();
    const token = keys.sign(tokenClaims(appId, tenant, connector.url));
    expect((await post(signedUrl, a, { Authorization: `Bearer ${token}` })).status).toBe(202);
    const [reply] = await connector.waitFor(1);
    expect(reply!.url).toContain(`/activities/${encodeURIComponent(String(a.id))}`);
    expect(await srv.platform.store.conversations.findOpen(shopId, userOf(a))).toBeDefined();
    expect(keys.fetched).toBeGreaterThan(0);
  });
});

/** Lets background work (turns, replies) finish before asserting that nothing more happened. */
async function settle(srv: TestServer, ms = 400): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
  while (srv.platform.turns.turnsInFlight > 0) await new Promise((r) => setTimeout(r, 20));
}

async function waitForOpen(srv: TestServer, userId: string): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const open = await srv.platform.store.conversations.findOpen('demo', userId);
    if (open) return open.id;
    if (Date.now() > deadline) throw new Error(`no conversation for ${userId}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitForBotMessages(srv: TestServer, conversationId: string, n: number) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const stored = await srv.platform.store.conversations.listMessages('demo', conversationId, {});
    if (stored.filter((m) => m.role !== 'user').length >= n) return stored;
    if (Date.now() > deadline) throw new Error('no bot reply stored');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function tokenClaims(aud: string, tenant: string, serviceurl: string): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    aud,
    iss: `https://sts.windows.net/${tenant}/`,
    tid: tenant,
    serviceurl,
    appid: aud,
    nbf: now - 60,
    iat: now - 60,
    exp: now + 3600,
  };
}

function signJwt(claims: Record<string, unknown>, key: KeyObject, kid: string): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${enc({ alg: 'RS256', typ: 'JWT', kid })}.${enc(claims)}`;
  return `${head}.${sign('sha256', Buffer.from(head), key).toString('base64url')}`;
}

/** A local Entra key endpoint (`<authority>/<tenant>/discovery/v2.0/keys`) with one RSA key. */
class KeyServer {
  fetched = 0;
  readonly kid = 'test-key-1';
  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    private readonly key: KeyObject,
  ) {}

  static async start(): Promise<KeyServer> {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'test-key-1', use: 'sig', alg: 'RS256' };
    const box: { self?: KeyServer } = {};
    const server = http.createServer((req, res) => {
      if (req.url?.endsWith('/discovery/v2.0/keys')) {
        if (box.self) box.self.fetched++;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ keys: [jwk] }));
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    box.self = new KeyServer(
      server,
      `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      privateKey,
    );
    return box.self;
  }

  sign(claims: Record<string, unknown>): string {
    return signJwt(claims, this.key, this.kid);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

import { userHashFor } from '../../bot/identity';
import type { Shop } from '../../bot/store/shops.repo';
import { type TestServer, startTestServer } from '../../tests/support/server';
import { callerHash } from './voice.call';
import {
  TEST_AUTH_TOKEN,
  TEST_VXML_TOKEN,
  fixture,
  storedCounts,
  twilioSignature,
} from './voice.test-support';

interface Answer {
  status: number;
  type: string;
  xml: string;
  /** The next Gather's action (path and query), unescaped. */
  action?: string;
  say: string;
}

/** A caller on the phone, as Twilio plays it: every request form-encoded and signed with the auth token. */
class TwilioCall {
  constructor(
    private readonly srv: TestServer,
    readonly callSid: string,
    readonly from = '+8613812345678',
  ) {}

  async post(pathAndQuery: string, params: Record<string, string>, signature?: string): Promise<Answer> {
    const url = this.srv.url + pathAndQuery;
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'X-Twilio-Signature': signature ?? twilioSignature(TEST_AUTH_TOKEN, url, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    const xml = await res.text();
    const action = xml.match(/<Gather [^>]*action="([^"]+)"/)?.[1]?.replace(/&amp;/g, '&');
    const say = [...xml.matchAll(/<Say[^>]*>([^<]*)<\/Say>/g)].map((m) => m[1]).join(' ');
    return { status: res.status, type: res.headers.get('content-type') ?? '', xml, action, say };
  }

  params(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...fixture('twilio-gather-empty.json'),
      CallSid: this.callSid,
      From: this.from,
      Caller: this.from,
      ...extra,
    };
  }

  start(query = ''): Promise<Answer> {
    const incoming = {
      ...fixture('twilio-incoming-call.json'),
      CallSid: this.callSid,
      From: this.from,
      Caller: this.from,
    };
    return this.post(`/channels/twilio/demo/voice${query}`, incoming);
  }

  say(action: string | undefined, text: string): Promise<Answer> {
    return this.post(action!, this.params({ SpeechResult: text, Confidence: '0.92' }));
  }

  press(action: string | undefined, digits: string): Promise<Answer> {
    return this.post(
      action!,
      this.params({ Digits: digits, FinishedOnKey: digits.endsWith('#') ? '#' : '', msg: 'Gather End' }),
    );
  }

  silence(action: string | undefined): Promise<Answer> {
    return this.post(action!, this.params());
  }
}

const callSid = (n: number) => `CA${n.toString(16).padStart(32, '0')}`;

describe('a phone call over HTTP (Twilio webhooks, signed as Twilio signs them)', () => {
  let srv: TestServer;
  let shop: Shop;

  beforeAll(async () => {
    srv = await startTestServer({ demo: true });
    shop = (await srv.platform.store.shops.findById('demo'))!;
    await srv.platform.store.shops.mergeSettings('demo', {
      channels: { twilio: { authToken: TEST_AUTH_TOKEN }, vxml: { token: TEST_VXML_TOKEN } },
    });
  });
  afterAll(() => srv.stop());

  test('a verified caller: greeting → "查一下我的订单" → the list → 1001# → the status read out → "转人工" → Enqueue', async () => {
    const call = new TwilioCall(srv, callSid(1));
    const hash = userHashFor(shop.identitySecret, 'c-1001');

    const greeting = await call.start(`?userId=c-1001&userHash=${hash}`);
    expect(greeting.status).toBe(200);
    expect(greeting.type).toMatch(/^text\/xml/);
    expect(greeting.xml).toMatch(
      /<Gather input="speech dtmf" bargeIn="true" language="zh-CN" action="[^"]+" method="POST" actionOnEmptyResult="true"/,
    );
    expect(greeting.say).toContain('欢迎光临 Kefu 演示商城');
    expect(greeting.say).toContain('查询订单请按1');
    expect(greeting.action).toBe(`/channels/twilio/demo/voice?userId=c-1001&userHash=${hash}&seq=1`);

    const list = await call.say(greeting.action, '查一下我的订单');
    expect(list.status).toBe(200);
    expect(list.say).toContain('您最近的订单如下');
    // The order cards' buttons are offered as keys; their payloads ride in the next action URL.
    expect(list.say).toContain('按1');
    expect(list.action).toContain('seq=2');
    const query = new URLSearchParams(list.action!.split('?')[1]);
    expect(query.getAll('c').map((c) => query.get('cp')! + c)).toContain(
      query.get('cp')!.replace(/\d*$/, '') + '1005',
    );
    expect(query.getAll('c')).toHaveLength(5);

    const status = await call.press(list.action, '1001#');
    expect(status.status).toBe(200);
    expect(status.say).toContain('已签收');
    expect(status.say).toContain('订单 1 0 0 1');
    expect(status.action).toContain('seq=3');

    // Twilio retries a webhook that timed out: the same request runs nothing twice.
    const before = await storedCounts(srv);
    const again = await call.press(list.action, '1001#');
    expect(again.xml).toBe(status.xml);
    expect(await storedCounts(srv)).toEqual(before);

    const person = await call.say(status.action, '转人工');
    expect(person.status).toBe(200);
    expect(person.xml).toContain('<Enqueue>kefu-demo</Enqueue>');
    expect(person.xml).not.toContain('<Gather');
    expect(person.say).toContain('人工客服');

    const conversation = await srv.platform.store.conversations.findOpen('demo', 'c-1001');
    expect(conversation?.channel).toBe('twilio');
    expect(await srv.platform.store.handoffs.findOpen('demo', conversation!.id)).toBeDefined();
  });

  test('key 0 with an agent number configured → Dial', async () => {
    await srv.platform.store.shops.mergeSettings('demo', {
      channels: { twilio: { agentNumber: '+862160000001' } },
    });
    try {
      const call = new TwilioCall(srv, callSid(2), '+8613900000002');
      const greeting = await call.start();
      const dial = await call.press(greeting.action, '0');
      expect(dial.status).toBe(200);
      expect(dial.xml).toContain('<Dial>+862160000001</Dial>');
    } finally {
      await srv.platform.store.shops.mergeSettings('demo', { channels: { twilio: { agentNumber: '' } } });
    }
  });

  test('silence three times: two re-prompts, then a person', async () => {
    const call = new TwilioCall(srv, callSid(3), '+8613900000003');
    const greeting = await call.start();
    const first = await call.silence(greeting.action);
    expect(first.say).toContain('抱歉，我没有听到您的声音');
    expect(first.say).toContain('查询订单请按1');
    expect(first.action).toContain('sil=1');
    const second = await call.silence(first.action);
    expect(second.say).toContain('抱歉，我没有听到您的声音');
    expect(second.action).toContain('sil=2');
    const third = await call.silence(second.action);
    expect(third.say).toContain('一直没有听到您的声音');
    expect(third.xml).toContain('<Enqueue>kefu-demo</Enqueue>');
    // The handoff is on record for the agents, under the caller's anonymous id.
    const userId = `phone:${callerHash(shop, call.from, call.callSid)}`;
    const conversation = await srv.platform.store.conversations.findOpen('demo', userId);
    expect(conversation).toBeDefined();
    expect(await srv.platform.store.handoffs.findOpen('demo', conversation!.id)).toBeDefined();
  });

  test('a bad signature → 403 and nothing stored', async () => {
    const call = new TwilioCall(srv, callSid(4), '+8613900000004');
    const before = await storedCounts(srv);
    const forged = await call.post(
      '/channels/twilio/demo/voice?seq=1',
      call.params({ SpeechResult: '查一下我的订单' }),
      'bm90IGEgc2lnbmF0dXJl',
    );
    expect(forged.status).toBe(403);
    expect(JSON.parse(forged.xml)).toEqual({
      error: { code: 'INVALID_SIGNATURE', message: expect.any(String) },
    });
    const unsigned = await fetch(`${srv.url}/channels/twilio/demo/voice?seq=1`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(call.params({ SpeechResult: '转人工' })).toString(),
    });
    expect(unsigned.status).toBe(403);
    // Signed with the right token for another shop's URL: still refused.
    const otherShop = await call.post(
      '/channels/twilio/nope/voice?seq=1',
      call.params({ SpeechResult: 'hi' }),
    );
    expect(otherShop.status).toBe(403);
    expect(await storedCounts(srv)).toEqual(before);
    const userId = `phone:${callerHash(shop, call.from, call.callSid)}`;
    expect(await srv.platform.store.conversations.findOpen('demo', userId)).toBeUndefined();
  });

  test('an anonymous caller asking for orders hears no order', async () => {
    const call = new TwilioCall(srv, callSid(5), '+8613900000005');
    const greeting = await call.start();
    const answer = await call.say(greeting.action, '查一下我的订单');
    expect(answer.status).toBe(200);
    expect(answer.say).toContain('登录');
    expect(answer.say).not.toMatch(/1 0 0 \d|已签收|已发货/);
    const keyed = await call.press(answer.action, '1001#');
    expect(keyed.status).toBe(200);
    expect(keyed.say).not.toMatch(/已签收|加绒连帽卫衣/);
    // A userHash that does not match leaves the caller anonymous as well.
    const forged = new TwilioCall(srv, callSid(6), '+8613900000006');
    const g2 = await forged.start(`?userId=c-1001&userHash=${'0'.repeat(64)}`);
    const a2 = await forged.say(g2.action, '查一下我的订单');
    expect(a2.say).toContain('登录');
    expect(a2.say).not.toContain('您最近的订单如下');
  });

  test('English on ?locale=en-US: the menu key 1 is "check my order"', async () => {
    const call = new TwilioCall(srv, callSid(7), '+14155550100');
    const hash = userHashFor(shop.identitySecret, 'c-1003');
    const greeting = await call.start(`?locale=en-US&userId=c-1003&userHash=${hash}`);
    expect(greeting.xml).toContain('language="en-US"');
    expect(greeting.say).toContain('For your orders, press 1');
    const orders = await call.press(greeting.action, '1');
    expect(orders.status).toBe(200);
    expect(orders.xml).toContain('<Gather');
    expect(orders.say).toMatch(/order/i);
    expect(orders.say).toContain('1 0 1 2');
  });

  test('a turn that fails on our side: an apology and the next Gather, never an error page', async () => {
    const call = new TwilioCall(srv, callSid(8), '+8613900000008');
    const greeting = await call.start();
    const spy = jest.spyOn(srv.platform.turns, 'handle').mockRejectedValueOnce(new Error('database down'));
    try {
      const answer = await call.say(greeting.action, '退货地址在哪');
      expect(answer.status).toBe(200);
      expect(answer.say).toBe('抱歉，系统暂时有点忙，请您再说一遍。');
      expect(answer.action).toContain('seq=2');
    } finally {
      spy.mockRestore();
    }
  });

  test('the settings API takes channels.vxml (token masked on the way out, unknown fields refused)', async () => {
    const put = (body: unknown) =>
      fetch(`${srv.url}/api/v1/shops/demo/settings`, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${srv.adminToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const ok = await put({ channels: { vxml: { token: TEST_VXML_TOKEN } } });
    expect(ok.status).toBe(200);
    const settings = (await ok.json()) as {
      channels: { vxml: { token: string }; twilio: { authToken: string } };
    };
    expect(settings.channels.vxml.token).toBe('********');
    expect(settings.channels.twilio.authToken).toBe('********');
    expect((await put({ channels: { vxml: { tokn: 'typo' } } })).status).toBe(400);
  });

  test('the OpenAPI document lists the voice endpoints with their form bodies and XML answers', async () => {
    const res = await fetch(`${srv.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { paths: Record<string, Record<string, Record<string, unknown>>> };
    const twilio = doc.paths['/channels/twilio/{shopId}/voice']?.post as {
      requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> };
      responses: Record<string, { content: Record<string, unknown> }>;
    };
    expect(
      Object.keys(twilio.requestBody.content['application/x-www-form-urlencoded']!.schema.properties),
    ).toEqual(expect.arrayContaining(['CallSid', 'SpeechResult', 'Digits']));
    expect(Object.keys(twilio.responses['200']!.content)).toEqual(['text/xml']);
    expect(doc.paths['/channels/vxml/{shopId}/start']?.get).toBeDefined();
    expect(doc.paths['/channels/vxml/{shopId}/turn']?.post).toBeDefined();
  });

  test('VoiceXML: start and a turn over HTTP; no token → 403 and nothing stored', async () => {
    const before = await storedCounts(srv);
    const refused = await fetch(`${srv.url}/channels/vxml/demo/start`);
    expect(refused.status).toBe(403);
    const wrong = await fetch(`${srv.url}/channels/vxml/demo/turn?session=s-x&seq=1`, {
      method: 'POST',
      headers: { Authorization: 'Bearer wrong', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'answer=%E8%BD%AC%E4%BA%BA%E5%B7%A5&inputmode=voice',
    });
    expect(wrong.status).toBe(403);
    expect(await storedCounts(srv)).toEqual(before);

    const hash = userHashFor(shop.identitySecret, 'c-1002');
    const start = await fetch(
      `${srv.url}/channels/vxml/demo/start?session=vx-http-1&userId=c-1002&userHash=${hash}`,
      {
        headers: { Authorization: `Bearer ${TEST_VXML_TOKEN}` },
      },
    );
    expect(start.status).toBe(200);
    expect(start.headers.get('content-type')).toMatch(/^application\/voicexml\+xml/);
    const doc = await start.text();
    expect(doc).toContain('<vxml version="2.1"');
    const next = doc.match(/<filled>.*<submit next="([^"]+)"/)?.[1]?.replace(/&amp;/g, '&');
    expect(next).toContain('seq=1');
    const turn = await fetch(srv.url + next!, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${TEST_VXML_TOKEN}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        answer: '查一下我的订单',
        utterance: '查一下我的订单',
        inputmode: 'voice',
      }).toString(),
    });
    expect(turn.status).toBe(200);
    const listed = await turn.text();
    expect(listed).toContain('您最近的订单如下');
    expect(listed).toContain('seq=2');
    const handoff = await fetch(
      srv.url + listed.match(/<filled>.*<submit next="([^"]+)"/)![1]!.replace(/&amp;/g, '&'),
      {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${TEST_VXML_TOKEN}`,
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: 'answer=0&utterance=0&inputmode=dtmf',
      },
    );
    const goodbye = await handoff.text();
    // No agent number for VoiceXML: the handoff is recorded and the caller is told an agent will call back.
    expect(goodbye).toContain('客服会尽快与您联系');
    expect(goodbye).toContain('<disconnect/>');
  });
});

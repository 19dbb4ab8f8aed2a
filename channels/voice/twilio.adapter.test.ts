import { isKefuError } from '../../bot/errors';
import { userHashFor } from '../../bot/identity';
import { HUMAN_POSTBACK } from '../../bot/router';
import type { TurnResult } from '../../bot/turn';
import { type TwilioRaw, TwilioVoiceAdapter } from './twilio.adapter';
import { maskPhone } from './voice.call';
import { TEST_AUTH_TOKEN, fixture, testShop, twilioSignature } from './voice.test-support';

const adapter = new TwilioVoiceAdapter();
const BASE = 'https://kefu.example.com/channels/twilio/demo/voice';
const CALL = 'CA5f0c3e8a1d2b4c6e8f0a1b2c3d4e5f60';
// HMAC-SHA256(identitySecret, "tel:+8613812345678"), first 32 hex digits.
const CALLER_ID = 'phone:1f0d0eed4e8b6961506d5be7cbcd37c4';
const settings = {
  channels: { twilio: { authToken: TEST_AUTH_TOKEN } },
  profile: { greeting: { 'zh-CN': '您好，欢迎光临！' } },
};

function signed(url: string, body: Record<string, string>, over: Partial<TwilioRaw> = {}): TwilioRaw {
  return {
    shop: testShop,
    settings,
    url,
    signature: twilioSignature(TEST_AUTH_TOKEN, url, body),
    body,
    ...over,
  };
}

function parse(raw: TwilioRaw) {
  return adapter.parseSync(raw);
}

function rejection(raw: TwilioRaw): { status: number; code: string } {
  try {
    parse(raw);
  } catch (err) {
    if (isKefuError(err)) return { status: err.status, code: err.code };
    throw err;
  }
  throw new Error('expected the request to be refused');
}

const turn = (over: Partial<TurnResult>): TurnResult => ({
  conversationId: 'cv_1',
  userMessageId: 'm_1',
  replies: [],
  nlu: null,
  handoff: 'none',
  ...over,
});

describe('Twilio webhooks → InboundMessage (golden)', () => {
  test('an incoming call (no state in the URL) is the start of the call', () => {
    const inbound = parse(signed(BASE, fixture('twilio-incoming-call.json')));
    expect(inbound.kind).toBe('start');
    expect(inbound.ref).toEqual({
      shopId: 'demo',
      callId: CALL,
      userId: CALLER_ID,
      verified: false,
      locale: 'zh-CN',
      path: '/channels/twilio/demo/voice',
      keep: [],
      state: { seq: 1, silence: 0, choices: [], digits: false },
      person: false,
      greeting: '您好，欢迎光临！',
    });
  });

  test('SpeechResult from a Gather action is a turn with its text, deduplicated by call and sequence', () => {
    const inbound = parse(signed(`${BASE}?seq=1`, fixture('twilio-gather-speech.json')));
    expect(inbound).toMatchObject({
      kind: 'message',
      message: {
        shopId: 'demo',
        channel: 'twilio',
        userId: CALLER_ID,
        verified: false,
        locale: 'zh-CN',
        dedupKey: `twilio:${CALL}:1`,
        text: '查一下我的订单',
      },
    });
  });

  test('the shop vouches for a caller with userId + userHash on the URL; a wrong hash leaves them anonymous', () => {
    const hash = userHashFor(testShop.identitySecret, 'c-1001');
    const url = `${BASE}?userId=c-1001&userHash=${hash}&locale=en-US&seq=4`;
    const inbound = parse(signed(url, fixture('twilio-gather-speech.json')));
    expect(inbound.kind === 'message' && inbound.message).toMatchObject({
      userId: 'c-1001',
      verified: true,
      locale: 'en-US',
      dedupKey: `twilio:${CALL}:4`,
    });
    // The shop's own parameters are kept on the next action URL.
    expect(inbound.ref.keep).toEqual([
      ['locale', 'en-US'],
      ['userId', 'c-1001'],
      ['userHash', hash],
    ]);

    const forged = `${BASE}?userId=c-1001&userHash=${'0'.repeat(64)}&seq=4`;
    const anon = parse(signed(forged, fixture('twilio-gather-speech.json')));
    expect(anon.kind === 'message' && anon.message).toMatchObject({ userId: CALLER_ID, verified: false });
  });

  test('keys: the menu, a person, an offered choice, a number the bot asked for', () => {
    const digits = (d: string, query: string) =>
      parse(signed(`${BASE}?${query}`, { ...fixture('twilio-gather-digits.json'), Digits: d }));
    expect(digits('1#', 'seq=1')).toMatchObject({ kind: 'message', message: { text: '查询订单' } });
    expect(digits('2', 'seq=1')).toMatchObject({ message: { text: '我要退款' } });
    expect(digits('3', 'seq=1&locale=en-US')).toMatchObject({ message: { text: 'I want to top up' } });
    expect(digits('0#', 'seq=1')).toMatchObject({
      message: { payload: HUMAN_POSTBACK },
      ref: { person: true },
    });
    // Choices offered: key 2 is the second payload (prefix + suffix), a longer number is text.
    const choices = 'seq=2&cp=task%3Ak_1%3A&c=1005&c=1001';
    expect(digits('2', choices)).toMatchObject({ message: { payload: 'task:k_1:1001' } });
    expect(digits('1001#', choices)).toMatchObject({ message: { text: '1001' } });
    expect(digits('7', choices)).toMatchObject({ message: { text: '7' } });
    // The bot waits for a number: "1" is the answer, not the menu.
    expect(digits('1#', 'seq=3&dg=1')).toMatchObject({ message: { text: '1' } });
    const text = digits('1001#', 'seq=3&dg=1');
    expect(text.kind === 'message' && text.message.payload).toBeUndefined();
  });

  test('silence: two re-prompts, the third brings a person in', () => {
    const empty = fixture('twilio-gather-empty.json');
    expect(parse(signed(`${BASE}?seq=2`, empty))).toMatchObject({
      kind: 'start',
      ref: { state: { seq: 2, silence: 1 } },
    });
    expect(parse(signed(`${BASE}?seq=3&sil=1`, empty))).toMatchObject({
      kind: 'start',
      ref: { state: { silence: 2 } },
    });
    expect(parse(signed(`${BASE}?seq=4&sil=2`, empty))).toMatchObject({
      kind: 'message',
      message: { payload: HUMAN_POSTBACK, dedupKey: `twilio:${CALL}:4` },
      ref: { person: true, state: { silence: 3 } },
    });
  });

  test('a completed call is the end: nothing to run', () => {
    expect(parse(signed(`${BASE}?seq=2`, fixture('twilio-call-completed.json'))).kind).toBe('end');
  });

  test('a bad or missing signature, an unknown shop or no auth token → 403', () => {
    const body = fixture('twilio-gather-speech.json');
    const url = `${BASE}?seq=1`;
    expect(rejection({ ...signed(url, body), signature: undefined })).toEqual({
      status: 403,
      code: 'INVALID_SIGNATURE',
    });
    expect(rejection({ ...signed(url, body), signature: 'AAAA' })).toMatchObject({ status: 403 });
    // Signed for another URL (the state in the query cannot be changed) or other parameters.
    expect(rejection({ ...signed(url, body), url: `${BASE}?seq=9` })).toMatchObject({ status: 403 });
    expect(rejection({ ...signed(url, body), body: { ...body, SpeechResult: '退款' } })).toMatchObject({
      status: 403,
    });
    // Signed with another account's token.
    expect(
      rejection({ ...signed(url, body), signature: twilioSignature('another-token', url, body) }),
    ).toMatchObject({ status: 403 });
    expect(rejection({ ...signed(url, body), shop: undefined })).toMatchObject({ status: 403 });
    expect(rejection({ ...signed(url, body), settings: {} })).toEqual({
      status: 403,
      code: 'TWILIO_NOT_CONFIGURED',
    });
  });

  test('the signature is checked before the payload: a signed but malformed payload is a 400', () => {
    const body = { ...fixture('twilio-gather-speech.json'), CallSid: 'not-a-call' };
    expect(rejection(signed(`${BASE}?seq=1`, body))).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
    });
    expect(rejection(signed(`${BASE}?seq=x`, fixture('twilio-gather-speech.json')))).toMatchObject({
      status: 400,
    });
  });

  test('phone numbers are masked for logs', () => {
    expect(maskPhone('+8613812345678')).toBe('+86138****5678');
    expect(maskPhone('anonymous')).toBe('***');
  });
});

describe('TurnResult → TwiML (golden)', () => {
  const start = parse(signed(BASE, fixture('twilio-incoming-call.json')));

  test('the greeting and the menu inside a speech + DTMF Gather', () => {
    expect(adapter.render(start.ref, undefined, start)).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response>' +
        '<Gather input="speech dtmf" bargeIn="true" language="zh-CN" action="/channels/twilio/demo/voice?seq=1" ' +
        'method="POST" actionOnEmptyResult="true" finishOnKey="#" timeout="5" speechTimeout="auto">' +
        '<Say language="zh-CN">您好，欢迎光临！查询订单请按1，申请退款请按2，充值请按3，转人工请按0。您也可以直接说出您的问题。</Say>' +
        '</Gather></Response>',
    );
  });

  test('replies with quick replies: read as keys, their payloads carried compactly in the action URL', () => {
    const inbound = parse(signed(`${BASE}?seq=2`, fixture('twilio-gather-digits.json')));
    const result = turn({
      replies: [
        { text: '订单 1001：已签收。' },
        {
          text: '请问这次服务您满意吗？',
          quickReplies: [
            { title: '满意', payload: 'dialogue:csat:5' },
            { title: '不满意', payload: 'dialogue:csat:1' },
          ],
        },
      ],
    });
    expect(adapter.render(inbound.ref, result, inbound)).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response>' +
        '<Gather input="speech dtmf" bargeIn="true" language="zh-CN" ' +
        'action="/channels/twilio/demo/voice?seq=3&amp;cp=dialogue%3Acsat%3A&amp;c=5&amp;c=1" ' +
        'method="POST" actionOnEmptyResult="true" finishOnKey="#" timeout="5" speechTimeout="auto">' +
        '<Say language="zh-CN">订单 1 0 0 1：已签收。请问这次服务您满意吗？按1，满意；按2，不满意。</Say>' +
        '</Gather></Response>',
    );
  });

  test('a list of order cards is a menu: one option per card, named by its line', () => {
    const inbound = parse(signed(`${BASE}?seq=1`, fixture('twilio-gather-speech.json')));
    const card = (id: string, title: string) => ({
      text: `${id === '1005' ? 1 : 2}. 订单 ${id}：${title}`,
      card: {
        title,
        subtitle: `订单号 ${id}`,
        fields: [{ label: '状态', value: '待付款' }],
        buttons: [{ title: '查看这个订单', payload: `task:k_1:${id}` }],
      },
    });
    const result = turn({
      replies: [
        { text: '您最近的订单如下，请问要查哪一个？' },
        card('1005', '轻量跑步鞋 42码'),
        card('1001', '加绒连帽卫衣'),
      ],
    });
    expect(adapter.render(inbound.ref, result, inbound)).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response>' +
        '<Gather input="speech dtmf" bargeIn="true" language="zh-CN" ' +
        'action="/channels/twilio/demo/voice?seq=2&amp;cp=task%3Ak_1%3A100&amp;c=5&amp;c=1" ' +
        'method="POST" actionOnEmptyResult="true" finishOnKey="#" timeout="5" speechTimeout="auto">' +
        '<Say language="zh-CN">您最近的订单如下，请问要查哪一个？按1，订单 1 0 0 5：轻量跑步鞋 42码；按2，订单 1 0 0 1：加绒连帽卫衣。</Say>' +
        '</Gather></Response>',
    );
  });

  test('the bot waits for an order id: dg=1 on the next action; English is spoken in English', () => {
    const url = `${BASE}?locale=en-US&seq=1`;
    const inbound = parse(signed(url, fixture('twilio-gather-speech.json')));
    const xml = adapter.render(
      { ...inbound.ref, expectDigits: true },
      turn({ replies: [{ text: 'Which order? Please key in the order number & the pound key.' }] }),
      inbound,
    );
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response>' +
        '<Gather input="speech dtmf" bargeIn="true" language="en-US" ' +
        'action="/channels/twilio/demo/voice?locale=en-US&amp;seq=2&amp;dg=1" ' +
        'method="POST" actionOnEmptyResult="true" finishOnKey="#" timeout="5" speechTimeout="auto">' +
        '<Say language="en-US">Which order? Please key in the order number &amp; the pound key.</Say>' +
        '</Gather></Response>',
    );
  });

  test('a handoff: Enqueue into the shop queue, or Dial the agent number; no options read out', () => {
    const inbound = parse(signed(`${BASE}?seq=5`, fixture('twilio-gather-speech.json')));
    const result = turn({
      handoff: 'queued',
      replies: [
        {
          text: '好的，正在为您转接人工客服，请稍候。',
          quickReplies: [{ title: '取消', payload: 'dialogue:cancel' }],
        },
      ],
    });
    expect(adapter.render(inbound.ref, result, inbound)).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response>' +
        '<Say language="zh-CN">好的，正在为您转接人工客服，请稍候。</Say><Enqueue>kefu-demo</Enqueue></Response>',
    );
    expect(adapter.render({ ...inbound.ref, agentNumber: '+862160000001' }, result, inbound)).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response>' +
        '<Say language="zh-CN">好的，正在为您转接人工客服，请稍候。</Say><Dial>+862160000001</Dial></Response>',
    );
  });

  test('the third silence: an apology and a person', () => {
    const inbound = parse(signed(`${BASE}?seq=4&sil=2`, fixture('twilio-gather-empty.json')));
    const xml = adapter.render(
      inbound.ref,
      turn({ handoff: 'queued', replies: [{ text: '好的，正在为您转接人工客服，请稍候。' }] }),
      inbound,
    );
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say language="zh-CN">' +
        '抱歉，一直没有听到您的声音，现在为您转接人工客服。好的，正在为您转接人工客服，请稍候。' +
        '</Say><Enqueue>kefu-demo</Enqueue></Response>',
    );
  });

  test('a re-prompt says the last question again with the same choices', () => {
    const inbound = parse(
      signed(`${BASE}?seq=3&cp=dialogue%3Acsat%3A&c=5&c=1`, fixture('twilio-gather-empty.json')),
    );
    const xml = adapter.render(
      {
        ...inbound.ref,
        repeat: [
          {
            text: '请问这次服务您满意吗？',
            quickReplies: [
              { title: '满意', payload: 'dialogue:csat:5' },
              { title: '不满意', payload: 'dialogue:csat:1' },
            ],
          },
        ],
      },
      undefined,
      inbound,
    );
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response>' +
        '<Gather input="speech dtmf" bargeIn="true" language="zh-CN" ' +
        'action="/channels/twilio/demo/voice?seq=4&amp;sil=1&amp;cp=dialogue%3Acsat%3A&amp;c=5&amp;c=1" ' +
        'method="POST" actionOnEmptyResult="true" finishOnKey="#" timeout="5" speechTimeout="auto">' +
        '<Say language="zh-CN">抱歉，我没有听到您的声音。请问这次服务您满意吗？按1，满意；按2，不满意。</Say>' +
        '</Gather></Response>',
    );
  });

  test('characters XML forbids never reach the TwiML', () => {
    const inbound = parse(signed(`${BASE}?seq=1`, fixture('twilio-gather-speech.json')));
    const xml = adapter.render(
      inbound.ref,
      turn({ replies: [{ text: 'a\u0000b\u0007c <d & "e"' }] }),
      inbound,
    );
    expect(xml).toContain('<Say language="zh-CN">abc &lt;d &amp; "e"</Say>');
  });

  test('the end of a call is an empty Response', () => {
    const inbound = parse(signed(`${BASE}?seq=2`, fixture('twilio-call-completed.json')));
    expect(adapter.render(inbound.ref, undefined, inbound)).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response/>',
    );
  });
});

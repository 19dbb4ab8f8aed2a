import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Shop, ShopSettings } from '../../bot/store/shops.repo';
import type { TurnResult } from '../../bot/turn';
import { AlexaAdapter, type AlexaRef, interpretAlexa, parseAlexaBody } from './alexa.adapter';
import { AliGenieAdapter, type AliGenieRef, interpretAliGenie, parseAliGenieBody } from './aligenie.adapter';

const fixture = (name: string) => readFileSync(path.join(__dirname, 'fixtures', name));
const SKILL = 'amzn1.ask.skill.8f0c3a52-7b1d-4e69-9a2f-0c1d2e3f4a5b';
const shop: Shop = { id: 'demo', name: 'Demo', locales: ['zh-CN', 'en-US'], identitySecret: 'x' };
const settings: ShopSettings = {
  profile: { name: 'Kefu Demo Store', greeting: { 'en-US': 'Hi, welcome to the Kefu Demo Store!' } },
  channels: { alexa: { skillId: SKILL }, aligenie: { skillId: '10086', privateKey: 'tok' } },
};
const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);
const ALEXA_USER = 'amzn1.ask.account.AEXAMPLEUSERID7QWERTYUIOPASDFGHJKLZXCVBNM';

const alexaNoShops = new AlexaAdapter({
  verifier: { verifyRequest: async () => undefined, checkTimestamp: () => undefined },
  shops: async () => undefined,
});

function turn(replies: TurnResult['replies'], handoff: TurnResult['handoff'] = 'none'): TurnResult {
  return { conversationId: 'c1', userMessageId: 'm1', replies, nlu: null, handoff };
}

describe('Alexa golden: request → inbound', () => {
  test('LaunchRequest → start, with the shop greeting', () => {
    expect(interpretAlexa(parseAlexaBody(fixture('alexa-launch.json')), shop, settings)).toEqual({
      kind: 'start',
      locale: 'en-US',
      ref: {
        shopId: 'demo',
        locale: 'en-US',
        action: 'launch',
        greeting: 'Hi, welcome to the Kefu Demo Store!',
        shopName: 'Kefu Demo Store',
      },
    });
  });

  test('IntentRequest (CatchAllIntent, utterance slot) → a turn with that text', () => {
    const inbound = interpretAlexa(parseAlexaBody(fixture('alexa-intent.json')), shop, settings);
    expect(inbound).toEqual({
      kind: 'message',
      ref: expect.objectContaining({ action: 'turn', locale: 'en-US' }),
      message: {
        shopId: 'demo',
        channel: 'alexa',
        userId: `alexa:${sha(ALEXA_USER)}`,
        verified: false,
        text: 'what is your return policy',
        locale: 'en-US',
        dedupKey: 'alexa:amzn1.echo-api.request.7a9d2c41-5e63-4f1a-9b8c-2d3e4f5a6b7c',
      },
    });
  });

  test('SessionEndedRequest → end', () => {
    const inbound = interpretAlexa(parseAlexaBody(fixture('alexa-session-ended.json')), shop, settings);
    expect(inbound).toMatchObject({ kind: 'end', ref: { action: 'ended' } });
  });

  const intent = (name: string, slots?: Record<string, unknown>, attributes?: Record<string, unknown>) => {
    const env = JSON.parse(fixture('alexa-intent.json').toString()) as {
      session: { attributes: unknown };
      request: { intent: unknown; locale: string };
    };
    env.request.intent = { name, ...(slots ? { slots } : {}) };
    if (attributes) env.session.attributes = attributes;
    return parseAlexaBody(Buffer.from(JSON.stringify(env)));
  };

  test.each([
    ['AMAZON.StopIntent', 'end', 'stop'],
    ['AMAZON.CancelIntent', 'end', 'stop'],
    ['AMAZON.HelpIntent', 'start', 'help'],
    ['AMAZON.FallbackIntent', 'start', 'fallback'],
  ])('%s → %s (%s), no turn', (name, kind, action) => {
    expect(interpretAlexa(intent(name), shop, settings)).toMatchObject({ kind, ref: { action } });
  });

  test('an empty utterance is the fallback; YesIntent is a "yes" turn', () => {
    expect(
      interpretAlexa(intent('CatchAllIntent', { utterance: { name: 'utterance' } }), shop, settings),
    ).toMatchObject({
      kind: 'start',
      ref: { action: 'fallback' },
    });
    expect(interpretAlexa(intent('AMAZON.YesIntent'), shop, settings)).toMatchObject({
      kind: 'message',
      message: { text: 'yes' },
    });
  });

  test('an option read out before and said back goes as its payload', () => {
    const env = intent(
      'CatchAllIntent',
      { utterance: { name: 'utterance', value: 'return address' } },
      { kefu: { choices: [{ title: 'Return address', payload: 'intent:return.address' }] } },
    );
    const inbound = interpretAlexa(env, shop, settings);
    expect(inbound).toMatchObject({ kind: 'message', message: { payload: 'intent:return.address' } });
    expect(inbound.kind === 'message' && inbound.message).not.toHaveProperty('text');
  });

  test('locale: zh-CN is kept; en-GB falls back to the shop’s first locale', () => {
    const env = JSON.parse(fixture('alexa-launch.json').toString()) as { request: { locale: string } };
    env.request.locale = 'zh-CN';
    expect(interpretAlexa(parseAlexaBody(Buffer.from(JSON.stringify(env))), shop, settings).ref.locale).toBe(
      'zh-CN',
    );
    env.request.locale = 'en-GB';
    expect(interpretAlexa(parseAlexaBody(Buffer.from(JSON.stringify(env))), shop, settings).ref.locale).toBe(
      'zh-CN',
    );
  });

  test('no skillId configured, or another skill → 403', () => {
    const env = parseAlexaBody(fixture('alexa-launch.json'));
    expect(() => interpretAlexa(env, shop, { channels: {} })).toThrow(
      expect.objectContaining({ status: 403, code: 'ALEXA_NOT_CONFIGURED' }),
    );
    expect(() =>
      interpretAlexa(env, shop, { channels: { alexa: { skillId: 'amzn1.ask.skill.other' } } }),
    ).toThrow(expect.objectContaining({ status: 403, code: 'ALEXA_SKILL_MISMATCH' }));
  });

  test('bad JSON and bad envelopes are 400s', () => {
    expect(() => parseAlexaBody(Buffer.from('{'))).toThrow(
      expect.objectContaining({ status: 400, code: 'INVALID_JSON' }),
    );
    expect(() => parseAlexaBody(Buffer.from('{"version":"1.0"}'))).toThrow(
      expect.objectContaining({ status: 400 }),
    );
  });
});

describe('Alexa golden: TurnResult → response envelope', () => {
  const ref: AlexaRef = {
    shopId: 'demo',
    locale: 'en-US',
    action: 'turn',
    greeting: 'Hi!',
    shopName: 'Kefu Demo Store',
  };

  test('an answer with an option: SSML, reprompt with the option, the option kept in the session', () => {
    const out = alexaNoShops.render(
      ref,
      turn([
        {
          text: 'Returns are accepted within 7 days of delivery & free for <members.',
          quickReplies: [{ title: 'Return address', payload: 'intent:return.address' }],
        },
      ]),
    );
    expect(out).toEqual({
      version: '1.0',
      sessionAttributes: {
        kefu: { choices: [{ title: 'Return address', payload: 'intent:return.address' }] },
      },
      response: {
        outputSpeech: {
          type: 'SSML',
          ssml: '<speak>Returns are accepted within 7 days of delivery &amp; free for &lt;members. You can say: Return address.</speak>',
        },
        reprompt: { outputSpeech: { type: 'SSML', ssml: '<speak>You can say: Return address.</speak>' } },
        shouldEndSession: false,
      },
    });
  });

  test('a plain answer keeps the session open with "anything else?"', () => {
    expect(alexaNoShops.render(ref, turn([{ text: 'Your order 1001 has shipped.' }]))).toEqual({
      version: '1.0',
      response: {
        outputSpeech: { type: 'SSML', ssml: '<speak>Your order 1 0 0 1 has shipped.</speak>' },
        reprompt: {
          outputSpeech: { type: 'SSML', ssml: '<speak>Is there anything else I can help you with?</speak>' },
        },
        shouldEndSession: false,
      },
    });
  });

  test('a handoff: the speaker says where to reach a person, and the session ends', () => {
    expect(alexaNoShops.render(ref, turn([{ text: 'Connecting you to an agent.' }], 'queued'))).toEqual({
      version: '1.0',
      response: {
        outputSpeech: {
          type: 'SSML',
          ssml: '<speak>Connecting you to an agent. I can&apos;t connect you to a person on this speaker. Please use the shop&apos;s app or phone to talk to a person, and the shop will get back to you.</speak>',
        },
        shouldEndSession: true,
      },
    });
  });

  test('launch, stop, session ended', () => {
    expect(alexaNoShops.render({ ...ref, action: 'launch' }, undefined)).toEqual({
      version: '1.0',
      response: {
        outputSpeech: { type: 'SSML', ssml: '<speak>Hi!</speak>' },
        reprompt: {
          outputSpeech: { type: 'SSML', ssml: '<speak>Is there anything else I can help you with?</speak>' },
        },
        shouldEndSession: false,
      },
    });
    expect(alexaNoShops.render({ ...ref, action: 'stop' }, undefined)).toEqual({
      version: '1.0',
      response: {
        outputSpeech: {
          type: 'SSML',
          ssml: '<speak>Thanks for contacting Kefu Demo Store. Goodbye!</speak>',
        },
        shouldEndSession: true,
      },
    });
    expect(alexaNoShops.render({ ...ref, action: 'ended' }, undefined)).toEqual({
      version: '1.0',
      response: {},
    });
  });
});

describe('AliGenie golden', () => {
  const adapter = new AliGenieAdapter({ shops: async () => ({ shop, settings }) });
  const body = () => JSON.parse(fixture('aligenie-request.json').toString()) as Record<string, unknown>;

  test('request → a turn with the utterance, the hashed userOpenId and the requestId', () => {
    expect(interpretAliGenie(parseAliGenieBody(body()), shop, settings)).toEqual({
      kind: 'message',
      ref: {
        shopId: 'demo',
        locale: 'zh-CN',
        greeting: expect.stringContaining('Kefu Demo Store'),
        intentId: 54321,
      },
      message: {
        shopId: 'demo',
        channel: 'aligenie',
        userId: `aligenie:${sha('Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9Jj0KkLlMmNnOoPp')}`,
        verified: false,
        text: '退货地址是什么',
        locale: 'zh-CN',
        dedupKey: 'aligenie:20261204093000123-8765432109',
      },
    });
  });

  test('without requestId the dedup key hashes sessionId + utterance; without userOpenId the device id is used', () => {
    const b = body();
    delete b.requestId;
    b.requestData = {};
    const inbound = interpretAliGenie(parseAliGenieBody(b), shop, settings);
    expect(inbound).toMatchObject({
      message: {
        dedupKey: `aligenie:${sha('9f3a2c1e-5b7d-4e8f-a1b2-c3d4e5f6a7b8\n退货地址是什么')}`,
        userId: `aligenie:${sha('Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1QqPpOoNnMmLlKk')}`,
      },
    });
  });

  test('parse checks the token and the skill id (403), and refuses encrypted bodies (400)', async () => {
    await expect(adapter.parse({ shopId: 'demo', token: 'tok', body: body() })).resolves.toMatchObject({
      kind: 'message',
    });
    await expect(adapter.parse({ shopId: 'demo', body: body() })).rejects.toMatchObject({ status: 403 });
    await expect(adapter.parse({ shopId: 'demo', token: 'tak', body: body() })).rejects.toMatchObject({
      status: 403,
      code: 'ALIGENIE_TOKEN_INVALID',
    });
    await expect(
      adapter.parse({ shopId: 'demo', token: 'tok', body: { ...body(), skillId: 1 } }),
    ).rejects.toMatchObject({
      status: 403,
      code: 'ALIGENIE_SKILL_MISMATCH',
    });
    await expect(
      adapter.parse({
        shopId: 'demo',
        token: 'tok',
        body: { queryMetaInfo: { securityMode: 'RSA' }, securityQuery: 'x' },
      }),
    ).rejects.toMatchObject({ status: 400, code: 'ALIGENIE_ENCRYPTED' });
    const unconfigured = new AliGenieAdapter({ shops: async () => ({ shop, settings: {} }) });
    await expect(unconfigured.parse({ shopId: 'demo', token: 'tok', body: body() })).rejects.toMatchObject({
      status: 403,
      code: 'ALIGENIE_NOT_CONFIGURED',
    });
  });

  const ref: AliGenieRef = { shopId: 'demo', locale: 'zh-CN', greeting: '您好', intentId: 54321 };

  test('an answer → RESULT', () => {
    expect(adapter.render(ref, turn([{ text: '退货地址：上海市浦东新区演示路 88 号。' }]))).toEqual({
      returnCode: '0',
      returnErrorSolution: '',
      returnMessage: '',
      returnValue: {
        reply: '退货地址：上海市浦东新区演示路 88 号。',
        resultType: 'RESULT',
        executeCode: 'SUCCESS',
      },
    });
  });

  test('a question with options → ASK_INF, asking back into the intent', () => {
    const out = adapter.render(
      ref,
      turn([{ text: '请问是哪个订单？', quickReplies: [{ title: '订单 1001', payload: 'order:1001' }] }]),
    );
    expect(out.returnValue).toEqual({
      reply: expect.stringContaining('请问是哪个订单？'),
      resultType: 'ASK_INF',
      askedInfos: [{ parameterName: 'utterance', intentId: 54321 }],
      executeCode: 'SUCCESS',
    });
    expect(out.returnValue.reply).toContain('1 0 0 1');
  });

  test('a handoff → RESULT with where to reach a person', () => {
    const out = adapter.render(ref, turn([{ text: '正在为您转接人工客服。' }], 'queued'));
    expect(out.returnValue).toEqual({
      reply:
        '正在为您转接人工客服。音箱上暂时无法为您转接人工。请使用店铺的 App 或拨打电话联系人工客服，店铺也会尽快回复您。',
      resultType: 'RESULT',
      executeCode: 'SUCCESS',
    });
  });

  test('opening the skill without an utterance → the greeting, ASK_INF', () => {
    const b = body();
    b.utterance = '';
    const inbound = interpretAliGenie(parseAliGenieBody(b), shop, settings);
    expect(inbound.kind).toBe('start');
    expect(adapter.render(inbound.ref, undefined).returnValue.resultType).toBe('ASK_INF');
  });
});

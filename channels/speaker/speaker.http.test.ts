import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type KefuServer, createServer } from '../../bot/server';
import { type TestServer, startTestServer } from '../../tests/support/server';
import { TEST_CERT_URL, type TestCa, makeTestCa, signBody } from './fixtures/test-ca';
import type { AlexaResponseEnvelope, AliGenieResponse } from './protocol';
import { createSpeakerChannel } from './speaker.module';

const SKILL = 'amzn1.ask.skill.8f0c3a52-7b1d-4e69-9a2f-0c1d2e3f4a5b';
const ALI_TOKEN = 'aligenie-shared-token-3f9a';
interface Ids {
  application: { applicationId: string };
  user: { userId: string };
}
interface AlexaFixture {
  session: Ids;
  context: { System: Ids };
  request: {
    requestId: string;
    timestamp: string;
    locale: string;
    intent: { slots: { utterance: { value: string } } };
  };
}
interface AliGenieFixture {
  requestId: string;
  utterance: string;
  skillId: number;
  requestData: { userOpenId: string };
}
const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(path.join(__dirname, 'fixtures', name), 'utf8')) as T;
const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);

let ca: TestCa;
let srv: TestServer;
let speaker: KefuServer;
let base: string;
const chains: Record<string, string> = {};

beforeAll(async () => {
  ca = makeTestCa();
  srv = await startTestServer({ demo: true });
  await srv.platform.store.shops.mergeSettings('demo', {
    channels: { alexa: { skillId: SKILL }, aligenie: { skillId: '10086', privateKey: ALI_TOKEN } },
  });
  speaker = createServer(srv.platform, [
    createSpeakerChannel(srv.platform, {
      alexa: { trustedRoots: [ca.root], fetchCertChain: async (url) => chains[url] ?? ca.chain },
    }),
  ]);
  const { port } = await speaker.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => speaker.server.close(() => resolve()));
  speaker.server.closeAllConnections();
  await srv.stop();
  ca.remove();
});

let seq = 0;
/** An Alexa request from the fixture, for `user`, stamped now, with a new request id. */
function alexaBody(
  name: string,
  opts: { user?: string; utterance?: string; locale?: string; age?: number } = {},
) {
  const env = fixture<AlexaFixture>(name);
  const user = opts.user ?? 'amzn1.ask.account.HTTPTESTUSER';
  env.session.user.userId = user;
  env.context.System.user.userId = user;
  env.request.requestId = `amzn1.echo-api.request.http-${++seq}`;
  env.request.timestamp = new Date(Date.now() - (opts.age ?? 0) * 1000).toISOString();
  if (opts.locale) env.request.locale = opts.locale;
  if (opts.utterance !== undefined) env.request.intent.slots.utterance.value = opts.utterance;
  return JSON.stringify(env);
}

async function postAlexa(
  body: string,
  opts: { key?: string; certUrl?: string; signature?: string } = {},
): Promise<{ status: number; json: AlexaResponseEnvelope & { error?: { code: string } } }> {
  const res = await fetch(`${base}/channels/alexa/demo`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      signaturecertchainurl: opts.certUrl ?? TEST_CERT_URL,
      'signature-256': opts.signature ?? signBody(body, opts.key ?? ca.leafKey),
    },
    body,
  });
  return {
    status: res.status,
    json: (await res.json()) as AlexaResponseEnvelope & { error?: { code: string } },
  };
}

async function postAliGenie(body: unknown, token: string | null = ALI_TOKEN) {
  const res = await fetch(`${base}/channels/aligenie/demo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { 'x-kefu-token': token } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as AliGenieResponse & { error?: { code: string } } };
}

const stored = (userId: string) => srv.platform.store.conversations.findOpen('demo', userId);

describe('Alexa over HTTP (test CA injected)', () => {
  test('launch → the shop greeting, session open; then a question → a spoken answer in SSML', async () => {
    const launch = await postAlexa(alexaBody('alexa-launch.json'));
    expect(launch.status).toBe(200);
    expect(launch.json.response.outputSpeech?.ssml).toBe(
      '<speak>Hi, welcome to the Kefu Demo Store! I&apos;m K, the virtual assistant. How can I help?</speak>',
    );
    expect(launch.json.response.shouldEndSession).toBe(false);

    const ask = await postAlexa(alexaBody('alexa-intent.json', { utterance: 'what is your return policy' }));
    expect(ask.status).toBe(200);
    const ssml = ask.json.response.outputSpeech?.ssml ?? '';
    expect(ssml).toMatch(/^<speak>[^<>]+<\/speak>$/);
    expect(ssml).toMatch(/return/i);
    expect(ssml).not.toMatch(/went wrong/);
    const conv = await stored(`alexa:${sha('amzn1.ask.account.HTTPTESTUSER')}`);
    expect(conv?.channel).toBe('alexa');
  });

  test('zh-CN: 退货地址 → the return address, spoken', async () => {
    const ask = await postAlexa(
      alexaBody('alexa-intent.json', {
        user: 'amzn1.ask.account.ZH',
        utterance: '退货地址是什么',
        locale: 'zh-CN',
      }),
    );
    expect(ask.status).toBe(200);
    expect(ask.json.response.outputSpeech?.ssml).toContain('演示路');
  });

  test('a retried request (same requestId) runs one turn and gets the same answer', async () => {
    const user = 'amzn1.ask.account.RETRY';
    const body = alexaBody('alexa-intent.json', { user, utterance: 'how long does shipping take' });
    const first = await postAlexa(body);
    const second = await postAlexa(body);
    expect(second.json).toEqual(first.json);
    const conv = await stored(`alexa:${sha(user)}`);
    expect(await srv.platform.store.conversations.countTurns(conv!.id)).toBe(1);
  });

  test('SessionEndedRequest → an empty response, nothing stored', async () => {
    const user = 'amzn1.ask.account.ENDED';
    const res = await postAlexa(alexaBody('alexa-session-ended.json', { user }));
    expect(res).toEqual({ status: 200, json: { version: '1.0', response: {} } });
    expect(await stored(`alexa:${sha(user)}`)).toBeUndefined();
  });

  describe('rejected, nothing stored', () => {
    const user = 'amzn1.ask.account.ATTACKER';
    afterEach(async () => {
      expect(await stored(`alexa:${sha(user)}`)).toBeUndefined();
    });
    const ask = (o: { age?: number } = {}) =>
      alexaBody('alexa-intent.json', { user, utterance: 'hello', ...o });

    test('wrong signature → 401', async () => {
      const body = ask();
      const res = await postAlexa(body, { signature: signBody(body + ' ', ca.leafKey) });
      expect(res.status).toBe(401);
      expect(res.json.error?.code).toBe('ALEXA_SIGNATURE_INVALID');
    });
    test.each([
      'http://s3.amazonaws.com/echo.api/echo-api-cert.pem',
      'https://example.com/echo.api/echo-api-cert.pem',
      'https://s3.amazonaws.com/other/echo-api-cert.pem',
      'https://s3.amazonaws.com:444/echo.api/echo-api-cert.pem',
    ])('certificate URL %s → 401', async (certUrl) => {
      const res = await postAlexa(ask(), { certUrl });
      expect(res.status).toBe(401);
    });
    test('expired certificate → 401', async () => {
      const url = 'https://s3.amazonaws.com/echo.api/expired.pem';
      chains[url] = ca.expiredChain;
      const res = await postAlexa(ask(), { certUrl: url, key: ca.expiredKey });
      expect(res.status).toBe(401);
    });
    test('a certificate from a foreign root → 401', async () => {
      const url = 'https://s3.amazonaws.com/echo.api/foreign.pem';
      chains[url] = ca.foreignChain;
      const res = await postAlexa(ask(), { certUrl: url, key: ca.foreignKey });
      expect(res.status).toBe(401);
    });
    test('timestamp 200 s old → 400', async () => {
      const res = await postAlexa(ask({ age: 200 }));
      expect(res.status).toBe(400);
      expect(res.json.error?.code).toBe('ALEXA_TIMESTAMP_STALE');
    });
    test('another skill → 403; no signature headers → 401', async () => {
      const env = JSON.parse(ask()) as AlexaFixture;
      env.session.application.applicationId = 'amzn1.ask.skill.someone-else';
      env.context.System.application.applicationId = 'amzn1.ask.skill.someone-else';
      const res = await postAlexa(JSON.stringify(env));
      expect(res.status).toBe(403);
      const bare = await fetch(`${base}/channels/alexa/demo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: ask(),
      });
      expect(bare.status).toBe(401);
    });
  });
});

test('openApiPaths: both endpoints, with request bodies from the zod schemas', () => {
  const paths = createSpeakerChannel(srv.platform).openApiPaths as Record<
    string,
    {
      post: {
        requestBody: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> };
      };
    }
  >;
  expect(Object.keys(paths).sort()).toEqual(['/channels/alexa/{shopId}', '/channels/aligenie/{shopId}']);
  const alexaBody = paths['/channels/alexa/{shopId}']!.post.requestBody.content['application/json']!.schema;
  expect(Object.keys(alexaBody.properties ?? {})).toEqual(
    expect.arrayContaining(['version', 'session', 'request']),
  );
  const aliBody = paths['/channels/aligenie/{shopId}']!.post.requestBody.content['application/json']!.schema;
  expect(Object.keys(aliBody.properties ?? {})).toEqual(
    expect.arrayContaining(['sessionId', 'utterance', 'skillId']),
  );
});

describe('AliGenie over HTTP', () => {
  test('退货地址 → the address, and ASK_INF since options (the satisfaction question) were offered', async () => {
    const body = fixture<AliGenieFixture>('aligenie-request.json');
    const res = await postAliGenie(body);
    expect(res.status).toBe(200);
    expect(res.json.returnCode).toBe('0');
    expect(res.json.returnValue.reply).toContain('演示路');
    expect(res.json.returnValue.reply).toMatch(/您可以说：.+/);
    expect(res.json.returnValue.resultType).toBe('ASK_INF');
    expect(res.json.returnValue.askedInfos).toEqual([{ parameterName: 'utterance', intentId: 54321 }]);
    const conv = await stored(`aligenie:${sha(body.requestData.userOpenId)}`);
    expect(conv?.channel).toBe('aligenie');
  });

  test('an answer that asks nothing (refunds need a login) → RESULT', async () => {
    const body = fixture<AliGenieFixture>('aligenie-request.json');
    body.requestId = 'ali-http-ask';
    body.requestData.userOpenId = 'ali-ask-user';
    body.utterance = '我要退款';
    const res = await postAliGenie(body);
    expect(res.status).toBe(200);
    expect(res.json.returnValue.reply).toMatch(/登录/);
    expect(res.json.returnValue.resultType).toBe('RESULT');
    expect(res.json.returnValue).not.toHaveProperty('askedInfos');
  });

  test('a missing or wrong token → 403, another skillId → 403, nothing stored', async () => {
    const body = fixture<AliGenieFixture>('aligenie-request.json');
    body.requestData.userOpenId = 'ali-attacker';
    body.requestId = 'ali-http-attack';
    expect((await postAliGenie(body, null)).status).toBe(403);
    expect((await postAliGenie(body, 'wrong')).status).toBe(403);
    expect((await postAliGenie({ ...body, skillId: 1 })).status).toBe(403);
    expect(await stored(`aligenie:${sha('ali-attacker')}`)).toBeUndefined();
  });
});

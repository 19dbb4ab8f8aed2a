import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { isKefuError } from '../../bot/errors';
import { type KefuServer, createServer } from '../../bot/server';
import type { Shop, ShopSettings } from '../../bot/store/shops.repo';
import { type TestServer, startTestServer } from '../../tests/support/server';
import { AlexaAdapter } from './alexa.adapter';
import { AlexaVerifier } from './alexa.verify';
import { AliGenieAdapter } from './aligenie.adapter';
import { TEST_CERT_URL, type TestCa, makeTestCa, signBody } from './fixtures/test-ca';
import { createSpeakerChannel } from './speaker.module';

type Json = Record<string, unknown>;
const fixture = (name: string): Json =>
  JSON.parse(readFileSync(path.join(__dirname, 'fixtures', name), 'utf8')) as Json;

const SKILL = 'amzn1.ask.skill.8f0c3a52-7b1d-4e69-9a2f-0c1d2e3f4a5b';
const TOKEN = 'fuzz-token';
const shop: Shop = { id: 'demo', name: 'Demo', locales: ['zh-CN', 'en-US'], identitySecret: 'x' };
const settings: ShopSettings = {
  channels: { alexa: { skillId: SKILL }, aligenie: { skillId: '10086', privateKey: TOKEN } },
};

/** Sets (or deletes, for undefined) the value at a dotted path, creating objects on the way. */
function setPath(target: Json, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node: Json = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (!next || typeof next !== 'object') node[key] = {};
    node = node[key] as Json;
  }
  const last = keys.at(-1)!;
  if (value === undefined) delete node[last];
  else node[last] = value;
}

const ALEXA_PATHS = [
  'version',
  'session',
  'session.application.applicationId',
  'session.user.userId',
  'session.attributes',
  'session.attributes.kefu',
  'session.attributes.kefu.choices',
  'context',
  'context.System.application.applicationId',
  'context.System.user',
  'request',
  'request.type',
  'request.requestId',
  'request.timestamp',
  'request.locale',
  'request.intent',
  'request.intent.name',
  'request.intent.slots',
  'request.intent.slots.utterance',
  'request.intent.slots.utterance.value',
];
const ALIGENIE_PATHS = [
  'sessionId',
  'utterance',
  'requestId',
  'skillId',
  'intentId',
  'intentName',
  'slotEntities',
  'requestData',
  'requestData.userOpenId',
  'device',
  'device.deviceOpenId',
  'skillSession',
  'securityQuery',
  'token',
];

const weird = fc.oneof(
  fc.anything(),
  fc.constant(undefined),
  fc.string({ maxLength: 3000 }),
  fc.constantFrom(
    '',
    ' ',
    'IntentRequest',
    'LaunchRequest',
    'AMAZON.StopIntent',
    '\u0000',
    '𠮷'.repeat(2001),
  ),
);

let freshIds = 0;
function mutated(name: string, paths: string[], fresh = false): fc.Arbitrary<Json> {
  return fc.array(fc.tuple(fc.constantFrom(...paths), weird), { minLength: 1, maxLength: 4 }).map((edits) => {
    const body = fixture(name);
    // Stamped now (HTTP): the timestamp check passes and the malformed parts are what is tested.
    if (fresh) {
      setPath(body, 'request.timestamp', new Date().toISOString());
      setPath(body, 'request.requestId', `amzn1.echo-api.request.fuzz-${++freshIds}`);
    }
    for (const [p, v] of edits) setPath(body, p, v);
    return body;
  });
}

const alexaBodies: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  mutated('alexa-intent.json', ALEXA_PATHS).map((v) => Buffer.from(JSON.stringify(v))),
  mutated('alexa-launch.json', ALEXA_PATHS).map((v) => Buffer.from(JSON.stringify(v))),
);
const aliGenieBodies: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything(),
  fc.jsonValue(),
  mutated('aligenie-request.json', ALIGENIE_PATHS),
);

/** Resolves, or fails with a typed 4xx: never anything else. */
async function only4xx(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!isKefuError(err) || err.status < 400 || err.status >= 500) throw err;
  }
}

describe('fuzz: adapter parse', () => {
  test('Alexa: 10,000 malformed bodies → a parse result or a 4xx, never a crash', async () => {
    const clock = new AlexaVerifier({ now: () => new Date('2026-12-04T09:30:00Z') });
    const adapter = new AlexaAdapter({
      // The signature is checked elsewhere; here every body is taken as signed, to reach the parser.
      verifier: { verifyRequest: async () => undefined, checkTimestamp: (ts) => clock.checkTimestamp(ts) },
      shops: async () => ({ shop, settings }),
    });
    let parsed = 0;
    await fc.assert(
      fc.asyncProperty(alexaBodies, async (body) => {
        await only4xx(
          adapter.parse({ shopId: 'demo', body }).then((inbound) => {
            parsed++;
            adapter.render(inbound.ref, undefined);
          }),
        );
      }),
      { numRuns: 10_000 },
    );
    // The generator also makes bodies that still parse: the happy path is exercised too.
    expect(parsed).toBeGreaterThan(100);
  });

  test('AliGenie: 10,000 malformed bodies → a parse result or a 4xx, never a crash', async () => {
    const adapter = new AliGenieAdapter({ shops: async () => ({ shop, settings }) });
    let parsed = 0;
    await fc.assert(
      fc.asyncProperty(aliGenieBodies, fc.constantFrom(TOKEN, undefined, 'x'), async (body, token) => {
        await only4xx(
          adapter.parse({ shopId: 'demo', token, body }).then((inbound) => {
            parsed++;
            adapter.render(inbound.ref, undefined);
          }),
        );
      }),
      { numRuns: 10_000 },
    );
    expect(parsed).toBeGreaterThan(100);
  });
});

describe('fuzz: over HTTP', () => {
  let ca: TestCa;
  let srv: TestServer;
  let speaker: KefuServer;
  let base: string;

  beforeAll(async () => {
    ca = makeTestCa();
    srv = await startTestServer({ demo: true });
    await srv.platform.store.shops.mergeSettings('demo', settings);
    speaker = createServer(srv.platform, [
      createSpeakerChannel(srv.platform, {
        alexa: { trustedRoots: [ca.root], fetchCertChain: async () => ca.chain },
      }),
    ]);
    base = `http://127.0.0.1:${(await speaker.listen(0, '127.0.0.1')).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => speaker.server.close(() => resolve()));
    speaker.server.closeAllConnections();
    await srv.stop();
    ca.remove();
  });

  const requestId = (body: Buffer): string | undefined => {
    try {
      const id = (JSON.parse(body.toString()) as { request?: { requestId?: unknown } }).request?.requestId;
      return typeof id === 'string' ? id : undefined;
    } catch {
      return undefined;
    }
  };

  test('Alexa: 300 signed malformed bodies → no 5xx, and a refused one stores nothing', async () => {
    const bodies = fc.oneof(
      alexaBodies,
      mutated('alexa-intent.json', ALEXA_PATHS, true).map((v) => Buffer.from(JSON.stringify(v))),
    );
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(bodies, fc.boolean(), async (body, signed) => {
        const res = await fetch(`${base}/channels/alexa/demo`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            signaturecertchainurl: TEST_CERT_URL,
            'signature-256': signed ? signBody(body, ca.leafKey) : 'AAAA',
          },
          body: new Uint8Array(body),
        });
        await res.arrayBuffer();
        expect(res.status).toBeLessThan(500);
        const id = requestId(body);
        if (res.status === 200) answered++;
        // An id with U+0000 cannot be stored (nor looked up) in PostgreSQL text at all.
        if (res.status !== 200 && id && !id.includes('\u0000')) {
          expect(
            await srv.platform.store.conversations.findTurnByDedupKey('demo', `alexa:${id}`),
          ).toBeUndefined();
        }
      }),
      // A fixed seed: the share of bodies that stay valid varies from run to run, and the check below counts them.
      { numRuns: 300, seed: 20261204 },
    );
    // Some bodies are still valid requests and are answered: the property is not vacuous.
    expect(answered).toBeGreaterThan(3);
  });

  test('AliGenie: 300 malformed bodies → no 5xx, and a refused one stores nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        mutated('aligenie-request.json', ALIGENIE_PATHS),
        fc.boolean(),
        async (body, withToken) => {
          const id = `fuzz-${Math.random().toString(36).slice(2)}`;
          body.requestId = typeof body.requestId === 'string' ? id : body.requestId;
          const res = await fetch(`${base}/channels/aligenie/demo`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(withToken ? { 'x-kefu-token': TOKEN } : {}) },
            body: JSON.stringify(body),
          });
          await res.arrayBuffer();
          expect(res.status).toBeLessThan(500);
          if (!withToken) expect(res.status).toBe(403);
          if (res.status !== 200) {
            expect(
              await srv.platform.store.conversations.findTurnByDedupKey('demo', `aligenie:${id}`),
            ).toBeUndefined();
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

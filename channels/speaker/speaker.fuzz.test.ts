import fc from 'fast-check';
import { isKefuError } from '../../bot/errors';
import { type KefuServer, createServer } from '../../bot/server';
import { type TestServer, startTestServer } from '../../tests/support/server';
import { AlexaAdapter } from './alexa.adapter';
import { AlexaVerifier } from './alexa.verify';
import { AliGenieAdapter } from './aligenie.adapter';
import { TEST_CERT_URL, type TestCa, makeTestCa, signBody } from './fixtures/test-ca';
import { createSpeakerChannel } from './speaker.module';
import {
  ALEXA_PATHS,
  ALIGENIE_PATHS,
  TOKEN,
  alexaBodies,
  aliGenieBodies,
  mutated,
  settings,
  shop,
} from './speaker.test-support';

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

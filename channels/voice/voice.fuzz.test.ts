import fc from 'fast-check';
import { isKefuError } from '../../bot/errors';
import type { TurnResult } from '../../bot/turn';
import { type TestServer, startTestServer } from '../../tests/support/server';
import { TwilioVoiceAdapter } from './twilio.adapter';
import {
  TEST_AUTH_TOKEN,
  TEST_VXML_TOKEN,
  badBody,
  body,
  contentType,
  header,
  query,
  rawBody,
  storedCounts,
  testShop,
  twilioSignature,
} from './voice.test-support';
import { VxmlAdapter } from './vxml.adapter';

/** Mostly the right token (so the payload is what gets tested). */
const vxmlAuth = fc.oneof(
  { weight: 3, arbitrary: fc.constant(`Bearer ${TEST_VXML_TOKEN}`) },
  {
    weight: 2,
    arbitrary: fc.option(fc.oneof(fc.string({ maxLength: 40 }), fc.constant('Bearer ')), { nil: undefined }),
  },
);
const configured = { channels: { twilio: { authToken: TEST_AUTH_TOKEN }, vxml: { token: TEST_VXML_TOKEN } } };
/** Mostly a configured shop (so the payload is what gets tested), sometimes a broken configuration. */
const settings = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Record<string, unknown>>(configured) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Record<string, unknown>>(
      {},
      { channels: { twilio: { authToken: '' }, vxml: { token: 7 } } },
      { channels: 'x' },
      { channels: { twilio: null } },
    ),
  },
);
const known = fc.oneof(
  { weight: 6, arbitrary: fc.constant(true) },
  { weight: 1, arbitrary: fc.constant(false) },
);

const result: TurnResult = {
  conversationId: 'cv',
  userMessageId: 'm',
  replies: [{ text: '好的 & <ok>', quickReplies: [{ title: '满意', payload: 'dialogue:csat:5' }] }],
  nlu: null,
  handoff: 'none',
};

/** How the runs ended, to show the payloads got past the signature to the schema. */
type Outcomes = Record<'parsed' | 'refused' | 'invalid', number>;

/** Whatever the input: a parsed message that renders to XML, or a 4xx KefuError — never anything else. */
function expectSafe(outcomes: Outcomes, run: () => { render(): string }): void {
  let rendered: string;
  try {
    rendered = run().render();
  } catch (err) {
    if (!isKefuError(err) || err.status < 400 || err.status >= 500) throw err;
    outcomes[err.status === 403 ? 'refused' : 'invalid']++;
    return;
  }
  outcomes.parsed++;
  expect(rendered.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
}

describe('fuzz: malformed webhooks never crash the parse function', () => {
  test('Twilio: 12,000 payloads, headers and URLs (most of them correctly signed)', () => {
    const adapter = new TwilioVoiceAdapter();
    const outcomes: Outcomes = { parsed: 0, refused: 0, invalid: 0 };
    fc.assert(
      fc.property(
        body,
        query,
        header,
        settings,
        known,
        fc.constantFrom(0, 0, 0, 1, 2),
        (b, q, sig, s, isKnown, mode) => {
          const url = `https://kefu.example.com/channels/twilio/demo/voice${q ? `?${q}` : ''}`;
          const params = b && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, string>) : {};
          // mode 0: signed right (so the payload itself is what is tested); 1: the given header; 2: none.
          const signature =
            mode === 0
              ? twilioSignature(
                  TEST_AUTH_TOKEN,
                  url,
                  Object.fromEntries(Object.entries(params).filter(([, v]) => typeof v === 'string')),
                )
              : mode === 1
                ? sig
                : undefined;
          expectSafe(outcomes, () => {
            const inbound = adapter.parseSync({
              shop: isKnown ? testShop : undefined,
              settings: s,
              url,
              signature,
              body: b,
            });
            return {
              render: () =>
                adapter.render(inbound.ref, inbound.kind === 'message' ? result : undefined, inbound),
            };
          });
        },
      ),
      { numRuns: 12_000 },
    );
    if (process.env.FUZZ_STATS) console.log(outcomes);
    expect(outcomes.refused).toBeGreaterThan(3000);
    expect(outcomes.invalid).toBeGreaterThan(1000);
    expect(outcomes.parsed).toBeGreaterThan(100);
  });

  test('VoiceXML: 10,000 payloads, headers and URLs', () => {
    const adapter = new VxmlAdapter();
    const outcomes: Outcomes = { parsed: 0, refused: 0, invalid: 0 };
    fc.assert(
      fc.property(
        body,
        query,
        vxmlAuth,
        settings,
        known,
        fc.constantFrom('start', 'turn') as fc.Arbitrary<'start' | 'turn'>,
        (b, q, auth, s, isKnown, route) => {
          const url = `/channels/vxml/demo/${route}${q ? `?${q}` : ''}`;
          expectSafe(outcomes, () => {
            const inbound = adapter.parseSync({
              shop: isKnown ? testShop : undefined,
              settings: s,
              url,
              authorization: auth,
              body: b,
              route,
            });
            return {
              render: () =>
                adapter.render(inbound.ref, inbound.kind === 'message' ? result : undefined, inbound),
            };
          });
        },
      ),
      { numRuns: 10_000 },
    );
    if (process.env.FUZZ_STATS) console.log(outcomes);
    expect(outcomes.refused).toBeGreaterThan(2000);
    expect(outcomes.invalid).toBeGreaterThan(1000);
    expect(outcomes.parsed).toBeGreaterThan(300);
  });
});

describe('fuzz over HTTP: no 5xx, nothing stored', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ demo: true });
    await srv.platform.store.shops.mergeSettings('demo', {
      channels: { twilio: { authToken: TEST_AUTH_TOKEN }, vxml: { token: TEST_VXML_TOKEN } },
    });
  });
  afterAll(() => srv.stop());

  test('300 requests to the Twilio and VoiceXML endpoints', async () => {
    const before = await storedCounts(srv);
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('twilio', 'vxml-start', 'vxml-turn', 'unknown-shop'),
        fc.oneof(
          badBody.map((b) => ({ form: b })),
          rawBody.map((r) => ({ raw: r })),
        ),
        query,
        contentType,
        fc.boolean(),
        header,
        async (target, payload, q, type, signRight, auth) => {
          const path =
            target === 'twilio'
              ? '/channels/twilio/demo/voice'
              : target === 'vxml-start'
                ? '/channels/vxml/demo/start'
                : target === 'vxml-turn'
                  ? '/channels/vxml/demo/turn'
                  : '/channels/twilio/no-such-shop/voice';
          // A turn with a valid token and a session would be a real turn: the fuzzed ones never name a session.
          const search = target === 'vxml-turn' ? q.replace(/(^|&)session=[^&]*/g, '') : q;
          const url = `${srv.url}${path}${search ? `?${search}` : ''}`;
          const form = 'form' in payload ? payload.form : undefined;
          const bodyText = form ? new URLSearchParams(form).toString() : (payload as { raw: string }).raw;
          const headers: Record<string, string> = { 'Content-Type': type };
          if (target.startsWith('vxml') && auth !== undefined && /^[\t\x20-\x7e]*$/.test(auth))
            headers.Authorization = auth;
          if (target === 'twilio' || target === 'unknown-shop') {
            headers['X-Twilio-Signature'] =
              signRight && form
                ? twilioSignature(TEST_AUTH_TOKEN, url, form)
                : 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=';
          }
          const res = await fetch(url, { method: 'POST', headers, body: bodyText });
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          expect(res.status).toBeGreaterThanOrEqual(200);
          expect(res.status).toBeLessThan(500);
        },
      ),
      { numRuns: 300 },
    );
    // Nothing a malformed request carried reached a conversation.
    expect(await storedCounts(srv)).toEqual(before);
    // The run exercised refusals of both kinds (signature/token and payload).
    expect(statuses.get(403)).toBeGreaterThan(0);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
  });
});

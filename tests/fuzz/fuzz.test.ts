import fc from 'fast-check';
import { createServer, type KefuServer } from '../../bot/server';
import { garbage, malformedMessage } from '../../channels/agents/agents.test-support';
import { connectDevice, malformedPayload, type TestDevice } from '../../channels/mqtt/test-device';
import { TEST_CERT_URL, type TestCa, makeTestCa, signBody } from '../../channels/speaker/fixtures/test-ca';
import { createSpeakerChannel } from '../../channels/speaker/speaker.module';
import {
  ALEXA_PATHS,
  ALIGENIE_PATHS,
  alexaBodies,
  aliGenieBodies,
  mutated,
} from '../../channels/speaker/speaker.test-support';
import {
  badBody,
  contentType,
  header,
  query,
  rawBody,
  twilioSignature,
} from '../../channels/voice/voice.test-support';
import {
  CHANNEL_SECRETS,
  FULL,
  type FuzzShop,
  RUNS,
  SEED,
  type Subject,
  Tally,
  createFuzzShop,
  describeRequest,
  fuzzRows,
  inProcessSubject,
  processSubject,
  send,
} from './fuzz.harness';
import type { JsonSchema } from './json-schema.arbitrary';
import { type OpenApiDocument, casesFor, operationsOf } from './rest.cases';
import { FuzzSocket, type SocketCase, handshake, socketCases } from './web-socket.client';

/**
 * The cross-cutting fuzz suite (issue 12): malformed payloads against the REST API (every JSON
 * endpoint of the OpenAPI document), the web chat WebSocket and every webhook, with valid
 * credentials and signatures so they reach validation. For every payload: no crash, no 5xx with
 * internals, and no row written by a refused one. CI runs a small, fixed-seed sample;
 * `npm run fuzz` runs 100,000+ against a separate Kefu process (on PostgreSQL) with a random seed.
 */

const MINUTE = 60_000;
jest.setTimeout(FULL ? 120 * MINUTE : MINUTE);

const tally = new Tally();
let main: Subject;
/** The in-process server for Alexa (whose signatures need a test CA the process cannot be told to trust). */
let local: Subject;
let shop: FuzzShop;
let alexaShop: FuzzShop;
let ca: TestCa;
let speaker: KefuServer;
let speakerUrl: string;

const seedOf = (target: keyof typeof RUNS) => SEED + Object.keys(RUNS).indexOf(target) * 1_000_003;
const refusedStatus = (s: number | string) => typeof s !== 'number' || s >= 400;

beforeAll(async () => {
  const databaseUrl = process.env.DATABASE_URL;
  main = FULL && databaseUrl ? await processSubject(databaseUrl) : await inProcessSubject();
  local = main.server ? main : await inProcessSubject();
  shop = await createFuzzShop(main);
  alexaShop = local === main ? shop : await createFuzzShop(local);
  ca = makeTestCa();
  speaker = createServer(local.server!.platform, [
    createSpeakerChannel(local.server!.platform, {
      alexa: { trustedRoots: [ca.root], fetchCertChain: async () => ca.chain },
    }),
  ]);
  speakerUrl = `http://127.0.0.1:${(await speaker.listen(0, '127.0.0.1')).port}`;
  if (FULL && !databaseUrl) {
    process.stdout.write('fuzz: DATABASE_URL is not set, so the full run uses the in-process server\n');
  }
}, 5 * MINUTE);

afterAll(async () => {
  process.stdout.write(tally.report(main?.kind ?? '?', SEED));
  if (speaker) {
    await new Promise<void>((resolve) => speaker.server.close(() => resolve()));
    speaker.server.closeAllConnections();
  }
  ca?.remove();
  if (local && local !== main) await local.stop();
  await main?.stop();
});

/** A request's answer: tallied, checked for internals, and refused or not. */
function outcome(target: keyof typeof RUNS, request: string, res: { status: number | string; body: string }) {
  if (typeof res.status === 'number') tally.check(target, request, res.status, res.body);
  else {
    tally.record(target, res.status);
    if (res.status === 'net-error') tally.fail(target, 'no answer', request, res.body);
  }
  return { refused: refusedStatus(res.status), request };
}

describe('fuzz: the web chat WebSocket', () => {
  test('malformed, binary and oversized frames and bad handshakes: an error frame or a close, nothing stored', async () => {
    const wsBase = `${main.url.replace(/^http/, 'ws')}/channels/web`;
    let socket: FuzzSocket | undefined;
    let visitor = 0;
    const open = async () => {
      socket = await FuzzSocket.open(`${wsBase}/${shop.id}/ws?visitorId=fuzz-visitor-${SEED}-${++visitor}`);
      return socket;
    };
    await fuzzRows<SocketCase>({
      target: 'websocket',
      arbitrary: socketCases,
      runs: RUNS.websocket,
      seed: seedOf('websocket'),
      counts: () => main.counts(),
      tally,
      send: async (c) => {
        let result: string;
        let request: string;
        if (c.kind === 'handshake') {
          const segment = c.segment === 'SHOP' ? shop.id : c.segment;
          request = `WS ${segment}/ws?${c.query.slice(0, 100)}`;
          result = await handshake(`${wsBase}/${segment}/ws?${c.query}`);
        } else {
          const ws = socket && !socket.closed ? socket : await open();
          if (c.kind === 'text' || c.kind === 'oversized') ws.ws.send(c.text);
          else ws.ws.send(c.bytes, { binary: c.kind === 'binary' });
          request = `WS frame ${c.kind}: ${('text' in c ? c.text : c.bytes.toString('latin1')).slice(0, 100)}`;
          result = await ws.next();
          if (result.startsWith('close:')) socket = undefined;
        }
        tally.record('websocket', result);
        // A turn's frames (message, ack, typing) would mean a frame that should be refused was taken.
        if (/^(message|ack|typing|history)$/.test(result) || result === 'no-answer') {
          tally.fail('websocket', `answered ${result}`, request);
        }
        return { refused: true, request };
      },
    });
    socket?.terminate();
    expect(tally.findings.filter((f) => f.target === 'websocket')).toEqual([]);
  });
});

describe('fuzz: webhooks', () => {
  test('Twilio (form-encoded, signed): no 5xx, nothing stored by a refused call', async () => {
    await fuzzRows({
      target: 'twilio',
      arbitrary: fc.tuple(
        fc.oneof(
          badBody.map((form) => ({ form, raw: undefined })),
          rawBody.map((raw) => ({ form: undefined, raw })),
        ),
        query,
        contentType,
        fc.constantFrom('signed', 'signed', 'signed', 'bad', 'other-shop'),
      ),
      runs: RUNS.twilio,
      seed: seedOf('twilio'),
      counts: () => main.counts(),
      tally,
      send: async ([payload, q, type, sign]) => {
        const shopId = sign === 'other-shop' ? 'no-such-shop' : shop.id;
        const url = `${main.url}/channels/twilio/${shopId}/voice${q ? `?${q}` : ''}`;
        const body = payload.form ? new URLSearchParams(payload.form).toString() : payload.raw!;
        const signature =
          sign !== 'bad' && payload.form
            ? twilioSignature(CHANNEL_SECRETS.twilioAuthToken, url, payload.form)
            : 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=';
        const res = await send(url, {
          method: 'POST',
          headers: { 'content-type': type, 'x-twilio-signature': signature },
          body,
        });
        return outcome('twilio', describeRequest('POST', url, 'form', Buffer.from(body)), res);
      },
    });
    expect(tally.findings.filter((f) => f.target === 'twilio')).toEqual([]);
  });

  test('VoiceXML (form-encoded, with the token): no 5xx, nothing stored by a refused call', async () => {
    const auth = fc.oneof(
      { weight: 3, arbitrary: fc.constant<string | undefined>(`Bearer ${CHANNEL_SECRETS.vxmlToken}`) },
      { weight: 1, arbitrary: header },
    );
    await fuzzRows({
      target: 'vxml',
      arbitrary: fc.tuple(
        fc.oneof(
          badBody.map((form) => new URLSearchParams(form).toString()),
          rawBody,
        ),
        query,
        contentType,
        auth,
        fc.constantFrom('start', 'turn'),
      ),
      runs: RUNS.vxml,
      seed: seedOf('vxml'),
      counts: () => main.counts(),
      tally,
      send: async ([body, q, type, authorization, route]) => {
        // A turn with a valid token and a session would be a real turn: the fuzzed ones never name a session.
        const search = route === 'turn' ? q.replace(/(^|&)session=[^&]*/g, '') : q;
        const url = `${main.url}/channels/vxml/${shop.id}/${route}${search ? `?${search}` : ''}`;
        const headers: Record<string, string> = { 'content-type': type };
        if (authorization !== undefined && /^[\t\x20-\x7e]*$/.test(authorization))
          headers.authorization = authorization;
        const res = await send(url, { method: 'POST', headers, body });
        return outcome('vxml', describeRequest('POST', url, 'form', Buffer.from(body)), res);
      },
    });
    expect(tally.findings.filter((f) => f.target === 'vxml')).toEqual([]);
  });

  test('AliGenie (JSON, with the token): no 5xx, nothing stored by a refused call', async () => {
    await fuzzRows({
      target: 'aligenie',
      arbitrary: fc.tuple(
        fc.oneof(
          mutated('aligenie-request.json', ALIGENIE_PATHS).map((b) => JSON.stringify(b)),
          aliGenieBodies.map((b) => JSON.stringify(b) ?? 'undefined'),
        ),
        fc.constantFrom(true, true, true, false),
      ),
      runs: RUNS.aligenie,
      seed: seedOf('aligenie'),
      counts: () => main.counts(),
      tally,
      send: async ([body, withToken]) => {
        const url = `${main.url}/channels/aligenie/${shop.id}`;
        const res = await send(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(withToken ? { 'x-kefu-token': CHANNEL_SECRETS.aliGenieToken } : {}),
          },
          body,
        });
        return outcome('aligenie', describeRequest('POST', url, 'json', Buffer.from(body)), res);
      },
    });
    expect(tally.findings.filter((f) => f.target === 'aligenie')).toEqual([]);
  });

  test('Agents (Bot Framework activities, JSON): no 5xx, nothing stored by a refused activity', async () => {
    await fuzzRows({
      target: 'agents',
      arbitrary: fc.oneof(
        { weight: 3, arbitrary: malformedMessage.map((b) => JSON.stringify(b)) },
        { weight: 2, arbitrary: garbage.map((b) => JSON.stringify(b) ?? 'undefined') },
        {
          weight: 1,
          arbitrary: fc.oneof(fc.string({ maxLength: 200 }), fc.constantFrom('{"type":', '[]', 'null')),
        },
      ),
      runs: RUNS.agents,
      seed: seedOf('agents'),
      counts: () => main.counts(),
      tally,
      settleMs: 50,
      send: async (body) => {
        const url = `${main.url}/channels/agents/${shop.id}/messages`;
        const res = await send(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        return outcome('agents', describeRequest('POST', url, 'json', Buffer.from(body)), res);
      },
    });
    expect(tally.findings.filter((f) => f.target === 'agents')).toEqual([]);
  });

  test('Alexa (JSON, signed with a test CA): no 5xx, nothing stored by a refused request', async () => {
    await fuzzRows({
      target: 'alexa',
      arbitrary: fc.tuple(
        fc.oneof(
          alexaBodies,
          mutated('alexa-intent.json', ALEXA_PATHS, true).map((v) => Buffer.from(JSON.stringify(v))),
        ),
        fc.constantFrom(true, true, true, false),
      ),
      runs: RUNS.alexa,
      seed: seedOf('alexa'),
      counts: () => local.counts(),
      tally,
      send: async ([body, signed]) => {
        const url = `${speakerUrl}/channels/alexa/${alexaShop.id}`;
        const res = await send(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            signaturecertchainurl: TEST_CERT_URL,
            'signature-256': signed ? signBody(body, ca.leafKey) : 'AAAA',
          },
          body: new Uint8Array(body),
        });
        return outcome('alexa', describeRequest('POST', url, 'json', body), res);
      },
    });
    expect(tally.findings.filter((f) => f.target === 'alexa')).toEqual([]);
  });

  test('MQTT (through the embedded broker): one error reply per malformed payload, nothing stored', async () => {
    // One payload per device at a time, several devices at once (a device's replies come back in order).
    const DEVICES = 10;
    const devices: TestDevice[] = [];
    for (let i = 0; i < DEVICES; i++)
      devices.push(await connectDevice(main.mqttUrl, shop.id, `fz-${SEED}-${i}`));
    const one = async (device: TestDevice, payload: string) => {
      const got = device.received.length;
      await device.sendRaw(Buffer.from(payload, 'latin1'));
      const request = `MQTT ${device.deviceId}: ${payload.slice(0, 100)}`;
      const replies = await device.waitFor(got + 1, 10_000).catch(() => undefined);
      const reply = replies?.[got] as { error?: { code?: string } } | undefined;
      const code = reply?.error?.code ?? (replies ? 'not-an-error' : 'no-answer');
      tally.record('mqtt', code);
      if (!reply?.error || code === 'INTERNAL') tally.fail('mqtt', `answered ${code}`, request);
      return request;
    };
    try {
      await fuzzRows({
        target: 'mqtt',
        arbitrary: fc.array(malformedPayload, { minLength: DEVICES, maxLength: DEVICES }),
        runs: Math.ceil(RUNS.mqtt / DEVICES),
        seed: seedOf('mqtt'),
        counts: () => main.counts(),
        tally,
        send: async (payloads) => {
          const requests = await Promise.all(payloads.map((p, i) => one(devices[i]!, p)));
          return { refused: true, request: requests.join(' | ') };
        },
      });
    } finally {
      for (const d of devices) await d.close();
    }
    expect(tally.findings.filter((f) => f.target === 'mqtt')).toEqual([]);
  });
});

describe('fuzz: the REST API, from the OpenAPI document', () => {
  test('every JSON endpoint: malformed bodies, query strings and path parameters', async () => {
    const doc = (await (await fetch(`${main.url}/api/v1/openapi.json`)).json()) as OpenApiDocument;
    const resolve = (ref: string): JsonSchema | undefined =>
      doc.components?.schemas?.[ref.replace('#/components/schemas/', '')];
    const ops = operationsOf(doc);
    // The document lists the endpoints the brief names (and every other): a sanity check on the reader.
    expect(ops.filter((o) => o.bodySchema).length).toBeGreaterThan(15);
    const opsHit = new Set<string>();
    await fuzzRows({
      target: 'rest',
      arbitrary: fc.constantFrom(...ops).chain((op) => casesFor(op, shop.id, resolve)),
      runs: RUNS.rest,
      seed: seedOf('rest'),
      counts: () => main.counts(),
      tally,
      send: async (c) => {
        opsHit.add(`${c.op.method} ${c.op.path}`);
        const url = `${main.url}${c.path}${c.query ? `?${c.query}` : ''}`;
        const headers: Record<string, string> = {};
        if (c.op.auth === 'shop') headers.authorization = `Bearer ${shop.apiKey}`;
        if (c.op.auth === 'admin') headers.authorization = `Bearer ${main.adminToken}`;
        if (c.body?.contentType) headers['content-type'] = c.body.contentType;
        const res = await send(url, {
          method: c.op.method,
          headers,
          body: c.body ? new Uint8Array(c.body.bytes) : undefined,
        });
        return outcome('rest', describeRequest(c.op.method, url, c.kind, c.body?.bytes), res);
      },
    });
    expect(opsHit.size).toBe(ops.length);
    // Prototype keys were data, nothing more (in-process only: a separate process is checked by still working).
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(tally.findings.filter((f) => f.target === 'rest')).toEqual([]);
  });
});

describe('found by the fuzz: NUL characters', () => {
  test('U+0000 in a path, a query or a body is a 400 NUL_CHARACTER (PostgreSQL text cannot hold it), not a 500', async () => {
    const base = `${main.url}/api/v1/shops/${shop.id}`;
    const auth = { authorization: `Bearer ${shop.apiKey}`, 'content-type': 'application/json' };
    const cases: [string, string, string?][] = [
      ['GET', `${base}/handoffs/%00`],
      ['GET', `${base}/knowledge?q=%00`],
      ['GET', `${base}/conversations?q=a%00b`],
      ['POST', `${base}/knowledge`, '{"entries":[{"locale":"zh-CN","question":"a\\u0000b","answer":"c"}]}'],
      ['PUT', `${base}/settings`, '{"profile":{"name":"a\\u0000"}}'],
    ];
    const before = await main.counts();
    for (const [method, url, body] of cases) {
      const res = await fetch(url, { method, headers: auth, body });
      expect([method, url, res.status]).toEqual([method, url, 400]);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NUL_CHARACTER');
    }
    expect(await main.counts()).toEqual(before);
  });
});

describe('fuzz: afterwards', () => {
  test('the server never exited, still answers /healthz, and no payload drew a 5xx', async () => {
    expect(main.exitCode()).toBeNull();
    const health = await fetch(`${main.url}/healthz`);
    expect(health.status).toBe(200);
    expect((await fetch(`${local.url}/healthz`)).status).toBe(200);
    expect(tally.fiveHundreds).toEqual([]);
    expect(tally.findings).toEqual([]);
    const total = Object.keys(RUNS).reduce((n, t) => n + tally.payloads(t as keyof typeof RUNS), 0);
    expect(total).toBeGreaterThanOrEqual(Object.values(RUNS).reduce((a, b) => a + b, 0));
  });
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import type { Shop, ShopSettings } from '../../bot/store/shops.repo';

/** Generators of malformed Alexa and AliGenie requests (channels/speaker/speaker.fuzz.test.ts, tests/fuzz). */

export type Json = Record<string, unknown>;
export const fixture = (name: string): Json =>
  JSON.parse(readFileSync(path.join(__dirname, 'fixtures', name), 'utf8')) as Json;

export const SKILL = 'amzn1.ask.skill.8f0c3a52-7b1d-4e69-9a2f-0c1d2e3f4a5b';
export const TOKEN = 'fuzz-token';
export const shop: Shop = { id: 'demo', name: 'Demo', locales: ['zh-CN', 'en-US'], identitySecret: 'x' };
export const settings: ShopSettings = {
  channels: { alexa: { skillId: SKILL }, aligenie: { skillId: '10086', privateKey: TOKEN } },
};

/** Sets (or deletes, for undefined) the value at a dotted path, creating objects on the way. */
export function setPath(target: Json, dotted: string, value: unknown): void {
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

export const ALEXA_PATHS = [
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
export const ALIGENIE_PATHS = [
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

export const weird = fc.oneof(
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
export function mutated(name: string, paths: string[], fresh = false): fc.Arbitrary<Json> {
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

export const alexaBodies: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  mutated('alexa-intent.json', ALEXA_PATHS).map((v) => Buffer.from(JSON.stringify(v))),
  mutated('alexa-launch.json', ALEXA_PATHS).map((v) => Buffer.from(JSON.stringify(v))),
);
export const aliGenieBodies: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything(),
  fc.jsonValue(),
  mutated('aligenie-request.json', ALIGENIE_PATHS),
);

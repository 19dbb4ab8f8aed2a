import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { count } from 'drizzle-orm';
import * as schema from '../../bot/store/schema';
import type { Shop } from '../../bot/store/shops.repo';
import type { TestServer } from '../../tests/support/server';

/** Twilio's signature, computed here independently of the twilio package: HMAC-SHA1(URL + sorted key+value), base64. */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf-8')).digest('base64');
}

export function fixture(name: string): Record<string, string> {
  return JSON.parse(readFileSync(path.join(__dirname, 'fixtures', name), 'utf8')) as Record<string, string>;
}

export const TEST_AUTH_TOKEN = '12345678901234567890abcdefabcdef';
export const TEST_VXML_TOKEN = 'vxml-shared-secret-0123456789';

export const testShop: Shop = {
  id: 'demo',
  name: 'Kefu 演示商城',
  locales: ['zh-CN', 'en-US'],
  identitySecret: 'test-identity-secret',
};

/** Rows that a turn would write: none may appear for a refused request. */
export async function storedCounts(
  srv: TestServer,
): Promise<{ conversations: number; messages: number; turns: number }> {
  const { db } = srv.platform.store.database;
  const [c] = await db.select({ n: count() }).from(schema.conversations);
  const [m] = await db.select({ n: count() }).from(schema.messages);
  const [t] = await db.select({ n: count() }).from(schema.turns);
  return { conversations: Number(c?.n ?? 0), messages: Number(m?.n ?? 0), turns: Number(t?.n ?? 0) };
}

// ---- fuzz generators (channels/voice/voice.fuzz.test.ts, tests/fuzz) ----

export const KNOWN_KEYS = [
  'CallSid',
  'AccountSid',
  'From',
  'To',
  'Caller',
  'CallStatus',
  'SpeechResult',
  'Confidence',
  'Digits',
  'FinishedOnKey',
  'answer',
  'utterance',
  'inputmode',
  '__proto__',
  'constructor',
];
export const QUERY_KEYS = [
  'seq',
  'sil',
  'cp',
  'c',
  'dg',
  'locale',
  'userId',
  'userHash',
  'token',
  'session',
  'a',
  'event',
];

export const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    '#',
    '0',
    '1001#',
    '*',
    '1'.repeat(70),
    'x'.repeat(2500),
    '\u0000',
    '\uD800',
    'in-progress',
  ),
);
const value = fc.oneof(
  text,
  fc.array(text, { maxLength: 12 }),
  fc.integer(),
  fc.constant(null),
  fc.constant(undefined),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);
const key = fc.oneof(fc.constantFrom(...KNOWN_KEYS), fc.string({ maxLength: 12 }));
/** A form body: random keys and values, or a real payload with some of its fields broken. */
export const body = fc.oneof(
  fc.dictionary(key, value, { maxKeys: 12 }),
  fc
    .tuple(
      fc.constantFrom('twilio-gather-speech.json', 'twilio-gather-digits.json', 'twilio-incoming-call.json'),
      fc.dictionary(key, value, { maxKeys: 4 }),
    )
    .map(([name, broken]) => ({ ...fixture(name), ...broken })),
  fc.constantFrom(undefined, null, 'CallSid=CA1', 42, [] as unknown[]),
);
export const query = fc.oneof(
  fc.constantFrom('seq=%', 'c=%E0%A4%A&seq=1', 'seq=1&seq=2', 'sil=9&seq=1', 'seq=99999999999', 'dg=2&seq=1'),
  fc
    .array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string({ maxLength: 6 })), text), {
      maxLength: 8,
    })
    .map((pairs) => pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&')),
);

/** Percent-encoded; a lone surrogate becomes a malformed UTF-8 escape, which is a fine thing to send too. */
export function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80';
  }
}
/** An Authorization / signature header: missing, junk, or the right VoiceXML token. */
export const header = fc.option(
  fc.oneof(text, fc.constant('Bearer '), fc.constant(`Bearer ${TEST_VXML_TOKEN}`)),
  {
    nil: undefined,
  },
);

/** Bodies that can never be a valid turn: a CallSid is missing or malformed, so a correct signature still ends in a 400. */
export const badBody = fc
  .dictionary(
    fc.oneof(fc.constantFrom(...KNOWN_KEYS.filter((k) => k !== 'CallSid')), fc.string({ maxLength: 8 })),
    text,
    { maxKeys: 8 },
  )
  .map((d) => ({
    ...d,
    CallSid: 'CA-not-a-call',
  }));
export const rawBody = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.constantFrom('%', '%E0%A4%A', 'a=1&a=2&a=3', '{"CallSid":"CA1"}', 'x='.padEnd(40_000, 'y')),
);
export const contentType = fc.constantFrom(
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=latin1',
  'application/json',
  'text/plain',
  'multipart/form-data; boundary=x',
);

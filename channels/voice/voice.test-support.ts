import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
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

import net from 'node:net';
import fc from 'fast-check';
import mqtt, { type MqttClient } from 'mqtt';
import { sql } from 'drizzle-orm';
import type { Platform } from '../../bot/platform';
import { conversations, messages } from '../../bot/store/schema';
import { devicePayloadSchema, inboundTopic, outboundTopic } from './protocol';

/** A test device: subscribed to its out topic, publishing on its in topic, collecting what it got. */
export interface TestDevice {
  deviceId: string;
  received: Record<string, unknown>[];
  send(body: unknown): Promise<void>;
  sendRaw(payload: string | Buffer): Promise<void>;
  /** Waits until `count` messages arrived in total (default timeout 15 s). */
  waitFor(count: number, timeoutMs?: number): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export async function connectDevice(url: string, shopId: string, deviceId: string): Promise<TestDevice> {
  const client: MqttClient = await mqtt.connectAsync(url, {
    clientId: `test-${deviceId}`,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  const received: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  client.on('message', (_topic, payload) => {
    received.push(JSON.parse(payload.toString('utf8')) as Record<string, unknown>);
    for (const w of [...waiters]) w();
  });
  await client.subscribeAsync(outboundTopic(shopId, deviceId), { qos: 1 });
  return {
    deviceId,
    received,
    async send(body) {
      await client.publishAsync(inboundTopic(shopId, deviceId), JSON.stringify(body), { qos: 1 });
    },
    async sendRaw(payload) {
      await client.publishAsync(inboundTopic(shopId, deviceId), payload, { qos: 1 });
    },
    waitFor(count, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(received.slice());
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `device ${deviceId} got ${received.length} of ${count} messages: ${JSON.stringify(received)}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      await client.endAsync();
    },
  };
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Every stored message and conversation in the database, to show that nothing was stored. */
export async function countStored(platform: Platform): Promise<{ messages: number; conversations: number }> {
  const { db } = platform.store.database;
  const [m] = await db.select({ n: sql<number>`count(*)::int` }).from(messages);
  const [c] = await db.select({ n: sql<number>`count(*)::int` }).from(conversations);
  return { messages: Number(m?.n ?? 0), conversations: Number(c?.n ?? 0) };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const validBase = { messageId: 'f-1', text: '你好' };
/** Values that are wrong for each field (wrong type, empty, too long, malformed). */
const wrongValue = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.boolean(),
  fc.constant(''),
  fc.constant('x'.repeat(200)),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
);
const mutated = fc.oneof(
  fc
    .record({
      field: fc.constantFrom('messageId', 'text', 'payload', 'locale', 'userId', 'userHash'),
      value: wrongValue,
    })
    .map(({ field, value }) => ({ ...validBase, [field]: value })),
  fc.string({ minLength: 2001, maxLength: 2100 }).map((text) => ({ messageId: 'f-2', text: '长' + text })),
  fc.stringMatching(/^[0-9a-f]{64}$/).map((userHash) => ({ ...validBase, userId: 'c-1001', userHash })),
  fc.constantFrom(
    { messageId: 'f-3' },
    { messageId: 'f-4', text: '   ' },
    { text: '你好' },
    { messageId: 'f-5', userId: 'c-1001' },
  ),
);
const malformedBytes = fc.oneof(
  { weight: 3, arbitrary: mutated.map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 300 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', '{', 'null', '"text"', '[]', '{"messageId":1}', '\u0000\uffff'),
  },
);

/** A malformed message: the schema refuses it, or a later check (empty, too long, bad hash) does. */
function isMalformed(payload: string): boolean {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return true;
  }
  const p = devicePayloadSchema.safeParse(json);
  if (!p.success) return true;
  if (!p.data.payload && !p.data.text?.trim()) return true;
  if ((p.data.text?.length ?? 0) > 2000) return true;
  return p.data.userId !== undefined; // its userHash is random: never the right one
}
/** Payloads no device should send: each must be refused with an error and run no turn. */
export const malformedPayload = malformedBytes.filter(isMalformed);

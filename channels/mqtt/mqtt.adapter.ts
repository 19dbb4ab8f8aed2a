import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { MAX_TEXT_CODE_POINTS, codePointLength } from '../../bot/activity';
import type { ChannelInbound, PushChannelAdapter } from '../../bot/channel';
import { KefuError, isKefuError } from '../../bot/errors';
import { ConversationFollower } from '../../bot/follower';
import { type Catalog, loadCatalog, translate } from '../../bot/i18n';
import { verifyUserHash } from '../../bot/identity';
import { newId } from '../../bot/ids';
import type { Platform } from '../../bot/platform';
import type { HttpModule } from '../../bot/server';
import type { StoredMessage } from '../../bot/store/conversations.repo';
import type { Store } from '../../bot/store/store';
import { withTimeout } from '../../bot/timeout';
import type { InboundMessage } from '../../bot/turn';
import { type EmbeddedBroker, startEmbeddedBroker } from './broker';
import {
  type DeviceError,
  type DeviceErrorCode,
  type DeviceReply,
  INBOUND_TOPIC_FILTER,
  MAX_PAYLOAD_BYTES,
  devicePayloadSchema,
  outboundTopic,
  parseInboundTopic,
} from './protocol';

/** Where a device's messages go: its out topic; `inReplyTo` is the device message being answered. */
export interface DeviceRef {
  shopId: string;
  deviceId: string;
  inReplyTo?: string;
}

/** One MQTT message as the client hands it over. */
export interface MqttInbound {
  topic: string;
  payload: Buffer;
}

/** Publishes one JSON payload (QoS 1); rejects when the broker did not take it in time. */
export type Publish = (topic: string, payload: string) => Promise<void>;

/** A payload Kefu does not take: answered on the out topic (when there is one), and no turn runs. */
export class DeviceInputError extends KefuError {
  constructor(
    readonly deviceCode: DeviceErrorCode,
    message: string,
    status: number,
    /** Undefined when the topic itself is not a device topic: there is nobody to answer. */
    readonly ref: DeviceRef | undefined,
    readonly locale?: string,
  ) {
    super(deviceCode, message, status);
    this.name = 'DeviceInputError';
  }
}

const PUBLISH_TIMEOUT_MS = 10_000;
const CONNECT_WAIT_MS = 5_000;
const CLOSE_TIMEOUT_MS = 2_000;
/** Reconnect backoff: doubles from the first to the last, back to the first once connected. */
const RECONNECT_MIN_MS = 1_000;
const RECONNECT_MAX_MS = 30_000;
/** Messages one device may have waiting for their turn; more is a device misbehaving. */
const MAX_QUEUED_PER_DEVICE = 20;
/** Device message ids remembered per device until their stored message is seen (to fill `inReplyTo`). */
const MAX_PENDING_PER_DEVICE = 64;
/** Devices whose follower closed, remembered to catch up on what an agent said meanwhile. */
const MAX_DORMANT_DEVICES = 50_000;

export const MQTT_CHANNEL = 'mqtt';

/**
 * The MQTT device protocol as a push channel adapter: `parse` verifies a device message (topic,
 * size, JSON, schema, shop, userHash) into an InboundMessage; `deliver` publishes stored bot and
 * agent messages on the device's out topic. The device's own message is not echoed.
 */
export class MqttAdapter implements PushChannelAdapter<MqttInbound, DeviceRef> {
  readonly id = MQTT_CHANNEL;
  readonly capabilities = { delivery: 'push', cards: true, quickReplies: true, ssml: false } as const;
  private readonly catalog: Catalog = loadCatalog(__dirname);

  constructor(
    private readonly store: { shops: Pick<Store['shops'], 'findById'> },
    /** Undefined while no broker is connected: replies are dropped (and logged by the caller). */
    private readonly publish: () => Publish | undefined,
  ) {}

  async parse(raw: MqttInbound): Promise<ChannelInbound<DeviceRef>> {
    const where = parseInboundTopic(raw.topic);
    if (!where) throw new DeviceInputError('INVALID_PAYLOAD', 'not a device topic', 400, undefined);
    const ref: DeviceRef = { shopId: where.shopId, deviceId: where.deviceId };
    const fail = (
      code: DeviceErrorCode,
      status: number,
      vars: Record<string, string | number> = {},
      locale?: string,
    ) => new DeviceInputError(code, this.t(locale, `error.${code}`, vars), status, ref, locale);

    if (raw.payload.length > MAX_PAYLOAD_BYTES)
      throw fail('PAYLOAD_TOO_LARGE', 413, { max: MAX_PAYLOAD_BYTES });
    let json: unknown;
    try {
      json = JSON.parse(raw.payload.toString('utf8'));
    } catch {
      throw fail('INVALID_JSON', 400);
    }
    const parsed = devicePayloadSchema.safeParse(json);
    if (!parsed.success) {
      ref.inReplyTo = readableMessageId(json);
      const issue = parsed.error.issues[0];
      const detail = issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : 'invalid';
      throw fail('INVALID_PAYLOAD', 400, { detail }, readableLocale(json));
    }
    const p = parsed.data;
    ref.inReplyTo = p.messageId;
    if (!p.payload && !p.text?.trim()) throw fail('EMPTY_MESSAGE', 400, {}, p.locale);
    if (p.text && codePointLength(p.text) > MAX_TEXT_CODE_POINTS) {
      throw fail('TEXT_TOO_LONG', 413, { max: MAX_TEXT_CODE_POINTS }, p.locale);
    }
    const shop = await this.store.shops.findById(where.shopId);
    if (!shop) throw fail('SHOP_NOT_FOUND', 404, {}, p.locale);
    let userId = `device:${where.deviceId}`;
    let verified = false;
    if (p.userId !== undefined && p.userHash !== undefined) {
      if (!verifyUserHash(shop.identitySecret, p.userId, p.userHash))
        throw fail('INVALID_USER_HASH', 401, {}, p.locale ?? shop.locales[0]);
      userId = p.userId;
      verified = true;
    }
    const message: InboundMessage = {
      shopId: shop.id,
      channel: MQTT_CHANNEL,
      userId,
      verified,
      ...(p.text !== undefined && p.text !== '' ? { text: p.text } : {}),
      ...(p.payload !== undefined ? { payload: p.payload } : {}),
      ...(p.locale !== undefined ? { locale: p.locale } : {}),
      dedupKey: `mqtt:${where.shopId}:${where.deviceId}:${p.messageId}`,
    };
    return { kind: 'message', message, ref };
  }

  async deliver(ref: DeviceRef, messages: StoredMessage[]): Promise<void> {
    for (const m of messages) {
      const reply = toDeviceReply(m, ref.inReplyTo);
      if (reply) await this.send(ref, reply);
    }
  }

  /** The error answer to a payload that was not taken. */
  async deliverError(ref: DeviceRef, code: DeviceErrorCode, message: string): Promise<void> {
    await this.send(ref, toDeviceError(code, message, ref.inReplyTo));
  }

  t(locale: string | undefined, key: string, vars: Record<string, string | number> = {}): string {
    return translate(this.catalog, locale ?? 'zh-CN', key, vars);
  }

  private async send(ref: DeviceRef, body: DeviceReply | DeviceError): Promise<void> {
    const publish = this.publish();
    if (!publish) throw new Error('mqtt: not connected to a broker');
    await publish(outboundTopic(ref.shopId, ref.deviceId), JSON.stringify(body));
  }
}

/** A stored bot or agent message as the device receives it; the device's own messages are not sent. */
export function toDeviceReply(m: StoredMessage, inReplyTo: string | undefined): DeviceReply | undefined {
  if (m.role !== 'bot' && m.role !== 'agent') return undefined;
  return {
    messageId: m.id,
    ...(inReplyTo !== undefined ? { inReplyTo } : {}),
    role: m.role,
    text: m.text ?? '',
    ...(m.quickReplies?.length ? { quickReplies: m.quickReplies } : {}),
    ...(m.card ? { card: m.card } : {}),
    createdAt: m.createdAt,
  };
}

export function toDeviceError(code: DeviceErrorCode, message: string, inReplyTo?: string): DeviceError {
  return { error: { code, message }, ...(inReplyTo !== undefined ? { inReplyTo } : {}) };
}

function readableMessageId(json: unknown): string | undefined {
  const id =
    typeof json === 'object' && json !== null ? (json as { messageId?: unknown }).messageId : undefined;
  return typeof id === 'string' && id.length >= 1 && id.length <= 128 ? id : undefined;
}

function readableLocale(json: unknown): string | undefined {
  const l = typeof json === 'object' && json !== null ? (json as { locale?: unknown }).locale : undefined;
  return typeof l === 'string' && /^[a-z]{2}(-[A-Z][A-Za-z]{1,3})?$/.test(l) ? l : undefined;
}

export interface MqttChannelOptions {
  /** Replaces the broker connection: tests that drive `receive` directly capture what is published. */
  publish?: Publish;
  /** A device's follower closes after this long without a message either way (default 30 min). */
  followerIdleMs?: number;
  /** How often idle followers are looked for (default 1 min). */
  sweepMs?: number;
  /** Devices followed at once; past it the longest-idle one is closed early (default 10,000). */
  maxDevices?: number;
  /** How long `start()` waits for the first connection before going on (default 5 s). */
  connectWaitMs?: number;
  /** Reconnect backoff: the first wait, doubled per failed attempt up to the last (default 1 s … 30 s). */
  reconnectMs?: { min: number; max: number };
}

export interface MqttChannel extends HttpModule {
  readonly adapter: MqttAdapter;
  /** Handles one MQTT message from a device; never throws, never crashes on what a device sends. */
  receive(topic: string, payload: Buffer): void;
  /** Resolves once every device message received so far is handled and its replies published. */
  idle(): Promise<void>;
  /** Devices with an open follower (bounded by the idle timeout and `maxDevices`). */
  readonly followedDevices: number;
  /** The broker connected to, once started (`mqtt://host:port`, no credentials). */
  readonly brokerUrl: string | undefined;
}

/** One device's state: its turn queue (messages in order) and the follower of its conversation. */
interface DeviceSession {
  key: string;
  shopId: string;
  deviceId: string;
  userId?: string;
  follower: ConversationFollower;
  queue: Promise<void>;
  queued: number;
  lastActive: number;
  /** The latest device message seen in the conversation: what bot and agent messages answer. */
  inReplyTo?: string;
  /** Stored user message id → the device's messageId, until the stored message comes by. */
  pending: Map<string, string>;
  lastDelivered?: { conversationId: string; messageId: string };
}

/**
 * The MQTT channel module: connects to `MQTT_URL` (or starts the embedded broker), subscribes to
 * `kefu/+/devices/+/in`, runs one turn per device message (in order per device) and publishes
 * every bot and agent message of the device's conversation on its out topic.
 */
export function createMqttChannel(platform: Platform, options: MqttChannelOptions = {}): MqttChannel {
  const { log, store, turns, config } = platform;
  const idleMs = options.followerIdleMs ?? 30 * 60 * 1000;
  const maxDevices = options.maxDevices ?? 10_000;
  const backoff = options.reconnectMs ?? { min: RECONNECT_MIN_MS, max: RECONNECT_MAX_MS };
  const limiter = platform.rateLimiter('mqtt', config.rateLimit.burst, config.rateLimit.perSecond);
  const sessions = new Map<string, DeviceSession>();
  const dormant = new Map<string, { conversationId: string; messageId: string }>();
  let client: MqttClient | undefined;
  let broker: EmbeddedBroker | undefined;
  let brokerUrl: string | undefined;
  let closing = false;
  let sweep: NodeJS.Timeout | undefined;

  const clientPublish: Publish = async (topic, payload) => {
    if (!client) throw new Error('mqtt: not connected to a broker');
    await withTimeout(client.publishAsync(topic, payload, { qos: 1 }), PUBLISH_TIMEOUT_MS);
  };
  const publisher = (): Publish | undefined => options.publish ?? (client ? clientPublish : undefined);
  const adapter = new MqttAdapter(store, publisher);

  function session(shopId: string, deviceId: string): DeviceSession {
    const key = `${shopId}/${deviceId}`;
    const s = sessions.get(key);
    if (s) {
      // Most recently active last: the first entries are the ones to close when there are too many.
      sessions.delete(key);
      sessions.set(key, s);
      return s;
    }
    if (sessions.size >= maxDevices) evictOldestIdle();
    const created: DeviceSession = {
      key,
      shopId,
      deviceId,
      queue: Promise.resolve(),
      queued: 0,
      lastActive: Date.now(),
      pending: new Map(),
      follower: new ConversationFollower(platform, shopId, (m) => onStored(created, m)),
    };
    sessions.set(key, created);
    return created;
  }

  async function onStored(s: DeviceSession, m: StoredMessage): Promise<void> {
    s.lastActive = Date.now();
    const conversationId = s.follower.conversationId;
    if (conversationId) s.lastDelivered = { conversationId, messageId: m.id };
    if (m.role === 'user') {
      // Not echoed: it only tells what the next bot and agent messages answer.
      s.inReplyTo = s.pending.get(m.id);
      s.pending.delete(m.id);
      return;
    }
    await adapter.deliver({ shopId: s.shopId, deviceId: s.deviceId, inReplyTo: s.inReplyTo }, [m]);
  }

  function closeSession(s: DeviceSession): void {
    s.follower.close();
    sessions.delete(s.key);
    if (s.lastDelivered) {
      dormant.delete(s.key);
      dormant.set(s.key, s.lastDelivered);
      if (dormant.size > MAX_DORMANT_DEVICES) {
        const oldest = dormant.keys().next().value;
        if (oldest !== undefined) dormant.delete(oldest);
      }
    }
  }

  function evictOldestIdle(): void {
    for (const s of sessions.values()) {
      if (s.queued === 0) return closeSession(s);
    }
  }

  function sweepIdle(): void {
    const now = Date.now();
    for (const s of [...sessions.values()])
      if (s.queued === 0 && now - s.lastActive > idleMs) closeSession(s);
  }

  /** Follows the user's open conversation before a turn, so its messages arrive live and in order. */
  async function ensureFollowing(s: DeviceSession, userId: string): Promise<void> {
    if (s.userId === userId && s.follower.conversationId) return;
    s.userId = userId;
    const open = await store.conversations.findOpen(s.shopId, userId);
    if (!open) return;
    const missed = dormant.get(s.key);
    dormant.delete(s.key);
    if (missed && missed.conversationId === open.id) {
      // Followed before and closed for idling: what an agent said since then is delivered now.
      await s.follower.follow(open.id, { after: missed.messageId });
    } else {
      // Only what comes next: the last message read back marks where delivery starts.
      await s.follower.follow(open.id, { recent: 1 }, () => undefined);
    }
  }

  async function runTurn(
    s: DeviceSession,
    inbound: { message: InboundMessage; ref: DeviceRef },
  ): Promise<void> {
    const deviceMessageId = inbound.ref.inReplyTo;
    const userMessageId = newId('m');
    if (deviceMessageId !== undefined) {
      s.pending.set(userMessageId, deviceMessageId);
      if (s.pending.size > MAX_PENDING_PER_DEVICE) {
        const oldest = s.pending.keys().next().value;
        if (oldest !== undefined) s.pending.delete(oldest);
      }
    }
    await ensureFollowing(s, inbound.message.userId);
    const result = await turns.handle({ ...inbound.message, messageId: userMessageId });
    if (result.userMessageId !== userMessageId) {
      // A redelivery of a message already handled (QoS 1): its replies went out the first time.
      s.pending.delete(userMessageId);
      return;
    }
    if (s.follower.conversationId !== result.conversationId) {
      // The turn opened a new conversation: everything in it is this turn's.
      await s.follower.follow(result.conversationId, { recent: 50 });
    }
    await s.follower.catchUp();
    await s.follower.idle();
  }

  async function handle(s: DeviceSession, raw: MqttInbound): Promise<void> {
    let ref: DeviceRef | undefined = { shopId: s.shopId, deviceId: s.deviceId };
    let locale: string | undefined;
    try {
      const inbound = await adapter.parse(raw);
      if (inbound.kind !== 'message') return;
      ref = inbound.ref;
      locale = inbound.message.locale;
      await runTurn(s, inbound);
    } catch (err) {
      if (err instanceof DeviceInputError) {
        if (!err.ref) return;
        log.debug({ shopId: s.shopId, deviceId: s.deviceId, code: err.deviceCode }, 'mqtt: message refused');
        await answerError(err.ref, err.deviceCode, err.message);
        return;
      }
      if (isKefuError(err) && err.code === 'OVERLOADED') {
        // Back-pressure: the device hears "wait and try again", as for its own rate limit.
        log.warn({ shopId: s.shopId, deviceId: s.deviceId }, 'mqtt: turn refused, instance overloaded');
        await answerError(ref, 'RATE_LIMITED', adapter.t(locale, 'error.RATE_LIMITED'));
        return;
      }
      log.error({ err, shopId: s.shopId, deviceId: s.deviceId }, 'mqtt: message handling failed');
      await answerError(ref, 'INTERNAL', adapter.t(locale, 'error.INTERNAL'));
    }
  }

  async function answerError(ref: DeviceRef, code: DeviceErrorCode, message: string): Promise<void> {
    try {
      await adapter.deliverError(ref, code, message);
    } catch (err) {
      log.warn({ err, shopId: ref.shopId, deviceId: ref.deviceId }, 'mqtt: could not publish an error');
    }
  }

  function receive(topic: string, payload: Buffer): void {
    try {
      if (closing) return;
      const where = parseInboundTopic(topic);
      if (!where) return log.debug('mqtt: message on a topic that is not a device topic, dropped');
      const ref: DeviceRef = { shopId: where.shopId, deviceId: where.deviceId };
      const s = session(where.shopId, where.deviceId);
      s.lastActive = Date.now();
      if (s.queued >= MAX_QUEUED_PER_DEVICE) {
        void answerError(ref, 'RATE_LIMITED', adapter.t(undefined, 'error.RATE_LIMITED'));
        return;
      }
      // Asked now (the limit is shared through Redis), answered in the device's queue: order kept.
      const allowed = limiter.take(`${where.shopId}:device:${where.deviceId}`);
      s.queued++;
      s.queue = s.queue
        .then(async () => {
          if (await allowed) return handle(s, { topic, payload });
          await answerError(ref, 'RATE_LIMITED', adapter.t(undefined, 'error.RATE_LIMITED'));
        })
        .catch((err: unknown) => log.error({ err }, 'mqtt: device queue failed'))
        .finally(() => {
          s.queued--;
          s.lastActive = Date.now();
        });
    } catch (err) {
      // Nothing a device sends may take the process down.
      log.error({ err }, 'mqtt: could not take a message');
    }
  }

  function connect(url: string, auth?: { username: string; password: string }): MqttClient {
    const where = safeBrokerName(url);
    const opts: IClientOptions = {
      clientId: `kefu-${randomBytes(6).toString('hex')}`,
      clean: true,
      protocolVersion: 4,
      connectTimeout: 10_000,
      reconnectPeriod: backoff.min,
      // Subscribed on every connect below, so a reconnect to a broker that lost the session works too.
      resubscribe: false,
      ...(auth ?? {}),
    };
    const c = mqtt.connect(url, opts);
    c.on('connect', () => {
      c.options.reconnectPeriod = backoff.min;
      log.info({ broker: where }, 'mqtt: connected');
      c.subscribe(INBOUND_TOPIC_FILTER, { qos: 1 }, (err) => {
        if (err) log.error({ err, broker: where }, 'mqtt: could not subscribe');
        else log.info({ topic: INBOUND_TOPIC_FILTER }, 'mqtt: subscribed');
      });
    });
    c.on('reconnect', () => {
      const next = Math.min(backoff.max, (c.options.reconnectPeriod ?? backoff.min) * 2);
      log.info({ broker: where, nextRetryMs: next }, 'mqtt: reconnecting');
      c.options.reconnectPeriod = next;
    });
    c.on('offline', () => log.warn({ broker: where }, 'mqtt: offline'));
    c.on('close', () => log.debug({ broker: where }, 'mqtt: connection closed'));
    c.on('error', (err) =>
      log.warn({ err: { message: err.message }, broker: where }, 'mqtt: connection error'),
    );
    c.on('message', (topic, payload) => receive(topic, payload));
    return c;
  }

  return {
    id: 'mqtt',
    adapter,
    receive,
    get followedDevices() {
      return sessions.size;
    },
    get brokerUrl() {
      return brokerUrl;
    },
    async idle() {
      // Turns queued while waiting are waited for too.
      for (let i = 0; i < 100; i++) {
        const pending = [...sessions.values()].filter((s) => s.queued > 0);
        if (pending.length === 0) break;
        await Promise.all(pending.map((s) => s.queue));
      }
      await Promise.all([...sessions.values()].map((s) => s.follower.idle()));
    },
    mount() {
      // No HTTP routes: devices speak MQTT (see docs/channels/mqtt.md for the topics and payloads).
    },
    async start() {
      sweep = setInterval(sweepIdle, options.sweepMs ?? 60_000);
      sweep.unref();
      if (options.publish) return;
      let url = config.mqttUrl;
      let auth: { username: string; password: string } | undefined;
      if (!url && config.mqttEmbedded) {
        broker = await startEmbeddedBroker({ host: config.mqttHost, port: config.mqttPort, log });
        url = broker.url;
        auth = broker.credentials;
      }
      if (!url) {
        log.debug('mqtt: no MQTT_URL and no embedded broker: the MQTT channel is off');
        return;
      }
      brokerUrl = safeBrokerName(url);
      const c = connect(url, auth);
      client = c;
      // Startup waits a little for the broker, then goes on: the client keeps retrying with backoff.
      const connected = await withTimeout(
        new Promise<boolean>((resolve) => {
          if (c.connected) return resolve(true);
          c.once('connect', () => resolve(true));
        }),
        options.connectWaitMs ?? CONNECT_WAIT_MS,
      ).catch(() => false);
      if (!connected)
        log.warn({ broker: brokerUrl }, 'mqtt: broker not reachable yet; retrying in the background');
    },
    async close() {
      closing = true;
      if (sweep) clearInterval(sweep);
      await withTimeout(Promise.all([...sessions.values()].map((s) => s.queue)), CLOSE_TIMEOUT_MS).catch(
        () => undefined,
      );
      for (const s of [...sessions.values()]) closeSession(s);
      const c = client;
      client = undefined;
      if (c) await withTimeout(c.endAsync(), CLOSE_TIMEOUT_MS).catch(() => c.end(true));
      await broker?.close();
      broker = undefined;
    },
  };
}

/** `mqtt://host:port` without credentials, for logs. */
function safeBrokerName(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return 'mqtt broker';
  }
}

import fc from 'fast-check';
import { userHashFor } from '../../bot/identity';
import type { StoredMessage } from '../../bot/store/conversations.repo';
import type { Shop } from '../../bot/store/shops.repo';
import { type TestServer, startTestServer } from '../../tests/support/server';
import { DeviceInputError, MqttAdapter, createMqttChannel, toDeviceReply } from './mqtt.adapter';
import { deviceErrorSchema, parseInboundTopic } from './protocol';
import { countStored, malformedPayload as malformed } from './test-device';

const SECRET = 'golden-identity-secret';
const shop: Shop = { id: 'demo', name: 'Demo', locales: ['zh-CN', 'en-US'], identitySecret: SECRET };
const fakeStore = { shops: { findById: async (id: string) => (id === 'demo' ? shop : undefined) } };
const adapter = new MqttAdapter(fakeStore, () => undefined);
const raw = (body: unknown, topic = 'kefu/demo/devices/lamp-7/in') => ({
  topic,
  payload: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
});

describe('golden: device payload → InboundMessage', () => {
  test('an anonymous device question', async () => {
    expect(await adapter.parse(raw({ messageId: 'q-1', text: '你们一般几天发货', locale: 'zh-CN' }))).toEqual(
      {
        kind: 'message',
        ref: { shopId: 'demo', deviceId: 'lamp-7', inReplyTo: 'q-1' },
        message: {
          shopId: 'demo',
          channel: 'mqtt',
          userId: 'device:lamp-7',
          verified: false,
          text: '你们一般几天发货',
          locale: 'zh-CN',
          dedupKey: 'mqtt:demo:lamp-7:q-1',
        },
      },
    );
  });

  test('a verified device choosing a quick reply (payload, no text); unknown keys are dropped', async () => {
    const body = {
      messageId: 'a'.repeat(128),
      payload: 'order:1001',
      userId: 'c-1001',
      userHash: userHashFor(SECRET, 'c-1001'),
      firmware: '1.2.3',
    };
    expect(await adapter.parse(raw(body, 'kefu/demo/devices/Speaker_01-b/in'))).toEqual({
      kind: 'message',
      ref: { shopId: 'demo', deviceId: 'Speaker_01-b', inReplyTo: 'a'.repeat(128) },
      message: {
        shopId: 'demo',
        channel: 'mqtt',
        userId: 'c-1001',
        verified: true,
        payload: 'order:1001',
        dedupKey: `mqtt:demo:Speaker_01-b:${'a'.repeat(128)}`,
      },
    });
  });

  test.each([
    ['not json', '{"messageId":', 'INVALID_JSON', undefined],
    ['no messageId', { text: 'hi' }, 'INVALID_PAYLOAD', undefined],
    ['messageId too long', { messageId: 'x'.repeat(129), text: 'hi' }, 'INVALID_PAYLOAD', undefined],
    ['bad locale', { messageId: 'm', text: 'hi', locale: 'chinese' }, 'INVALID_PAYLOAD', 'm'],
    ['userId without userHash', { messageId: 'm', text: 'hi', userId: 'c-1001' }, 'INVALID_PAYLOAD', 'm'],
    ['blank text', { messageId: 'm', text: '  ' }, 'EMPTY_MESSAGE', 'm'],
    ['text too long', { messageId: 'm', text: '长'.repeat(2001) }, 'TEXT_TOO_LONG', 'm'],
    [
      'wrong userHash',
      { messageId: 'm', text: 'hi', userId: 'c-1001', userHash: userHashFor('x', 'c-1001') },
      'INVALID_USER_HASH',
      'm',
    ],
    ['an array', '[1,2]', 'INVALID_PAYLOAD', undefined],
    ['too large', 'x'.repeat(20_000), 'PAYLOAD_TOO_LARGE', undefined],
  ])('%s → %s', async (_name, body, code, inReplyTo) => {
    const err = await adapter.parse(raw(body)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DeviceInputError);
    const e = err as DeviceInputError;
    expect([e.deviceCode, e.ref?.inReplyTo]).toEqual([code, inReplyTo]);
    expect(e.message.length).toBeGreaterThan(0);
  });

  test('an unknown shop, and topics that are not device topics', async () => {
    await expect(
      adapter.parse(raw({ messageId: 'm', text: 'hi' }, 'kefu/other/devices/d/in')),
    ).rejects.toMatchObject({
      deviceCode: 'SHOP_NOT_FOUND',
    });
    for (const topic of [
      'kefu/demo/devices/d/out',
      'kefu/de mo/devices/d/in',
      'kefu/demo/devices/d/in/x',
      'kefu//devices/d/in',
    ]) {
      expect(parseInboundTopic(topic)).toBeUndefined();
    }
    await expect(
      adapter.parse(raw({ messageId: 'm', text: 'hi' }, 'kefu/demo/x/d/in')),
    ).rejects.toMatchObject({
      ref: undefined,
    });
  });

  test('error messages follow the device locale', async () => {
    const zh = await adapter
      .parse(raw({ messageId: 'm', text: ' ', locale: 'zh-CN' }))
      .catch((e: DeviceInputError) => e);
    const en = await adapter
      .parse(raw({ messageId: 'm', text: ' ', locale: 'en-US' }))
      .catch((e: DeviceInputError) => e);
    expect((zh as DeviceInputError).message).toBe('消息需要包含文字（text）或选项（payload）。');
    expect((en as DeviceInputError).message).toBe('The message needs text or a payload.');
  });
});

describe('golden: stored messages → out topic JSON', () => {
  const createdAt = '2026-12-01T08:00:00.000Z';
  test.each<[string, StoredMessage, string | undefined, string | undefined]>([
    [
      'a bot answer',
      { id: 'm_1', role: 'bot', text: '付款后48小时内发货。', createdAt, latencyMs: 12 },
      'q-1',
      '{"messageId":"m_1","inReplyTo":"q-1","role":"bot","text":"付款后48小时内发货。","createdAt":"2026-12-01T08:00:00.000Z"}',
    ],
    [
      'a bot answer with quick replies',
      {
        id: 'm_2',
        role: 'bot',
        text: 'Anything else?',
        quickReplies: [{ title: 'Track order', payload: 'intent:order.query' }],
        createdAt,
      },
      'q-2',
      '{"messageId":"m_2","inReplyTo":"q-2","role":"bot","text":"Anything else?","quickReplies":[{"title":"Track order","payload":"intent:order.query"}],"createdAt":"2026-12-01T08:00:00.000Z"}',
    ],
    [
      'an order card',
      {
        id: 'm_3',
        role: 'bot',
        text: '订单 1002',
        card: {
          title: '订单 1002',
          fields: [{ label: '状态', value: '已发货' }],
          buttons: [{ title: '查物流', payload: 'track:1002' }],
        },
        createdAt,
      },
      'o-1',
      '{"messageId":"m_3","inReplyTo":"o-1","role":"bot","text":"订单 1002","card":{"title":"订单 1002","fields":[{"label":"状态","value":"已发货"}],"buttons":[{"title":"查物流","payload":"track:1002"}]},"createdAt":"2026-12-01T08:00:00.000Z"}',
    ],
    [
      'an agent reply with no known device message',
      { id: 'm_4', role: 'agent', text: '您好，我是客服小王', createdAt },
      undefined,
      '{"messageId":"m_4","role":"agent","text":"您好，我是客服小王","createdAt":"2026-12-01T08:00:00.000Z"}',
    ],
    [
      'the device’s own message (not echoed)',
      { id: 'm_5', role: 'user', text: '你好', createdAt, nlu: {} },
      'q-5',
      undefined,
    ],
  ])('%s', (_name, message, inReplyTo, json) => {
    const reply = toDeviceReply(message, inReplyTo);
    expect(reply === undefined ? undefined : JSON.stringify(reply)).toBe(json);
  });

  test('deliver publishes each bot or agent message on the device out topic, QoS 1 JSON', async () => {
    const sent: [string, string][] = [];
    const a = new MqttAdapter(fakeStore, () => async (topic, payload) => {
      sent.push([topic, payload]);
    });
    await a.deliver({ shopId: 'demo', deviceId: 'lamp-7', inReplyTo: 'q-1' }, [
      { id: 'm_u', role: 'user', text: '你好', createdAt },
      { id: 'm_b', role: 'bot', text: '您好', createdAt },
    ]);
    expect(sent).toEqual([
      [
        'kefu/demo/devices/lamp-7/out',
        '{"messageId":"m_b","inReplyTo":"q-1","role":"bot","text":"您好","createdAt":"2026-12-01T08:00:00.000Z"}',
      ],
    ]);
  });
});

// ---- fuzz ----------------------------------------------------------------------------------

describe('fuzz', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ demo: true });
  });
  afterAll(() => srv.stop());

  test('10,000 malformed payloads through the parser: only DeviceInputError, never a result', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(malformed, async (payload) => {
        n++;
        const err = await adapter.parse(raw(payload)).then(
          () => new Error('a malformed payload was accepted'),
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(DeviceInputError);
        expect(
          deviceErrorSchema.shape.error.shape.code.safeParse((err as DeviceInputError).deviceCode).success,
        ).toBe(true);
      }),
      { numRuns: 10_000 },
    );
    expect(n).toBeGreaterThanOrEqual(10_000);
  });

  test('10,000 malformed payloads through the handler: one error each on the out topic, nothing stored', async () => {
    const published: [string, string][] = [];
    const channel = createMqttChannel(srv.platform, {
      publish: async (topic, payload) => {
        published.push([topic, payload]);
      },
    });
    const before = await countStored(srv.platform);
    const samples = fc.sample(fc.tuple(fc.nat({ max: 999 }), malformed), { numRuns: 10_000 });
    // Now and then a topic that is not a device topic: dropped without an answer.
    const badTopics = [
      'kefu/demo/devices/+/in',
      'kefu/demo/devices/a b/in',
      'kefu/demo/in',
      `kefu/${'s'.repeat(65)}/devices/d/in`,
    ];
    let expected = 0;
    for (const [i, [device, payload]] of samples.entries()) {
      const topic =
        i % 500 === 0 ? badTopics[(i / 500) % badTopics.length]! : `kefu/demo/devices/fz-${device}/in`;
      if (parseInboundTopic(topic)) expected++;
      channel.receive(topic, Buffer.from(payload, 'latin1'));
      if (i % 200 === 199) await channel.idle();
    }
    await channel.idle();
    expect(samples).toHaveLength(10_000);
    expect(published).toHaveLength(expected);
    for (const [topic, payload] of published) {
      expect(topic).toMatch(/^kefu\/demo\/devices\/fz-\d+\/out$/);
      const body = deviceErrorSchema.parse(JSON.parse(payload));
      expect(body.error.code).not.toBe('INTERNAL');
    }
    expect(await countStored(srv.platform)).toEqual(before);
    await channel.close?.();
  });

  test('a device over its rate limit is told so, and no turn runs', async () => {
    const published: string[] = [];
    const channel = createMqttChannel(srv.platform, {
      publish: async (_topic, payload) => {
        published.push(payload);
      },
    });
    const burst = srv.platform.config.rateLimit.burst;
    for (let i = 0; i < burst + 5; i++) channel.receive('kefu/demo/devices/rl-1/in', Buffer.from('{}'));
    await channel.idle();
    const codes = published.map((p) => deviceErrorSchema.parse(JSON.parse(p)).error.code);
    expect(codes.filter((c) => c === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(5);
    expect(codes.filter((c) => c === 'INVALID_PAYLOAD').length).toBeLessThanOrEqual(burst);
    await channel.close?.();
  });

  test('without MQTT_URL or the embedded flag the channel starts as a no-op', async () => {
    const off = {
      ...srv.platform,
      config: { ...srv.platform.config, mqttUrl: undefined, mqttEmbedded: false },
    };
    const channel = createMqttChannel(off);
    await channel.start?.();
    expect(channel.brokerUrl).toBeUndefined();
    await channel.close?.();
  });
});

import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import mqtt from 'mqtt';
import { userHashFor } from '../../bot/identity';
import { describeWith, serviceUrl } from '../../tests/support/services';
import { type TestServer, startTestServer } from '../../tests/support/server';
import { KEFU_BROKER_USER, startEmbeddedBroker } from './broker';
import { createMqttChannel } from './mqtt.adapter';
import { deviceErrorSchema, deviceReplySchema, outboundTopic } from './protocol';
import {
  type TestDevice,
  connectDevice,
  countStored,
  freePort,
  malformedPayload,
  sleep,
} from './test-device';

/**
 * Round trips through a real broker: the embedded aedes one, and Mosquitto at MQTT_URL. A device
 * publishes on kefu/demo/devices/<id>/in and reads kefu/demo/devices/<id>/out.
 */
const runId = randomBytes(4).toString('hex');
let seq = 0;
const newDeviceId = () => `t-${runId}-${++seq}`;

function roundTrips(
  name: string,
  setup: () => Promise<{ srv: TestServer; url: string }>,
  opts: { embedded?: boolean } = {},
) {
  describe(name, () => {
    let srv: TestServer;
    let url: string;
    const devices: TestDevice[] = [];
    const device = async () => {
      const d = await connectDevice(url, 'demo', newDeviceId());
      devices.push(d);
      return d;
    };

    beforeAll(async () => {
      ({ srv, url } = await setup());
    });
    afterAll(async () => {
      await Promise.all(devices.map((d) => d.close()));
      await srv?.stop();
    });

    test('a question gets an answer on the out topic, in the documented shape', async () => {
      const d = await device();
      await d.send({ messageId: 'q-1', text: '你们一般几天发货' });
      const [reply] = await d.waitFor(1);
      const parsed = deviceReplySchema.parse(reply);
      expect(parsed).toMatchObject({ inReplyTo: 'q-1', role: 'bot' });
      expect(parsed.text).toMatch(/48 ?小时/);
      expect(Object.keys(reply!).sort()).toEqual(
        [
          'createdAt',
          'inReplyTo',
          'messageId',
          'role',
          'text',
          ...(parsed.quickReplies ? ['quickReplies'] : []),
        ]
          .concat(parsed.card ? ['card'] : [])
          .sort(),
      );
      // The stored reply is the one that was published, and the device's own message is not echoed.
      const conversation = await srv.platform.store.conversations.findOpen('demo', `device:${d.deviceId}`);
      expect(conversation).toMatchObject({ channel: 'mqtt', verified: false });
      const stored = await srv.platform.store.conversations.listMessages('demo', conversation!.id);
      expect(stored.map((m) => m.role)).toEqual(['user', 'bot']);
      expect(stored[0]).toMatchObject({ role: 'user', text: '你们一般几天发货' });
      expect(stored[1]!.id).toBe(parsed.messageId);
      await sleep(200);
      expect(d.received).toHaveLength(1);
    });

    test('a verified device asks for its orders and gets them; an anonymous one is asked to log in', async () => {
      const shop = await srv.platform.store.shops.findById('demo');
      const userHash = userHashFor(shop!.identitySecret, 'c-1001');
      const verified = await device();
      await verified.send({ messageId: 'o-1', text: '查一下我的订单', userId: 'c-1001', userHash });
      // An intro, then the customer's recent orders as cards (each with its order id).
      const replies = (await verified.waitFor(2)).map((m) => deviceReplySchema.parse(m));
      expect(replies.every((r) => r.inReplyTo === 'o-1' && r.role === 'bot')).toBe(true);
      const cards = replies.filter((r) => r.card);
      expect(cards.length).toBeGreaterThan(0);
      expect(JSON.stringify(cards)).toMatch(/100[1-5]/);
      const conversation = await srv.platform.store.conversations.findOpen('demo', 'c-1001');
      expect(conversation).toMatchObject({ verified: true, channel: 'mqtt' });

      const anonymous = await device();
      await anonymous.send({ messageId: 'o-1', text: '查一下我的订单' });
      const [answer] = await anonymous.waitFor(1);
      expect(JSON.stringify(answer)).not.toMatch(/1001|1002|1003/);
      expect(deviceReplySchema.parse(answer).text).toMatch(/登录/);
    });

    test('a QoS 1 redelivery (the same messageId twice) runs one turn and sends one reply', async () => {
      const d = await device();
      await d.send({ messageId: 'dup-1', text: '你好' });
      await d.send({ messageId: 'dup-1', text: '你好' });
      await d.waitFor(1);
      await sleep(500);
      expect(d.received).toHaveLength(1);
      const conversation = await srv.platform.store.conversations.findOpen('demo', `device:${d.deviceId}`);
      const stored = await srv.platform.store.conversations.listMessages('demo', conversation!.id);
      expect(stored.filter((m) => m.role === 'user')).toHaveLength(1);
      expect(stored.filter((m) => m.role === 'bot')).toHaveLength(1);
      // A new messageId is a new turn, answered in order after the first.
      await d.send({ messageId: 'dup-2', text: '谢谢' });
      const [, second] = await d.waitFor(2);
      expect(second).toMatchObject({ inReplyTo: 'dup-2', role: 'bot' });
    });

    test('messages of one device sent back to back are answered in order', async () => {
      const d = await device();
      const questions = ['你好', '你们一般几天发货', '谢谢'];
      await Promise.all(questions.map((text, i) => d.send({ messageId: `seq-${i}`, text })));
      await d.waitFor(questions.length);
      for (let i = 0; i < 100 && new Set(d.received.map((m) => m.inReplyTo)).size < 3; i++) await sleep(50);
      const order = d.received.map((m) => m.inReplyTo);
      expect([...new Set(order)]).toEqual(['seq-0', 'seq-1', 'seq-2']);
      expect(order).toEqual([...order].sort()); // never an earlier question's reply after a later one's
      const conversation = await srv.platform.store.conversations.findOpen('demo', `device:${d.deviceId}`);
      const stored = await srv.platform.store.conversations.listMessages('demo', conversation!.id);
      expect(stored.filter((m) => m.role === 'user').map((m) => m.text)).toEqual(questions);
    });

    test('invalid payloads are answered with an error on the out topic and nothing is stored', async () => {
      const d = await device();
      const before = await countStored(srv.platform);
      await d.sendRaw('not json');
      await d.send({ text: 'no messageId' });
      await d.send({ messageId: 'e-3' });
      await d.send({ messageId: 'e-4', text: 'x'.repeat(2001) });
      await d.send({ messageId: 'e-5', text: '我的订单', userId: 'c-1001', userHash: 'ab'.repeat(32) });
      const errors = (await d.waitFor(5)).map((m) => deviceErrorSchema.parse(m));
      expect(errors.map((e) => [e.error.code, e.inReplyTo])).toEqual([
        ['INVALID_JSON', undefined],
        ['INVALID_PAYLOAD', undefined],
        ['EMPTY_MESSAGE', 'e-3'],
        ['TEXT_TOO_LONG', 'e-4'],
        ['INVALID_USER_HASH', 'e-5'],
      ]);
      for (const e of errors) expect(e.error.message).not.toMatch(/\bat\s.+\(/);
      expect(await countStored(srv.platform)).toEqual(before);
    });

    test('an unknown shop is answered with SHOP_NOT_FOUND', async () => {
      const deviceId = newDeviceId();
      const d = await connectDevice(url, 'no-such-shop', deviceId);
      devices.push(d);
      await d.send({ messageId: 'u-1', text: '你好' });
      const [answer] = await d.waitFor(1);
      expect(deviceErrorSchema.parse(answer)).toMatchObject({
        error: { code: 'SHOP_NOT_FOUND' },
        inReplyTo: 'u-1',
      });
    });

    test('an agent who takes over after a handoff reaches the device too, once', async () => {
      const d = await device();
      await d.send({ messageId: 'h-1', text: '转人工' });
      const first = await d.waitFor(1);
      const conversation = await srv.platform.store.conversations.findOpen('demo', `device:${d.deviceId}`);
      const handoff = await srv.platform.store.handoffs.findOpen('demo', conversation!.id);
      expect(handoff).toBeDefined();
      const count = first.length;
      // The agent's words are stored and published on the conversation's topic, as the workspace does.
      await sleep(300);
      const now = d.received.length;
      const message = {
        id: `m_agent_${runId}_${seq}`,
        role: 'agent' as const,
        text: '您好，我是客服小王',
        createdAt: new Date().toISOString(),
      };
      await srv.platform.store.conversations.appendMessages('demo', conversation!.id, [message]);
      await srv.platform.events.publish(`conversation:demo:${conversation!.id}`, {
        type: 'message',
        conversationId: conversation!.id,
        message,
      });
      const all = await d.waitFor(now + 1);
      const { id, ...rest } = message;
      expect(all.at(-1)).toEqual({ messageId: id, ...rest, inReplyTo: 'h-1' });
      await sleep(300);
      expect(d.received.filter((m) => m.messageId === message.id)).toHaveLength(1);
      expect(count).toBeGreaterThan(0);
    });
    test('300 malformed payloads through the broker: an error each, nothing stored, still answering', async () => {
      const before = await countStored(srv.platform);
      const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
      const errors: string[] = [];
      client.on('message', (topic, payload) => {
        if (topic.includes(`/fuzz-${runId}-`)) errors.push(payload.toString('utf8'));
      });
      await client.subscribeAsync('kefu/demo/devices/+/out', { qos: 1 });
      const samples = fc.sample(malformedPayload, { numRuns: 300 });
      await Promise.all(
        samples.map((p, i) =>
          client.publishAsync(`kefu/demo/devices/fuzz-${runId}-${i % 30}/in`, Buffer.from(p, 'latin1'), {
            qos: 1,
          }),
        ),
      );
      for (let i = 0; i < 200 && errors.length < samples.length; i++) await sleep(50);
      expect(errors).toHaveLength(samples.length);
      for (const e of errors) expect(deviceErrorSchema.parse(JSON.parse(e)).error.code).not.toBe('INTERNAL');
      expect(await countStored(srv.platform)).toEqual(before);
      await client.endAsync();
      // The channel still answers.
      const d = await device();
      await d.send({ messageId: 'after-fuzz', text: '你好' });
      expect((await d.waitFor(1))[0]).toMatchObject({ role: 'bot', inReplyTo: 'after-fuzz' });
    });

    if (opts.embedded) {
      test('only Kefu may publish on out topics: a device cannot forge replies', async () => {
        const victim = await device();
        const forger = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
        // The broker refuses the publish (and drops the forger's connection).
        forger.publish(outboundTopic('demo', victim.deviceId), JSON.stringify({ text: 'forged' }), {
          qos: 0,
        });
        await victim.send({ messageId: 'v-1', text: '你好' });
        const [first] = await victim.waitFor(1);
        expect(first).toMatchObject({ role: 'bot', inReplyTo: 'v-1' });
        await sleep(200);
        expect(victim.received.some((m) => m.text === 'forged')).toBe(false);
        forger.end(true);
        // Kefu's own user name with a wrong password is refused.
        await expect(
          mqtt.connectAsync(url, {
            username: 'kefu',
            password: 'wrong',
            reconnectPeriod: 0,
            connectTimeout: 3000,
          }),
        ).rejects.toThrow();
      });

      test('starts while the broker is down, connects when it comes up, reconnects after it restarts', async () => {
        const port = await freePort();
        const password = randomBytes(8).toString('hex');
        const brokerUrl = `mqtt://${KEFU_BROKER_USER}:${password}@127.0.0.1:${port}`;
        const config = { ...srv.platform.config, mqttUrl: brokerUrl, mqttEmbedded: false };
        const channel = createMqttChannel(
          { ...srv.platform, config },
          { connectWaitMs: 300, reconnectMs: { min: 100, max: 400 } },
        );
        await channel.start?.();
        expect(channel.brokerUrl).toBe(`mqtt://127.0.0.1:${port}`); // no credentials
        const ask = async (messageId: string) => {
          const d = await connectDevice(`mqtt://127.0.0.1:${port}`, 'demo', newDeviceId());
          try {
            await d.send({ messageId, text: '你好' });
            return (await d.waitFor(1, 10_000))[0];
          } finally {
            await d.close();
          }
        };
        const log = srv.platform.log;
        let broker = await startEmbeddedBroker({ host: '127.0.0.1', port, log, password });
        try {
          await sleep(1000);
          expect(await ask('r-1')).toMatchObject({ role: 'bot', inReplyTo: 'r-1' });
          await broker.close();
          await sleep(500);
          broker = await startEmbeddedBroker({ host: '127.0.0.1', port, log, password });
          await sleep(1000);
          expect(await ask('r-2')).toMatchObject({ role: 'bot', inReplyTo: 'r-2' });
        } finally {
          await channel.close?.();
          await broker.close();
        }
      });

      test('an idle device follower is closed; a message wakes it and agent words said meanwhile arrive', async () => {
        const channel = createMqttChannel(srv.platform, {
          publish: async (topic, payload) => {
            out.push([topic, JSON.parse(payload) as Record<string, unknown>]);
          },
          followerIdleMs: 50,
          sweepMs: 20,
        });
        const out: [string, Record<string, unknown>][] = [];
        await channel.start?.();
        try {
          const deviceId = newDeviceId();
          channel.receive(
            `kefu/demo/devices/${deviceId}/in`,
            Buffer.from(JSON.stringify({ messageId: 'i-1', text: '你好' })),
          );
          await channel.idle();
          expect(out).toHaveLength(1);
          expect(channel.followedDevices).toBe(1);
          await sleep(200);
          expect(channel.followedDevices).toBe(0);
          // An agent says something while nobody follows the device's conversation.
          const conversation = await srv.platform.store.conversations.findOpen('demo', `device:${deviceId}`);
          const agentMessage = {
            id: `m_idle_${runId}`,
            role: 'agent' as const,
            text: '还在吗？',
            createdAt: new Date().toISOString(),
          };
          await srv.platform.store.conversations.appendMessages('demo', conversation!.id, [agentMessage]);
          channel.receive(
            `kefu/demo/devices/${deviceId}/in`,
            Buffer.from(JSON.stringify({ messageId: 'i-2', text: '谢谢' })),
          );
          await channel.idle();
          expect(out.map(([, m]) => [m.role, m.inReplyTo ?? null])).toEqual([
            ['bot', 'i-1'],
            ['agent', null],
            ['bot', 'i-2'],
          ]);
          expect(out[1]![1]).toMatchObject({ messageId: agentMessage.id, text: '还在吗？' });
        } finally {
          await channel.close?.();
        }
      });
    }
  });
}

roundTrips(
  'MQTT channel through the embedded broker',
  async () => {
    const port = await freePort();
    const srv = await startTestServer({ demo: true, mqttEmbeddedPort: port });
    return { srv, url: `mqtt://127.0.0.1:${port}` };
  },
  { embedded: true },
);

describeWith('MQTT_URL')('Mosquitto', () => {
  roundTrips('MQTT channel through Mosquitto (MQTT_URL)', async () => {
    const url = serviceUrl('MQTT_URL')!;
    const srv = await startTestServer({ demo: true, mqttUrl: url });
    return { srv, url };
  });
});

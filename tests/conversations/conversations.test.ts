import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { userHashFor } from '../../bot/identity';
import type { CommerceBackend } from '../../commerce/commerce';
import { DemoCommerceBackend } from '../../commerce/demo.backend';
import { HttpCommerceBackend } from '../../commerce/http.backend';
import { type FakeShopFault, startFakeShopServer } from '../../commerce/testing/fake-shop-server';
import { api } from '../support/http';
import { type TestServer, startTestServer } from '../support/server';
import { type Convo, matches, readConvos } from './convo';

// Every skills/*/conversations/*.convo.yaml, run through the REST channel of one real server.
const root = path.resolve(__dirname, '../..');
const files = readdirSync(path.join(root, 'skills'))
  .map((skill) => path.join('skills', skill, 'conversations'))
  .filter((dir) => existsSync(path.join(root, dir)))
  .flatMap((dir) =>
    readdirSync(path.join(root, dir))
      .filter((f) => f.endsWith('.convo.yaml'))
      .map((f) => path.join(dir, f)),
  )
  .sort();
const SECRET = 'convo-test-shop-secret';

let srv: TestServer;
let identitySecret: string;
/** The backend the current conversation's shop talks to (fresh for each conversation). */
let frozenNow: Date | undefined;
let current: { backend: CommerceBackend; demo: DemoCommerceBackend; close?: () => Promise<void> } | undefined;

beforeAll(async () => {
  srv = await startTestServer({
    demo: true,
    rateLimitBurst: 100_000,
    clock: () => frozenNow ?? new Date(),
    commerce: () => current?.backend,
  });
  identitySecret = (await srv.platform.store.shops.findById('demo'))!.identitySecret;
});
afterAll(async () => {
  await current?.close?.();
  await srv.stop();
});

async function useBackend(convo: Convo) {
  await current?.close?.();
  frozenNow = convo.now ? new Date(convo.now) : undefined;
  const demo = new DemoCommerceBackend(frozenNow ? { clock: () => frozenNow! } : {});
  if (convo.backend === 'demo') {
    current = { backend: demo, demo };
    return;
  }
  const fake = await startFakeShopServer({ secret: SECRET, backend: demo });
  for (const f of convo.faults) {
    const { route, times, ...fault } = f;
    fake.inject(fault as FakeShopFault, { times, route });
  }
  current = {
    demo,
    backend: new HttpCommerceBackend({
      baseUrl: fake.url,
      secret: SECRET,
      timeoutMs: 300,
      retries: 1,
      backoffMs: 10,
    }),
    close: () => fake.close(),
  };
}

describe.each(files.map((f) => [f]))('%s', (file: string) => {
  test.each(readConvos(path.join(root, file)).map((c) => [c.name, c] as const))(
    '%s',
    async (_name, convo) => {
      await useBackend(convo);
      // Each conversation starts fresh, even for the same demo customer.
      await srv.platform.store.conversations.endOpen('demo', convo.user.id);
      const userHash = convo.user.verified ? userHashFor(identitySecret, convo.user.id) : undefined;
      let lastQuickReplies: { title: string; payload: string }[] = [];
      const quickRepliesByTurn: { title: string; payload: string }[][] = [];
      const transcript: string[] = [];
      for (const [i, turn] of convo.turns.entries()) {
        let text: string | undefined = turn.user;
        let payload = turn.payload;
        if (turn.click !== undefined) {
          const offered = turn.from ? (quickRepliesByTurn[turn.from - 1] ?? []) : lastQuickReplies;
          const qr =
            typeof turn.click === 'number'
              ? offered[turn.click - 1]
              : offered.find((q) => q.title === turn.click || matches(String(turn.click), q.title));
          if (!qr)
            throw new Error(`turn ${i + 1}: no quick reply "${turn.click}" in ${JSON.stringify(offered)}`);
          text = qr.title;
          payload = qr.payload;
        }
        const res = await api(srv.url, 'POST', '/api/v1/shops/demo/messages', {
          body: { userId: convo.user.id, userHash, text, payload, locale: convo.locale },
        });
        const where = `turn ${i + 1} (${text ?? payload})\n${transcript.join('\n')}`;
        if (res.status !== 200) throw new Error(`${where}\n→ HTTP ${res.status} ${JSON.stringify(res.body)}`);
        const replies: {
          text: string;
          quickReplies?: { title: string; payload: string }[];
          card?: unknown;
        }[] = res.body.replies;
        const said = replies.map((r) => r.text).join('\n');
        transcript.push(
          `user> ${text ?? payload}`,
          ...replies.map(
            (r) =>
              `bot> ${r.text}${r.quickReplies ? ` [${r.quickReplies.map((q) => q.title).join(' | ')}]` : ''}`,
          ),
        );
        lastQuickReplies = replies.flatMap((r) => r.quickReplies ?? []);
        quickRepliesByTurn.push(lastQuickReplies);
        if (turn.bot && !matches(turn.bot, said))
          throw new Error(`${where}\nexpected bot ${turn.bot}, got:\n${said}`);
        if (turn.not && matches(turn.not, said))
          throw new Error(`${where}\nbot must not say ${turn.not}, got:\n${said}`);
        const e = turn.expect;
        if (e?.intent !== undefined)
          expect({ where, intent: res.body.nlu?.intent ?? null }).toEqual({ where, intent: e.intent });
        if (e?.handoff) expect({ where, handoff: res.body.handoff }).toEqual({ where, handoff: e.handoff });
        if (e?.quickReplies !== undefined)
          expect({ where, n: lastQuickReplies.length }).toEqual({ where, n: e.quickReplies });
        for (const [type, value] of Object.entries(e?.entities ?? {})) {
          const found = (res.body.nlu?.entities ?? [])
            .filter((x: { type: string }) => x.type === type)
            .map((x: { value: string }) => x.value);
          expect({ where, type, found: found.includes(value) }).toEqual({ where, type, found: true });
        }
      }
      const demo = current!.demo;
      for (const [orderId, n] of Object.entries(convo.after?.refunds ?? {}))
        expect(demo.refundsFor(orderId)).toHaveLength(n);
      if (convo.after?.recharges !== undefined) expect(demo.recharges()).toHaveLength(convo.after.recharges);
      for (const [customerId, n] of Object.entries(convo.after?.bookings ?? {}))
        expect(demo.bookingsFor(customerId)).toHaveLength(n);
    },
  );
});

test('there are conversation files to run', () => {
  expect(files.length).toBeGreaterThan(0);
});

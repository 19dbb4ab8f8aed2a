import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { startKefuProcess } from '../support/process';
import { tempDir } from '../support/server';
import { createTestDatabase } from '../support/services';
import { percentile } from '../load/load';

// npm run chaos:ws -- [--n 10000] [--chatters 100] [--rate 10] [--seconds 20] [--postgres] [--talk-all]
// Starts Kefu as its own process (embedded default, or with --postgres on DATABASE_URL + REDIS_URL),
// opens N widget sockets to the demo shop from a second process (each process may hold 20,000 file
// descriptors), keeps them all open, and while they are open sends messages on `chatters` of them
// at `rate` messages a second for `seconds`, timing each reply (send → the bot's message frame).
// Prints the server's memory (process_resident_memory_bytes) before and with every socket open,
// and the reply latency p50/p99. --talk-all: every socket first says one thing, so each one follows a
// conversation (its history, and with Redis a subscription) while the memory is read.

export interface SocketLoadOptions {
  /** ws://host:port */
  base: string;
  shopId: string;
  n: number;
  chatters: number;
  /** Messages a second, over all chatters. */
  rate: number;
  seconds: number;
  /** Every socket sends one message before the measuring starts (so each follows a conversation). */
  talkAll?: boolean;
  /** Called once every socket is open (or failed), before the chatting starts. */
  onOpen?: (r: { open: number; failed: number; openMs: number }) => Promise<void>;
}

export interface SocketLoadResult {
  open: number;
  failed: number;
  openMs: number;
  sent: number;
  answered: number;
  refused: number;
  latencies: number[];
  /** Sockets that closed while they should have stayed open. */
  dropped: number;
  /** With talkAll: the first messages, one per socket. */
  talked?: { sent: number; refused: number };
}

const QUESTIONS = ['多久发货', '你好', 'do you have a size guide', '可以开发票吗'];
const CONNECTING_AT_ONCE = 200;

/** Opens the sockets, holds them, chats on a sample of them; the client side of the run. */
export async function socketLoad(o: SocketLoadOptions): Promise<SocketLoadResult> {
  const sockets: WebSocket[] = [];
  let failed = 0;
  let dropped = 0;
  let holding = true;
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONNECTING_AT_ONCE, o.n) }, async () => {
      for (let i = next++; i < o.n; i = next++) {
        const visitorId = `v_${randomBytes(9).toString('base64url')}`;
        const ws = new WebSocket(`${o.base}/channels/web/${o.shopId}/ws?visitorId=${visitorId}`);
        const ok = await new Promise<boolean>((resolve) => {
          ws.once('message', () => resolve(true)); // the history frame: the server accepted it
          ws.once('error', () => resolve(false));
          ws.once('close', () => resolve(false));
        });
        ws.on('error', () => undefined);
        if (!ok) {
          failed++;
          ws.terminate();
          continue;
        }
        ws.once('close', () => {
          if (holding) dropped++;
        });
        sockets.push(ws);
      }
    }),
  );
  const openMs = performance.now() - started;

  let sent = 0;
  let refused = 0;
  /** One message and its turn: the time to the first bot message, or undefined when refused. */
  const exchange = (ws: WebSocket, id: string) =>
    new Promise<number | undefined>((resolve) => {
      const t0 = performance.now();
      let latency: number | undefined;
      const done = () => {
        ws.off('message', onMessage);
        clearTimeout(timer);
        resolve(latency);
      };
      // The latency is to the first bot message; the turn is over at its ack.
      const onMessage = (data: Buffer) => {
        const f = JSON.parse(String(data)) as { type: string; id?: string; message?: { role: string } };
        if (f.type === 'message' && f.message?.role === 'bot' && latency === undefined) {
          latency = performance.now() - t0;
        } else if (f.type === 'ack' && f.id === id) done();
        else if (f.type === 'error' && f.id === id) {
          refused++;
          done();
        }
      };
      const timer = setTimeout(done, 30_000);
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ type: 'message', id, text: QUESTIONS[sent % QUESTIONS.length] }));
      sent++;
    });

  let talked: { sent: number; refused: number } | undefined;
  if (o.talkAll) {
    // Every socket says one thing first: each then follows a conversation (history, a subscription).
    let k = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        for (let i = k++; i < sockets.length; i = k++) await exchange(sockets[i]!, `hello-${i}`);
      }),
    );
    talked = { sent, refused };
    sent = 0;
    refused = 0;
  }
  await o.onOpen?.({ open: sockets.length, failed, openMs });

  // Chat on a sample, spread over the sockets; each chatter has one message in flight at most.
  const chatters = sockets.slice(0, Math.min(o.chatters, sockets.length)).map((ws, i) => ({
    ws,
    busy: false,
    i,
  }));
  const latencies: number[] = [];
  const ask = async (c: (typeof chatters)[number]) => {
    c.busy = true;
    const latency = await exchange(c.ws, `c${c.i}-${sent}`);
    if (latency !== undefined) latencies.push(latency);
    c.busy = false;
  };
  const pending: Promise<void>[] = [];
  const chatStarted = performance.now();
  let due = 0;
  let turn = 0;
  while (chatters.length && performance.now() - chatStarted < o.seconds * 1000) {
    due += o.rate / 20;
    for (; due >= 1; due--) {
      // Round robin over the chatters, skipping any still waiting for its answer.
      for (let k = 0; k < chatters.length; k++) {
        const c = chatters[turn++ % chatters.length]!;
        if (c.busy) continue;
        pending.push(ask(c));
        break;
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await Promise.all(pending);
  holding = false;
  for (const ws of sockets) ws.terminate();
  return {
    open: sockets.length,
    failed,
    openMs,
    sent,
    answered: latencies.length,
    refused,
    latencies,
    dropped,
    talked,
  };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return Number(line?.split(' ').at(-1) ?? NaN);
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

/** The server side of the run: Kefu in its own process, the sockets from a child process. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '10000' },
      chatters: { type: 'string', default: '100' },
      rate: { type: 'string', default: '10' },
      seconds: { type: 'string', default: '20' },
      postgres: { type: 'boolean', default: false },
      'talk-all': { type: 'boolean', default: false },
      client: { type: 'string' },
    },
  });
  const opts = {
    n: Number(values.n),
    chatters: Number(values.chatters),
    rate: Number(values.rate),
    seconds: Number(values.seconds),
  };

  if (values.client) {
    // The client process: report as JSON lines on stdout.
    const result = await socketLoad({
      base: values.client,
      shopId: 'demo',
      ...opts,
      talkAll: values['talk-all'],
      onOpen: async (r) => {
        process.stdout.write(JSON.stringify({ type: 'open', ...r }) + '\n');
        // The parent reads the server's memory with every socket open, then says go.
        await new Promise((resolve) => process.stdin.once('data', resolve));
      },
    });
    process.stdout.write(JSON.stringify({ type: 'done', ...result }) + '\n');
    process.exit(0);
  }

  const dir = tempDir('kefu-ws-');
  const databaseUrl = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  if (values.postgres && (!databaseUrl || !redisUrl))
    throw new Error('--postgres needs DATABASE_URL and REDIS_URL');
  const db = values.postgres ? await createTestDatabase(databaseUrl!) : undefined;
  const kefu = await startKefuProcess(
    {
      KEFU_DEMO: '1',
      KEFU_DATA_DIR: dir.dir,
      ...(db ? { DATABASE_URL: db.url, REDIS_URL: redisUrl! } : {}),
    },
    180_000,
  );
  try {
    // Warm-up (the shop's model, JIT), so the figures are of a running instance, not a cold one.
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${kefu.url}/api/v1/shops/demo/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: `warm-${i}`, text: QUESTIONS[i % QUESTIONS.length] }),
      });
      await res.arrayBuffer();
    }
    const rssIdle = await metric(kefu.url, 'kefu_process_resident_memory_bytes');
    const root = path.resolve(__dirname, '../..');
    const child = spawn(
      path.join(root, 'node_modules/.bin/tsx'),
      [
        'tests/chaos/websockets.ts',
        `--client=${kefu.url.replace(/^http/, 'ws')}`,
        ...Object.entries(opts).map(([k, v]) => `--${k}=${v}`),
        ...(values['talk-all'] ? ['--talk-all'] : []),
      ],
      { cwd: root, stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } },
    );
    let buffered = '';
    let opened: { open: number; failed: number; openMs: number } | undefined;
    let rssOpen = NaN;
    let socketsOpen = NaN;
    const done = await new Promise<SocketLoadResult>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        buffered += d.toString();
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          const m = JSON.parse(line) as { type: string } & SocketLoadResult;
          if (m.type === 'open') {
            opened = m;
            void (async () => {
              rssOpen = await metric(kefu.url, 'kefu_process_resident_memory_bytes');
              socketsOpen = await metric(kefu.url, 'kefu_web_sockets');
              child.stdin.write('go\n');
            })().catch(reject);
          } else if (m.type === 'done') resolve(m);
        }
      });
      child.once('exit', (code) => code !== 0 && reject(new Error(`the client exited with ${code}`)));
    });
    const rssAfter = await metric(kefu.url, 'kefu_process_resident_memory_bytes');
    const sorted = [...done.latencies].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    const rows: [string, string][] = [
      ['storage', db ? 'PostgreSQL + Redis' : 'embedded (PGlite, in-process pub/sub)'],
      [
        'sockets asked for',
        `${opts.n}${values['talk-all'] ? ', each with a conversation (one message each first)' : ', new visitors (no conversation yet)'}`,
      ],
      [
        'sockets open (client)',
        `${opened?.open} (${opened?.failed} failed) in ${((opened?.openMs ?? 0) / 1000).toFixed(1)} s`,
      ],
      ['sockets open (server, kefu_web_sockets)', String(socketsOpen)],
      ['server RSS before', mb(rssIdle)],
      [
        'server RSS with all open',
        `${mb(rssOpen)} (${((rssOpen - rssIdle) / Math.max(1, opened?.open ?? 1) / 1024).toFixed(1)} KB per socket)`,
      ],
      ['server RSS after chatting', mb(rssAfter)],
      ...(done.talked
        ? ([
            [
              'first messages (one per socket) sent / refused',
              `${done.talked.sent} / ${done.talked.refused}`,
            ],
          ] as [string, string][])
        : []),
      [
        'messages sent / answered / refused',
        `${done.sent} / ${done.answered} / ${done.refused} on ${opts.chatters} sockets at ${opts.rate}/s`,
      ],
      ['reply latency p50 / p99', `${p50.toFixed(1)} ms / ${p99.toFixed(1)} ms`],
      ['sockets dropped while held', String(done.dropped)],
    ];
    console.log(['| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n'));
    const ok = rssOpen < 2 * 2 ** 30 && p99 <= 200 && done.dropped === 0 && opened?.open === opts.n;
    console.log(ok ? 'targets met (RSS < 2 GB, p99 ≤ 200 ms, every socket open)' : 'TARGETS MISSED');
    process.exitCode = ok ? 0 : 1;
  } finally {
    await kefu.stop();
    await db?.drop();
    dir.remove();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

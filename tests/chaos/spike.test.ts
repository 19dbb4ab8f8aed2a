import type { IncomingMessage, ServerResponse } from 'node:http';
import { Worker } from 'node:worker_threads';
import { type TestServer, startTestServer, tempDir } from '../support/server';

/**
 * A 双11 spike on one instance (the embedded default) with small admission limits: a steady rate,
 * then 10× and 100× within 10 s. Every answered turn must be the answer the same question gets
 * when quiet, the overflow must be 429 OVERLOADED with Retry-After (never a 5xx), the queue and
 * memory must stay bounded, and within 10 s after the spike a message is answered normally.
 */

const LIMITS = { maxConcurrent: 4, maxQueued: 16 };
const STEADY_PER_S = 5;
const PHASE_MS = 3000;
const QUESTIONS = ['多久发货', '你好', 'do you have a size guide'];

let srv: TestServer;
const data = tempDir('kefu-spike-');

beforeAll(async () => {
  srv = await startTestServer({
    demo: true,
    // A data directory, as `npm start` has: PGlite then runs on a worker thread of its own.
    dataDir: data.dir,
    env: {
      KEFU_MAX_CONCURRENT_TURNS: String(LIMITS.maxConcurrent),
      KEFU_MAX_QUEUED_TURNS: String(LIMITS.maxQueued),
      KEFU_MAX_TURN_WAIT_MS: '3000',
    },
  });
}, 60_000);

afterAll(async () => {
  await srv?.stop();
  data.remove();
});

interface Outcome {
  phase: string;
  question: string;
  status: number;
  code?: string;
  retryAfter?: string | null;
  reply?: string;
}

let sent = 0;
/** One message from a new customer (each has a conversation of its own: no per-customer limit applies). */
async function ask(phase: string, question: string): Promise<Outcome> {
  const res = await fetch(`${srv.url}/api/v1/shops/demo/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId: `spike-${sent++}`, text: question }),
  });
  const body = (await res.json()) as { replies?: { text: string }[]; error?: { code: string } };
  return {
    phase,
    question,
    status: res.status,
    code: body.error?.code,
    retryAfter: res.headers.get('retry-after'),
    reply: body.replies?.map((r) => r.text).join('\n'),
  };
}

/**
 * The load, from a worker thread: a generator on the server's own event loop could never send
 * faster than the server answers. Open loop (as real customers do): each phase sends at its rate
 * without waiting for answers, over keep-alive connections opened beforehand (so the requests reach
 * the server when due, not when the client gets round to connecting); every outcome comes back at the end.
 */
const GENERATOR = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { url, phases, questions } = workerData;
const target = new URL(url);
// Idle sockets close before the server's 5 s keep-alive timeout would reset them under a request.
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, timeout: 3000 });
function request(method, path, body) {
  return new Promise((resolve) => {
    const req = http.request(
      { agent, host: target.hostname, port: target.port, path, method, headers: { 'content-type': 'application/json' } },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (data += chunk));
        res.on('end', () => resolve({ status: res.statusCode, retryAfter: res.headers['retry-after'], data }));
      },
    );
    req.on('error', (err) => resolve({ status: 0, data: String(err.code) }));
    req.end(body);
  });
}
let n = 0;
async function ask(phase, question) {
  const r = await request('POST', target.pathname, JSON.stringify({ userId: 'spike-load-' + n++, text: question }));
  let body = {};
  try { body = JSON.parse(r.data); } catch {}
  return {
    phase, question, status: r.status, code: body.error ? body.error.code : r.status ? undefined : r.data,
    retryAfter: r.retryAfter, reply: body.replies && body.replies.map((x) => x.text).join('\\n'),
  };
}
(async () => {
  const pending = [];
  for (const p of phases) {
    await Promise.all(Array.from({ length: Math.min(200, p.perSecond) }, () => request('GET', '/healthz')));
    const started = performance.now();
    let due = 0;
    while (performance.now() - started < p.ms) {
      due += p.perSecond / 50;
      for (; due >= 1; due--) pending.push(ask(p.name, questions[pending.length % questions.length]));
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  parentPort.postMessage({ type: 'sent', at: Date.now() });
  parentPort.postMessage({ type: 'done', outcomes: await Promise.all(pending) });
})();
`;

function spike(phases: { name: string; perSecond: number; ms: number }[]) {
  const worker = new Worker(GENERATOR, {
    eval: true,
    workerData: { url: `${srv.url}/api/v1/shops/demo/messages`, phases, questions: QUESTIONS },
  });
  let ended!: (at: number) => void;
  const sent = new Promise<number>((resolve) => (ended = resolve));
  const outcomes = new Promise<Outcome[]>((resolve, reject) => {
    worker.on('message', (m: { type: string; at?: number; outcomes?: Outcome[] }) => {
      if (m.type === 'sent') ended(m.at!);
      else resolve(m.outcomes!);
    });
    worker.on('error', reject);
  }).finally(() => worker.terminate());
  return { sent, outcomes };
}

async function admissionGauges(): Promise<{ running: number; queued: number }> {
  const read = async (name: string) =>
    (await srv.platform.metrics.registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;
  return { running: await read('kefu_turns_running'), queued: await read('kefu_turns_queued') };
}

test('steady → 10× → 100×: answers stay right, the overflow gets 429 + Retry-After, it recovers', async () => {
  // What each question gets when the instance is quiet.
  const quiet = new Map<string, string>();
  for (const q of QUESTIONS) {
    const o = await ask('quiet', q);
    expect(o.status).toBe(200);
    quiet.set(q, o.reply!);
  }

  // Watch what the server holds: messages between arrival and answer, and the process's memory.
  let holding = 0;
  let maxHolding = 0;
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') return;
    maxHolding = Math.max(maxHolding, ++holding);
    res.once('close', () => holding--);
  };
  srv.server.server.on('request', onRequest);
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const watch = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 25);

  let outcomes: Outcome[];
  let recovered: Outcome | undefined;
  let recoveredAfterMs: number;
  let probesRefused = 0;
  try {
    const load = spike([
      { name: 'steady', perSecond: STEADY_PER_S, ms: PHASE_MS },
      { name: '10x', perSecond: STEADY_PER_S * 10, ms: PHASE_MS },
      { name: '100x', perSecond: STEADY_PER_S * 100, ms: PHASE_MS },
    ]);
    // Recovery: within 10 s of the spike's end a new customer is answered normally.
    const spikeEnded = await load.sent;
    while (!recovered && Date.now() - spikeEnded < 10_000) {
      const o = await ask('after', '多久发货');
      if (o.status === 200) recovered = o;
      else {
        expect(o).toMatchObject({ status: 429, code: 'OVERLOADED' });
        probesRefused++;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    recoveredAfterMs = Date.now() - spikeEnded;
    outcomes = await load.outcomes;
  } finally {
    clearInterval(watch);
    srv.server.server.off('request', onRequest);
  }

  const count = (p: string, s: number) => outcomes.filter((o) => o.phase === p && o.status === s).length;
  const summary = ['steady', '10x', '100x'].map(
    (p) => `${p}: ${count(p, 200)} × 200, ${count(p, 429)} × 429`,
  );
  console.log(
    `${summary.join('; ')}; at most ${maxHolding} messages held at once; ` +
      `RSS ${(rssBefore / 2 ** 20).toFixed(0)} → peak ${(rssPeak / 2 ** 20).toFixed(0)} MB; ` +
      `recovered ${recoveredAfterMs} ms after the spike`,
  );

  // Only answers and refusals: no 5xx, no other error.
  expect(outcomes.filter((o) => o.status !== 200 && o.status !== 429)).toEqual([]);
  // Every answer is the quiet answer.
  for (const o of outcomes.filter((x) => x.status === 200)) expect(o.reply).toBe(quiet.get(o.question));
  // Every refusal is OVERLOADED with an honest, bounded Retry-After.
  for (const o of outcomes.filter((x) => x.status === 429)) {
    expect(o.code).toBe('OVERLOADED');
    expect(Number(o.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(o.retryAfter)).toBeLessThanOrEqual(30);
    expect(Number.isInteger(Number(o.retryAfter))).toBe(true);
  }
  // The steady rate is served in full; the 100× spike overflows and is shed, not queued without end.
  expect(count('steady', 200)).toBe(outcomes.filter((o) => o.phase === 'steady').length);
  expect(count('100x', 429)).toBeGreaterThan(0);
  expect(count('100x', 200)).toBeGreaterThan(0);
  // Bounded: the running and waiting turns, plus a few being read or refused at that moment.
  expect(maxHolding).toBeLessThanOrEqual(LIMITS.maxConcurrent + LIMITS.maxQueued + 16);
  const rejected = await srv.platform.metrics.registry.getSingleMetric('kefu_turns_rejected_total')!.get();
  expect(rejected.values.reduce((n, v) => n + v.value, 0)).toBe(
    outcomes.filter((o) => o.status === 429).length + probesRefused,
  );
  // Memory: a bounded queue sheds load instead of holding it (loose: this process is also the client).
  expect(rssPeak - rssBefore).toBeLessThan(512 * 2 ** 20);

  expect(recovered?.reply).toBe(quiet.get('多久发货'));
  expect(recoveredAfterMs).toBeLessThan(10_000);
  expect(await admissionGauges()).toEqual({ running: 0, queued: 0 });
  expect(holding).toBe(0);
}, 60_000);

test('one customer over their own rate limit gets 429 RATE_LIMITED with Retry-After', async () => {
  const burst = srv.platform.config.rateLimit.burst;
  const statuses: { status: number; code?: string; retryAfter: string | null }[] = [];
  // One at a time: the instance is not overloaded, only this customer is too fast.
  for (let i = 0; i <= burst; i++) {
    const res = await fetch(`${srv.url}/api/v1/shops/demo/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'too-fast', text: '你好' }),
    });
    const body = (await res.json()) as { error?: { code: string } };
    statuses.push({ status: res.status, code: body.error?.code, retryAfter: res.headers.get('retry-after') });
  }
  const limited = statuses.filter((s) => s.status === 429);
  expect(limited.length).toBeGreaterThan(0);
  for (const s of limited) {
    expect(s.code).toBe('RATE_LIMITED');
    expect(Number(s.retryAfter)).toBeGreaterThanOrEqual(1);
  }
  expect(statuses.filter((s) => s.status === 200).length).toBeGreaterThan(0);
}, 60_000);

test('a refused turn is refused at once and writes nothing', async () => {
  const { turns, store } = srv.platform;
  const n = LIMITS.maxConcurrent + LIMITS.maxQueued + 10;
  // All in one tick: the slots and the queue fill, the rest is refused before any query.
  const attempts = Array.from({ length: n }, (_, i) =>
    turns
      .handle({ shopId: 'demo', channel: 'test', userId: `burst-${i}`, verified: false, text: '多久发货' })
      .then(
        () => 'answered' as const,
        (err: unknown) => err,
      ),
  );
  const outcomes = await Promise.all(attempts);
  const refused = outcomes.flatMap((o, i) => (o === 'answered' ? [] : [{ i, err: o }]));
  expect(outcomes.filter((o) => o === 'answered')).toHaveLength(LIMITS.maxConcurrent + LIMITS.maxQueued);
  expect(refused).toHaveLength(10);
  for (const { i, err } of refused) {
    expect(err).toMatchObject({ code: 'OVERLOADED', status: 429 });
    expect(await store.conversations.findOpen('demo', `burst-${i}`)).toBeUndefined();
  }
  expect(await store.conversations.findOpen('demo', 'burst-0')).toBeDefined();
});

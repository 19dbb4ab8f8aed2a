import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startKefuProcess } from '../support/process';
import { tempDir } from '../support/server';
import { createTestDatabase } from '../support/services';
import { combine, load, summary, table } from './load';

// npm run bench:turn -- --n 2000 --c 20 [--rounds 4] [--database-url postgres://…] [--redis-url redis://…] [--cpu-prof dir]
// Sends N messages over HTTP at concurrency C to the demo shop (each virtual customer has its own
// conversation) and the same load to a bare Express JSON echo endpoint, and prints both, with the
// database queries per turn (kefu_db_queries_total / kefu_turns_total, read from /metrics around the
// load). The two loads alternate in --rounds slices of N / rounds each, so that a change in the
// machine's speed during the run (seen here: ±30 % within minutes) weighs on both sides alike.
// --cpu-prof writes the Kefu process's CPU profile (.cpuprofile) into dir when it stops.

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '2000' },
    c: { type: 'string', default: '20' },
    users: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '4' },
    'database-url': { type: 'string' },
    'redis-url': { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
});
const N = Number(values.n);
const C = Number(values.c);
const USERS = Number(values.users);
const ROUNDS = Math.max(1, Number(values.rounds));

const questions = [
  '你好',
  '多久发货',
  '尺码怎么选',
  '可以开发票吗',
  '有什么优惠活动',
  'hello',
  'When will my order ship?',
  'do you have a size guide',
  '谢谢',
  '你们支持货到付款吗',
];

async function startEcho(): Promise<{ url: string; stop(): void }> {
  const root = path.resolve(__dirname, '../..');
  const child = spawn(path.join(root, 'node_modules/.bin/tsx'), ['tests/load/echo-server.ts'], { cwd: root });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(/listening at (http:\S+)/);
      if (m) resolve({ url: m[1]!, stop: () => child.kill('SIGTERM') });
    });
    child.once('exit', (code) => reject(new Error(`echo server exited ${code}`)));
  });
}

/** The sum of a counter's samples (all label sets) in a Prometheus text exposition. */
function counterTotal(text: string, name: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const m = line.match(/^(\w+)(?:\{[^}]*\})? (\S+)$/);
    if (m?.[1] === name) total += Number(m[2]);
  }
  return total;
}

async function main() {
  const dir = tempDir('kefu-bench-');
  // A database of its own, dropped afterwards, so the bench never touches data it did not create.
  const db = values['database-url'] ? await createTestDatabase(values['database-url']) : undefined;
  const kefu = await startKefuProcess(
    {
      KEFU_DEMO: '1',
      KEFU_DATA_DIR: dir.dir,
      LOG_LEVEL: 'warn',
      ...(db ? { DATABASE_URL: db.url } : {}),
      ...(values['redis-url'] ? { REDIS_URL: values['redis-url'] } : {}),
    },
    120_000,
    values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(values['cpu-prof'])}`] : [],
  );
  const echo = await startEcho();
  try {
    const kefuSend = (i: number) =>
      fetch(`${kefu.url}/api/v1/shops/demo/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: `bench-${i % USERS}`, text: questions[i % questions.length] }),
      });
    const echoSend = (i: number) =>
      fetch(`${echo.url}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: `bench-${i % USERS}`, text: questions[i % questions.length] }),
      });
    // Warm-up: JIT, model cache, connection pools.
    await Promise.all(Array.from({ length: 50 }, (_, i) => kefuSend(i).then((r) => r.arrayBuffer())));
    await Promise.all(Array.from({ length: 50 }, (_, i) => echoSend(i).then((r) => r.arrayBuffer())));

    const counters = async () => {
      const text = await (await fetch(`${kefu.url}/metrics`)).text();
      return {
        queries: counterTotal(text, 'kefu_db_queries_total'),
        turns: counterTotal(text, 'kefu_turns_total'),
        cpuSeconds: counterTotal(text, 'kefu_process_cpu_seconds_total'),
      };
    };
    const kefuRounds = [];
    const echoRounds = [];
    const spent = { queries: 0, turns: 0, cpuSeconds: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const slice = Math.floor(N / ROUNDS) + (round < N % ROUNDS ? 1 : 0);
      const before = await counters();
      kefuRounds.push(await load(slice, C, kefuSend));
      const after = await counters();
      for (const key of ['queries', 'turns', 'cpuSeconds'] as const) spent[key] += after[key] - before[key];
      echoRounds.push(await load(slice, C, echoSend));
    }
    const kefuResult = summary('kefu turn (demo shop)', combine(kefuRounds));
    const echoResult = summary('express JSON echo', combine(echoRounds));
    const storage = values['database-url'] ? 'PostgreSQL' : 'embedded PGlite';
    const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
    console.log(
      `\nbench:turn  N=${N} C=${C} users=${USERS} rounds=${ROUNDS}  storage=${storage}${values['redis-url'] ? ' + Redis' : ''}`,
    );
    console.log(`machine: ${cpu}, ${os.cpus().length} cores, node ${process.version}\n`);
    console.log(table('turns', [kefuResult, echoResult]));
    console.log(`\nkefu / echo throughput ratio: ${(kefuResult.rps / echoResult.rps).toFixed(3)}`);
    const { turns, queries, cpuSeconds } = spent;
    console.log(
      `queries per turn: ${turns > 0 ? (queries / turns).toFixed(2) : 'n/a'} (${queries} queries / ${turns} turns)`,
    );
    // CPU the Kefu process spent per turn (both of its threads on the embedded default).
    if (turns > 0) console.log(`kefu CPU per turn: ${((1000 * cpuSeconds) / turns).toFixed(2)} ms`);
  } finally {
    echo.stop();
    await kefu.stop();
    await db?.drop();
    dir.remove();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

import { createServer } from 'node:net';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { deploymentNamespace } from '../../bot/jobs/namespace';
import { JOB_QUEUE } from '../../bot/jobs/runner';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { type Cluster, clusterServices, startCluster } from '../../scripts/cluster';
import { tempDir } from '../support/server';
import { createTestDatabase } from '../support/services';
import { type LoadResult, type LoadSummary, summary, table } from './load';

// npm run bench:cluster [-- --n 2000 --c 20 --instances 2 --direct]   (needs DATABASE_URL and REDIS_URL)
// The same load, first against one Kefu instance and then against N, both behind the balancer of
// `npm run cluster` (so both pay the same proxy hop) or, with --direct, sent round-robin by this
// client straight to the instances; each on a fresh database of its own. Every
// virtual customer sends its messages one after another (C customers at a time); afterwards every
// reply is checked against the answer the question gets in a fresh conversation, and every
// customer's stored transcript (conversation history API) against the order the messages were sent.

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '2000' },
    c: { type: 'string', default: '20' },
    users: { type: 'string', default: '100' },
    instances: { type: 'string', default: '2' },
    direct: { type: 'boolean', default: false },
  },
});
const N = Number(values.n);
const C = Number(values.c);
const USERS = Math.max(C, Number(values.users));
const INSTANCES = Number(values.instances);
const DIRECT = values.direct;

// Knowledge questions of the demo shop: each has one fixed answer whatever came before it.
const questions = [
  '什么时候发货？',
  '尺码怎么选？',
  '可以开发票吗？',
  '运费怎么算？',
  'When will my order ship?',
  'Can I get an invoice?',
  'How much is shipping?',
];

interface Outcome {
  result: LoadResult;
  wrong: string[];
}

async function freePorts(count: number): Promise<number> {
  // A run of free ports: the balancer's instances listen on base, base + 1 …
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const free = await Promise.all(
      Array.from(
        { length: count },
        (_, i) =>
          new Promise<boolean>((resolve) => {
            const s = createServer();
            s.once('error', () => resolve(false));
            s.listen(base + i, '127.0.0.1', () => s.close(() => resolve(true)));
          }),
      ),
    );
    if (free.every(Boolean)) return base;
  }
  throw new Error('no free ports');
}

function post(url: string, body: unknown): Promise<Response> {
  return fetch(`${url}/api/v1/shops/demo/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** The text of a turn's replies. */
async function said(res: Response): Promise<string> {
  const body = (await res.json()) as { replies?: { text?: string }[] };
  return (body.replies ?? []).map((r) => r.text ?? '').join('\n');
}

async function run(cluster: Cluster, apiKey: string, label: string): Promise<Outcome> {
  const wrong: string[] = [];
  // What each question gets in a fresh conversation.
  const expected = new Map<string, string>();
  for (const [i, q] of questions.entries()) {
    expected.set(q, await said(await post(cluster.url, { userId: `${label}-calibrate-${i}`, text: q })));
  }
  // Warm-up on every instance (JIT, model cache, pools): not measured.
  await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      post(cluster.url, { userId: `${label}-warm-${i}`, text: questions[i % questions.length] }).then((r) =>
        r.arrayBuffer(),
      ),
    ),
  );

  const sent = new Map<number, string[]>();
  const conversations = new Map<number, string>();
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  let sentCount = 0;
  // Client-side round-robin (--direct), or the balancer's.
  const target = () =>
    DIRECT ? cluster.instances[sentCount++ % cluster.instances.length]!.url : cluster.url;
  const started = performance.now();
  // C workers; worker w serves customers w, w + C, w + 2C … in turn, so one customer's messages
  // never overlap: the next is sent when the previous one is answered.
  await Promise.all(
    Array.from({ length: C }, async (_, w) => {
      const mine = Array.from({ length: Math.ceil((USERS - w) / C) }, (_, k) => w + k * C);
      for (let k = 0; next < N; k++) {
        next++;
        const user = mine[k % mine.length]!;
        const texts = sent.get(user) ?? [];
        const text = questions[(user + texts.length) % questions.length]!;
        texts.push(text);
        sent.set(user, texts);
        const t0 = performance.now();
        try {
          const res = await post(target(), {
            userId: `${label}-u${user}`,
            text,
            clientMessageId: `m${texts.length}`,
          });
          if (res.status !== 200) {
            errors++;
            wrong.push(`${label}-u${user} message ${texts.length}: HTTP ${res.status}`);
            await res.arrayBuffer();
          } else {
            const body = (await res.json()) as { conversationId: string; replies: { text?: string }[] };
            const reply = body.replies.map((r) => r.text ?? '').join('\n');
            if (reply !== expected.get(text))
              wrong.push(`${label}-u${user}: "${text}" got "${reply.slice(0, 60)}"`);
            const known = conversations.get(user);
            if (known && known !== body.conversationId)
              wrong.push(`${label}-u${user}: a second conversation`);
            conversations.set(user, body.conversationId);
          }
        } catch (err) {
          errors++;
          wrong.push(`${label}-u${user}: ${(err as Error).message}`);
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const result = { n: N, seconds: (performance.now() - started) / 1000, latencies, errors };

  // The stored transcripts, read back through the API (any instance answers).
  for (const [user, texts] of sent) {
    const conversationId = conversations.get(user);
    if (!conversationId) continue;
    const res = await fetch(`${cluster.url}/api/v1/shops/demo/conversations/${conversationId}/messages`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    const { messages } = (await res.json()) as { messages: { role: string; text: string }[] };
    const stored = messages.filter((m) => m.role === 'user').map((m) => m.text);
    if (JSON.stringify(stored) !== JSON.stringify(texts)) {
      wrong.push(
        `${label}-u${user}: transcript order/count differs (${stored.length} stored, ${texts.length} sent)`,
      );
    }
    messages.forEach((m, i) => {
      if (m.role === 'user' && messages[i + 1]?.role !== 'bot')
        wrong.push(`${label}-u${user}: a message unanswered`);
    });
  }
  return { result, wrong };
}

const notes: string[] = [];

async function measure(instances: number, services: { databaseUrl: string; redisUrl: string }) {
  const db = await createTestDatabase(services.databaseUrl);
  const dir = tempDir('kefu-cluster-bench-');
  let apiKey = '';
  const output: string[] = [];
  const [port, basePort] = [0, await freePorts(instances)];
  let cluster: Cluster | undefined;
  try {
    cluster = await startCluster({
      instances,
      port,
      host: '127.0.0.1',
      basePort,
      env: {
        DATABASE_URL: db.url,
        REDIS_URL: services.redisUrl,
        KEFU_DATA_DIR: dir.dir,
        KEFU_DEMO: '1',
        LOG_LEVEL: 'warn',
        // Measuring throughput, not the per-customer limit.
        KEFU_RATE_LIMIT_BURST: '1000000',
      },
      output: (_n, line) => {
        output.push(line);
        apiKey ||= line.match(/demo shop API key \(shown once\): (\S+)/)?.[1] ?? '';
      },
      // The balancer's notes (proxy errors, instances skipped): shown with the results.
      say: (line) => notes.push(`${instances} instance(s): ${line}`),
    });
    if (!apiKey) throw new Error(`the demo shop's API key was not printed:\n${output.join('\n')}`);
    return await run(cluster, apiKey, `i${instances}`);
  } finally {
    await cluster?.stop();
    // The run's job queue goes with its database (the Redis is left as it was found).
    const connection = new Redis(services.redisUrl, { maxRetriesPerRequest: null });
    const prefix = `kefu:${deploymentNamespace({ databaseUrl: db.url, dataDir: dir.dir })}:bull`;
    await new Queue(JOB_QUEUE, { connection, prefix }).obliterate({ force: true });
    await connection.quit();
    await db.drop();
    dir.remove();
  }
}

async function main() {
  const services = clusterServices(process.env);
  const rows: LoadSummary[] = [];
  const wrong: string[] = [];
  for (const instances of [1, INSTANCES]) {
    const outcome = await measure(instances, services);
    const how = DIRECT ? 'client round-robin' : 'behind the balancer';
    rows.push(summary(`${instances} instance${instances > 1 ? 's' : ''} ${how}`, outcome.result));
    wrong.push(...outcome.wrong);
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `\nbench:cluster  N=${N} per run, C=${C} customers at a time, ${USERS} customers, PostgreSQL + Redis`,
  );
  console.log(`machine: ${cpu}, ${os.cpus().length} cores, node ${process.version}`);
  console.log('(the instances, PostgreSQL, Redis, the balancer and this client share those cores)\n');
  console.log(table('turns', rows));
  console.log(`\n${INSTANCES} / 1 throughput: ${(rows[1]!.rps / rows[0]!.rps).toFixed(2)}×`);
  console.log(
    wrong.length === 0
      ? `correctness: all ${2 * N} turns answered as expected, every transcript in send order`
      : `correctness: ${wrong.length} problem(s):\n  ${wrong.slice(0, 20).join('\n  ')}`,
  );
  const balancerNotes = notes.filter((n) => !/ ready on /.test(n));
  if (balancerNotes.length) console.log(`balancer:\n  ${balancerNotes.slice(0, 20).join('\n  ')}`);
  if (wrong.length) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

import os from 'node:os';
import { parseArgs } from 'node:util';
import { startKefuProcess } from '../support/process';
import { tempDir } from '../support/server';
import { createTestDatabase } from '../support/services';
import { load, percentile, summary, table } from './load';

// npm run bench:handoff -- --n 300 --c 20 --agents 10 [--database-url postgres://…] [--redis-url redis://…]
// What a handoff costs, next to an ordinary turn measured in the same run:
//   1. N knowledge questions from N customers (the baseline turn);
//   2. N "转人工" from N other customers (request, queue position and estimate);
//   3. A agents taking the queue with "take next" all at once until it is empty — every handoff
//      must end up assigned exactly once, and no agent above capacity.

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '300' },
    c: { type: 'string', default: '20' },
    agents: { type: 'string', default: '10' },
    'database-url': { type: 'string' },
    'redis-url': { type: 'string' },
  },
});
const N = Number(values.n);
const C = Number(values.c);
const AGENTS = Number(values.agents);
const ADMIN = 'bench-admin-token-0123456789';

async function main() {
  const dir = tempDir('kefu-bench-');
  const db = values['database-url'] ? await createTestDatabase(values['database-url']) : undefined;
  const kefu = await startKefuProcess({
    KEFU_DEMO: '1',
    KEFU_DATA_DIR: dir.dir,
    KEFU_ADMIN_TOKEN: ADMIN,
    KEFU_RATE_LIMIT_BURST: '100000',
    LOG_LEVEL: 'warn',
    ...(db ? { DATABASE_URL: db.url } : {}),
    ...(values['redis-url'] ? { REDIS_URL: values['redis-url'] } : {}),
  });
  const call = (method: string, path: string, body?: unknown, token = ADMIN) =>
    fetch(`${kefu.url}/api/v1/shops/demo${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  try {
    // People at work around the clock, so every request gets a queue position, not a ticket.
    await call('PUT', '/settings', {
      businessHours: { timezone: 'UTC', days: [0, 1, 2, 3, 4, 5, 6], open: '00:00', close: '00:00' },
    });
    const perAgent = Math.ceil(N / AGENTS) + 5;
    const agents: { id: string; token: string }[] = [];
    for (let a = 0; a < AGENTS; a++) {
      const res = await call('POST', '/agents', {
        name: `agent ${a}`,
        tier: 'L1',
        languages: ['zh-CN'],
        maxConcurrent: perAgent,
      });
      const agent = (await res.json()) as { id: string; token: string };
      await call('PUT', `/agents/${agent.id}/status`, { status: 'online' }, agent.token);
      agents.push(agent);
    }
    const message = (userId: string, text: string) =>
      fetch(`${kefu.url}/api/v1/shops/demo/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId, text }),
      });
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => message(`warm-${i}`, '多久发货').then((r) => r.arrayBuffer())),
    );

    const baseline = summary(
      'turn: a knowledge question',
      await load(N, C, (i) => message(`faq-${i}`, '多久发货')),
    );
    const requests = summary(
      'turn: 转人工 (request + queue position)',
      await load(N, C, (i) => message(`human-${i}`, '转人工')),
    );

    // Every agent takes the next handoff, as fast as it can, until nothing is left for anyone.
    const takeLatencies: number[] = [];
    let taken = 0;
    let errors = 0;
    const started = performance.now();
    await Promise.all(
      agents.map(async (agent) => {
        for (;;) {
          const t0 = performance.now();
          const res = await call('POST', '/handoffs/next', {}, agent.token);
          await res.arrayBuffer();
          takeLatencies.push(performance.now() - t0);
          if (res.status === 204) return;
          if (res.status === 200) taken++;
          else errors++;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const sorted = takeLatencies.sort((a, b) => a - b);
    const takes = {
      name: `take next: ${AGENTS} agents at once`,
      rps: taken / seconds,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      errors,
    };

    const list = (await (await call('GET', '/handoffs?status=assigned&limit=1000')).json()) as {
      handoffs: { id: string; assignedTo: string }[];
    };
    const ids = new Set(list.handoffs.map((h) => h.id));
    const perAgentLoad = new Map<string, number>();
    for (const h of list.handoffs) perAgentLoad.set(h.assignedTo, (perAgentLoad.get(h.assignedTo) ?? 0) + 1);
    const queued = (await (await call('GET', '/handoffs?status=queue&limit=1000')).json()) as {
      handoffs: unknown[];
    };

    const storage = values['database-url'] ? 'PostgreSQL' : 'embedded PGlite';
    console.log(
      `\nbench:handoff  N=${N} C=${C} agents=${AGENTS}  storage=${storage}${values['redis-url'] ? ' + Redis' : ''}`,
    );
    console.log(
      `machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, node ${process.version}\n`,
    );
    console.log(table('ops', [baseline, requests, takes]));
    console.log(
      `\nrequest turn / knowledge turn throughput: ${(requests.rps / baseline.rps).toFixed(2)}` +
        `\nassigned: ${taken} taken, ${ids.size} distinct handoffs assigned, ${queued.handoffs.length} left in the queue, ` +
        `busiest agent ${Math.max(...perAgentLoad.values())} of ${perAgent}`,
    );
    const ok = taken === N && ids.size === N && queued.handoffs.length === 0 && errors === 0;
    console.log(ok ? 'check: every handoff assigned exactly once' : 'CHECK FAILED');
    if (!ok) process.exitCode = 1;
  } finally {
    await kefu.stop();
    await db?.drop();
    dir.remove();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

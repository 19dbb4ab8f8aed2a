import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import pg from 'pg';
import { freePort } from '../../channels/mqtt/test-device';
import { type KefuProcess, startKefuProcess } from '../support/process';
import { type TestServer, startTestServer } from '../support/server';

/**
 * The cross-cutting fuzz run (tests/fuzz): what runs it (the in-process test server, or for
 * `npm run fuzz` a separate Kefu process on PostgreSQL), the row counts that show a refused
 * payload wrote nothing, and the tallies printed at the end.
 */

/** `npm run fuzz` sets KEFU_FUZZ=full: 100,000+ payloads, a random seed (printed). */
export const FULL = process.env.KEFU_FUZZ === 'full';
/** Fixed in CI so a failure reproduces; random in the full run unless FUZZ_SEED pins it. */
export const SEED = process.env.FUZZ_SEED
  ? Number(process.env.FUZZ_SEED)
  : FULL
    ? randomBytes(4).readUInt32BE(0) >>> 1
    : 20261206;

/** Payloads per target: CI's small budget, and the full run's (105,000 in all). */
export const RUNS = {
  rest: FULL ? 60_000 : 800,
  websocket: FULL ? 15_000 : 400,
  twilio: FULL ? 5_000 : 100,
  vxml: FULL ? 5_000 : 100,
  alexa: FULL ? 5_000 : 100,
  aligenie: FULL ? 5_000 : 100,
  agents: FULL ? 5_000 : 100,
  mqtt: FULL ? 5_000 : 300,
} as const;
export type Target = keyof typeof RUNS;

/** Rows a turn or an admin write would add: a refused payload must leave every count as it was. */
export interface RowCounts {
  messages: number;
  conversations: number;
  turns: number;
  knowledge_entries: number;
  shop_settings: number;
}

/** The Kefu under fuzz: where it listens and how to read its row counts. */
export interface Subject {
  kind: string;
  url: string;
  adminToken: string;
  mqttUrl: string;
  counts(): Promise<RowCounts>;
  /** The exit code when the process ended (it never should), else null. */
  exitCode(): number | null;
  /** The in-process server, when there is one (the Alexa run needs its platform). */
  server?: TestServer;
  stop(): Promise<void>;
}

export const ADMIN_TOKEN = 'fuzz-admin-token-0123456789abcdef';

export async function inProcessSubject(): Promise<Subject> {
  const mqttPort = await freePort();
  const srv = await startTestServer({ rateLimitBurst: 1_000_000, mqttEmbeddedPort: mqttPort });
  const { db } = srv.platform.store.database;
  return {
    kind: 'in-process (startTestServer, embedded PGlite)',
    url: srv.url,
    adminToken: srv.adminToken,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    async counts() {
      const result = (await db.execute(sql.raw(COUNT_ROWS))) as unknown as { rows: RowCounts[] };
      return normalise(result.rows[0]!);
    },
    exitCode: () => null,
    server: srv,
    stop: () => srv.stop(),
  };
}
/** One round trip for every count (both engines). */
const COUNT_ROWS = `SELECT (SELECT count(*) FROM messages)::int AS messages,
  (SELECT count(*) FROM conversations)::int AS conversations,
  (SELECT count(*) FROM turns)::int AS turns,
  (SELECT count(*) FROM knowledge_entries)::int AS knowledge_entries,
  (SELECT count(*) FROM shop_settings)::int AS shop_settings`;

function normalise(row: RowCounts): RowCounts {
  return {
    messages: Number(row.messages),
    conversations: Number(row.conversations),
    turns: Number(row.turns),
    knowledge_entries: Number(row.knowledge_entries),
    shop_settings: Number(row.shop_settings),
  };
}

/** `main.ts` as its own process on a fresh PostgreSQL database (counted with plain SQL). */
export async function processSubject(databaseUrl: string): Promise<Subject> {
  const dbName = `kefu_fuzz_${Date.now().toString(36)}_${process.pid}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const url = new URL(databaseUrl);
  url.pathname = `/${dbName}`;
  const mqttPort = await freePort();
  let kefu: KefuProcess;
  try {
    kefu = await startKefuProcess(
      {
        DATABASE_URL: url.toString(),
        KEFU_ADMIN_TOKEN: ADMIN_TOKEN,
        KEFU_DEMO: '0',
        KEFU_RATE_LIMIT_BURST: '1000000',
        KEFU_MQTT_EMBEDDED: '1',
        KEFU_MQTT_PORT: String(mqttPort),
        // Errors only: a 5xx is logged at error level, and the output is kept in memory.
        LOG_LEVEL: 'error',
      },
      120_000,
    );
  } catch (err) {
    await dropDatabase(databaseUrl, dbName);
    throw err;
  }
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return {
    kind: `a separate Kefu process (tests/support/process.ts) on PostgreSQL database ${dbName}`,
    url: kefu.url,
    adminToken: ADMIN_TOKEN,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    async counts() {
      const { rows } = await client.query<RowCounts>(COUNT_ROWS);
      return normalise(rows[0]!);
    },
    exitCode: () => kefu.child.exitCode,
    async stop() {
      await client.end();
      await kefu.stop();
      await dropDatabase(databaseUrl, dbName);
    },
  };
}

async function dropDatabase(databaseUrl: string, dbName: string): Promise<void> {
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
}

/** A shop for the run, set up through the API with every channel configured. */
export interface FuzzShop {
  id: string;
  apiKey: string;
  identitySecret: string;
}

export const CHANNEL_SECRETS = {
  twilioAuthToken: '12345678901234567890abcdefabcdef',
  vxmlToken: 'vxml-shared-secret-0123456789',
  alexaSkillId: 'amzn1.ask.skill.8f0c3a52-7b1d-4e69-9a2f-0c1d2e3f4a5b',
  aliGenieToken: 'fuzz-token',
};

export async function createFuzzShop(subject: Subject, name = 'Fuzz Shop'): Promise<FuzzShop> {
  const res = await fetch(`${subject.url}/api/v1/shops`, {
    method: 'POST',
    headers: { authorization: `Bearer ${subject.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, locales: ['zh-CN', 'en-US'] }),
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`shop: ${res.status} ${await res.text()}`);
  const shop = (await res.json()) as FuzzShop;
  const put = await fetch(`${subject.url}/api/v1/shops/${shop.id}/settings`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${shop.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      channels: {
        twilio: { authToken: CHANNEL_SECRETS.twilioAuthToken },
        vxml: { token: CHANNEL_SECRETS.vxmlToken },
        alexa: { skillId: CHANNEL_SECRETS.alexaSkillId },
        aligenie: { skillId: '10086', privateKey: CHANNEL_SECRETS.aliGenieToken },
      },
    }),
  });
  if (put.status !== 200) throw new Error(`settings: ${put.status} ${await put.text()}`);
  const kb = await fetch(`${subject.url}/api/v1/shops/${shop.id}/knowledge`, {
    method: 'POST',
    headers: { authorization: `Bearer ${shop.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      entries: [
        { id: 'fz-kb-1', locale: 'zh-CN', question: '怎么退货', answer: '七天无理由退货。' },
        { id: 'fz-kb-2', locale: 'en-US', question: 'How do I return?', answer: 'Within 7 days.' },
      ],
    }),
  });
  if (kb.status !== 200) throw new Error(`knowledge: ${kb.status} ${await kb.text()}`);
  return shop;
}

// ---- tallies and checks ----------------------------------------------------------------------

/** Stack frames, file paths, SQL and driver messages: none may reach a client. */
const INTERNALS =
  /\bat [\w$.<>]+ \(|\.(ts|js|mjs|cjs):\d+|\/work\/|\/home\/|node_modules|\b(SELECT|INSERT INTO|UPDATE|DELETE FROM)\b.*\b(FROM|SET|VALUES|WHERE)\b|relation "|syntax error at|violates .* constraint|ZodError|TypeError|ReferenceError|RangeError/;

export interface Finding {
  target: Target;
  what: string;
  request: string;
  detail: string;
}

export class Tally {
  readonly byTarget = new Map<Target, Map<string, number>>();
  readonly findings: Finding[] = [];
  readonly fiveHundreds: Finding[] = [];
  accepted = 0;
  readonly timing = new Map<Target, { totalMs: number; countingMs: number }>();
  /** The slowest payloads of the run, for the report. */
  readonly slowest: { ms: number; target: Target; request: string }[] = [];

  slow(ms: number, target: Target, request: string): void {
    if (this.slowest.length >= 5 && ms <= this.slowest.at(-1)!.ms) return;
    this.slowest.push({ ms, target, request: request.slice(0, 160) });
    this.slowest.sort((a, b) => b.ms - a.ms).splice(5);
  }

  record(target: Target, outcome: string | number): void {
    const h = this.byTarget.get(target) ?? new Map<string, number>();
    h.set(String(outcome), (h.get(String(outcome)) ?? 0) + 1);
    this.byTarget.set(target, h);
  }

  payloads(target: Target): number {
    return [...(this.byTarget.get(target)?.values() ?? [])].reduce((a, b) => a + b, 0);
  }

  /** Tallies an HTTP answer and checks it: a 5xx must be the JSON error shape, no answer carries internals. */
  check(target: Target, request: string, status: number, body: string): void {
    this.record(target, status);
    if (status >= 500) {
      this.fiveHundreds.push({ target, what: `${status}`, request, detail: body.slice(0, 300) });
      if (!isErrorShape(body))
        this.findings.push({
          target,
          what: `${status} not the error shape`,
          request,
          detail: body.slice(0, 300),
        });
    }
    if (status >= 400 && INTERNALS.test(body)) {
      this.findings.push({
        target,
        what: `${status} carries internals`,
        request,
        detail: body.slice(0, 300),
      });
    }
  }

  fail(target: Target, what: string, request: string, detail = ''): void {
    this.findings.push({ target, what, request, detail });
  }

  report(subject: string, seed: number): string {
    const lines = [
      '',
      `fuzz: ${FULL ? 'full run' : 'CI run'} against ${subject}, seed ${seed} (FUZZ_SEED=${seed} repeats it)`,
    ];
    let total = 0;
    for (const [target, h] of this.byTarget) {
      const n = this.payloads(target);
      total += n;
      const hist = [...h.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}:${v}`)
        .join(' ');
      const t = this.timing.get(target);
      const time = t
        ? ` (${(t.totalMs / 1000).toFixed(1)} s, counting rows ${(t.countingMs / 1000).toFixed(1)} s)`
        : '';
      lines.push(`  ${target.padEnd(10)} ${String(n).padStart(7)} payloads${time}  ${hist}`);
    }
    lines.push(
      `  ${'total'.padEnd(10)} ${String(total).padStart(7)} payloads; 5xx: ${this.fiveHundreds.length}; findings: ${this.findings.length}`,
    );
    for (const s of this.slowest) lines.push(`  slow: ${s.ms} ms ${s.target} ${s.request}`);
    for (const f of [...this.fiveHundreds, ...this.findings].slice(0, 20)) {
      lines.push(`  ! ${f.target} ${f.what} ${f.request}: ${f.detail}`);
    }
    return lines.join('\n') + '\n';
  }
}

function isErrorShape(body: string): boolean {
  try {
    const json = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    return typeof json.error?.code === 'string' && typeof json.error.message === 'string';
  } catch {
    return false;
  }
}

/**
 * Runs `send` for `runs` generated values, in chunks (each chunk seeded from `seed`, so a run
 * repeats and big values are not all held at once), and compares the row counts around every
 * payload the server refused: a refusal (4xx, an error frame) must have written nothing.
 */
export async function fuzzRows<T>(opts: {
  target: Target;
  arbitrary: fc.Arbitrary<T>;
  runs: number;
  seed: number;
  counts: () => Promise<RowCounts>;
  tally: Tally;
  /** Sends one payload; returns whether the server refused it, and a short description. */
  send: (value: T, index: number) => Promise<{ refused: boolean; request: string }>;
  /** Wait after an accepted payload before counting again (work that finishes after the answer). */
  settleMs?: number;
}): Promise<void> {
  const chunk = 250;
  const started = Date.now();
  let counting = 0;
  let known = await opts.counts();
  for (let start = 0; start < opts.runs; start += chunk) {
    const values = fc.sample(opts.arbitrary, {
      numRuns: Math.min(chunk, opts.runs - start),
      seed: opts.seed + start,
    });
    for (const [i, value] of values.entries()) {
      const sent = Date.now();
      const { refused, request } = await opts.send(value, start + i);
      opts.tally.slow(Date.now() - sent, opts.target, request);
      if (!refused && opts.settleMs) await new Promise((r) => setTimeout(r, opts.settleMs));
      const t = Date.now();
      const now = await opts.counts();
      counting += Date.now() - t;
      if (refused && !sameCounts(known, now)) {
        opts.tally.fail(
          opts.target,
          'rows written by a refused payload',
          request,
          `${JSON.stringify(known)} → ${JSON.stringify(now)}`,
        );
      }
      if (!refused) opts.tally.accepted++;
      known = now;
    }
  }
  opts.tally.timing.set(opts.target, { totalMs: Date.now() - started, countingMs: counting });
}

export function sameCounts(a: RowCounts, b: RowCounts): boolean {
  return (Object.keys(a) as (keyof RowCounts)[]).every((k) => a[k] === b[k]);
}

/** Describes a request for a finding, without flooding the report with a huge body. */
export function describeRequest(method: string, url: string, kind: string, bytes?: Uint8Array): string {
  const shortUrl = url.length > 160 ? `${url.slice(0, 160)}…` : url;
  const body = bytes
    ? ` [${kind}, ${bytes.length} B: ${Buffer.from(bytes.slice(0, 80)).toString('latin1')}]`
    : '';
  return `${method} ${shortUrl}${body}`;
}

/** Plain fetch that never throws: a network error is an outcome too (reported, then the health check decides). */
export async function send(
  url: string,
  init: RequestInit,
): Promise<{ status: number | 'net-error' | 'client-error'; body: string }> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
    return { status: res.status, body: await res.text() };
  } catch (err) {
    // undici refuses some inputs itself (a header with a newline, a bad URL): not the server's doing.
    if (err instanceof TypeError && !/fetch failed/.test(err.message))
      return { status: 'client-error', body: err.message };
    return { status: 'net-error', body: String((err as Error).cause ?? err) };
  }
}

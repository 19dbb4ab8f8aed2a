import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import type { Socket } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createProxyServer } from 'http-proxy-3';
import { NODE_FLAGS } from '../bot/node-flags';

// npm run cluster [-- --instances 2] [--base-port 3001]
// Starts N Kefu instances (main.ts, one process each, on PORT+1 … PORT+N) on DATABASE_URL and
// REDIS_URL, and a round-robin load balancer on PORT (default 3000) in front of them that proxies
// HTTP and WebSocket upgrades, skips an instance whose /readyz fails or that has exited, and
// restarts one that crashed. A local stand-in for what a real deployment does with its own
// balancer (nginx, a cloud load balancer, Kubernetes).

const root = path.resolve(__dirname, '..');
const HEALTH_EVERY_MS = 1_000;
/** Failed /readyz checks in a row before an instance is skipped: a busy instance answers late. */
const FAILS_TO_SKIP = 3;
const START_TIMEOUT_MS = 180_000;

export interface ClusterOptions {
  instances: number;
  /** The balancer's port (0: any free one) and host. */
  port: number;
  host: string;
  /** Instance i listens on basePort + i (i from 0). */
  basePort: number;
  /** The instances' environment (DATABASE_URL, REDIS_URL …), on top of this process's. */
  env: NodeJS.ProcessEnv;
  /** Each line an instance prints, with its number (default: printed with a prefix). */
  output?: (instance: number, line: string) => void;
  /** The balancer's own notes (default: console.log). */
  say?: (line: string) => void;
}

interface Instance {
  n: number;
  port: number;
  url: string;
  child?: ChildProcess;
  /** Taking requests: started, and /readyz has not failed FAILS_TO_SKIP times in a row. */
  ready: boolean;
  failures: number;
  restarts: number;
  startedAt: number;
}

export interface Cluster {
  url: string;
  instances: readonly Instance[];
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function isReady(url: string): Promise<boolean> {
  try {
    // An instance's own checks give up after 2 s; a little more here.
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_500) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const say = opts.say ?? ((line: string) => console.log(`[cluster] ${line}`));
  const output = opts.output ?? ((n: number, line: string) => console.log(`[kefu-${n}] ${line}`));
  let stopping = false;
  const instances: Instance[] = Array.from({ length: opts.instances }, (_, i) => ({
    n: i + 1,
    port: opts.basePort + i,
    url: `http://127.0.0.1:${opts.basePort + i}`,
    ready: false,
    failures: 0,
    restarts: 0,
    startedAt: 0,
  }));

  function spawnInstance(inst: Instance): void {
    // node itself with tsx's loader (not the tsx CLI, which is a second process): a crash or a
    // kill -9 of the instance is this child's exit.
    const child = spawn(process.execPath, [...NODE_FLAGS, '--import', 'tsx', 'main.ts'], {
      cwd: root,
      env: { ...process.env, ...opts.env, PORT: String(inst.port), HOST: '127.0.0.1', NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    inst.child = child;
    inst.ready = false;
    inst.startedAt = Date.now();
    for (const stream of [child.stdout!, child.stderr!]) {
      let rest = '';
      stream.on('data', (d: Buffer) => {
        const lines = (rest + d.toString()).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) output(inst.n, line);
      });
    }
    child.once('exit', (code, signal) => {
      inst.ready = false;
      inst.child = undefined;
      if (stopping) return;
      // Back off when it keeps crashing at once (a port in use, a bad config), up to 30 s.
      const quick = Date.now() - inst.startedAt < 60_000;
      inst.restarts = quick ? inst.restarts + 1 : 1;
      const delay = Math.min(30_000, 500 * 2 ** (inst.restarts - 1));
      say(`instance ${inst.n} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`);
      setTimeout(() => {
        if (!stopping) spawnInstance(inst);
      }, delay).unref();
    });
  }

  async function waitReady(inst: Instance): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!inst.child) throw new Error(`instance ${inst.n} exited while starting`);
      if (await isReady(inst.url)) {
        inst.ready = true;
        return;
      }
      await sleep(250);
    }
    throw new Error(`instance ${inst.n} was not ready within ${START_TIMEOUT_MS / 1000} s`);
  }

  async function stopInstances(): Promise<void> {
    stopping = true;
    await Promise.all(
      instances.map(
        (inst) =>
          new Promise<void>((done) => {
            const child = inst.child;
            if (!child) return done();
            const force = setTimeout(() => child.kill('SIGKILL'), 20_000);
            child.once('exit', () => {
              clearTimeout(force);
              done();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  }

  try {
    // The first instance alone: it migrates the database and seeds the demo shop (and writes the
    // admin token to the shared data directory); the others then find both done.
    spawnInstance(instances[0]!);
    await waitReady(instances[0]!);
    say(`instance 1 ready on ${instances[0]!.url}`);
    await Promise.all(
      instances.slice(1).map(async (inst) => {
        spawnInstance(inst);
        await waitReady(inst);
        say(`instance ${inst.n} ready on ${inst.url}`);
      }),
    );
  } catch (err) {
    await stopInstances();
    throw err;
  }

  const checking = new Set<Instance>();
  const health = setInterval(() => {
    for (const inst of instances) {
      if (!inst.child || checking.has(inst)) continue;
      checking.add(inst);
      void isReady(inst.url).then((ok) => {
        checking.delete(inst);
        inst.failures = ok ? 0 : inst.failures + 1;
        const ready = inst.child !== undefined && (ok || (inst.ready && inst.failures < FAILS_TO_SKIP));
        if (ready !== inst.ready) say(`instance ${inst.n} ${ready ? 'ready again' : 'not ready: skipped'}`);
        inst.ready = ready;
      });
    }
  }, HEALTH_EVERY_MS);

  let next = 0;
  function pick(): Instance | undefined {
    for (let i = 0; i < instances.length; i++) {
      const inst = instances[next++ % instances.length]!;
      if (inst.ready && inst.child) return inst;
    }
    return undefined;
  }

  // Idle connections to the instances are dropped after 2 s, well before an instance's own 5 s
  // keep-alive timeout: a request must never go out on a socket the instance is closing.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512, timeout: 2_000 });
  // xfwd: the instances see the customer's address (they trust X-Forwarded-For from loopback).
  const proxy = createProxyServer({ xfwd: true, agent, proxyTimeout: 120_000 });
  const unavailable = JSON.stringify({
    error: { code: 'UNAVAILABLE', message: 'No Kefu instance is ready; try again shortly.' },
  });
  proxy.on('error', (err, _req, resOrSocket, target) => {
    const code = (err as NodeJS.ErrnoException).code;
    // Nothing listens there any more: skip it now rather than at the next health checks.
    const inst = instances.find((i) => String(target).startsWith(i.url));
    if (code === 'ECONNREFUSED' && inst) inst.ready = false;
    const res = resOrSocket as http.ServerResponse | Socket;
    if (res instanceof http.ServerResponse) {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json', 'retry-after': '1' }).end(unavailable);
      } else res.destroy();
    } else res.destroy();
    say(`proxy error${inst ? ` (instance ${inst.n})` : ''}: ${code ?? (err as Error).message}`);
  });

  const server = http.createServer((req, res) => {
    const target = pick();
    if (!target) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end(unavailable);
      return;
    }
    proxy.web(req, res, { target: target.url });
  });
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    const target = pick();
    if (!target) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    proxy.ws(req, socket, head, { target: target.url });
  });
  // A client that goes away mid-request must not take the balancer down.
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const url = `http://${opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host}:${port}`;

  return {
    url,
    instances,
    async stop() {
      clearInterval(health);
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
      agent.destroy();
      await stopInstances();
    },
  };
}

/** DATABASE_URL and REDIS_URL, or a message that says what is missing. */
export function clusterServices(env: NodeJS.ProcessEnv): { databaseUrl: string; redisUrl: string } {
  const missing = (['DATABASE_URL', 'REDIS_URL'] as const).filter((name) => !env[name]);
  if (missing.length) {
    throw new Error(
      `npm run cluster needs ${missing.join(' and ')}: the instances share one PostgreSQL database and ` +
        'one Redis (e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/kefu REDIS_URL=redis://127.0.0.1:6379).',
    );
  }
  for (const name of ['DATABASE_URL', 'REDIS_URL'] as const) {
    try {
      new URL(env[name]!);
    } catch {
      throw new Error(`${name} is not a URL.`);
    }
  }
  return { databaseUrl: env.DATABASE_URL!, redisUrl: env.REDIS_URL! };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { instances: { type: 'string', default: '2' }, 'base-port': { type: 'string' } },
  });
  const instances = Number(values.instances);
  const port = Number(process.env.PORT ?? 3000);
  const basePort = Number(values['base-port'] ?? port + 1);
  if (!Number.isInteger(instances) || instances < 1 || instances > 64) {
    throw new Error('--instances must be a whole number from 1 to 64.');
  }
  if (![port, basePort].every((p) => Number.isInteger(p) && p >= 0 && p + instances <= 65535)) {
    throw new Error('PORT and --base-port must be port numbers.');
  }
  clusterServices(process.env);
  const host = process.env.HOST ?? '127.0.0.1';
  const publicUrl =
    process.env.KEFU_PUBLIC_URL ?? `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`;
  const cluster = await startCluster({
    instances,
    port,
    host,
    basePort,
    // The instances print the balancer's address as theirs.
    env: { KEFU_PUBLIC_URL: publicUrl },
  });
  console.log(`\n  Kefu cluster: ${instances} instance(s) behind ${cluster.url}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[cluster] ${signal}: stopping the instances`);
    cluster.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`cluster: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}

import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/** One request the fake Bot Framework connector received. */
export interface CapturedRequest {
  method: string;
  url: string;
  authorization?: string;
  body: Record<string, unknown>;
}

/**
 * A local stand-in for the Bot Framework connector (`serviceUrl`): records every POST of an
 * activity and answers with a resource id, as the real service does.
 */
export class FakeConnector {
  readonly requests: CapturedRequest[] = [];
  private waiters: (() => void)[] = [];
  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeConnector> {
    const box: { connector?: FakeConnector } = {};
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        box.connector?.requests.push({
          method: req.method ?? '',
          url: req.url ?? '',
          ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
          body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
        });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ id: `reply-${box.connector?.requests.length ?? 0}` }));
        for (const wake of box.connector?.waiters.splice(0) ?? []) wake();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    box.connector = new FakeConnector(server, `http://127.0.0.1:${port}/`);
    return box.connector;
  }

  /** Waits until at least `n` requests arrived in all, and returns them. */
  async waitFor(n: number, timeoutMs = 15_000): Promise<CapturedRequest[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${n} requests, got ${JSON.stringify(this.requests, null, 1)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.requests.slice(0, n);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A fixture activity (a real payload shape), with `serviceUrl` and any fields replaced. */
export function fixture(name: string, patch: Record<string, unknown> = {}): Record<string, unknown> {
  const raw = JSON.parse(readFileSync(path.join(__dirname, 'fixtures', `${name}.json`), 'utf8')) as Record<
    string,
    unknown
  >;
  return { ...raw, ...patch };
}

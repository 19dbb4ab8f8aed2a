import path from 'node:path';
import { Worker } from 'node:worker_threads';

/** What drizzle-orm's PGlite driver calls on its client: queries, and transactions with queries. */
export interface PgliteQueries {
  query(sql: string, params?: unknown[], options?: { rowMode?: 'array' | 'object' }): Promise<QueryResult>;
  exec(sql: string): Promise<QueryResult[]>;
}

interface QueryResult {
  rows: unknown[];
  fields: { name: string; dataTypeID: number }[];
  affectedRows?: number;
}

interface Answer {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: Record<string, unknown> & { message: string };
}

/**
 * PGlite in a worker thread: the embedded database's WebAssembly runs on the second core while the
 * main thread runs the turns. The worker serves one session: it queues every query and holds others
 * back during a transaction; this side only carries the calls across (structured clone).
 */
export class PgliteThread implements PgliteQueries {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private nextId = 1;
  private readonly ready: Promise<unknown>;
  private failure?: Error;

  /** `dataDir` undefined: in memory. `maxStatements`: how many parsed statements the worker keeps (500). */
  constructor(dataDir: string | undefined, options: { maxStatements?: number } = {}) {
    this.worker = new Worker(path.join(__dirname, 'pglite.worker.mjs'), {
      workerData: { dataDir, maxStatements: options.maxStatements },
    });
    // The 'ready' answer carries id 0.
    this.ready = new Promise((resolve, reject) => this.pending.set(0, { resolve, reject }));
    // A database that cannot open (a locked or damaged data directory) must not keep the process alive.
    this.ready.catch(() => void this.worker.terminate());
    this.worker.on('message', (answer: Answer) => {
      const waiting = this.pending.get(answer.id);
      if (!waiting) return;
      this.pending.delete(answer.id);
      if (answer.ok) waiting.resolve(answer.result);
      else waiting.reject(databaseError(answer.error!));
    });
    const fail = (err: Error) => {
      this.failure = err;
      for (const waiting of this.pending.values()) waiting.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the database thread exited (${code})`)));
  }

  get waitReady(): Promise<unknown> {
    return this.ready;
  }

  query(sql: string, params?: unknown[], options?: { rowMode?: 'array' | 'object' }): Promise<QueryResult> {
    return this.call({ op: 'query', sql, params, rowMode: options?.rowMode }) as Promise<QueryResult>;
  }

  exec(sql: string): Promise<QueryResult[]> {
    return this.call({ op: 'exec', sql }) as Promise<QueryResult[]>;
  }

  /** Runs `callback` in one transaction: committed when it resolves, rolled back when it throws. */
  async transaction<T>(callback: (tx: PgliteQueries) => Promise<T>): Promise<T> {
    const endId = this.nextId++;
    const ended = new Promise((resolve, reject) => this.pending.set(endId, { resolve, reject }));
    const txId = this.nextId++;
    try {
      await this.send(txId, { op: 'begin', endId });
    } catch (err) {
      this.pending.delete(endId);
      throw err;
    }
    const tx: PgliteQueries = {
      query: (sql, params, options) =>
        this.call({ op: 'query', tx: txId, sql, params, rowMode: options?.rowMode }) as Promise<QueryResult>,
      exec: (sql) => this.call({ op: 'exec', tx: txId, sql }) as Promise<QueryResult[]>,
    };
    let result: T;
    try {
      result = await callback(tx);
    } catch (err) {
      this.post({ op: 'rollback', tx: txId });
      await ended.catch(() => undefined);
      throw err;
    }
    this.post({ op: 'commit', tx: txId });
    await ended;
    return result;
  }

  async close(): Promise<void> {
    if (!this.failure) await this.call({ op: 'close' }).catch(() => undefined);
    await this.worker.terminate();
  }

  private call(message: Record<string, unknown>): Promise<unknown> {
    return this.send(this.nextId++, message);
  }

  private send(id: number, message: Record<string, unknown>): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...message });
    });
  }

  private post(message: Record<string, unknown>): void {
    if (!this.failure) this.worker.postMessage(message);
  }
}

/** PostgreSQL's error fields (code, detail, constraint …) on an Error, as PGlite throws them. */
function databaseError(fields: Record<string, unknown> & { message: string }): Error {
  return Object.assign(new Error(fields.message), fields);
}

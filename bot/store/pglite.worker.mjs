// The embedded database in a thread of its own (see pglite-thread.ts): PGlite runs Postgres in
// WebAssembly on the thread that calls it, and it was half of a turn's CPU on the main thread.
// Plain JavaScript, so that it loads the same under tsx, node and jest.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, parse, protocol, types } from '@electric-sql/pglite';

const raw = (value) => value;
// What drizzle-orm's PGlite driver asks for (dates and intervals stay strings); functions cannot
// cross threads, so the worker applies them itself.
const parsers = {
  [types.TIMESTAMP]: raw,
  [types.TIMESTAMPTZ]: raw,
  [types.INTERVAL]: raw,
  [types.DATE]: raw,
};

const db = workerData.dataDir ? new PGlite(workerData.dataDir) : new PGlite();
// The data directory is the real file system (or memory): there is no copy to sync after a
// statement, so PGlite's per-statement sync step (a lock and a no-op) is skipped.
const NO_SYNC = { syncToFs: false };
const wire = protocol.serialize;

/**
 * One session, one statement at a time. PGlite's own query() parses and plans every statement
 * again and crosses into WebAssembly six times per query; profiled, that was most of a turn's
 * database time. Here each distinct SQL text is parsed once as a named statement (as node-postgres
 * does for PostgreSQL) and then runs as bind + describe + execute + sync in one call: a point read
 * went from 0.44 ms to under 0.1 ms.
 */
class Session {
  /** SQL text → { name, paramTypes }, least recently used first. */
  statements = new Map();
  nextStatement = 1;
  /** The end of the queue: each operation (a query, or a whole transaction) waits for the one before. */
  tail = Promise.resolve();
  /** Open transactions by id: each holds the queue until its commit or rollback. */
  transactions = new Map();

  /** Named statements kept (each holds its parse tree and plan in the database's memory). */
  maxStatements = workerData.maxStatements ?? 500;

  /** Runs `fn` when everything queued before it has finished. */
  exclusive(fn) {
    const run = this.tail.then(fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** `inTransaction`: a failed statement has aborted the transaction, so it is not run again there. */
  async query(sql, params = [], rowMode, inTransaction = false, retried = false) {
    const statement = await this.prepare(sql);
    const values = params.map((value, i) => serialize(value, statement.paramTypes[i]));
    let answer;
    try {
      answer = await db.execProtocol(
        concat(
          wire.bind({ statement: statement.name, values }),
          wire.describe({ type: 'P' }),
          wire.execute({}),
          wire.sync(),
        ),
        NO_SYNC,
      );
    } catch (err) {
      // "cached plan must not change result type": DDL changed the columns a statement returns.
      // It did nothing, so outside a transaction it is parsed anew and run once more.
      if (err?.code !== '0A000' || !this.statements.has(sql)) throw err;
      await this.forget(sql);
      if (inTransaction || retried) throw err;
      return this.query(sql, params, rowMode, false, true);
    }
    const [result] = parse.parseResults(answer.messages, types.parsers, { rowMode, parsers });
    return { rows: result.rows, fields: result.fields, affectedRows: result.affectedRows };
  }

  async exec(sql) {
    const results = await db.exec(sql);
    return results.map((r) => ({ rows: r.rows, fields: r.fields, affectedRows: r.affectedRows }));
  }

  async prepare(sql) {
    const known = this.statements.get(sql);
    if (known) {
      this.statements.delete(sql);
      this.statements.set(sql, known);
      return known;
    }
    const name = `kefu_${this.nextStatement++}`;
    const answer = await db.execProtocol(
      concat(wire.parse({ name, text: sql, types: [] }), wire.describe({ type: 'S', name }), wire.sync()),
      NO_SYNC,
    );
    const statement = { name, paramTypes: parse.parseDescribeStatementResults(answer.messages) };
    this.statements.set(sql, statement);
    if (this.statements.size > this.maxStatements) await this.forget(this.statements.keys().next().value);
    return statement;
  }

  async forget(sql) {
    const statement = this.statements.get(sql);
    if (!statement) return;
    this.statements.delete(sql);
    // Closing a statement that no longer exists is not an error; any other failure only leaks one.
    await db
      .execProtocol(concat(wire.close({ type: 'S', name: statement.name }), wire.sync()), NO_SYNC)
      .catch(() => undefined);
  }

  /**
   * Opens a transaction that holds the session until its commit or rollback message: `begun`
   * settles when BEGIN has run, `ended` when COMMIT or ROLLBACK has.
   */
  begin(id) {
    let opened;
    const begun = new Promise((resolve) => (opened = resolve));
    const ended = this.exclusive(async () => {
      await db.exec('begin');
      const decided = new Promise((resolve) => this.transactions.set(id, { resolve }));
      opened();
      const commit = await decided;
      this.transactions.delete(id);
      if (!commit) {
        await db.exec('rollback');
        return;
      }
      const [result] = await db.exec('commit');
      // PostgreSQL answers COMMIT of a transaction that hit an error with ROLLBACK.
      if (result?.command === 'ROLLBACK') throw new Error('the transaction was rolled back after an error');
    });
    return { begun: Promise.race([begun, ended]), ended };
  }
}

function serialize(value, type) {
  if (value === null || value === undefined) return null;
  const serializer = types.serializers[type];
  return serializer ? serializer(value) : value.toString();
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function errorFields(err) {
  if (!(err instanceof Error)) return { message: String(err) };
  // PostgreSQL's fields (code, detail, constraint …) are own enumerable properties of PGlite's errors.
  const fields = { message: err.message, name: err.name };
  for (const [key, value] of Object.entries(err)) {
    if (value === undefined || typeof value === 'function' || typeof value === 'object') continue;
    fields[key] = value;
  }
  return fields;
}

const session = new Session();
const reply = (id, body) => parentPort.postMessage({ id, ...body });

function run(message) {
  if (message.op === 'query')
    return session.query(message.sql, message.params, message.rowMode, !!message.tx);
  if (message.op === 'exec') return session.exec(message.sql);
  return Promise.reject(new Error(`unknown operation ${message.op}`));
}

parentPort.on('message', (message) => {
  const { id } = message;
  if (message.op === 'begin') {
    const { begun, ended } = session.begin(id);
    let open = false;
    begun.then(
      () => {
        open = true;
        reply(id, { ok: true });
      },
      (err) => reply(id, { ok: false, error: errorFields(err) }),
    );
    // A BEGIN that failed was answered above; the caller waits for no end.
    ended.then(
      () => reply(message.endId, { ok: true }),
      (err) => open && reply(message.endId, { ok: false, error: errorFields(err) }),
    );
    return;
  }
  if (message.op === 'commit' || message.op === 'rollback') {
    session.transactions.get(message.tx)?.resolve(message.op === 'commit');
    return;
  }
  if (message.op === 'close') {
    session
      .exclusive(() => db.close())
      .then(
        () => reply(id, { ok: true }),
        (err) => reply(id, { ok: false, error: errorFields(err) }),
      );
    return;
  }
  if (message.tx && !session.transactions.has(message.tx))
    return reply(id, { ok: false, error: { message: 'the transaction has ended' } });
  // A transaction's own queries run inside the turn it holds; everything else queues.
  const work = message.tx ? run(message) : session.exclusive(() => run(message));
  work.then(
    (result) => reply(id, { ok: true, result }),
    (err) => reply(id, { ok: false, error: errorFields(err) }),
  );
});

db.waitReady.then(
  () => parentPort.postMessage({ id: 0, ok: true }),
  (err) => parentPort.postMessage({ id: 0, ok: false, error: errorFields(err) }),
);

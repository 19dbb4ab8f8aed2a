// The embedded database in a thread of its own (see pglite-thread.ts): PGlite runs Postgres in
// WebAssembly on the thread that calls it, and it was half of a turn's CPU on the main thread.
// Plain JavaScript, so that it loads the same under tsx, node and jest.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, types } from '@electric-sql/pglite';

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
/** Open transactions by id: each waits for its commit or rollback message. */
const transactions = new Map();

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

const reply = (id, body) => parentPort.postMessage({ id, ...body });

async function run(target, message) {
  if (message.op === 'query') {
    const result = await target.query(message.sql, message.params, { rowMode: message.rowMode, parsers });
    return { rows: result.rows, fields: result.fields, affectedRows: result.affectedRows };
  }
  if (message.op === 'exec') {
    const results = await target.exec(message.sql);
    return results.map((r) => ({ rows: r.rows, fields: r.fields, affectedRows: r.affectedRows }));
  }
  throw new Error(`unknown operation ${message.op}`);
}

parentPort.on('message', (message) => {
  const { id } = message;
  if (message.op === 'begin') {
    db.transaction(
      (tx) =>
        new Promise((resolve, reject) => {
          transactions.set(id, { tx, resolve, reject });
          reply(id, { ok: true });
        }),
    )
      .then(() => reply(message.endId, { ok: true }))
      .catch((err) => reply(message.endId, { ok: false, error: errorFields(err) }))
      .finally(() => transactions.delete(id));
    return;
  }
  if (message.op === 'commit' || message.op === 'rollback') {
    // The transaction's own promise answers, to the endId its begin gave.
    const open = transactions.get(message.tx);
    if (!open) return;
    if (message.op === 'commit') open.resolve();
    else open.reject(new Error('rolled back'));
    return;
  }
  if (message.op === 'close') {
    db.close().then(
      () => reply(id, { ok: true }),
      (err) => reply(id, { ok: false, error: errorFields(err) }),
    );
    return;
  }
  const target = message.tx ? transactions.get(message.tx)?.tx : db;
  if (!target) return reply(id, { ok: false, error: { message: 'the transaction has ended' } });
  run(target, message).then(
    (result) => reply(id, { ok: true, result }),
    (err) => reply(id, { ok: false, error: errorFields(err) }),
  );
});

db.waitReady.then(
  () => parentPort.postMessage({ id: 0, ok: true }),
  (err) => parentPort.postMessage({ id: 0, ok: false, error: errorFields(err) }),
);

import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { PGlite } from '@electric-sql/pglite';
import { Pool } from 'pg';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { PgliteThread } from './pglite-thread';
import * as schema from './schema';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** Queries sent through drizzle since the database opened (kefu_db_queries_total, "queries per turn"). */
  readonly queries: number;
  /** Answers when the database does (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const migrationsFolder = path.join(__dirname, 'migrations');
// Any constant works; it only has to be the same in every process that migrates this database.
const MIGRATION_LOCK_ID = 7_415_001;

/**
 * PostgreSQL when `databaseUrl` is set, else embedded PGlite in `dataDir` (or in memory for
 * `':memory:'`). `pgliteThread`: run PGlite in a worker thread (default for a data directory, so
 * `npm start` uses both cores; in-memory test databases stay on the calling thread).
 */
export async function openDatabase(opts: {
  databaseUrl?: string;
  dataDir: string;
  pgliteThread?: boolean;
}): Promise<Database> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl);
  return openPglite(opts.dataDir, opts.pgliteThread ?? opts.dataDir !== ':memory:');
}

/** Counts the queries drizzle sends (its logger sees every one, in transactions too): one increment each. */
class QueryCounter {
  count = 0;
  logQuery(): void {
    this.count++;
  }
}

async function openPglite(dataDir: string, thread: boolean): Promise<Database> {
  let dir: string | undefined;
  if (dataDir !== ':memory:') {
    dir = path.resolve(dataDir, 'pglite');
    mkdirSync(dir, { recursive: true });
  }
  let client: PGlite | PgliteThread;
  if (thread) {
    client = new PgliteThread(dir);
    await client.waitReady;
  } else client = dir ? new PGlite(dir) : new PGlite();
  const counter = new QueryCounter();
  // PgliteThread has the calls drizzle's PGlite driver makes (query, transaction).
  const db = drizzlePglite({ client: client as PGlite, schema, logger: counter });
  await migratePglite(db, { migrationsFolder });
  return {
    db: db as unknown as Db,
    kind: 'pglite',
    get queries() {
      return counter.count;
    },
    ping: async () => {
      await client.query('select 1');
    },
    close: () => client.close(),
  };
}

async function openPostgres(url: string): Promise<Database> {
  const pool = new Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000 });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  const counter = new QueryCounter();
  const db = drizzlePg(pool, { schema, logger: counter });
  // Several instances may start at once: one migrates while the others wait on the advisory lock.
  const lockClient = await pool.connect();
  try {
    await lockClient.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    await migratePg(db, { migrationsFolder });
  } finally {
    await lockClient.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    lockClient.release();
  }
  return {
    db: db as unknown as Db,
    kind: 'postgres',
    get queries() {
      return counter.count;
    },
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: () => pool.end(),
  };
}

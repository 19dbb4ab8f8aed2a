import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { type Database, openDatabase } from '../../bot/store/db';

/**
 * Integration suites need real servers. In CI (CI=true) a missing server is a failure; on a
 * developer's machine without one, the suite is skipped with a note.
 */
export function serviceUrl(name: 'DATABASE_URL' | 'REDIS_URL' | 'MQTT_URL'): string | undefined {
  const url = process.env[name];
  if (url) return url;
  if (process.env.CI === 'true') throw new Error(`${name} must be set in CI (see .ci/run)`);
  console.warn(`${name} is not set: skipping the suites that need it`);
  return undefined;
}

/** `describe` when the server is configured, `describe.skip` otherwise (never in CI: see above). */
export function describeWith(name: 'DATABASE_URL' | 'REDIS_URL' | 'MQTT_URL') {
  return serviceUrl(name) ? describe : describe.skip;
}

/** A fresh PostgreSQL database for one test file, dropped afterwards. */
export async function createTestDatabase(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `kefu_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export type OpenTestDatabase = () => Promise<{ database: Database; cleanup(): Promise<void> }>;

/** Runs a repository contract against the embedded PGlite and, when configured, PostgreSQL. */
export function onEveryDatabase(name: string, contract: (open: OpenTestDatabase) => void): void {
  describe(`${name}: embedded PGlite`, () => {
    contract(async () => ({
      database: await openDatabase({ dataDir: ':memory:' }),
      cleanup: async () => undefined,
    }));
  });
  // What `npm start` runs: the same PGlite on a worker thread of its own (bot/store/pglite-thread.ts).
  describe(`${name}: embedded PGlite on a worker thread`, () => {
    let opened: Database[] = [];
    afterAll(async () => {
      await Promise.all(opened.map((d) => d.close()));
      opened = [];
    });
    contract(async () => {
      const database = await openDatabase({ dataDir: ':memory:', pgliteThread: true });
      opened.push(database);
      return { database, cleanup: async () => undefined };
    });
  });
  describeWith('DATABASE_URL')(`${name}: PostgreSQL`, () => {
    contract(async () => {
      const testDb = await createTestDatabase(serviceUrl('DATABASE_URL')!);
      return {
        database: await openDatabase({ databaseUrl: testDb.url, dataDir: ':memory:' }),
        cleanup: testDb.drop,
      };
    });
  });
}

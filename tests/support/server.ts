import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildKefu } from '../../main';
import { loadConfig } from '../../bot/config';
import { type Logger, createLogger } from '../../bot/log';
import type { Platform } from '../../bot/platform';
import type { CommerceResolver } from '../../commerce/commerce-resolver';
import type { KefuServer } from '../../bot/server';
import { seedDemoShop } from '../../admin/demo/demo-shop';
import { seedBuiltinIntents } from './builtin-cache';

export interface TestServer {
  url: string;
  port: number;
  platform: Platform;
  server: KefuServer;
  adminToken: string;
  /** The demo shop's API key, when `demo` seeded it. */
  demoApiKey?: string;
  /** The demo shop's owner (merchant admin sign-in), when `demo` seeded it. */
  demoOwner?: { email: string; password: string };
  stop(): Promise<void>;
}

export interface TestServerOptions {
  demo?: boolean;
  /** PostgreSQL instead of an in-memory PGlite. */
  databaseUrl?: string;
  redisUrl?: string;
  /** An embedded data directory (kept after stop, for restart tests); default: in memory. */
  dataDir?: string;
  /** Messages a customer may send at once (the conversation runner sends many for one customer). */
  rateLimitBurst?: number;
  /** The turns' clock (default: the real one). */
  clock?: () => Date;
  /** The shops' commerce backends (default: as main.ts builds them from the settings). */
  commerce?: CommerceResolver;
  /** Connect the MQTT channel to this broker (MQTT_URL). */
  mqttUrl?: string;
  /** Start the embedded MQTT broker on this port (KEFU_MQTT_EMBEDDED=1, KEFU_MQTT_PORT). */
  mqttEmbeddedPort?: number;
  /** The server's logger (default: one at TEST_LOG_LEVEL, silent); tests that read the logs pass theirs. */
  log?: Logger;
  /** More environment settings (e.g. KEFU_MAX_CONCURRENT_TURNS), read as main.ts would. */
  env?: Record<string, string>;
}

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

/** The whole app, as main.ts builds it, on an ephemeral port. */
export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    KEFU_DATA_DIR: opts.dataDir ?? ':memory:',
    DATABASE_URL: opts.databaseUrl,
    REDIS_URL: opts.redisUrl,
    KEFU_DEMO: opts.demo ? '1' : '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    KEFU_RATE_LIMIT_BURST: opts.rateLimitBurst ? String(opts.rateLimitBurst) : undefined,
    MQTT_URL: opts.mqttUrl,
    KEFU_MQTT_EMBEDDED: opts.mqttEmbeddedPort !== undefined ? '1' : undefined,
    KEFU_MQTT_PORT: opts.mqttEmbeddedPort !== undefined ? String(opts.mqttEmbeddedPort) : undefined,
    ...opts.env,
  });
  const log = opts.log ?? createLogger({ level: config.logLevel });
  const { platform, server } = await buildKefu(config, {
    log,
    adminToken: TEST_ADMIN_TOKEN,
    commerce: opts.commerce,
    clock: opts.clock,
  });
  await seedBuiltinIntents(platform.store);
  const demo = opts.demo ? await seedDemoShop(platform) : undefined;
  const { port } = await server.listen(0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    platform,
    server,
    adminToken: TEST_ADMIN_TOKEN,
    demoApiKey: demo?.apiKey,
    demoOwner: demo?.owner,
    stop: () => server.shutdown(2000),
  };
}

export function tempDir(prefix = 'kefu-test-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

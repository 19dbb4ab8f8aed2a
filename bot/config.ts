import { z } from 'zod';

const flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  KEFU_DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().url().optional(),
  /** Run the embedded PGlite in a worker thread (default: yes for a data directory). */
  KEFU_PGLITE_THREAD: flag.optional(),
  REDIS_URL: z.string().url().optional(),
  KEFU_REDIS_NAMESPACE: z
    .string()
    .regex(/^[\w.-]{1,64}$/, 'KEFU_REDIS_NAMESPACE: letters, digits, ".", "_" or "-"')
    .optional(),
  MQTT_URL: z.string().url().optional(),
  /** Start the embedded MQTT broker (aedes) when MQTT_URL is not set. */
  KEFU_MQTT_EMBEDDED: flag.default(false),
  KEFU_MQTT_PORT: z.coerce.number().int().min(0).max(65535).default(1883),
  KEFU_MQTT_HOST: z.string().default('127.0.0.1'),
  KEFU_ADMIN_TOKEN: z.string().min(16, 'KEFU_ADMIN_TOKEN must be at least 16 characters').optional(),
  KEFU_DEMO: flag.default(true),
  KEFU_PUBLIC_URL: z.string().url().optional(),
  KEFU_RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(30),
  KEFU_RATE_LIMIT_PER_SECOND: z.coerce.number().min(0.01).default(1),
  KEFU_MAX_CONCURRENT_TURNS: z.coerce.number().int().min(1).default(32),
  KEFU_MAX_QUEUED_TURNS: z.coerce.number().int().min(0).default(256),
  KEFU_MAX_TURN_WAIT_MS: z.coerce.number().int().min(1).default(5000),
  KEFU_WS_IDLE_MS: z.coerce.number().int().min(1000).default(1_800_000),
  KEFU_MAX_WEB_SOCKETS: z.coerce.number().int().min(1).default(20_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string;
  /** The embedded PGlite on a worker thread of its own (undefined: yes, unless in memory). */
  pgliteThread?: boolean;
  redisUrl?: string;
  /** Keys of this deployment on a shared Redis (default: derived from the database's location). */
  redisNamespace?: string;
  mqttUrl?: string;
  /** Start the embedded MQTT broker on mqttHost:mqttPort (only when mqttUrl is not set). */
  mqttEmbedded: boolean;
  mqttPort: number;
  mqttHost: string;
  adminToken?: string;
  demo: boolean;
  publicUrl?: string;
  logLevel: string;
  /** Messages per customer: a burst, then a steady rate (shared by the instances with Redis). */
  rateLimit: { burst: number; perSecond: number };
  /** Back-pressure per process: turns running at once, waiting, and how long one may wait. */
  turnAdmission: { maxConcurrent: number; maxQueued: number; maxWaitMs: number };
  /** Widget sockets per process, and how long one may stay open without a client frame. */
  webSockets: { max: number; idleMs: number };
}

/** Reads the environment once, at startup; a bad value stops the process with a clear message. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: e.KEFU_DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    pgliteThread: e.KEFU_PGLITE_THREAD,
    redisUrl: e.REDIS_URL,
    redisNamespace: e.KEFU_REDIS_NAMESPACE,
    mqttUrl: e.MQTT_URL,
    mqttEmbedded: e.KEFU_MQTT_EMBEDDED,
    mqttPort: e.KEFU_MQTT_PORT,
    mqttHost: e.KEFU_MQTT_HOST,
    adminToken: e.KEFU_ADMIN_TOKEN,
    demo: e.KEFU_DEMO,
    publicUrl: e.KEFU_PUBLIC_URL,
    logLevel: e.LOG_LEVEL,
    rateLimit: { burst: e.KEFU_RATE_LIMIT_BURST, perSecond: e.KEFU_RATE_LIMIT_PER_SECOND },
    turnAdmission: {
      maxConcurrent: e.KEFU_MAX_CONCURRENT_TURNS,
      maxQueued: e.KEFU_MAX_QUEUED_TURNS,
      maxWaitMs: e.KEFU_MAX_TURN_WAIT_MS,
    },
    webSockets: { max: e.KEFU_MAX_WEB_SOCKETS, idleMs: e.KEFU_WS_IDLE_MS },
  };
}

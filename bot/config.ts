import { z } from 'zod';

const flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  KEFU_DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
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
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string;
  redisUrl?: string;
  mqttUrl?: string;
  /** Start the embedded MQTT broker on mqttHost:mqttPort (only when mqttUrl is not set). */
  mqttEmbedded: boolean;
  mqttPort: number;
  mqttHost: string;
  adminToken?: string;
  demo: boolean;
  publicUrl?: string;
  logLevel: string;
  /** Messages per customer: a burst, then a steady rate (per process). */
  rateLimit: { burst: number; perSecond: number };
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
    redisUrl: e.REDIS_URL,
    mqttUrl: e.MQTT_URL,
    mqttEmbedded: e.KEFU_MQTT_EMBEDDED,
    mqttPort: e.KEFU_MQTT_PORT,
    mqttHost: e.KEFU_MQTT_HOST,
    adminToken: e.KEFU_ADMIN_TOKEN,
    demo: e.KEFU_DEMO,
    publicUrl: e.KEFU_PUBLIC_URL,
    logLevel: e.LOG_LEVEL,
    rateLimit: { burst: e.KEFU_RATE_LIMIT_BURST, perSecond: e.KEFU_RATE_LIMIT_PER_SECOND },
  };
}

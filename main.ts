import { resolveAdminToken } from './bot/admin-token';
import { type Config, loadConfig } from './bot/config';
import { type Logger, createLogger } from './bot/log';
import { type Platform, createPlatform } from './bot/platform';
import { type HttpModule, type KefuServer, createServer } from './bot/server';
import { createAdminApi } from './admin/api/admin.module';
import { createAuthApi } from './admin/api/auth.routes';
import { createConsoleApi } from './admin/api/console.routes';
import { createCommerceTestApi } from './admin/api/commerce-test.routes';
import { createConversationsApi } from './admin/api/conversations.routes';
import { createKnowledgeApi } from './admin/api/knowledge.routes';
import { createAnalyticsApi } from './admin/api/analytics.routes';
import { createHandoffApi } from './admin/api/handoff.routes';
import { seedDemoShop } from './admin/demo/demo-shop';
import { createAgentWorkspace } from './admin/workspace/workspace.module';
import { createMerchantAdmin } from './admin/web/admin.module';
import { createAgentsChannel } from './channels/agents/agents.adapter';
import { createAppChannel } from './channels/app/app.adapter';
import { createMqttChannel } from './channels/mqtt/mqtt.adapter';
import { createSpeakerChannel } from './channels/speaker/speaker.module';
import { createVoiceChannel } from './channels/voice/voice.module';
import { createWebChannel } from './channels/web/web.adapter';
import { type CommerceResolver, createCommerceResolver } from './commerce/commerce-resolver';
import { createNluEngine } from './nlu/engine';
import { createCustomerDirectory } from './skills/customers';
import { FALLBACK_SKILL, createProactive, createSkills } from './skills/registry';

/**
 * The composition root: the only file that knows every module. It builds the store, the NLU, the
 * skills, the channels and the admin, registers them with the bot, and (when run) listens.
 */
export async function buildKefu(
  config: Config,
  opts: { log?: Logger; adminToken?: string; commerce?: CommerceResolver; clock?: () => Date } = {},
): Promise<{ platform: Platform; server: KefuServer; adminTokenGenerated: boolean }> {
  const log = opts.log ?? createLogger({ level: config.logLevel });
  const commerce = opts.commerce ?? createCommerceResolver();
  const admin = opts.adminToken
    ? { token: opts.adminToken, generated: false }
    : resolveAdminToken({ configured: config.adminToken, dataDir: config.dataDir });
  const platform = await createPlatform({
    config,
    adminToken: admin.token,
    log,
    engine: ({ store }) => createNluEngine({ cache: store.artifacts }),
    skills: ({ knowledge }) => createSkills({ knowledge, commerce }),
    fallbackSkill: FALLBACK_SKILL,
    clock: opts.clock,
    proactive: createProactive({ commerce }),
    customers: createCustomerDirectory(commerce),
  });
  const modules: HttpModule[] = [
    createAuthApi(platform),
    createConsoleApi(platform),
    createKnowledgeApi(platform),
    createConversationsApi(platform),
    createCommerceTestApi(platform),
    createAnalyticsApi(platform, { clock: opts.clock }),
    createHandoffApi(platform),
    createAgentWorkspace(platform),
    createMerchantAdmin(platform),
    // Channels: one module each (channels/<name>/<name>.adapter.ts).
    createAgentsChannel(platform),
    createAppChannel(platform),
    createMqttChannel(platform),
    createSpeakerChannel(platform),
    createVoiceChannel(platform),
    createWebChannel(platform),
  ];
  // The OpenAPI document (served by the admin module) carries every module's rows.
  const openApiPaths = () =>
    Object.assign({}, ...modules.map((m) => m.openApiPaths ?? {})) as Record<string, unknown>;
  const server = createServer(platform, [createAdminApi(platform, { openApiPaths }), ...modules]);
  return { platform, server, adminTokenGenerated: admin.generated };
}

async function main(): Promise<void> {
  const started = Date.now();
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
  const log = createLogger({ level: config.logLevel });
  const { platform, server, adminTokenGenerated } = await buildKefu(config, { log });
  const demo = config.demo ? await seedDemoShop(platform) : { created: false };
  const { port, host } = await server.listen(config.port, config.host);
  const url =
    config.publicUrl ?? `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${port}`;

  // Printed, not logged: the token must not end up in log files.
  const lines = [
    '',
    `  Kefu is running at ${url}  (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    `  storage: ${config.databaseUrl ? 'PostgreSQL' : `embedded PGlite in ${config.dataDir}`}; ` +
      `locks/pub-sub: ${config.redisUrl ? 'Redis' : 'in-process'}`,
    adminTokenGenerated
      ? `  admin token (saved in ${config.dataDir}/admin-token): ${platform.adminToken}`
      : `  admin token: ${config.adminToken ? 'from KEFU_ADMIN_TOKEN' : `in ${config.dataDir}/admin-token`}`,
    ...(config.demo ? [`  demo shop: open ${url}/ and chat with the widget`] : []),
    ...(demo.created && 'apiKey' in demo ? [`  demo shop API key (shown once): ${demo.apiKey}`] : []),
    ...('owner' in demo && demo.owner
      ? [
          `  merchant admin: ${url}/admin  sign in as ${demo.owner.email} / ${demo.owner.password} (shown once)`,
        ]
      : []),
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const forced = setTimeout(() => process.exit(1), 15_000);
    forced.unref();
    try {
      await server.shutdown();
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error('Kefu failed to start:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}

import { errors } from '../../bot/errors';
import { topics } from '../../bot/events';
import { ROLES, jsonBody, parseInput, requireAdmin, requireShopAccess, shopOf } from '../../bot/http';
import type { Platform } from '../../bot/platform';
import { PUBLISH_JOB } from '../../bot/publish';
import type { HttpModule } from '../../bot/server';
import { buildOpenApiDocument } from './openapi';
import { createShopSchema } from './admin.schemas';
import { createFirstOwner } from './auth.routes';
import { maskSecrets, settingsPatchSchema } from '../../bot/settings';

/** The merchant-facing HTTP API: shops, settings, knowledge, publish and jobs. */
export function createAdminApi(
  platform: Platform,
  opts: {
    /** The other modules' OpenAPI rows (channels), merged into the document. */ openApiPaths?: () => Record<
      string,
      unknown
    >;
  } = {},
): HttpModule {
  const { store } = platform;
  const auth = { store, adminToken: platform.adminToken };
  const shopRoute = '/api/v1/shops/:shopId';
  const editors = requireShopAccess(auth, ROLES.editors);
  let document: ReturnType<typeof buildOpenApiDocument> | undefined;

  return {
    id: 'admin',
    mount(app) {
      app.get('/api/v1/openapi.json', (_req, res) => {
        document ??= buildOpenApiDocument(opts.openApiPaths?.());
        res.json(document);
      });

      app.post('/api/v1/shops', requireAdmin(auth), jsonBody(), async (req, res) => {
        const { owner, ...input } = parseInput(createShopSchema, req.body);
        // The owner's e-mail is checked first so a taken address leaves no shop behind.
        if (owner && (await store.users.findForSignIn(owner.email))) {
          throw errors.conflict('Someone already signs in with this e-mail.', 'EMAIL_TAKEN');
        }
        const created = await store.shops.create(input);
        const firstOwner = owner ? await createFirstOwner(platform, created.id, owner) : undefined;
        platform.log.info({ shopId: created.id }, 'shop created');
        res.status(201).json({ ...created, ...(firstOwner ? { owner: firstOwner } : {}) });
      });

      app.get(`${shopRoute}/settings`, editors, async (_req, res) => {
        res.json(maskSecrets(await store.shops.getSettings(shopOf(res).id)));
      });

      app.put(`${shopRoute}/settings`, editors, jsonBody(), async (req, res) => {
        const patch = parseInput(settingsPatchSchema, req.body);
        const merged = await store.shops.mergeSettings(shopOf(res).id, patch);
        await platform.events.publish(topics.shopUpdated, { shopId: shopOf(res).id });
        res.json(maskSecrets(merged));
      });

      // Knowledge (list, search, import, export …) lives in knowledge.routes.ts.

      app.post(`${shopRoute}/publish`, editors, async (_req, res) => {
        const job = await platform.jobs.enqueue(shopOf(res).id, PUBLISH_JOB);
        res.status(202).json({ jobId: job.id });
      });

      app.get(`${shopRoute}/jobs/:jobId`, editors, async (req, res) => {
        const job = await store.jobs.get(shopOf(res).id, String(req.params.jobId));
        if (!job) throw errors.notFound('Job');
        res.json({
          id: job.id,
          type: job.type,
          state: job.state,
          progress: job.progress,
          ...(job.error ? { error: job.error } : {}),
        });
      });
    },
  };
}

import { errors } from '../../bot/errors';
import { topics } from '../../bot/events';
import { ROLES, jsonBody, parseInput, requireAdmin, requireShopAccess, shopOf } from '../../bot/http';
import type { Platform } from '../../bot/platform';
import { PUBLISH_JOB } from '../../bot/publish';
import type { HttpModule } from '../../bot/server';
import { buildOpenApiDocument } from './openapi';
import { createShopSchema, knowledgeSchema } from './admin.schemas';
import { createFirstOwner } from './auth.routes';
import { maskSecrets, settingsSchema } from '../../bot/settings';

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
        const patch = parseInput(settingsSchema, req.body);
        const merged = await store.shops.mergeSettings(shopOf(res).id, patch);
        await platform.events.publish(topics.shopUpdated, { shopId: shopOf(res).id });
        res.json(maskSecrets(merged));
      });

      app.post(`${shopRoute}/knowledge`, editors, jsonBody('4mb'), async (req, res) => {
        const { entries } = parseInput(knowledgeSchema, req.body);
        const ids = new Set<string>();
        const withIds = entries.map((e) => {
          const id = e.id ?? `kb_${crypto.randomUUID()}`;
          if (ids.has(id)) throw errors.badRequest(`Entry id "${id}" appears twice.`, 'DUPLICATE_ID');
          ids.add(id);
          return { ...e, id };
        });
        const upserted = await store.knowledge.upsert(shopOf(res).id, withIds);
        await platform.events.publish(topics.knowledgeChanged, { shopId: shopOf(res).id });
        res.json({ upserted, ids: withIds.map((e) => e.id) });
      });

      app.get(`${shopRoute}/knowledge`, editors, async (_req, res) => {
        res.json({ entries: await store.knowledge.list(shopOf(res).id) });
      });

      app.delete(`${shopRoute}/knowledge/:entryId`, editors, async (req, res) => {
        const deleted = await store.knowledge.delete(shopOf(res).id, String(req.params.entryId));
        if (!deleted) throw errors.notFound('Knowledge entry');
        await platform.events.publish(topics.knowledgeChanged, { shopId: shopOf(res).id });
        res.status(204).end();
      });

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

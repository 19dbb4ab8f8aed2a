import { errors } from '../../bot/errors';
import { ROLES, parseInput, requireShopAccess, shopOf } from '../../bot/http';
import { errorResponse, pathParameter, queryParameters, requestSchema } from '../../bot/openapi';
import type { Platform } from '../../bot/platform';
import type { HttpModule } from '../../bot/server';
import { shopTimeZone } from '../../bot/settings';
import { DigestScheduler } from '../digest/digest.scheduler';
import { buildDigest, previousDay } from '../digest/digest.service';
import {
  analyticsQuerySchema,
  analyticsReportSchema,
  digestQuerySchema,
  digestSchema,
} from './analytics.schemas';
import { AnalyticsService, startOfLocalDay } from './analytics.service';

/** The longest range one request may ask for. */
export const MAX_RANGE_DAYS = 366;
const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_RANGE_DAYS = 7;

export interface AnalyticsApiOptions {
  /** The clock of the default range and of the digest scheduler (tests move it to "the next morning"). */
  clock?: () => Date;
  /** How often the digest scheduler ticks (default DIGEST_INTERVAL_MS). */
  digestIntervalMs?: number;
}

/**
 * The merchant's analytics (docs/analytics.md): figures for a range, the unanswered questions
 * clustered (九点电台), and the daily digest — served here and, for shops that subscribed, POSTed
 * to their webhook by the scheduler this module starts.
 */
export function createAnalyticsApi(platform: Platform, opts: AnalyticsApiOptions = {}): HttpModule {
  const { store } = platform;
  const editors = requireShopAccess({ store, adminToken: platform.adminToken }, ROLES.editors);
  const analytics = new AnalyticsService(platform);
  const clock = opts.clock ?? (() => new Date());
  const scheduler = new DigestScheduler({
    store,
    analytics,
    log: platform.log,
    clock,
    intervalMs: opts.digestIntervalMs,
  });

  return {
    id: 'analytics',
    openApiPaths: analyticsOpenApiPaths,
    mount(app) {
      app.get('/api/v1/shops/:shopId/analytics', editors, async (req, res) => {
        const query = parseInput(analyticsQuerySchema, req.query);
        const shop = shopOf(res);
        const settings = await store.shops.getSettings(shop.id);
        const timeZone = shopTimeZone(settings);
        const instant = (value: string) =>
          value.length === 10 ? startOfLocalDay(value, timeZone) : new Date(value);
        const to = query.to ? instant(query.to) : clock();
        const from = query.from ? instant(query.from) : new Date(to.getTime() - DEFAULT_RANGE_DAYS * DAY_MS);
        if (!(from < to)) throw errors.badRequest('from must be before to.', 'BAD_RANGE');
        if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS) {
          throw errors.badRequest(`The range may span at most ${MAX_RANGE_DAYS} days.`, 'BAD_RANGE');
        }
        res.json(await analytics.report(shop, settings, { from, to }));
      });

      app.get('/api/v1/shops/:shopId/analytics/digest', editors, async (req, res) => {
        const query = parseInput(digestQuerySchema, req.query);
        const shop = shopOf(res);
        const settings = await store.shops.getSettings(shop.id);
        const { digest, html } = await buildDigest(
          analytics,
          shop,
          settings,
          query.day ?? previousDay(clock(), settings),
        );
        if (query.format === 'html') {
          res.type('html').send(html);
          return;
        }
        res.json(digest);
      });
    },
    async start() {
      scheduler.start();
    },
    close: () => scheduler.close(),
  };
}

const security = [{ shopApiKey: [] }, { adminToken: [] }, { sessionCookie: [] }];
const analyticsOpenApiPaths = {
  '/api/v1/shops/{shopId}/analytics': {
    parameters: [pathParameter('shopId')],
    get: {
      summary:
        'Figures for a range: conversations, rates, per day and channel, top intents, unanswered questions clustered (owners, editors)',
      description:
        'Conversations count by their start in [from, to); the test console is left out. Definitions: docs/analytics.md.',
      security,
      parameters: queryParameters(analyticsQuerySchema),
      responses: {
        '200': {
          description: 'The figures',
          content: { 'application/json': { schema: requestSchema(analyticsReportSchema) } },
        },
        '400': errorResponse('Invalid query, or BAD_RANGE (from not before to, or more than 366 days)'),
        '401': errorResponse('No credentials'),
        '403': errorResponse('Another shop, or ROLE_FORBIDDEN'),
      },
    },
  },
  '/api/v1/shops/{shopId}/analytics/digest': {
    parameters: [pathParameter('shopId')],
    get: {
      summary: "The daily digest of one of the shop's days, as JSON or e-mail-ready HTML (owners, editors)",
      security,
      parameters: queryParameters(digestQuerySchema),
      responses: {
        '200': {
          description: 'The digest',
          content: {
            'application/json': { schema: requestSchema(digestSchema) },
            'text/html': { schema: { type: 'string' } },
          },
        },
        '400': errorResponse('Invalid query'),
        '401': errorResponse('No credentials'),
        '403': errorResponse('Another shop, or ROLE_FORBIDDEN'),
      },
    },
  },
};

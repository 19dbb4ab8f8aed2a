import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { errors } from '../../bot/errors';
import { ROLES, jsonBody, parseInput, requireShopAccess, shopOf } from '../../bot/http';
import { errorResponse, jsonRequest, pathParameter, requestSchema } from '../../bot/openapi';
import type { Platform } from '../../bot/platform';
import type { HttpModule } from '../../bot/server';
import { HttpCommerceBackend, type PingResult } from '../../commerce/http.backend';
import { type Translate, translatorFor } from './i18n/catalog';

/** The connection test waits this long for the backend (as the bot's own calls do by default). */
export const TEST_TIMEOUT_MS = 3000;

export const commerceTestSchema = z
  .object({
    /** The backend to test (the form's values before saving); without it, the saved settings. */
    commerce: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('demo') }).strict(),
        z
          .object({
            type: z.literal('http'),
            baseUrl: z
              .string()
              .max(2000)
              .refine((u) => /^https?:\/\/[^\s]+$/i.test(u) && URL.canParse(u), 'an http(s) URL'),
            /** Omitted: the saved secret, when baseUrl is the saved one. */
            secret: z.string().min(1).max(4096).optional(),
          })
          .strict(),
      ])
      .optional(),
  })
  .strict();

export const commerceTestResponseSchema = z.object({
  ok: z.boolean(),
  latencyMs: z.number().int(),
  status: z.number().int().optional(),
  message: z.string(),
});

/** A body is optional: no body at all is the saved settings; a body must be JSON. */
function optionalJsonBody() {
  const parse = jsonBody('16kb');
  return (req: Request, res: Response, next: NextFunction): void => {
    const length = req.get('content-length');
    if (req.get('transfer-encoding') === undefined && (length === undefined || length === '0')) {
      req.body = {};
      next();
      return;
    }
    parse(req, res, next);
  };
}

const sameUrl = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

function verdict(result: PingResult, t: Translate): { ok: boolean; status?: number; message: string } {
  if (result.kind === 'timeout') {
    return { ok: false, message: t('commerce.timeout', { seconds: result.timeoutMs / 1000 }) };
  }
  if (result.kind === 'unreachable')
    return { ok: false, message: t('commerce.refused', { reason: result.reason }) };
  const { status, json } = result;
  if (status === 200 || status === 404) {
    return json
      ? { ok: true, status, message: t('commerce.ok', { status }) }
      : { ok: false, status, message: t('commerce.not-json', { status }) };
  }
  if (status === 401 || status === 403)
    return { ok: false, status, message: t('commerce.unauthorized', { status }) };
  if (status >= 300 && status < 400)
    return { ok: false, status, message: t('commerce.redirect', { status }) };
  if (status >= 500) return { ok: false, status, message: t('commerce.server-error', { status }) };
  return { ok: false, status, message: t('commerce.unexpected', { status }) };
}

/**
 * "Test the connection" on the settings page: one signed GET to the shop's backend (the form's
 * values, or the saved ones), 3 s timeout, no retries; says whether it answered and accepted the signature.
 */
export function createCommerceTestApi(platform: Platform): HttpModule {
  const { store, log } = platform;
  const editors = requireShopAccess({ store, adminToken: platform.adminToken }, ROLES.editors);

  return {
    id: 'commerce-test',
    openApiPaths: commerceTestOpenApiPaths,
    mount(app) {
      app.post(
        '/api/v1/shops/:shopId/settings/commerce/test',
        editors,
        optionalJsonBody(),
        async (req, res) => {
          const { commerce: given } = parseInput(commerceTestSchema, req.body ?? {});
          const shopId = shopOf(res).id;
          const t = translatorFor(req);
          const saved = (await store.shops.getSettings(shopId)).commerce;
          const target = given ?? saved;
          if (!target) {
            res.json({ ok: false, latencyMs: 0, message: t('commerce.none') });
            return;
          }
          if (target.type === 'demo') {
            res.json({ ok: true, latencyMs: 0, message: t('commerce.demo') });
            return;
          }
          const secret =
            target.secret ??
            (saved?.type === 'http' && sameUrl(saved.baseUrl, target.baseUrl) ? saved.secret : undefined);
          if (!secret) {
            throw errors.badRequest(
              'commerce.secret: required for a backend other than the saved one.',
              'VALIDATION_FAILED',
            );
          }
          let backend: HttpCommerceBackend;
          try {
            backend = new HttpCommerceBackend({
              baseUrl: target.baseUrl,
              secret,
              timeoutMs: TEST_TIMEOUT_MS,
              retries: 0,
            });
          } catch (err) {
            throw errors.badRequest(`commerce.baseUrl: ${(err as Error).message}.`, 'VALIDATION_FAILED');
          }
          const started = performance.now();
          const result = await backend.ping();
          const latencyMs = Math.round(performance.now() - started);
          const answer = verdict(result, t);
          log.info({ shopId, ok: answer.ok, status: answer.status, latencyMs }, 'commerce connection tested');
          res.json({
            ok: answer.ok,
            latencyMs,
            ...(answer.status !== undefined ? { status: answer.status } : {}),
            message: answer.message,
          });
        },
      );
    },
  };
}

const commerceTestOpenApiPaths = {
  '/api/v1/shops/{shopId}/settings/commerce/test': {
    parameters: [pathParameter('shopId')],
    post: {
      summary:
        'Test the commerce backend (the given one, else the saved one): one signed GET /customers/kefu-connection-test, 3 s timeout (owners, editors)',
      description:
        'ok when it answers 200 or 404 with JSON (reachable, signature accepted). 401/403: the secret is probably wrong. ' +
        'The body is optional; message follows Accept-Language (zh-CN or en-US).',
      security: [{ shopApiKey: [] }, { adminToken: [] }, { sessionCookie: [] }],
      requestBody: { ...jsonRequest(commerceTestSchema), required: false },
      responses: {
        '200': {
          description: 'The result (also when the backend failed the test)',
          content: { 'application/json': { schema: requestSchema(commerceTestResponseSchema) } },
        },
        '400': errorResponse('Invalid fields: not an http(s) baseUrl, or no secret for a new baseUrl'),
        '401': errorResponse('Not signed in / no credentials'),
        '403': errorResponse('Another shop, ROLE_FORBIDDEN or CSRF_FAILED'),
      },
    },
  },
};

import express, { type NextFunction, type Request, type Response } from 'express';
import { type ZodType, ZodError } from 'zod';
import type { Logger } from 'pino';
import { KefuError, errors, isKefuError } from './errors';
import { safeEqual } from './identity';
import type { Agent } from './store/agents.repo';
import type { ShopUser, UserRole } from './store/users.repo';
import { CSRF_HEADER, isUnsafeMethod, sessionOf } from './auth/session';
import type { Shop } from './store/shops.repo';
import type { Store } from './store/store';

/** JSON bodies up to `limit`; a malformed body is a 400 INVALID_JSON, an oversized one a 413. */
export function jsonBody(limit = '256kb') {
  const types = ['application/json', 'application/*+json'];
  const parse = express.json({ limit, strict: true, type: types });
  // A form post or plain text would otherwise arrive as an empty body and fail as a vague 400.
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!req.is(types)) {
      next(
        new KefuError(
          'UNSUPPORTED_MEDIA_TYPE',
          'Send the body as JSON (Content-Type: application/json).',
          415,
        ),
      );
      return;
    }
    parse(req, res, next);
  };
}

const nulCharacter = (where: string) =>
  errors.badRequest(`${where} must not contain NUL characters.`, 'NUL_CHARACTER');

/** Whether any string (or key) in a parsed JSON value holds U+0000; iterative, for deeply nested bodies. */
export function hasNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return true;
    } else if (Array.isArray(v)) {
      for (const child of v) stack.push(child);
    } else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (k.includes('\u0000')) return true;
        stack.push(child);
      }
    }
  }
  return false;
}

/** A NUL in the path or the query string (`%00`) is refused before any route reads it. */
export function rejectNulInUrl(req: Request, _res: Response, next: NextFunction): void {
  const url = req.originalUrl;
  next(/%00/i.test(url) || url.includes('\u0000') ? nulCharacter('The URL') : undefined);
}

/** Validates `data` against a schema at the edge; the core never sees unvalidated input. */
export function parseInput<T>(schema: ZodType<T>, data: unknown): T {
  const result = schema.safeParse(data);
  if (!result.success) {
    const detail = result.error.issues
      .slice(0, 5)
      .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
      .join('; ');
    throw new KefuError('VALIDATION_FAILED', detail, 400);
  }
  // PostgreSQL text cannot hold U+0000: refused here, it would otherwise fail deep in a query as a 500.
  if (hasNul(result.data)) throw nulCharacter('The input');
  return result.data;
}

export function bearerToken(req: Request): string | undefined {
  const header = req.get('authorization');
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}

export interface AuthDeps {
  store: Store;
  adminToken: string;
}

export function isAdmin(deps: AuthDeps, req: Request): boolean {
  const token = bearerToken(req);
  return !!token && safeEqual(token, deps.adminToken);
}

/** The platform operator only. */
export function requireAdmin(deps: AuthDeps) {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!bearerToken(req)) throw errors.unauthorized();
    if (!isAdmin(deps, req)) throw errors.unauthorized('Invalid admin token.');
    next();
  };
}

/**
 * The shop named in the path, for its own API key (or the operator's token). A valid key of
 * another shop is a 403, never a look at this one.
 */
export function requireShopKey(deps: AuthDeps) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const shop = await authenticateShop(deps, req);
    if (!shop) throw errors.unauthorized();
    res.locals.shop = shop;
    next();
  };
}

/** Roles of the people who sign in to the merchant admin. */
export type ShopRole = UserRole;
/** Who may do what in the admin (the shop's API key and the operator's token may do all of it). */
export const ROLES = {
  owners: ['owner'],
  editors: ['owner', 'editor'],
  staff: ['owner', 'editor', 'agent'],
} as const satisfies Record<string, readonly ShopRole[]>;

/**
 * The shop named in the path, for its API key, the operator's token, or a signed-in admin user of
 * that shop whose role is one of `roles` (`res.locals.user` is then set). A cookie request that
 * changes something must carry the session's CSRF token.
 */
export function requireShopAccess(deps: AuthDeps, roles: readonly ShopRole[]) {
  return async (req: Request, res: Response, next: NextFunction) => {
    if (bearerToken(req) || req.get('authorization') !== undefined) {
      const shop = await authenticateShop(deps, req);
      if (!shop) throw errors.unauthorized();
      res.locals.shop = shop;
      return next();
    }
    const session = await sessionOf(deps.store, req);
    if (!session) throw errors.unauthorized('Sign in first.');
    if (session.user.shopId !== String(req.params.shopId)) throw errors.forbidden();
    if (isUnsafeMethod(req.method)) {
      const sent = req.get(CSRF_HEADER);
      if (!sent || !safeEqual(sent, session.csrfToken)) {
        throw errors.forbidden(
          'The request did not come from the Kefu admin (missing CSRF token).',
          'CSRF_FAILED',
        );
      }
    }
    if (!roles.includes(session.user.role)) {
      throw errors.forbidden('Your role may not do this.', 'ROLE_FORBIDDEN');
    }
    const shop = await deps.store.shops.findById(session.user.shopId);
    if (!shop) throw errors.notFound('Shop');
    res.locals.shop = shop;
    res.locals.user = session.user;
    next();
  };
}

/** The signed-in admin user, when the request came with a session cookie. */
export function userOf(res: Response): ShopUser | undefined {
  return res.locals.user as ShopUser | undefined;
}

/** The shop for the request's bearer credentials, or undefined when there are none. */
export async function authenticateShop(deps: AuthDeps, req: Request): Promise<Shop | undefined> {
  const token = bearerToken(req);
  if (!token) return undefined;
  const shopId = String(req.params.shopId);
  if (safeEqual(token, deps.adminToken)) {
    const shop = await deps.store.shops.findById(shopId);
    if (!shop) throw errors.notFound('Shop');
    return shop;
  }
  const shop = await deps.store.shops.findByApiKey(token);
  if (!shop) throw errors.unauthorized('Invalid API key.');
  if (shop.id !== shopId) throw errors.forbidden();
  return shop;
}

/**
 * The shop named in the path, for its API key, the operator's token, or the token of one of its
 * agents (`res.locals.agent` is then set). An agent of another shop is a 403.
 */
export function requireShopOrAgent(deps: AuthDeps) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const token = bearerToken(req);
    if (!token) throw errors.unauthorized();
    const shopId = String(req.params.shopId);
    const agent = token.startsWith('ag_') ? await deps.store.agents.findByToken(token) : undefined;
    if (agent) {
      if (agent.shopId !== shopId) throw errors.forbidden();
      const shop = await deps.store.shops.findById(shopId);
      if (!shop) throw errors.notFound('Shop');
      res.locals.shop = shop;
      res.locals.agent = agent;
      // Every request of an agent says they are at work (presence for routing and queue estimates).
      void deps.store.agents.touch(agent.id).catch(() => undefined);
      return next();
    }
    const shop = await authenticateShop(deps, req);
    if (!shop) throw errors.unauthorized();
    res.locals.shop = shop;
    next();
  };
}

/** The signed-in agent, when the request came with an agent's token. */
export function agentOf(res: Response): Agent | undefined {
  return res.locals.agent as Agent | undefined;
}

export function shopOf(res: Response): Shop {
  return res.locals.shop as Shop;
}

/** One error format for the whole API; never a stack trace. */
export function errorHandler(log: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const mapped = toKefuError(err);
    if (mapped.status >= 500) log.error({ err, method: req.method, path: req.path }, 'request failed');
    if (res.headersSent) return;
    if (mapped.retryAfterSeconds !== undefined) res.set('Retry-After', String(mapped.retryAfterSeconds));
    res.status(mapped.status).json({ error: { code: mapped.code, message: mapped.message } });
  };
}

function toKefuError(err: unknown): KefuError {
  if (isKefuError(err)) return err;
  if (err instanceof ZodError)
    return new KefuError('VALIDATION_FAILED', err.issues[0]?.message ?? 'invalid', 400);
  const e = err as { type?: string; status?: number };
  if (e?.type === 'entity.parse.failed') return errors.invalidJson();
  if (e?.type === 'entity.too.large') return errors.tooLarge('The request body is too large.');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
    return new KefuError('UNSUPPORTED_ENCODING', 'Bodies must be UTF-8 JSON.', 415);
  }
  // Defence in depth: a NUL that got past the edge checks is the client's input, not our failure.
  if (isNulDatabaseError(err)) return nulCharacter('The request');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return new KefuError('BAD_REQUEST', 'The request could not be read.', e.status);
  }
  // The database or Redis is down or restarting: the client may try again, and hears nothing more.
  if (isServiceDown(err))
    return new KefuError(
      'UNAVAILABLE',
      'The service is briefly unavailable; please try again.',
      503,
      true,
      1,
    );
  return new KefuError('INTERNAL', 'Something went wrong on our side; please try again.', 500, true);
}

// Network failures, PostgreSQL's connection exceptions (class 08), shutdown / starting up (57P0x) and
// "too many connections" (53300), pg-pool's and ioredis's own words for a lost or refused connection.
const DOWN_CODES = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|08\w{3}|57P0[123]|53300)$/;
const DOWN_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Connection is closed|Client has encountered a connection error|Stream isn't writeable)/;

/** A failure to reach the database or Redis (possibly wrapped by drizzle), not a fault of the request. */
function isServiceDown(err: unknown): boolean {
  for (
    let e = err as { code?: unknown; message?: unknown; name?: unknown; cause?: unknown } | undefined, i = 0;
    e && i < 4;
    i++
  ) {
    if (typeof e.code === 'string' && DOWN_CODES.test(e.code)) return true;
    if (e.name === 'MaxRetriesPerRequestError') return true;
    if (typeof e.message === 'string' && DOWN_MESSAGES.test(e.message)) return true;
    e = e.cause as typeof e;
  }
  return false;
}

/** PostgreSQL's refusal of U+0000 in text (22021) or in jsonb (22P05), possibly wrapped by drizzle. */
function isNulDatabaseError(err: unknown): boolean {
  for (
    let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, i = 0;
    e && i < 3;
    i++
  ) {
    const message = typeof e.message === 'string' ? e.message : '';
    if (e.code === '22P05' || (e.code === '22021' && message.includes('0x00'))) return true;
    e = e.cause as typeof e;
  }
  return false;
}

import { decoyHash, hashPassword, verifyPassword } from '../../bot/auth/password';
import {
  SESSION_TTL_MS,
  clearSessionCookie,
  sessionCookieOf,
  sessionOf,
  setSessionCookie,
} from '../../bot/auth/session';
import { errors } from '../../bot/errors';
import { safeEqual } from '../../bot/identity';
import { ROLES, jsonBody, parseInput, requireShopAccess, shopOf, userOf } from '../../bot/http';
import { errorResponse, jsonRequest, pathParameter, requestSchema } from '../../bot/openapi';
import type { Platform } from '../../bot/platform';
import type { HttpModule } from '../../bot/server';
import {
  newUserSchema,
  sessionResponseSchema,
  signInSchema,
  usersResponseSchema,
  userResponseSchema,
} from './auth.schemas';

/**
 * Sign-in for the people of a shop (owner, editor, agent) and the owners' user management. The
 * session lives in an HttpOnly cookie; the CSRF token it comes with goes back in X-CSRF-Token.
 */
export function createAuthApi(platform: Platform): HttpModule {
  const { store, log } = platform;
  const auth = { store, adminToken: platform.adminToken };
  const owners = requireShopAccess(auth, ROLES.owners);
  // Guessing passwords: after 10 failures for an address (or 50 from one client) one try a minute.
  // Only failures count, so a team signing in from one office is never locked out by success.
  const failedByEmail = platform.rateLimiter('sign-in-email', 10, 1 / 60);
  const failedByClient = platform.rateLimiter('sign-in-client', 50, 1 / 60);

  return {
    id: 'auth',
    openApiPaths: authOpenApiPaths,
    mount(app) {
      app.post('/api/v1/auth/sign-in', jsonBody('8kb'), async (req, res) => {
        const { email, password } = parseInput(signInSchema, req.body);
        const client = req.ip ?? '';
        const [emailAllowed, clientAllowed] = await Promise.all([
          failedByEmail.allows(email),
          failedByClient.allows(client),
        ]);
        if (!emailAllowed || !clientAllowed) throw errors.rateLimited();
        const user = await store.users.findForSignIn(email);
        // An unknown address costs one hash too, so timing does not tell which addresses exist.
        const ok = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
        if (!user || !ok) {
          await Promise.all([failedByEmail.take(email), failedByClient.take(client)]);
          log.info({ shopId: user?.shopId }, 'admin sign-in refused');
          throw errors.unauthorized('The e-mail or password is not right.', 'INVALID_CREDENTIALS');
        }
        const { passwordHash: _hash, ...profile } = user;
        const { cookie, csrfToken } = await store.users.createSession(profile, SESSION_TTL_MS);
        setSessionCookie(res, cookie, SESSION_TTL_MS);
        log.info({ shopId: user.shopId, userId: user.id }, 'admin signed in');
        res.json({ user: profile, csrfToken });
      });

      app.get('/api/v1/auth/session', async (req, res) => {
        const session = await sessionOf(store, req);
        if (!session) throw errors.unauthorized('Sign in first.');
        res.set('Cache-Control', 'no-store').json({ user: session.user, csrfToken: session.csrfToken });
      });

      app.post('/api/v1/auth/sign-out', async (req, res) => {
        const cookie = sessionCookieOf(req);
        const session = cookie ? await store.users.findSession(cookie) : undefined;
        // Signing out needs the CSRF token too: otherwise any page could sign a merchant out.
        if (session && !safeEqual(req.get('x-csrf-token') ?? '', session.csrfToken)) {
          throw errors.forbidden(
            'The request did not come from the Kefu admin (missing CSRF token).',
            'CSRF_FAILED',
          );
        }
        if (cookie) await store.users.deleteSession(cookie);
        clearSessionCookie(res);
        res.status(204).end();
      });

      app.get('/api/v1/shops/:shopId/users', owners, async (_req, res) => {
        res.json({ users: await store.users.list(shopOf(res).id) });
      });

      app.post('/api/v1/shops/:shopId/users', owners, jsonBody('8kb'), async (req, res) => {
        const input = parseInput(newUserSchema, req.body);
        const created = await store.users.create(shopOf(res).id, {
          email: input.email,
          name: input.name,
          role: input.role,
          passwordHash: await hashPassword(input.password),
        });
        if (!created) throw errors.conflict('Someone already signs in with this e-mail.', 'EMAIL_TAKEN');
        log.info(
          { shopId: created.shopId, userId: created.id, role: created.role, by: userOf(res)?.id },
          'admin user added',
        );
        res.status(201).json(created);
      });

      app.delete('/api/v1/shops/:shopId/users/:userId', owners, async (req, res) => {
        const shopId = shopOf(res).id;
        const userId = String(req.params.userId);
        const target = (await store.users.list(shopId)).find((u) => u.id === userId);
        if (!target) throw errors.notFound('User');
        // A shop without an owner could never add or remove anyone again.
        if (target.role === 'owner' && (await store.users.count(shopId, 'owner')) <= 1) {
          throw errors.conflict('This is the shop’s only owner; add another owner first.', 'LAST_OWNER');
        }
        await store.users.delete(shopId, userId);
        log.info({ shopId, userId, by: userOf(res)?.id }, 'admin user removed');
        res.status(204).end();
      });
    },
  };
}

/** A shop's first owner, created with the shop by the operator (POST /api/v1/shops `owner`). */
export async function createFirstOwner(
  platform: Platform,
  shopId: string,
  owner: { email: string; name: string; password: string },
) {
  const created = await platform.store.users.create(shopId, {
    email: owner.email,
    name: owner.name,
    role: 'owner',
    passwordHash: await hashPassword(owner.password),
  });
  if (!created) throw errors.conflict('Someone already signs in with this e-mail.', 'EMAIL_TAKEN');
  return created;
}

const cookieAuth = [{ sessionCookie: [] }];
const shopUsersAuth = [{ shopApiKey: [] }, { adminToken: [] }, { sessionCookie: [] }];
const json = (schema: Parameters<typeof requestSchema>[0]) => ({
  content: { 'application/json': { schema: requestSchema(schema) } },
});

const authOpenApiPaths = {
  '/api/v1/auth/sign-in': {
    post: {
      summary: 'Sign in to the merchant admin (sets the kefu_session cookie)',
      security: [],
      requestBody: jsonRequest(signInSchema),
      responses: {
        '200': {
          description: 'Signed in; send csrfToken as X-CSRF-Token on changes',
          ...json(sessionResponseSchema),
        },
        '400': errorResponse('Invalid fields'),
        '401': errorResponse('INVALID_CREDENTIALS'),
        '429': errorResponse('Too many attempts'),
      },
    },
  },
  '/api/v1/auth/session': {
    get: {
      summary: 'The signed-in user and their CSRF token',
      security: cookieAuth,
      responses: {
        '200': { description: 'Signed in', ...json(sessionResponseSchema) },
        '401': errorResponse('Not signed in'),
      },
    },
  },
  '/api/v1/auth/sign-out': {
    post: {
      summary: 'Sign out (ends the session)',
      security: cookieAuth,
      responses: { '204': { description: 'Signed out' }, '403': errorResponse('CSRF_FAILED') },
    },
  },
  '/api/v1/shops/{shopId}/users': {
    parameters: [pathParameter('shopId')],
    get: {
      summary: "The shop's admin users (owners)",
      security: shopUsersAuth,
      responses: {
        '200': { description: 'Users', ...json(usersResponseSchema) },
        '401': errorResponse('Not signed in'),
        '403': errorResponse('Another shop, or ROLE_FORBIDDEN'),
      },
    },
    post: {
      summary: 'Add an owner, editor or agent who signs in with e-mail and password (owners)',
      security: shopUsersAuth,
      requestBody: jsonRequest(newUserSchema),
      responses: {
        '201': { description: 'Added', ...json(userResponseSchema) },
        '400': errorResponse('Invalid fields'),
        '403': errorResponse('Another shop, ROLE_FORBIDDEN or CSRF_FAILED'),
        '409': errorResponse('EMAIL_TAKEN'),
      },
    },
  },
  '/api/v1/shops/{shopId}/users/{userId}': {
    parameters: [pathParameter('shopId'), pathParameter('userId')],
    delete: {
      summary: 'Remove a user and end their sessions (owners)',
      security: shopUsersAuth,
      responses: {
        '204': { description: 'Removed' },
        '403': errorResponse('Another shop, ROLE_FORBIDDEN or CSRF_FAILED'),
        '404': errorResponse('Unknown user'),
        '409': errorResponse('LAST_OWNER'),
      },
    },
  },
};

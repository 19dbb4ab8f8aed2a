import { z } from 'zod';
import { localeSchema } from '../../bot/activity';
import { errors } from '../../bot/errors';
import { ROLES, jsonBody, parseInput, requireShopAccess, shopOf } from '../../bot/http';
import { errorResponse, jsonRequest, pathParameter, requestSchema } from '../../bot/openapi';
import type { Platform } from '../../bot/platform';
import type { HttpModule } from '../../bot/server';

/** The test console's conversations: their own channel, so analytics and the conversation list leave them out. */
export const CONSOLE_CHANNEL = 'console';

const sessionId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, '8–64 letters, digits, _ or -');

export const consoleMessageSchema = z
  .object({
    text: z.string().max(2000).optional(),
    payload: z.string().max(500).optional(),
    locale: localeSchema.optional(),
    /** Omitted on the first message: the answer names the session to continue. */
    sessionId: sessionId.optional(),
  })
  .strict()
  .refine((m) => (m.text ?? '').trim() !== '' || m.payload !== undefined, 'text or payload is required');

export const consoleResetSchema = z.object({ sessionId }).strict();

const debugSchema = z.object({
  intent: z.string().nullable(),
  confidence: z.number().nullable(),
  entities: z.array(z.object({ type: z.string(), value: z.unknown() })),
  skill: z.string().nullable(),
  outcome: z.string().nullable(),
  unresolved: z.boolean(),
  knowledge: z.array(z.object({ id: z.string(), question: z.string().nullable(), score: z.number() })),
});
export const consoleResponseSchema = z.object({
  sessionId: z.string(),
  conversationId: z.string(),
  replies: z.array(z.object({ text: z.string() }).loose()),
  handoff: z.string(),
  debug: debugSchema,
});

interface StoredNlu {
  intent?: string;
  confidence?: number;
  entities?: { type: string; value: unknown }[];
  knowledge?: { id: string; score: number }[];
  route?: { skill: string; outcome: string; unresolved: boolean };
}

/**
 * The merchant's test console: chat with the shop's own bot through the real turn pipeline and see
 * what it understood, which skill answered and which knowledge entries it weighed.
 */
export function createConsoleApi(platform: Platform): HttpModule {
  const { store, turns } = platform;
  const editors = requireShopAccess({ store, adminToken: platform.adminToken }, ROLES.editors);
  const limiter = platform.rateLimiter('console', 30, 2);
  const userIdOf = (session: string) => `console:${session}`;

  return {
    id: 'console',
    openApiPaths: consoleOpenApiPaths,
    mount(app) {
      app.post('/api/v1/shops/:shopId/console/messages', editors, jsonBody('16kb'), async (req, res) => {
        const shop = shopOf(res);
        const input = parseInput(consoleMessageSchema, req.body);
        if (!(await limiter.take(shop.id))) throw errors.rateLimited();
        const session = input.sessionId ?? crypto.randomUUID().replaceAll('-', '');
        const result = await turns.handle({
          shopId: shop.id,
          channel: CONSOLE_CHANNEL,
          userId: userIdOf(session),
          verified: false,
          text: input.text,
          payload: input.payload,
          locale: input.locale,
        });
        // The route and the knowledge matches are stored with the user message; read them from there.
        const recent = await store.conversations.recentMessages(shop.id, result.conversationId, 20);
        const nlu = (recent.find((m) => m.id === result.userMessageId)?.nlu ?? {}) as StoredNlu;
        const matches = nlu.knowledge ?? [];
        const questions = matches.length
          ? new Map((await store.knowledge.list(shop.id)).map((e) => [e.id, e.question]))
          : new Map<string, string>();
        res.json({
          sessionId: session,
          conversationId: result.conversationId,
          replies: result.replies,
          handoff: result.handoff,
          debug: {
            intent: nlu.intent ?? null,
            confidence: nlu.confidence ?? null,
            entities: nlu.entities ?? [],
            skill: nlu.route?.skill ?? null,
            outcome: nlu.route?.outcome ?? null,
            unresolved: nlu.route?.unresolved ?? false,
            knowledge: matches.map((k) => ({
              id: k.id,
              question: questions.get(k.id) ?? null,
              score: k.score,
            })),
          },
        });
      });

      app.post('/api/v1/shops/:shopId/console/reset', editors, jsonBody('1kb'), async (req, res) => {
        const { sessionId: session } = parseInput(consoleResetSchema, req.body);
        await store.conversations.endOpen(shopOf(res).id, userIdOf(session));
        res.status(204).end();
      });
    },
  };
}

const security = [{ shopApiKey: [] }, { adminToken: [] }, { sessionCookie: [] }];
const consoleOpenApiPaths = {
  '/api/v1/shops/{shopId}/console/messages': {
    parameters: [pathParameter('shopId')],
    post: {
      summary: "Test console: one turn with the shop's bot, with what it understood (owners, editors)",
      security,
      requestBody: jsonRequest(consoleMessageSchema),
      responses: {
        '200': {
          description: 'The replies and the debug view of the turn',
          content: { 'application/json': { schema: requestSchema(consoleResponseSchema) } },
        },
        '400': errorResponse('Invalid fields'),
        '401': errorResponse('Not signed in'),
        '403': errorResponse('Another shop, ROLE_FORBIDDEN or CSRF_FAILED'),
        '429': errorResponse('Too many console messages'),
      },
    },
  },
  '/api/v1/shops/{shopId}/console/reset': {
    parameters: [pathParameter('shopId')],
    post: {
      summary: 'Test console: end the session so the next message starts afresh',
      security,
      requestBody: jsonRequest(consoleResetSchema),
      responses: { '204': { description: 'Ended' }, '400': errorResponse('Invalid fields') },
    },
  },
};

import { z } from 'zod';
import { errors } from '../../bot/errors';
import { ROLES, parseInput, requireShopAccess, shopOf } from '../../bot/http';
import { maskPersonalData } from '../../bot/log';
import { errorResponse, pathParameter, queryParameters, requestSchema } from '../../bot/openapi';
import type { Platform } from '../../bot/platform';
import type { HttpModule } from '../../bot/server';
import type { ConversationFilter, ConversationSummary } from '../../bot/store/conversations.repo';
import { CONSOLE_CHANNEL } from './console.routes';

const instant = z
  .string()
  .max(40)
  .refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO date or date-time')
  .transform((s) => new Date(s));

export const conversationsQuerySchema = z.object({
  /** createdAt ≥ from (ISO). */
  from: instant.optional(),
  /** createdAt < to (ISO). */
  to: instant.optional(),
  /** web, app, voice, mqtt, speaker, agents …; `console` shows the test console's conversations. */
  channel: z
    .string()
    .regex(/^[a-z0-9_-]{1,32}$/, 'a channel id')
    .optional(),
  /** yes: a person was asked for (any handoff); no: never. */
  handoff: z.enum(['yes', 'no']).optional(),
  /** true: at least one user turn the bot could not answer (no match, "did you mean", a failed turn). */
  unresolved: z.enum(['true', 'false']).optional(),
  /** Text a message contains (any case). */
  q: z.string().trim().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  /** The nextCursor of the previous page. */
  before: z.string().max(200).optional(),
});

const conversationSchema = z.object({
  id: z.string(),
  userId: z.string().describe('masked when it looks like a phone number'),
  verified: z.boolean(),
  channel: z.string(),
  locale: z.string().nullable(),
  status: z.enum(['open', 'ended']),
  createdAt: z.string(),
  lastActivityAt: z.string(),
  messageCount: z.number().int(),
  firstText: z.string().nullable(),
  handoff: z.object({ status: z.string(), reason: z.string(), tier: z.string() }).nullable(),
  unresolvedTurns: z.number().int(),
});
export const conversationsResponseSchema = z.object({
  conversations: z.array(conversationSchema),
  nextCursor: z.string().optional(),
});
export const transcriptResponseSchema = z.object({
  conversation: conversationSchema,
  messages: z.array(
    z.object({
      id: z.string(),
      role: z.enum(['user', 'bot', 'agent']),
      text: z.string().nullable(),
      payload: z.string().optional(),
      quickReplies: z.array(z.object({ title: z.string(), payload: z.string() })).optional(),
      card: z.record(z.string(), z.unknown()).optional(),
      createdAt: z.string(),
      nlu: z
        .object({
          intent: z.string().nullable(),
          confidence: z.number().nullable(),
          entities: z.array(z.object({ type: z.string(), value: z.unknown() })),
          route: z.object({ skill: z.string(), outcome: z.string(), unresolved: z.boolean() }).nullable(),
          knowledge: z.array(z.object({ id: z.string(), score: z.number() })),
        })
        .optional(),
    }),
  ),
  handoffs: z.array(
    z.object({
      id: z.string(),
      status: z.string(),
      reason: z.string(),
      tier: z.string(),
      assignedTo: z.string().nullable(),
      createdAt: z.string(),
      closedAt: z.string().nullable(),
    }),
  ),
});

/** The opaque keyset cursor: the last row's createdAt (to the microsecond) and id. */
function encodeCursor(c: ConversationSummary): string {
  return Buffer.from(`${c.cursorAt}|${c.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { at: string; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!at || !id || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?$/.test(at)) {
    throw errors.badRequest('before: not a cursor this API gave out.', 'VALIDATION_FAILED');
  }
  return { at, id };
}

function toView(c: ConversationSummary) {
  return {
    id: c.id,
    userId: maskPersonalData(c.userId),
    verified: c.verified,
    channel: c.channel,
    locale: c.locale,
    status: c.status,
    createdAt: c.createdAt.toISOString(),
    lastActivityAt: c.lastActivityAt.toISOString(),
    messageCount: c.messageCount,
    firstText: c.firstText,
    handoff: c.handoff,
    unresolvedTurns: c.unresolvedTurns,
  };
}

interface StoredNlu {
  intent?: string | null;
  confidence?: number | null;
  entities?: { type: string; value: unknown }[];
  knowledge?: { id: string; score: number }[];
  route?: { skill: string; outcome: string; unresolved: boolean };
}

/** The stored NLU of a user message, in the transcript's shape (route null when a person held the turn). */
function nluView(nlu: unknown) {
  const n = (nlu ?? {}) as StoredNlu;
  return {
    intent: n.intent ?? null,
    confidence: n.confidence ?? null,
    entities: n.entities ?? [],
    route: n.route ?? null,
    knowledge: n.knowledge ?? [],
  };
}

/**
 * The merchant's conversations: the list with its filters (channel, date, handoff, unanswered,
 * text) and one transcript with each turn's NLU and the handoffs. Owners, editors and agents.
 */
export function createConversationsApi(platform: Platform): HttpModule {
  const { store } = platform;
  const staff = requireShopAccess({ store, adminToken: platform.adminToken }, ROLES.staff);
  const fallbackSkill = platform.router.fallbackSkillId;

  return {
    id: 'conversations',
    openApiPaths: conversationsOpenApiPaths,
    mount(app) {
      app.get('/api/v1/shops/:shopId/conversations', staff, async (req, res) => {
        const query = parseInput(conversationsQuerySchema, req.query);
        const filter: ConversationFilter = {
          fallbackSkill,
          from: query.from,
          to: query.to,
          channel: query.channel,
          excludeChannel: CONSOLE_CHANNEL,
          handoff: query.handoff === undefined ? undefined : query.handoff === 'yes',
          unresolved: query.unresolved === undefined ? undefined : query.unresolved === 'true',
          q: query.q,
          before: query.before ? decodeCursor(query.before) : undefined,
          // One more than the page tells whether there is a next one.
          limit: query.limit + 1,
        };
        const rows = await store.conversations.listForAdmin(shopOf(res).id, filter);
        const page = rows.slice(0, query.limit);
        const last = page.at(-1);
        res.json({
          conversations: page.map(toView),
          ...(rows.length > query.limit && last ? { nextCursor: encodeCursor(last) } : {}),
        });
      });

      app.get('/api/v1/shops/:shopId/conversations/:conversationId', staff, async (req, res) => {
        const shopId = shopOf(res).id;
        const id = String(req.params.conversationId);
        const [conversation] = await store.conversations.listForAdmin(shopId, {
          id,
          fallbackSkill,
          limit: 1,
        });
        if (!conversation) throw errors.notFound('Conversation');
        const messages = await store.conversations.listMessages(shopId, id, { limit: 5000 });
        res.json({
          conversation: toView(conversation),
          messages: messages.map((m) => ({
            id: m.id,
            role: m.role,
            text: m.text,
            ...(m.payload ? { payload: m.payload } : {}),
            ...(m.quickReplies ? { quickReplies: m.quickReplies } : {}),
            ...(m.card ? { card: m.card } : {}),
            createdAt: m.createdAt,
            ...(m.role === 'user' && m.nlu ? { nlu: nluView(m.nlu) } : {}),
          })),
          handoffs: await store.conversations.handoffsOf(shopId, id),
        });
      });
    },
  };
}

const security = [{ shopApiKey: [] }, { adminToken: [] }, { sessionCookie: [] }];
const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema: requestSchema(schema) } } });
const conversationsOpenApiPaths = {
  '/api/v1/shops/{shopId}/conversations': {
    parameters: [pathParameter('shopId')],
    get: {
      summary:
        "The shop's conversations, newest first, filtered (owners, editors, agents); the test console's only with channel=console",
      security,
      parameters: queryParameters(conversationsQuerySchema),
      responses: {
        '200': {
          description: 'A page; nextCursor is the `before` of the next one',
          ...json(conversationsResponseSchema),
        },
        '400': errorResponse('Invalid parameters'),
        '401': errorResponse('Not signed in / no credentials'),
        '403': errorResponse('Another shop'),
      },
    },
  },
  '/api/v1/shops/{shopId}/conversations/{conversationId}': {
    parameters: [pathParameter('shopId'), pathParameter('conversationId')],
    get: {
      summary:
        'One transcript: every message with its NLU (user turns), and the handoffs (owners, editors, agents)',
      security,
      responses: {
        '200': { description: 'The transcript', ...json(transcriptResponseSchema) },
        '401': errorResponse('Not signed in / no credentials'),
        '403': errorResponse('Another shop'),
        '404': errorResponse('Unknown conversation'),
      },
    },
  },
};

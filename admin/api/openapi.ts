import { jsonRequest, requestSchema } from '../../bot/openapi';
import { createShopSchema } from './admin.schemas';
import {
  agentMessageSchema,
  approveSchema,
  byAgentSchema,
  createAgentSchema,
  resolveSchema,
  statusSchema,
  transferSchema,
} from './handoff.schemas';
import { settingsPatchSchema, settingsSchema } from '../../bot/settings';
/** The OpenAPI 3.1 description of the HTTP API (specs/http-api.md), served at /api/v1/openapi.json. */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const errorResponse = (description: string) => ({ description, ...json(ref('Error')) });
const shopId = { name: 'shopId', in: 'path', required: true, schema: { type: 'string' } };
const conversationId = { name: 'conversationId', in: 'path', required: true, schema: { type: 'string' } };
const shopKey = [{ shopApiKey: [] }, { adminToken: [] }];
const shopOrAgent = [...shopKey, { agentToken: [] }];
/** The merchant API: a program's key, or a signed-in admin user (cookie + X-CSRF-Token on changes). */
const shopAccess = [...shopKey, { sessionCookie: [] }];
const handoffId = { name: 'handoffId', in: 'path', required: true, schema: { type: 'string' } };
const conflict = (description: string) => ({ '409': errorResponse(description) });
const common = {
  '400': errorResponse('Malformed JSON or invalid fields'),
  '401': errorResponse('Missing or invalid credentials'),
  '403': errorResponse('Credentials of another shop'),
  '404': errorResponse('Unknown id'),
};

/** The document, with the rows the channel modules contribute (their `openApiPaths`). */
export function buildOpenApiDocument(extraPaths: Record<string, unknown> = {}) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Kefu HTTP API',
      version: '1.0.0',
      description: 'Multi-tenant customer-service bot platform. Errors are {"error": {"code", "message"}}.',
    },
    components: {
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: 'KEFU_ADMIN_TOKEN (platform operator)' },
        shopApiKey: { type: 'http', scheme: 'bearer', description: "The shop's apiKey" },
        sessionCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: 'kefu_session',
          description:
            'A merchant admin session (POST /api/v1/auth/sign-in); changes also need the X-CSRF-Token header',
        },
        agentToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'An agent token (POST …/agents): acts for that agent, in their shop only',
        },
        vxmlToken: {
          type: 'http',
          scheme: 'bearer',
          description: "The shop's channels.vxml.token (also accepted as ?token=) for VoiceXML IVR platforms",
        },
        botFrameworkJwt: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'A Bot Framework / Azure Bot Service token for the shop’s channels.agents.appId (required once an appId is set)',
        },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', example: 'VALIDATION_FAILED' },
                message: { type: 'string' },
              },
            },
          },
        },
        QuickReply: {
          type: 'object',
          required: ['title', 'payload'],
          properties: { title: { type: 'string' }, payload: { type: 'string' } },
        },
        Reply: {
          type: 'object',
          required: ['text'],
          properties: {
            text: { type: 'string' },
            quickReplies: { type: 'array', items: ref('QuickReply') },
            card: { type: 'object' },
          },
        },
        KnowledgeEntry: {
          type: 'object',
          required: ['locale', 'question', 'answer'],
          properties: {
            id: { type: 'string', description: 'optional stable id; an existing id is replaced' },
            locale: { type: 'string', example: 'zh-CN' },
            question: { type: 'string', maxLength: 500 },
            similar: { type: 'array', items: { type: 'string' } },
            answer: { type: 'string', maxLength: 5000 },
          },
        },
        // What PUT accepts and GET shows (secrets masked): the schema the route validates with.
        Settings: requestSchema(settingsSchema),
        Agent: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            shopId: { type: 'string' },
            name: { type: 'string' },
            tier: { enum: ['L1', 'L2', 'expert'] },
            languages: { type: 'array', items: { type: 'string' } },
            maxConcurrent: { type: 'integer' },
            status: { enum: ['online', 'away', 'offline'] },
            lastSeenAt: { type: ['string', 'null'], format: 'date-time' },
          },
        },
        Handoff: {
          type: 'object',
          required: ['id', 'conversationId', 'status', 'reason', 'tier', 'createdAt'],
          properties: {
            id: { type: 'string' },
            conversationId: { type: 'string' },
            userId: { type: 'string' },
            status: { enum: ['pending', 'assigned', 'transferred', 'resolved', 'expired'] },
            reason: {
              type: 'string',
              description:
                'customer_request | dtmf | low_confidence | negative_sentiment | refund_dispute | backend_failure | vip',
            },
            tier: { enum: ['L1', 'L2', 'expert'] },
            locale: { type: 'string' },
            assignedTo: { type: ['string', 'null'] },
            position: {
              type: 'integer',
              description: 'place in the queue of its tier and language (waiting only)',
            },
            notes: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  at: { type: 'string' },
                  agentId: { type: ['string', 'null'] },
                  fromTier: { type: 'string' },
                  toTier: { type: 'string' },
                  note: { type: 'string' },
                },
              },
            },
            queuedAt: { type: 'string', format: 'date-time' },
            assignedAt: { type: ['string', 'null'], format: 'date-time' },
            closedAt: { type: ['string', 'null'], format: 'date-time' },
            createdAt: { type: 'string', format: 'date-time' },
            updatedAt: { type: 'string', format: 'date-time' },
          },
        },
        Draft: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            conversationId: { type: 'string' },
            status: { enum: ['pending', 'sent', 'discarded'] },
            question: { type: ['string', 'null'] },
            replies: { type: 'array', items: ref('Reply') },
            decidedBy: { type: ['string', 'null'] },
            createdAt: { type: 'string', format: 'date-time' },
          },
        },
        Ticket: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            conversationId: { type: 'string' },
            userId: { type: 'string' },
            handoffId: { type: ['string', 'null'] },
            reason: { type: 'string' },
            message: {
              type: ['string', 'null'],
              description: "the customer's message, one line per message",
            },
            status: { enum: ['open', 'closed'] },
            closedBy: { type: ['string', 'null'] },
            createdAt: { type: 'string', format: 'date-time' },
          },
        },
        Message: {
          type: 'object',
          required: ['id', 'role', 'text', 'createdAt'],
          properties: {
            id: { type: 'string' },
            role: { enum: ['user', 'bot', 'agent'] },
            text: { type: ['string', 'null'] },
            payload: { type: 'string' },
            quickReplies: { type: 'array', items: ref('QuickReply') },
            card: { type: 'object' },
            createdAt: { type: 'string', format: 'date-time' },
          },
        },
      },
    },
    paths: {
      '/api/v1/openapi.json': {
        get: {
          summary: 'This document',
          security: [],
          responses: { '200': { description: 'OpenAPI 3.1 (JSON)' } },
        },
      },
      '/healthz': {
        get: { summary: 'Liveness', security: [], responses: { '200': { description: '{"status":"ok"}' } } },
      },
      '/readyz': {
        get: {
          summary: 'Readiness: the database (and Redis, when configured) answer',
          security: [],
          responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          security: [],
          responses: { '200': { description: 'text/plain' } },
        },
      },
      '/api/v1/shops': {
        post: {
          summary: 'Create a shop',
          security: [{ adminToken: [] }],
          requestBody: jsonRequest(createShopSchema),
          responses: {
            '201': {
              description: 'The apiKey and identitySecret are shown only here',
              ...json({
                type: 'object',
                properties: {
                  id: { type: 'string' },
                  apiKey: { type: 'string' },
                  identitySecret: { type: 'string' },
                  owner: { type: 'object', description: 'The first admin user, when one was given' },
                },
              }),
            },
            '400': common['400'],
            '401': common['401'],
            '409': errorResponse('EMAIL_TAKEN: the owner e-mail signs in elsewhere'),
          },
        },
      },
      '/api/v1/shops/{shopId}/settings': {
        parameters: [shopId],
        get: {
          summary: 'Read settings',
          security: shopAccess,
          responses: { '200': json(ref('Settings')), ...common },
        },
        put: {
          summary: 'Merge-update settings',
          description:
            'Objects merge key by key, other values replace, and null removes a field or section ' +
            '(it falls back to its default). A field required inside its section cannot be null alone.',
          security: shopAccess,
          requestBody: jsonRequest(settingsPatchSchema),
          responses: {
            '200': { description: 'The whole settings object', ...json(ref('Settings')) },
            ...common,
          },
        },
      },
      '/api/v1/shops/{shopId}/publish': {
        parameters: [shopId],
        post: {
          summary: "Retrain the shop's NLU and re-index its knowledge",
          security: shopAccess,
          responses: {
            '202': {
              description: 'queued',
              ...json({ type: 'object', properties: { jobId: { type: 'string' } } }),
            },
            ...common,
          },
        },
      },
      '/api/v1/shops/{shopId}/jobs/{jobId}': {
        parameters: [shopId, { name: 'jobId', in: 'path', required: true, schema: { type: 'string' } }],
        get: {
          summary: 'Job state',
          security: shopAccess,
          responses: {
            '200': {
              description: 'state',
              ...json({
                type: 'object',
                properties: {
                  state: { enum: ['queued', 'running', 'done', 'failed'] },
                  progress: { type: 'number' },
                  error: { type: 'string' },
                },
              }),
            },
            ...common,
          },
        },
      },
      '/api/v1/shops/{shopId}/agents': {
        parameters: [shopId],
        post: {
          summary: 'Create an agent (shop key); the token is shown once',
          security: shopKey,
          requestBody: jsonRequest(createAgentSchema),
          responses: {
            '201': {
              description: 'The agent and its token',
              ...json({
                allOf: [ref('Agent'), { type: 'object', properties: { token: { type: 'string' } } }],
              }),
            },
            ...common,
          },
        },
        get: {
          summary: 'Agents, with their current load (`active`)',
          security: shopOrAgent,
          responses: {
            '200': {
              description: 'agents',
              ...json({ type: 'object', properties: { agents: { type: 'array', items: ref('Agent') } } }),
            },
            ...common,
          },
        },
      },
      '/api/v1/agents/me': {
        get: {
          summary: 'The agent of the token (the workspace signs in with it)',
          security: [{ agentToken: [] }],
          responses: { '200': { description: 'agent', ...json(ref('Agent')) }, '401': common['401'] },
        },
      },
      '/api/v1/shops/{shopId}/agents/{agentId}': {
        parameters: [shopId, { name: 'agentId', in: 'path', required: true, schema: { type: 'string' } }],
        delete: {
          summary:
            'Remove an agent: the token stops working; their conversations go back to the queue with a note',
          security: shopKey,
          responses: { '204': { description: 'removed' }, ...common },
        },
      },
      '/api/v1/shops/{shopId}/agents/{agentId}/status': {
        parameters: [shopId, { name: 'agentId', in: 'path', required: true, schema: { type: 'string' } }],
        put: {
          summary: 'Presence: online agents are routed work and counted in queue estimates',
          security: shopOrAgent,
          requestBody: jsonRequest(statusSchema),
          responses: { '200': { description: 'agent', ...json(ref('Agent')) }, ...common },
        },
      },
      '/api/v1/shops/{shopId}/handoffs': {
        parameters: [
          shopId,
          {
            name: 'status',
            in: 'query',
            schema: { enum: ['pending', 'assigned', 'transferred', 'resolved', 'expired', 'queue', 'open'] },
            description: 'queue = pending + transferred; open (default) = queue + assigned',
          },
          { name: 'agentId', in: 'query', schema: { type: 'string' } },
          {
            name: 'limit',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 1000, default: 200 },
          },
        ],
        get: {
          summary: 'Handoffs; waiting ones oldest first, with their queue position',
          security: shopOrAgent,
          responses: {
            '200': {
              description: 'handoffs',
              ...json({ type: 'object', properties: { handoffs: { type: 'array', items: ref('Handoff') } } }),
            },
            ...common,
          },
        },
      },
      '/api/v1/shops/{shopId}/handoffs/next': {
        parameters: [shopId],
        post: {
          summary:
            'Take the oldest waiting handoff the agent may serve (own tier first, then the tiers below)',
          security: shopOrAgent,
          requestBody: jsonRequest(byAgentSchema),
          responses: {
            '200': { description: 'assigned', ...json(ref('Handoff')) },
            '204': { description: 'nothing waits for this agent' },
            ...common,
            ...conflict('AGENT_AT_CAPACITY'),
          },
        },
      },
      '/api/v1/shops/{shopId}/handoffs/{handoffId}': {
        parameters: [shopId, handoffId],
        get: {
          summary: 'One handoff',
          security: shopOrAgent,
          responses: { '200': { description: 'handoff', ...json(ref('Handoff')) }, ...common },
        },
      },
      '/api/v1/shops/{shopId}/handoffs/{handoffId}/assign': {
        parameters: [shopId, handoffId],
        post: {
          summary: 'Take a handoff; atomic — of agents taking it at once, one gets 200, the others 409',
          security: shopOrAgent,
          requestBody: jsonRequest(byAgentSchema),
          responses: {
            '200': { description: 'assigned', ...json(ref('Handoff')) },
            ...common,
            '403': errorResponse('AGENT_NOT_ELIGIBLE: tier or language does not fit'),
            ...conflict('HANDOFF_TAKEN, AGENT_AT_CAPACITY or ILLEGAL_TRANSITION'),
          },
        },
      },
      '/api/v1/shops/{shopId}/handoffs/{handoffId}/transfer': {
        parameters: [shopId, handoffId],
        post: {
          summary:
            'assigned → transferred: back in the queue for another tier; the note is kept, the transcript stays',
          security: shopOrAgent,
          requestBody: jsonRequest(transferSchema),
          responses: {
            '200': { description: 'transferred', ...json(ref('Handoff')) },
            ...common,
            ...conflict('ILLEGAL_TRANSITION or NOT_ASSIGNED_TO_YOU'),
          },
        },
      },
      '/api/v1/shops/{shopId}/handoffs/{handoffId}/resolve': {
        parameters: [shopId, handoffId],
        post: {
          summary:
            'Resolve; returnToBot hands the conversation back to the bot with a clean dialogue, otherwise it ends',
          security: shopOrAgent,
          requestBody: jsonRequest(resolveSchema),
          responses: {
            '200': { description: 'resolved', ...json(ref('Handoff')) },
            ...common,
            ...conflict('ILLEGAL_TRANSITION or NOT_ASSIGNED_TO_YOU'),
          },
        },
      },
      '/api/v1/shops/{shopId}/conversations/{conversationId}/context': {
        parameters: [shopId, conversationId],
        get: {
          summary:
            "What the agent needs: transcript with each turn's NLU, reason, profile and trust tier, recent orders, a summary",
          security: shopOrAgent,
          responses: {
            '200': {
              description: 'context',
              ...json({
                type: 'object',
                properties: {
                  conversation: { type: 'object' },
                  handoff: { oneOf: [ref('Handoff'), { type: 'null' }] },
                  reason: { type: ['string', 'null'] },
                  reasonText: { type: ['string', 'null'] },
                  profile: {
                    type: 'object',
                    properties: {
                      userId: { type: 'string' },
                      verified: { type: 'boolean' },
                      name: { type: 'string' },
                      tier: { type: 'integer' },
                    },
                  },
                  recentOrders: {
                    type: 'array',
                    items: { type: 'object' },
                    description: 'verified customers only',
                  },
                  summary: { type: 'string' },
                  transcript: { type: 'array', items: ref('Message') },
                  warnings: { type: 'array', items: { type: 'string' } },
                },
              }),
            },
            ...common,
          },
        },
      },
      '/api/v1/shops/{shopId}/conversations/{conversationId}/suggestions': {
        parameters: [shopId, conversationId],
        get: {
          summary:
            "蜂槽: replies for the customer's latest question, from the shop's knowledge and earlier agent answers, ranked",
          security: shopOrAgent,
          responses: {
            '200': {
              description: 'suggestions',
              ...json({
                type: 'object',
                properties: {
                  question: { type: 'string' },
                  suggestions: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: {
                        text: { type: 'string' },
                        source: { enum: ['knowledge', 'agent'] },
                        score: { type: 'number' },
                      },
                    },
                  },
                },
              }),
            },
            ...common,
          },
        },
      },
      '/api/v1/shops/{shopId}/conversations/{conversationId}/agent-messages': {
        parameters: [shopId, conversationId],
        post: {
          summary: "An agent's reply; reaches the customer in the widget and over SSE",
          security: shopOrAgent,
          requestBody: jsonRequest(agentMessageSchema),
          responses: {
            '201': {
              description: 'sent',
              ...json({ type: 'object', properties: { message: ref('Message') } }),
            },
            ...common,
            ...conflict('NOT_ASSIGNED_TO_YOU'),
          },
        },
      },
      '/api/v1/shops/{shopId}/drafts': {
        parameters: [
          shopId,
          { name: 'status', in: 'query', schema: { enum: ['pending', 'sent', 'discarded'] } },
        ],
        get: {
          summary: "Assist mode: the bot's drafted answers",
          security: shopOrAgent,
          responses: {
            '200': {
              description: 'drafts',
              ...json({ type: 'object', properties: { drafts: { type: 'array', items: ref('Draft') } } }),
            },
            ...common,
          },
        },
      },
      '/api/v1/shops/{shopId}/drafts/{draftId}/approve': {
        parameters: [shopId, { name: 'draftId', in: 'path', required: true, schema: { type: 'string' } }],
        post: {
          summary: 'Send a draft as written, or edited (`text`); once only',
          security: shopOrAgent,
          requestBody: jsonRequest(approveSchema),
          responses: {
            '200': { description: 'sent', ...json(ref('Draft')) },
            ...common,
            ...conflict('DRAFT_DECIDED'),
          },
        },
      },
      '/api/v1/shops/{shopId}/drafts/{draftId}/discard': {
        parameters: [shopId, { name: 'draftId', in: 'path', required: true, schema: { type: 'string' } }],
        post: {
          summary: 'Drop a draft',
          security: shopOrAgent,
          requestBody: jsonRequest(byAgentSchema),
          responses: {
            '200': { description: 'discarded', ...json(ref('Draft')) },
            ...common,
            ...conflict('DRAFT_DECIDED'),
          },
        },
      },
      '/api/v1/shops/{shopId}/tickets': {
        parameters: [shopId, { name: 'status', in: 'query', schema: { enum: ['open', 'closed'] } }],
        get: {
          summary: 'Messages customers left when nobody was online (or a handoff expired)',
          security: shopOrAgent,
          responses: {
            '200': {
              description: 'tickets',
              ...json({ type: 'object', properties: { tickets: { type: 'array', items: ref('Ticket') } } }),
            },
            ...common,
          },
        },
      },
      '/api/v1/shops/{shopId}/tickets/{ticketId}/close': {
        parameters: [shopId, { name: 'ticketId', in: 'path', required: true, schema: { type: 'string' } }],
        post: {
          summary: 'Close a ticket',
          security: shopOrAgent,
          requestBody: jsonRequest(byAgentSchema),
          responses: {
            '200': { description: 'closed', ...json(ref('Ticket')) },
            ...common,
            ...conflict('TICKET_CLOSED'),
          },
        },
      },
      '/api/v1/shops/{shopId}/agent-events': {
        parameters: [shopId],
        get: {
          summary:
            'Server-Sent Events for the workspace: handoff (Handoff), message ({conversationId, message}) for conversations with an open handoff, draft (Draft), ticket (Ticket)',
          security: shopOrAgent,
          responses: { '200': { description: 'text/event-stream' }, ...common },
        },
      },
      ...extraPaths,
    },
  };
}

/** The OpenAPI 3.1 description of the HTTP API (specs/http-api.md), served at /api/v1/openapi.json. */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const errorResponse = (description: string) => ({ description, ...json(ref('Error')) });
const shopId = { name: 'shopId', in: 'path', required: true, schema: { type: 'string' } };
const conversationId = { name: 'conversationId', in: 'path', required: true, schema: { type: 'string' } };
const userQuery = [
  {
    name: 'userId',
    in: 'query',
    schema: { type: 'string' },
    description: 'with userHash, instead of the API key',
  },
  { name: 'userHash', in: 'query', schema: { type: 'string' } },
];
const shopKey = [{ shopApiKey: [] }, { adminToken: [] }];
const common = {
  '400': errorResponse('Malformed JSON or invalid fields'),
  '401': errorResponse('Missing or invalid credentials'),
  '403': errorResponse('Credentials of another shop'),
  '404': errorResponse('Unknown id'),
};

export const openApiDocument = {
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
      Settings: {
        type: 'object',
        description: 'Merge-updated; secrets come back masked.',
        properties: {
          profile: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              greeting: { type: 'object', additionalProperties: { type: 'string' } },
            },
          },
          returnAddress: {
            type: 'object',
            properties: { name: { type: 'string' }, phone: { type: 'string' }, address: { type: 'string' } },
          },
          commerce: {
            oneOf: [
              { type: 'object', properties: { type: { const: 'demo' } } },
              {
                type: 'object',
                properties: {
                  type: { const: 'http' },
                  baseUrl: { type: 'string' },
                  secret: { type: 'string' },
                  timeoutMs: { type: 'integer' },
                },
              },
            ],
          },
          fastRefund: {
            type: 'object',
            properties: { minTier: { type: 'integer' }, maxAmount: { type: 'number' } },
          },
          handoff: {
            type: 'object',
            properties: {
              confidenceThreshold: { type: 'number' },
              lowConfidenceTurns: { type: 'integer' },
              autoAssign: { type: 'boolean' },
            },
          },
          mode: { enum: ['auto', 'assist'] },
          businessHours: {
            type: 'object',
            properties: {
              timezone: { type: 'string' },
              days: { type: 'array', items: { type: 'integer' } },
              open: { type: 'string' },
              close: { type: 'string' },
            },
          },
          channels: { type: 'object' },
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
    '/healthz': { get: { summary: 'Liveness', responses: { '200': { description: '{"status":"ok"}' } } } },
    '/readyz': {
      get: {
        summary: 'Readiness: the database (and Redis, when configured) answer',
        responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } },
      },
    },
    '/metrics': {
      get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text/plain' } } },
    },
    '/api/v1/shops': {
      post: {
        summary: 'Create a shop',
        security: [{ adminToken: [] }],
        requestBody: json({
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string' }, locales: { type: 'array', items: { type: 'string' } } },
        }),
        responses: {
          '201': {
            description: 'The apiKey and identitySecret are shown only here',
            ...json({
              type: 'object',
              properties: {
                id: { type: 'string' },
                apiKey: { type: 'string' },
                identitySecret: { type: 'string' },
              },
            }),
          },
          '400': common['400'],
          '401': common['401'],
        },
      },
    },
    '/api/v1/shops/{shopId}/settings': {
      parameters: [shopId],
      get: {
        summary: 'Read settings',
        security: shopKey,
        responses: { '200': json(ref('Settings')), ...common },
      },
      put: {
        summary: 'Merge-update settings',
        security: shopKey,
        requestBody: json(ref('Settings')),
        responses: {
          '200': { description: 'The whole settings object', ...json(ref('Settings')) },
          ...common,
        },
      },
    },
    '/api/v1/shops/{shopId}/knowledge': {
      parameters: [shopId],
      get: {
        summary: 'List knowledge entries',
        security: shopKey,
        responses: {
          '200': {
            description: 'entries',
            ...json({
              type: 'object',
              properties: { entries: { type: 'array', items: ref('KnowledgeEntry') } },
            }),
          },
          ...common,
        },
      },
      post: {
        summary: 'Upsert knowledge entries',
        security: shopKey,
        requestBody: json({
          type: 'object',
          properties: { entries: { type: 'array', items: ref('KnowledgeEntry') } },
        }),
        responses: {
          '200': {
            description: 'upserted',
            ...json({ type: 'object', properties: { upserted: { type: 'integer' } } }),
          },
          ...common,
        },
      },
    },
    '/api/v1/shops/{shopId}/knowledge/{entryId}': {
      parameters: [shopId, { name: 'entryId', in: 'path', required: true, schema: { type: 'string' } }],
      delete: {
        summary: 'Delete an entry',
        security: shopKey,
        responses: { '204': { description: 'deleted' }, ...common },
      },
    },
    '/api/v1/shops/{shopId}/publish': {
      parameters: [shopId],
      post: {
        summary: "Retrain the shop's NLU and re-index its knowledge",
        security: shopKey,
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
        security: shopKey,
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
    '/api/v1/shops/{shopId}/messages': {
      parameters: [shopId],
      post: {
        summary: "A customer's message (no apiKey: called by the shop's page or app)",
        requestBody: json({
          type: 'object',
          required: ['userId'],
          properties: {
            userId: { type: 'string' },
            userHash: { type: 'string', description: 'hex HMAC-SHA256(identitySecret, userId)' },
            text: { type: 'string', description: 'at most 2,000 code points' },
            payload: { type: 'string' },
            locale: { type: 'string' },
            clientMessageId: { type: 'string', description: 'a repeat returns the first answer' },
          },
        }),
        responses: {
          '200': {
            description: 'The turn',
            ...json({
              type: 'object',
              properties: {
                conversationId: { type: 'string' },
                replies: { type: 'array', items: ref('Reply') },
                nlu: {
                  type: 'object',
                  properties: {
                    intent: { type: ['string', 'null'] },
                    confidence: { type: 'number' },
                    entities: { type: 'array', items: { type: 'object' } },
                  },
                },
                handoff: { enum: ['none', 'queued', 'agent'] },
              },
            }),
          },
          '400': common['400'],
          '401': errorResponse('Bad userHash'),
          '404': common['404'],
          '413': errorResponse('text over 2,000 characters'),
          '429': errorResponse('Rate limited'),
        },
      },
    },
    '/api/v1/shops/{shopId}/conversations/{conversationId}/messages': {
      parameters: [
        shopId,
        conversationId,
        { name: 'after', in: 'query', schema: { type: 'string' } },
        ...userQuery,
      ],
      get: {
        summary: 'Conversation history (shop apiKey, or the conversation’s own user)',
        security: [...shopKey, {}],
        responses: {
          '200': {
            description: 'messages',
            ...json({ type: 'object', properties: { messages: { type: 'array', items: ref('Message') } } }),
          },
          ...common,
        },
      },
    },
    '/api/v1/shops/{shopId}/conversations/{conversationId}/events': {
      parameters: [shopId, conversationId, ...userQuery],
      get: {
        summary: 'Server-Sent Events of new messages (event: message, data: Message); honours Last-Event-ID',
        security: [...shopKey, {}],
        responses: { '200': { description: 'text/event-stream' }, ...common },
      },
    },
    '/channels/web/{shopId}/ws': {
      parameters: [shopId],
      get: {
        summary: 'Web chat widget WebSocket (see channels/web/protocol.ts)',
        responses: { '101': { description: 'upgrade' } },
      },
    },
  },
};

import { errorResponse, jsonRequest, pathParameter, queryParameters, schemaRef } from '../../bot/openapi';
import { historyQuerySchema, postMessageSchema } from './protocol';

const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const shopId = pathParameter('shopId');
const conversationId = pathParameter('conversationId');
const shopKeyOrUser = [{ shopApiKey: [] }, { adminToken: [] }, {}];
const common = {
  '400': errorResponse('Malformed JSON or invalid fields'),
  '401': errorResponse('Missing or invalid credentials'),
  '403': errorResponse('Credentials of another shop'),
  '404': errorResponse('Unknown id'),
};

/** The app channel's rows of the OpenAPI document (specs/http-api.md: messages, history, events). */
export const appOpenApiPaths = {
  '/api/v1/shops/{shopId}/messages': {
    parameters: [shopId],
    post: {
      summary:
        "A customer's message (no API key needed: called by the shop's page or app; a key that is sent must be valid)",
      security: shopKeyOrUser,
      requestBody: jsonRequest(postMessageSchema),
      responses: {
        '200': {
          description: 'The turn',
          ...json({
            type: 'object',
            properties: {
              conversationId: { type: 'string' },
              userMessageId: {
                type: 'string',
                description: 'the stored user message (page history with `after`)',
              },
              replies: { type: 'array', items: schemaRef('Reply') },
              nlu: {
                type: ['object', 'null'],
                properties: {
                  intent: { type: ['string', 'null'] },
                  confidence: { type: 'number' },
                  entities: { type: 'array', items: { type: 'object' } },
                },
              },
              handoff: { enum: ['none', 'queued', 'agent'] },
              draftId: { type: 'string', description: 'assist mode: the answer waits for an agent' },
            },
          }),
        },
        '400': common['400'],
        '401': errorResponse('Bad userHash, or an Authorization header that is not a valid key'),
        '403': errorResponse("Another shop's API key"),
        '404': common['404'],
        '413': errorResponse('text over 2,000 characters'),
        '415': errorResponse('The body is not JSON'),
        '429': errorResponse('Rate limited'),
      },
    },
  },
  '/api/v1/shops/{shopId}/conversations/{conversationId}/messages': {
    parameters: [shopId, conversationId, ...queryParameters(historyQuerySchema)],
    get: {
      summary: 'Conversation history (shop apiKey, or the conversation’s own user with userId + userHash)',
      security: shopKeyOrUser,
      responses: {
        '200': {
          description: 'messages',
          ...json({
            type: 'object',
            properties: { messages: { type: 'array', items: schemaRef('Message') } },
          }),
        },
        ...common,
      },
    },
  },
  '/api/v1/shops/{shopId}/conversations/{conversationId}/events': {
    parameters: [
      shopId,
      conversationId,
      ...queryParameters(historyQuerySchema.omit({ after: true })),
      { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' } },
    ],
    get: {
      summary:
        'Server-Sent Events of new messages (event: message, data: Message); resumes after Last-Event-ID',
      security: shopKeyOrUser,
      responses: { '200': { description: 'text/event-stream' }, ...common },
    },
  },
};

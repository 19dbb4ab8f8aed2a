import type { Request, Response } from 'express';
import { checkTextLength } from '../../bot/activity';
import { errors } from '../../bot/errors';
import { ConversationFollower } from '../../bot/follower';
import { authenticateShop, jsonBody, parseInput } from '../../bot/http';
import { verifyUserHash } from '../../bot/identity';
import type { Platform } from '../../bot/platform';
import type { HttpModule } from '../../bot/server';
import type { Conversation, StoredMessage } from '../../bot/store/conversations.repo';
import { appOpenApiPaths } from './openapi';
import { historyQuerySchema, postMessageSchema } from './protocol';

const SSE_HEARTBEAT_MS = 15_000;

/**
 * The app / REST channel: a shop's page or app posts its customers' messages and reads the
 * conversation back (history, or live over Server-Sent Events — agent replies arrive that way).
 */
export function createAppChannel(platform: Platform): HttpModule {
  const { store, turns } = platform;
  const auth = { store, adminToken: platform.adminToken };
  const streams = new Set<Response>();
  const { burst, perSecond } = platform.config.rateLimit;
  const limiter = platform.rateLimiter('app', burst, perSecond);

  /** The conversation, for the shop's API key or for its own verified user. */
  async function authorizeConversation(req: Request): Promise<Conversation> {
    const shopId = String(req.params.shopId);
    const conversationId = String(req.params.conversationId);
    const query = parseInput(historyQuerySchema, req.query);
    const shopByKey = await authenticateShop(auth, req);
    if (shopByKey) {
      const conversation = await store.conversations.findById(shopByKey.id, conversationId);
      if (!conversation) throw errors.notFound('Conversation');
      return conversation;
    }
    if (!query.userId || !query.userHash)
      throw errors.unauthorized('Send the shop API key, or userId and userHash.');
    const shop = await store.shops.findById(shopId);
    if (!shop || !verifyUserHash(shop.identitySecret, query.userId, query.userHash)) {
      throw errors.unauthorized('Invalid userHash.', 'INVALID_USER_HASH');
    }
    const conversation = await store.conversations.findById(shop.id, conversationId);
    // Someone else's conversation looks exactly like a missing one.
    if (!conversation || conversation.userId !== query.userId) throw errors.notFound('Conversation');
    return conversation;
  }

  return {
    id: 'app',
    openApiPaths: appOpenApiPaths,
    mount(app) {
      app.post('/api/v1/shops/:shopId/messages', jsonBody('64kb'), async (req, res) => {
        // The endpoint is open to a shop's pages, but credentials that are sent must be right: a
        // program with a wrong or revoked key hears so instead of chatting anonymously.
        if (req.get('authorization') !== undefined && !(await authenticateShop(auth, req))) {
          throw errors.unauthorized('The Authorization header must be "Bearer <API key>".');
        }
        const body = parseInput(postMessageSchema, req.body);
        checkTextLength(body.text);
        // The cached shop (a turn reads it anyway): a shop row never changes after it is created.
        const shop = (await platform.shops.get(String(req.params.shopId)))?.shop;
        if (!shop) throw errors.notFound('Shop');
        // The bucket is below one token: the next one is at most 1 / perSecond away.
        if (!(await limiter.take(`${shop.id}:${body.userId}`)))
          throw errors.rateLimited(Math.ceil(1 / platform.config.rateLimit.perSecond));
        let verified = false;
        if (body.userHash !== undefined) {
          if (!verifyUserHash(shop.identitySecret, body.userId, body.userHash)) {
            throw errors.unauthorized('userHash does not match userId.', 'INVALID_USER_HASH');
          }
          verified = true;
        }
        // An anonymous caller naming a verified customer's userId is refused by the turn itself
        // (INVALID_USER_HASH); its retry ids live apart, so it cannot read back their answers either.
        const result = await turns.handle({
          shopId: shop.id,
          channel: 'app',
          userId: body.userId,
          verified,
          text: body.text,
          payload: body.payload,
          locale: body.locale,
          dedupKey: body.clientMessageId
            ? `${verified ? 'app' : 'app-anon'}:${body.userId}:${body.clientMessageId}`
            : undefined,
        });
        res.json(result);
      });

      app.get('/api/v1/shops/:shopId/conversations/:conversationId/messages', async (req, res) => {
        const conversation = await authorizeConversation(req);
        const after = typeof req.query.after === 'string' ? req.query.after : undefined;
        const messages = await store.conversations.listMessages(conversation.shopId, conversation.id, {
          afterId: after,
        });
        res.json({ conversationId: conversation.id, messages });
      });

      app.get('/api/v1/shops/:shopId/conversations/:conversationId/events', async (req, res) => {
        const conversation = await authorizeConversation(req);
        // Subscribed before the 200: when the event bus is down (Redis away) the client gets a clean
        // 503 to retry, not an open stream that never carries anything.
        let open = false;
        const early: StoredMessage[] = [];
        const send = (message: StoredMessage) =>
          res.write(`id: ${message.id}\nevent: message\ndata: ${JSON.stringify(message)}\n\n`);
        // Live messages, and after a reconnect everything since the client's Last-Event-ID.
        const lastEventId = req.get('last-event-id');
        const follower = new ConversationFollower(platform, conversation.shopId, (message) => {
          if (open) send(message);
          else early.push(message);
        });
        try {
          await follower.follow(conversation.id, lastEventId ? { after: lastEventId } : 'none');
        } catch (err) {
          follower.close();
          throw err;
        }
        res.writeHead(200, {
          'Content-Type': 'text/event-stream; charset=utf-8',
          'Cache-Control': 'no-cache, no-transform',
          Connection: 'keep-alive',
          'X-Accel-Buffering': 'no',
        });
        res.write('retry: 3000\n\n');
        open = true;
        for (const message of early) send(message);

        const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), SSE_HEARTBEAT_MS);
        streams.add(res);
        const cleanup = () => {
          clearInterval(heartbeat);
          follower.close();
          streams.delete(res);
        };
        req.on('close', cleanup);
        res.on('error', cleanup);
      });
    },
    async close() {
      for (const res of streams) res.end();
      streams.clear();
    },
  };
}

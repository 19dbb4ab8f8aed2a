import { z } from 'zod';
import { cardSchema, localeSchema, quickReplySchema, roleSchema } from '../../bot/activity';

/**
 * The web chat WebSocket protocol, `/channels/web/:shopId/ws`. One JSON object per frame.
 * The widget imports only the types from here (type imports are erased from its bundle).
 */

/** The widget's own id for a message it sends: resending it after a reconnect runs the turn once. */
export const clientMessageIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a client message id');

export const clientFrameSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('message'),
    id: clientMessageIdSchema,
    // Length is checked after parsing, so an over-long text gets its own error code.
    text: z.string().optional(),
    payload: z.string().min(1).max(500).optional(),
    locale: localeSchema.optional(),
  }),
  z.object({ type: z.literal('ping') }),
]);
export type ClientFrame = z.infer<typeof clientFrameSchema>;
export type ClientMessageFrame = Extract<ClientFrame, { type: 'message' }>;

export const wireMessageSchema = z.object({
  id: z.string(),
  role: roleSchema,
  text: z.string(),
  quickReplies: z.array(quickReplySchema).optional(),
  card: cardSchema.optional(),
  createdAt: z.string(),
  /** Set on the user's own message when it answers a frame this socket sent. */
  clientId: z.string().optional(),
});
export type WireMessage = z.infer<typeof wireMessageSchema>;

export const serverFrameSchema = z.discriminatedUnion('type', [
  /** Sent once per connection: the visitor's open conversation, oldest first. Replaces what the widget shows. */
  z.object({ type: z.literal('history'), messages: z.array(wireMessageSchema) }),
  z.object({ type: z.literal('message'), message: wireMessageSchema }),
  z.object({ type: z.literal('typing'), on: z.boolean() }),
  /** The turn for client message `id` is done; `messageId` is the stored user message, when found. */
  z.object({ type: z.literal('ack'), id: z.string(), messageId: z.string().optional() }),
  z.object({
    type: z.literal('error'),
    code: z.string(),
    message: z.string(),
    /** The client message the error is about, when there is one. */
    id: z.string().optional(),
    retryable: z.boolean().optional(),
    /** Seconds to wait before resending (OVERLOADED, RATE_LIMITED): the server is shedding load. */
    retryAfter: z.number().int().positive().optional(),
  }),
  z.object({ type: z.literal('pong') }),
]);
export type ServerFrame = z.infer<typeof serverFrameSchema>;

/** Close codes the widget must not retry (it shows a message instead). */
export const closeCodes = {
  goingAway: 1001,
  badRequest: 4400,
  unauthorized: 4401,
  shopNotFound: 4404,
  /** No message for KEFU_WS_IDLE_MS: the widget reconnects when the visitor next sends one. */
  idle: 4408,
} as const;

/** GET /channels/web/:shopId/config */
export interface WidgetConfig {
  shopId: string;
  name: string;
  locales: string[];
  greeting: Record<string, string>;
  /** The widget's own words per locale, from this channel's message catalogues. */
  ui: Record<string, Record<string, string>>;
}

/** The WebSocket URL's query: `/channels/web/:shopId/ws?visitorId=…[&userId=…&userHash=…]`. */
export const socketQuerySchema = z.object({
  /** The widget's own random id for this browser (anonymous visitors are `web:<visitorId>`). */
  visitorId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'visitorId is missing or invalid'),
  /** The shop's own customer id, vouched for by userHash = hex HMAC-SHA256(identitySecret, userId). */
  userId: z.string().max(128, 'userId is too long').optional(),
  userHash: z.string().max(128).optional(),
});

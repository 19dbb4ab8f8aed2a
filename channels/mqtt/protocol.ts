import { z } from 'zod';
import { cardSchema, localeSchema, quickReplySchema } from '../../bot/activity';

/**
 * The MQTT device protocol. A device publishes one JSON object per message on
 * `kefu/<shopId>/devices/<deviceId>/in` (QoS 1) and subscribes to
 * `kefu/<shopId>/devices/<deviceId>/out`, where Kefu publishes replies and errors (QoS 1).
 */

/** What Kefu subscribes to: every device of every shop. */
export const INBOUND_TOPIC_FILTER = 'kefu/+/devices/+/in';

/** Shop ids and device ids in topics: plain, so they can never widen a topic filter. */
export const TOPIC_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The longest payload read at all; anything longer is answered with PAYLOAD_TOO_LARGE unread. */
export const MAX_PAYLOAD_BYTES = 16 * 1024;

export function inboundTopic(shopId: string, deviceId: string): string {
  return `kefu/${shopId}/devices/${deviceId}/in`;
}

export function outboundTopic(shopId: string, deviceId: string): string {
  return `kefu/${shopId}/devices/${deviceId}/out`;
}

/** The shop and device of an inbound topic, or undefined when the topic is not one of ours. */
export function parseInboundTopic(topic: string): { shopId: string; deviceId: string } | undefined {
  const parts = topic.split('/');
  if (parts.length !== 5 || parts[0] !== 'kefu' || parts[2] !== 'devices' || parts[4] !== 'in')
    return undefined;
  const [, shopId, , deviceId] = parts;
  if (!shopId || !deviceId || !TOPIC_ID.test(shopId) || !TOPIC_ID.test(deviceId)) return undefined;
  return { shopId, deviceId };
}

/** A device's message. `userId` and `userHash` come together or not at all. */
export const devicePayloadSchema = z
  .object({
    /** The device's own id for this message: publishing it again (QoS 1 redelivery) runs the turn once. */
    messageId: z.string().min(1).max(128),
    // Length is checked after parsing, so an over-long text gets its own error code.
    text: z.string().optional(),
    /** A quick reply's or card button's payload, sent back instead of text. */
    payload: z.string().min(1).max(500).optional(),
    locale: localeSchema.optional(),
    /** The shop's own customer id, vouched for by `userHash = hex(HMAC-SHA256(identitySecret, userId))`. */
    userId: z.string().min(1).max(128).optional(),
    userHash: z.string().min(1).max(128).optional(),
  })
  .refine((p) => (p.userId === undefined) === (p.userHash === undefined), {
    message: 'userId and userHash must be sent together',
    path: ['userHash'],
  });
export type DevicePayload = z.infer<typeof devicePayloadSchema>;

/** A bot's or an agent's message, as published on the out topic. */
export const deviceReplySchema = z.object({
  /** The stored message's id (unique; a device may use it to drop a repeat). */
  messageId: z.string(),
  /** The device message this answers (the latest one the device sent before it), when known. */
  inReplyTo: z.string().optional(),
  role: z.enum(['bot', 'agent']),
  text: z.string(),
  quickReplies: z.array(quickReplySchema).optional(),
  card: cardSchema.optional(),
  createdAt: z.string(),
});
export type DeviceReply = z.infer<typeof deviceReplySchema>;

export const errorCodes = [
  'INVALID_JSON',
  'INVALID_PAYLOAD',
  'EMPTY_MESSAGE',
  'PAYLOAD_TOO_LARGE',
  'TEXT_TOO_LONG',
  'SHOP_NOT_FOUND',
  'INVALID_USER_HASH',
  'RATE_LIMITED',
  'INTERNAL',
] as const;
export type DeviceErrorCode = (typeof errorCodes)[number];

/** A message Kefu could not take: published on the out topic instead of a reply; no turn ran. */
export const deviceErrorSchema = z.object({
  error: z.object({ code: z.enum(errorCodes), message: z.string() }),
  /** The device's messageId, when the payload was readable enough to have one. */
  inReplyTo: z.string().optional(),
});
export type DeviceError = z.infer<typeof deviceErrorSchema>;

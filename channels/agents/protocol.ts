import { z } from 'zod';

/**
 * The Bot Framework activity protocol, as Azure Bot Service, Teams, Web Chat and the Bot Framework
 * Emulator post it to a bot's messaging endpoint. Only the fields Kefu reads are checked; the rest
 * of an activity (entities, attachments, timestamps…) passes through unread.
 */

/** Ids in the Bot Framework are opaque strings; Teams ids run to ~100 characters. */
const id = z.string().min(1).max(512);

export const channelAccountSchema = z.looseObject({
  id,
  name: z.string().max(512).optional(),
  aadObjectId: z.string().max(128).optional(),
  role: z.string().max(64).optional(),
});
export type ChannelAccount = z.infer<typeof channelAccountSchema>;

export const conversationAccountSchema = z.looseObject({
  id,
  name: z.string().max(512).optional(),
  isGroup: z.boolean().optional(),
  conversationType: z.string().max(64).optional(),
  tenantId: z.string().max(128).optional(),
});
export type ConversationAccount = z.infer<typeof conversationAccountSchema>;

const serviceUrl = z
  .string()
  .max(2048)
  .refine((u) => {
    try {
      const url = new URL(u);
      return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
    } catch {
      return false;
    }
  }, 'an http(s) URL');

/** `channelData.kefu`: a shop that embeds the bot may vouch for its customer, as on the other channels. */
export const kefuIdentitySchema = z.object({
  userId: z.string().trim().min(1).max(128),
  userHash: z.string().max(128),
});

/** Every activity: what identifies it and where answers go. */
export const activitySchema = z.looseObject({
  type: z.string().min(1).max(64),
  id: id.optional(),
  channelId: z.string().min(1).max(64),
  serviceUrl: serviceUrl.optional(),
  from: channelAccountSchema.optional(),
  recipient: channelAccountSchema.optional(),
  conversation: conversationAccountSchema,
  // Length in code points is checked separately: over 2,000 is a 413, not a 400.
  text: z.string().max(100_000).optional(),
  value: z.unknown().optional(),
  locale: z.string().max(64).optional(),
  replyToId: id.optional(),
  channelData: z.unknown().optional(),
  membersAdded: z.array(channelAccountSchema).max(500).optional(),
});
export type InboundActivity = z.infer<typeof activitySchema>;

/** A message activity must say who wrote it, to whom, and where to answer. */
export const messageActivitySchema = activitySchema.extend({
  type: z.literal('message'),
  id,
  serviceUrl,
  from: channelAccountSchema,
  recipient: channelAccountSchema,
});
export type MessageActivity = z.infer<typeof messageActivitySchema>;

/** A conversation update that adds members: the bot greets the user who joined. */
export const conversationUpdateSchema = activitySchema.extend({
  type: z.literal('conversationUpdate'),
  serviceUrl,
  recipient: channelAccountSchema,
  membersAdded: z.array(channelAccountSchema).max(500),
});

/**
 * What a Kefu button carries back (suggested action `messageBack`, Adaptive Card `Action.Submit`):
 * `value: {"kefu": {"payload": "..."}}`. Teams adds its own keys beside it, so the object is open.
 */
export const kefuValueSchema = z.looseObject({
  kefu: z.looseObject({ payload: z.string().min(1).max(500) }),
});

/** The JSON this channel answers the POST with (202 for a message, 200 for everything else). */
export const ackSchema = z.object({}).strict();

/** The outgoing activity Kefu posts to `{serviceUrl}/v3/conversations/{id}/activities[/{replyToId}]`. */
export interface OutgoingActivity {
  type: 'message';
  channelId: string;
  serviceUrl: string;
  from: ChannelAccount;
  recipient: ChannelAccount;
  conversation: ConversationAccount;
  replyToId?: string;
  locale?: string;
  text?: string;
  textFormat: 'plain';
  inputHint?: 'acceptingInput' | 'expectingInput';
  suggestedActions?: { to: string[]; actions: CardAction[] };
  attachments?: { contentType: string; content: AdaptiveCard }[];
}

export type CardAction =
  | { type: 'imBack'; title: string; value: string }
  | {
      type: 'messageBack';
      title: string;
      text: string;
      displayText: string;
      value: { kefu: { payload: string } };
    };

export const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';

export interface AdaptiveCard {
  type: 'AdaptiveCard';
  $schema: string;
  version: '1.5';
  body: Record<string, unknown>[];
  actions?: { type: 'Action.Submit'; title: string; data: { kefu: { payload: string } } }[];
}

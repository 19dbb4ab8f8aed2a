import { z } from 'zod';
import { errors } from './errors';

/** The one message model every channel parses into and renders from. */
export const localeSchema = z
  .string()
  .regex(/^[a-z]{2}(-[A-Z][A-Za-z]{1,3})?$/, 'a BCP-47 locale such as zh-CN');

export const quickReplySchema = z.object({
  title: z.string().min(1).max(80),
  payload: z.string().min(1).max(500),
});
export type QuickReply = z.infer<typeof quickReplySchema>;

export const cardSchema = z.object({
  title: z.string(),
  subtitle: z.string().optional(),
  fields: z.array(z.object({ label: z.string(), value: z.string() })).optional(),
  buttons: z.array(quickReplySchema).optional(),
});
export type Card = z.infer<typeof cardSchema>;

export const roleSchema = z.enum(['user', 'bot', 'agent']);
export type Role = z.infer<typeof roleSchema>;

export const activitySchema = z.object({
  id: z.string(),
  type: z.enum(['message', 'event', 'typing', 'conversationStart', 'conversationEnd']),
  channel: z.string(),
  shopId: z.string(),
  conversationId: z.string(),
  from: z.object({ id: z.string(), role: roleSchema }),
  locale: z.string().optional(),
  text: z.string().optional(),
  payload: z.string().optional(),
  speak: z.string().optional(),
  quickReplies: z.array(quickReplySchema).optional(),
  card: cardSchema.optional(),
  timestamp: z.string(),
});
export type Activity = z.infer<typeof activitySchema>;

/** What a skill produces for one turn; the pipeline turns it into stored messages and Activities. */
export interface Reply {
  text: string;
  quickReplies?: QuickReply[];
  card?: Card;
}

/** The longest user text a turn accepts, counted in Unicode code points. */
export const MAX_TEXT_CODE_POINTS = 2000;

/** The one length rule for a customer's text, whatever the channel: over the limit is a 413. */
export function checkTextLength(text: string | undefined): void {
  if (text && codePointLength(text) > MAX_TEXT_CODE_POINTS) {
    throw errors.tooLarge(`text is longer than ${MAX_TEXT_CODE_POINTS} characters`);
  }
}

export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

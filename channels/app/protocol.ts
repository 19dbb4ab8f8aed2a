import { z } from 'zod';
import { localeSchema } from '../../bot/activity';

/** POST /api/v1/shops/:shopId/messages — the app / REST channel's inbound message. */
export const postMessageSchema = z
  .object({
    userId: z.string().trim().min(1).max(128),
    userHash: z.string().max(128).optional(),
    // Length in code points is checked separately: over 2,000 is a 413, not a 400.
    text: z.string().optional(),
    payload: z.string().min(1).max(1000).optional(),
    locale: localeSchema.optional(),
    clientMessageId: z.string().min(1).max(128).optional(),
  })
  .strict()
  .refine((m) => (m.text && m.text.trim().length > 0) || m.payload, {
    message: 'text or payload is required',
  });

export const historyQuerySchema = z.object({
  after: z.string().max(64).optional(),
  userId: z.string().max(128).optional(),
  userHash: z.string().max(128).optional(),
});

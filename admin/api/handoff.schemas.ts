import { z } from 'zod';
import { localeSchema } from '../../bot/activity';

/** Request bodies and queries of the agents and handoff API (routes and the OpenAPI document use them). */
const tierSchema = z.enum(['L1', 'L2', 'expert']);
const agentId = z.string().min(1).max(64);

export const createAgentSchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    tier: tierSchema,
    languages: z.array(localeSchema).min(1).max(10),
    maxConcurrent: z.number().int().min(1).max(50),
  })
  .strict();
export const statusSchema = z.object({ status: z.enum(['online', 'away', 'offline']) }).strict();
export const byAgentSchema = z.object({ agentId: agentId.optional() }).strict();
export const transferSchema = z
  .object({ tier: tierSchema, note: z.string().trim().max(2000).optional(), agentId: agentId.optional() })
  .strict();
export const resolveSchema = z.object({ returnToBot: z.boolean(), agentId: agentId.optional() }).strict();
export const agentMessageSchema = z
  .object({ agentId: agentId.optional(), text: z.string().trim().min(1).max(2000) })
  .strict();
export const approveSchema = z
  .object({ agentId: agentId.optional(), text: z.string().trim().min(1).max(2000).optional() })
  .strict();
export const listSchema = z.object({
  status: z.enum(['pending', 'assigned', 'transferred', 'resolved', 'expired', 'queue', 'open']).optional(),
  agentId: agentId.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

import { z } from 'zod';

/** Queries and answers of the analytics API: the routes validate with them, the OpenAPI rows are built from them. */

/** An instant (`2026-12-01T00:00:00Z`, any offset) or a day (`2026-12-01`: midnight in the shop's time zone). */
const instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

export const analyticsQuerySchema = z
  .object({
    /** Inclusive; default: `to` minus 7 days. */
    from: instant.optional(),
    /** Exclusive; default: now. */
    to: instant.optional(),
  })
  .strict();

export const digestQuerySchema = z
  .object({
    /** The shop's local day; default: yesterday in the shop's time zone. */
    day: z.iso.date().optional(),
    format: z.enum(['html', 'json']).default('json'),
  })
  .strict();

const rate = z.number().min(0).max(1);

export const unansweredClusterSchema = z.object({
  text: z.string(),
  count: z.number().int(),
  examples: z.array(z.string()),
  reasons: z.object({ fallback: z.number().int(), didYouMean: z.number().int(), handoff: z.number().int() }),
  suggestedEntry: z.object({ id: z.string(), question: z.string(), score: z.number() }).optional(),
});

export const analyticsReportSchema = z.object({
  from: z.string(),
  to: z.string(),
  timezone: z.string(),
  conversations: z.number().int(),
  /** User turns the bot handled (the denominator of fallbackRate). */
  userMessages: z.number().int(),
  selfServiceRate: rate,
  handoffRate: rate,
  fallbackRate: rate,
  satisfaction: rate.nullable(),
  satisfactionResponses: z.number().int(),
  byDay: z.array(
    z.object({
      day: z.string(),
      conversations: z.number().int(),
      handoffs: z.number().int(),
      fallbacks: z.number().int(),
    }),
  ),
  byChannel: z.record(z.string(), z.number().int()),
  topIntents: z.array(z.object({ intent: z.string(), count: z.number().int() })),
  unanswered: z.array(unansweredClusterSchema),
  /** True when the unanswered questions were clustered from the newest UNANSWERED_SAMPLE only. */
  unansweredSampled: z.boolean(),
});

export const digestSchema = z.object({
  shopId: z.string(),
  day: z.string(),
  locale: z.string(),
  figures: analyticsReportSchema,
});

export type AnalyticsReport = z.infer<typeof analyticsReportSchema>;
export type UnansweredCluster = z.infer<typeof unansweredClusterSchema>;
export type Digest = z.infer<typeof digestSchema>;

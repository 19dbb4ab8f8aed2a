import { z } from 'zod';
import { localeSchema } from './activity';

const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time as HH:MM');
const secret = z.string().min(1).max(4096);

/**
 * A shop's settings: every field the API recognises (unknown fields are refused so a typo never
 * goes unnoticed). PUT …/settings validates a patch with it, and the store parses what it reads
 * with it, so the rest of the platform sees typed settings and never casts.
 */
export const settingsSchema = z
  .object({
    profile: z
      .object({
        name: z.string().min(1).max(100),
        greeting: z.record(localeSchema, z.string().min(1).max(500)),
      })
      .partial()
      .strict(),
    returnAddress: z
      .object({
        name: z.string().min(1).max(100),
        phone: z.string().min(3).max(40),
        address: z.string().min(1).max(500),
      })
      .strict(),
    commerce: z.discriminatedUnion('type', [
      z.object({ type: z.literal('demo') }).strict(),
      z
        .object({
          type: z.literal('http'),
          baseUrl: z
            .string()
            .url()
            .refine((u) => /^https?:\/\//.test(u), 'an http(s) URL'),
          secret,
          timeoutMs: z.number().int().min(100).max(30_000).optional(),
        })
        .strict(),
    ]),
    fastRefund: z
      .object({ minTier: z.number().int().min(0).max(5), maxAmount: z.number().min(0) })
      .partial()
      .strict(),
    handoff: z
      .object({
        confidenceThreshold: z.number().min(0).max(1),
        /** 0 turns this trigger off. */
        lowConfidenceTurns: z.number().int().min(0).max(20),
        autoAssign: z.boolean(),
        /** Anger (0–1, from the NLU's sentiment) at which a person is brought in. */
        angerThreshold: z.number().min(0).max(1),
        /** Verified customers of this trust tier or above go straight to a person; null turns it off. */
        vipMinTier: z.number().int().min(0).max(5).nullable(),
        vipTier: z.enum(['L1', 'L2', 'expert']),
        /** A handoff nobody takes in this many minutes expires into a ticket. */
        expireMinutes: z
          .number()
          .int()
          .min(5)
          .max(7 * 24 * 60),
      })
      .partial()
      .strict(),
    mode: z.enum(['auto', 'assist']),
    nlu: z
      .object({
        /** The shop's order id format, as a regular expression source (e.g. "E\\d{8}-\\d{3}"). */
        orderIdPattern: z.string().min(1).max(200).refine(isRegex, 'a valid regular expression'),
      })
      .partial()
      .strict(),
    businessHours: z
      .object({
        timezone: z.string().refine(isTimeZone, 'an IANA time zone such as Asia/Shanghai'),
        days: z.array(z.number().int().min(0).max(6)).max(7),
        open: time,
        close: time,
      })
      .partial()
      .strict(),
    channels: z
      .object({
        twilio: z
          .object({ authToken: secret, agentNumber: z.string().max(40) })
          .partial()
          .strict(),
        vxml: z
          .object({ token: secret, agentNumber: z.string().max(40) })
          .partial()
          .strict(),
        alexa: z.object({ skillId: z.string().max(200) }).strict(),
        aligenie: z
          .object({ skillId: z.string().max(200), privateKey: secret })
          .partial()
          .strict(),
        agents: z
          .object({ appId: z.string().max(200), appPassword: secret, tenantId: z.string().max(200) })
          .partial()
          .strict(),
      })
      .partial()
      .strict(),
    /** The daily digest (九点电台): yesterday's figures and unanswered questions, POSTed signed to a webhook. */
    digest: z
      .object({
        webhookUrl: z
          .string()
          .url()
          .max(2000)
          .refine((u) => /^https?:\/\//.test(u), 'an http(s) URL'),
        /** Signs the webhook call (X-Kefu-Signature); without it the shop's identitySecret signs. */
        secret,
        /** Where an e-mail relay should deliver it (Kefu itself sends no e-mail). */
        email: z.string().email().max(320),
        locale: z.enum(['zh-CN', 'en-US']),
      })
      .partial()
      .strict(),
  })
  .partial()
  .strict();

export type ShopSettings = z.infer<typeof settingsSchema>;

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

/** The shop's time zone ("today", business hours, dates read out): validated when it was saved. */
export function shopTimeZone(settings: ShopSettings): string {
  return settings.businessHours?.timezone ?? DEFAULT_TIME_ZONE;
}

/**
 * Settings as stored, typed: each section is parsed on its own, and a section that no longer
 * passes (written by an older version) is left out rather than failing the shop.
 */
export function parseSettings(raw: unknown): ShopSettings {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {};
  const sections = settingsSchema.shape;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const section = sections[key as keyof typeof sections];
    const parsed = section?.safeParse(value);
    if (parsed?.success) out[key] = parsed.data;
  }
  return out as ShopSettings;
}

function isRegex(source: string): boolean {
  try {
    new RegExp(source, 'u');
    return true;
  } catch {
    return false;
  }
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const SECRET_PATHS = [
  ['commerce', 'secret'],
  ['channels', 'twilio', 'authToken'],
  ['channels', 'vxml', 'token'],
  ['channels', 'aligenie', 'privateKey'],
  ['channels', 'agents', 'appPassword'],
  ['digest', 'secret'],
];

/** Settings as the API shows them: secrets replaced by a mask. */
export function maskSecrets(settings: ShopSettings): Record<string, unknown> {
  const copy = structuredClone(settings);
  for (const p of SECRET_PATHS) {
    let node: unknown = copy;
    for (const key of p.slice(0, -1)) node = (node as Record<string, unknown> | undefined)?.[key];
    const last = p.at(-1)!;
    if (node && typeof node === 'object' && typeof (node as Record<string, unknown>)[last] === 'string') {
      (node as Record<string, unknown>)[last] = '********';
    }
  }
  return copy;
}

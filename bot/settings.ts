import { z } from 'zod';
import { localeSchema } from './activity';

const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time as HH:MM');
const secret = z.string().min(1).max(4096);

const profileSchema = z
  .object({
    name: z.string().min(1).max(100),
    greeting: z.record(localeSchema, z.string().min(1).max(500)),
  })
  .partial()
  .strict();

const returnAddressSchema = z
  .object({
    name: z.string().min(1).max(100),
    phone: z.string().min(3).max(40),
    address: z.string().min(1).max(500),
  })
  .strict();

const commerceSchema = z.discriminatedUnion('type', [
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
]);

const fastRefundSchema = z
  .object({ minTier: z.number().int().min(0).max(5), maxAmount: z.number().min(0) })
  .partial()
  .strict();

const handoffSchema = z
  .object({
    confidenceThreshold: z.number().min(0).max(1),
    /** 0 turns this trigger off. */
    lowConfidenceTurns: z.number().int().min(0).max(20),
    autoAssign: z.boolean(),
    /** Anger (0–1, from the NLU's sentiment) at which a person is brought in. */
    angerThreshold: z.number().min(0).max(1),
    /** Verified customers of this trust tier or above go straight to a person; null (or absent) turns it off. */
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
  .strict();

const modeSchema = z.enum(['auto', 'assist']);

const nluSchema = z
  .object({
    /** The shop's order id format, as a regular expression source (e.g. "E\\d{8}-\\d{3}"). */
    orderIdPattern: z.string().min(1).max(200).refine(isRegex, 'a valid regular expression'),
  })
  .partial()
  .strict();

const businessHoursSchema = z
  .object({
    timezone: z.string().refine(isTimeZone, 'an IANA time zone such as Asia/Shanghai'),
    days: z.array(z.number().int().min(0).max(6)).max(7),
    open: time,
    close: time,
  })
  .partial()
  .strict();

const twilioSchema = z
  .object({ authToken: secret, agentNumber: z.string().max(40) })
  .partial()
  .strict();
const vxmlSchema = z
  .object({ token: secret, agentNumber: z.string().max(40) })
  .partial()
  .strict();
const alexaSchema = z.object({ skillId: z.string().max(200) }).strict();
const aligenieSchema = z
  .object({ skillId: z.string().max(200), privateKey: secret })
  .partial()
  .strict();
const agentsSchema = z
  .object({ appId: z.string().max(200), appPassword: secret, tenantId: z.string().max(200) })
  .partial()
  .strict();

/** The daily digest (九点电台): yesterday's figures and unanswered questions, POSTed signed to a webhook. */
const digestSchema = z
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
  .strict();

/**
 * A shop's settings: every field the API recognises (unknown fields are refused so a typo never
 * goes unnoticed). The store parses what it reads with it, so the rest of the platform sees typed
 * settings and never casts. PUT …/settings validates with settingsPatchSchema (below).
 */
export const settingsSchema = z
  .object({
    profile: profileSchema,
    returnAddress: returnAddressSchema,
    commerce: commerceSchema,
    fastRefund: fastRefundSchema,
    handoff: handoffSchema,
    mode: modeSchema,
    nlu: nluSchema,
    businessHours: businessHoursSchema,
    channels: z
      .object({
        twilio: twilioSchema,
        vxml: vxmlSchema,
        alexa: alexaSchema,
        aligenie: aligenieSchema,
        agents: agentsSchema,
      })
      .partial()
      .strict(),
    digest: digestSchema,
  })
  .partial()
  .strict();

/**
 * The same object, where each field may also be `null`: a section whose fields are all optional
 * (fastRefund, handoff…) takes `null` on any of them, a strict section (returnAddress, commerce,
 * channels.alexa) only whole — so removing never leaves a section the typed parse would refuse.
 */
function clearable<T extends z.ZodRawShape>(section: z.ZodObject<T>) {
  const shape = {} as { [K in keyof T]: z.ZodOptional<z.ZodNullable<T[K]>> };
  for (const key of Object.keys(section.shape) as (keyof T)[]) {
    shape[key] = z.optional(z.nullable(section.shape[key]));
  }
  return z.object(shape).strict();
}

/**
 * What PUT …/settings accepts: a merge patch. Objects merge key by key, other values replace, and
 * `null` removes that field (or whole section), which then falls back to its default — e.g.
 * `{"digest": {"webhookUrl": null}}` unsubscribes, `{"returnAddress": null}` forgets the address.
 * A field that is required inside its section (returnAddress.phone, commerce.baseUrl,
 * channels.alexa.skillId) cannot be nulled on its own.
 */
export const settingsPatchSchema = z
  .object({
    profile: z
      .object({
        name: profileSchema.shape.name.nullable(),
        greeting: z.record(localeSchema, z.string().min(1).max(500).nullable()).nullable(),
      })
      .partial()
      .strict()
      .nullable(),
    returnAddress: returnAddressSchema.nullable(),
    commerce: commerceSchema.nullable(),
    fastRefund: clearable(fastRefundSchema).nullable(),
    handoff: clearable(handoffSchema).nullable(),
    mode: modeSchema.nullable(),
    nlu: clearable(nluSchema).nullable(),
    businessHours: clearable(businessHoursSchema).nullable(),
    channels: z
      .object({
        twilio: clearable(twilioSchema).nullable(),
        vxml: clearable(vxmlSchema).nullable(),
        alexa: alexaSchema.nullable(),
        aligenie: clearable(aligenieSchema).nullable(),
        agents: clearable(agentsSchema).nullable(),
      })
      .partial()
      .strict()
      .nullable(),
    digest: clearable(digestSchema).nullable(),
  })
  .partial()
  .strict()
  .describe(
    'A merge patch of the settings: objects merge key by key, other values replace, and null removes ' +
      'that field or section (it falls back to its default). Fields required inside a section ' +
      '(returnAddress.*, commerce.*, channels.alexa.skillId) cannot be null on their own.',
  );

export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

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

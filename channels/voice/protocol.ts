import { z } from 'zod';
import { MAX_TEXT_CODE_POINTS, codePointLength, localeSchema } from '../../bot/activity';

/** Twilio's 34-character ids: a two-letter prefix and 32 hex digits. */
const sid = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}[0-9a-fA-F]{32}$`), `a Twilio ${prefix}… id`);
const phone = z.string().max(64);
const spoken = z
  .string()
  .max(MAX_TEXT_CODE_POINTS * 2)
  .refine((s) => codePointLength(s) <= MAX_TEXT_CODE_POINTS, `at most ${MAX_TEXT_CODE_POINTS} characters`);
/** Keypad input: digits, `*`, and the `#` that ends it. */
const keys = z.string().regex(/^[0-9*#]{0,64}$/, 'keypad digits (0-9, *, #)');

/**
 * A Twilio Programmable Voice webhook (`application/x-www-form-urlencoded`): the call's parameters
 * on every request, plus `SpeechResult`/`Confidence` or `Digits`/`FinishedOnKey` on a `<Gather>`
 * action. Twilio adds parameters over time (CallerCity, CallToken, StirVerstat…): any other
 * string parameter is accepted and ignored.
 */
export const twilioVoiceFormSchema = z
  .object({
    CallSid: sid('CA'),
    AccountSid: sid('AC'),
    From: phone.optional(),
    To: phone.optional(),
    Caller: phone.optional(),
    Called: phone.optional(),
    CallStatus: z
      .enum(['queued', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled'])
      .optional(),
    Direction: z.string().max(32).optional(),
    ApiVersion: z.string().max(16).optional(),
    SpeechResult: spoken.optional(),
    Confidence: z
      .string()
      .regex(/^(0(\.\d+)?|1(\.0+)?)$/, 'a number between 0 and 1')
      .optional(),
    Digits: keys.optional(),
    FinishedOnKey: z.string().max(1).optional(),
  })
  .catchall(z.union([z.string().max(2000), z.array(z.string().max(2000)).max(10)]));
export type TwilioVoiceForm = z.infer<typeof twilioVoiceFormSchema>;

const count = (max: number) =>
  z
    .string()
    .regex(/^\d{1,5}$/, 'a whole number')
    .transform(Number)
    .refine((n) => n <= max, `at most ${max}`);

/**
 * The query of a voice webhook URL. `locale`, `userId` and `userHash` are the shop's own (set on
 * the number's webhook URL, or by the shop's IVR); the rest is the call's state, which Kefu writes
 * into the next action URL itself so that no instance has to remember the call.
 */
export const voiceQuerySchema = z.object({
  locale: localeSchema.optional(),
  userId: z.string().trim().min(1).max(128).optional(),
  userHash: z.string().max(128).optional(),
  /** The turn this request is (1 for the first answer after the greeting). */
  seq: count(100_000).optional(),
  /** Silent prompts in a row so far. */
  sil: count(3).optional(),
  /** The offered choices' payloads: a common prefix and one suffix per key (1, 2, …). */
  cp: z.string().max(200).optional(),
  c: z.array(z.string().max(200)).max(9).optional(),
  /** The bot waits for a number (order id, amount): keypad digits are the answer, not a menu key. */
  dg: z.literal('1').optional(),
});
export type VoiceQuery = z.infer<typeof voiceQuerySchema>;

/** VoiceXML requests carry the same state, plus the session and (anonymous) caller Kefu assigned. */
export const vxmlQuerySchema = voiceQuerySchema.extend({
  token: z.string().max(4096).optional(),
  /** The platform's session id (optional on /start; Kefu makes one when it is missing). */
  session: z
    .string()
    .regex(/^[A-Za-z0-9_.:@-]{1,128}$/, 'letters, digits and _.:@-')
    .optional(),
  /** The caller's number (ANI) as the platform knows it; only its keyed hash is kept. */
  caller: phone.optional(),
  /** The anonymous caller's hash, carried from /start. */
  a: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
  /** `noinput`: the third silent prompt. */
  event: z.literal('noinput').optional(),
});
export type VxmlQuery = z.infer<typeof vxmlQuerySchema>;

/** POST /channels/vxml/:shopId/turn: the field's `namelist` (see vxml.adapter.ts). */
export const vxmlTurnFormSchema = z
  .object({
    answer: z
      .string()
      .max(MAX_TEXT_CODE_POINTS * 2)
      .optional(),
    utterance: spoken.optional(),
    inputmode: z.enum(['dtmf', 'voice', '']).optional(),
  })
  .catchall(z.union([z.string().max(2000), z.array(z.string().max(2000)).max(10)]));
export type VxmlTurnForm = z.infer<typeof vxmlTurnFormSchema>;

/** Query parameters as zod sees them: `c` always a list, any other repeated key a list (and so refused). */
export function queryRecord(search: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(search.keys())) {
    const all = search.getAll(key);
    out[key] = key === 'c' || all.length > 1 ? all : all[0]!;
  }
  return out;
}

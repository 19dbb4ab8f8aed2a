import twilio from 'twilio';
import type VoiceResponse from 'twilio/lib/twiml/VoiceResponse';
import type { ChannelInbound, CollectChannelAdapter } from '../../bot/channel';
import { errors } from '../../bot/errors';
import { parseInput } from '../../bot/http';
import { HUMAN_POSTBACK } from '../../bot/router';
import type { Shop, ShopSettings } from '../../bot/store/shops.repo';
import type { TurnResult } from '../../bot/turn';
import { queryRecord, twilioVoiceFormSchema, voiceQuerySchema } from './protocol';
import {
  MAX_SILENCES,
  type VoicePlan,
  type VoiceRef,
  callLocale,
  callerIdentity,
  firstState,
  greetingFor,
  planStart,
  planTurn,
  readInput,
  speakable,
  stateOf,
} from './voice.call';

/** One Twilio webhook request, as the module hands it over: nothing in it is trusted yet. */
export interface TwilioRaw {
  /** The shop named in the path (undefined when there is none). */
  shop: Shop | undefined;
  settings: ShopSettings;
  /** The full public URL Twilio requested (the string it signed), query included. */
  url: string;
  /** The `X-Twilio-Signature` header. */
  signature: string | undefined;
  /** The form body, as the urlencoded parser read it. */
  body: unknown;
}

const FINAL_STATUSES = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);
const SHOP_PARAMS = ['locale', 'userId', 'userHash'] as const;

/** `settings.channels.twilio`, as far as it is there. */
export function twilioSettings(settings: ShopSettings): { authToken?: string; agentNumber?: string } {
  const own = settings.channels?.twilio;
  const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  return { authToken: str(own?.authToken), agentNumber: str(own?.agentNumber) };
}

/**
 * Twilio Programmable Voice as a collect channel: every webhook is verified with the shop's auth
 * token (`X-Twilio-Signature`: HMAC-SHA1 over the URL and the sorted POST parameters), read into a
 * turn, and answered with TwiML — the bot's replies in `<Say>` inside the next `<Gather>`, or a
 * `<Dial>` / `<Enqueue>` when a person takes over. The call's state rides in the action URL.
 */
export class TwilioVoiceAdapter implements CollectChannelAdapter<TwilioRaw, VoiceRef, string> {
  readonly id = 'twilio';
  readonly capabilities = {
    delivery: 'collect',
    cards: false,
    quickReplies: true,
    ssml: false,
    maxText: 160,
  } as const;

  async parse(raw: TwilioRaw): Promise<ChannelInbound<VoiceRef>> {
    return this.parseSync(raw);
  }

  /** The same as `parse`, synchronously (the fuzz test drives it tens of thousands of times). */
  parseSync(raw: TwilioRaw): ChannelInbound<VoiceRef> {
    const { authToken, agentNumber } = twilioSettings(raw.settings);
    // An unknown shop and a shop without a token look the same from outside.
    if (!raw.shop || !authToken)
      throw errors.forbidden('This shop does not take Twilio calls.', 'TWILIO_NOT_CONFIGURED');
    const params = formParams(raw.body);
    if (!raw.signature || !validSignature(authToken, raw.signature, raw.url, params)) {
      throw errors.forbidden('The X-Twilio-Signature header is missing or invalid.', 'INVALID_SIGNATURE');
    }
    const shop = raw.shop;
    const form = parseInput(twilioVoiceFormSchema, params);
    const url = readUrl(raw.url);
    const query = parseInput(voiceQuerySchema, queryRecord(url.searchParams));
    const locale = callLocale(shop, query.locale);
    const identity = callerIdentity(shop, query, form.From ?? form.Caller, form.CallSid);
    const keep: [string, string][] = SHOP_PARAMS.flatMap((k) => {
      const v = query[k];
      return v === undefined ? [] : [[k, v] as [string, string]];
    });
    const carried = stateOf(query);
    const ref: VoiceRef = {
      shopId: shop.id,
      callId: form.CallSid,
      userId: identity.userId,
      verified: identity.verified,
      locale,
      path: url.pathname,
      keep,
      state: carried ?? firstState(),
      person: false,
      greeting: greetingFor(shop, raw.settings, locale),
      ...(agentNumber ? { agentNumber } : {}),
    };
    // The caller hung up: nothing to say, nothing to run.
    if (form.CallStatus && FINAL_STATUSES.has(form.CallStatus)) return { kind: 'end', ref };
    // The first request of a call (no state in the URL yet): the greeting.
    if (!carried) return { kind: 'start', ref, locale };

    const input = readInput({ speech: form.SpeechResult, digits: form.Digits }, carried, locale);
    const message = {
      shopId: shop.id,
      channel: this.id,
      userId: identity.userId,
      verified: identity.verified,
      locale,
      dedupKey: `twilio:${form.CallSid}:${carried.seq}`,
    };
    if (input.kind === 'silence') {
      const silence = carried.silence + 1;
      if (silence < MAX_SILENCES)
        return { kind: 'start', ref: { ...ref, state: { ...carried, silence } }, locale };
      return {
        kind: 'message',
        message: { ...message, payload: HUMAN_POSTBACK },
        ref: { ...ref, state: { ...carried, silence }, person: true },
      };
    }
    if (input.kind === 'payload') {
      return {
        kind: 'message',
        message: { ...message, payload: input.payload },
        ref: { ...ref, person: input.person },
      };
    }
    return { kind: 'message', message: { ...message, text: input.text }, ref };
  }

  render(ref: VoiceRef, result: TurnResult | undefined, inbound: ChannelInbound<VoiceRef>): string {
    if (inbound.kind === 'end') return new twilio.twiml.VoiceResponse().toString();
    if (inbound.kind === 'message' && result) return renderTwiml(planTurn(ref, result));
    return renderTwiml(planStart(ref));
  }
}

/** A voice plan as TwiML. */
export function renderTwiml(plan: VoicePlan): string {
  const response = new twilio.twiml.VoiceResponse();
  const say = { language: plan.locale as NonNullable<VoiceResponse.SayAttributes['language']> };
  const text = speakable(plan.say);
  switch (plan.kind) {
    case 'gather': {
      const gather = response.gather({
        input: ['speech', 'dtmf'],
        bargeIn: true,
        language: plan.locale as NonNullable<VoiceResponse.GatherAttributes['language']>,
        action: plan.action,
        method: 'POST',
        actionOnEmptyResult: true,
        finishOnKey: '#',
        timeout: 5,
        speechTimeout: 'auto',
      });
      gather.say(say, text);
      break;
    }
    case 'handoff':
      if (text) response.say(say, text);
      if (plan.agentNumber) response.dial(plan.agentNumber);
      else response.enqueue(plan.queue);
      break;
    case 'hangup':
      if (text) response.say(say, text);
      response.hangup();
      break;
  }
  return response.toString();
}

/** The request URL (already signed, so a URL that cannot be read is a bad request, not a crash). */
export function readUrl(url: string, base?: string): URL {
  try {
    return new URL(url, base);
  } catch {
    throw errors.badRequest('The request URL cannot be read.', 'INVALID_URL');
  }
}

/** The POST parameters Twilio signed: string values (repeated keys as lists); anything else is no parameter. */
export function formParams(body: unknown): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!body || typeof body !== 'object' || Array.isArray(body)) return out;
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (typeof value === 'string') out[key] = value;
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) out[key] = value;
  }
  return out;
}

/** twilio.validateRequest, which also tries the URL with and without the default port; a URL it cannot read is invalid. */
function validSignature(
  authToken: string,
  signature: string,
  url: string,
  params: Record<string, string | string[]>,
): boolean {
  try {
    return twilio.validateRequest(authToken, signature, url, params);
  } catch {
    return false;
  }
}

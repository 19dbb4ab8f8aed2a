import type { ChannelCapabilities, ChannelInbound, CollectChannelAdapter } from '../../bot/channel';
import { shopDisplayName } from '../../bot/shop-profile';
import { KefuError, errors } from '../../bot/errors';
import { parseInput } from '../../bot/http';
import type { Shop, ShopSettings } from '../../bot/store/shops.repo';
import type { TurnResult } from '../../bot/turn';
import type { AlexaVerifier } from './alexa.verify';
import {
  type AlexaRequestEnvelope,
  type AlexaResponseEnvelope,
  alexaChoiceSchema,
  alexaRequestEnvelopeSchema,
} from './protocol';
import {
  SPEAKER_LOCALES,
  type ShopLookup,
  channelSettings,
  greetingFor,
  hashId,
  sameWords,
  speakChoices,
  speakTurn,
  t,
} from './speaker.speech';

/** The request as the route hands it over: the raw body bytes (they are what Alexa signed). */
export interface AlexaRaw {
  shopId: string;
  body: Buffer;
  certUrl?: string;
  signature?: string;
}

/** What the request asks of the skill, besides a turn. */
export type AlexaAction = 'launch' | 'turn' | 'help' | 'fallback' | 'stop' | 'ended';

export interface AlexaRef {
  shopId: string;
  locale: string;
  action: AlexaAction;
  /** Said on launch (the shop's greeting) and in the goodbye (the shop's name). */
  greeting: string;
  shopName: string;
}

/** The interaction model's catch-all intent and its AMAZON.SearchQuery slot. */
export const CATCH_ALL_SLOT = 'utterance';
const SESSION_KEY = 'kefu';
const STOP_INTENTS = new Set(['AMAZON.StopIntent', 'AMAZON.CancelIntent', 'AMAZON.NavigateHomeIntent']);

export class AlexaAdapter implements CollectChannelAdapter<AlexaRaw, AlexaRef, AlexaResponseEnvelope> {
  readonly id = 'alexa';
  readonly capabilities: ChannelCapabilities & { delivery: 'collect' } = {
    delivery: 'collect',
    cards: false,
    quickReplies: true,
    ssml: true,
    maxText: 400,
  };

  constructor(
    private readonly deps: {
      verifier: Pick<AlexaVerifier, 'verifyRequest' | 'checkTimestamp'>;
      shops: ShopLookup;
    },
  ) {}

  /** Signature (401) → JSON and schema (400) → timestamp (400) → shop (404) → skill id (403). */
  async parse(raw: AlexaRaw): Promise<ChannelInbound<AlexaRef>> {
    await this.deps.verifier.verifyRequest({ certUrl: raw.certUrl, signature: raw.signature }, raw.body);
    const envelope = parseAlexaBody(raw.body);
    this.deps.verifier.checkTimestamp(envelope.request.timestamp);
    const found = await this.deps.shops(raw.shopId);
    if (!found) throw errors.notFound('Shop');
    return interpretAlexa(envelope, found.shop, found.settings);
  }

  render(ref: AlexaRef, result: TurnResult | undefined): AlexaResponseEnvelope {
    const { locale } = ref;
    if (ref.action === 'turn' && result) {
      const spoken = speakTurn(result, locale);
      if (spoken.handoff) return speech(spoken.text, undefined);
      const reprompt =
        spoken.choices.length > 0 ? speakChoices(spoken.choices, locale) : t(locale, 'reprompt');
      const choices = spoken.choices.map(({ title, payload }) => ({ title, payload }));
      return speech(spoken.text, reprompt, choices.length > 0 ? { [SESSION_KEY]: { choices } } : undefined);
    }
    switch (ref.action) {
      case 'launch':
        return speech(ref.greeting, t(locale, 'reprompt'));
      case 'help':
        return speech(t(locale, 'help'), t(locale, 'reprompt'));
      case 'fallback':
        return speech(t(locale, 'fallback'), t(locale, 'reprompt'));
      case 'stop':
        return speech(t(locale, 'goodbye', { name: ref.shopName }), undefined);
      default:
        // SessionEndedRequest (and request types Kefu does not handle): no speech is allowed.
        return { version: '1.0', response: {} };
    }
  }

  /** A turn that failed still gets a valid answer: an apology, and the session stays open. */
  renderError(ref: AlexaRef): AlexaResponseEnvelope {
    return speech(t(ref.locale, 'error'), t(ref.locale, 'reprompt'));
  }
}

/** The raw body as JSON, checked against the envelope schema (400 otherwise). */
export function parseAlexaBody(body: Buffer): AlexaRequestEnvelope {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw errors.invalidJson();
  }
  return parseInput(alexaRequestEnvelopeSchema, json);
}

/** The locale Alexa names, when Kefu speaks it; otherwise the shop's first. */
export function alexaLocale(requested: string | undefined, shop: Shop): string {
  if (requested && (SPEAKER_LOCALES as readonly string[]).includes(requested)) return requested;
  return shop.locales[0] ?? 'en-US';
}

/** A verified envelope as the conversation sees it; the skill id must be the shop's (403). */
export function interpretAlexa(
  envelope: AlexaRequestEnvelope,
  shop: Shop,
  settings: ShopSettings,
): ChannelInbound<AlexaRef> {
  const skillId = channelSettings(settings, 'alexa').skillId;
  if (!skillId) {
    throw new KefuError('ALEXA_NOT_CONFIGURED', 'This shop has no Alexa skill configured.', 403);
  }
  const ids = [
    envelope.session?.application.applicationId,
    envelope.context?.System.application.applicationId,
  ];
  const present = ids.filter((id): id is string => !!id);
  if (present.length === 0)
    throw errors.badRequest('The request names no applicationId.', 'ALEXA_NO_APPLICATION');
  if (present.some((id) => id !== skillId)) {
    throw new KefuError('ALEXA_SKILL_MISMATCH', "The applicationId is not this shop's skill.", 403);
  }
  const userId = envelope.session?.user.userId ?? envelope.context?.System.user.userId;
  if (!userId) throw errors.badRequest('The request names no user.', 'ALEXA_NO_USER');

  const { request } = envelope;
  const locale = alexaLocale(request.locale, shop);
  const ref = (action: AlexaAction): AlexaRef => ({
    shopId: shop.id,
    locale,
    action,
    greeting: greetingFor(shop, settings, locale),
    shopName: shopDisplayName(shop, settings),
  });

  if (request.type === 'LaunchRequest') return { kind: 'start', ref: ref('launch'), locale };
  if (request.type !== 'IntentRequest') return { kind: 'end', ref: ref('ended') };
  const intent = request.intent;
  if (!intent) throw errors.badRequest('An IntentRequest needs an intent.', 'ALEXA_NO_INTENT');
  if (STOP_INTENTS.has(intent.name)) return { kind: 'end', ref: ref('stop') };
  if (intent.name === 'AMAZON.HelpIntent') return { kind: 'start', ref: ref('help'), locale };

  let text: string | undefined;
  if (intent.name === 'AMAZON.YesIntent') text = t(locale, 'yes');
  else if (intent.name === 'AMAZON.NoIntent') text = t(locale, 'no');
  else if (intent.name !== 'AMAZON.FallbackIntent') {
    const slots = Object.values(intent.slots ?? {});
    const said = intent.slots?.[CATCH_ALL_SLOT]?.value ?? slots.find((s) => s.value?.trim())?.value;
    text = said?.trim();
  }
  if (!text) return { kind: 'start', ref: ref('fallback'), locale };

  // An option read out on the previous turn, said back: it goes as the option's payload.
  const choices = alexaChoiceSchema
    .array()
    .max(9)
    .safeParse((envelope.session?.attributes?.[SESSION_KEY] as { choices?: unknown } | undefined)?.choices);
  const chosen = choices.success ? choices.data.find((c) => sameWords(c.title, text)) : undefined;

  return {
    kind: 'message',
    ref: ref('turn'),
    message: {
      shopId: shop.id,
      channel: 'alexa',
      userId: `alexa:${hashId(userId)}`,
      verified: false,
      ...(chosen ? { payload: chosen.payload } : { text }),
      locale,
      dedupKey: `alexa:${request.requestId}`,
    },
  };
}

export function escapeSsml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function ssml(text: string): { type: 'SSML'; ssml: string } {
  return { type: 'SSML', ssml: `<speak>${escapeSsml(text)}</speak>` };
}

/** Speech, and a reprompt when the session stays open (no reprompt: the session ends). */
function speech(
  text: string,
  reprompt: string | undefined,
  sessionAttributes?: Record<string, unknown>,
): AlexaResponseEnvelope {
  return {
    version: '1.0',
    ...(sessionAttributes ? { sessionAttributes } : {}),
    response: {
      outputSpeech: ssml(text),
      ...(reprompt !== undefined ? { reprompt: { outputSpeech: ssml(reprompt) } } : {}),
      shouldEndSession: reprompt === undefined,
    },
  };
}

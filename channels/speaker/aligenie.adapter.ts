import type { ChannelCapabilities, ChannelInbound, CollectChannelAdapter } from '../../bot/channel';
import { KefuError, errors } from '../../bot/errors';
import { parseInput } from '../../bot/http';
import { safeEqual } from '../../bot/identity';
import type { Shop, ShopSettings } from '../../bot/store/shops.repo';
import type { TurnResult } from '../../bot/turn';
import {
  type AliGenieRequest,
  type AliGenieResponse,
  type AliGenieResultType,
  aliGenieRequestSchema,
} from './protocol';
import { type ShopLookup, channelSettings, greetingFor, hashId, speakTurn, t } from './speaker.speech';

/** The webhook request as the route hands it over. */
export interface AliGenieRaw {
  shopId: string;
  /** The shop's token, from the custom header configured in the AliGenie console. */
  token?: string;
  body: unknown;
}

export interface AliGenieRef {
  shopId: string;
  locale: string;
  greeting: string;
  /** The intent to ask back into (askedInfos of an ASK_INF answer). */
  intentId?: string | number;
}

/** The parameter an ASK_INF answer asks for: the catch-all parameter of the skill's intent. */
export const ALIGENIE_ASKED_PARAMETER = 'utterance';
const LOCALE = 'zh-CN';

function forbidden(code: string, message: string): KefuError {
  return new KefuError(code, message, 403);
}

export class AliGenieAdapter implements CollectChannelAdapter<AliGenieRaw, AliGenieRef, AliGenieResponse> {
  readonly id = 'aligenie';
  readonly capabilities: ChannelCapabilities & { delivery: 'collect' } = {
    delivery: 'collect',
    cards: false,
    quickReplies: true,
    ssml: false,
    maxText: 160,
  };

  constructor(private readonly deps: { shops: ShopLookup }) {}

  /** Shop (404) → token (403) → body (400) → skill id (403). */
  async parse(raw: AliGenieRaw): Promise<ChannelInbound<AliGenieRef>> {
    const found = await this.deps.shops(raw.shopId);
    if (!found) throw errors.notFound('Shop');
    const { shop, settings } = found;
    const config = channelSettings(settings, 'aligenie');
    if (!config.privateKey || !config.skillId) {
      throw forbidden('ALIGENIE_NOT_CONFIGURED', 'This shop has no AliGenie skill configured.');
    }
    if (!raw.token || !safeEqual(raw.token, config.privateKey)) {
      throw forbidden('ALIGENIE_TOKEN_INVALID', 'The AliGenie token is missing or wrong.');
    }
    const body = parseAliGenieBody(raw.body);
    if (String(body.skillId) !== config.skillId) {
      throw forbidden('ALIGENIE_SKILL_MISMATCH', "The skillId is not this shop's skill.");
    }
    return interpretAliGenie(body, shop, settings);
  }

  render(ref: AliGenieRef, result: TurnResult | undefined): AliGenieResponse {
    if (!result) return answer(ref, ref.greeting, 'ASK_INF');
    const spoken = speakTurn(result, ref.locale);
    return answer(ref, spoken.text, spoken.waiting ? 'ASK_INF' : 'RESULT');
  }

  /** A turn that failed still gets a valid answer: an apology. */
  renderError(ref: AliGenieRef): AliGenieResponse {
    return answer(ref, t(ref.locale, 'error'), 'RESULT');
  }
}

/** The body checked against the TaskQuery schema (400); RSA-encrypted bodies are refused. */
export function parseAliGenieBody(body: unknown): AliGenieRequest {
  if (body && typeof body === 'object' && 'securityQuery' in body) {
    throw errors.badRequest(
      'Encrypted (RSA) AliGenie requests are not supported: turn WebHook encryption off and send the token header.',
      'ALIGENIE_ENCRYPTED',
    );
  }
  return parseInput(aliGenieRequestSchema, body);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/** A checked request as the conversation sees it. */
export function interpretAliGenie(
  body: AliGenieRequest,
  shop: Shop,
  settings: ShopSettings,
): ChannelInbound<AliGenieRef> {
  const ref: AliGenieRef = {
    shopId: shop.id,
    locale: LOCALE,
    greeting: greetingFor(shop, settings, LOCALE),
    ...(body.intentId !== undefined ? { intentId: body.intentId } : {}),
  };
  const utterance = body.utterance?.trim();
  if (!utterance) return { kind: 'start', ref, locale: LOCALE };
  // userOpenId is per user and skill; without it (the console's online test) the device, then the session.
  const user =
    text(body.requestData?.userOpenId) ??
    text(body.requestData?.deviceOpenId) ??
    text(body.device?.deviceOpenId) ??
    body.sessionId;
  return {
    kind: 'message',
    ref,
    message: {
      shopId: shop.id,
      channel: 'aligenie',
      userId: `aligenie:${hashId(user)}`,
      verified: false,
      text: utterance,
      locale: LOCALE,
      dedupKey: `aligenie:${body.requestId ?? hashId(`${body.sessionId}\n${utterance}`)}`,
    },
  };
}

function answer(ref: AliGenieRef, reply: string, resultType: AliGenieResultType): AliGenieResponse {
  return {
    returnCode: '0',
    returnErrorSolution: '',
    returnMessage: '',
    returnValue: {
      reply,
      resultType,
      ...(resultType === 'ASK_INF' && ref.intentId !== undefined
        ? { askedInfos: [{ parameterName: ALIGENIE_ASKED_PARAMETER, intentId: ref.intentId }] }
        : {}),
      executeCode: 'SUCCESS',
    },
  };
}

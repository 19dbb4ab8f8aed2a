import type { ChannelInbound, CollectChannelAdapter } from '../../bot/channel';
import { errors } from '../../bot/errors';
import { parseInput } from '../../bot/http';
import { pickLocale, translate } from '../../bot/i18n';
import { safeEqual } from '../../bot/identity';
import { newId } from '../../bot/ids';
import { HUMAN_POSTBACK } from '../../bot/router';
import type { Shop, ShopSettings } from '../../bot/store/shops.repo';
import type { TurnResult } from '../../bot/turn';
import { queryRecord, vxmlQuerySchema, vxmlTurnFormSchema } from './protocol';
import { formParams, readUrl } from './twilio.adapter';
import {
  MAX_SILENCES,
  type VoicePlan,
  type VoiceRef,
  callLocale,
  callerHash,
  callerIdentity,
  firstState,
  greetingFor,
  planStart,
  planTurn,
  readInput,
  stateOf,
  voiceCatalog,
} from './voice.call';
import { el, escapeXml } from './voice.xml';

/** One VoiceXML platform request, as the module hands it over: nothing in it is trusted yet. */
export interface VxmlRaw {
  shop: Shop | undefined;
  settings: ShopSettings;
  /** The request URL (absolute, or path and query: only the path and query are used). */
  url: string;
  /** The `Authorization` header. */
  authorization: string | undefined;
  /** The form body (the `namelist` of a `<submit>`). */
  body: unknown;
  route: 'start' | 'turn';
}

const SHOP_PARAMS = ['locale', 'userId', 'userHash'] as const;

/** `settings.channels.vxml`, as far as it is there. */
export function vxmlSettings(settings: ShopSettings): { token?: string; agentNumber?: string } {
  const own = settings.channels?.vxml;
  const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  return { token: str(own?.token), agentNumber: str(own?.agentNumber) };
}

/**
 * VoiceXML 2.1 for enterprise IVR platforms: `/start` answers a document with the greeting and a
 * `<field>` that takes speech and keys; its `<submit>` posts the answer to `/turn`, which runs the
 * turn and answers the next document — or a `<transfer>` to the shop's agents. The platform
 * authenticates with the shop's shared token; the call's state rides in the `next` URLs.
 */
export class VxmlAdapter implements CollectChannelAdapter<VxmlRaw, VoiceRef, string> {
  readonly id = 'vxml';
  readonly capabilities = {
    delivery: 'collect',
    cards: false,
    quickReplies: true,
    ssml: false,
    maxText: 160,
  } as const;

  async parse(raw: VxmlRaw): Promise<ChannelInbound<VoiceRef>> {
    return this.parseSync(raw);
  }

  parseSync(raw: VxmlRaw): ChannelInbound<VoiceRef> {
    const { token, agentNumber } = vxmlSettings(raw.settings);
    if (!raw.shop || !token)
      throw errors.forbidden('This shop does not take VoiceXML calls.', 'VXML_NOT_CONFIGURED');
    const url = readUrl(raw.url, 'http://kefu.invalid');
    const queryToken = url.searchParams.get('token') ?? undefined;
    const presented = bearerFrom(raw.authorization) ?? queryToken;
    if (!presented || !safeEqual(presented, token)) {
      throw errors.forbidden(
        'Send the shop\'s VoiceXML token as "Authorization: Bearer <token>" or ?token=.',
        'INVALID_TOKEN',
      );
    }
    const shop = raw.shop;
    const query = parseInput(vxmlQuerySchema, queryRecord(url.searchParams));
    const form = raw.route === 'turn' ? parseInput(vxmlTurnFormSchema, formParams(raw.body)) : undefined;
    if (raw.route === 'turn' && (!query.session || query.seq === undefined)) {
      throw errors.badRequest(
        'A turn needs the session and seq of the document that sent it.',
        'MISSING_CALL_STATE',
      );
    }
    const session = query.session ?? newId('vx');
    const anon = query.a ?? callerHash(shop, query.caller, session);
    const identity = callerIdentity(shop, query, undefined, session);
    const userId = identity.verified ? identity.userId : `phone:${anon}`;
    const locale = callLocale(shop, query.locale);
    const keep: [string, string][] = [
      ...SHOP_PARAMS.flatMap((k) => {
        const v = query[k];
        return v === undefined ? [] : [[k, v] as [string, string]];
      }),
      ['session', session],
      ['a', anon],
      // A platform that authenticates by query keeps doing so on the next request.
      ...(queryToken && !bearerFrom(raw.authorization) ? [['token', queryToken] as [string, string]] : []),
    ];
    const carried = raw.route === 'turn' ? stateOf(query) : undefined;
    const ref: VoiceRef = {
      shopId: shop.id,
      callId: session,
      userId,
      verified: identity.verified,
      locale,
      path: url.pathname.replace(/\/start$/, '/turn'),
      keep,
      state: carried ?? firstState(),
      person: false,
      greeting: greetingFor(shop, raw.settings, locale),
      ...(agentNumber ? { agentNumber } : {}),
    };
    if (!carried) return { kind: 'start', ref, locale };

    const message = {
      shopId: shop.id,
      channel: this.id,
      userId,
      verified: identity.verified,
      locale,
      dedupKey: `vxml:${session}:${carried.seq}`,
    };
    const answer = form?.answer?.trim() ?? '';
    const keyed = form?.inputmode === 'dtmf' || /^[0-9*#]+$/.test(answer);
    const input =
      query.event === 'noinput'
        ? ({ kind: 'silence' } as const)
        : readInput(
            keyed ? { digits: answer.slice(0, 64) } : { speech: form?.utterance?.trim() || answer },
            carried,
            locale,
          );
    if (input.kind === 'silence') {
      // The document re-prompts twice itself and submits `event=noinput` the third time.
      const silence = query.event === 'noinput' ? MAX_SILENCES : carried.silence + 1;
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
    if (inbound.kind === 'message' && result) return renderVxml(planTurn(ref, result));
    if (inbound.kind === 'end') return renderVxml({ kind: 'hangup', locale: ref.locale, say: '' });
    return renderVxml(planStart(ref));
  }
}

function bearerFrom(header: string | undefined): string | undefined {
  return header?.match(/^Bearer\s+(\S+)$/i)?.[1];
}

/** A voice plan as a VoiceXML 2.1 document. */
export function renderVxml(plan: VoicePlan): string {
  const t = (key: string) => translate(voiceCatalog, plan.locale, key);
  const prompt = (text: string) => (text ? el('prompt', { bargein: 'true' }, escapeXml(text)) : '');
  let body: string;
  switch (plan.kind) {
    case 'gather': {
      const noinput = `${plan.action}&event=noinput`;
      const field = el(
        'field',
        { name: 'answer' },
        [
          el('grammar', { mode: 'dtmf', src: 'builtin:dtmf/digits' }),
          el('grammar', { mode: 'voice', src: 'builtin:grammar/digits' }),
          menuGrammar(plan),
          el('property', { name: 'termchar', value: '#' }),
          prompt(plan.say),
          el('noinput', { count: '1' }, prompt(t('silence.reprompt')) + '<reprompt/>'),
          el('noinput', { count: '3' }, el('submit', { next: noinput, method: 'post' })),
          el('nomatch', {}, prompt(t('nomatch')) + '<reprompt/>'),
          el(
            'filled',
            {},
            el('assign', { name: 'utterance', expr: 'answer$.utterance' }) +
              el('assign', { name: 'inputmode', expr: 'answer$.inputmode' }) +
              el('submit', { next: plan.action, method: 'post', namelist: 'answer utterance inputmode' }),
          ),
        ].join(''),
      );
      body =
        el('var', { name: 'utterance', expr: "''" }) + el('var', { name: 'inputmode', expr: "''" }) + field;
      break;
    }
    case 'handoff':
      body = plan.agentNumber
        ? el('block', {}, prompt(plan.say)) +
          el('transfer', {
            name: 'agent',
            dest: telUri(plan.agentNumber),
            bridge: 'true',
            connecttimeout: '30s',
          })
        : el(
            'block',
            {},
            prompt([plan.say, t('handoff.no-agent')].filter(Boolean).join(' ')) + '<disconnect/>',
          );
      break;
    case 'hangup':
      body = el('block', {}, prompt(plan.say) + '<disconnect/>');
      break;
  }
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    el(
      'vxml',
      { version: '2.1', xmlns: 'http://www.w3.org/2001/vxml', 'xml:lang': plan.locale },
      el('form', { id: 'kefu' }, body),
    )
  );
}

/** Spoken menu words (or the offered choices' titles) mapped to their keys, so "退款" works like key 2. */
function menuGrammar(plan: Extract<VoicePlan, { kind: 'gather' }>): string {
  const catalogLocale = pickLocale(voiceCatalog, plan.locale);
  const words = (key: string): string[] => {
    const entry = voiceCatalog[catalogLocale]?.[key];
    return Array.isArray(entry) ? entry : entry ? [entry] : [];
  };
  const items: [string, string][] = [];
  const seen = new Set<string>();
  const add = (phrase: string, key: string) => {
    const p = phrase.trim();
    if (!p || seen.has(p)) return;
    items.push([p, key]);
    seen.add(p);
  };
  const titles = plan.choiceTitles.map((title) => title.trim());
  if (plan.state.digits) {
    // Waiting for a number: only "a person" besides the digits grammars.
  } else if (titles.length > 0) {
    // Titles that repeat ("查看这个订单" on every card) cannot tell the choices apart: keys only.
    if (new Set(titles).size === titles.length) titles.forEach((title, i) => add(title, String(i + 1)));
  } else {
    for (const key of ['1', '2', '3']) for (const w of words(`grammar.menu.${key}`)) add(w, key);
  }
  for (const w of words('grammar.menu.0')) add(w, '0');
  const oneOf = items
    .map(([phrase, key]) => el('item', {}, `${escapeXml(phrase)}${el('tag', {}, `out="${key}";`)}`))
    .join('');
  return el(
    'grammar',
    {
      mode: 'voice',
      version: '1.0',
      root: 'menu',
      'tag-format': 'semantics/1.0',
      'xml:lang': plan.locale,
      xmlns: 'http://www.w3.org/2001/06/grammar',
    },
    el('rule', { id: 'menu', scope: 'public' }, el('one-of', {}, oneOf)),
  );
}

function telUri(number: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(number) ? number : `tel:${number.replace(/[\s()-]/g, '')}`;
}

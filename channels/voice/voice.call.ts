import { createHmac } from 'node:crypto';
import type { Reply } from '../../bot/activity';
import { type Catalog, loadCatalog, pickLocale, translate } from '../../bot/i18n';
import { verifyUserHash } from '../../bot/identity';
import { HUMAN_POSTBACK } from '../../bot/router';
import { speakReplies } from '../../bot/spoken';
import { shopDisplayName, shopGreeting } from '../../bot/shop-profile';
import type { Shop, ShopSettings } from '../../bot/store/shops.repo';
import type { TurnResult } from '../../bot/turn';
import type { VoiceQuery } from './protocol';

/**
 * What the phone channels (Twilio, VoiceXML) share: the call's state carried in the next request's
 * URL, the caller's identity, the reading of speech and keypad input, and the plan of the answer
 * (prompt and gather again, or bring a person in) that each adapter writes in its own markup.
 */
export const voiceCatalog: Catalog = loadCatalog(__dirname);

export const DEFAULT_LOCALE = 'zh-CN';
/** Silent prompts before a person is brought in (the first two are re-prompted). */
export const MAX_SILENCES = 3;
/** The keypad menu of the greeting: key → the catalogue key of the task's canonical utterance. */
const MENU: Record<string, string> = { '1': 'menu.1', '2': 'menu.2', '3': 'menu.3' };

/** The call between two requests, carried in the action URL (signed by Twilio along with it). */
export interface CallState {
  /** The turn the next request is; its dedup key is `<channel>:<callId>:<seq>`. */
  seq: number;
  /** Silent prompts in a row. */
  silence: number;
  /** Payloads of the choices the last prompt offered: key 1 is choices[0]. */
  choices: string[];
  /** The bot waits for a number: keypad digits are the answer rather than a menu key. */
  digits: boolean;
}

export const firstState = (): CallState => ({ seq: 1, silence: 0, choices: [], digits: false });

/** The state's query parameters (compact: the choices' common prefix is written once). */
export function stateParams(state: CallState): [string, string][] {
  const out: [string, string][] = [['seq', String(state.seq)]];
  if (state.silence > 0) out.push(['sil', String(state.silence)]);
  if (state.choices.length > 0) {
    const prefix = state.choices.length > 1 ? commonPrefix(state.choices) : '';
    if (prefix) out.push(['cp', prefix]);
    for (const c of state.choices) out.push(['c', c.slice(prefix.length)]);
  }
  if (state.digits) out.push(['dg', '1']);
  return out;
}

/** The state a request carries, or undefined for the first request of a call (no `seq` yet). */
export function stateOf(query: VoiceQuery): CallState | undefined {
  if (query.seq === undefined) return undefined;
  return {
    seq: query.seq,
    silence: query.sil ?? 0,
    choices: (query.c ?? []).map((suffix) => (query.cp ?? '') + suffix),
    digits: query.dg === '1',
  };
}

function commonPrefix(values: string[]): string {
  let prefix = values[0] ?? '';
  for (const v of values) while (!v.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}

/** The URL of the next request: the shop's own parameters kept, the call's state replaced. */
export function nextUrl(path: string, keep: [string, string][], state: CallState): string {
  return `${path}?${new URLSearchParams([...keep, ...stateParams(state)]).toString()}`;
}

/**
 * The caller: the shop's own customer when the webhook URL carries a `userId` with a valid
 * `userHash` (the shop's IVR vouches for them), else an anonymous `phone:<hash>` keyed with the
 * shop's identity secret (stable per shop and number; the number itself is never kept).
 */
export function callerIdentity(
  shop: Shop,
  claim: { userId?: string; userHash?: string },
  caller: string | undefined,
  callId: string,
): { userId: string; verified: boolean; claimRejected: boolean } {
  if (claim.userId && claim.userHash) {
    if (verifyUserHash(shop.identitySecret, claim.userId, claim.userHash)) {
      return { userId: claim.userId, verified: true, claimRejected: false };
    }
    return { userId: anonymousId(shop, caller, callId), verified: false, claimRejected: true };
  }
  return { userId: anonymousId(shop, caller, callId), verified: false, claimRejected: false };
}

export function anonymousId(shop: Shop, caller: string | undefined, callId: string): string {
  return `phone:${callerHash(shop, caller, callId)}`;
}

/** 32 hex digits of HMAC-SHA256(identitySecret, number); a withheld number falls back to the call. */
export function callerHash(shop: Shop, caller: string | undefined, callId: string): string {
  const number = (caller ?? '').replace(/[\s()-]/g, '');
  const key = /\d{3,}/.test(number) ? `tel:${number}` : `call:${callId}`;
  return createHmac('sha256', shop.identitySecret).update(key, 'utf8').digest('hex').slice(0, 32);
}

/** +8613812345678 → +86138****5678: numbers appear in logs only like this. */
export function maskPhone(value: string | undefined): string | undefined {
  if (!value) return value;
  const digits = value.replace(/\D/g, '');
  if (digits.length < 7) return '***';
  return `${value.startsWith('+') ? '+' : ''}${digits.slice(0, -8)}****${digits.slice(-4)}`;
}

/** What the caller did at a prompt. */
export type CallInput =
  | { kind: 'silence' }
  | { kind: 'text'; text: string }
  | { kind: 'payload'; payload: string; person: boolean };

/**
 * Reads speech and keys. Speech is the caller's words. Keys: 0 is always "a person"; while the bot
 * waits for a number the digits are the answer (order id, amount, `#` ends them); otherwise a key
 * of an offered choice sends that choice's payload, and with no choices 1/2/3 are the greeting's
 * menu. Anything else keyed (a number the bot did not ask for) goes to the bot as text.
 */
export function readInput(
  input: { speech?: string; digits?: string },
  state: CallState,
  locale: string,
): CallInput {
  const speech = input.speech?.trim();
  if (speech) return { kind: 'text', text: speech };
  const digits = (input.digits ?? '').replace(/[*#]/g, '');
  if (!digits) return { kind: 'silence' };
  if (digits === '0') return { kind: 'payload', payload: HUMAN_POSTBACK, person: true };
  if (state.digits) return { kind: 'text', text: digits };
  if (state.choices.length > 0) {
    const chosen = /^[1-9]$/.test(digits) ? state.choices[Number(digits) - 1] : undefined;
    if (chosen) return { kind: 'payload', payload: chosen, person: chosen === HUMAN_POSTBACK };
    return { kind: 'text', text: digits };
  }
  const menu = MENU[digits];
  if (menu) return { kind: 'text', text: translate(voiceCatalog, locale, menu) };
  return { kind: 'text', text: digits };
}

/** The shop's greeting in the call's language, else the phone catalogue's with its name. */
export function greetingFor(shop: Shop, settings: ShopSettings, locale: string): string {
  return (
    shopGreeting(settings, locale) ??
    translate(voiceCatalog, locale, 'greeting.default', { name: shopDisplayName(shop, settings) })
  );
}

/** The call's language: `?locale=` on the webhook URL, else the shop's first. */
export function callLocale(shop: Shop, requested: string | undefined): string {
  return requested ?? shop.locales[0] ?? DEFAULT_LOCALE;
}

/** Everything an adapter needs to answer one request of a call. */
export interface VoiceRef {
  shopId: string;
  /** Twilio's CallSid, or the VoiceXML session. */
  callId: string;
  userId: string;
  verified: boolean;
  locale: string;
  /** Where the next request goes, and the shop's own query parameters it keeps. */
  path: string;
  keep: [string, string][];
  /** The state this request carried (after counting its silence). */
  state: CallState;
  /** The caller asked for a person (key 0, or silent too long). */
  person: boolean;
  greeting: string;
  agentNumber?: string;
  /** After the turn: the bot waits for a number (read from the dialogue state by the module). */
  expectDigits?: boolean;
  /** For a re-prompt: what the bot said last (read from the dialogue state by the module). */
  repeat?: Reply[];
}

/** The answer to one request, before it is written as TwiML or VoiceXML. */
export type VoicePlan =
  /** Say, then listen for speech or keys; the answer goes to `action`. */
  | { kind: 'gather'; locale: string; say: string; action: string; state: CallState; choiceTitles: string[] }
  /** Say, then connect the caller to the shop's agents. */
  | { kind: 'handoff'; locale: string; say: string; agentNumber?: string; queue: string }
  /** Say, then hang up (the call ended, or a status callback). */
  | { kind: 'hangup'; locale: string; say: string };

/** The queue a shop's calls wait in when it has no agent number. */
export const queueName = (shopId: string) => `kefu-${shopId}`;

export function planStart(ref: VoiceRef): VoicePlan {
  const { locale } = ref;
  const t = (key: string) => translate(voiceCatalog, locale, key);
  if (ref.state.silence === 0) {
    return gather(ref, joinSpoken([ref.greeting, t('menu.prompt')], locale), ref.state, []);
  }
  // A re-prompt: the last question again (or the menu, when the bot has not spoken yet).
  const spoken = ref.repeat?.length ? speakReplies(forVoice(ref.repeat), { locale, dtmf: true }) : undefined;
  const say = joinSpoken([t('silence.reprompt'), spoken?.text || t('menu.prompt')], locale);
  return gather(
    ref,
    say,
    { ...ref.state, seq: ref.state.seq + 1 },
    spoken?.choices.map((c) => c.title) ?? [],
  );
}

export function planTurn(ref: VoiceRef, result: TurnResult): VoicePlan {
  const { locale } = ref;
  const wantsPerson = ref.person || result.nlu?.intent === 'common.human';
  if (result.handoff !== 'none' || wantsPerson) {
    // The call goes to a person now: no options to read out.
    const plain = result.replies.map(({ quickReplies: _q, ...r }) =>
      r.card ? { ...r, card: { ...r.card, buttons: undefined } } : r,
    );
    const lead = ref.state.silence >= MAX_SILENCES ? translate(voiceCatalog, locale, 'silence.handoff') : '';
    return {
      kind: 'handoff',
      locale,
      say: joinSpoken([lead, speakReplies(plain, { locale, dtmf: true }).text], locale),
      ...(ref.agentNumber ? { agentNumber: ref.agentNumber } : {}),
      queue: queueName(ref.shopId),
    };
  }
  const spoken = speakReplies(forVoice(result.replies), { locale, dtmf: true });
  const next: CallState = {
    seq: ref.state.seq + 1,
    silence: 0,
    choices: spoken.choices.map((c) => c.payload),
    digits: !!ref.expectDigits,
  };
  return gather(
    ref,
    spoken.text || translate(voiceCatalog, locale, 'turn.empty'),
    next,
    spoken.choices.map((c) => c.title),
  );
}

/**
 * A list of cards (the orders to pick from) is a menu on the phone: each card becomes one option
 * named by its line ("订单 1005：轻量跑步鞋"), instead of every card read in full with the same
 * "查看这个订单" button — which a caller could neither sit through nor tell apart.
 */
export function forVoice(replies: Reply[]): Reply[] {
  const listed = replies.filter((r) => r.card?.buttons?.length === 1);
  if (listed.length < 2) return replies;
  return replies.map((r) => {
    const button = r.card?.buttons?.length === 1 ? r.card.buttons[0] : undefined;
    if (!button || !r.card) return r;
    const title = r.text.replace(/^\s*\d+\s*[.、]\s*/, '').trim() || r.card.title;
    return { text: '', quickReplies: [{ title, payload: button.payload }] };
  });
}

function gather(ref: VoiceRef, say: string, state: CallState, choiceTitles: string[]): VoicePlan {
  return {
    kind: 'gather',
    locale: ref.locale,
    say: speakable(say).trim(),
    action: nextUrl(ref.path, ref.keep, state),
    state,
    choiceTitles,
  };
}

function joinSpoken(parts: string[], locale: string): string {
  const zh = pickLocale(voiceCatalog, locale).startsWith('zh');
  return parts
    .map((p) => speakable(p).trim())
    .filter(Boolean)
    .join(zh ? '' : ' ');
}

/** Text as XML allows it: no control characters a TTS engine (or an XML parser) would choke on. */
export function speakable(text: string): string {
  return text.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '');
}

import { createHash } from 'node:crypto';
import { type Catalog, loadCatalog, translate } from '../../bot/i18n';
import { type SpokenReply, speakReplies } from '../../bot/spoken';
import { shopDisplayName, shopGreeting } from '../../bot/shop-profile';
import type { Shop, ShopSettings } from '../../bot/store/shops.repo';
import type { TurnResult } from '../../bot/turn';

/** What both speaker adapters say, and how they name the customer. */
export const catalog: Catalog = loadCatalog(__dirname);

export const SPEAKER_LOCALES = ['zh-CN', 'en-US'] as const;

export type ShopLookup = (shopId: string) => Promise<{ shop: Shop; settings: ShopSettings } | undefined>;

export function t(locale: string, key: string, vars: Record<string, string | number> = {}): string {
  return translate(catalog, locale, key, vars);
}

/** A stable, opaque id for a platform's user id (the raw id never reaches the store). */
export function hashId(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 32);
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** The shop's settings under `channels.<name>`, as plain strings. */
export function channelSettings(settings: ShopSettings, name: string): Record<string, string | undefined> {
  const raw = record(record(settings.channels)[name]);
  return Object.fromEntries(
    Object.entries(raw).map(([k, v]) => [
      k,
      typeof v === 'string' || typeof v === 'number' ? String(v) : undefined,
    ]),
  );
}

/** The shop's greeting for `locale`, else the speaker catalogue's. */
export function greetingFor(shop: Shop, settings: ShopSettings, locale: string): string {
  return (
    shopGreeting(settings, locale) ?? t(locale, 'greeting.default', { name: shopDisplayName(shop, settings) })
  );
}

export function isZh(locale: string): boolean {
  return locale.startsWith('zh');
}

function join(locale: string, a: string, b: string): string {
  if (!a) return b;
  return isZh(locale) ? `${a}${b}` : `${a} ${b}`;
}

export interface SpokenTurn extends SpokenReply {
  /** The bot waits for an answer: it asked a question or offered options. */
  waiting: boolean;
  /** A person was asked for: a speaker cannot transfer, so it says where to go and ends. */
  handoff: boolean;
}

/** A turn's replies as a speaker says them (no DTMF: options are things to say). */
export function speakTurn(result: TurnResult, locale: string): SpokenTurn {
  const spoken = speakReplies(result.replies, { locale, dtmf: false });
  const handoff = result.handoff !== 'none';
  let text = spoken.text;
  if (result.replies.length === 0 && !handoff) text = t(locale, 'pending');
  if (handoff) text = join(locale, text, t(locale, 'handoff'));
  const last = result.replies.at(-1)?.text.trim() ?? '';
  const waiting = !handoff && (spoken.choices.length > 0 || /[?？]$/.test(last));
  return { text, choices: handoff ? [] : spoken.choices, waiting, handoff };
}

/** The options alone, read as "you can say …" (a reprompt). */
export function speakChoices(choices: SpokenReply['choices'], locale: string): string {
  return speakReplies(
    [{ text: '', quickReplies: choices.map(({ title, payload }) => ({ title, payload })) }],
    {
      locale,
      dtmf: false,
    },
  ).text;
}

/** Case, spaces and punctuation do not matter when a customer says an option back. */
export function sameWords(a: string, b: string): boolean {
  const norm = (s: string) =>
    s
      .normalize('NFKC')
      .toLowerCase()
      .replace(/[\s\p{P}]+/gu, '');
  const na = norm(a);
  return na.length > 0 && na === norm(b);
}

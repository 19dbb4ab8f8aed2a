import type { Reply } from './activity';
import { type Catalog, loadCatalog, pickLocale, translate } from './i18n';

/**
 * Replies as a voice says them, for the collect channels (phone IVR, smart speakers): no cards
 * or buttons, a card's fields read as sentences, quick replies read as a menu ("press 1 for…"
 * on a phone, "you can say…" on a speaker), order ids and phone numbers digit by digit, and a
 * long text cut at a sentence with a pointer to the app.
 */
export interface SpokenReply {
  /** Plain text to speak (no markup; SSML renderers escape it). */
  text: string;
  /** The quick replies in the order read out: on a phone, choice i is key i + 1. */
  choices: { key: string; title: string; payload: string }[];
}

export interface SpokenOptions {
  locale: string;
  /** Phone: read the options as keys to press. Speaker: as things to say. */
  dtmf: boolean;
  /** Longest text before it is cut at a sentence end (characters). */
  maxChars?: number;
}

const catalog: Catalog = loadCatalog(__dirname);
/** Keys 1–9: 0 is kept for "a person", # ends digit input, * repeats. */
const MAX_CHOICES = 9;
const DEFAULT_MAX_CHARS = { zh: 160, en: 400 };

export function speakReplies(replies: Reply[], opts: SpokenOptions): SpokenReply {
  const zh = pickLocale(catalog, opts.locale).startsWith('zh');
  const parts: string[] = [];
  const quick = replies.flatMap((r) => [...(r.card?.buttons ?? []), ...(r.quickReplies ?? [])]);
  for (const reply of replies) {
    if (reply.text.trim()) parts.push(reply.text.trim());
    if (reply.card) parts.push(speakCard(reply.card, zh));
  }
  const seen = new Set<string>();
  const choices = quick
    .filter((q) => !seen.has(q.payload) && seen.add(q.payload))
    .slice(0, MAX_CHOICES)
    .map((q, i) => ({ key: String(i + 1), title: q.title, payload: q.payload }));

  const maxChars = opts.maxChars ?? (zh ? DEFAULT_MAX_CHARS.zh : DEFAULT_MAX_CHARS.en);
  let text = shorten(
    clean(parts.join(zh ? '' : ' ')),
    maxChars,
    translate(catalog, opts.locale, 'spoken.more'),
  );
  if (choices.length > 0) {
    const titles = choices.map((c) => clean(c.title));
    const menu = opts.dtmf
      ? choices
          .map((c, i) => translate(catalog, opts.locale, 'spoken.press', { key: c.key, title: titles[i]! }))
          .join(zh ? '；' : ' ') + (zh ? '。' : '')
      : translate(catalog, opts.locale, 'spoken.say', {
          titles: new Intl.ListFormat(zh ? 'zh-CN' : 'en-US', { type: 'disjunction' }).format(titles),
        });
    if (zh && text && !/[。！？，；]$/.test(text)) text += '。';
    text += (text && !zh ? ' ' : '') + menu;
  }
  return { text: readDigits(text), choices };
}

function speakCard(card: NonNullable<Reply['card']>, zh: boolean): string {
  const sentence = (s: string) => (/[。.!?！？]$/.test(s) ? s : s + (zh ? '。' : '.'));
  const lines = [
    card.title,
    card.subtitle,
    ...(card.fields ?? []).map((f) => `${f.label}${zh ? '：' : ': '}${f.value}`),
  ];
  return lines
    .filter((l): l is string => !!l && !!l.trim())
    .map((l) => sentence(l.trim()))
    .join(zh ? '' : ' ');
}

/** Markup, links and symbols a voice would read out literally. */
function clean(text: string): string {
  return text
    .replace(/https?:\/\/\S+/g, '')
    .replace(/^#+\s+/gm, '')
    .replace(/[*_`>|]+/g, '')
    .replace(/\p{Extended_Pictographic}\uFE0F?/gu, '')
    .replace(/\s*\n+\s*/g, ' ')
    .replace(/\s{2,}/g, ' ')
    .trim();
}

/** Cuts at the last sentence end before `max` (else at a clause break), and says there is more. */
function shorten(text: string, max: number, more: string): string {
  if ([...text].length <= max) return text;
  const head = [...text].slice(0, max).join('');
  const lastOf = (marks: string[]) => Math.max(...marks.map((p) => head.lastIndexOf(p)));
  let end = lastOf(['。', '！', '？', '. ', '! ', '? ']);
  if (end < max / 3) end = lastOf(['，', '；', ', ', '; ']);
  const cut = end >= max / 3 ? head.slice(0, end + 1) : head;
  return `${cut.trim()} ${more}`.trim();
}

/**
 * Runs of 4+ digits (order ids, phone and tracking numbers, 021-60000000) are spaced so a voice
 * reads them one by one; amounts (¥1299, 1299元, 12.50), years (2026年) and dates (2026-12-06) are
 * left as they are.
 */
function readDigits(text: string): string {
  return text
    .replace(/(?<!\d)(\d{3,4})-(\d{7,8})(?!\d)/g, (_m, area: string, local: string) =>
      [area, local].map((part) => part.split('').join(' ')).join(', '),
    )
    .replace(/(?<![\d.¥$￥]|\d-)\d{4,}(?![\d.]|-\d|\s*(?:元|块|年|yuan|RMB|dollars))/g, (run) =>
      run.split('').join(' '),
    );
}

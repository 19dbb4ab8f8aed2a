import { extractAmounts, extractContextAmounts, parseNumeral } from './amount.extractor';
import { ZH_NUMERAL_CHARS } from './chinese-number';
import { extractCities } from './city.extractor';
import { extractCounts } from './count.extractor';
import { extractDates } from './date.extractor';
import {
  type AmountEntity,
  type Candidate,
  Claims,
  type Entity,
  type EntityType,
  type ExtractOptions,
} from './entity';
import { extractMarkedOrderIds, extractOrderIds } from './order-id.extractor';
import { extractPhones } from './phone.extractor';
import { toWorkingText } from './working-text';

const BARE_ARABIC = /(?<![\d.a-z])\d+(?:\.\d+)?(?![\d]|\.\d|[a-z])/g;
// A message that is only a Chinese numeral, maybe with a particle: "一百", "两百吧", "一千二呀".
const ONLY_ZH_NUMERAL = new RegExp(
  `^\\s*([${ZH_NUMERAL_CHARS}]+(?:点[零〇一二三四五六七八九]+)?)\\s*(?:吧|啊|呀|哦|噢|的|就行|就好|好了)?\\s*[.!?,。！？，~]*\\s*$`,
  'u',
);

const TYPE_ORDER: EntityType[] = [
  'orderId',
  'phone',
  'date',
  'time',
  'timeOfDay',
  'amount',
  'count',
  'number',
  'city',
  'station',
  'fromCity',
  'toCity',
];

function foldWidth(text: string): string {
  return text.replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
}

/** Bare numbers nothing else claimed: the kind the bot asked for, else order id / `number`. */
function extractBareNumbers(w: string, folded: string, opts: ExtractOptions, claims: Claims): Candidate[] {
  const out: Candidate[] = [];
  const spans: { start: number; end: number; value: number }[] = [];
  const onlyZh = ONLY_ZH_NUMERAL.exec(w);
  if (onlyZh) {
    const start = w.indexOf(onlyZh[1]!);
    const value = parseNumeral(onlyZh[1]!);
    if (value !== undefined) spans.push({ start, end: start + onlyZh[1]!.length, value });
  }
  for (const m of w.matchAll(BARE_ARABIC))
    spans.push({ start: m.index, end: m.index + m[0].length, value: Number(m[0]) });
  for (const s of spans) {
    if (claims.overlaps(s.start, s.end)) continue;
    const integer = Number.isInteger(s.value);
    if (opts.expect === 'amount') {
      out.push({ type: 'amount', value: String(s.value), amount: s.value, start: s.start, end: s.end });
    } else if (opts.expect === 'count' && integer && s.value > 0 && s.value <= 9999) {
      out.push({ type: 'count', value: String(s.value), start: s.start, end: s.end });
    } else if (opts.expect === 'orderId' && /^\d+$/.test(folded.slice(s.start, s.end))) {
      out.push({ type: 'orderId', value: folded.slice(s.start, s.end), start: s.start, end: s.end });
    } else continue;
    claims.add(s.start, s.end);
  }
  // What is still free: order ids by the shop's pattern, then plain numbers.
  out.push(...extractOrderIds(folded, opts.orderIdPattern, claims));
  for (const s of spans) {
    if (claims.overlaps(s.start, s.end)) continue;
    claims.add(s.start, s.end);
    out.push({ type: 'number', value: String(s.value), start: s.start, end: s.end });
  }
  return out;
}

/**
 * The entities in one message. `text` may be raw or already normalised (`normalize`): offsets always
 * refer to `text`. Extractors run from the most to the least certain and a span, once taken, is not
 * given to another type: an order id the customer labelled (订单号…), phones, dates and times,
 * amounts with a currency, counts, amounts by context (充值一百), then order ids by pattern and plain
 * numbers. Cities never contain digits and run on their own. A time of day may overlap a date (今晚).
 */
export function extractEntities(text: string, opts: ExtractOptions): Entity[] {
  const w = toWorkingText(text);
  const folded = foldWidth(text);
  const claims = new Claims();
  const candidates: Candidate[] = [
    ...extractMarkedOrderIds(w, folded, opts.orderIdPattern, claims),
    ...extractPhones(w, claims),
    ...extractDates(w, opts, claims),
    ...extractAmounts(w, claims),
    ...extractCounts(w, claims),
    ...extractContextAmounts(w, claims),
    ...extractBareNumbers(w, folded, opts, claims),
    ...extractCities(w),
  ];
  candidates.sort((a, b) => a.start - b.start || TYPE_ORDER.indexOf(a.type) - TYPE_ORDER.indexOf(b.type));
  return candidates.map((c) => {
    const e: Entity = {
      type: c.type,
      value: c.value,
      text: text.slice(c.start, c.end),
      start: c.start,
      end: c.end,
    };
    if (c.currency) e.currency = c.currency;
    if (c.unit) e.unit = c.unit;
    if (c.type === 'amount') (e as AmountEntity).amount = c.amount ?? Number(c.value);
    return e;
  });
}

/** The amounts in a message with their numeric value. */
export function extractAmountEntities(text: string, opts: ExtractOptions): AmountEntity[] {
  return extractEntities(text, opts).filter((e): e is AmountEntity => e.type === 'amount');
}

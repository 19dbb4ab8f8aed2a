import type { Entity } from '../../bot/nlu';
import type { TicketOption, TicketType } from '../../commerce/commerce';

/**
 * Reading a booking's slots out of one message: ticket type from words, cities with their role,
 * the date, the passenger count, and which of the listed options the customer means.
 */

/** A city as the NLU names it (`key`, the English canonical name the backend understands) and as typed. */
export interface Place {
  key: string;
  /** The Chinese name the customer typed (北京), for Chinese replies; absent for abbreviations like 沪. */
  zh?: string;
}

/** Each backend refuses more; the demo shop too (1–9). */
export const MAX_PASSENGERS = 9;

const FLIGHT_WORDS =
  /机票|飞机|航班|飞|\b(?:flights?|fly|flying|planes?|airfares?|air\s*tickets?|airlines?)\b/i;
const TRAIN_WORDS = /火车|高铁|动车|列车|车票|\b(?:trains?|rail|railways?|high[-\s]speed|bullet\s+train)\b/i;

/** flight / train from the customer's words; undefined when neither or both are named. */
export function ticketTypeIn(text: string): TicketType | undefined {
  const flight = FLIGHT_WORDS.test(text);
  const train = TRAIN_WORDS.test(text);
  if (flight === train) return undefined;
  return flight ? 'flight' : 'train';
}

// A city named with one of these words is that end of the trip, whatever preposition carries it:
// "出发地改成南京", "change the departure city to Hangzhou" (the NLU reads "to Hangzhou" as the destination).
const ORIGIN_WORDS =
  /出发地|出发城市|始发地|始发站|起点|起飞城市|起飞地|\b(?:departure\s+(?:city|point|airport|station)|origin|starting\s+(?:city|point))\b/i;
const DESTINATION_WORDS =
  /目的地|终点|到达城市|到达地|\b(?:destination|arrival\s+(?:city|airport|station))\b/i;
const STATION_SUFFIX = /(?:[东南西北]?站|火车站|高铁站|(?:国际)?机场)$/u;

export interface CityMention {
  place: Place;
  role?: 'from' | 'to';
}

function startOf(e: Entity): number | undefined {
  const start = (e as Entity & { start?: unknown }).start;
  return typeof start === 'number' ? start : undefined;
}

function placeOf(e: Entity): Place {
  const typed = (e.text ?? '').trim().replace(/市$/u, '').replace(STATION_SUFFIX, '');
  return /^\p{Script=Han}{2,}$/u.test(typed) ? { key: e.value, zh: typed } : { key: e.value };
}

/**
 * The cities of a message, left to right. The NLU gives every mention a `city` entity and, when
 * 从/到/from/to or a pair (北京到上海) mark it, a `fromCity` / `toCity` on the same span.
 */
export function cityMentions(text: string, entities: Entity[]): CityMention[] {
  const mentions = new Map<string, CityMention>();
  entities.forEach((e, i) => {
    if (e.type !== 'city' && e.type !== 'fromCity' && e.type !== 'toCity') return;
    const key = `${startOf(e) ?? `#${i}`}:${e.text ?? e.value}`;
    const m = mentions.get(key) ?? { place: placeOf(e) };
    if (e.type === 'fromCity') m.role = 'from';
    if (e.type === 'toCity') m.role = 'to';
    mentions.set(key, m);
  });
  const list = [...mentions.values()];
  if (list.length === 1) {
    const origin = ORIGIN_WORDS.test(text);
    const destination = DESTINATION_WORDS.test(text);
    if (origin !== destination) list[0]!.role = origin ? 'from' : 'to';
  } else if (list.length === 2 && list.every((m) => !m.role)) {
    // "北京 上海", "Beijing Shanghai": the trip starts at the first.
    list[0]!.role = 'from';
    list[1]!.role = 'to';
  }
  return list;
}

/** The last date named ("不是明天，是后天" means the day after tomorrow). */
export function dateIn(entities: Entity[]): string | undefined {
  return entities.filter((e) => e.type === 'date').at(-1)?.value;
}

const PERSON_UNITS = new Set(['adult', 'child', 'infant', 'senior', 'student']);
const PASSENGER_UNITS = new Set([
  ...PERSON_UNITS,
  'ticket',
  'person',
  'seat',
  '张',
  '位',
  '个',
  '名',
  '人',
  '口',
]);

/**
 * How many passengers a message names: "两张", "2 tickets", "三个人", "两个大人一个小孩" (3). Undefined when
 * it names none; "第二个" is an ordinal, not a count.
 */
export function passengersIn(text: string, entities: Entity[], numberAnswers: boolean): number | undefined {
  const counts = entities.filter((e) => {
    if (e.type !== 'count') return false;
    const unit = (e as Entity & { unit?: string }).unit;
    if (unit !== undefined && !PASSENGER_UNITS.has(unit)) return false;
    return !e.text || !text.includes(`第${e.text}`);
  });
  if (counts.length > 1) {
    const units = counts.map((e) => (e as Entity & { unit?: string }).unit ?? '');
    if (units.every((u) => PERSON_UNITS.has(u)) && new Set(units).size === units.length) {
      return counts.reduce((sum, e) => sum + Number(e.value), 0);
    }
  }
  const count = counts.at(-1);
  if (count) return Number(count.value);
  // A bare "2" is a count only when the bot asked how many.
  const n = numberAnswers ? entities.find((e) => e.type === 'number') : undefined;
  return n && /^\d+$/.test(n.value) ? Number(n.value) : undefined;
}

const CHEAPEST = /最便宜|最低价|价格最低|\bcheapest\b|\blowest\s+price\b/i;
const EARLIEST = /最早|\bearliest\b/i;
const LATEST = /最晚|\blatest\b/i;
// "option 2", "number 3", "no. 1", "#2": a place in the list ("第二个", "the second one" are pickOrdinal's).
const LIST_POSITION = /(?:\b(?:option|number)\s*|\bno\.\s*|#\s*)(\d{1,2})\b/i;

/**
 * The listed option the customer means, by train or flight number ("G7", "mu5101"), by its place
 * ("option 2"), by departure
 * time (a `time` entity: "8点那班", "the 8:00 one"), or by cheapest / earliest / latest. Ordinals
 * ("第二个", "the second one") are `pickOrdinal`'s.
 */
export function optionNamed(
  text: string,
  entities: Entity[],
  options: TicketOption[],
  hhmm: (iso: string) => string,
): TicketOption | undefined {
  const folded = text.toUpperCase().replace(/\s+/g, '');
  const byNumber = options.find((o) =>
    new RegExp(`(^|[^A-Z0-9])${o.number.toUpperCase()}(?![0-9])`).test(folded),
  );
  if (byNumber) return byNumber;
  const time = entities.find((e) => e.type === 'time')?.value;
  if (time) {
    const exact = options.find((o) => hhmm(o.departAt) === time);
    if (exact) return exact;
    const sameHour = options.filter((o) => hhmm(o.departAt).slice(0, 2) === time.slice(0, 2));
    if (sameHour.length === 1) return sameHour[0];
  }
  if (options.length === 0) return undefined;
  const listed = LIST_POSITION.exec(text);
  if (listed) return options[Number(listed[1]) - 1];
  if (CHEAPEST.test(text)) return options.reduce((a, b) => (b.price < a.price ? b : a));
  if (EARLIEST.test(text)) return options[0];
  if (LATEST.test(text)) return options.at(-1);
  return undefined;
}

import { addDays, addMonths, type Day, dayIn, daysBetween, formatDay, isValidDay, weekday } from './calendar';
import { parseChineseNumber } from './chinese-number';
import { type Candidate, type Claims, type ExtractOptions } from './entity';
import { ENGLISH_NUMBER_SOURCE, parseEnglishNumber } from './english-number';

// Resolution rules (documented in README.md of this folder):
// - a month and day without a year → the nearest such day (up to six months back, else ahead);
// - a bare day of month (5号) → this month if it has not passed, else next month;
// - a bare weekday (周五, Friday, this Friday, on Friday) → the next one, today included;
// - but a bare day or weekday said of something done (5号买的, ordered on Friday) → the last one;
// - 这周五/本周五 → Friday of this Monday-to-Sunday week (may be past); 下周五, next Friday → next week's.

const ZH_SMALL = '[〇零一二两三四五六七八九十]';
const ZH_YEAR = `(\\d{4}|\\d{2}|[〇零一二三四五六七八九]{4}|[〇零一二三四五六七八九]{2})`;
const MONTH = `(\\d{1,2}|十[一二]?|[一二三四五六七八九])`;
const DAY = `(\\d{1,2}|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])`;
// Numbers before 号 that are not days: line 5, building 3, size 42, window 2…
const NOT_A_DAY_AFTER = '线楼门房床座桌位机车厢馆厅店仓窗柜码台口包键选种款色';

const ZH_WEEKDAYS: Record<string, number> = {
  一: 1,
  二: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  日: 7,
  天: 7,
  七: 7,
  末: 6,
};
const EN_WEEKDAYS: Record<string, number> = {
  monday: 1,
  mon: 1,
  tuesday: 2,
  tue: 2,
  tues: 2,
  wednesday: 3,
  wed: 3,
  thursday: 4,
  thu: 4,
  thur: 4,
  thurs: 4,
  friday: 5,
  fri: 5,
  saturday: 6,
  sat: 6,
  sunday: 7,
  sun: 7,
};
const EN_MONTHS: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};
const EN_MONTH =
  '(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
const RELATIVE_DAYS: Record<string, number> = {
  大前天: -3,
  前天: -2,
  昨天: -1,
  昨日: -1,
  昨儿: -1,
  昨晚: -1,
  今天: 0,
  今日: 0,
  今儿: 0,
  今晚: 0,
  今早: 0,
  明天: 1,
  明日: 1,
  明儿: 1,
  明晚: 1,
  明早: 1,
  后天: 2,
  大后天: 3,
  today: 0,
  tonight: 0,
  tomorrow: 1,
  tmr: 1,
  tmrw: 1,
  tomorow: 1,
  tommorow: 1,
  tommorrow: 1,
  yesterday: -1,
};
const TIME_OF_DAY: Record<string, string> = {
  凌晨: 'night',
  半夜: 'night',
  夜里: 'night',
  夜间: 'night',
  清晨: 'morning',
  早上: 'morning',
  早晨: 'morning',
  一早: 'morning',
  今早: 'morning',
  明早: 'morning',
  上午: 'morning',
  中午: 'noon',
  下午: 'afternoon',
  傍晚: 'evening',
  晚上: 'evening',
  今晚: 'evening',
  明晚: 'evening',
  昨晚: 'evening',
  morning: 'morning',
  noon: 'noon',
  afternoon: 'afternoon',
  evening: 'evening',
  tonight: 'evening',
  night: 'night',
  midnight: 'night',
};

const EN_NUM = `(\\d{1,3}|a|an|${ENGLISH_NUMBER_SOURCE})`;
const ZH_NUM = `(\\d{1,3}|${ZH_SMALL}{1,3}|半)`;

function re(source: string): RegExp {
  return new RegExp(source, 'gu');
}

const PATTERNS = {
  zhFull: re(`(?<![\\d.])${ZH_YEAR}\\s*年\\s*${MONTH}\\s*月\\s*${DAY}\\s*[日号]?`),
  isoFull: re(`(?<![\\da-z.\\/-])(\\d{4})([-/.])(\\d{1,2})\\2(\\d{1,2})(?![\\da-z]|[-/.]\\d)\\s*[日号]?`),
  slashDate: re(`(?<![\\da-z.\\/-])(\\d{1,2})\\/(\\d{1,2})(?:\\/(\\d{4}|\\d{2}))?(?![\\d\\/]|\\.\\d)`),
  dotDay: re(`(?<![\\d.])(\\d{1,2})\\.(\\d{1,2})\\s*[日号]`),
  zhMonthDay: re(`(?<![\\d.])${MONTH}\\s*月\\s*(?:份\\s*)?${DAY}\\s*[日号]?(?![\\d个天])`),
  zhRelMonthDay: re(`(下下个?月|下个?月|这个?月|本月|上个?月)\\s*${DAY}\\s*[日号]`),
  zhDay: re(`(?<![\\d.月第路街巷弄道村栋])(\\d{1,2}\\s*[日号]|${DAY}\\s*号)(?![\\d${NOT_A_DAY_AFTER}])`),
  zhWeekday: re(`(下下个?|下个?|这个?|本|上上个?|上个?|每)?\\s*(?:周|星期|礼拜)([一二三四五六日天七末])`),
  // 以前天天 / 然后天气: 前天 and 后天 only when they are not the tail of another word.
  zhRelative: re(`大后天|大前天|(?<![以之然最提午])(?:前天|后天)|昨[天日儿晚]|今[天日儿晚早]|明[天日儿晚早]`),
  zhOffset: re(
    `(?:过\\s*${ZH_NUM}\\s*(个)?\\s*(天|日|周|星期|礼拜|月)|${ZH_NUM}\\s*(个)?\\s*(天|日|周|星期|礼拜|月)\\s*(之后|以后|后|之前|以前|前))`,
  ),
  enRelative: re(
    `\\b(?:(?:the\\s+)?day\\s+after\\s+(?:tomorrow|tmrw?)|(?:the\\s+)?day\\s+before\\s+yesterday|today|tonight|tomorrow|tmrw?|tomm?orr?ow|yesterday)\\b`,
  ),
  enWeekday: re(
    `\\b(?:(this\\s+coming|this|next|last|coming|on|by|until|till)\\s+)?(monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)\\b(\\s+next\\s+week)?`,
  ),
  enMonthDay: re(`\\b${EN_MONTH}\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?\\b(?:,?\\s+(\\d{4})\\b)?`),
  enDayMonth: re(`\\b(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?${EN_MONTH}\\b\\.?(?:,?\\s+(\\d{4})\\b)?`),
  enOffset: re(
    `\\b(?:in\\s+${EN_NUM}\\s+(days?|weeks?|months?)|${EN_NUM}\\s+(days?|weeks?|months?)\\s+(later|from\\s+now|from\\s+today|ago))\\b`,
  ),
  zhTime: re(
    `(?:(凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|今晚|明晚|明早|今早)\\s*)?(\\d{1,2}|${ZH_SMALL}{1,3})\\s*(点钟|点|时)(?:\\s*(半|一刻|三刻|(\\d{1,2})\\s*分?|(${ZH_SMALL}{1,3})\\s*分))?`,
  ),
  clock: re(`(?<![\\d:])(\\d{1,2}):(\\d{2})(?![\\d:])(?:\\s*(am|pm|a\\.m\\.|p\\.m\\.))?`),
  enTime: re(`\\b(\\d{1,2})(?:[:.](\\d{2}))?\\s*(am|pm|a\\.m\\.|p\\.m\\.)(?![a-z])`),
  timeOfDay: re(
    `凌晨|半夜|夜里|夜间|清晨|早上|早晨|一早|今早|明早|上午|中午|下午|傍晚|晚上|今晚|明晚|昨晚|\\b(?:morning|noon|afternoon|evening|tonight|night|midnight)\\b`,
  ),
};

function num(s: string | undefined): number {
  if (s === undefined) return NaN;
  if (/^\d+$/.test(s)) return Number(s);
  if (s === '半') return 0.5;
  if (s === 'a' || s === 'an') return 1;
  return parseChineseNumber(s) ?? parseEnglishNumber(s) ?? NaN;
}

/** The year that puts month/day nearest to today: up to six months back, otherwise ahead. */
function nearestYear(today: Day, m: number, d: number): Day | undefined {
  let best: Day | undefined;
  let bestDistance = Infinity;
  for (const y of [today.y - 1, today.y, today.y + 1]) {
    if (!isValidDay(y, m, d)) continue;
    const diff = daysBetween(today, { y, m, d });
    // Ties and anything further than ~six months back go to the future.
    const distance = diff < 0 ? (diff < -183 ? Infinity : -diff + 0.5) : diff;
    if (distance < bestDistance) {
      best = { y, m, d };
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * A bare day of month: this month unless it has passed, then the next month that has it. When the
 * customer talks about something done (我5号买的), the latest one not after today instead.
 */
function dayOfMonth(today: Day, d: number, past: boolean): Day | undefined {
  const step = past ? -1 : 1;
  for (let k = past ? (d <= today.d ? 0 : -1) : d >= today.d ? 0 : 1; Math.abs(k) <= 3; k += step) {
    const first = addMonths({ y: today.y, m: today.m, d: 1 }, k);
    if (isValidDay(first.y, first.m, d)) return { y: first.y, m: first.m, d };
  }
  return undefined;
}

// Something already done on that day: 5号买的, 周五下的单, ordered on Friday.
const PAST_AFTER =
  /^[^，,。.!?？！]{0,4}?(买的|下的单|下单的|下的订单|付的款|付款的|拍的|收到的|寄的|寄出|发的货|订的)/u;
const PAST_BEFORE =
  /\b(ordered|bought|paid|purchased|placed it|placed the order|shipped|sent it|received it)\s+(?:it\s+)?(?:on\s+)?$/;

function isPast(w: string, start: number, end: number): boolean {
  return PAST_AFTER.test(w.slice(end, end + 12)) || PAST_BEFORE.test(w.slice(Math.max(0, start - 30), start));
}

function weekOf(today: Day, weeks: number, wd: number): Day {
  return addDays(today, weeks * 7 + wd - weekday(today));
}

function nextWeekday(today: Day, wd: number): Day {
  return addDays(today, (wd - weekday(today) + 7) % 7);
}

/** The latest such weekday not after today. */
function latestWeekday(today: Day, wd: number): Day {
  return weekday(today) === wd ? today : lastWeekday(today, wd);
}

function lastWeekday(today: Day, wd: number): Day {
  return addDays(today, -((weekday(today) - wd + 7) % 7 || 7));
}

function fullYear(y: number): number {
  return y < 100 ? 2000 + y : y;
}

function zhYear(s: string): number {
  if (/^\d+$/.test(s)) return fullYear(Number(s));
  const digits = [...s]
    .map((c) => (c === '〇' || c === '零' ? '0' : String(parseChineseNumber(c) ?? '')))
    .join('');
  return fullYear(Number(digits));
}

function shift(today: Day, n: number, unit: string): Day {
  if (/^(周|星期|礼拜|week)/.test(unit)) return addDays(today, Math.round(7 * n));
  if (/^(月|month)/.test(unit)) {
    // Half a month is 15 days; whole months keep the day of month.
    return Number.isInteger(n) ? addMonths(today, n) : addDays(today, Math.round(30 * n));
  }
  return addDays(today, Math.round(n));
}

function dayFirst(locale: string | undefined): boolean {
  if (!locale) return false;
  return !/^(en-us|en-ca|en-ph|zh|ja|ko)/i.test(locale);
}

function hour24(h: number, period: string | undefined): number {
  if (!period) return h;
  if (/^(下午|傍晚|晚上|今晚|明晚|pm|p\.m\.)$/.test(period)) return h < 12 ? h + 12 : h;
  if (period === '中午') return h < 11 ? h + 12 : h;
  if (/^(am|a\.m\.)$/.test(period)) return h === 12 ? 0 : h;
  return h;
}

function hhmm(h: number, m: number): string | undefined {
  if (!(h >= 0 && h <= 24 && m >= 0 && m < 60)) return undefined;
  return `${String(h % 24).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/** Dates, clock times and times of day in the working text. */
export function extractDates(w: string, opts: ExtractOptions, claims: Claims): Candidate[] {
  const today = dayIn(opts.now, opts.timeZone);
  const out: Candidate[] = [];
  const emit = (type: Candidate['type'], start: number, end: number, value: string | undefined) => {
    if (value === undefined || claims.overlaps(start, end)) return;
    claims.add(start, end);
    out.push({ type, value, start, end });
  };
  const date = (start: number, end: number, day: Day | undefined) =>
    emit('date', start, end, day && isValidDay(day.y, day.m, day.d) ? formatDay(day) : undefined);

  for (const m of w.matchAll(PATTERNS.zhFull)) {
    const y = zhYear(m[1]!);
    const day = { y, m: num(m[2]), d: num(m[3]) };
    date(m.index, m.index + m[0].length, day);
  }
  for (const m of w.matchAll(PATTERNS.isoFull)) {
    date(m.index, m.index + m[0].length, { y: Number(m[1]), m: Number(m[3]), d: Number(m[4]) });
  }
  for (const m of w.matchAll(PATTERNS.zhRelMonthDay)) {
    const prefix = m[1]!;
    const months = prefix.startsWith('下下')
      ? 2
      : prefix.startsWith('下')
        ? 1
        : prefix.startsWith('上')
          ? -1
          : 0;
    const first = addMonths({ y: today.y, m: today.m, d: 1 }, months);
    date(m.index, m.index + m[0].length, { y: first.y, m: first.m, d: num(m[2]) });
  }
  for (const m of w.matchAll(PATTERNS.zhMonthDay)) {
    date(m.index, m.index + m[0].length, nearestYear(today, num(m[1]), num(m[2])));
  }
  for (const m of w.matchAll(PATTERNS.dotDay)) {
    date(m.index, m.index + m[0].length, nearestYear(today, Number(m[1]), Number(m[2])));
  }
  for (const m of w.matchAll(PATTERNS.slashDate)) {
    let [month, d] = [Number(m[1]), Number(m[2])];
    if (dayFirst(opts.locale)) [month, d] = [d, month];
    const day = m[3] ? { y: fullYear(Number(m[3])), m: month, d } : nearestYear(today, month, d);
    date(m.index, m.index + m[0].length, day);
  }
  for (const m of w.matchAll(PATTERNS.enMonthDay)) {
    const month = EN_MONTHS[m[1]!.slice(0, 3)]!;
    const d = Number(m[2]);
    date(
      m.index,
      m.index + m[0].length,
      m[3] ? { y: Number(m[3]), m: month, d } : nearestYear(today, month, d),
    );
  }
  for (const m of w.matchAll(PATTERNS.enDayMonth)) {
    const month = EN_MONTHS[m[2]!.slice(0, 3)]!;
    const d = Number(m[1]);
    date(
      m.index,
      m.index + m[0].length,
      m[3] ? { y: Number(m[3]), m: month, d } : nearestYear(today, month, d),
    );
  }
  for (const m of w.matchAll(PATTERNS.zhWeekday)) {
    const prefix = m[1] ?? '';
    const wd = ZH_WEEKDAYS[m[2]!]!;
    if (prefix === '每') continue; // every Friday is a schedule, not a date
    let day: Day;
    if (prefix.startsWith('下下')) day = weekOf(today, 2, wd);
    else if (prefix.startsWith('下')) day = weekOf(today, 1, wd);
    else if (prefix.startsWith('上上')) day = weekOf(today, -2, wd);
    else if (prefix.startsWith('上')) day = weekOf(today, -1, wd);
    else if (prefix) day = weekOf(today, 0, wd);
    else day = isPast(w, m.index, m.index + m[0].length) ? latestWeekday(today, wd) : nextWeekday(today, wd);
    date(m.index, m.index + m[0].length, day);
  }
  for (const m of w.matchAll(PATTERNS.enWeekday)) {
    const prefix = (m[1] ?? '').replace(/\s+/g, ' ');
    const name = m[2]!;
    // Abbreviations are ordinary words too ("sun", "sat", "wed"): take them only after a prefix.
    if (!prefix && name.length <= 4 && !name.endsWith('day')) continue;
    const wd = EN_WEEKDAYS[name]!;
    let day: Day;
    if (m[3] || prefix === 'next') day = weekOf(today, 1, wd);
    else if (prefix === 'last') day = lastWeekday(today, wd);
    else if ((!prefix || prefix === 'on') && isPast(w, m.index, m.index + m[0].length))
      day = latestWeekday(today, wd);
    else day = nextWeekday(today, wd);
    // "on Friday", "by Friday": the preposition is not part of the date.
    const start = /^(on|by|until|till)$/.test(prefix) ? m.index + m[0].indexOf(name) : m.index;
    date(start, m.index + m[0].length, day);
  }
  for (const m of w.matchAll(PATTERNS.zhOffset)) {
    const before = m[7] !== undefined && /前/.test(m[7]);
    const n = num(m[1] ?? m[4]);
    const unit = (m[3] ?? m[6])!;
    if (!(n > 0) || n > 400) continue;
    date(m.index, m.index + m[0].length, shift(today, before ? -n : n, unit));
  }
  for (const m of w.matchAll(PATTERNS.enOffset)) {
    const n = num(m[1] ?? m[3]);
    const unit = (m[2] ?? m[4])!;
    if (!(n > 0) || n > 400) continue;
    date(m.index, m.index + m[0].length, shift(today, m[5] === 'ago' ? -n : n, unit));
  }
  for (const m of w.matchAll(PATTERNS.zhRelative)) {
    date(m.index, m.index + m[0].length, addDays(today, RELATIVE_DAYS[m[0]]!));
  }
  for (const m of w.matchAll(PATTERNS.enRelative)) {
    const s = m[0].replace(/\s+/g, ' ');
    const offset = s.includes('after') ? 2 : s.includes('before') ? -2 : RELATIVE_DAYS[s];
    if (offset !== undefined) date(m.index, m.index + m[0].length, addDays(today, offset));
  }
  for (const m of w.matchAll(PATTERNS.zhDay)) {
    const d = num(m[1]!.replace(/\s*[日号]$/, ''));
    date(m.index, m.index + m[0].length, dayOfMonth(today, d, isPast(w, m.index, m.index + m[0].length)));
  }

  for (const m of w.matchAll(PATTERNS.zhTime)) {
    const [, period, hour, unit, tail, arabicMinutes, zhMinutes] = m;
    // 快一点 / 多一点 are "a bit": a Chinese-numeral hour needs a period word or a 钟/半/刻/分 after it.
    if (!/^\d/.test(hour!) && !period && unit !== '点钟' && tail === undefined) continue;
    const minutes =
      tail === undefined
        ? 0
        : tail === '半'
          ? 30
          : tail === '一刻'
            ? 15
            : tail === '三刻'
              ? 45
              : num(arabicMinutes ?? zhMinutes);
    // The span starts at the hour: the period word is its own timeOfDay (and 今晚 its own date).
    const start = m.index + (period ? m[0].indexOf(hour!, period.length) : 0);
    emit('time', start, m.index + m[0].length, hhmm(hour24(num(hour), period), minutes));
  }
  for (const m of w.matchAll(PATTERNS.clock)) {
    emit('time', m.index, m.index + m[0].length, hhmm(hour24(Number(m[1]), m[3]), Number(m[2])));
  }
  for (const m of w.matchAll(PATTERNS.enTime)) {
    emit('time', m.index, m.index + m[0].length, hhmm(hour24(Number(m[1]), m[3]), Number(m[2] ?? 0)));
  }
  // A time of day may share its span with a date (今晚) or a clock time (下午3点): no claim check.
  for (const m of w.matchAll(PATTERNS.timeOfDay)) {
    out.push({ type: 'timeOfDay', value: TIME_OF_DAY[m[0]]!, start: m.index, end: m.index + m[0].length });
  }
  return out;
}

import { ZH_NUMERAL_CHARS } from './chinese-number';
import { type Candidate, type Claims } from './entity';
import { ENGLISH_NUMBER_SOURCE } from './english-number';
import { parseNumeral } from './amount.extractor';

const ZH_COUNTERS = '张|个|位|名|份|件|只|瓶|盒|双|套|台|本|条|箱|袋|包|间|人|口|部|支|杯|桌|单';
const ZH_NOUNS = '大人|成人|小孩|儿童|孩子|小朋友|学生|老人|婴儿|人|车票|机票|火车票|高铁票|门票|票';
// 个 before these measures time, not a quantity: 三个月, 两个小时.
const ZH = new RegExp(
  `(?<![\\d.])(\\d{1,3}|[${ZH_NUMERAL_CHARS}]{1,4})\\s?(${ZH_COUNTERS})(?!月|小时|钟头|星期|礼拜|工作日|周)(${ZH_NOUNS})?`,
  'gu',
);
const EN_NOUNS =
  'adults?|children|child|kids?|tickets?|people|persons?|pax|passengers?|travell?ers?|seats?|rooms?|pieces?|pcs|items?|units?|boxes|box|bottles?|pairs?|guests?|infants?|babies|baby|seniors?|students?|orders?|packages?|parcels?';
const EN = new RegExp(
  `(?<![\\w.])(\\d{1,3}|an?|${ENGLISH_NUMBER_SOURCE})\\s+(?:(?:more|extra|additional)\\s+)?(${EN_NOUNS})\\b`,
  'gu',
);

const UNITS: [RegExp, string][] = [
  [/^(大人|成人|adults?)$/, 'adult'],
  [/^(小孩|儿童|孩子|小朋友|children|child|kids?)$/, 'child'],
  [/^(婴儿|infants?|bab(y|ies))$/, 'infant'],
  [/^(老人|seniors?)$/, 'senior'],
  [/^(学生|students?)$/, 'student'],
  [/^(车票|机票|火车票|高铁票|门票|票|tickets?)$/, 'ticket'],
  [/^(人|people|persons?|pax|passengers?|travell?ers?|guests?)$/, 'person'],
];

function unitOf(word: string): string {
  const known = UNITS.find(([re]) => re.test(word))?.[1];
  if (known) return known;
  if (word === 'pcs') return 'piece';
  return word.endsWith('xes') ? word.slice(0, -2) : word.replace(/(?<!s)s$/, '');
}

/** Quantities: 两张, 三个人, 2位, 一张票, 2 tickets, two adults. The value is an integer string. */
export function extractCounts(w: string, claims: Claims): Candidate[] {
  const out: Candidate[] = [];
  const emit = (start: number, end: number, n: number | undefined, unit: string) => {
    if (n === undefined || !Number.isInteger(n) || n <= 0 || n > 9999 || claims.overlaps(start, end)) return;
    claims.add(start, end);
    out.push({ type: 'count', value: String(n), unit, start, end });
  };
  for (const m of w.matchAll(ZH)) {
    const [, numeral, counter, noun] = m;
    // "一个问题", "一份心意": 一个 is mostly an article; count it only when it is about people or tickets.
    if (numeral === '一' && (counter === '个' || counter === '份') && !noun) continue;
    emit(m.index, m.index + m[0].length, parseNumeral(numeral!), unitOf(noun ?? counter!));
  }
  for (const m of w.matchAll(EN)) {
    const [, numeral, noun] = m;
    const n = numeral === 'a' || numeral === 'an' ? 1 : parseNumeral(numeral!);
    emit(m.index, m.index + m[0].length, n, unitOf(noun!));
  }
  return out;
}

const DIGITS: Record<string, number> = {
  零: 0,
  〇: 0,
  一: 1,
  壹: 1,
  幺: 1,
  二: 2,
  贰: 2,
  两: 2,
  三: 3,
  叁: 3,
  四: 4,
  肆: 4,
  五: 5,
  伍: 5,
  六: 6,
  陆: 6,
  七: 7,
  柒: 7,
  八: 8,
  捌: 8,
  九: 9,
  玖: 9,
};
const SMALL_UNITS: Record<string, number> = { 十: 10, 拾: 10, 百: 100, 佰: 100, 千: 1000, 仟: 1000 };
const BIG_UNITS: Record<string, number> = { 万: 1e4, 萬: 1e4, 亿: 1e8 };

/** Characters that can make up a Chinese numeral (used by the extractors' regular expressions). */
export const ZH_NUMERAL_CHARS = '零〇一壹幺二贰两三叁四肆五伍六陆七柒八捌九玖十拾百佰千仟万萬亿';
/** A numeral as the extractors see it: Arabic, Chinese, or mixed ("3万", "1.5万", "1千2"). */
export const NUMBER_SOURCE =
  `(?:\\d+(?:\\.\\d+)?(?:[十百千万亿][${ZH_NUMERAL_CHARS}]*)?` +
  `|[${ZH_NUMERAL_CHARS}]+(?:点[零〇一二三四五六七八九]+)?)`;

type Token = { kind: 'num'; value: number } | { kind: 'zero' } | { kind: 'small' | 'big'; value: number };

function tokenize(s: string): Token[] | undefined {
  const tokens: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const ch = s[i]!;
    const arabic = /^\d+(?:\.\d+)?/.exec(s.slice(i));
    if (arabic) {
      tokens.push({ kind: 'num', value: Number(arabic[0]) });
      i += arabic[0].length;
      continue;
    }
    if (ch === '零' || ch === '〇') tokens.push({ kind: 'zero' });
    else if (ch in DIGITS) tokens.push({ kind: 'num', value: DIGITS[ch]! });
    else if (ch in SMALL_UNITS) tokens.push({ kind: 'small', value: SMALL_UNITS[ch]! });
    else if (ch in BIG_UNITS) tokens.push({ kind: 'big', value: BIG_UNITS[ch]! });
    else return undefined;
    i += 1;
  }
  return tokens;
}

function parseInteger(s: string): number | undefined {
  const tokens = tokenize(s);
  if (!tokens || tokens.length === 0) return undefined;
  // A run of bare digits is read digit by digit, as people read out order and phone numbers: 一二三 = 123.
  if (tokens.length > 1 && tokens.every((t) => t.kind === 'num' || t.kind === 'zero')) {
    if (tokens.some((t) => t.kind === 'num' && (t.value > 9 || !Number.isInteger(t.value)))) return undefined;
    return Number(tokens.map((t) => (t.kind === 'num' ? t.value : 0)).join(''));
  }
  let total = 0;
  let section = 0;
  let pending: number | undefined;
  let lastUnit: number | undefined;
  let previous: Token['kind'] | undefined;
  let afterZero = false;
  for (const t of tokens) {
    if (t.kind === 'num') {
      if (pending !== undefined) return undefined;
      pending = t.value;
    } else if (t.kind === 'zero') {
      if (pending !== undefined) return undefined;
      afterZero = true;
    } else if (t.kind === 'small') {
      // 十 alone or at the start means 一十: 十五 = 15; other units need a digit before them.
      if (pending === undefined && !(t.value === 10 && previous !== 'small')) return undefined;
      if (lastUnit !== undefined && previous !== 'big' && t.value >= lastUnit) return undefined;
      section += (pending ?? 1) * t.value;
      pending = undefined;
      lastUnit = t.value;
      afterZero = false;
    } else {
      if (pending === undefined && section === 0 && total === 0) return undefined;
      section += pending ?? 0;
      if (t.value === 1e8) total = (total + section) * t.value;
      else total += section * t.value;
      section = 0;
      pending = undefined;
      lastUnit = t.value;
      afterZero = false;
    }
    previous = t.kind;
  }
  if (pending !== undefined) {
    // Colloquial elision: 一千二 = 1200, 两万五 = 25000, 一百五 = 150; a 零 stops it (一百零五 = 105).
    const elided = previous === 'num' && !afterZero && lastUnit !== undefined && lastUnit >= 100;
    section += elided ? pending * (lastUnit! / 10) : pending;
  }
  return total + section;
}

/**
 * The value of a Chinese (or mixed Chinese/Arabic) numeral: 三十五 → 35, 一千二 → 1200, 一万 → 10000,
 * 两百 → 200, 三点五 → 3.5, 3万 → 30000, 壹佰 → 100, 一二三 → 123. `undefined` when `text` is not
 * entirely a numeral.
 */
export function parseChineseNumber(text: string): number | undefined {
  const s = text.trim();
  if (!s) return undefined;
  const point = s.indexOf('点');
  if (point === -1) return parseInteger(s);
  const integer = parseInteger(s.slice(0, point));
  const fraction = s.slice(point + 1);
  if (integer === undefined || !fraction) return undefined;
  let digits = '';
  for (const ch of fraction) {
    const d = ch === '零' || ch === '〇' ? 0 : DIGITS[ch];
    if (d === undefined || ch === '两') return undefined;
    digits += String(d);
  }
  return Number(`${integer}.${digits}`);
}

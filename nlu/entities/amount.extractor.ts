import { NUMBER_SOURCE, parseChineseNumber } from './chinese-number';
import { type Candidate, type Claims } from './entity';
import { ENGLISH_NUMBER_SOURCE, parseEnglishNumber } from './english-number';

const CURRENCY: [RegExp, string][] = [
  [/^(hk\$|hkd|港币|港元)$/, 'HKD'],
  [/^(us\$|\$|usd|dollars?|bucks?|美元|美金|刀)$/, 'USD'],
  [/^(€|eur|euros?|欧元)$/, 'EUR'],
  [/^(£|gbp|pounds?|英镑)$/, 'GBP'],
  [/^(yen|jpy|日元|日币)$/, 'JPY'],
  // ¥ is also the yen sign; in this product it is overwhelmingly renminbi.
  [/^(¥|￥|rmb|cny|yuan|人民币|元|块钱|块|圆|毛钱|毛|角)$/, 'CNY'],
];

function currencyOf(token: string): string | undefined {
  return CURRENCY.find(([re]) => re.test(token))?.[1];
}

const NUM = `(\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?|${NUMBER_SOURCE})`;
const MULTIPLIER = `(?:\\s?(k|w)(?![a-z]))?`;
const PREFIX = '(us\\$|hk\\$|\\$|¥|￥|€|£|rmb|cny|usd|hkd|eur|gbp|jpy|人民币)';
const ZH_SUFFIX = '(块钱|块|元|圆|人民币|美元|美金|刀|港币|港元|欧元|英镑|日元|日币)';
const EN_SUFFIX = '(yuan|rmb|cny|dollars?|bucks?|usd|hkd|euros?|eur|pounds?|gbp|yen|jpy)';
const JIAO_DIGIT = '[一二两三四五六七八九]|\\d';

// ¥30, $ 20.5, rmb 100, $1.5k
const PREFIXED = new RegExp(`${PREFIX}\\s?${NUM}${MULTIPLIER}`, 'gu');
// 30元, 三十五块五, 3块5毛, 两块半, 3元5角, 100 美元
const ZH_UNIT = new RegExp(
  `(?<![\\d.])${NUM}${MULTIPLIER}\\s?${ZH_SUFFIX}(?:(半)|(${JIAO_DIGIT})\\s?([毛角])|(?<=块)(${JIAO_DIGIT})(?![\\d张个位人份件只]))?(?:钱)?`,
  'gu',
);
// 5毛, 八角钱
const JIAO_ONLY = new RegExp(`(?<![\\d.块元])(${JIAO_DIGIT})\\s?[毛角](?:钱)?`, 'gu');
// 100 rmb, 20 dollars, fifty yuan, twenty bucks, a hundred dollars
const EN_UNIT = new RegExp(
  `(?<![\\w.])(\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?|\\d+(?:\\.\\d+)?|${ENGLISH_NUMBER_SOURCE})${MULTIPLIER}\\s?${EN_SUFFIX}\\b`,
  'gu',
);

// Words that make a following bare number money: 充值一百, 退了30, top up 100.
const MONEY_BEFORE =
  /(充值|充|冲|话费|付款|付了|支付|付|价格|价钱|售价|金额|余额|一共|总共|合计|花了|转账|转了|红包|差价|运费|邮费|退款|退了|退回|退我|退|返现|返|赔偿|赔|补偿|报销|扣了|扣款|收了|多收了?|少退了?|优惠|便宜|要价|定金|订金|押金|尾款|预算|price|pay|paid|refund(?:ed)?|charged?|top[ -]?up|recharge|costs?|amount|spent|fee|total|budget|deposit)[\s:：了是为的我你]{0,3}$/;
// …or a following one: 一百的话费, 100的红包.
const MONEY_AFTER = /^\s?的?(话费|流量包|红包|优惠券|代金券|券|credit)/;
const ORDER_BEFORE = /(订单号?|单号|编号|order|#)[\s:：#]*$/;
// A number followed by these counts, measures or dates something: not money.
const NOT_MONEY_AFTER =
  /^\s?(个|张|位|人|名|份|件|只|瓶|盒|双|套|台|本|条|箱|袋|包|间|天|日|号|月|年|周|星期|点|分|秒|次|岁|斤|公斤|克|米|%|[a-z\d.,])/;
const BARE_NUMBER = new RegExp(`(?<![\\d.a-z])${NUM}${MULTIPLIER}`, 'gu');

/** The value of a numeral as written in a message: Arabic (with thousands commas), Chinese or English. */
export function parseNumeral(text: string, multiplier?: string): number | undefined {
  const plain = text.replace(/,(?=\d{3})/g, '');
  let value = /^\d+(?:\.\d+)?$/.test(plain)
    ? Number(plain)
    : (parseChineseNumber(plain) ?? parseEnglishNumber(plain));
  if (value === undefined) return undefined;
  if (multiplier === 'k') value *= 1000;
  else if (multiplier === 'w') value *= 10000;
  return value;
}

function decimal(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function jiao(s: string | undefined): number {
  if (s === undefined) return 0;
  return (parseChineseNumber(s) ?? Number(s)) / 10;
}

/** Amounts whose currency is written: a sign, a code or a unit word. */
export function extractAmounts(w: string, claims: Claims): Candidate[] {
  const out: Candidate[] = [];
  const emit = (start: number, end: number, amount: number | undefined, currency: string | undefined) => {
    if (amount === undefined || !Number.isFinite(amount) || claims.overlaps(start, end)) return;
    claims.add(start, end);
    out.push({ type: 'amount', value: decimal(amount), amount, currency, start, end });
  };
  for (const m of w.matchAll(PREFIXED)) {
    emit(m.index, m.index + m[0].length, parseNumeral(m[2]!, m[3]), currencyOf(m[1]!));
  }
  for (const m of w.matchAll(ZH_UNIT)) {
    const [, numeral, multiplier, unit, half, jiaoDigit, , bareJiao] = m;
    const base = parseNumeral(numeral!, multiplier);
    if (base === undefined) continue;
    const cents = half ? 0.5 : jiao(jiaoDigit ?? bareJiao);
    emit(m.index, m.index + m[0].length, base + cents, currencyOf(unit!));
  }
  for (const m of w.matchAll(EN_UNIT)) {
    emit(m.index, m.index + m[0].length, parseNumeral(m[1]!, m[2]), currencyOf(m[3]!));
  }
  for (const m of w.matchAll(JIAO_ONLY)) {
    emit(m.index, m.index + m[0].length, jiao(m[1]), 'CNY');
  }
  return out;
}

/**
 * Bare numbers that money words around them make amounts: 充值一百, 退我30, 100的话费, top up 50. A
 * number nearer to an order word (订单 1001) is left for the order id.
 */
export function extractContextAmounts(w: string, claims: Claims): Candidate[] {
  const out: Candidate[] = [];
  for (const m of w.matchAll(BARE_NUMBER)) {
    const start = m.index;
    const end = start + m[0].length;
    if (claims.overlaps(start, end)) continue;
    const before = w.slice(Math.max(0, start - 8), start);
    const after = w.slice(end, end + 6);
    if (NOT_MONEY_AFTER.test(after) && !MONEY_AFTER.test(after)) continue;
    const money = MONEY_BEFORE.exec(before);
    const order = ORDER_BEFORE.exec(before);
    if (!(money && !order) && !MONEY_AFTER.test(after)) continue;
    // "退款 1001": after the bare request word a long number is far more often the order than the sum.
    if (money && /^(退款|退|refund)$/.test(money[1]!) && /^\d{4,}$/.test(m[1]!)) continue;
    const amount = parseNumeral(m[1]!, m[2]);
    if (amount === undefined) continue;
    claims.add(start, end);
    out.push({ type: 'amount', value: decimal(amount), amount, start, end });
  }
  return out;
}

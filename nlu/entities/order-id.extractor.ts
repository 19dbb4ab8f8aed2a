import { type Candidate, type Claims } from './entity';

/**
 * The order id format when a shop sets none: 4–20 digits, optionally after a short letter prefix and
 * followed by dash groups (1001, 2024010112345678, E20240101-001, TB-88230411). Phone numbers, dates
 * and amounts are claimed by their own extractors first, so they never become order ids.
 */
export const DEFAULT_ORDER_ID_PATTERN =
  /(?<![A-Za-z0-9])(?:[A-Za-z]{1,4}-?)?\d{4,20}(?:-\d{1,8}){0,2}(?![A-Za-z0-9])/;

// Written right before an id, these make it an order id even when it looks like a phone number.
const ORDER_WORDS =
  /(订单号码|订单编号|订单号|订单|单号|order\s*(?:#|no\.?|number|id)?|#)\s*(?:是|为)?\s*[:：#]?\s*/gu;
// After the default pattern: a year, a price, a quantity or a time, not an order.
const NOT_AN_ORDER_AFTER = /^\s?(年|月|日|号|元|块|钱|点|时|:|个|张|位|人|天|岁|%|k\b|w\b)/;

interface OrderPattern {
  global: RegExp;
  sticky: RegExp;
  isDefault: boolean;
}

const cache = new Map<string, OrderPattern>();

function compile(pattern: RegExp | string | undefined): OrderPattern {
  const source = pattern === undefined ? DEFAULT_ORDER_ID_PATTERN : pattern;
  const key = typeof source === 'string' ? `s:${source}` : `r:${source.source}/${source.flags}`;
  let compiled = cache.get(key);
  if (!compiled) {
    const re = typeof source === 'string' ? new RegExp(source, 'i') : source;
    const flags = re.flags.replace(/[gy]/g, '');
    const caseless = pattern === undefined ? 'i' : '';
    compiled = {
      global: new RegExp(re.source, flags + caseless + 'g'),
      sticky: new RegExp(re.source, flags + caseless + 'y'),
      isDefault: pattern === undefined,
    };
    cache.set(key, compiled);
  }
  return compiled;
}

function valueOf(raw: string, isDefault: boolean): string {
  return isDefault ? raw.toUpperCase() : raw;
}

/**
 * Order ids introduced by an order word (订单号1001, 单号：E2024-1, order #1001). They run before the
 * other extractors: the customer has said what the number is.
 */
export function extractMarkedOrderIds(
  w: string,
  folded: string,
  pattern: RegExp | string | undefined,
  claims: Claims,
): Candidate[] {
  const { sticky, isDefault } = compile(pattern);
  const out: Candidate[] = [];
  for (const m of w.matchAll(ORDER_WORDS)) {
    sticky.lastIndex = m.index + m[0].length;
    const id = sticky.exec(folded);
    if (!id || id[0].length === 0) continue;
    const start = id.index;
    const end = start + id[0].length;
    if (claims.overlaps(start, end)) continue;
    claims.add(start, end);
    out.push({ type: 'orderId', value: valueOf(id[0], isDefault), start, end });
  }
  return out;
}

/** Order ids anywhere that nothing more certain has claimed. */
export function extractOrderIds(
  folded: string,
  pattern: RegExp | string | undefined,
  claims: Claims,
): Candidate[] {
  const { global, isDefault } = compile(pattern);
  const out: Candidate[] = [];
  for (const m of folded.matchAll(global)) {
    const start = m.index;
    const end = start + m[0].length;
    if (m[0].length === 0 || claims.overlaps(start, end)) continue;
    if (isDefault && NOT_AN_ORDER_AFTER.test(folded.slice(end, end + 3))) continue;
    claims.add(start, end);
    out.push({ type: 'orderId', value: valueOf(m[0], isDefault), start, end });
  }
  return out;
}

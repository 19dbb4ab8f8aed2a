/** What the extractors find. */
export type EntityType =
  | 'orderId'
  | 'phone'
  | 'amount'
  | 'date'
  | 'time'
  | 'timeOfDay'
  | 'city'
  | 'fromCity'
  | 'toCity'
  | 'station'
  | 'count'
  | 'number';

export interface Entity {
  type: EntityType;
  /** Normalised: digits for phones and counts, a decimal string for amounts, YYYY-MM-DD for dates. */
  value: string;
  /** The span as it appears in the text that was passed in. */
  text: string;
  /** UTF-16 offsets into the text that was passed in, end exclusive. */
  start: number;
  end: number;
  /** ISO 4217 code, for amounts whose currency was written (¥, 元, $, dollars, rmb…). */
  currency?: string;
  /** What is counted, when it was written ("张", "adult", "child", "ticket"). */
  unit?: string;
}

export interface AmountEntity extends Entity {
  type: 'amount';
  amount: number;
}

export interface ExtractOptions {
  /** The reference instant for relative dates ("明天", "next Friday"). */
  now: Date;
  /** IANA zone the customer's dates are in; Asia/Shanghai when empty. */
  timeZone: string;
  /** The shop's order id format; see `DEFAULT_ORDER_ID_PATTERN`. */
  orderIdPattern?: RegExp | string;
  /** The conversation's locale: decides whether 3/5 is 5 March (day first) or 3 May. */
  locale?: string;
  /**
   * The kind of value the bot has just asked for. A bare number ("一百", "2") becomes that entity
   * instead of `number` / `orderId`, so slot filling can use the answer to "充多少?" or "几张?".
   */
  expect?: 'amount' | 'count' | 'orderId';
}

/** A candidate found by one extractor, on offsets of the working text. */
export interface Candidate {
  type: EntityType;
  value: string;
  start: number;
  end: number;
  currency?: string;
  unit?: string;
  amount?: number;
}

/** The spans already taken by an earlier, more certain extractor. */
export class Claims {
  private readonly spans: [number, number][] = [];

  overlaps(start: number, end: number): boolean {
    return this.spans.some(([s, e]) => start < e && s < end);
  }

  add(start: number, end: number): void {
    this.spans.push([start, end]);
  }
}

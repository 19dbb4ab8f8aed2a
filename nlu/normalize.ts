import * as OpenCC from 'opencc-js';
import { rememberRecent } from './recent';

// Traditional → simplified for every user text with Han characters: 退貨 and 退货 are one word to the NLU.
const toSimplified = OpenCC.Converter({ from: 't', to: 'cn' });
const HAN = /\p{Script=Han}/u;
const EMOJI = /\p{Extended_Pictographic}|[\u{1F1E6}-\u{1F1FF}]|\u{FE0F}|\u{200D}/gu;
const INVISIBLE = /[\u200B\u200C\u2060\uFEFF\u00AD]/g;

/**
 * The text the NLU works on: NFKC (full-width → half-width), simplified Chinese, lower case, emoji
 * and invisible characters removed, whitespace collapsed. The original is kept for display.
 */
export const normalize = rememberRecent(
  16,
  (text: string) => text,
  (text: string): string => {
    let s = text.normalize('NFKC').replace(INVISIBLE, '');
    if (HAN.test(s)) s = toSimplified(s);
    return s.toLowerCase().replace(EMOJI, ' ').replace(/\s+/g, ' ').trim();
  },
);

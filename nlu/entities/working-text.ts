import * as OpenCC from 'opencc-js';

const HAN = /\p{Script=Han}/u;
let converter: ((s: string) => string) | undefined;

function simplify(s: string): string {
  // Built on first use: its dictionaries cost memory and time that all-ASCII traffic never needs.
  const toSimplified = (converter ??= OpenCC.Converter({ from: 't', to: 'cn' }));
  const whole = toSimplified(s);
  if (whole.length === s.length) return whole;
  // A phrase conversion changed the length: convert character by character so offsets still line up.
  let out = '';
  for (let i = 0; i < s.length; i += 1) {
    const one = toSimplified(s[i]!);
    out += one.length === 1 ? one : s[i]!;
  }
  return out;
}

/**
 * The text the extractors match against: full-width ASCII folded to half-width, lower case, traditional
 * characters simplified — one UTF-16 unit for one, so every offset found in it is an offset into the
 * caller's text. The caller may pass raw or already normalised text.
 */
export function toWorkingText(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code >= 0xff01 && code <= 0xff5e) out += String.fromCharCode(code - 0xfee0).toLowerCase();
    else if (code === 0x3000 || code === 0xa0) out += ' ';
    else if (code < 0x80) out += text[i]!.toLowerCase();
    else {
      const ch = text[i]!;
      const lower = ch.toLowerCase();
      out += lower.length === 1 ? lower : ch;
    }
  }
  return HAN.test(out) ? simplify(out) : out;
}

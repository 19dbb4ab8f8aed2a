const UNITS: Record<string, number> = {
  zero: 0,
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fourty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};
const SCALES: Record<string, number> = { hundred: 100, thousand: 1000, million: 1e6 };

const WORD = `(?:${[...Object.keys(UNITS), ...Object.keys(SCALES)].filter((w) => w !== 'a' && w !== 'an').join('|')})`;
/** English number words: "twenty-five", "a hundred and fifty", "two thousand five hundred". */
export const ENGLISH_NUMBER_SOURCE = `(?:(?:a|an)\\s+(?:hundred|thousand)|${WORD})(?:(?:\\s+|-|\\s+and\\s+)${WORD})*`;

/** The value of an English number phrase ("twenty-five", "a hundred and fifty"); `undefined` if it is not one. */
export function parseEnglishNumber(text: string): number | undefined {
  const words = text
    .toLowerCase()
    .split(/[\s-]+/)
    .filter((w) => w && w !== 'and');
  if (words.length === 0) return undefined;
  let total = 0;
  let current = 0;
  let seen = false;
  for (const w of words) {
    const unit = UNITS[w];
    const scale = SCALES[w];
    if (unit !== undefined) {
      // "twenty five" adds; "five twenty" is not a number we understand.
      if (seen && current % 100 !== 0 && !(current % 10 === 0 && unit < 10 && current % 100 >= 20))
        return undefined;
      current += unit;
      seen = true;
    } else if (scale !== undefined) {
      if (scale === 100) current = (current || 1) * 100;
      else {
        total += (current || 1) * scale;
        current = 0;
      }
      seen = true;
    } else return undefined;
  }
  return total + current;
}

// A light English suffix stripper (Porter step 1 plus a few derivational suffixes). It only has to
// map inflections of one word to one feature; character n-grams cover what it misses.

const VOWEL = /[aeiouy]/;
const DOUBLE = /([b-df-hj-np-tv-z])\1$/;

const cache = new Map<string, string>();
const CACHE_LIMIT = 50_000;

function hasVowel(s: string): boolean {
  return VOWEL.test(s);
}

/** Strip -ed/-ing when the stem keeps a vowel ("sing" stays). */
function stripVerbal(word: string, suffix: string): string | null {
  if (!word.endsWith(suffix)) return null;
  const stem = word.slice(0, -suffix.length);
  if (stem.length < 2 || !hasVowel(stem)) return null;
  return stem;
}

const DERIVATIONAL: ReadonlyArray<readonly [string, string]> = [
  ['ational', 'ate'],
  ['ization', 'ize'],
  ['fulness', 'ful'],
  ['iveness', 'ive'],
  ['ousness', 'ous'],
  ['ation', 'ate'],
  ['ement', 'e'],
  ['ness', ''],
  ['ment', ''],
  ['ably', 'able'],
  ['ally', 'al'],
  ['fully', 'ful'],
  ['ly', ''],
];

function stemUncached(word: string): string {
  let w = word;
  // Plurals and 3rd person.
  if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('ies') && w.length > 4) w = w.slice(0, -3) + 'y';
  else if (w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us') && !w.endsWith('is') && w.length > 3)
    w = w.slice(0, -1);
  // Past tense and gerund.
  const verbal = stripVerbal(w, 'ing') ?? stripVerbal(w, 'ed');
  if (verbal !== null && verbal.length >= 3) w = verbal;
  for (const [suffix, repl] of DERIVATIONAL) {
    // A bare -ly needs a long stem: "quickly" → "quick", but not "apply" or "family".
    const minStem = suffix === 'ly' ? 5 : 3;
    if (w.endsWith(suffix) && w.length - suffix.length >= minStem) {
      w = w.slice(0, -suffix.length) + repl;
      break;
    }
  }
  // "delivery" and "deliveries" (→ "deliveri" above) meet.
  if (w.endsWith('y') && w.length > 3 && !VOWEL.test(w[w.length - 2] ?? 'a')) w = w.slice(0, -1) + 'i';
  // Silent e: "cancelable"/"cancel", "charge"/"charging" meet at the same stem.
  if (w.endsWith('e') && w.length > 4) w = w.slice(0, -1);
  // A final double consonant is undoubled everywhere, so "cancelled", "cancel" and "stopped", "stop" meet.
  if (w.length > 3 && DOUBLE.test(w)) w = w.slice(0, -1);
  return w;
}

/** Stem one lower-case ASCII word. Words shorter than 4 letters are returned as they are. */
export function stemEn(word: string): string {
  if (word.length < 4 || !/^[a-z]+$/.test(word)) return word;
  const hit = cache.get(word);
  if (hit !== undefined) return hit;
  const stem = stemUncached(word);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(word, stem);
  return stem;
}

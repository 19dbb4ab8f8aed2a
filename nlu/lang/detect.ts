import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

export type SupportedLocale = 'zh-CN' | 'en-US' | 'es-ES' | 'pt-BR' | 'id-ID' | 'th-TH' | 'vi-VN' | 'ru-RU';

export interface LanguageGuess {
  /** `undefined` when the text holds no evidence at all (digits, punctuation, an unsupported script). */
  locale: SupportedLocale | undefined;
  /** 0–1: how far the best language is ahead of the next, scaled by how much evidence there is. */
  confidence: number;
}

/** Below this, `detectLocale` keeps the conversation's language. One distinctive word reaches it. */
export const MIN_CONFIDENCE = 0.5;

const LATIN_LOCALES = { en: 'en-US', es: 'es-ES', pt: 'pt-BR', id: 'id-ID', vi: 'vi-VN' } as const;
type LatinLanguage = keyof typeof LATIN_LOCALES;

const profileSchema = z.object({
  international: z.string(),
  letters: z.record(z.string(), z.record(z.string(), z.number())),
  languages: z.record(z.string(), z.object({ words: z.string(), cues: z.record(z.string(), z.number()) })),
});

interface Cue {
  text: string;
  at: 'start' | 'end' | 'any';
  weight: number;
}

interface Profiles {
  international: Set<string>;
  /** word → the languages whose list has it. */
  words: Map<string, LatinLanguage[]>;
  cues: Map<LatinLanguage, Cue[]>;
  letters: Map<string, [LatinLanguage, number]>;
}

function loadProfiles(): Profiles {
  const raw = profileSchema.parse(parse(readFileSync(path.join(__dirname, 'profiles.yaml'), 'utf8')));
  const split = (s: string) => s.split(/\s+/).filter(Boolean);
  const international = new Set(split(raw.international));
  const words = new Map<string, LatinLanguage[]>();
  const cues = new Map<LatinLanguage, Cue[]>();
  for (const [name, profile] of Object.entries(raw.languages)) {
    if (!(name in LATIN_LOCALES)) throw new Error(`profiles.yaml: unknown language ${name}`);
    const lang = name as LatinLanguage;
    for (const w of new Set(split(profile.words))) {
      if (international.has(w)) continue;
      words.set(w, [...(words.get(w) ?? []), lang]);
    }
    cues.set(
      lang,
      Object.entries(profile.cues).map(([c, weight]) => {
        if (c.startsWith('^')) return { text: c.slice(1), at: 'start' as const, weight };
        if (c.endsWith('$')) return { text: c.slice(0, -1), at: 'end' as const, weight };
        return { text: c, at: 'any' as const, weight };
      }),
    );
  }
  const letters = new Map<string, [LatinLanguage, number]>();
  for (const [lang, table] of Object.entries(raw.letters)) {
    for (const [ch, weight] of Object.entries(table)) letters.set(ch, [lang as LatinLanguage, weight]);
  }
  return { international, words, cues, letters };
}

const profiles = loadProfiles();

const HAN = /\p{Script=Han}/u;
const THAI = /\p{Script=Thai}/gu;
const CYRILLIC = /\p{Script=Cyrillic}/gu;
const LATIN = /\p{Script=Latin}/gu;
const LETTER = /\p{L}/gu;
// Letters only Vietnamese uses: ă đ ơ ư, ĩ ũ, and the precomposed vowels with tone marks (U+1EA0–1EF9).
const VIETNAMESE = /[ăđơưĩũ\u1ea0-\u1ef9]/giu;
const WORD = /[\p{Script=Latin}']+/gu;

function count(text: string, re: RegExp): number {
  return text.match(re)?.length ?? 0;
}

const VI: LatinLanguage[] = ['vi'];

function stripMarks(word: string): string {
  return word.normalize('NFD').replace(/\p{M}/gu, '').replace(/đ/g, 'd');
}

function cueScore(word: string, cues: Cue[]): number {
  let s = 0;
  for (const c of cues) {
    const hit =
      c.at === 'start'
        ? word.startsWith(c.text)
        : c.at === 'end'
          ? word.endsWith(c.text)
          : word.includes(c.text);
    if (hit) s += c.weight;
  }
  return s;
}

function scoreLatin(text: string): LanguageGuess {
  const lower = text.toLowerCase();
  const scores: Record<LatinLanguage, number> = { en: 0, es: 0, pt: 0, id: 0, vi: 0 };
  const viLetters = count(lower, VIETNAMESE);
  scores.vi += 2 * viLetters;
  for (const ch of lower) {
    const hit = profiles.letters.get(ch);
    // â ê ô à ã õ are Vietnamese letters too: next to ơ, ư, đ or a tone mark they are not Portuguese.
    if (hit && !(viLetters > 0 && hit[0] === 'pt' && ch !== 'ç')) scores[hit[0]] += hit[1];
  }
  let international = 0;
  for (const m of text.matchAll(WORD)) {
    const w = m[0].toLowerCase().replace(/^'+|'+$/g, '');
    if (!w) continue;
    // Capitalised words inside a sentence are mostly names and titles ("putar Since I Saw You"):
    // they say little about the language the customer writes in.
    const weight =
      m.index > 0 && /^\p{Lu}/u.test(m[0]) && !/[.!?]\s*$/.test(text.slice(0, m.index)) ? 0.3 : 1;
    if (profiles.international.has(w)) {
      international += 1;
      continue;
    }
    // The Vietnamese list is written without diacritics, as people text; "hàng" is looked up as "hang".
    const bare = w === stripMarks(w) ? undefined : stripMarks(w);
    const langs =
      profiles.words.get(w) ?? (bare && profiles.words.get(bare)?.includes('vi') ? VI : undefined);
    if (langs) {
      // A word several languages share is weak evidence for each.
      for (const l of langs) scores[l] += weight / langs.length;
    } else if (w.length >= 3) {
      for (const [l, cues] of profiles.cues) scores[l] += 0.5 * weight * Math.min(1.5, cueScore(w, cues));
    }
  }
  const ranked = (Object.entries(scores) as [LatinLanguage, number][]).sort((a, b) => b[1] - a[1]);
  const [bestLang, best] = ranked[0]!;
  const second = ranked[1]![1];
  if (best <= 0) {
    // Only international words ("ok", "hello", "thanks"): English is the best guess, never a sure one.
    return international > 0 ? { locale: 'en-US', confidence: 0.3 } : { locale: undefined, confidence: 0 };
  }
  // The lead in words (one distinctive word = 1), discounted when the lead is small next to the total:
  // "quero cancelar a compra" is sure, a long German sentence that happens to lean English is not.
  const lead = best - second;
  const confidence = Math.min(1, lead) * (0.5 + 0.5 * (lead / best));
  return { locale: LATIN_LOCALES[bestLang], confidence: Math.round(confidence * 1000) / 1000 };
}

/**
 * The language of a short text. Scripts decide first: any Han character is Chinese (customers mix English
 * words into Chinese — "我要refund" — far more than the reverse), then Thai, then Cyrillic. Latin text
 * with Vietnamese letters is Vietnamese; other Latin text is scored against word lists, spelling cues
 * and distinctive letters for English, Spanish, Portuguese, Indonesian (and diacritic-less Vietnamese).
 */
export function detectLanguage(text: string): LanguageGuess {
  if (HAN.test(text)) return { locale: 'zh-CN', confidence: 1 };
  const letters = count(text, LETTER);
  if (letters === 0) return { locale: undefined, confidence: 0 };
  const thai = count(text, THAI);
  const cyrillic = count(text, CYRILLIC);
  if (thai > 0 && thai >= cyrillic) return { locale: 'th-TH', confidence: 1 };
  if (cyrillic > 0) return { locale: 'ru-RU', confidence: 1 };
  if (count(text, LATIN) === 0) return { locale: undefined, confidence: 0 };
  return scoreLatin(text);
}

/**
 * The locale to answer in. When the text is too short or too ambiguous to tell ("ok", "no", "1001",
 * "pedido"), the conversation's language `fallback` is kept; with no fallback the best guess is
 * returned, and English when there is none.
 */
export function detectLocale(text: string, fallback?: string): string {
  const guess = detectLanguage(text);
  if (guess.locale && (guess.confidence >= MIN_CONFIDENCE || fallback === undefined)) return guess.locale;
  return fallback ?? 'en-US';
}

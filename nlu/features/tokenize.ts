import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict';
import { rememberRecent } from '../recent';
import { stemEn } from './stem-en';

// Scripts written without spaces: words come from jieba (Han) and character n-grams carry the rest.
const DENSE_CHAR =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const DENSE_RUN =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}\p{M}]+/gu;
const HAN = /\p{Script=Han}/u;
const WORD = /[\p{L}\p{N}\p{M}]+/gu;
const HAS_WORD_CHAR = /[\p{L}\p{N}]/u;
const DIGIT = /\p{Nd}/gu;

let jieba: Jieba | null = null;

/** The process-wide jieba instance, built on first use (loading the dictionary takes ~0.3 s). */
function getJieba(): Jieba {
  jieba ??= Jieba.withDict(dict);
  return jieba;
}

export interface Analysis {
  /** Word tokens in order, digits folded to 0, not stemmed. */
  readonly tokens: readonly string[];
  /** The same tokens stemmed when asked (else the same array). */
  readonly words: readonly string[];
  /** Surface forms of the space-delimited words, for character n-grams. */
  readonly surfaces: readonly string[];
  /** Runs of characters from scripts without spaces (Han, kana, Thai, ...). */
  readonly denseRuns: readonly string[];
  /** jieba part-of-speech tags of the Han-text words (only when asked for; else empty). */
  readonly tags: readonly string[];
}

/**
 * Split already-normalised text into words and dense-script runs. Text with Han characters is cut by
 * jieba; other text splits on anything that is not a letter, mark or digit. Apostrophes are dropped
 * first so "don't" and "dont" meet.
 */
export const analyze = rememberRecent(
  16,
  (text: string, stem: boolean, withTags = false) => `${stem ? 's' : '-'}${withTags ? 't' : '-'}${text}`,
  analyzeText,
);

function analyzeText(text: string, stem: boolean, withTags = false): Analysis {
  const s = text.replace(/['’`]/g, '');
  const tokens: string[] = [];
  const words: string[] = [];
  const surfaces: string[] = [];
  const pushWord = (raw: string): void => {
    const folded = raw.replace(DIGIT, '0');
    tokens.push(folded);
    words.push(stem ? stemEn(folded) : folded);
    if (!DENSE_CHAR.test(raw)) surfaces.push(folded);
  };
  const tags: string[] = [];
  if (HAN.test(s) && withTags) {
    for (const { word, tag } of getJieba().tag(s, true)) {
      if (!HAS_WORD_CHAR.test(word)) continue;
      tags.push(tag);
      for (const m of word.matchAll(WORD)) pushWord(m[0]);
    }
  } else if (HAN.test(s)) {
    for (const tok of getJieba().cut(s, true)) {
      if (!HAS_WORD_CHAR.test(tok)) continue;
      // jieba can hand back "abc def" pieces with inner spaces or punctuation: split them again.
      for (const m of tok.matchAll(WORD)) pushWord(m[0]);
    }
  } else {
    for (const m of s.matchAll(WORD)) {
      const tok = m[0];
      if (DENSE_CHAR.test(tok)) {
        // Thai or kana without Han: no segmenter, the run is one "word" and n-grams do the work.
        tokens.push(tok);
        words.push(tok);
      } else pushWord(tok);
    }
  }
  const denseRuns = s.match(DENSE_RUN) ?? [];
  return { tokens, words, surfaces, denseRuns, tags };
}

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { normalize } from '../normalize';

export interface Sentiment {
  /** Valence, -1 (very negative) … 1 (very positive). */
  score: number;
  /** 0 … 1: how angry or ready to complain the customer sounds; the handoff rule reads this. */
  anger: number;
  label: 'negative' | 'neutral' | 'positive';
  /** The lexicon entries and signals that decided it, for logs and the agent's view. */
  cues: string[];
}

/** At or above this anger the customer should be offered a human. */
export const ANGER_THRESHOLD = 0.5;
/** |score| below this is neutral. */
export const NEUTRAL_BAND = 0.2;

const lexiconSchema = z.object({
  positive: z.record(z.string(), z.number()),
  negative: z.record(z.string(), z.number()),
  neutral: z.record(z.string(), z.number()),
  anger: z.record(z.string(), z.number()),
  anger_patterns: z.record(z.string(), z.number()),
  negators: z.array(z.string()),
  intensifiers: z.record(z.string(), z.number()),
  diminishers: z.record(z.string(), z.number()),
});

type Kind = 'valence' | 'anger' | 'negator' | 'modifier';

interface Entry {
  text: string;
  kind: Kind;
  /** valence: signed weight; anger: 0–1; modifier: multiplier. */
  weight: number;
  latin: boolean;
}

interface Lexicon {
  /** By first character, longest first. */
  index: Map<string, Entry[]>;
  patterns: { re: RegExp; weight: number; source: string }[];
}

const LATIN_WORD_CHAR = /[a-z0-9']/;

function loadLexicon(file: string): Lexicon {
  const raw = lexiconSchema.parse(parse(readFileSync(path.join(__dirname, file), 'utf8')));
  const entries: Entry[] = [];
  const add = (text: string, kind: Kind, weight: number) =>
    entries.push({ text: text.toLowerCase(), kind, weight, latin: /^[a-z0-9]/i.test(text) });
  for (const [t, w] of Object.entries(raw.positive)) add(t, 'valence', w);
  for (const [t, w] of Object.entries(raw.negative)) add(t, 'valence', -w);
  for (const [t, w] of Object.entries(raw.neutral)) add(t, 'valence', w);
  for (const [t, w] of Object.entries(raw.anger)) add(t, 'anger', w);
  for (const t of raw.negators) add(t, 'negator', -1);
  for (const [t, w] of Object.entries(raw.intensifiers)) add(t, 'modifier', w);
  for (const [t, w] of Object.entries(raw.diminishers)) add(t, 'modifier', w);
  entries.sort((a, b) => b.text.length - a.text.length);
  const index = new Map<string, Entry[]>();
  for (const e of entries) index.set(e.text[0]!, [...(index.get(e.text[0]!) ?? []), e]);
  const patterns = Object.entries(raw.anger_patterns).map(([source, weight]) => ({
    re: new RegExp(source, 'u'),
    weight,
    source,
  }));
  return { index, patterns };
}

const ZH = loadLexicon('lexicon.zh.yaml');
const EN = loadLexicon('lexicon.en.yaml');

interface Hit {
  entry: Entry;
  start: number;
  end: number;
}

function scan(text: string, lexicons: Lexicon[]): Hit[] {
  const hits: Hit[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    const wordStart = !LATIN_WORD_CHAR.test(text[i - 1] ?? ' ');
    let best: Entry | undefined;
    for (const lex of lexicons) {
      for (const e of lex.index.get(ch) ?? []) {
        if (best && e.text.length <= best.text.length) break;
        if (!text.startsWith(e.text, i)) continue;
        if (e.latin && (!wordStart || LATIN_WORD_CHAR.test(text[i + e.text.length] ?? ' '))) continue;
        best = e;
        break;
      }
    }
    if (best) {
      hits.push({ entry: best, start: i, end: i + best.text.length });
      i += best.text.length;
    } else if (LATIN_WORD_CHAR.test(ch)) {
      // Skip the rest of a Latin word so entries only start at word starts.
      while (i < text.length && LATIN_WORD_CHAR.test(text[i]!)) i += 1;
    } else i += 1;
  }
  return hits;
}

const CLAUSE_BREAK = /[,.;!?，。；！？\n]/;
const ANGRY_EMOJI = /[\u{1F621}\u{1F92C}\u{1F620}\u{1F4A2}\u{1F47F}\u{1F595}]/u;
const SAD_EMOJI =
  /[\u{1F61E}\u{1F622}\u{1F62D}\u{1F624}\u{1F644}\u{1F44E}\u{1F494}\u{1F612}\u{1F629}\u{1F62B}]/u;
const HAPPY_EMOJI =
  /[\u{1F44D}\u{1F60A}\u{1F600}\u{1F604}\u{1F601}\u{1F642}\u{2764}\u{1F64F}\u{1F970}\u{1F60D}\u{1F389}\u{1F4AF}\u{1F44C}\u{1F917}]/u;

/** How far (in characters) a negator or intensifier reaches: a few Chinese characters, about three English words. */
function reach(entry: Entry): number {
  return entry.latin ? 20 : 4;
}

/** Shouting: most letters of a message with some length are capitals. */
function isShouting(original: string): boolean {
  const letters = original.match(/\p{L}/gu)?.filter((c) => /[A-Za-z]/.test(c)) ?? [];
  if (letters.length < 6 || !/\s/.test(original.trim())) return false;
  const upper = letters.filter((c) => c >= 'A' && c <= 'Z').length;
  return upper / letters.length > 0.7;
}

const CONTRAST = /但是|可是|不过|然而|但|\b(?:but|however|although|though)\b/g;

function lastContrast(text: string): number {
  let at = -1;
  for (const m of text.matchAll(CONTRAST)) at = m.index;
  return at;
}

function squash(x: number): number {
  return x / Math.sqrt(x * x + 4);
}

/**
 * Valence and anger of one customer message, from the zh and en lexicons (customers mix them, so both
 * apply to every locale except English, which skips the Chinese scan), with negation (不/没/别, not/never),
 * intensifiers and diminishers (非常/太/有点, very/so/a bit), exclamation marks and repeated punctuation,
 * ALL CAPS, emoji, and anger or complaint phrases (投诉, 12315, 再不…就…, scam, "this is unacceptable").
 */
export function analyzeSentiment(text: string, locale: string): Sentiment {
  const normalized = normalize(text);
  const lexicons = locale.toLowerCase().startsWith('en') ? [EN] : [ZH, EN];
  const hits = scan(normalized, lexicons);
  const cues: string[] = [];

  // After 但是 / but the customer says what they mean: what came before counts less.
  const contrast = lastContrast(normalized);
  const discount = (h: Hit) => (h.start < contrast ? 0.4 : 1);
  let valence = 0;
  let calm = 1; // product of (1 - anger) over the anger phrases
  let negator: Hit | undefined;
  let modifier = 1;
  let modifierEnd = -1;
  for (const h of hits) {
    const between = (from: number) => normalized.slice(from, h.start);
    if (
      negator &&
      (h.start - negator.end > reach(negator.entry) || CLAUSE_BREAK.test(between(negator.end)))
    ) {
      negator = undefined;
    }
    if (modifierEnd >= 0 && (h.start - modifierEnd > 20 || CLAUSE_BREAK.test(between(modifierEnd)))) {
      modifier = 1;
      modifierEnd = -1;
    }
    const { kind, weight, text: t } = h.entry;
    if (kind === 'negator') negator = h;
    else if (kind === 'modifier') {
      modifier *= weight;
      modifierEnd = h.end;
    } else if (kind === 'anger' && negator) {
      // "not angry, just disappointed", 不是骗子: no anger, a little negativity.
      valence -= 0.5 * discount(h);
      cues.push(`${negator.entry.text}…${t}`);
      negator = undefined;
      modifier = 1;
    } else if (kind === 'anger') {
      calm *= 1 - Math.min(1, weight * Math.min(modifier, 1.3));
      valence -= (1 + weight) * modifier * discount(h);
      cues.push(t);
      modifier = 1;
    } else if (weight !== 0) {
      // A negated sentiment turns over and weakens: 不满意 is negative, 不差 only mildly positive.
      const v = weight * modifier * (negator ? -0.7 : 1) * discount(h);
      valence += v;
      cues.push(negator ? `${negator.entry.text}…${t}` : t);
      negator = undefined;
      modifier = 1;
      modifierEnd = -1;
    }
  }

  const patternSets = lexicons.map((l) => l.patterns).flat();
  for (const p of patternSets) {
    if (p.re.test(normalized) || p.re.test(text)) {
      calm *= 1 - p.weight;
      valence -= p.weight;
      cues.push(`/${p.source}/`);
    }
  }

  const exclamations = Math.min(3, (text.match(/[!！]/g) ?? []).length);
  const shouting = isShouting(text);
  const angryEmoji = ANGRY_EMOJI.test(text);
  if (angryEmoji) {
    valence -= 1.5;
    calm *= 0.7;
    cues.push('angry emoji');
  }
  if (SAD_EMOJI.test(text)) valence -= 0.8;
  if (HAPPY_EMOJI.test(text)) valence += 1;
  // Shouting, or a row of exclamation marks, with nothing friendly in it reads as upset.
  if (valence <= 0 && shouting) valence -= 1;
  else if (valence <= 0 && exclamations >= 3) valence -= 0.5;
  // Emphasis scales whatever the message already says.
  valence *= 1 + 0.15 * exclamations + (shouting ? 0.4 : 0);

  const score = Math.round(squash(valence) * 1000) / 1000;
  let anger = 1 - calm;
  if (score < 0) {
    // Loud negativity is anger even without an anger word: "WHERE IS MY ORDER!!!"
    if (shouting) {
      anger += 0.3;
      cues.push('ALL CAPS');
    }
    if (exclamations > 0) anger += 0.1 * exclamations;
    if (/[?？][?？!！]|[!！][?？]/.test(text)) anger += 0.1;
    if (score < -0.6) anger += (-score - 0.6) * 0.5;
  } else if (shouting && anger > 0) anger += 0.2;
  anger = Math.round(Math.min(1, Math.max(0, anger)) * 1000) / 1000;

  const label = score <= -NEUTRAL_BAND ? 'negative' : score >= NEUTRAL_BAND ? 'positive' : 'neutral';
  return { score, anger, label, cues };
}

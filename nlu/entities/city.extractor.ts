import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { type Candidate } from './entity';

const gazetteerSchema = z.object({
  cities: z.array(
    z.object({
      key: z.string(),
      country: z.string(),
      zh: z.array(z.string()),
      en: z.array(z.string()),
      abbr: z.array(z.string()).optional(),
      avoid: z.array(z.string()).optional(),
    }),
  ),
  stations: z.array(z.object({ city: z.string(), zh: z.array(z.string()), en: z.array(z.string()) })),
});

interface Name {
  /** Lower-case (en) or simplified (zh) form to find in the working text. */
  text: string;
  city: string;
  /** Set for stations and airports: the station's canonical (first Chinese) name. */
  station?: string;
  avoid: string[];
  latin: boolean;
}

interface Mention {
  start: number;
  end: number;
  city: string;
  station?: string;
  role?: 'fromCity' | 'toCity';
}

const GENERIC_STATION = /^(?:[东南西北]?站|火车站|高铁站|(?:国际)?机场)/u;
const LATIN_LETTER = /[a-z0-9\u00c0-\u024f']/;
const HAN = /\p{Script=Han}/u;
const ZH_FROM = /(从|由|自)\s*$/u;
const ZH_TO = /(到|去|飞|至|往|回|赴|抵达|前往|飞往|开往|发往|寄到|寄往|寄去|送到|发到)\s*$/u;
const ZH_FROM_AFTER = /^\s*(出发|始发|起飞|发车|上车)/u;
const EN_FROM = /\b(from|leaving|departing|depart from|out of)\s+$/;
const EN_TO = /\b(to|into|towards?|arriving in|arriving at|arrive in|arrive at|reach|reaching)\s+$/;
const PAIR_GAP = /^\s*(到|至|飞|去|飞往|开往|-|—|–|~|→|->|to)\s*$/u;
// Around a one-character abbreviation: it must stand next to a route word, or next to another one (京沪).
const ABBR_BEFORE = /(从|到|去|飞|至|回|往|赴|离|抵)$/u;
const ABBR_AFTER = /^(到|至|飞|出发|$|[^\p{Script=Han}])/u;

function loadNames(): { index: Map<string, Name[]>; abbreviations: Map<string, string> } {
  const data = gazetteerSchema.parse(parse(readFileSync(path.join(__dirname, 'cities.yaml'), 'utf8')));
  const names: Name[] = [];
  const abbreviations = new Map<string, string>();
  const keys = new Set(data.cities.map((c) => c.key));
  for (const c of data.cities) {
    for (const zh of c.zh) names.push({ text: zh, city: c.key, avoid: c.avoid ?? [], latin: false });
    for (const en of c.en) names.push({ text: en.toLowerCase(), city: c.key, avoid: [], latin: true });
    for (const a of c.abbr ?? []) abbreviations.set(a, c.key);
  }
  for (const s of data.stations) {
    if (!keys.has(s.city)) throw new Error(`cities.yaml: station ${s.zh[0]} names unknown city ${s.city}`);
    const station = s.zh[0]!;
    for (const zh of s.zh) names.push({ text: zh, city: s.city, station, avoid: [], latin: false });
    for (const en of s.en)
      names.push({ text: en.toLowerCase(), city: s.city, station, avoid: [], latin: true });
  }
  // Longest first at each position: 北京南站 before 北京, 京都 is not inside 北京都.
  names.sort((a, b) => b.text.length - a.text.length);
  const index = new Map<string, Name[]>();
  for (const n of names) {
    const first = n.text[0]!;
    const list = index.get(first) ?? [];
    list.push(n);
    index.set(first, list);
  }
  return { index, abbreviations };
}

const { index, abbreviations } = loadNames();

function isAvoided(w: string, pos: number, name: Name): boolean {
  return name.avoid.some((a) => {
    const k = a.indexOf(name.text);
    return k >= 0 && pos - k >= 0 && w.startsWith(a, pos - k);
  });
}

function findMentions(w: string): Mention[] {
  const out: Mention[] = [];
  let i = 0;
  while (i < w.length) {
    const ch = w[i]!;
    let found: Mention | undefined;
    const latinStart = LATIN_LETTER.test(ch) && (i === 0 || !LATIN_LETTER.test(w[i - 1]!));
    if (HAN.test(ch) || latinStart) {
      for (const name of index.get(ch) ?? []) {
        if (!w.startsWith(name.text, i)) continue;
        const end = i + name.text.length;
        if (name.latin && end < w.length && LATIN_LETTER.test(w[end]!)) continue;
        if (!name.latin && isAvoided(w, i, name)) continue;
        found = { start: i, end, city: name.city, station: name.station };
        if (!name.station && !name.latin) {
          const suffix = GENERIC_STATION.exec(w.slice(end, end + 4));
          if (suffix) {
            const written = suffix[0] === '火车站' ? '站' : suffix[0];
            found = {
              ...found,
              end: end + suffix[0].length,
              station: name.text.replace(/市$/, '') + written,
            };
          }
        }
        break;
      }
    }
    if (!found && abbreviations.has(ch)) found = abbreviation(w, i);
    if (found) {
      out.push(found);
      i = found.end;
    } else i += 1;
  }
  return out;
}

function abbreviation(w: string, i: number): Mention | undefined {
  const city = abbreviations.get(w[i]!)!;
  const next = w[i + 1] ?? '';
  const prev = w[i - 1] ?? '';
  const paired = abbreviations.has(next) || abbreviations.has(prev);
  if (!paired && !(ABBR_BEFORE.test(w.slice(0, i)) && ABBR_AFTER.test(w.slice(i + 1)))) return undefined;
  return { start: i, end: i + 1, city };
}

function assignRoles(w: string, mentions: Mention[]): void {
  for (const m of mentions) {
    const before = w.slice(Math.max(0, m.start - 12), m.start);
    const after = w.slice(m.end, m.end + 4);
    if (ZH_FROM.test(before) || EN_FROM.test(before) || ZH_FROM_AFTER.test(after)) m.role = 'fromCity';
    else if (ZH_TO.test(before) || EN_TO.test(before)) m.role = 'toCity';
  }
  // 北京到上海, 北京飞上海, 京沪, Shanghai to Beijing: the first is where the trip starts.
  for (let k = 0; k + 1 < mentions.length; k += 1) {
    const a = mentions[k]!;
    const b = mentions[k + 1]!;
    const gap = w.slice(a.end, b.start);
    if (!PAIR_GAP.test(gap) && gap !== '') continue;
    if (gap === '' && !(a.end - a.start === 1 && b.end - b.start === 1)) continue;
    if (!a.role && (!b.role || b.role === 'toCity')) a.role = 'fromCity';
    if (!b.role && a.role === 'fromCity') b.role = 'toCity';
  }
}

/**
 * Cities and stations from the gazetteer, left to right, longest name first. Every mention gives a
 * `city` (value: the English key); a station or airport also gives a `station` (value: its Chinese
 * name); a mention marked as the start or end of a trip (从/到/去/飞, from/to, 北京到上海) also gives
 * `fromCity` / `toCity` with the same span.
 */
export function extractCities(w: string): Candidate[] {
  const mentions = findMentions(w);
  if (mentions.length === 0) return [];
  assignRoles(w, mentions);
  const out: Candidate[] = [];
  for (const m of mentions) {
    out.push({ type: 'city', value: m.city, start: m.start, end: m.end });
    if (m.station) out.push({ type: 'station', value: m.station, start: m.start, end: m.end });
    if (m.role) out.push({ type: m.role, value: m.city, start: m.start, end: m.end });
  }
  return out;
}

/** The canonical keys of every city in the gazetteer (for tests and admin pick lists). */
export function knownCities(): string[] {
  const keys = new Set<string>();
  for (const list of index.values()) for (const n of list) keys.add(n.city);
  return [...keys].sort();
}

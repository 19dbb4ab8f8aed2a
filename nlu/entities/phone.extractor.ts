import { type Candidate, type Claims } from './entity';

// Mainland mobile, optionally +86 / 0086 / (86), grouped 3-4-4 with spaces or dashes or not at all.
const MAINLAND =
  /(?<![\d+])(?:(?:\+|00)\s?86[\s-]?|\(\+?86\)\s?|86(?=1[3-9]\d{9}(?!\d)))?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?![\d])/g;
// E.164 with the usual human grouping: +1 415 555 2671, +44 (20) 7946-0958.
const INTERNATIONAL = /(?<![\w+])\+\s?[1-9](?:[\s().-]?\d){6,14}(?!\d)/g;

/** Mainland mobiles as their 11 digits; other numbers with a country code as E.164. */
export function extractPhones(w: string, claims: Claims): Candidate[] {
  const out: Candidate[] = [];
  for (const m of w.matchAll(MAINLAND)) {
    const start = m.index;
    const end = start + m[0].length;
    if (claims.overlaps(start, end)) continue;
    claims.add(start, end);
    out.push({ type: 'phone', value: m[1]! + m[2]! + m[3]!, start, end });
  }
  for (const m of w.matchAll(INTERNATIONAL)) {
    const start = m.index;
    const end = start + m[0].length;
    const digits = m[0].replace(/\D/g, '');
    if (digits.length < 8 || digits.length > 15 || claims.overlaps(start, end)) continue;
    claims.add(start, end);
    out.push({ type: 'phone', value: `+${digits}`, start, end });
  }
  return out;
}

/** Deterministic helpers for the demo backend: the same inputs always give the same data. */

/** FNV-1a: a stable 32-bit seed from a string. */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a tiny seeded PRNG in [0, 1); good enough for demo data, not for anything secret. */
export function seededRandom(key: string): () => number {
  let a = hashSeed(key);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(rng: () => number, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

export function digits(rng: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(rng() * 10).toString();
  return s;
}

export const HOUR_MS = 3_600_000;
export const MINUTE_MS = 60_000;
const SHANGHAI_OFFSET_MS = 8 * HOUR_MS;

/** ISO 8601 in Asia/Shanghai (+08:00, no DST), to the second: the demo shop's time zone. */
export function toShanghaiIso(ms: number): string {
  return new Date(ms + SHANGHAI_OFFSET_MS).toISOString().slice(0, 19) + '+08:00';
}

/** Epoch ms of `hh:mm` on a YYYY-MM-DD date in Asia/Shanghai. */
export function shanghaiTime(date: string, minutesOfDay: number): number {
  return Date.parse(`${date}T00:00:00+08:00`) + minutesOfDay * MINUTE_MS;
}

/** A real calendar date in YYYY-MM-DD form (rejects 2025-02-30). */
export function isCalendarDate(date: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/**
 * Checks the built-in intent training data in this folder:
 *   npx tsx nlu/builtin/data/validate.ts
 *
 * - every line is a JSON object {"text", "intent", "lang"} with nothing else, the text trimmed and non-empty;
 * - the lang matches the file and the intent is one of the built-in intents (or `oos` in the oos files);
 * - every intent meets the minimum per language: 60 in train, 20 held out; `oos` 80 in each half;
 * - no exact duplicate (trimmed, lower-cased) anywhere, within or across files and languages;
 * - no held-out line that is the same sentence as a training line once normalised the way the NLU
 *   normalises (NFKC, traditional → simplified, case) and stripped of punctuation and spaces — the
 *   held-out split must prove generalisation, so even "退貨地址？" vs "退货地址" counts as a leak;
 * - no sentence carrying two different labels; no held-out sentence in ../chitchat.yaml (the engine trains on it).
 * Prints a table of counts (distinct sentences after that normalisation) and a few variety figures;
 * exits 1 on any error.
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { normalize } from '../../normalize';

const BUILTIN_INTENTS = [
  'order.query',
  'return.address',
  'refund.request',
  'recharge.topup',
  'ticket.book',
  'chitchat.identity',
  'common.greet',
  'common.thanks',
  'common.bye',
  'common.cancel',
  'common.human',
  'common.affirm',
  'common.deny',
  'common.repeat',
] as const;

const MIN = { train: 60, heldout: 20, oos: 80, 'oos-heldout': 80 } as const;
type Split = keyof typeof MIN;
const LOCALES = [
  { locale: 'zh-CN', lang: 'zh' },
  { locale: 'en-US', lang: 'en' },
] as const;

interface Row {
  text: string;
  intent: string;
  lang: string;
  file: string;
  line: number;
  split: Split;
  locale: string;
}

const dir = __dirname;
const errors: string[] = [];
const warnings: string[] = [];
const rows: Row[] = [];

function isHeldout(split: Split): boolean {
  return split === 'heldout' || split === 'oos-heldout';
}

for (const { locale, lang } of LOCALES) {
  for (const split of Object.keys(MIN) as Split[]) {
    const file = `${split}.${locale}.jsonl`;
    const full = path.join(dir, file);
    if (!existsSync(full)) {
      errors.push(`${file}: missing`);
      continue;
    }
    const content = readFileSync(full, 'utf8');
    if (!content.endsWith('\n')) warnings.push(`${file}: no newline at end of file`);
    content.split('\n').forEach((raw, i) => {
      const where = `${file}:${i + 1}`;
      if (raw.trim() === '') {
        if (i !== content.split('\n').length - 1) errors.push(`${where}: empty line`);
        return;
      }
      let obj: unknown;
      try {
        obj = JSON.parse(raw);
      } catch (e) {
        errors.push(`${where}: not JSON (${(e as Error).message})`);
        return;
      }
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
        errors.push(`${where}: not a JSON object`);
        return;
      }
      const rec = obj as Record<string, unknown>;
      const keys = Object.keys(rec).sort().join(',');
      if (keys !== 'intent,lang,text') errors.push(`${where}: keys must be text, intent, lang (got ${keys})`);
      const { text, intent } = rec;
      if (typeof text !== 'string' || text.trim() === '') {
        errors.push(`${where}: text must be a non-empty string`);
        return;
      }
      if (text !== text.trim() || /[\n\r\t]/.test(text)) errors.push(`${where}: text has stray whitespace`);
      if (rec.lang !== lang)
        errors.push(`${where}: lang must be "${lang}" (got ${JSON.stringify(rec.lang)})`);
      const allowed: readonly string[] = split.startsWith('oos') ? ['oos'] : BUILTIN_INTENTS;
      if (typeof intent !== 'string' || !allowed.includes(intent)) {
        errors.push(`${where}: intent ${JSON.stringify(intent)} not allowed in this file`);
        return;
      }
      rows.push({ text, intent, lang, file, line: i + 1, split, locale });
    });
  }
}

// Exact duplicates (trimmed, lower-cased), anywhere.
const exact = new Map<string, Row>();
for (const r of rows) {
  const key = r.text.trim().toLowerCase();
  const prev = exact.get(key);
  if (prev) errors.push(`duplicate "${r.text}": ${prev.file}:${prev.line} and ${r.file}:${r.line}`);
  else exact.set(key, r);
}

// Near duplicates: the NLU's normalisation, minus punctuation, symbols and spaces.
function nearKey(text: string): string {
  return normalize(text).replace(/[\p{P}\p{S}\s]/gu, '');
}
const near = new Map<string, Row[]>();
for (const r of rows) {
  const key = nearKey(r.text);
  if (!key) {
    errors.push(`${r.file}:${r.line}: "${r.text}" is nothing but punctuation`);
    continue;
  }
  near.set(key, [...(near.get(key) ?? []), r]);
}
for (const group of near.values()) {
  if (group.length < 2) continue;
  const desc = group.map((r) => `"${r.text}" (${r.file}:${r.line})`).join(', ');
  if (new Set(group.map((r) => r.intent)).size > 1) errors.push(`same sentence, different intents: ${desc}`);
  else if (group.some((r) => isHeldout(r.split)) && group.some((r) => !isHeldout(r.split)))
    errors.push(`held-out sentence also in training: ${desc}`);
  else if (new Set(group.map((r) => r.text.trim().toLowerCase())).size > 1)
    warnings.push(`near duplicates in one split: ${desc}`);
}

// The engine also trains on ../chitchat.yaml: no held-out sentence may appear there.
const chitchatFile = path.join(dir, '..', 'chitchat.yaml');
if (existsSync(chitchatFile)) {
  const doc = parse(readFileSync(chitchatFile, 'utf8')) as Record<string, Record<string, string[]>>;
  const seen = new Set<string>();
  for (const byIntent of Object.values(doc ?? {}))
    for (const examples of Object.values(byIntent ?? {}))
      for (const t of examples ?? []) seen.add(nearKey(String(t)));
  for (const r of rows)
    if (isHeldout(r.split) && seen.has(nearKey(r.text)))
      errors.push(
        `${r.file}:${r.line}: held-out "${r.text}" is a training example in nlu/builtin/chitchat.yaml`,
      );
}

// Counts: distinct sentences after normalisation, so that 退货/退貨 or "ok"/"ok!" count once.
const count = (locale: string, split: Split, intent: string) =>
  new Set(
    rows
      .filter((r) => r.locale === locale && r.split === split && r.intent === intent)
      .map((r) => nearKey(r.text)),
  ).size;
const columns = LOCALES.flatMap(({ locale }) =>
  (['train', 'heldout'] as const).map((split) => ({ locale, split })),
);
const header = ['intent', ...columns.map((c) => `${c.locale} ${c.split}`)];
const table: string[][] = [];
for (const intent of BUILTIN_INTENTS) {
  const cells = columns.map(({ locale, split }) => {
    const n = count(locale, split, intent);
    if (n < MIN[split]) errors.push(`${locale} ${split} ${intent}: ${n} examples, need ${MIN[split]}`);
    return String(n);
  });
  table.push([intent, ...cells]);
}
const oosCells = columns.map(({ locale, split }) => {
  const oosSplit: Split = split === 'train' ? 'oos' : 'oos-heldout';
  const n = count(locale, oosSplit, 'oos');
  if (n < MIN[oosSplit]) errors.push(`${locale} ${oosSplit}: ${n} examples, need ${MIN[oosSplit]}`);
  return String(n);
});
table.push(['oos', ...oosCells]);
table.push([
  'lines',
  ...columns.map(({ locale, split }) =>
    String(
      rows.filter(
        (r) =>
          r.locale === locale &&
          (r.split === split || r.split === (split === 'train' ? 'oos' : 'oos-heldout')),
      ).length,
    ),
  ),
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const fmt = (cells: string[]) =>
  '| ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ') + ' |';
console.log(fmt(header));
console.log(
  '|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|',
);
for (const row of table) console.log(fmt(row));

// Variety figures (informational).
const HAN = /\p{Script=Han}/u;
const zh = rows.filter((r) => r.lang === 'zh');
const en = rows.filter((r) => r.lang === 'en');
const pct = (n: number, d: number) => `${n} (${d ? ((100 * n) / d).toFixed(1) : '0'}%)`;
const traditional = zh.filter(
  (r) => HAN.test(r.text) && normalize(r.text) !== r.text.normalize('NFKC').toLowerCase(),
);
const mixed = zh.filter((r) => /[a-z]{2,}/i.test(r.text));
const terseZh = zh.filter((r) => nearKey(r.text).length <= 3);
const terseEn = en.filter((r) => r.text.trim().split(/\s+/).length <= 2);
console.log('');
console.log(`zh lines: ${zh.length}; with traditional characters: ${pct(traditional.length, zh.length)}`);
console.log(
  `zh lines mixing in Latin words: ${pct(mixed.length, zh.length)}; terse (≤ 3 chars): ${pct(terseZh.length, zh.length)}`,
);
console.log(`en lines: ${en.length}; terse (≤ 2 words): ${pct(terseEn.length, en.length)}`);

for (const w of warnings) console.log(`warning: ${w}`);
if (errors.length) {
  for (const e of errors) console.error(`error: ${e}`);
  console.error(`\n${errors.length} error(s)`);
  process.exit(1);
}
console.log('\nOK: all checks passed');

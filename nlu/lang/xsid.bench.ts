/**
 * Language identification on xSID (../shared/datasets/xsid): accuracy per language for the languages it
 * has that Kefu supports (en, id, zh), and what the detector answers for the others.
 *   npx tsx nlu/lang/xsid.bench.ts [dev|test] [--normalized] [dataset dir]
 * --normalized runs the text through nlu/normalize first, as the NLU engine does (lower case, so the
 * capitalised-name hint is lost).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { normalize } from '../normalize';
import { detectLocale } from './detect';

const SUPPORTED: Record<string, string> = { en: 'en-US', id: 'id-ID', zh: 'zh-CN' };

function main(): void {
  const args = process.argv.slice(2);
  const normalized = args.includes('--normalized');
  const [split = 'test', dir = path.join(__dirname, '../../../shared/datasets/xsid')] = args.filter(
    (a) => a !== '--normalized',
  );
  const rows = readFileSync(path.join(dir, `${split}.jsonl`), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { text: string; lang: string });
  const byLang = new Map<string, Map<string, number>>();
  const errors: string[] = [];
  let ms = 0;
  for (const r of rows) {
    const t0 = performance.now();
    const got = detectLocale(normalized ? normalize(r.text) : r.text);
    ms += performance.now() - t0;
    const tally = byLang.get(r.lang) ?? new Map<string, number>();
    tally.set(got, (tally.get(got) ?? 0) + 1);
    byLang.set(r.lang, tally);
    if (SUPPORTED[r.lang] && got !== SUPPORTED[r.lang] && errors.length < 40)
      errors.push(`${r.lang}→${got}: ${r.text}`);
  }
  console.log(
    `xSID ${split}${normalized ? ', normalised' : ''}: ${rows.length} rows, ${(ms / rows.length).toFixed(3)} ms per call (no fallback)`,
  );
  let right = 0;
  let total = 0;
  for (const [lang, locale] of Object.entries(SUPPORTED)) {
    const tally = byLang.get(lang)!;
    const n = [...tally.values()].reduce((a, b) => a + b, 0);
    const ok = tally.get(locale) ?? 0;
    right += ok;
    total += n;
    const wrong = [...tally]
      .filter(([l]) => l !== locale)
      .map(([l, c]) => `${l} ${c}`)
      .join(', ');
    console.log(`  ${lang}  ${ok}/${n} = ${(ok / n).toFixed(3)}${wrong ? `   (wrong: ${wrong})` : ''}`);
  }
  console.log(`  supported languages overall ${right}/${total} = ${(right / total).toFixed(3)}`);
  // In a conversation the detector has a fallback: how often does it still switch to the right language?
  for (const [lang, locale] of Object.entries(SUPPORTED)) {
    const fallback = lang === 'zh' ? 'en-US' : 'zh-CN';
    const texts = rows.filter((r) => r.lang === lang).map((r) => (normalized ? normalize(r.text) : r.text));
    const ok = texts.filter((t) => detectLocale(t, fallback) === locale).length;
    console.log(
      `  ${lang} with fallback ${fallback}: ${ok}/${texts.length} = ${(ok / texts.length).toFixed(3)}`,
    );
  }
  console.log('unsupported languages (answer distribution):');
  for (const [lang, tally] of [...byLang].sort()) {
    if (SUPPORTED[lang]) continue;
    console.log(
      `  ${lang.padEnd(6)} ${[...tally]
        .sort((a, b) => b[1] - a[1])
        .map(([l, c]) => `${l} ${c}`)
        .join(', ')}`,
    );
  }
  if (errors.length) console.log(`errors (first ${errors.length}):\n  ${errors.join('\n  ')}`);
}

main();

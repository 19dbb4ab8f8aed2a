/**
 * Compares our extractors with the Microsoft recognizers that @nlpjs/builtin-microsoft wraps, on the
 * entity case table, for the types both cover (amounts, dates, counts), and times both.
 *   TZ=Asia/Shanghai npx tsx nlu/entities/recognizers.bench.ts
 * The recognizers read the reference date in the process's local zone, hence TZ.
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { CASES_NOW, CASES_TIME_ZONE, ENTITY_CASES } from './entity-cases';
import { extractEntities } from './extract-entities';

interface ModelResult {
  typeName: string;
  text: string;
  resolution?: { value?: string; values?: { value?: string; start?: string }[] };
}
interface Recognizers {
  recognizeNumber(q: string, culture: string): ModelResult[];
  recognizeCurrency(q: string, culture: string): ModelResult[];
  recognizeDateTime(q: string, culture: string, options?: unknown, refDate?: Date): ModelResult[];
}
interface BuiltinMicrosoftInstance {
  findBuiltinEntities(text: string, locale: string, builtins?: string[]): { edges: unknown[] };
}

// Not imported statically: they are node-nlp's dependencies, loaded only for this measurement.
const load = createRequire(__filename);
const recognizers = load('@microsoft/recognizers-text-suite') as Recognizers;
const { BuiltinMicrosoft } = load('@nlpjs/builtin-microsoft') as {
  BuiltinMicrosoft: new () => BuiltinMicrosoftInstance;
};

const HAN = /\p{Script=Han}/u;

/**
 * Phrasings written after the extractors, and run once before any fix, so that the comparison is not
 * only on the table the extractors were built against. Clock: Sunday 2026-11-22, Asia/Shanghai.
 */
const UNSEEN: { text: string; expect: string[] }[] = [
  { text: '下星期三', expect: ['date:2026-11-25'] },
  { text: '这个礼拜六', expect: ['date:2026-11-21'] },
  { text: '礼拜一能发吗', expect: ['date:2026-11-23'] },
  { text: '十一月三十号', expect: ['date:2026-11-30'] },
  { text: '12月1日出发', expect: ['date:2026-12-01'] },
  { text: '后天上午', expect: ['date:2026-11-24'] },
  { text: '明儿个', expect: ['date:2026-11-23'] },
  { text: '2027/1/5', expect: ['date:2027-01-05'] },
  { text: '下个月15号', expect: ['date:2026-12-15'] },
  { text: '三天以后', expect: ['date:2026-11-25'] },
  { text: '一周后', expect: ['date:2026-11-29'] },
  { text: 'next Monday', expect: ['date:2026-11-23'] },
  { text: 'Monday', expect: ['date:2026-11-23'] },
  { text: 'tomorrow evening', expect: ['date:2026-11-23'] },
  { text: 'Nov 30', expect: ['date:2026-11-30'] },
  { text: '30th November', expect: ['date:2026-11-30'] },
  { text: 'in two weeks', expect: ['date:2026-12-06'] },
  { text: '12/24', expect: ['date:2026-12-24'] },
  { text: 'two days later', expect: ['date:2026-11-24'] },
  { text: 'yesterday', expect: ['date:2026-11-21'] },
  { text: '一块钱', expect: ['amount:1'] },
  { text: '两元', expect: ['amount:2'] },
  { text: '九块九', expect: ['amount:9.9'] },
  { text: '9.9元包邮', expect: ['amount:9.9'] },
  { text: '五百块钱', expect: ['amount:500'] },
  { text: '一百二十块', expect: ['amount:120'] },
  { text: '¥ 1,200', expect: ['amount:1200'] },
  { text: 'USD 50', expect: ['amount:50'] },
  { text: '30 euros', expect: ['amount:30'] },
  { text: '十美元', expect: ['amount:10'] },
  { text: 'five dollars', expect: ['amount:5'] },
  { text: 'two hundred yuan', expect: ['amount:200'] },
  { text: 'a thousand rmb', expect: ['amount:1000'] },
  { text: 'RMB 88', expect: ['amount:88'] },
  { text: '给我退388', expect: ['amount:388'] },
  { text: '三张', expect: ['count:3'] },
  { text: '4个人', expect: ['count:4'] },
  { text: 'three tickets', expect: ['count:3'] },
  { text: 'one adult', expect: ['count:1'] },
  { text: '五位', expect: ['count:5'] },
];
const TYPES = ['amount', 'date', 'count'] as const;
type Type = (typeof TYPES)[number];

function expected(c: { expect: string[] }, type: Type): string[] {
  return c.expect.filter((e) => e.startsWith(`${type}:`)).map((e) => e.slice(type.length + 1));
}

function sameNumber(a: string, b: string | undefined): boolean {
  return b !== undefined && Math.abs(Number(a) - Number(b)) < 1e-9;
}

/** What the recognizers find for one type: `strict` as a product would use it, `lenient` any reading. */
function microsoft(text: string, type: Type): { strict: string[]; lenient: string[] } {
  const culture = HAN.test(text) ? 'zh-cn' : 'en-us';
  if (type === 'date') {
    const strict: string[] = [];
    const lenient: string[] = [];
    for (const r of recognizers.recognizeDateTime(text, culture, undefined, CASES_NOW)) {
      if (!r.typeName.startsWith('datetimeV2.date')) continue;
      const values = (r.resolution?.values ?? []).map((v) => (v.value ?? v.start ?? '').slice(0, 10));
      // Ambiguous dates come as [past, future]; a booking bot takes the future one.
      if (values.length > 0) strict.push(values[values.length - 1]!);
      lenient.push(...values);
    }
    return { strict, lenient };
  }
  const numbers = recognizers.recognizeNumber(text, culture).map((r) => r.resolution?.value ?? '');
  if (type === 'count') return { strict: numbers, lenient: numbers };
  const currency = recognizers.recognizeCurrency(text, culture).map((r) => r.resolution?.value ?? '');
  return { strict: currency, lenient: [...currency, ...numbers] };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function timeIt(label: string, rounds: number, fn: (text: string) => unknown): void {
  const texts = ENTITY_CASES.map((c) => c.text);
  for (const t of texts) fn(t); // warm-up
  const samples: number[] = [];
  for (let r = 0; r < rounds; r += 1) {
    for (const t of texts) {
      const t0 = performance.now();
      fn(t);
      samples.push(performance.now() - t0);
    }
  }
  samples.sort((a, b) => a - b);
  const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
  console.log(
    `${label.padEnd(44)} mean ${mean.toFixed(3)} ms  p50 ${percentile(samples, 0.5).toFixed(3)} ms  p99 ${percentile(samples, 0.99).toFixed(3)} ms  (${samples.length} calls)`,
  );
}

function main(): void {
  const opts = { now: CASES_NOW, timeZone: CASES_TIME_ZONE };
  const t0 = performance.now();
  extractEntities('明天从北京到上海', opts);
  console.log(`first call (loads gazetteer and converter): ${(performance.now() - t0).toFixed(1)} ms`);

  const tables: [string, { text: string; expect: string[]; opts?: object }[]][] = [
    ['the case table (ours was built against it)', ENTITY_CASES],
    ['unseen phrasings (first run, before any fix)', UNSEEN],
  ];
  for (const [name, table] of tables) {
    console.log(`\nAccuracy on ${name}:`);
    for (const type of TYPES) {
      const cases = table.filter((c) => expected(c, type).length > 0);
      let ours = 0;
      let strict = 0;
      let lenient = 0;
      const misses: string[] = [];
      const ourMisses: string[] = [];
      for (const c of cases) {
        const want = expected(c, type);
        const got = extractEntities(c.text, { ...opts, ...c.opts })
          .filter((e) => e.type === type)
          .map((e) => e.value);
        const match = (pool: string[]) =>
          want.every((v) => pool.some((p) => (type === 'date' ? p === v : sameNumber(v, p))));
        if (match(got)) ours += 1;
        else ourMisses.push(`${c.text} → ${JSON.stringify(got)}`);
        const ms = microsoft(c.text, type);
        if (match(ms.strict)) strict += 1;
        else misses.push(`${c.text} → ${JSON.stringify(ms.strict)}`);
        if (match(ms.lenient)) lenient += 1;
      }
      const pct = (n: number) => `${n}/${cases.length} (${((100 * n) / cases.length).toFixed(0)}%)`;
      console.log(
        `  ${type.padEnd(7)} ours ${pct(ours)}  microsoft ${pct(strict)}  microsoft, any reading ${pct(lenient)}`,
      );
      if (ourMisses.length) console.log(`          our misses: ${ourMisses.join(' | ')}`);
      if (misses.length)
        console.log(
          `          microsoft misses: ${misses.slice(0, 12).join(' | ')}${misses.length > 12 ? ' …' : ''}`,
        );
    }
  }

  console.log('\nLatency per message over the table:');
  const rounds = 20;
  timeIt('extractEntities (all types)', rounds, (t) => extractEntities(t, opts));
  timeIt('recognizers: Number + Currency + DateTime', 3, (t) => {
    const culture = HAN.test(t) ? 'zh-cn' : 'en-us';
    recognizers.recognizeNumber(t, culture);
    recognizers.recognizeCurrency(t, culture);
    recognizers.recognizeDateTime(t, culture, undefined, CASES_NOW);
  });
  const builtin = new BuiltinMicrosoft();
  timeIt('@nlpjs/builtin-microsoft, default builtins', 3, (t) =>
    builtin.findBuiltinEntities(t, HAN.test(t) ? 'zh' : 'en'),
  );
}

main();

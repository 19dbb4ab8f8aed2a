import { parseArgs } from 'node:util';
import { languagesOf, readJsonl } from './dataset';
import { trainEngine, type EngineName } from './engines';
import { classificationMetrics, percentile } from './metrics';

/** The one JSON line of specs/nlu-eval.md, fields in the contract's order. */
export interface EvalReport {
  engine: EngineName;
  train: string;
  test: string;
  n: number;
  intents: number;
  accuracy: number;
  inScopeAccuracy: number;
  oosRecall: number | null;
  oosPrecision: number | null;
  macroF1: number;
  trainSeconds: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMb: number;
}

export interface EvalArgs {
  train: string;
  test: string;
  dev?: string;
  engine: EngineName;
  lang?: string;
}

const USAGE =
  'usage: nlu-eval --train <train.jsonl> --test <test.jsonl> [--dev <dev.jsonl>] [--engine kefu|nlpjs] [--lang zh|en|...]';

export function parseEvalArgs(argv: readonly string[]): EvalArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      train: { type: 'string' },
      test: { type: 'string' },
      dev: { type: 'string' },
      engine: { type: 'string', default: 'kefu' },
      lang: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (!values.train || !values.test) throw new Error(USAGE);
  if (values.engine !== 'kefu' && values.engine !== 'nlpjs')
    throw new Error(`unknown engine ${values.engine}\n${USAGE}`);
  return {
    train: values.train,
    test: values.test,
    dev: values.dev,
    engine: values.engine,
    lang: values.lang,
  };
}

const round = (v: number, digits = 4): number => Math.round(v * 10 ** digits) / 10 ** digits;

/** Train from scratch, evaluate on the test file; progress goes to `log` (stderr). */
export async function runEval(args: EvalArgs, log: (msg: string) => void): Promise<EvalReport> {
  const train = readJsonl(args.train);
  const test = readJsonl(args.test);
  const dev = args.dev ? readJsonl(args.dev) : undefined;
  const langs = languagesOf(train, args.lang);
  const defaultLang = args.lang ?? langs[0];
  log(
    `${args.engine}: train ${train.length} rows, test ${test.length}${dev ? `, dev ${dev.length}` : ''}, languages ${langs.join(',') || '?'}`,
  );
  const started = process.hrtime.bigint();
  const predictor = await trainEngine(args.engine, { train, dev, langs, defaultLang, log });
  const trainSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  log(`trained in ${trainSeconds.toFixed(1)} s`);

  // Rows are parsed one at a time, as the bot does; a warm-up pass first lets the JIT settle.
  const langOf = (lang: string | undefined): string | undefined => args.lang ?? lang ?? defaultLang;
  const warmup = Math.min(test.length, 200);
  for (let i = 0; i < warmup; i++) {
    const row = test[i % test.length];
    if (row) await predictor.predict(row.text, langOf(row.lang));
  }
  const predicted: (string | null)[] = [];
  const latencies: number[] = [];
  for (let i = 0; i < test.length; i++) {
    const row = test[i];
    if (!row) continue;
    const t0 = process.hrtime.bigint();
    predicted.push(await predictor.predict(row.text, langOf(row.lang)));
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if ((i + 1) % 1000 === 0) log(`parsed ${i + 1}/${test.length}`);
  }
  const m = classificationMetrics(
    test.map((r) => r.intent),
    predicted,
  );
  return {
    engine: args.engine,
    train: args.train,
    test: args.test,
    n: m.n,
    intents: m.intents,
    accuracy: round(m.accuracy),
    inScopeAccuracy: round(m.inScopeAccuracy),
    oosRecall: m.oosRecall === null ? null : round(m.oosRecall),
    oosPrecision: m.oosPrecision === null ? null : round(m.oosPrecision),
    macroF1: round(m.macroF1),
    trainSeconds: round(trainSeconds, 2),
    p50Ms: round(percentile(latencies, 50), 3),
    p99Ms: round(percentile(latencies, 99), 3),
    // maxRSS is in kilobytes.
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

async function main(): Promise<void> {
  let args: EvalArgs;
  try {
    args = parseEvalArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  const report = await runEval(args, (msg) => process.stderr.write(`[nlu:eval] ${msg}\n`));
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}

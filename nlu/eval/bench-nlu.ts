import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { EngineName } from './engines';
import type { KbEvalReport } from './kb-eval';
import type { EvalReport } from './nlu-eval';

/**
 * Runs `nlu:eval` on every data set in ../shared/datasets with both engines, and `kb:eval` on every
 * set of ../shared/datasets/faq_fewshot, one child process per run (so peak RSS is per run and runs
 * never share a heap), and writes docs/nlu-benchmarks.md.
 *
 *   npm run bench:nlu [-- --only clinc150,snips,faq_fewshot] [--engines kefu,nlpjs]
 * (--only / --engines rewrite the page with just those runs.)
 */

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const DATASETS = path.resolve(REPO_ROOT, '..', 'shared', 'datasets');
const OUT = path.join(REPO_ROOT, 'docs', 'nlu-benchmarks.md');
const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const EVAL_SCRIPT = 'nlu/eval/nlu-eval.ts';
const KB_EVAL_SCRIPT = 'nlu/eval/kb-eval.ts';
const FAQ_SETS = path.join(DATASETS, 'faq_fewshot');

/** The few-shot knowledge floors (right answers directly; the table's "floor" column only). */
const KB_FLOORS: Record<string, { right: number; oosNotAnswered?: number }> = {
  banking77: { right: 0.62 },
  clinc150: { right: 0.62, oosNotAnswered: 0.7 },
  smp2017_ecdt_task1: { right: 0.7 },
};

interface Floor {
  metric: 'accuracy' | 'clinc';
  value: number;
}

/** The floors (for the table's "floor" column only; nothing in the NLU reads them). */
const FLOORS: Record<string, Floor> = {
  clinc150: { metric: 'clinc', value: 0 },
  banking77: { metric: 'accuracy', value: 0.92 },
  smp2017_ecdt_task1: { metric: 'accuracy', value: 0.9 },
  bitext_customer_service: { metric: 'accuracy', value: 0.99 },
  snips: { metric: 'accuracy', value: 0.98 },
};

export interface BenchJob {
  dataset: string;
  engine: EngineName;
  /** Arguments after the script, with paths relative to the repo root (as in the published commands). */
  args: string[];
  note?: string;
}

/** One job per data set and engine; a folder without train.jsonl trains on its dev split. */
export function planJobs(datasetsDir: string, engines: EngineName[], only?: string[]): BenchJob[] {
  const jobs: BenchJob[] = [];
  const rel = (p: string): string => path.relative(REPO_ROOT, p);
  const folders = readdirSync(datasetsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .filter((d) => !only || only.includes(d))
    .sort();
  for (const dataset of folders) {
    const dir = path.join(datasetsDir, dataset);
    const file = (split: string): string | undefined => {
      const p = path.join(dir, `${split}.jsonl`);
      return existsSync(p) ? p : undefined;
    };
    const test = file('test');
    const train = file('train') ?? file('dev');
    if (!test || !train) continue;
    const dev = file('train') ? file('dev') : undefined;
    const note = file('train') ? undefined : 'no train split: trained on dev, no dev for calibration';
    for (const engine of engines) {
      const args = ['--train', rel(train), '--test', rel(test)];
      // kefu calibrates its confidence and threshold on dev; NLP.js has no use for it and ignores it.
      if (dev) args.push('--dev', rel(dev));
      args.push('--engine', engine);
      jobs.push({ dataset, engine, args, note });
    }
  }
  return jobs;
}

/** `kb:eval` arguments per faq_fewshot set, paths relative to the repo root. */
export function planKbJobs(faqDir: string): { dataset: string; args: string[] }[] {
  if (!existsSync(faqDir)) return [];
  return readdirSync(faqDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(faqDir, d.name, 'knowledge.jsonl')))
    .map((d) => d.name)
    .sort()
    .map((dataset) => ({
      dataset,
      args: ['--knowledge', 'knowledge.jsonl', '--test', 'test.jsonl'].map((a) =>
        a.endsWith('.jsonl') ? path.relative(REPO_ROOT, path.join(faqDir, dataset, a)) : a,
      ),
    }));
}

interface KbResult {
  dataset: string;
  args: string[];
  report?: KbEvalReport;
  error?: string;
}

function runChild(script: string, args: string[], tag: string, onStderr?: (text: string) => void) {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(TSX, [script, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      const text = d.toString();
      onStderr?.(text);
      process.stderr.write(`  [${tag}] ${text}`);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${tag} exited with ${code}`));
      resolve(stdout.trim().split('\n').pop() ?? '');
    });
  });
}

interface JobResult {
  job: BenchJob;
  report?: EvalReport;
  /** Size of the stored model, from the run's progress output (kefu only). */
  modelMb?: number;
  error?: string;
}

async function runJob(job: BenchJob): Promise<{ report: EvalReport; modelMb?: number }> {
  let modelMb: number | undefined;
  const last = await runChild(EVAL_SCRIPT, job.args, `${job.dataset}/${job.engine}`, (text) => {
    const size = /model artifact ([\d.]+) MB/.exec(text);
    if (size) modelMb = Number(size[1]);
  });
  try {
    return { report: JSON.parse(last) as EvalReport, modelMb };
  } catch {
    throw new Error(`${job.dataset}/${job.engine}: no JSON result line`);
  }
}

const fmt = (v: number | null, digits = 3): string => (v === null ? '–' : v.toFixed(digits));

function floorCell(dataset: string, r: EvalReport): string {
  const floor = FLOORS[dataset];
  if (!floor || r.engine !== 'kefu') return '';
  if (floor.metric === 'clinc') {
    const ok = r.inScopeAccuracy >= 0.92 && (r.oosRecall ?? 0) >= 0.55;
    return `in-scope ≥ 0.92 and OOS recall ≥ 0.55: ${ok ? 'met' : 'NOT met'}`;
  }
  return `≥ ${floor.value}: ${r.accuracy >= floor.value ? 'met' : 'NOT met'}`;
}

function kbFloorCell(dataset: string, r: KbEvalReport): string {
  const floor = KB_FLOORS[dataset];
  if (!floor) return '';
  const ok =
    r.right >= floor.right &&
    r.wrong <= 0.15 &&
    r.right > r.baselineTop1 &&
    r.p99Ms <= 5 &&
    (floor.oosNotAnswered === undefined || (r.oosNotAnswered ?? 0) >= floor.oosNotAnswered);
  const oos = floor.oosNotAnswered === undefined ? '' : `, OOS not answered ≥ ${floor.oosNotAnswered}`;
  return `right ≥ ${floor.right}${oos}, wrong ≤ 0.15, > baseline top-1, p99 ≤ 5 ms: ${ok ? 'met' : 'NOT met'}`;
}

function renderKb(kb: KbResult[]): string[] {
  if (kb.length === 0) return [];
  const lines = ['## Shop knowledge, few examples per entry (faq_fewshot)', ''];
  lines.push(
    'Generated by the same run through `npm run kb:eval` (nlu/eval/kb-eval.ts): each intent of a public set is one',
    'knowledge entry of 4 phrasings (../shared/datasets/faq_fewshot/README.md), published with the bot’s own',
    'trainShopModel, and every test question decided as the dialogue manager does for a new anonymous customer',
    '(bot/knowledge.ts). Rates are of the in-scope questions; "built-in" = a built-in task intent took the',
    'question. The baseline (TF-IDF over character 1–3-grams, nearest sentence, no threshold) runs in the same',
    'process on the same files.',
    '',
    '| set | entries | questions | right | wrong | did-you-mean hit | did-you-mean miss | fallback | built-in | OOS not answered | baseline top-1 | baseline top-3 | publish s | p50 ms | p99 ms | floor |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const { dataset, report: r, error } of kb) {
    if (!r) {
      lines.push(`| ${dataset} | failed: ${error ?? '?'} |||||||||||||||`);
      continue;
    }
    lines.push(
      `| ${dataset} | ${r.entries} | ${r.questions} | ${fmt(r.right)} | ${fmt(r.wrong)} | ${fmt(r.didYouMeanHit)} | ${fmt(r.didYouMeanMiss)} | ${fmt(r.fallback)} | ${fmt(r.builtin)} | ${fmt(r.oosNotAnswered)} | ${fmt(r.baselineTop1)} | ${fmt(r.baselineTop3)} | ${r.publishSeconds.toFixed(1)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${kbFloorCell(dataset, r)} |`,
    );
  }
  lines.push('', '```sh');
  for (const { args } of kb) lines.push(`npm run --silent kb:eval -- ${args.join(' ')}`);
  lines.push('```', '', '```json');
  for (const { report } of kb) if (report) lines.push(JSON.stringify(report));
  lines.push('```', '');
  return lines;
}

export function renderMarkdown(results: JobResult[], started: Date, kb: KbResult[] = []): string {
  const cpus = os.cpus();
  const lines: string[] = [];
  lines.push('# NLU benchmarks', '');
  lines.push(
    'Generated by `npm run bench:nlu` (nlu/eval/bench-nlu.ts): every data set in `../shared/datasets`, each run',
    'in its own process through `npm run nlu:eval` (specs/nlu-eval.md). Trained on the train split only;',
    'kefu calibrates its confidence and out-of-scope threshold on the dev split when the folder has one,',
    'otherwise on a stratified 20% slice of train. Nothing is tuned on a test file.',
    '',
  );
  lines.push('## Machine', '');
  lines.push(`- CPU: ${cpus[0]?.model ?? 'unknown'}, ${cpus.length} cores (runs are single-threaded)`);
  lines.push(`- RAM: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`);
  lines.push(`- Node ${process.version}, ${os.type()} ${os.release()} ${os.arch()}`);
  lines.push(`- Run started ${started.toISOString()}`, '');
  lines.push('## Results', '');
  lines.push(
    '| data set | engine | n | intents | accuracy | in-scope acc. | OOS recall | OOS precision | macro-F1 | train s | p50 ms | p99 ms | peak RSS MB | model MB | floor |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const { job, report: r, modelMb, error } of results) {
    if (!r) {
      lines.push(`| ${job.dataset} | ${job.engine} | failed: ${error ?? '?'} ||||||||||||||`);
      continue;
    }
    lines.push(
      `| ${job.dataset} | ${r.engine} | ${r.n} | ${r.intents} | ${fmt(r.accuracy)} | ${fmt(r.inScopeAccuracy)} | ${fmt(r.oosRecall)} | ${fmt(r.oosPrecision)} | ${fmt(r.macroF1)} | ${r.trainSeconds.toFixed(1)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${r.peakRssMb} | ${modelMb === undefined ? '–' : modelMb.toFixed(1)} | ${floorCell(job.dataset, r)} |`,
    );
  }
  lines.push(...renderKb(kb));
  lines.push(
    '',
    'Latencies are per utterance through the whole bot parse (normalisation, language, entities, sentiment,',
    'intent), single-threaded, after a 200-utterance warm-up. "model MB" is the stored JSON artifact.',
  );
  lines.push('');
  const notes = [
    ...new Set(results.filter((r) => r.job.note).map((r) => `- ${r.job.dataset}: ${r.job.note}.`)),
  ];
  if (notes.length > 0) lines.push('Notes:', '', ...notes, '');
  lines.push('## Commands', '', '```sh');
  for (const { job } of results) lines.push(`npm run --silent nlu:eval -- ${job.args.join(' ')}`);
  lines.push('```', '');
  lines.push('## Raw result lines', '', '```json');
  for (const { report } of results) if (report) lines.push(JSON.stringify(report));
  lines.push('```', '');
  lines.push(
    '## How kefu decides "out of scope"',
    '',
    'One rule for every data set: the confidence is the calibrated probability of the best intent',
    '(temperature-scaled linear SVM and MLP, mixed and re-tempered on held-out data). The threshold is',
    'the highest confidence whose expected accuracy cost on held-out in-scope rows (the sum of the',
    'calibrated confidences of the rows it would reject) stays within 0.25% of those rows. An `oos`',
    'class in the training data is learned as a class as well; whatever wins as `oos` or falls under',
    'the threshold is out of scope. Design, experiment log and limits: nlu/classifier/README.md.',
    '',
  );
  return lines.join('\n');
}

/** Written through prettier so that `npm run lint` (prettier --check) stays clean. */
async function writeMarkdown(markdown: string): Promise<void> {
  // Loaded lazily: prettier is a dev tool and only the bench command needs it.
  const { format, resolveConfig } = await import('prettier');
  const options = (await resolveConfig(OUT)) ?? {};
  writeFileSync(OUT, await format(markdown, { ...options, parser: 'markdown' }));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { only: { type: 'string' }, engines: { type: 'string', default: 'kefu,nlpjs' } },
  });
  const engines = (values.engines ?? 'kefu,nlpjs')
    .split(',')
    .filter((e): e is EngineName => e === 'kefu' || e === 'nlpjs');
  const only = values.only?.split(',');
  const jobs = planJobs(DATASETS, engines, only);
  const started = new Date();
  const results: JobResult[] = [];
  mkdirSync(path.dirname(OUT), { recursive: true });
  // One run at a time: the numbers are single-threaded latencies and per-run memory.
  for (const job of jobs) {
    process.stderr.write(`bench: ${job.dataset} / ${job.engine}\n`);
    try {
      const { report, modelMb } = await runJob(job);
      results.push({ job, report, modelMb });
      process.stdout.write(`${JSON.stringify(report)}\n`);
    } catch (err) {
      results.push({ job, error: (err as Error).message });
      process.stderr.write(`bench: ${(err as Error).message}\n`);
    }
    await writeMarkdown(renderMarkdown(results, started));
  }
  const kb: KbResult[] = [];
  for (const job of planKbJobs(FAQ_SETS).filter(() => !only || only.includes('faq_fewshot'))) {
    process.stderr.write(`bench: faq_fewshot/${job.dataset} / kb:eval\n`);
    try {
      const last = await runChild(KB_EVAL_SCRIPT, [...job.args, '--json'], `faq_fewshot/${job.dataset}`);
      const report = JSON.parse(last) as KbEvalReport;
      kb.push({ ...job, report });
      process.stdout.write(`${JSON.stringify(report)}\n`);
    } catch (err) {
      kb.push({ ...job, error: (err as Error).message });
    }
    await writeMarkdown(renderMarkdown(results, started, kb));
  }
  process.stderr.write(`bench: wrote ${path.relative(REPO_ROOT, OUT)}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}

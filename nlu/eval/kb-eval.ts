import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { decideKnowledge, knowledgeOutranks } from '../../bot/knowledge';
import { BEGIN_CONFIDENCE } from '../../bot/router';
import type { KnowledgeEntry } from '../../bot/store/knowledge.repo';
import type { IntentModelArtifact } from '../classifier/intent-classifier';
import {
  FAQ_INTENT,
  builtinIntentsKey,
  loadShopModel,
  trainBuiltinIntents,
  trainShopModel,
} from '../shop-model';
import { readJsonlRows } from './dataset';
import { percentile } from './metrics';
import { TfidfBaseline } from './tfidf-baseline';

/**
 * `npm run kb:eval -- --knowledge k.jsonl --test t.jsonl`: a shop's knowledge measured as customers
 * meet it. The entries are published with the bot's own trainShopModel (built-in intents included),
 * and every question is parsed and decided as the dialogue manager does for a new anonymous
 * customer: a built-in task intent may take it (bot/knowledge.ts knowledgeOutranks), else the
 * match is answered, offered as "did you mean", or not answered. File format:
 * ../shared/datasets/faq_fewshot/README.md.
 */

const knowledgeRow = z.object({
  id: z.string().min(1),
  locale: z.string().min(2),
  question: z.string().min(1),
  similar: z.array(z.string()).default([]),
  answer: z.string().min(1),
});
const testRow = z.object({ text: z.string(), entryId: z.string().nullable() });

export interface KbEvalReport {
  knowledge: string;
  test: string;
  entries: number;
  questions: number;
  outOfScope: number;
  /** In-scope questions answered directly with the right entry. */
  right: number;
  /** In-scope questions answered directly with another entry. */
  wrong: number;
  /** In-scope questions offered "did you mean" with the right entry among the offers. */
  didYouMeanHit: number;
  didYouMeanMiss: number;
  /** In-scope questions the bot admitted not knowing. */
  fallback: number;
  /** In-scope questions a built-in task intent took (order query, refund...). */
  builtin: number;
  /** Out-of-scope questions neither answered with an entry nor taken by a task intent; null without any. */
  oosNotAnswered: number | null;
  baselineTop1: number;
  baselineTop3: number;
  publishSeconds: number;
  p50Ms: number;
  p99Ms: number;
}

const USAGE = 'usage: kb-eval --knowledge <knowledge.jsonl> --test <test.jsonl>';
const round = (v: number, digits = 3): number => Math.round(v * 10 ** digits) / 10 ** digits;

/** The built-in intents are the same for every shop: trained once per machine and kept in the temp dir. */
async function builtinIntents(log: (msg: string) => void): Promise<IntentModelArtifact> {
  const dir = path.join(os.tmpdir(), 'kefu-builtin-intents');
  const file = path.join(dir, `${builtinIntentsKey().replace(/[^\w-]/g, '_')}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as IntentModelArtifact;
  log('training the built-in intents (once per machine)');
  const trained = await trainBuiltinIntents(null);
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, JSON.stringify(trained));
  return trained;
}

export async function runKbEval(
  args: { knowledge: string; test: string },
  log: (msg: string) => void,
): Promise<KbEvalReport> {
  const entries: KnowledgeEntry[] = readJsonlRows(args.knowledge, knowledgeRow);
  const test = readJsonlRows(args.test, testRow);
  const locales = [...new Set(entries.map((e) => e.locale))];
  const started = performance.now();
  const artifact = await trainShopModel({
    shopId: 'kb-eval',
    locales,
    knowledge: entries,
    baseIntents: await builtinIntents(log),
  });
  const publishSeconds = (performance.now() - started) / 1000;
  const model = loadShopModel(JSON.parse(JSON.stringify(artifact)));
  const locale = locales[0] ?? 'zh-CN';
  const baseline = new TfidfBaseline(
    entries.flatMap((e) => [e.question, ...e.similar].map((text) => ({ label: e.id, text }))),
  );

  const counts = { right: 0, wrong: 0, dymHit: 0, dymMiss: 0, fallback: 0, builtin: 0 };
  let inScope = 0;
  let oos = 0;
  let oosNotAnswered = 0;
  let top1 = 0;
  let top3 = 0;
  const latencies: number[] = [];
  for (const [i, row] of test.entries()) {
    const t0 = performance.now();
    const nlu = await model.parse({ text: row.text, locale });
    const taken =
      nlu.intent !== null &&
      nlu.intent !== FAQ_INTENT &&
      nlu.confidence >= BEGIN_CONFIDENCE &&
      !knowledgeOutranks(nlu, nlu.intent, undefined);
    const decision = taken ? undefined : decideKnowledge(nlu.knowledge);
    latencies.push(performance.now() - t0);

    if (row.entryId === null) {
      oos++;
      if (!taken && decision?.kind !== 'answer') oosNotAnswered++;
      continue;
    }
    inScope++;
    const ranked = baseline.rank(row.text, 3);
    if (ranked[0] === row.entryId) top1++;
    if (ranked.includes(row.entryId)) top3++;
    if (!decision) counts.builtin++;
    else if (decision.kind === 'answer') counts[decision.match.id === row.entryId ? 'right' : 'wrong']++;
    else if (decision.kind === 'suggest')
      counts[decision.matches.some((m) => m.id === row.entryId) ? 'dymHit' : 'dymMiss']++;
    else counts.fallback++;
    if ((i + 1) % 1000 === 0) log(`asked ${i + 1}/${test.length}`);
  }
  const rate = (n: number) => round(n / Math.max(1, inScope));
  return {
    knowledge: args.knowledge,
    test: args.test,
    entries: entries.length,
    questions: test.length,
    outOfScope: oos,
    right: rate(counts.right),
    wrong: rate(counts.wrong),
    didYouMeanHit: rate(counts.dymHit),
    didYouMeanMiss: rate(counts.dymMiss),
    fallback: rate(counts.fallback),
    builtin: rate(counts.builtin),
    oosNotAnswered: oos ? round(oosNotAnswered / oos) : null,
    baselineTop1: rate(top1),
    baselineTop3: rate(top3),
    publishSeconds: round(publishSeconds, 1),
    p50Ms: round(percentile(latencies, 50), 2),
    p99Ms: round(percentile(latencies, 99), 2),
  };
}

export function formatKbReport(r: KbEvalReport): string {
  const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(1)}%`);
  return [
    `${r.knowledge}: ${r.entries} entries, ${r.questions} questions (${r.outOfScope} out of scope)`,
    `  kefu      right ${pct(r.right)}  wrong ${pct(r.wrong)}  did-you-mean hit ${pct(r.didYouMeanHit)} ` +
      `miss ${pct(r.didYouMeanMiss)}  fallback ${pct(r.fallback)}  built-in ${pct(r.builtin)}  ` +
      `out-of-scope not answered ${pct(r.oosNotAnswered)}`,
    `  baseline  TF-IDF char 1–3-grams, nearest sentence: top-1 ${pct(r.baselineTop1)}  top-3 ${pct(r.baselineTop3)} ` +
      `(answers everything: out-of-scope not answered 0%)`,
    `  publish ${r.publishSeconds} s; match p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { knowledge: { type: 'string' }, test: { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  if (!values.knowledge || !values.test) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  const report = await runKbEval({ knowledge: values.knowledge, test: values.test }, (msg) =>
    process.stderr.write(`[kb:eval] ${msg}\n`),
  );
  process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : `${formatKbReport(report)}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}

import type { KnowledgeMatch } from '../nlu';

export interface Suggestion {
  text: string;
  source: 'knowledge' | 'agent';
  score: number;
}

/** Past agent answers below this similarity to the current question are not worth showing. */
const MIN_AGENT_SIMILARITY = 0.3;
const MIN_KNOWLEDGE_SCORE = 0.15;

/**
 * 蜂槽: replies an agent may send for the customer's question — the shop's knowledge (the NLU's
 * calibrated match score) and what agents answered to similar questions before (similarity of
 * the questions, boosted a little when several agents gave the same answer) — ranked, deduplicated.
 */
export function rankSuggestions(input: {
  question: string;
  knowledge: KnowledgeMatch[];
  pastAnswers: { question: string; answer: string }[];
  limit?: number;
}): Suggestion[] {
  const byText = new Map<string, Suggestion>();
  const add = (s: Suggestion) => {
    const key = s.text.trim();
    const seen = byText.get(key);
    if (!seen || seen.score < s.score) byText.set(key, { ...s, text: key });
  };
  for (const k of input.knowledge) {
    if (k.score >= MIN_KNOWLEDGE_SCORE) add({ text: k.answer, source: 'knowledge', score: round(k.score) });
  }
  const votes = new Map<string, { best: number; count: number }>();
  for (const past of input.pastAnswers) {
    const sim = similarity(input.question, past.question);
    if (sim < MIN_AGENT_SIMILARITY) continue;
    const key = past.answer.trim();
    const v = votes.get(key) ?? { best: 0, count: 0 };
    votes.set(key, { best: Math.max(v.best, sim), count: v.count + 1 });
  }
  for (const [text, v] of votes) {
    add({ text, source: 'agent', score: round(Math.min(1, v.best * (1 + 0.05 * (v.count - 1)))) });
  }
  return [...byText.values()].sort((a, b) => b.score - a.score).slice(0, input.limit ?? 5);
}

/** Cosine similarity of character bigrams (Chinese) and words (other scripts), 0–1. */
export function similarity(a: string, b: string): number {
  const va = features(a);
  const vb = features(b);
  let dot = 0;
  for (const [k, n] of va) dot += n * (vb.get(k) ?? 0);
  const norm = (v: Map<string, number>) => Math.sqrt([...v.values()].reduce((s, n) => s + n * n, 0));
  const d = norm(va) * norm(vb);
  return d === 0 ? 0 : dot / d;
}

function features(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const bump = (k: string) => out.set(k, (out.get(k) ?? 0) + 1);
  const t = text.normalize('NFKC').toLowerCase();
  for (const run of t.match(/[\u4e00-\u9fff]+/g) ?? []) {
    if (run.length === 1) bump(run);
    for (let i = 0; i + 1 < run.length; i++) bump(run.slice(i, i + 2));
  }
  for (const word of t.match(/[a-z0-9]+/g) ?? []) if (word.length > 1) bump(word);
  return out;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

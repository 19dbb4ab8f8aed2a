import type { KnowledgeMatch } from '../../bot/nlu';
import type { KnowledgeEntry } from '../../bot/store/knowledge.repo';
import { builtinTrainingData } from '../builtin/builtin-data';
import type { IntentClassifier } from '../classifier/intent-classifier';
import { normalize } from '../normalize';
import { Bm25Index, retrievalTerms } from './bm25';

/** The entry classifier's label for an entry. */
export const entryLabel = (id: string): string => `faq:${id}`;

let background: string[][] | undefined;

/**
 * Document frequencies of everyday customer language, so a shop's few entries do not make "how" rare
 * (also the background of the unanswered-question clustering, nlu/knowledge/cluster.ts).
 */
export function backgroundTerms(): string[][] {
  background ??= builtinTrainingData().map((x) => retrievalTerms(normalize(x.text)));
  return background;
}

/**
 * This much lexical coverage counts as certain: a real paraphrase rarely shares more than half its
 * terms. Chosen with `npm run kb:eval` on the faq_fewshot sets (one constant for all languages).
 */
const LEXICAL_FULL = 0.75;

const CLASSIFIER_FULL_AT = 20;

/** A fingerprint of what an entry says: the classifier's knowledge of an entry is void once it changes. */
export function entryFingerprint(e: KnowledgeEntry): string {
  return JSON.stringify([e.locale, e.question, e.similar]);
}

/**
 * The one path from a customer's question to a shop's entries. Lexical: BM25 over each phrasing and
 * over each entry's phrasings pooled (few examples per entry: the pool has the entry's whole
 * vocabulary). Learned: when the shop has published, the entry classifier's probability for the
 * entries it was trained on, fused half and half. An entry saved after the last publish is matched
 * lexically at once; the classifier catches up at the next publish.
 */
export class KnowledgeMatcher {
  private readonly entries = new Map<string, KnowledgeEntry>();
  private readonly phrasings?: Bm25Index;
  private readonly pooled?: Bm25Index;
  /** Entries the classifier knows as they are now (their content unchanged since it was trained). */
  private readonly learned = new Set<string>();

  constructor(
    entries: readonly KnowledgeEntry[],
    private readonly classifier?: IntentClassifier,
    /** Entries (by id) whose content the classifier was trained on, with that content's fingerprint. */
    private readonly trained: ReadonlyMap<string, string> = new Map(),
  ) {
    if (entries.length === 0) return;
    const phrasingDocs = [];
    const pooledDocs = [];
    for (const e of entries) {
      this.entries.set(e.id, e);
      if (trained.get(e.id) === entryFingerprint(e)) this.learned.add(e.id);
      const perPhrasing = [e.question, ...e.similar].map((text) => retrievalTerms(normalize(text)));
      for (const terms of perPhrasing) phrasingDocs.push({ label: e.id, terms });
      pooledDocs.push({ label: e.id, terms: perPhrasing.flat() });
    }
    this.phrasings = new Bm25Index(phrasingDocs, backgroundTerms());
    this.pooled = new Bm25Index(pooledDocs, backgroundTerms());
  }

  /**
   * How much the classifier counts: half, once the shop has enough entries for it to learn from
   * (CLASSIFIER_FULL_AT); with a handful it mostly sees the out-of-scope examples, so it counts less.
   */
  private get learnedWeight(): number {
    return 0.5 * Math.min(1, this.trained.size / CLASSIFIER_FULL_AT);
  }

  /** Entries in the customer's language, best first; `score` is 0–1 (bot/knowledge.ts decides on it). */
  match(text: string, locale: string, limit = 5): KnowledgeMatch[] {
    if (!this.phrasings || !this.pooled) return [];
    const terms = retrievalTerms(normalize(text));
    const coverage = new Map<string, number>();
    for (const r of this.phrasings.search(terms, 20)) coverage.set(r.label, 0.5 * r.score);
    for (const r of this.pooled.search(terms, 20))
      coverage.set(r.label, (coverage.get(r.label) ?? 0) + 0.5 * r.score);

    const probs = new Map<string, number>();
    if (this.classifier) {
      for (const r of this.classifier.predict(text).ranking) {
        if (!r.intent.startsWith(entryLabel(''))) continue;
        const id = r.intent.slice(entryLabel('').length);
        if (this.learned.has(id)) probs.set(id, r.confidence);
      }
    }
    const lang = locale.slice(0, 2);
    const matches: KnowledgeMatch[] = [];
    for (const id of new Set([...coverage.keys(), ...probs.keys()])) {
      const entry = this.entries.get(id)!;
      if (entry.locale.slice(0, 2) !== lang) continue;
      const lex = coverage.get(id) ?? 0;
      const lexical = Math.min(1, lex / LEXICAL_FULL);
      const score = this.learned.has(id)
        ? (1 - this.learnedWeight) * lexical + this.learnedWeight * (probs.get(id) ?? 0)
        : lexical;
      if (score > 0.05) matches.push({ id, question: entry.question, answer: entry.answer, score });
    }
    return matches.sort((a, b) => b.score - a.score).slice(0, limit);
  }
}

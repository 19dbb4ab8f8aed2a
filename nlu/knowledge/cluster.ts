import { normalize } from '../normalize';
import { Bm25Index, retrievalTerms } from './bm25';
import { backgroundTerms } from './matcher';

/**
 * The unanswered questions of a shop grouped by similarity (九点电台), in the knowledge matcher's own
 * representation: the same retrieval terms (words through the synonym lexicon, characters,
 * character bigrams and trigrams) and the same BM25 weighting against the same background corpus.
 * So two questions land together when the matcher would find one from the other — and once the
 * merchant adds one as an entry (or a similar question), the matcher answers the whole cluster.
 */

export interface ClusterInput<R extends string> {
  text: string;
  reason: R;
  locale?: string | null;
}

export interface QuestionCluster<R extends string> {
  /** The most frequent phrasing (the newest among equals). */
  text: string;
  locale?: string;
  count: number;
  /** Up to MAX_EXAMPLES distinct phrasings, most frequent first (the representative first). */
  examples: string[];
  reasons: Record<R, number>;
}

/**
 * Two phrasings join when, on average both ways, each covers at least this share of the other
 * (the matcher's 0–1 score). Looser than "did you mean" (0.3 one way): the cluster is for a person
 * to read, and a stray member costs less than a topic split in two.
 */
export const CLUSTER_SIMILARITY = 0.35;
export const MAX_EXAMPLES = 5;
/** Neighbours looked at per phrasing: enough for any real cluster's leader. */
const NEIGHBOURS = 50;

/**
 * Greedy leader clustering over the distinct phrasings: the most frequent unassigned phrasing
 * leads a cluster and takes every unassigned phrasing similar enough to it. A member must be close
 * to the leader (not merely to another member), so clusters do not drift along a chain.
 * Clusters come back largest first; `reasons` counts every input under its reason.
 */
export function clusterQuestions<R extends string>(
  items: readonly ClusterInput<R>[],
  reasons: readonly R[],
  threshold = CLUSTER_SIMILARITY,
): QuestionCluster<R>[] {
  // Distinct by the matcher's terms: 能开发票吗 and 能開發票嗎？ are one phrasing (shown as first given).
  const phrasings: {
    key: string;
    text: string;
    locale?: string;
    items: ClusterInput<R>[];
    terms: string[];
  }[] = [];
  const byKey = new Map<string, (typeof phrasings)[number]>();
  for (const item of items) {
    const terms = retrievalTerms(normalize(item.text));
    if (terms.length === 0) continue;
    const key = terms.join(' ');
    let p = byKey.get(key);
    if (!p) {
      p = { key, text: item.text.trim(), locale: item.locale ?? undefined, items: [], terms };
      byKey.set(key, p);
      phrasings.push(p);
    }
    p.items.push(item);
  }
  if (phrasings.length === 0) return [];

  const index = new Bm25Index(
    phrasings.map((p, i) => ({ label: String(i), terms: p.terms })),
    backgroundTerms(),
  );
  // One way: how much of phrasing i phrasing j covers.
  const covers = phrasings.map(
    (p) => new Map(index.search(p.terms, NEIGHBOURS).map((r) => [Number(r.label), r.score])),
  );
  const similarity = (i: number, j: number) => ((covers[i]!.get(j) ?? 0) + (covers[j]!.get(i) ?? 0)) / 2;

  // Most frequent first; among equals, the order given (the caller gives newest first).
  const order = phrasings
    .map((_, i) => i)
    .sort((a, b) => phrasings[b]!.items.length - phrasings[a]!.items.length);
  const rank = new Map(order.map((p, r) => [p, r]));
  const assigned = new Set<number>();
  const clusters: QuestionCluster<R>[] = [];
  for (const leader of order) {
    if (assigned.has(leader)) continue;
    assigned.add(leader);
    const members = [leader];
    for (const candidate of covers[leader]!.keys()) {
      if (assigned.has(candidate) || similarity(leader, candidate) < threshold) continue;
      assigned.add(candidate);
      members.push(candidate);
    }
    members.sort(
      (a, b) => phrasings[b]!.items.length - phrasings[a]!.items.length || rank.get(a)! - rank.get(b)!,
    );
    const counted = Object.fromEntries(reasons.map((r) => [r, 0])) as Record<R, number>;
    let count = 0;
    for (const m of members) {
      for (const item of phrasings[m]!.items) {
        counted[item.reason] = (counted[item.reason] ?? 0) + 1;
        count++;
      }
    }
    const head = phrasings[leader]!;
    clusters.push({
      text: head.text,
      ...(head.locale ? { locale: head.locale } : {}),
      count,
      examples: members.slice(0, MAX_EXAMPLES).map((m) => phrasings[m]!.text),
      reasons: counted,
    });
  }
  return clusters.sort((a, b) => b.count - a.count);
}

import type { QuickReply } from '../bot/activity';
import type { KnowledgeEntry } from '../bot/store/knowledge.repo';

/** Where skills read a shop's knowledge entries (the store's knowledge repository in production). */
export interface KnowledgeSource {
  list(shopId: string): Promise<KnowledgeEntry[]>;
}

export const FAQ_POSTBACK = 'faq';

export function faqQuickReply(entry: Pick<KnowledgeEntry, 'id' | 'question'>): QuickReply {
  return { title: entry.question.slice(0, 80), payload: `${FAQ_POSTBACK}:${entry.id}` };
}

/** A few of the shop's questions in the customer's language, offered as quick replies. */
export async function suggestedQuestions(
  source: KnowledgeSource,
  shopId: string,
  locale: string,
  limit = 3,
): Promise<QuickReply[]> {
  const entries = await source.list(shopId);
  const lang = locale.slice(0, 2);
  return entries
    .filter((e) => e.locale.slice(0, 2) === lang)
    .slice(0, limit)
    .map(faqQuickReply);
}

import { loadCatalog } from '../../bot/i18n';
import { decideKnowledge } from '../../bot/knowledge';
import type { Skill } from '../../bot/skill';
import { FAQ_POSTBACK, type KnowledgeSource, faqQuickReply, suggestedQuestions } from '../knowledge-source';

/**
 * The shop's own knowledge (FAQ): answer when sure, "did you mean" with the closest three when
 * unsure, and an honest fallback otherwise (bot/knowledge.ts decides). Registered as the fallback
 * skill: anything unrecognised ends up here.
 */
export function createShopKnowledgeSkill(deps: { knowledge: KnowledgeSource }): Skill {
  return {
    id: 'shop-knowledge',
    intents: ['faq'],
    postbacks: [FAQ_POSTBACK],
    messages: loadCatalog(__dirname),
    async begin(turn) {
      if (turn.payload?.startsWith(`${FAQ_POSTBACK}:`)) {
        const id = turn.payload.slice(FAQ_POSTBACK.length + 1);
        const entry = (await deps.knowledge.list(turn.shop.id)).find((e) => e.id === id);
        turn.reply({ text: entry ? entry.answer : turn.t('entry-gone') });
        return { status: 'done' };
      }
      const decision = decideKnowledge(turn.nlu.knowledge);
      if (decision.kind === 'answer') {
        turn.reply({ text: decision.match.answer });
        return { status: 'done' };
      }
      if (decision.kind === 'suggest') {
        turn.reply({ text: turn.t('did-you-mean'), quickReplies: decision.matches.map(faqQuickReply) });
        return { status: 'done', unresolved: true };
      }
      const quickReplies = await suggestedQuestions(deps.knowledge, turn.shop.id, turn.locale);
      turn.reply(
        quickReplies.length
          ? { text: turn.t('not-found'), quickReplies }
          : { text: turn.t('not-found.no-suggestions') },
      );
      return { status: 'done', unresolved: true };
    },
  };
}

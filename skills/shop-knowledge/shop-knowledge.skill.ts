import { loadCatalog } from '../../bot/i18n';
import type { Skill } from '../../bot/skill';
import { FAQ_POSTBACK, type KnowledgeSource, faqQuickReply, suggestedQuestions } from '../knowledge-source';

/** At or above this (calibrated, fused) score the best match is the answer. */
export const ANSWER_SCORE = 0.45;
/** Between this and ANSWER_SCORE the bot offers the closest questions instead of guessing. */
export const SUGGEST_SCORE = 0.3;

/**
 * The shop's own knowledge (FAQ): answer when sure, "did you mean" when close, and an honest
 * fallback otherwise. Registered as the fallback skill: anything unrecognised ends up here.
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
      const [best, ...rest] = turn.nlu.knowledge;
      if (best && best.score >= ANSWER_SCORE) {
        turn.reply({ text: best.answer });
        return { status: 'done' };
      }
      const close = [best, ...rest].filter((m) => m && m.score >= SUGGEST_SCORE).slice(0, 3);
      if (close.length > 0) {
        turn.reply({ text: turn.t('did-you-mean'), quickReplies: close.map((m) => faqQuickReply(m!)) });
        return { status: 'done' };
      }
      const quickReplies = await suggestedQuestions(deps.knowledge, turn.shop.id, turn.locale);
      turn.reply(
        quickReplies.length
          ? { text: turn.t('not-found'), quickReplies }
          : { text: turn.t('not-found.no-suggestions') },
      );
      return { status: 'done' };
    },
  };
}

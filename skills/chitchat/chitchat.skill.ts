import { loadCatalog } from '../../bot/i18n';
import type { Skill } from '../../bot/skill';
import { type KnowledgeSource, suggestedQuestions } from '../knowledge-source';

/** Greetings, thanks and goodbyes: short, polite, in the customer's language. */
export function createChitchatSkill(deps: { knowledge: KnowledgeSource }): Skill {
  return {
    id: 'chitchat',
    intents: ['common.greet', 'common.thanks', 'common.bye'],
    messages: loadCatalog(__dirname),
    async begin(turn) {
      switch (turn.nlu.intent) {
        case 'common.thanks':
          turn.reply({ text: turn.t('thanks') });
          break;
        case 'common.bye':
          turn.reply({ text: turn.t('bye') });
          break;
        default: {
          const profile = turn.settings.profile as
            { name?: string; greeting?: Record<string, string> } | undefined;
          const greeting = profile?.greeting?.[turn.locale];
          const quickReplies = await suggestedQuestions(deps.knowledge, turn.shop.id, turn.locale);
          turn.reply({
            text: greeting ?? turn.t('greet', { shopName: profile?.name ?? turn.shop.name }),
            ...(quickReplies.length ? { quickReplies } : {}),
          });
        }
      }
      return { status: 'done' };
    },
  };
}

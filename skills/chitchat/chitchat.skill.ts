import { loadCatalog } from '../../bot/i18n';
import type { Skill } from '../../bot/skill';
import { proactiveSuggestions } from '../order-query/proactive';
import type { SkillDeps } from '../skill-deps';
import { suggestedQuestions } from '../knowledge-source';

/**
 * Greetings, thanks, goodbyes, "who are you", and a bare yes/no with nothing to confirm: short,
 * polite, in the customer's language.
 */
export function createChitchatSkill(deps: SkillDeps): Skill {
  return {
    id: 'chitchat',
    intents: [
      'common.greet',
      'common.thanks',
      'common.bye',
      'chitchat.identity',
      'common.affirm',
      'common.deny',
    ],
    messages: loadCatalog(__dirname),
    async begin(turn) {
      const profile = turn.settings.profile;
      const shopName = profile?.name ?? turn.shop.name;
      switch (turn.nlu.intent) {
        case 'chitchat.identity':
          turn.reply({ text: turn.t('identity', { shopName }) });
          break;
        case 'common.affirm':
        case 'common.deny':
          turn.reply({ text: turn.t('ack') });
          break;
        case 'common.thanks':
          turn.reply({ text: turn.t('thanks') });
          break;
        case 'common.bye':
          turn.reply({ text: turn.t('bye') });
          break;
        default: {
          const greeting = profile?.greeting?.[turn.locale] ?? turn.t('greet', { shopName });
          // 猜你想问: a verified customer gets questions from their latest orders' state first.
          const backend = turn.user.verified ? deps.commerce(turn.shop.id, turn.settings) : undefined;
          const guessed =
            backend && (await proactiveSuggestions(backend, turn.user.id, turn.locale, turn.now));
          if (guessed) {
            turn.reply({ text: greeting });
            turn.reply(guessed);
            break;
          }
          const quickReplies = await suggestedQuestions(deps.knowledge, turn.shop.id, turn.locale);
          turn.reply({ text: greeting, ...(quickReplies.length ? { quickReplies } : {}) });
        }
      }
      return { status: 'done' };
    },
  };
}

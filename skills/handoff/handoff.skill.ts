import { loadCatalog } from '../../bot/i18n';
import type { Skill } from '../../bot/skill';

/** The customer asks for a person: the request is recorded and the conversation waits for an agent. */
export function createHandoffSkill(): Skill {
  return {
    id: 'handoff',
    intents: ['common.human'],
    messages: loadCatalog(__dirname),
    async begin(turn) {
      turn.reply({ text: turn.t('connecting') });
      return { status: 'handoff', reason: 'customer_request' };
    },
  };
}

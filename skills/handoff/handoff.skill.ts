import { loadCatalog } from '../../bot/i18n';
import { HUMAN_POSTBACK } from '../../bot/router';
import type { Skill } from '../../bot/skill';

const ESCALATION = new RegExp(`^${HUMAN_POSTBACK}:(refund_dispute|backend_failure)$`);

/** The customer asks for a person: the request is recorded and the conversation waits for an agent. */
export function createHandoffSkill(): Skill {
  return {
    id: 'handoff',
    intents: ['common.human'],
    messages: loadCatalog(__dirname),
    async begin(turn) {
      // A skill's "转人工" button names why (`dialogue:human:refund_dispute`); typed requests are the customer's.
      const reason = ESCALATION.exec(turn.payload ?? '')?.[1] ?? 'customer_request';
      turn.reply({ text: turn.t(reason === 'refund_dispute' ? 'connecting.dispute' : 'connecting') });
      return { status: 'handoff', reason };
    },
  };
}

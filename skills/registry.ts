import type { Skill } from '../bot/skill';
import type { ProactiveProvider } from '../bot/turn';
import { proactiveSuggestions } from './order-query/proactive';
import { createChitchatSkill } from './chitchat/chitchat.skill';
import { createHandoffSkill } from './handoff/handoff.skill';
import { createOrderQuerySkill } from './order-query/order-query.skill';
import { createRechargeSkill } from './recharge/recharge.skill';
import { createRefundSkill } from './refund/refund.skill';
import { createReturnAddressSkill } from './return-address/return-address.skill';
import { createShopKnowledgeSkill } from './shop-knowledge/shop-knowledge.skill';
import type { SkillDeps } from './skill-deps';
import { createTicketSkill } from './ticketing/ticketing.skill';

/** Every skill the platform ships, in one list; the shop-knowledge skill is the fallback. */
export const FALLBACK_SKILL = 'shop-knowledge';

export function createSkills(deps: SkillDeps): Skill[] {
  return [
    createChitchatSkill(deps),
    createShopKnowledgeSkill(deps),
    createHandoffSkill(),
    createOrderQuerySkill(deps),
    createReturnAddressSkill(deps),
    createRefundSkill(deps),
    createRechargeSkill(deps),
    createTicketSkill(deps),
  ];
}

/** 猜你想问 when a verified customer opens the chat: questions from their latest orders' state. */
export function createProactive(deps: Pick<SkillDeps, 'commerce'>): ProactiveProvider {
  return async ({ shop, settings, userId, locale, now }) => {
    const backend = deps.commerce(shop.id, settings);
    return backend ? proactiveSuggestions(backend, userId, locale, now) : undefined;
  };
}

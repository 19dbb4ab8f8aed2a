import type { Reply } from '../activity';
import type { Logger } from '../log';
import type { NluResult } from '../nlu';
import { CONTROL_CONFIDENCE, SWITCH_CONFIDENCE } from '../router';
import type { Shop, ShopSettings } from '../store/shops.repo';
import { withTimeout } from '../timeout';
import type { PolicyInput, TurnDraft, TurnPolicy } from '../turn-policy';
import type { HandoffService } from './handoff.service';
import { handoffPolicy } from './policy';
import { detectTrigger } from './triggers';

/**
 * The handoff rules of a turn, in the order they apply:
 * 1. assist mode — the bot's answer waits as a draft for an agent's approval;
 * 2. an agent holds the conversation — the bot says nothing, the message goes to the agent;
 * 3. the handoff rules — leave a message on a ticket, withdraw a waiting request, remind of the
 *    queue, or bring a person in (asked for, angry, VIP, or the bot not understanding).
 */
export function handoffTurnPolicies(deps: {
  handoffs: HandoffService;
  fallbackSkillId: string;
  log: Logger;
}): TurnPolicy[] {
  return [assistDrafts(deps.handoffs), agentHolds(), handoffRules(deps)];
}

function assistDrafts(handoffs: HandoffService): TurnPolicy {
  return {
    id: 'handoff.assist-drafts',
    async run(input, next) {
      const draft = await next();
      const { settings, shop, conversation, msg } = input;
      if (settings.mode !== 'assist' || draft.replies.length === 0 || draft.handoff?.status === 'assigned') {
        return draft;
      }
      // Assist mode: the bot drafts, an agent approves (or edits) before the customer sees anything.
      const created = await handoffs.createDraft(shop.id, conversation.id, msg.text ?? null, draft.replies);
      return { ...draft, replies: [], draftId: created.id };
    },
  };
}

function agentHolds(): TurnPolicy {
  return {
    id: 'handoff.agent-holds',
    async run(input, next) {
      const { open, previous, locale } = input;
      // While an agent owns the conversation the bot says nothing: the message goes to the agent.
      if (open?.status !== 'assigned') return next();
      return {
        replies: [],
        state: { ...previous, turns: previous.turns + 1, locale },
        outcome: 'agent',
        handoff: open,
      };
    },
  };
}

function handoffRules(deps: { handoffs: HandoffService; fallbackSkillId: string; log: Logger }): TurnPolicy {
  const { handoffs, fallbackSkillId, log } = deps;

  /** The customer's message, left on the ticket when nobody could take the handoff. */
  async function takeMessage(shopId: string, ticketId: string, text: string, locale: string): Promise<Reply> {
    const ticket = await handoffs.addTicketMessage(shopId, ticketId, text);
    return { text: handoffs.t(locale, 'ticket.taken', { ticketId: ticket?.id ?? ticketId }) };
  }

  /** A verified customer's trust tier, for routing VIPs straight to a person (2 s at most). */
  async function customerTier(
    shop: Shop,
    settings: ShopSettings,
    userId: string,
  ): Promise<number | undefined> {
    if (!handoffs.customers) return undefined;
    try {
      const profile = await withTimeout(handoffs.customers.profile({ shop, settings, userId }), 2000);
      return profile?.tier;
    } catch (err) {
      log.warn({ err, shopId: shop.id }, 'could not read the customer profile for VIP routing');
      return undefined;
    }
  }

  return {
    id: 'handoff.rules',
    async run(input, next): Promise<TurnDraft> {
      const { msg, shop, settings, conversation, locale, text, nlu, previous, open } = input;
      const policy = handoffPolicy(settings);
      const leavingMessage = !!previous.ticketId && !!text && !msg.payload;
      if (leavingMessage && !understood(nlu, policy.confidenceThreshold)) {
        // Nobody could take the handoff and the customer was asked to leave a message: this is it.
        return {
          replies: [await takeMessage(shop.id, previous.ticketId!, text, locale)],
          state: { ...previous, turns: previous.turns + 1, locale, ticketId: undefined },
          outcome: 'ticket',
          handoff: open,
        };
      }
      // A clear question while leaving a message is kept on the ticket and answered as well.
      const ticketReply = leavingMessage
        ? await takeMessage(shop.id, previous.ticketId!, text, locale)
        : undefined;
      const inner = await next();
      const routed = inner.routed;
      let replies = ticketReply ? [ticketReply, ...inner.replies] : inner.replies;
      const state = ticketReply ? { ...inner.state, ticketId: undefined } : inner.state;
      let handoff = inner.handoff;

      const lowConfidence =
        !msg.payload &&
        routed?.skill === fallbackSkillId &&
        (nlu.knowledge[0]?.score ?? 0) < policy.confidenceThreshold;
      state.lowConfidenceTurns = lowConfidence ? (previous.lowConfidenceTurns ?? 0) + 1 : 0;
      const trigger = routed
        ? detectTrigger({
            text,
            payload: msg.payload,
            nlu,
            outcome: routed.outcome,
            lowConfidenceTurns: state.lowConfidenceTurns,
            policy,
            newCustomerTier:
              !open && previous.turns === 0 && msg.verified && policy.vipMinTier !== undefined
                ? await customerTier(shop, settings, msg.userId)
                : undefined,
          })
        : undefined;
      const withdrawing =
        !msg.payload &&
        nlu.intent === 'common.cancel' &&
        nlu.confidence >= CONTROL_CONFIDENCE &&
        !previous.stack.length;

      if (open && withdrawing) {
        await handoffs.withdraw(open);
        handoff = undefined;
        state.ticketId = undefined;
        replies = [{ text: handoffs.t(locale, 'queue.withdrawn') }];
      } else if (open && trigger) {
        // Already waiting: asking again (or getting angry) gets the place in the queue, not a new request.
        replies = [await handoffs.queueReply(open, locale)];
        state.lowConfidenceTurns = 0;
      } else if (open && lowConfidence) {
        replies = [...replies, await handoffs.queueReply(open, locale)];
        state.lowConfidenceTurns = 0;
      } else if (trigger) {
        const requested = await handoffs.request({
          shop,
          settings,
          conversationId: conversation.id,
          userId: msg.userId,
          locale,
          trigger,
        });
        handoff = requested.handoff;
        // A skill that escalated has said why; otherwise the bot's own reply to this message is moot.
        const opening =
          routed?.outcome.status === 'handoff'
            ? replies
            : [{ text: handoffs.t(locale, CONNECTING[trigger.reason] ?? 'connecting') }];
        replies = [...opening, ...requested.replies];
        state.lowConfidenceTurns = 0;
        if (requested.ticket) state.ticketId = requested.ticket.id;
      }
      return { ...inner, replies, state, handoff };
    },

    async committed(input: PolicyInput, draft: TurnDraft, messages) {
      const { shop, settings, open } = input;
      if (!draft.handoff) return;
      // The agents follow every conversation that is waiting for them or that one of them serves.
      for (const message of messages) {
        await handoffs.publish(shop.id, { type: 'message', conversationId: input.conversation.id, message });
      }
      // A new request is routed once the turn is stored, so "客服已接入" follows the customer's words.
      if (!open && handoffPolicy(settings).autoAssign) {
        await handoffs
          .dispatchIfAuto(shop.id)
          .catch((err: unknown) => log.warn({ err }, 'auto-assign failed'));
      }
    },
  };
}

/** Clearly a question the bot can answer (a confident task intent or knowledge match). */
function understood(nlu: NluResult, confidenceThreshold: number): boolean {
  const confidentTask = !!nlu.intent && nlu.intent !== 'common.human' && nlu.confidence >= SWITCH_CONFIDENCE;
  return confidentTask || (nlu.knowledge[0]?.score ?? 0) >= confidenceThreshold;
}

/** The first words when the bot brings a person in on its own initiative. */
const CONNECTING: Record<string, string> = {
  negative_sentiment: 'connecting.upset',
  low_confidence: 'connecting.low-confidence',
  vip: 'connecting.vip',
};

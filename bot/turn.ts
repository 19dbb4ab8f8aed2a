import type { Logger } from 'pino';
import { MAX_TEXT_CODE_POINTS, type Reply, codePointLength } from './activity';
import { errors, isKefuError } from './errors';
import { type EventBus, topics } from './events';
import { type Catalog, loadCatalog, translate } from './i18n';
import { newId } from './ids';
import type { ConversationLock } from './lock/lock';
import type { Metrics } from './metrics';
import type { ModelRegistry } from './models';
import { type NluResult, type ParseContext, summarizeNlu } from './nlu';
import {
  CONTROL_CONFIDENCE,
  type RouteResult,
  type SkillRouter,
  SWITCH_CONFIDENCE,
  type TurnInput,
} from './router';
import type { HandoffService } from './handoff/handoff.service';
import { handoffPolicy } from './handoff/policy';
import { withTimeout } from './timeout';
import { detectTrigger } from './handoff/triggers';
import type { Handoff } from './store/handoffs.repo';
import type { ShopCache } from './shop-cache';
import { type DialogueState, initialDialogueState } from './skill';
import type { Conversation, NewMessage, StoredMessage } from './store/conversations.repo';
import type { Store } from './store/store';
import type { Shop, ShopSettings } from './store/shops.repo';

/** What the platform offers a verified customer who opens the chat (skills implement it). */
export type ProactiveProvider = (ctx: {
  shop: Shop;
  settings: ShopSettings;
  userId: string;
  locale: string;
  now: Date;
}) => Promise<Reply | undefined>;

/** A customer's message, already verified and parsed by its channel adapter. */
export interface InboundMessage {
  shopId: string;
  channel: string;
  userId: string;
  verified: boolean;
  text?: string;
  payload?: string;
  locale?: string;
  /** Channel message id or client retry id, scoped to the shop: the same key never runs twice. */
  dedupKey?: string;
}

export interface TurnResult {
  conversationId: string;
  /** The stored user message (for paging history with `after`). */
  userMessageId: string;
  replies: Reply[];
  nlu: ReturnType<typeof summarizeNlu> | null;
  handoff: 'none' | 'queued' | 'agent';
  /** Assist mode: the bot's answer waits as this draft for an agent's approval. */
  draftId?: string;
}

/** The event published on a conversation's topic for every stored message. */
export interface MessageEvent {
  type: 'message';
  conversationId: string;
  message: StoredMessage;
}

const IDLE_MS = 30 * 60 * 1000;

/** What the NLU needs from the shop's settings: its time zone (relative dates) and order id format. */
function parseContext(settings: Record<string, unknown>, now: Date): ParseContext {
  const hours = settings.businessHours as { timezone?: string } | undefined;
  const nlu = settings.nlu as { orderIdPattern?: string } | undefined;
  return {
    now,
    timeZone: hours?.timezone ?? 'Asia/Shanghai',
    orderIdPattern: nlu?.orderIdPattern,
  };
}
const VERSION_CONFLICT_RETRIES = 2;

/**
 * The turn, as DESIGN.md lists it: deduplicate, lock the conversation, load versioned state,
 * understand, decide, save with the expected version, record, deliver (publish).
 */
export class TurnPipeline {
  private readonly catalog: Catalog = loadCatalog(__dirname);
  private inFlight = 0;

  constructor(
    private readonly deps: {
      store: Store;
      lock: ConversationLock;
      models: ModelRegistry;
      router: SkillRouter;
      shops: ShopCache;
      events: EventBus;
      log: Logger;
      metrics: Metrics;
      idleMs?: number;
      clock?: () => Date;
      proactive?: ProactiveProvider;
      handoffs: HandoffService;
    },
  ) {}

  /**
   * A verified customer opens the chat: when the platform has something to offer first (猜你想问,
   * from their latest orders), the conversation starts with it. Returns whether it said anything.
   */
  async open(msg: {
    shopId: string;
    channel: string;
    userId: string;
    verified: boolean;
    locale?: string;
  }): Promise<boolean> {
    const { store, events } = this.deps;
    if (!msg.verified || !this.deps.proactive) return false;
    const cached = await this.deps.shops.get(msg.shopId);
    // In assist mode nothing reaches the customer unapproved, and an opening offer has no one to approve it.
    if (!cached || cached.settings.mode === 'assist') return false;
    const locale = msg.locale ?? cached.shop.locales[0] ?? 'zh-CN';
    const reply = await this.deps
      .proactive({
        shop: cached.shop,
        settings: cached.settings,
        userId: msg.userId,
        locale,
        now: this.deps.clock?.() ?? new Date(),
      })
      .catch(() => undefined);
    if (!reply) return false;
    const conversation = await store.conversations.resolveOpen({
      ...msg,
      idleMs: this.deps.idleMs ?? IDLE_MS,
    });
    await this.announceExpired(msg.shopId, conversation.expiredHandoffs);
    return this.deps.lock.run(`conv:${conversation.id}`, async () => {
      // Only a conversation that has not started yet gets the opening offer.
      if ((await store.conversations.recentMessages(msg.shopId, conversation.id, 1)).length > 0) return false;
      const message: StoredMessage = {
        id: newId('m'),
        role: 'bot',
        text: reply.text,
        ...(reply.quickReplies ? { quickReplies: reply.quickReplies } : {}),
        createdAt: new Date().toISOString(),
      };
      await store.conversations.appendMessages(msg.shopId, conversation.id, [message]);
      const event: MessageEvent = { type: 'message', conversationId: conversation.id, message };
      await events.publish(topics.conversation(msg.shopId, conversation.id), event).catch(() => undefined);
      return true;
    });
  }

  get turnsInFlight(): number {
    return this.inFlight;
  }

  async handle(msg: InboundMessage): Promise<TurnResult> {
    const { store, lock, log } = this.deps;
    if (!msg.text && !msg.payload)
      throw errors.badRequest('A message needs text or a payload.', 'EMPTY_MESSAGE');
    if (msg.text && codePointLength(msg.text) > MAX_TEXT_CODE_POINTS) {
      throw errors.tooLarge(`text is longer than ${MAX_TEXT_CODE_POINTS} characters`);
    }
    this.inFlight++;
    const started = performance.now();
    try {
      if (msg.dedupKey) {
        const earlier = await store.conversations.findTurnByDedupKey(msg.shopId, msg.dedupKey);
        if (earlier) return earlier as TurnResult;
      }
      const conversation = await store.conversations.resolveOpen({
        shopId: msg.shopId,
        userId: msg.userId,
        channel: msg.channel,
        verified: msg.verified,
        idleMs: this.deps.idleMs ?? IDLE_MS,
      });
      await this.announceExpired(msg.shopId, conversation.expiredHandoffs);
      return await lock.run(`conv:${conversation.id}`, async () => {
        // A retry that arrived while the first attempt held the lock finds its answer here.
        if (msg.dedupKey) {
          const earlier = await store.conversations.findTurnByDedupKey(msg.shopId, msg.dedupKey);
          if (earlier) return earlier as TurnResult;
        }
        for (let attempt = 0; ; attempt++) {
          try {
            return await this.runTurn(msg, conversation, started);
          } catch (err) {
            if (
              !(isKefuError(err) && err.code === 'STATE_VERSION_CONFLICT') ||
              attempt >= VERSION_CONFLICT_RETRIES
            ) {
              throw err;
            }
            this.deps.metrics.stateConflicts.inc();
            log.warn({ conversationId: conversation.id }, 'state version conflict; re-running the turn');
          }
        }
      });
    } finally {
      this.inFlight--;
    }
  }

  private async runTurn(
    msg: InboundMessage,
    conversation: Awaited<ReturnType<Store['conversations']['resolveOpen']>>,
    started: number,
  ): Promise<TurnResult> {
    const { store, models, log, metrics, handoffs } = this.deps;
    const cached = await this.deps.shops.get(msg.shopId);
    if (!cached) throw errors.notFound('Shop');
    const { shop, settings } = cached;
    const [loaded, model, open] = await Promise.all([
      store.conversations.loadState<DialogueState>(conversation.id),
      models.get(shop.id),
      store.handoffs.findOpen(shop.id, conversation.id),
    ]);
    const previous = { ...initialDialogueState(), ...(loaded?.state ?? {}) };
    const expectedVersion = loaded?.version ?? 0;

    const text = msg.text ?? '';
    const now = this.deps.clock?.() ?? new Date();
    // Understood even when an agent answers: the agent sees the intent, entities and mood per turn.
    const nlu = await model.parse({
      text,
      locale: msg.locale ?? previous.locale,
      context: { ...parseContext(settings, now), expect: previous.stack?.at(-1)?.expect },
    });
    const locale = msg.locale ?? nlu.locale;

    // While an agent owns the conversation the bot says nothing: the message goes to the agent.
    const decided =
      open?.status === 'assigned'
        ? {
            replies: [],
            state: { ...previous, turns: previous.turns + 1, locale },
            outcome: 'agent',
            handoff: open,
          }
        : await this.decide({ msg, shop, settings, conversation, locale, text, nlu, now, previous, open });
    const { state, outcome, handoff } = decided;
    let { replies } = decided;

    let draftId: string | undefined;
    if (settings.mode === 'assist' && replies.length > 0 && handoff?.status !== 'assigned') {
      // Assist mode: the bot drafts, an agent approves (or edits) before the customer sees anything.
      draftId = (await handoffs.createDraft(shop.id, conversation.id, msg.text ?? null, replies)).id;
      replies = [];
    }

    const latencyMs = Math.round(performance.now() - started);
    const nluSummary = summarizeNlu(nlu);
    const userMessageId = newId('m');
    const result: TurnResult = {
      conversationId: conversation.id,
      userMessageId,
      replies,
      nlu: nluSummary,
      handoff: !handoff ? 'none' : handoff.status === 'assigned' ? 'agent' : 'queued',
      ...(draftId ? { draftId } : {}),
    };
    const stored: NewMessage[] = [
      {
        id: userMessageId,
        role: 'user',
        text: msg.text ?? null,
        payload: msg.payload,
        nlu: {
          ...nluSummary,
          locale: nlu.locale,
          knowledge: nlu.knowledge.slice(0, 3).map(({ id, score }) => ({ id, score })),
          ...(nlu.sentiment ? { sentiment: { label: nlu.sentiment.label, anger: nlu.sentiment.anger } } : {}),
        },
      },
      ...replies.map((r) => ({
        id: newId('m'),
        role: 'bot' as const,
        text: r.text,
        quickReplies: r.quickReplies,
        card: r.card,
        latencyMs,
      })),
    ];
    await store.conversations.commitTurn({
      shopId: shop.id,
      conversationId: conversation.id,
      expectedVersion,
      state,
      locale,
      dedupKey: msg.dedupKey,
      messages: stored,
      result,
      latencyMs,
    });
    metrics.turns.inc({ channel: msg.channel, outcome });
    metrics.turnSeconds.observe({ channel: msg.channel }, latencyMs / 1000);

    const createdAt = new Date().toISOString();
    for (const m of stored) {
      const message: StoredMessage = {
        id: m.id,
        role: m.role,
        text: m.text,
        ...(m.payload ? { payload: m.payload } : {}),
        ...(m.quickReplies ? { quickReplies: m.quickReplies } : {}),
        ...(m.card ? { card: m.card } : {}),
        ...(m.role === 'user' ? { nlu: m.nlu } : {}),
        createdAt,
      };
      const event: MessageEvent = { type: 'message', conversationId: conversation.id, message };
      await this.deps.events
        .publish(topics.conversation(shop.id, conversation.id), event)
        .catch((err: unknown) => log.warn({ err }, 'could not publish a message event'));
      // The agents follow every conversation that is waiting for them or that one of them serves.
      if (handoff) await handoffs.publish(shop.id, event);
    }
    // A new request is routed once the turn is stored, so "客服已接入" follows the customer's words.
    if (handoff && !open && handoffPolicy(settings).autoAssign) {
      await handoffs.dispatchIfAuto(shop.id).catch((err: unknown) => log.warn({ err }, 'auto-assign failed'));
    }
    return result;
  }

  /**
   * The bot's part of a turn: the dialogue manager's answer, then the handoff rules — leave a
   * message on a ticket, withdraw a waiting request, remind of the queue, or bring a person in.
   */
  private async decide(input: {
    msg: InboundMessage;
    shop: Shop;
    settings: ShopSettings;
    conversation: Conversation;
    locale: string;
    text: string;
    nlu: NluResult;
    now: Date;
    previous: DialogueState;
    open: Handoff | undefined;
  }): Promise<{ replies: Reply[]; state: DialogueState; outcome: string; handoff: Handoff | undefined }> {
    const { msg, shop, settings, conversation, locale, text, nlu, now, previous, open } = input;
    const { handoffs, router } = this.deps;
    const leavingMessage = !!previous.ticketId && !!text && !msg.payload;
    if (leavingMessage && !this.understood(nlu, settings)) {
      // Nobody could take the handoff and the customer was asked to leave a message: this is it.
      return {
        replies: [await this.takeMessage(shop.id, previous.ticketId!, text, locale)],
        state: { ...previous, turns: previous.turns + 1, locale, ticketId: undefined },
        outcome: 'ticket',
        handoff: open,
      };
    }
    // A clear question while leaving a message is kept on the ticket and answered as well.
    const ticketReply = leavingMessage
      ? await this.takeMessage(shop.id, previous.ticketId!, text, locale)
      : undefined;
    const routed = await this.route(msg, { shop, settings, conversation, locale, text, nlu, now }, previous);
    let replies = ticketReply ? [ticketReply, ...routed.replies] : routed.replies;
    const state: DialogueState = ticketReply ? { ...routed.state, ticketId: undefined } : routed.state;
    let handoff = open;

    const policy = handoffPolicy(settings);
    const lowConfidence =
      !msg.payload &&
      routed.skill === router.fallbackSkillId &&
      (nlu.knowledge[0]?.score ?? 0) < policy.confidenceThreshold;
    state.lowConfidenceTurns = lowConfidence ? (previous.lowConfidenceTurns ?? 0) + 1 : 0;
    const trigger = detectTrigger({
      text,
      payload: msg.payload,
      nlu,
      outcome: routed.outcome,
      lowConfidenceTurns: state.lowConfidenceTurns,
      policy,
      newCustomerTier:
        !open && previous.turns === 0 && msg.verified && policy.vipMinTier !== undefined
          ? await this.customerTier(shop, settings, msg.userId)
          : undefined,
    });
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
        routed.outcome.status === 'handoff'
          ? replies
          : [{ text: handoffs.t(locale, CONNECTING[trigger.reason] ?? 'connecting') }];
      replies = [...opening, ...requested.replies];
      state.lowConfidenceTurns = 0;
      if (requested.ticket) state.ticketId = requested.ticket.id;
    }
    return { replies, state, outcome: routed.outcome.status, handoff };
  }

  /** The dialogue manager's turn; a failing skill costs an apology, never the conversation. */
  private async route(
    msg: InboundMessage,
    input: Omit<TurnInput, 'user' | 'payload'>,
    previous: DialogueState,
  ): Promise<RouteResult> {
    try {
      return await this.deps.router.route(
        { ...input, user: { id: msg.userId, verified: msg.verified }, payload: msg.payload },
        previous,
      );
    } catch (err) {
      this.deps.log.error(
        { err, shopId: input.shop.id, conversationId: input.conversation.id },
        'turn failed',
      );
      return {
        replies: [{ text: translate(this.catalog, input.locale, 'error.apology') }],
        state: { ...previous, turns: previous.turns + 1 },
        skill: 'error',
        outcome: { status: 'cancelled' },
      };
    }
  }

  /** A conversation that idled out took its waiting handoffs with it: the agents' queues hear of it. */
  private async announceExpired(shopId: string, ids: string[] | undefined): Promise<void> {
    for (const id of ids ?? []) {
      const handoff = await this.deps.store.handoffs.get(shopId, id);
      if (handoff) await this.deps.handoffs.publish(shopId, { type: 'handoff', handoff });
    }
  }

  /** The customer's message, left on the ticket when nobody could take the handoff. */
  private async takeMessage(shopId: string, ticketId: string, text: string, locale: string): Promise<Reply> {
    const ticket = await this.deps.handoffs.addTicketMessage(shopId, ticketId, text);
    return { text: this.deps.handoffs.t(locale, 'ticket.taken', { ticketId: ticket?.id ?? ticketId }) };
  }

  /** Clearly a question the bot can answer (a confident task intent or knowledge match). */
  private understood(nlu: NluResult, settings: ShopSettings): boolean {
    const confidentTask =
      !!nlu.intent && nlu.intent !== 'common.human' && nlu.confidence >= SWITCH_CONFIDENCE;
    return confidentTask || (nlu.knowledge[0]?.score ?? 0) >= handoffPolicy(settings).confidenceThreshold;
  }

  /** A verified customer's trust tier, for routing VIPs straight to a person (2 s at most). */
  private async customerTier(
    shop: Shop,
    settings: ShopSettings,
    userId: string,
  ): Promise<number | undefined> {
    const customers = this.deps.handoffs.customers;
    if (!customers) return undefined;
    try {
      const profile = await withTimeout(customers.profile({ shop, settings, userId }), 2000);
      return profile?.tier;
    } catch (err) {
      this.deps.log.warn({ err, shopId: shop.id }, 'could not read the customer profile for VIP routing');
      return undefined;
    }
  }
}

/** The first words when the bot brings a person in on its own initiative. */
const CONNECTING: Record<string, string> = {
  negative_sentiment: 'connecting.upset',
  low_confidence: 'connecting.low-confidence',
  vip: 'connecting.vip',
};

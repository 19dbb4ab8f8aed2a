import type { Logger } from 'pino';
import { type Reply, checkTextLength } from './activity';
import type { TurnAdmission } from './admission';
import { errors, isKefuError } from './errors';
import { type EventBus, topics } from './events';
import { type Catalog, loadCatalog, translate } from './i18n';
import { newId } from './ids';
import type { ConversationLock } from './lock/lock';
import type { Metrics } from './metrics';
import type { ModelRegistry } from './models';
import { type ParseContext, summarizeNlu } from './nlu';
import type { SkillRouter } from './router';
import type { HandoffService } from './handoff/handoff.service';
import { type PolicyInput, type TurnDraft, type TurnPolicy, runPolicies } from './turn-policy';
import type { ShopCache } from './shop-cache';
import { type DialogueState, initialDialogueState } from './skill';
import type { Conversation, NewMessage, StoredMessage } from './store/conversations.repo';
import { shopTimeZone } from './settings';
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
  /**
   * The id the stored user message gets, chosen by a push channel that must recognise its own
   * message when it comes back over the event bus (default: a new id).
   */
  messageId?: string;
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
function parseContext(settings: ShopSettings, now: Date): ParseContext {
  return {
    now,
    timeZone: shopTimeZone(settings),
    orderIdPattern: settings.nlu?.orderIdPattern,
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
      /** The rules around the dialogue manager, outermost first (bot/turn-policy.ts). */
      policies?: readonly TurnPolicy[];
      /** Back-pressure: bounded running and waiting turns (bot/admission.ts). */
      admission?: TurnAdmission;
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
    checkTextLength(msg.text);
    for (const [field, value] of Object.entries({
      text: msg.text,
      payload: msg.payload,
      userId: msg.userId,
      dedupKey: msg.dedupKey,
    })) {
      // PostgreSQL text cannot hold U+0000: refused here, whatever channel let it through.
      if (value?.includes('\u0000'))
        throw errors.badRequest(`${field} must not contain NUL characters`, 'NUL_CHARACTER');
    }
    this.inFlight++;
    const started = performance.now();
    let release: (() => void) | undefined;
    try {
      // A slot, or OVERLOADED (429) at once: a refused turn has sent no query.
      release = await this.deps.admission?.acquire();
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
      // Channels name anonymous users apart (web:…, device:…); one that lets a caller choose the
      // userId (the app API) must not let them write into, and speak as, a customer the shop vouched for.
      if (conversation.verified && !msg.verified)
        throw errors.unauthorized(
          'This customer is verified by the shop: send their userHash.',
          'INVALID_USER_HASH',
        );
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
      release?.();
    }
  }

  private async runTurn(
    msg: InboundMessage,
    conversation: Conversation,
    started: number,
  ): Promise<TurnResult> {
    const { store, models, log, metrics } = this.deps;
    const cached = await this.deps.shops.get(msg.shopId);
    if (!cached) throw errors.notFound('Shop');
    const { shop, settings } = cached;
    const [{ state: loaded, open }, model] = await Promise.all([
      store.conversations.loadTurnContext<DialogueState>(shop.id, conversation.id),
      models.get(shop.id),
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

    const input: PolicyInput = { msg, shop, settings, conversation, locale, text, nlu, now, previous, open };
    const decided = await runPolicies(this.deps.policies ?? [], input, () => this.route(input));
    const { state, outcome, handoff, replies, draftId, routed } = decided;

    const latencyMs = Math.round(performance.now() - started);
    const nluSummary = summarizeNlu(nlu);
    const userMessageId = msg.messageId ?? newId('m');
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
          // What answered (the admin's console, transcripts and analytics read it); absent when a person held the turn.
          ...(routed
            ? {
                route: {
                  skill: routed.skill,
                  outcome: routed.outcome.status,
                  unresolved: routed.outcome.status === 'done' && !!routed.outcome.unresolved,
                },
              }
            : {}),
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
    const published: StoredMessage[] = [];
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
      published.push(message);
      const event: MessageEvent = { type: 'message', conversationId: conversation.id, message };
      await this.deps.events
        .publish(topics.conversation(shop.id, conversation.id), event)
        .catch((err: unknown) => log.warn({ err }, 'could not publish a message event'));
    }
    for (const policy of this.deps.policies ?? []) await policy.committed?.(input, decided, published);
    return result;
  }

  /** The dialogue manager's turn; a failing skill costs an apology, never the conversation. */
  private async route(input: PolicyInput): Promise<TurnDraft> {
    const { msg, previous, open } = input;
    try {
      const routed = await this.deps.router.route(
        { ...input, user: { id: msg.userId, verified: msg.verified }, payload: msg.payload },
        previous,
      );
      const { replies, state, skill, outcome } = routed;
      return { replies, state, outcome: outcome.status, handoff: open, routed: { skill, outcome } };
    } catch (err) {
      this.deps.log.error(
        { err, shopId: input.shop.id, conversationId: input.conversation.id },
        'turn failed',
      );
      const outcome = { status: 'cancelled' } as const;
      return {
        replies: [{ text: translate(this.catalog, input.locale, 'error.apology') }],
        state: { ...previous, turns: previous.turns + 1 },
        outcome: outcome.status,
        handoff: open,
        routed: { skill: 'error', outcome },
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
}

import type { Logger } from 'pino';
import type { Reply } from '../activity';
import { errors } from '../errors';
import { type EventBus, topics } from '../events';
import { type Catalog, loadCatalog, translate } from '../i18n';
import { newId } from '../ids';
import type { ConversationLock } from '../lock/lock';
import type { Metrics } from '../metrics';
import type { DialogueState } from '../skill';
import type { Agent, AgentStatus } from '../store/agents.repo';
import type { Draft, Ticket } from '../store/assist.repo';
import type { NewMessage, StoredMessage } from '../store/conversations.repo';
import type { AgentTier, Handoff } from '../store/handoffs.repo';
import type { Shop, ShopSettings } from '../store/shops.repo';
import type { Store } from '../store/store';
import type { CustomerDirectory } from './context';
import { canServe, handoffPolicy, isOnline, tierRank, withinBusinessHours } from './policy';
import type { Trigger } from './triggers';

/** What the agents' workspace hears about (topic `agents:<shopId>`). */
export type AgentEvent =
  | { type: 'handoff'; handoff: Handoff }
  | { type: 'message'; conversationId: string; message: StoredMessage }
  | { type: 'draft'; draft: Draft }
  | { type: 'ticket'; ticket: Ticket };

/** Minutes an agent spends on a conversation, until the shop has its own history. */
const DEFAULT_HANDLE_MINUTES = 4;
const SWEEP_MS = 60_000;

export interface QueueStatus {
  /** 1 = next in line. */
  position: number;
  etaMinutes: number;
  /** Online agents who could take it. */
  agents: number;
}

/**
 * The handoff state machine at work: requests, the queue and its positions, routing by tier,
 * language and capacity, atomic assignment, transfer, resolve (and back to the bot), expiry, and
 * what the customer is told at each step. The store's conditional updates make every move atomic
 * across processes; an agent's capacity is checked under a lock on the agent.
 */
export class HandoffService {
  readonly catalog: Catalog = loadCatalog(__dirname);
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly deps: {
      store: Store;
      lock: ConversationLock;
      events: EventBus;
      log: Logger;
      metrics: Metrics;
      clock?: () => Date;
      customers?: CustomerDirectory;
    },
  ) {}

  now(): Date {
    return this.deps.clock?.() ?? new Date();
  }

  t(locale: string, key: string, vars?: Record<string, string | number>): string {
    return translate(this.catalog, locale, key, vars);
  }

  get customers(): CustomerDirectory | undefined {
    return this.deps.customers;
  }

  // ---- the customer side (called by the turn pipeline, inside the conversation's lock) ----

  /**
   * A trigger fired: none → pending (or the open request, reused). Returns what to tell the
   * customer: the queue position, or — outside business hours or with nobody online — an honest
   * "leave a message", with a ticket that will hold it.
   */
  async request(input: {
    shop: Shop;
    settings: ShopSettings;
    conversationId: string;
    userId: string;
    locale: string;
    trigger: Trigger;
  }): Promise<{ handoff: Handoff; created: boolean; replies: Reply[]; ticket?: Ticket }> {
    const { store } = this.deps;
    const { handoff, created } = await store.handoffs.request({
      shopId: input.shop.id,
      conversationId: input.conversationId,
      userId: input.userId,
      reason: input.trigger.reason,
      tier: input.trigger.tier,
      locale: input.locale,
      now: this.now(),
    });
    if (created) {
      this.deps.log.info(
        { shopId: input.shop.id, handoffId: handoff.id, reason: handoff.reason, tier: handoff.tier },
        'handoff requested',
      );
      this.deps.metrics.handoffs.inc({ reason: handoff.reason, tier: handoff.tier });
      await this.publish(input.shop.id, { type: 'handoff', handoff });
    }
    const current = handoff;
    if (current.status === 'assigned') return { handoff: current, created, replies: [] };

    const hours = input.settings.businessHours;
    const open = withinBusinessHours(hours, this.now());
    const online = await this.agentsFor(current);
    if (!open || online.length === 0) {
      const ticket =
        (await store.tickets.openFor(input.shop.id, input.conversationId)) ??
        (await this.openTicket(
          input.shop.id,
          input.conversationId,
          input.userId,
          current.reason,
          current.id,
        ));
      const text = open
        ? this.t(input.locale, 'unavailable.nobody')
        : this.t(input.locale, 'unavailable.closed', {
            hours: `${hours?.open ?? '00:00'}–${hours?.close ?? '24:00'}`,
          });
      return { handoff: current, created, replies: [{ text }], ticket };
    }
    const queue = await this.queueStatus(current, online);
    return { handoff: current, created, replies: [{ text: this.queueText(input.locale, queue, created) }] };
  }

  /** "You are 3rd, about 8 minutes" — for a customer who asks again while waiting. */
  async queueReply(handoff: Handoff, locale: string): Promise<Reply> {
    const queue = await this.queueStatus(handoff);
    // Nobody who could take it is at work: an estimate would be a made-up number.
    if (queue.agents === 0) return { text: this.t(locale, 'queue.no-agent') };
    return { text: this.queueText(locale, queue, false) };
  }

  private queueText(locale: string, q: QueueStatus, first: boolean): string {
    const ahead = q.position - 1;
    const vars = {
      ahead,
      minutes: q.etaMinutes,
      aheadText: ahead === 1 ? 'There is 1 customer' : `There are ${ahead} customers`,
    };
    if (ahead === 0) return this.t(locale, 'queue.next', vars);
    return this.t(locale, first ? 'queue.position' : 'queue.still', vars);
  }

  /**
   * Position among the handoffs waiting for the same tier and language, oldest first; the wait is
   * the shop's recent handling time spread over the agents who could take it.
   */
  async queueStatus(handoff: Handoff, online?: Agent[]): Promise<QueueStatus> {
    const { store } = this.deps;
    const position = await store.handoffs.positionOf(handoff);
    const agents = online ?? (await this.agentsFor(handoff));
    const load = await store.handoffs.assignedCounts(handoff.shopId);
    let free = 0;
    for (const a of agents) free += Math.max(0, a.maxConcurrent - (load.get(a.id) ?? 0));
    const handle = (await store.handoffs.averageHandleMinutes(handoff.shopId)) ?? DEFAULT_HANDLE_MINUTES;
    const etaMinutes =
      position <= free
        ? 1
        : Math.max(1, Math.ceil(((position - free) / Math.max(1, agents.length)) * handle));
    return { position, etaMinutes, agents: agents.length };
  }

  /** Online agents who could take this handoff. */
  private async agentsFor(handoff: Handoff): Promise<Agent[]> {
    const now = this.now();
    return (await this.deps.store.agents.list(handoff.shopId)).filter(
      (a) => isOnline(a, now) && canServe(a, handoff),
    );
  }

  /** Queue positions of every waiting handoff (per tier and language), for the agents' list. */
  async positions(shopId: string): Promise<Map<string, number>> {
    const counters = new Map<string, number>();
    const out = new Map<string, number>();
    for (const h of await this.deps.store.handoffs.queued(shopId)) {
      const key = `${h.tier}:${h.locale.slice(0, 2)}`;
      const n = (counters.get(key) ?? 0) + 1;
      counters.set(key, n);
      out.set(h.id, n);
    }
    return out;
  }

  /** While pending, "算了/不用了" withdraws the request. */
  async withdraw(handoff: Handoff): Promise<void> {
    const done = await this.deps.store.handoffs.transition(handoff.shopId, handoff.id, 'resolve', {
      now: this.now(),
    });
    await this.publish(handoff.shopId, { type: 'handoff', handoff: done });
  }

  async openTicket(
    shopId: string,
    conversationId: string,
    userId: string,
    reason: string,
    handoffId: string | null,
  ): Promise<Ticket> {
    const ticket = await this.deps.store.tickets.create({
      shopId,
      conversationId,
      userId,
      handoffId,
      reason,
    });
    await this.publish(shopId, { type: 'ticket', ticket });
    return ticket;
  }

  async addTicketMessage(shopId: string, ticketId: string, text: string): Promise<Ticket | undefined> {
    const ticket = await this.deps.store.tickets.addMessage(shopId, ticketId, text);
    if (ticket) await this.publish(shopId, { type: 'ticket', ticket });
    return ticket;
  }

  // ---- the agent side (the admin API) ----

  async createAgent(
    shopId: string,
    input: { name: string; tier: AgentTier; languages: string[]; maxConcurrent: number },
  ): Promise<{ agent: Agent; token: string }> {
    return this.deps.store.agents.create(shopId, input);
  }

  /**
   * Removes an agent (they left, their token leaked): the token stops working, and the
   * conversations they were serving go back to the queue at the same tier, with a note.
   */
  async removeAgent(shopId: string, agentId: string): Promise<void> {
    const { store } = this.deps;
    const agent = await store.agents.get(shopId, agentId);
    if (!agent) throw errors.notFound('Agent');
    for (const h of await store.handoffs.list(shopId, { statuses: ['assigned'], agentId })) {
      await this.transfer(shopId, h.id, { tier: h.tier, note: `${agent.name} was removed`, agentId });
    }
    await store.agents.delete(shopId, agentId);
    this.deps.log.info({ shopId, agentId }, 'agent removed');
  }

  async setAgentStatus(shopId: string, agentId: string, status: AgentStatus): Promise<Agent> {
    const agent = await this.deps.store.agents.setStatus(shopId, agentId, status, this.now());
    if (!agent) throw errors.notFound('Agent');
    if (status === 'online') await this.dispatchIfAuto(shopId);
    return agent;
  }

  /**
   * pending|transferred → assigned, for one agent. Two agents taking the same handoff at once: the
   * conditional UPDATE lets exactly one through, the other gets 409 HANDOFF_TAKEN. The agent's
   * capacity is checked under a lock on the agent, so two handoffs cannot both take their last slot.
   */
  async assign(shopId: string, handoffId: string, agentId: string): Promise<Handoff> {
    const { store, lock } = this.deps;
    const agent = await store.agents.get(shopId, agentId);
    if (!agent) throw errors.notFound('Agent');
    const handoff = await store.handoffs.get(shopId, handoffId);
    if (!handoff) throw errors.notFound('Handoff');
    if (handoff.status === 'assigned') {
      throw errors.conflict('Another agent has already taken this conversation.', 'HANDOFF_TAKEN');
    }
    if (!canServe(agent, handoff)) {
      throw errors.forbidden(
        `This handoff needs a ${handoff.tier} agent (or above) who speaks ${handoff.locale}.`,
        'AGENT_NOT_ELIGIBLE',
      );
    }
    const assigned = await lock.run(`agent:${agent.id}`, async () => {
      const load = await store.handoffs.countAssigned(shopId, agent.id);
      if (load >= agent.maxConcurrent) {
        throw errors.conflict(
          `${agent.name} is at capacity: ${load} of ${agent.maxConcurrent} conversations.`,
          'AGENT_AT_CAPACITY',
        );
      }
      return store.handoffs.transition(shopId, handoffId, 'assign', {
        assignedTo: agent.id,
        now: this.now(),
      });
    });
    this.deps.log.info({ shopId, handoffId, agentId }, 'handoff assigned');
    this.deps.metrics.handoffWaitSeconds.observe(
      Math.max(
        0,
        (Date.parse(assigned.assignedAt ?? assigned.updatedAt) - Date.parse(handoff.queuedAt)) / 1000,
      ),
    );
    await this.publish(shopId, { type: 'handoff', handoff: assigned });
    await this.say(assigned, 'agent.joined', { name: agent.name });
    await store.agents.touch(agent.id, this.now());
    return assigned;
  }

  /** The oldest handoff this agent may take: their own tier first, then the tiers below. */
  async takeNext(shopId: string, agentId: string): Promise<Handoff | undefined> {
    const agent = await this.deps.store.agents.get(shopId, agentId);
    if (!agent) throw errors.notFound('Agent');
    const candidates = (await this.deps.store.handoffs.queued(shopId))
      .filter((h) => canServe(agent, h))
      .sort((a, b) => tierRank(b.tier) - tierRank(a.tier) || a.queuedAt.localeCompare(b.queuedAt));
    for (const h of candidates.slice(0, 10)) {
      try {
        return await this.assign(shopId, h.id, agentId);
      } catch (err) {
        // Someone else took it a moment ago: try the next one. Capacity and other errors stop here.
        if ((err as { code?: string }).code !== 'HANDOFF_TAKEN') throw err;
      }
    }
    return undefined;
  }

  /** assigned → transferred: back in the queue for another tier, with the agent's note; the transcript stays. */
  async transfer(
    shopId: string,
    handoffId: string,
    input: { tier: AgentTier; note?: string; agentId?: string },
  ): Promise<Handoff> {
    const { store } = this.deps;
    const before = await store.handoffs.get(shopId, handoffId);
    if (!before) throw errors.notFound('Handoff');
    const transferred = await store.handoffs.transition(shopId, handoffId, 'transfer', {
      tier: input.tier,
      assignedTo: null,
      expectAssignee: input.agentId,
      now: this.now(),
      note: {
        at: this.now().toISOString(),
        agentId: before.assignedTo,
        fromTier: before.tier,
        toTier: input.tier,
        note: input.note ?? '',
      },
    });
    this.deps.log.info({ shopId, handoffId, from: before.tier, to: input.tier }, 'handoff transferred');
    await this.publish(shopId, { type: 'handoff', handoff: transferred });
    await this.say(transferred, 'agent.transferred', {
      tier: this.t(transferred.locale, `tier.${input.tier}`),
    });
    await this.dispatchIfAuto(shopId);
    return transferred;
  }

  /**
   * → resolved. Back to the bot: the dialogue starts clean (no task from before the handoff) and the
   * customer is told; otherwise the conversation ends and the next message opens a new one.
   */
  async resolve(
    shopId: string,
    handoffId: string,
    input: { returnToBot: boolean; agentId?: string },
  ): Promise<Handoff> {
    const { store, lock } = this.deps;
    const current = await store.handoffs.get(shopId, handoffId);
    if (!current) throw errors.notFound('Handoff');
    const resolved = await lock.run(`conv:${current.conversationId}`, async () => {
      const done = await store.handoffs.transition(shopId, handoffId, 'resolve', {
        expectAssignee: current.status === 'assigned' ? input.agentId : undefined,
        now: this.now(),
      });
      if (input.returnToBot) await this.resetDialogue(shopId, done.conversationId);
      return done;
    });
    this.deps.log.info({ shopId, handoffId, returnToBot: input.returnToBot }, 'handoff resolved');
    await this.publish(shopId, { type: 'handoff', handoff: resolved });
    await this.say(resolved, input.returnToBot ? 'agent.returned' : 'agent.closed');
    if (!input.returnToBot) await store.conversations.end(shopId, resolved.conversationId, this.now());
    await this.dispatchIfAuto(shopId);
    return resolved;
  }

  /** The bot resumes with an empty task stack: nothing from before the handoff runs on by itself. */
  private async resetDialogue(shopId: string, conversationId: string): Promise<void> {
    const { conversations } = this.deps.store;
    const loaded = await conversations.loadState<DialogueState>(conversationId);
    if (!loaded) return;
    const state: DialogueState = {
      ...loaded.state,
      stack: [],
      lastReplies: [],
      lowConfidenceTurns: 0,
      ticketId: undefined,
    };
    await conversations.saveState(shopId, conversationId, state, loaded.version);
  }

  /** An agent's reply: only from the agent serving the conversation (or answering its open ticket). */
  async agentMessage(
    shopId: string,
    conversationId: string,
    agentId: string,
    text: string,
  ): Promise<StoredMessage> {
    const { store } = this.deps;
    const agent = await store.agents.get(shopId, agentId);
    if (!agent) throw errors.notFound('Agent');
    const conversation = await store.conversations.findById(shopId, conversationId);
    if (!conversation) throw errors.notFound('Conversation');
    const open = await store.handoffs.findOpen(shopId, conversationId);
    const serving = open?.status === 'assigned' && open.assignedTo === agentId;
    if (!serving && !(await store.tickets.openFor(shopId, conversationId))) {
      throw errors.conflict(
        open?.status === 'assigned'
          ? 'Another agent is serving this conversation.'
          : 'Take the conversation before replying to it.',
        'NOT_ASSIGNED_TO_YOU',
      );
    }
    await store.agents.touch(agentId, this.now());
    return this.deliver(shopId, conversationId, { role: 'agent', text });
  }

  /** assist mode: an agent sends the bot's draft (as written, or edited) — once. */
  async approveDraft(
    shopId: string,
    draftId: string,
    input: { agentId?: string; text?: string },
  ): Promise<Draft> {
    const { store } = this.deps;
    const draft = await store.drafts.get(shopId, draftId);
    if (!draft) throw errors.notFound('Draft');
    const edited =
      input.text !== undefined && input.text.trim() !== draft.replies.map((r) => r.text).join('\n');
    const replies: Reply[] = edited ? [{ text: input.text!.trim() }] : draft.replies;
    const decided = await store.drafts.decide(shopId, draftId, 'sent', input.agentId ?? null, replies);
    for (const r of replies) {
      await this.deliver(shopId, draft.conversationId, {
        role: edited ? 'agent' : 'bot',
        text: r.text,
        ...(r.quickReplies ? { quickReplies: r.quickReplies } : {}),
        ...(r.card ? { card: r.card } : {}),
      });
    }
    await this.publish(shopId, { type: 'draft', draft: decided });
    return decided;
  }

  async discardDraft(shopId: string, draftId: string, agentId?: string): Promise<Draft> {
    const decided = await this.deps.store.drafts.decide(shopId, draftId, 'discarded', agentId ?? null);
    await this.publish(shopId, { type: 'draft', draft: decided });
    return decided;
  }

  async createDraft(
    shopId: string,
    conversationId: string,
    question: string | null,
    replies: Reply[],
  ): Promise<Draft> {
    const draft = await this.deps.store.drafts.create({ shopId, conversationId, question, replies });
    await this.publish(shopId, { type: 'draft', draft });
    return draft;
  }

  async closeTicket(shopId: string, ticketId: string, agentId?: string): Promise<Ticket> {
    const ticket = await this.deps.store.tickets.close(shopId, ticketId, agentId ?? null);
    await this.publish(shopId, { type: 'ticket', ticket });
    return ticket;
  }

  // ---- routing ----

  /** With `handoff.autoAssign`, routes the queue now (after a request, a transfer, a resolve…). */
  async dispatchIfAuto(shopId: string): Promise<void> {
    const settings = await this.deps.store.shops.getSettings(shopId);
    if (handoffPolicy(settings).autoAssign) await this.dispatch(shopId);
  }

  /**
   * autoAssign: every queued handoff, oldest first, goes to an online agent who can serve it —
   * their own tier before a senior one, then the least loaded. One dispatcher per shop at a time.
   */
  async dispatch(shopId: string): Promise<void> {
    const { store, lock, log } = this.deps;
    await lock.run(`dispatch:${shopId}`, async () => {
      const now = this.now();
      const agents = (await store.agents.list(shopId)).filter((a) => isOnline(a, now));
      if (agents.length === 0) return;
      const load = await store.handoffs.assignedCounts(shopId);
      for (const h of await store.handoffs.queued(shopId)) {
        const best = agents
          .filter((a) => canServe(a, h) && (load.get(a.id) ?? 0) < a.maxConcurrent)
          .sort(
            (a, b) =>
              tierRank(a.tier) - tierRank(b.tier) ||
              (load.get(a.id) ?? 0) / a.maxConcurrent - (load.get(b.id) ?? 0) / b.maxConcurrent,
          )[0];
        if (!best) continue;
        try {
          await this.assign(shopId, h.id, best.id);
          load.set(best.id, (load.get(best.id) ?? 0) + 1);
        } catch (err) {
          log.debug({ err, handoffId: h.id }, 'auto-assign skipped a handoff');
        }
      }
    });
  }

  // ---- expiry ----

  /** Handoffs nobody took in `handoff.expireMinutes` expire; the customer gets a ticket instead. */
  async sweep(): Promise<number> {
    const { store, log } = this.deps;
    const now = this.now();
    let expired = 0;
    for (const h of await store.handoffs.staleQueued(new Date(now.getTime() - 60_000))) {
      const policy = handoffPolicy(await store.shops.getSettings(h.shopId));
      if (now.getTime() - Date.parse(h.queuedAt) < policy.expireMinutes * 60_000) continue;
      try {
        const done = await store.handoffs.transition(h.shopId, h.id, 'expire', { now });
        expired++;
        await this.publish(h.shopId, { type: 'handoff', handoff: done });
        const ticket =
          (await store.tickets.openFor(h.shopId, h.conversationId)) ??
          (await this.openTicket(h.shopId, h.conversationId, h.userId, h.reason, h.id));
        await this.say(done, 'expired', { ticketId: ticket.id });
      } catch (err) {
        log.debug({ err, handoffId: h.id }, 'expiry skipped a handoff that changed meanwhile');
      }
    }
    return expired;
  }

  start(): void {
    this.sweeper = setInterval(() => {
      this.sweep().catch((err: unknown) => this.deps.log.warn({ err }, 'handoff sweep failed'));
    }, SWEEP_MS);
    this.sweeper.unref();
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
  }

  // ---- delivery ----

  /** A message from the platform to the customer about their handoff, in their language. */
  private async say(handoff: Handoff, key: string, vars?: Record<string, string | number>): Promise<void> {
    await this.deliver(handoff.shopId, handoff.conversationId, {
      role: 'bot',
      text: this.t(handoff.locale, key, vars),
    });
  }

  /** Stores a message and sends it to the customer (widget, SSE) and the agents' workspace. */
  async deliver(shopId: string, conversationId: string, m: Omit<NewMessage, 'id'>): Promise<StoredMessage> {
    const message: NewMessage = { id: newId('m'), ...m };
    await this.deps.store.conversations.appendMessages(shopId, conversationId, [message]);
    const stored: StoredMessage = {
      id: message.id,
      role: message.role,
      text: message.text,
      ...(message.quickReplies ? { quickReplies: message.quickReplies } : {}),
      ...(message.card ? { card: message.card } : {}),
      createdAt: new Date().toISOString(),
    };
    await this.deps.events
      .publish(topics.conversation(shopId, conversationId), {
        type: 'message',
        conversationId,
        message: stored,
      })
      .catch((err: unknown) => this.deps.log.warn({ err }, 'could not publish a message event'));
    await this.publish(shopId, { type: 'message', conversationId, message: stored });
    return stored;
  }

  async publish(shopId: string, event: AgentEvent): Promise<void> {
    await this.deps.events
      .publish(topics.agents(shopId), event)
      .catch((err: unknown) => this.deps.log.warn({ err }, 'could not publish an agent event'));
  }
}

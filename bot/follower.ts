import type { EventBus } from './events';
import { topics } from './events';
import type { Logger } from './log';
import type { StoredMessage } from './store/conversations.repo';
import type { Store } from './store/store';

/** What a push channel reads when it starts following: everything after an id, or the last few. */
export type Backlog = { after: string } | { recent: number } | 'none';

/** Message ids remembered to never deliver one twice (a conversation rarely gets near this). */
const MAX_REMEMBERED_IDS = 2000;

/**
 * Follows one conversation for a push channel (web socket, app SSE, MQTT, Agents): every stored
 * message — the customer's, the bot's, an agent's — reaches `deliver` once and in order, whether
 * it came live over the event bus or was read back from the store (a reconnect with a last event
 * id, a turn published before the subscription existed). It subscribes first and reads back
 * second, holding live events meanwhile, so nothing falls in between.
 */
export class ConversationFollower {
  private conversation?: string;
  private unsubscribe?: () => void;
  private readonly delivered = new Set<string>();
  private lastId?: string;
  /** Live events that arrive while the store is read back wait here, to keep the order. */
  private held: StoredMessage[] | null = null;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly deps: { events: EventBus; store: Store; log: Logger },
    private readonly shopId: string,
    /** Called once per message, in order; an async deliver is awaited before the next one. */
    private readonly deliver: (message: StoredMessage) => void | Promise<void>,
  ) {}

  get conversationId(): string | undefined {
    return this.conversation;
  }

  /**
   * Starts following `conversationId` (a no-op when already following it) and delivers its
   * backlog; with `onBacklog` the backlog goes there as one batch instead (the widget's history).
   */
  async follow(
    conversationId: string,
    backlog: Backlog = 'none',
    onBacklog?: (messages: StoredMessage[]) => void,
  ): Promise<void> {
    if (this.closed || this.conversation === conversationId) return;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.conversation = conversationId;
    this.lastId = undefined;
    this.held = [];
    try {
      const off = await this.deps.events.subscribe(
        topics.conversation(this.shopId, conversationId),
        (event) => this.onEvent(conversationId, event),
      );
      if (this.closed || this.conversation !== conversationId) return off();
      this.unsubscribe = off;
      const read = await this.readBack(conversationId, backlog);
      if (onBacklog) {
        for (const m of read) this.remember(m.id);
        onBacklog(read);
      } else {
        for (const m of read) this.push(m);
      }
    } finally {
      this.release();
    }
  }

  /** Delivers what was stored since the last delivered message (after a turn, to miss nothing). */
  async catchUp(recent = 50): Promise<void> {
    const conversationId = this.conversation;
    if (this.closed || !conversationId) return;
    this.held ??= [];
    try {
      const backlog: Backlog = this.lastId ? { after: this.lastId } : { recent };
      for (const m of await this.readBack(conversationId, backlog)) this.push(m);
    } finally {
      this.release();
    }
  }

  /** Resolves once every message handed to `deliver` so far has been delivered. */
  idle(): Promise<void> {
    return this.chain;
  }

  close(): void {
    this.closed = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.held = null;
  }

  private async readBack(conversationId: string, backlog: Backlog): Promise<StoredMessage[]> {
    const { store } = this.deps;
    if (backlog === 'none') return [];
    if ('recent' in backlog)
      return store.conversations.recentMessages(this.shopId, conversationId, backlog.recent);
    // An id from another conversation (or long gone) reads as "nothing to catch up on", not an error.
    return store.conversations
      .listMessages(this.shopId, conversationId, { afterId: backlog.after })
      .catch(() => []);
  }

  private onEvent(conversationId: string, event: unknown): void {
    const e = event as { type?: unknown; conversationId?: unknown; message?: StoredMessage } | null;
    if (this.closed || !e || e.type !== 'message' || e.conversationId !== conversationId) return;
    if (conversationId !== this.conversation) return;
    const m = e.message;
    if (!m || typeof m.id !== 'string' || !['user', 'bot', 'agent'].includes(m.role)) return;
    if (this.held) this.held.push(m);
    else this.push(m);
  }

  private release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const m of held) this.push(m);
  }

  private push(m: StoredMessage): void {
    if (this.closed || this.delivered.has(m.id)) return;
    this.remember(m.id);
    this.chain = this.chain
      .then(() => this.deliver(m))
      .catch((err: unknown) =>
        this.deps.log.warn({ err, shopId: this.shopId }, 'could not deliver a message'),
      );
  }

  private remember(id: string): void {
    this.lastId = id;
    this.delivered.add(id);
    if (this.delivered.size > MAX_REMEMBERED_IDS) {
      const oldest = this.delivered.values().next().value;
      if (oldest !== undefined) this.delivered.delete(oldest);
    }
  }
}

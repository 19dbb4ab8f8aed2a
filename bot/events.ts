import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';

/**
 * Pub/sub between the parts of the platform and, with Redis, between instances: a message
 * stored by one process (an agent's reply, a bot turn) reaches the WebSocket or SSE client
 * connected to another.
 */
export interface EventBus {
  publish(topic: string, event: unknown): Promise<void>;
  /** Resolves once the subscription is active (events published after that are delivered) with its off switch. */
  subscribe(topic: string, handler: (event: unknown) => void): Promise<() => void>;
  close(): Promise<void>;
}

export class MemoryEventBus implements EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  async publish(topic: string, event: unknown): Promise<void> {
    this.emitter.emit(topic, event);
  }

  async subscribe(topic: string, handler: (event: unknown) => void): Promise<() => void> {
    return this.on(topic, handler);
  }

  on(topic: string, handler: (event: unknown) => void): () => void {
    this.emitter.on(topic, handler);
    return () => this.emitter.off(topic, handler);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

export class RedisEventBus implements EventBus {
  private readonly local = new MemoryEventBus();
  private readonly counts = new Map<string, number>();
  private readonly active = new Map<string, Promise<unknown>>();

  constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly prefix = 'kefu:events:',
  ) {
    this.sub.on('message', (channel: string, raw: string) => {
      if (!channel.startsWith(this.prefix)) return;
      let event: unknown;
      try {
        event = JSON.parse(raw);
      } catch {
        return;
      }
      void this.local.publish(channel.slice(this.prefix.length), event);
    });
  }

  async publish(topic: string, event: unknown): Promise<void> {
    // Delivered to this process too, through Redis, so every instance sees one order.
    await this.pub.publish(this.prefix + topic, JSON.stringify(event));
  }

  async subscribe(topic: string, handler: (event: unknown) => void): Promise<() => void> {
    const n = this.counts.get(topic) ?? 0;
    this.counts.set(topic, n + 1);
    if (n === 0) this.active.set(topic, this.sub.subscribe(this.prefix + topic));
    const off = this.local.on(topic, handler);
    let done = false;
    const release = () => {
      if (done) return;
      done = true;
      off();
      const left = (this.counts.get(topic) ?? 1) - 1;
      if (left <= 0) {
        this.counts.delete(topic);
        this.active.delete(topic);
        void this.sub.unsubscribe(this.prefix + topic).catch(() => undefined);
      } else this.counts.set(topic, left);
    };
    try {
      await this.active.get(topic);
    } catch (err) {
      // Redis refused (it is down): undo the count, or the topic would never be subscribed again.
      release();
      throw err;
    }
    return release;
  }

  async close(): Promise<void> {
    await this.local.close();
  }
}

/** Topic names, in one place. */
export const topics = {
  conversation: (shopId: string, conversationId: string) => `conversation:${shopId}:${conversationId}`,
  /** Handoffs, drafts, tickets and handed-over conversations' messages, for a shop's agents. */
  agents: (shopId: string) => `agents:${shopId}`,
  modelPublished: 'model.published',
  /** A shop's knowledge entries were saved or deleted (matched at once, before the next publish). */
  knowledgeChanged: 'knowledge.changed',
  shopUpdated: 'shop.updated',
};

import { isHandoff } from './collection';
import { type SseEvent, readEventStream } from './sse';
import type { ChatMessage, Draft, Handoff, Ticket } from './workspace.api';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting';

const MAX_BACKOFF_MS = 15_000;
/** The server sends keep-alive comments; a stream silent for this long is presumed dead. */
const STREAM_IDLE_MS = 60_000;
/** A stream that stayed up this long resets the backoff. */
const STABLE_STREAM_MS = 10_000;

export interface StreamHandlers {
  /** Where to connect, asked on every (re)connect; undefined when nobody is signed in. */
  target(): { url: string; token: string } | undefined;
  onState(state: ConnectionState): void;
  /** The stream is up (again). */
  onOpen(): void;
  /**
   * The stream failed. It reconnects after the backoff unless the handler stopped it meanwhile
   * (a 401 signs the agent out).
   */
  onError(err: unknown): void;
  onHandoff(handoff: Handoff): void;
  onMessage(conversationId: string, message: ChatMessage): void;
  onDraft(draft: Draft): void;
  onTicket(ticket: Ticket): void;
}

/**
 * The agent's one event stream (`agent-events`): reconnects with backoff, resumes from the last
 * event id, drops a stream gone silent, and hands each event it knows to its handler.
 */
export class AgentStream {
  private controller?: AbortController;
  private attempt = 0;
  private lastEventId?: string;
  private reconnectTimer?: number;
  private idleTimer?: number;

  constructor(private readonly handlers: StreamHandlers) {}

  connect(): void {
    const target = this.handlers.target();
    if (!target || this.controller) return;
    const controller = new AbortController();
    this.controller = controller;
    const startedAt = Date.now();
    let opened = false;
    readEventStream({
      url: target.url,
      headers: {
        Authorization: `Bearer ${target.token}`,
        ...(this.lastEventId !== undefined ? { 'Last-Event-ID': this.lastEventId } : {}),
      },
      signal: controller.signal,
      onOpen: () => {
        opened = true;
        this.handlers.onState('connected');
        this.armIdle(controller);
        this.handlers.onOpen();
      },
      onActivity: () => this.armIdle(controller),
      onEvent: (event) => {
        if (this.controller !== controller) return;
        if (event.id !== undefined) this.lastEventId = event.id;
        this.dispatch(event);
      },
    }).then(
      () => this.ended(controller, opened && Date.now() - startedAt > STABLE_STREAM_MS),
      (err: unknown) => {
        if (this.controller !== controller) return;
        this.handlers.onError(err);
        // A handler that signed the agent out has stopped the stream: ended() then leaves it down.
        this.ended(controller, opened && Date.now() - startedAt > STABLE_STREAM_MS);
      },
    );
  }

  /** Stops the stream and forgets where it was (sign-out). */
  stop(): void {
    const controller = this.controller;
    this.controller = undefined;
    controller?.abort();
    window.clearTimeout(this.reconnectTimer);
    window.clearTimeout(this.idleTimer);
    this.reconnectTimer = undefined;
    this.attempt = 0;
    this.lastEventId = undefined;
  }

  /** Connects now instead of waiting out the backoff (the browser is back online). */
  reconnectNow(): void {
    if (!this.handlers.target() || this.controller) return;
    window.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.attempt = 0;
    this.connect();
  }

  private ended(controller: AbortController, wasStable: boolean): void {
    if (this.controller !== controller) return; // stopped on purpose
    this.controller = undefined;
    window.clearTimeout(this.idleTimer);
    if (wasStable) this.attempt = 0;
    this.handlers.onState('reconnecting');
    // 1 s, 2 s, 4 s, 8 s, then every 15 s.
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.attempt++);
    this.reconnectTimer = window.setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
  }

  private armIdle(controller: AbortController): void {
    window.clearTimeout(this.idleTimer);
    this.idleTimer = window.setTimeout(() => controller.abort(), STREAM_IDLE_MS);
  }

  private dispatch(event: SseEvent): void {
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      return;
    }
    switch (event.event) {
      case 'handoff':
        if (isHandoff(data)) this.handlers.onHandoff(data);
        break;
      case 'message': {
        const m = (data ?? {}) as { conversationId?: unknown; message?: ChatMessage };
        if (typeof m.conversationId === 'string' && typeof m.message?.id === 'string') {
          this.handlers.onMessage(m.conversationId, m.message);
        }
        break;
      }
      case 'draft': {
        const d = data as Draft;
        if (typeof d?.id === 'string') this.handlers.onDraft(d);
        break;
      }
      case 'ticket': {
        const t = data as Ticket;
        if (typeof t?.id === 'string') this.handlers.onTicket(t);
        break;
      }
      default:
        break; // an event this page does not know yet
    }
  }
}

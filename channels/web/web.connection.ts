import { WebSocket, type RawData } from 'ws';
import { MAX_TEXT_CODE_POINTS, codePointLength } from '../../bot/activity';
import { isKefuError } from '../../bot/errors';
import { topics } from '../../bot/events';
import type { Platform } from '../../bot/platform';
import type { StoredMessage } from '../../bot/store/conversations.repo';
import type { InboundMessage, TurnResult } from '../../bot/turn';
import { type ClientMessageFrame, type ServerFrame, type WireMessage, clientFrameSchema } from './protocol';

export const HISTORY_LIMIT = 50;
/** Frames a socket may have waiting for their turn; more is a client misbehaving. */
const MAX_QUEUED_TURNS = 10;
/** Message ids remembered per socket to never send one twice (a conversation rarely gets near this). */
const MAX_REMEMBERED_IDS = 2000;
/** A client that does not read its frames is dropped rather than buffered without end. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export interface WebIdentity {
  shopId: string;
  visitorId: string;
  /** `web:<visitorId>` for anonymous visitors, the shop's own customer id when verified. */
  userId: string;
  verified: boolean;
}

interface InFlight {
  frame: ClientMessageFrame;
  text?: string;
  /** The stored user message of this turn, once it has been seen. */
  messageId?: string;
}

/**
 * One widget's socket. Bot and agent messages reach it only through the conversation's event
 * topic; after each turn (and on connect) it reads the conversation back and sends what it
 * missed, so a message published before the subscription existed is not lost, and the per-socket
 * `sent` set keeps any message from being sent twice.
 */
export class WebConnection {
  alive = true;
  private conversationId?: string;
  private unsubscribe?: () => void;
  private readonly sent = new Set<string>();
  /** Events that arrive while the conversation is being read back wait here, to keep the order. */
  private buffer: StoredMessage[] | null = null;
  private inFlight?: InFlight;
  private queue: Promise<void>;
  private queued = 0;
  private closed = false;
  private failed = false;

  constructor(
    readonly ws: WebSocket,
    private readonly platform: Platform,
    private readonly identity: WebIdentity,
  ) {
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('message', (data, isBinary) => {
      try {
        this.onFrame(data, isBinary);
      } catch (err) {
        // Nothing a client sends may take the process down.
        platform.log.error({ err, shopId: identity.shopId }, 'web chat: frame handling failed');
        this.sendError('INTERNAL', 'Something went wrong on our side; please try again.');
      }
    });
    ws.on('close', () => this.dispose());
    this.queue = this.start().catch((err: unknown) => {
      this.failed = true;
      platform.log.error({ err, shopId: identity.shopId }, 'web chat: could not load the conversation');
      this.close(1011, 'could not load the conversation');
    });
  }

  close(code: number, reason: string): void {
    this.dispose();
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close(code, reason);
    }
  }

  private dispose(): void {
    this.closed = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.buffer = null;
  }

  /** Sends the visitor's open conversation and follows it. */
  private async start(): Promise<void> {
    const { shopId, userId, verified } = this.identity;
    let open = await this.platform.store.conversations.findOpen(shopId, userId);
    // A verified customer opening the chat gets 猜你想问 from their orders (when the shop has any).
    if (!open && verified && (await this.platform.turns.open({ shopId, channel: 'web', userId, verified }))) {
      open = await this.platform.store.conversations.findOpen(shopId, userId);
    }
    if (!open) {
      this.send({ type: 'history', messages: [] });
      return;
    }
    this.buffer = [];
    try {
      await this.follow(open.id);
      const recent = await this.platform.store.conversations.recentMessages(shopId, open.id, HISTORY_LIMIT);
      for (const m of recent) this.remember(m.id);
      this.send({ type: 'history', messages: recent.map((m) => toWire(m)) });
    } finally {
      this.flushBuffer();
    }
  }

  /** Resolves once the subscription is live, so a read-back after it cannot miss a message. */
  private async follow(conversationId: string): Promise<void> {
    if (this.closed || this.conversationId === conversationId) return;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.conversationId = conversationId;
    const off = await this.platform.events.subscribe(
      topics.conversation(this.identity.shopId, conversationId),
      (event) => this.onEvent(event),
    );
    if (this.closed || this.conversationId !== conversationId) off();
    else this.unsubscribe = off;
  }

  private onEvent(event: unknown): void {
    const e = event as { type?: unknown; conversationId?: unknown; message?: StoredMessage } | null;
    if (!e || e.type !== 'message' || e.conversationId !== this.conversationId) return;
    const m = e.message;
    if (!m || typeof m.id !== 'string' || !['user', 'bot', 'agent'].includes(m.role)) return;
    if (this.buffer) this.buffer.push(m);
    else this.deliver(m);
  }

  private flushBuffer(): void {
    const buffered = this.buffer ?? [];
    this.buffer = null;
    for (const m of buffered) this.deliver(m);
  }

  private deliver(m: StoredMessage): void {
    if (this.sent.has(m.id)) return;
    this.remember(m.id);
    let clientId: string | undefined;
    const turn = this.inFlight;
    if (
      turn &&
      m.role === 'user' &&
      (turn.messageId === m.id || (!turn.messageId && isTurnMessage(turn, m)))
    ) {
      turn.messageId = m.id;
      clientId = turn.frame.id;
    }
    this.send({ type: 'message', message: toWire(m, clientId) });
  }

  private remember(id: string): void {
    this.sent.add(id);
    if (this.sent.size > MAX_REMEMBERED_IDS) {
      const oldest = this.sent.values().next().value;
      if (oldest !== undefined) this.sent.delete(oldest);
    }
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    this.alive = true;
    if (isBinary) return this.sendError('BAD_FRAME', 'Frames must be JSON text.');
    let raw: unknown;
    try {
      raw = JSON.parse(rawToString(data));
    } catch {
      return this.sendError('INVALID_JSON', 'The frame is not valid JSON.');
    }
    const parsed = clientFrameSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      return this.sendError('VALIDATION_FAILED', `${where}${issue?.message ?? 'invalid frame'}`);
    }
    const frame = parsed.data;
    if (frame.type === 'ping') return this.send({ type: 'pong' });

    const text = frame.text?.trim() || undefined;
    if (text && codePointLength(text) > MAX_TEXT_CODE_POINTS) {
      return this.sendError(
        'PAYLOAD_TOO_LARGE',
        `text is longer than ${MAX_TEXT_CODE_POINTS} characters`,
        frame.id,
      );
    }
    if (!text && !frame.payload) {
      return this.sendError('EMPTY_MESSAGE', 'A message needs text or a payload.', frame.id);
    }
    if (this.queued >= MAX_QUEUED_TURNS) {
      return this.sendError(
        'RATE_LIMITED',
        'Too many messages at once; wait for the replies.',
        frame.id,
        true,
      );
    }
    this.queued++;
    // One turn at a time per socket, so the visitor's messages are answered in the order sent.
    this.queue = this.queue
      .then(() => this.runTurn({ frame, text }))
      .catch((err: unknown) => {
        this.platform.log.error({ err, shopId: this.identity.shopId }, 'web chat: turn handling failed');
      })
      .finally(() => {
        this.queued--;
      });
  }

  private async runTurn(turn: InFlight): Promise<void> {
    // A socket closed after the frame arrived still runs its turn, so the answer is stored and
    // shows up in the history when the widget reconnects.
    if (this.failed) return;
    const { shopId, userId, verified, visitorId } = this.identity;
    const { frame } = turn;
    const inbound: InboundMessage = {
      shopId,
      channel: 'web',
      userId,
      verified,
      text: turn.text,
      payload: frame.payload,
      locale: frame.locale,
      dedupKey: `web:${visitorId}:${frame.id}`,
    };
    this.send({ type: 'typing', on: true });
    this.inFlight = turn;
    try {
      let result: TurnResult;
      try {
        result = await this.platform.turns.handle(inbound);
      } catch (err) {
        this.sendTurnError(err, frame.id);
        return;
      }
      await this.catchUp(result.conversationId, result.userMessageId, turn).catch((err: unknown) => {
        this.platform.log.warn({ err, shopId }, 'web chat: could not read the conversation back');
      });
      this.send({ type: 'ack', id: frame.id, ...(turn.messageId ? { messageId: turn.messageId } : {}) });
    } finally {
      this.inFlight = undefined;
      this.send({ type: 'typing', on: false });
    }
  }

  /** Follows the turn's conversation (new on a visitor's first message) and sends what this socket missed. */
  private async catchUp(conversationId: string, userMessageId: string, turn: InFlight): Promise<void> {
    if (this.closed) return;
    this.buffer = [];
    try {
      await this.follow(conversationId);
      const recent = await this.platform.store.conversations.recentMessages(
        this.identity.shopId,
        conversationId,
        HISTORY_LIMIT,
      );
      // A resent frame ran nothing new: the result names the user message of the first run.
      turn.messageId ??= userMessageId;
      for (const m of recent) this.deliver(m);
    } finally {
      this.flushBuffer();
    }
  }

  private sendTurnError(err: unknown, id: string): void {
    const log = this.platform.log;
    if (isKefuError(err) && err.status < 500) {
      log.debug({ code: err.code, shopId: this.identity.shopId }, 'web chat: turn refused');
      this.sendError(err.code, err.message, id, err.retryable);
    } else if (isKefuError(err) && err.retryable) {
      log.warn({ err, shopId: this.identity.shopId }, 'web chat: turn unavailable');
      this.sendError(err.code, err.message, id, true);
    } else {
      log.error({ err, shopId: this.identity.shopId }, 'web chat: turn failed');
      this.sendError('INTERNAL', 'Something went wrong on our side; please try again.', id, true);
    }
  }

  private sendError(code: string, message: string, id?: string, retryable?: boolean): void {
    this.send({
      type: 'error',
      code,
      message,
      ...(id ? { id } : {}),
      ...(retryable !== undefined ? { retryable } : {}),
    });
  }

  private send(frame: ServerFrame): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.platform.log.warn(
        { shopId: this.identity.shopId },
        'web chat: client is not reading; dropping it',
      );
      this.ws.terminate();
      return;
    }
    this.ws.send(JSON.stringify(frame));
  }
}

function isTurnMessage(turn: InFlight, m: StoredMessage): boolean {
  return (
    m.role === 'user' &&
    (m.text ?? '') === (turn.text ?? '') &&
    (m.payload ?? '') === (turn.frame.payload ?? '')
  );
}

/** What the widget may see of a stored message: never the NLU or timings. */
export function toWire(m: StoredMessage, clientId?: string): WireMessage {
  return {
    id: m.id,
    role: m.role,
    text: m.text ?? '',
    ...(m.quickReplies?.length ? { quickReplies: m.quickReplies } : {}),
    ...(m.card ? { card: m.card } : {}),
    createdAt: m.createdAt,
    ...(clientId ? { clientId } : {}),
  };
}

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

import { WebSocket, type RawData } from 'ws';
import { checkTextLength } from '../../bot/activity';
import { isKefuError } from '../../bot/errors';
import { ConversationFollower } from '../../bot/follower';
import { newId } from '../../bot/ids';
import type { Platform } from '../../bot/platform';
import type { StoredMessage } from '../../bot/store/conversations.repo';
import type { InboundMessage, TurnResult } from '../../bot/turn';
import { type ClientMessageFrame, type ServerFrame, type WireMessage, clientFrameSchema } from './protocol';

export const HISTORY_LIMIT = 50;
/** Frames a socket may have waiting for their turn; more is a client misbehaving. */
const MAX_QUEUED_TURNS = 10;
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
  /** The id the turn's user message is stored under (chosen here, or the first run's on a resend). */
  messageId: string;
}

/**
 * One widget's socket. Bot and agent messages reach it through a ConversationFollower (live
 * over the event bus, and read back after each turn so nothing published before the
 * subscription is lost); the widget's own message comes back tagged with its frame id.
 */
export class WebConnection {
  alive = true;
  /** When the visitor last sent a message; keep-alive pings do not count, so an open idle tab ages. */
  lastMessageAt = Date.now();
  private readonly follower: ConversationFollower;
  private inFlight?: InFlight;
  private queue: Promise<void>;
  private queued = 0;
  private failed = false;

  constructor(
    readonly ws: WebSocket,
    private readonly platform: Platform,
    private readonly identity: WebIdentity,
  ) {
    this.follower = new ConversationFollower(platform, identity.shopId, (m) => this.deliver(m));
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
    ws.on('close', () => this.follower.close());
    this.queue = this.start().catch((err: unknown) => {
      this.failed = true;
      platform.log.error({ err, shopId: identity.shopId }, 'web chat: could not load the conversation');
      this.close(1011, 'could not load the conversation');
    });
  }

  close(code: number, reason: string): void {
    this.follower.close();
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close(code, reason);
    }
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
    await this.follower.follow(open.id, { recent: HISTORY_LIMIT }, (recent) =>
      this.send({ type: 'history', messages: recent.map((m) => toWire(m)) }),
    );
  }

  private deliver(m: StoredMessage): void {
    const turn = this.inFlight;
    const clientId = turn && m.role === 'user' && m.id === turn.messageId ? turn.frame.id : undefined;
    this.send({ type: 'message', message: toWire(m, clientId) });
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
    this.lastMessageAt = Date.now();

    const text = frame.text?.trim() || undefined;
    try {
      checkTextLength(text);
    } catch (err) {
      if (!isKefuError(err)) throw err;
      return this.sendError(err.code, err.message, frame.id);
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
      .then(() => this.runTurn({ frame, text, messageId: newId('m') }))
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
      messageId: turn.messageId,
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
      // A resent frame ran nothing new: the result names the user message of the first run.
      turn.messageId = result.userMessageId;
      // Follow the turn's conversation (new on a visitor's first message) and send what this socket missed.
      await this.follower
        .follow(result.conversationId)
        .then(() => this.follower.catchUp(HISTORY_LIMIT))
        .catch((err: unknown) => {
          this.platform.log.warn({ err, shopId }, 'web chat: could not read the conversation back');
        });
      await this.follower.idle();
      this.send({ type: 'ack', id: frame.id, messageId: turn.messageId });
    } finally {
      this.inFlight = undefined;
      this.send({ type: 'typing', on: false });
    }
  }

  private sendTurnError(err: unknown, id: string): void {
    const log = this.platform.log;
    if (isKefuError(err) && err.status < 500) {
      log.debug({ code: err.code, shopId: this.identity.shopId }, 'web chat: turn refused');
      this.sendError(err.code, err.message, id, err.retryable, err.retryAfterSeconds);
    } else if (isKefuError(err) && err.retryable) {
      log.warn({ err, shopId: this.identity.shopId }, 'web chat: turn unavailable');
      this.sendError(err.code, err.message, id, true);
    } else {
      log.error({ err, shopId: this.identity.shopId }, 'web chat: turn failed');
      this.sendError('INTERNAL', 'Something went wrong on our side; please try again.', id, true);
    }
  }

  private sendError(
    code: string,
    message: string,
    id?: string,
    retryable?: boolean,
    retryAfter?: number,
  ): void {
    this.send({
      type: 'error',
      code,
      message,
      ...(id ? { id } : {}),
      ...(retryable !== undefined ? { retryable } : {}),
      ...(retryAfter !== undefined ? { retryAfter } : {}),
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

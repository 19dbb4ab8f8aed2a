/**
 * A small typed client for Kefu's app channel (HTTP API v1, "Messages"): send a customer's
 * message, read the conversation's history, and follow it live over Server-Sent Events.
 *
 * No dependencies and no `node:` imports: it runs in Node ≥ 20 and in browsers (fetch,
 * AbortController, ReadableStream, TextDecoder). The wire types are declared here so a program
 * can use the client without importing server code; client.test.ts checks that they match the
 * server's types and its real responses.
 */

// ---------------------------------------------------------------------------------------------
// Wire types (keep in sync with bot/activity.ts, bot/turn.ts TurnResult, channels/app/protocol.ts)
// ---------------------------------------------------------------------------------------------

export interface KefuQuickReply {
  title: string;
  payload: string;
}

export interface KefuCard {
  title: string;
  subtitle?: string;
  fields?: { label: string; value: string }[];
  buttons?: KefuQuickReply[];
}

export interface KefuReply {
  text: string;
  quickReplies?: KefuQuickReply[];
  card?: KefuCard;
}

export interface KefuNluSummary {
  intent: string | null;
  confidence: number;
  entities: { type: string; value: string }[];
}

/** The answer to POST /api/v1/shops/:shopId/messages. */
export interface KefuTurnResult {
  conversationId: string;
  /** The stored user message (for paging history with `after`, or resuming a stream). */
  userMessageId: string;
  replies: KefuReply[];
  nlu: KefuNluSummary | null;
  handoff: 'none' | 'queued' | 'agent';
  /** Assist mode: the bot's answer waits as this draft for an agent's approval. */
  draftId?: string;
}

export type KefuRole = 'user' | 'bot' | 'agent';

/** A stored message, as history and the event stream return it. */
export interface KefuMessage {
  id: string;
  role: KefuRole;
  text: string | null;
  payload?: string;
  quickReplies?: KefuQuickReply[];
  card?: KefuCard;
  nlu?: unknown;
  latencyMs?: number;
  createdAt: string;
}

export interface KefuHistory {
  conversationId: string;
  messages: KefuMessage[];
}

/** The body of POST /api/v1/shops/:shopId/messages. */
export interface KefuPostMessageBody {
  userId: string;
  userHash?: string;
  text?: string;
  payload?: string;
  locale?: string;
  clientMessageId?: string;
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/**
 * Every failure the client reports. `status` is the HTTP status, or 0 when no answer came
 * (code NETWORK_ERROR, TIMEOUT, ABORTED) or the answer was unreadable (INVALID_RESPONSE).
 * `code` and `message` come from the API's error body when it sent one.
 */
export class KefuApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    /** From a `Retry-After` header, in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'KefuApiError';
  }
}

/** Statuses worth a retry: the server may succeed the next time (a retried send never runs twice). */
function isRetryableStatus(status: number, code: string): boolean {
  if (status === 408 || status === 425 || status === 429) return true;
  if (status === 409) return code === 'STATE_VERSION_CONFLICT';
  return status >= 500 && status !== 501;
}

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

export type KefuAuth =
  /** A shop's backend: its API key; sends name the customer (`userId` here or per send). */
  | { apiKey: string; userId?: string }
  /** A shop's page or app, for its own customer; without `userHash` the customer is anonymous. */
  | { userId: string; userHash?: string };

export interface KefuRetryOptions {
  /** Retries after the first attempt (default 3). */
  retries?: number;
  /** First backoff delay (default 250 ms), doubled each retry. */
  minDelayMs?: number;
  /** Longest wait between attempts (default 10 s); a longer Retry-After gives up instead. */
  maxDelayMs?: number;
}

export interface KefuClientOptions {
  /** Where Kefu runs, e.g. `https://kefu.example.com` (a path prefix is kept). */
  baseUrl: string;
  shopId: string;
  auth: KefuAuth;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** Per request (default 15 s); for a stream, until its response headers arrive. */
  timeoutMs?: number;
  retry?: KefuRetryOptions;
}

export interface KefuSendInput {
  text?: string;
  payload?: string;
  locale?: string;
  /** Generated when absent; every retry of this send repeats it, so the turn runs once. */
  clientMessageId?: string;
  /** With API-key auth: the customer this message is from (default `auth.userId`). */
  userId?: string;
  signal?: AbortSignal;
}

export interface KefuStreamOptions {
  /** Every new stored message of the conversation (user, bot and agent), once and in order. */
  onMessage: (message: KefuMessage) => void;
  /** Each failure; `err.retryable` says whether the stream reconnects or has stopped. */
  onError?: (err: KefuApiError) => void;
  /** Each time the stream is (re)connected. */
  onOpen?: () => void;
  /**
   * Resume after this message id (e.g. a TurnResult's `userMessageId`: the stream then starts
   * with that turn's replies). Default: after the conversation's latest message.
   */
  lastEventId?: string;
  /** First reconnect delay; default the server's `retry:` field, else 1 s. Doubles up to `maxDelayMs`. */
  reconnectDelayMs?: number;
  /** Longest reconnect delay (default 30 s). */
  maxReconnectDelayMs?: number;
  /** No bytes for this long (the server sends a keep-alive every 15 s) → reconnect. Default 45 s. */
  idleTimeoutMs?: number;
}

export interface KefuStream {
  close(): void;
  /** The id of the last message delivered (what a reconnect sends as Last-Event-ID). */
  readonly lastEventId: string | undefined;
}

export interface KefuClient {
  send(input: KefuSendInput): Promise<KefuTurnResult>;
  history(conversationId: string, opts?: { after?: string; signal?: AbortSignal }): Promise<KefuHistory>;
  stream(conversationId: string, opts: KefuStreamOptions): KefuStream;
}

// ---------------------------------------------------------------------------------------------
// Response checks (the client trusts no payload it did not check)
// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
const isString = (v: unknown): v is string => typeof v === 'string';
const optional = (v: unknown, check: (x: unknown) => boolean) => v === undefined || check(v);

function isQuickReply(v: unknown): boolean {
  return isObject(v) && isString(v.title) && isString(v.payload);
}
function isCard(v: unknown): boolean {
  return (
    isObject(v) &&
    isString(v.title) &&
    optional(v.subtitle, isString) &&
    optional(
      v.fields,
      (f) => Array.isArray(f) && f.every((x) => isObject(x) && isString(x.label) && isString(x.value)),
    ) &&
    optional(v.buttons, (b) => Array.isArray(b) && b.every(isQuickReply))
  );
}
function isReply(v: unknown): boolean {
  return (
    isObject(v) &&
    isString(v.text) &&
    optional(v.quickReplies, (q) => Array.isArray(q) && q.every(isQuickReply)) &&
    optional(v.card, isCard)
  );
}
function isNlu(v: unknown): boolean {
  return (
    v === null ||
    (isObject(v) &&
      (v.intent === null || isString(v.intent)) &&
      typeof v.confidence === 'number' &&
      Array.isArray(v.entities) &&
      v.entities.every((e) => isObject(e) && isString(e.type) && isString(e.value)))
  );
}

export function isTurnResult(v: unknown): v is KefuTurnResult {
  return (
    isObject(v) &&
    isString(v.conversationId) &&
    isString(v.userMessageId) &&
    Array.isArray(v.replies) &&
    v.replies.every(isReply) &&
    isNlu(v.nlu) &&
    (v.handoff === 'none' || v.handoff === 'queued' || v.handoff === 'agent') &&
    optional(v.draftId, isString)
  );
}

export function isMessage(v: unknown): v is KefuMessage {
  return (
    isObject(v) &&
    isString(v.id) &&
    v.id.length > 0 &&
    (v.role === 'user' || v.role === 'bot' || v.role === 'agent') &&
    (v.text === null || isString(v.text)) &&
    optional(v.payload, isString) &&
    optional(v.quickReplies, (q) => Array.isArray(q) && q.every(isQuickReply)) &&
    optional(v.card, isCard) &&
    optional(v.latencyMs, (n) => typeof n === 'number') &&
    isString(v.createdAt)
  );
}

function isHistory(v: unknown): v is KefuHistory {
  return (
    isObject(v) && isString(v.conversationId) && Array.isArray(v.messages) && v.messages.every(isMessage)
  );
}

// ---------------------------------------------------------------------------------------------
// Server-Sent Events wire format (https://html.spec.whatwg.org/multipage/server-sent-events.html)
// ---------------------------------------------------------------------------------------------

export interface SseEvent {
  /** The `event:` field; "message" when absent. */
  event: string;
  data: string;
  /** The last event id as of this event (the `id:` field persists until changed). */
  id: string;
}

/**
 * An incremental SSE parser: feed it decoded text in chunks of any size; it calls `onEvent` for
 * each complete event and `onRetry` for a valid `retry:` field. An event the stream ends in the
 * middle of is never dispatched.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private eventType = '';
  private lastId = '';
  private started = false;
  /** A chunk ended in "\r": a "\n" starting the next chunk belongs to the same line break. */
  private pendingCr = false;

  constructor(
    private readonly onEvent: (e: SseEvent) => void,
    private readonly onRetry: (ms: number) => void = () => undefined,
  ) {}

  feed(chunk: string): void {
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const line = this.buffer.slice(start, i);
      if (c === 13) {
        if (i + 1 < this.buffer.length) {
          if (this.buffer.charCodeAt(i + 1) === 10) i++;
        } else {
          this.pendingCr = true;
        }
      }
      start = i + 1;
      this.line(line);
    }
    this.buffer = this.buffer.slice(start);
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.onRetry(Number(value));
        break;
      default:
      // Unknown fields are ignored.
    }
  }

  private dispatch(): void {
    const data = this.data;
    const event = this.eventType || 'message';
    this.data = [];
    this.eventType = '';
    if (data.length === 0) return;
    this.onEvent({ event, data: data.join('\n'), id: this.lastId });
  }
}

// ---------------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------------

const DEFAULT_TIMEOUT_MS = 15_000;
const MAX_HISTORY_PAGES = 100;

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^[0-9]+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function randomId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const abortedError = () => new KefuApiError(0, 'ABORTED', 'The request was aborted.', false);

/** Half to all of the delay, so many clients that failed together do not retry together. */
function jitter(ms: number): number {
  return ms / 2 + Math.random() * (ms / 2);
}

/** The API's error for a non-2xx answer: code and message from its `{"error": {...}}` body. */
async function errorFrom(res: Response): Promise<KefuApiError> {
  let code = `HTTP_${res.status}`;
  let message = `HTTP ${res.status}`;
  try {
    const body: unknown = JSON.parse(await res.text());
    if (isObject(body) && isObject(body.error)) {
      if (isString(body.error.code)) code = body.error.code;
      if (isString(body.error.message)) message = body.error.message;
    }
  } catch {
    // Not the API's JSON (a proxy's error page): keep the status.
  }
  return new KefuApiError(
    res.status,
    code,
    message,
    isRetryableStatus(res.status, code),
    parseRetryAfter(res.headers.get('retry-after')),
  );
}

export function createKefuClient(options: KefuClientOptions): KefuClient {
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const retries = options.retry?.retries ?? 3;
  const minDelayMs = options.retry?.minDelayMs ?? 250;
  const maxDelayMs = options.retry?.maxDelayMs ?? 10_000;
  const base = options.baseUrl.replace(/\/+$/, '');
  const shopPath = `${base}/api/v1/shops/${encodeURIComponent(options.shopId)}`;
  const { auth } = options;

  function conversationUrl(conversationId: string, tail: string, query: Record<string, string | undefined>) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, v);
    if (!('apiKey' in auth)) {
      params.set('userId', auth.userId);
      if (auth.userHash !== undefined) params.set('userHash', auth.userHash);
    }
    const qs = params.toString();
    return `${shopPath}/conversations/${encodeURIComponent(conversationId)}/${tail}${qs ? `?${qs}` : ''}`;
  }

  function authHeaders(): Record<string, string> {
    return 'apiKey' in auth ? { authorization: `Bearer ${auth.apiKey}` } : {};
  }

  /**
   * One attempt: a fetch whose headers and body must arrive within the timeout. Resolves with the
   * open response (the caller reads it) or rejects with a KefuApiError.
   */
  async function attempt<T>(
    url: string,
    init: RequestInit,
    read: (res: Response) => Promise<T>,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    if (signal?.aborted) throw abortedError();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await doFetch(url, { ...init, signal: controller.signal });
      if (!res.ok) throw await errorFrom(res);
      return await read(res);
    } catch (err) {
      if (err instanceof KefuApiError) throw err;
      if (timedOut) throw new KefuApiError(0, 'TIMEOUT', `No answer within ${timeoutMs} ms.`, true);
      if (signal?.aborted) throw abortedError();
      const detail = err instanceof Error ? err.message : String(err);
      throw new KefuApiError(0, 'NETWORK_ERROR', `The request failed: ${detail}`, true);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Attempts with backoff while the failure is retryable (honouring Retry-After). */
  async function withRetries<T>(run: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    for (let n = 0; ; n++) {
      try {
        return await run();
      } catch (err) {
        if (!(err instanceof KefuApiError) || !err.retryable || n >= retries) throw err;
        const backoff = Math.min(maxDelayMs, minDelayMs * 2 ** n);
        const wait = err.retryAfterMs !== undefined ? err.retryAfterMs : jitter(backoff);
        if (wait > maxDelayMs) throw err;
        await sleep(wait, signal);
      }
    }
  }

  async function readJson<T>(res: Response, check: (v: unknown) => v is T, what: string): Promise<T> {
    let body: unknown;
    try {
      body = JSON.parse(await res.text());
    } catch {
      throw new KefuApiError(0, 'INVALID_RESPONSE', `The ${what} is not JSON.`, false);
    }
    if (!check(body))
      throw new KefuApiError(0, 'INVALID_RESPONSE', `The ${what} has an unexpected shape.`, false);
    return body;
  }

  async function send(input: KefuSendInput): Promise<KefuTurnResult> {
    const userId = input.userId ?? auth.userId;
    if (!userId) {
      throw new KefuApiError(
        0,
        'USER_ID_REQUIRED',
        'Name the customer: send({ userId }) or auth.userId.',
        false,
      );
    }
    const body: KefuPostMessageBody = {
      userId,
      ...('userHash' in auth && auth.userHash !== undefined && userId === auth.userId
        ? { userHash: auth.userHash }
        : {}),
      ...(input.text !== undefined ? { text: input.text } : {}),
      ...(input.payload !== undefined ? { payload: input.payload } : {}),
      ...(input.locale !== undefined ? { locale: input.locale } : {}),
      clientMessageId: input.clientMessageId ?? randomId(),
    };
    const init: RequestInit = {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    };
    return withRetries(
      () =>
        attempt(
          `${shopPath}/messages`,
          init,
          (res) => readJson(res, isTurnResult, 'turn result'),
          input.signal,
        ),
      input.signal,
    );
  }

  async function history(
    conversationId: string,
    opts: { after?: string; signal?: AbortSignal } = {},
  ): Promise<KefuHistory> {
    const url = conversationUrl(conversationId, 'messages', { after: opts.after });
    const init: RequestInit = { method: 'GET', headers: { ...authHeaders(), accept: 'application/json' } };
    return withRetries(
      () => attempt(url, init, (res) => readJson(res, isHistory, 'history'), opts.signal),
      opts.signal,
    );
  }

  /** The conversation's latest message id (undefined when it has none yet). */
  async function latestMessageId(conversationId: string, signal: AbortSignal): Promise<string | undefined> {
    let after: string | undefined;
    for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
      const { messages } = await history(conversationId, { after, signal });
      const last = messages.at(-1);
      if (!last) break;
      after = last.id;
    }
    return after;
  }

  function stream(conversationId: string, opts: KefuStreamOptions): KefuStream {
    const controller = new AbortController();
    const { signal } = controller;
    let cursor = opts.lastEventId;
    let serverRetryMs: number | undefined;
    let failures = 0;
    let closed = false;
    // The ids delivered lately: a message is never handed over twice, whatever a server resends.
    const delivered = new Set<string>();
    const remember = (id: string) => {
      delivered.add(id);
      if (delivered.size > 1000) delivered.delete(delivered.values().next().value as string);
    };

    const report = (err: KefuApiError) => {
      if (closed) return;
      try {
        opts.onError?.(err);
      } catch {
        // A failing handler must not stop the stream.
      }
    };

    const deliver = (message: KefuMessage) => {
      if (closed || delivered.has(message.id)) return;
      remember(message.id);
      cursor = message.id;
      try {
        opts.onMessage(message);
      } catch (err) {
        // The message counts as delivered: a handler bug must not replay it or break the stream.
        const detail = err instanceof Error ? err.message : String(err);
        report(new KefuApiError(0, 'HANDLER_FAILED', `onMessage threw: ${detail}`, true));
      }
    };

    /** Catches up by history when the stream has no cursor to resume from (the conversation was empty). */
    async function catchUpWithoutCursor(): Promise<void> {
      let after: string | undefined;
      for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
        const { messages } = await history(conversationId, { after, signal });
        if (messages.length === 0) break;
        for (const m of messages) deliver(m);
        after = messages.at(-1)?.id;
      }
    }

    /** One connection: resolves when the server ends the stream, rejects with a KefuApiError. */
    async function connectOnce(): Promise<void> {
      const headers: Record<string, string> = { ...authHeaders(), accept: 'text/event-stream' };
      if (cursor !== undefined) headers['last-event-id'] = cursor;
      const connection = new AbortController();
      const onAbort = () => connection.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      let idle: ReturnType<typeof setTimeout> | undefined;
      let idleExpired = false;
      const idleMs = opts.idleTimeoutMs ?? 45_000;
      const armIdle = () => {
        if (idle) clearTimeout(idle);
        idle = setTimeout(() => {
          idleExpired = true;
          connection.abort();
        }, idleMs);
      };
      try {
        const res = await attempt(
          conversationUrl(conversationId, 'events', {}),
          { method: 'GET', headers },
          async (r) => r,
          connection.signal,
        );
        const type = res.headers.get('content-type') ?? '';
        if (!type.toLowerCase().startsWith('text/event-stream') || !res.body) {
          throw new KefuApiError(
            0,
            'INVALID_RESPONSE',
            'The events endpoint did not answer with an event stream.',
            false,
          );
        }
        failures = 0;
        if (!closed) opts.onOpen?.();
        const parser = new SseParser(
          (e) => {
            if (e.event !== 'message') return;
            let message: unknown;
            try {
              message = JSON.parse(e.data);
            } catch {
              message = undefined;
            }
            if (!isMessage(message)) {
              report(new KefuApiError(0, 'INVALID_RESPONSE', 'An event is not a message.', true));
              return;
            }
            deliver(message);
          },
          (ms) => {
            serverRetryMs = ms;
          },
        );
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        armIdle();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          armIdle();
          parser.feed(decoder.decode(value, { stream: true }));
        }
        parser.feed(decoder.decode());
      } catch (err) {
        if (err instanceof KefuApiError) throw err;
        if (idleExpired)
          throw new KefuApiError(0, 'TIMEOUT', `The stream was silent for ${idleMs} ms.`, true);
        const detail = err instanceof Error ? err.message : String(err);
        throw new KefuApiError(0, 'NETWORK_ERROR', `The stream broke: ${detail}`, true);
      } finally {
        if (idle) clearTimeout(idle);
        signal.removeEventListener('abort', onAbort);
        connection.abort();
      }
    }

    async function run(): Promise<void> {
      let first = true;
      while (!closed) {
        try {
          if (first && cursor === undefined) cursor = await latestMessageId(conversationId, signal);
          else if (!first && cursor === undefined) await catchUpWithoutCursor();
          first = false;
          await connectOnce();
          if (closed) return;
          report(new KefuApiError(0, 'STREAM_ENDED', 'The server ended the stream; reconnecting.', true));
        } catch (err) {
          if (closed) return;
          const e =
            err instanceof KefuApiError
              ? err
              : new KefuApiError(0, 'NETWORK_ERROR', err instanceof Error ? err.message : String(err), true);
          if (!e.retryable) {
            report(e);
            closed = true;
            controller.abort();
            return;
          }
          report(e);
        }
        failures++;
        const baseMs = opts.reconnectDelayMs ?? serverRetryMs ?? 1000;
        const capMs = opts.maxReconnectDelayMs ?? 30_000;
        const backoff = Math.min(capMs, baseMs * 2 ** Math.max(0, failures - 1));
        try {
          await sleep(jitter(backoff), signal);
        } catch {
          return;
        }
      }
    }

    void run();
    return {
      close() {
        closed = true;
        controller.abort();
      },
      get lastEventId() {
        return cursor;
      },
    };
  }

  return { send, history, stream };
}

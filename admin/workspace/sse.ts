/**
 * Server-Sent Events read with fetch(), because EventSource cannot send an Authorization header.
 * The parser follows the HTML standard's event-stream rules: `field: value` lines, `:` comments,
 * a blank line dispatches, several `data:` lines join with "\n", and CR, LF or CRLF end a line.
 */

export interface SseEvent {
  /** `message` when the event names no type. */
  event: string;
  data: string;
  /** The last event id seen on the stream, if any. */
  id?: string;
}

export class SseParser {
  private buffer = '';
  private pendingCR = false;
  private event = '';
  private data: string[] = [];
  private lastId?: string;
  /** A `retry:` field the server sent (reconnect delay in ms). */
  retryMs?: number;

  /** Feeds a decoded chunk; returns the events it completed. */
  push(chunk: string): SseEvent[] {
    const out: SseEvent[] = [];
    let text = chunk;
    // A CR at the end of the previous chunk may be the first half of a CRLF.
    if (this.pendingCR) {
      this.pendingCR = false;
      if (text.startsWith('\n')) text = text.slice(1);
    }
    this.buffer += text;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      this.line(this.buffer.slice(start, i), out);
      if (c === '\r') {
        if (i + 1 === this.buffer.length) this.pendingCR = true;
        else if (this.buffer[i + 1] === '\n') i++;
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === '') {
      this.dispatch(out);
      return;
    }
    if (line.startsWith(':')) return; // a comment: keep-alives look like this
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.event = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
  }

  private dispatch(out: SseEvent[]): void {
    const event = this.event || 'message';
    const data = this.data;
    this.event = '';
    this.data = [];
    // An event without data lines is not dispatched.
    if (data.length === 0) return;
    out.push({ event, data: data.join('\n'), ...(this.lastId !== undefined ? { id: this.lastId } : {}) });
  }
}

export class StreamHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'StreamHttpError';
  }
}

export interface ReadStreamOptions {
  url: string;
  headers: Record<string, string>;
  signal: AbortSignal;
  /** The response was a 200 event stream: the connection is up. */
  onOpen(): void;
  onEvent(event: SseEvent): void;
  /** Any bytes arrived (events or keep-alive comments). */
  onActivity?(): void;
}

/**
 * Reads one event stream until it ends (resolves) or fails (rejects: network error, abort, or a
 * non-200 answer as a StreamHttpError carrying the API's error code and message).
 */
export async function readEventStream(opts: ReadStreamOptions): Promise<void> {
  const res = await fetch(opts.url, {
    headers: { Accept: 'text/event-stream', ...opts.headers },
    signal: opts.signal,
    cache: 'no-store',
    credentials: 'omit',
  });
  if (!res.ok || !res.body) {
    let code = 'HTTP_' + res.status;
    let message = '';
    try {
      const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
      if (typeof body.error?.code === 'string') code = body.error.code;
      if (typeof body.error?.message === 'string') message = body.error.message;
    } catch {
      // Not a JSON error body (a proxy's page): the status says enough.
    }
    throw new StreamHttpError(res.status, code, message);
  }
  opts.onOpen();
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      opts.onActivity?.();
      for (const event of parser.push(decoder.decode(value, { stream: true }))) opts.onEvent(event);
    }
    // An event not closed by a blank line when the stream ends is discarded, as EventSource does.
    parser.push(decoder.decode());
  } finally {
    // Closes the connection when an event handler threw; a no-op once the stream has ended.
    reader.cancel().catch(() => undefined);
  }
}

import fc from 'fast-check';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { clientFrameSchema } from '../../channels/web/protocol';
import { malformedPayload } from '../../channels/mqtt/test-device';
import { type JsonSchema, enc, malformedQuery, malformedSegment, mutatedBody } from './json-schema.arbitrary';

/** What the server did with one frame: an error frame's code, a pong, or a close code. */
export type FrameOutcome = string;

/** A web chat socket for the fuzz: sends one frame at a time and waits for what the server does. */
export class FuzzSocket {
  private events: FrameOutcome[] = [];
  private wake?: () => void;
  closed = false;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      let frame: { type?: string; code?: string } = {};
      try {
        frame = JSON.parse(data.toString()) as typeof frame;
      } catch {
        frame = { type: 'not-json' };
      }
      this.push(frame.type === 'error' ? `error:${frame.code}` : String(frame.type));
    });
    ws.on('close', (code) => {
      this.closed = true;
      this.push(`close:${code}`);
    });
    ws.on('error', () => undefined);
  }

  private push(event: FrameOutcome): void {
    this.events.push(event);
    this.wake?.();
  }

  static async open(url: string): Promise<FuzzSocket> {
    const socket = new FuzzSocket(new WebSocket(url));
    const first = await socket.next(10_000);
    if (first !== 'history') throw new Error(`expected the history frame, got ${first}`);
    return socket;
  }

  /** The next thing the server did, or 'no-answer' after the timeout. */
  async next(timeoutMs = 5_000): Promise<FrameOutcome> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) return 'no-answer';
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.events.shift()!;
  }

  terminate(): void {
    this.ws.terminate();
  }
}

/** What the server could make of a text frame: only frames it must refuse (or a ping) are sent. */
function refusedOrPing(text: string): boolean {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return true;
  }
  const parsed = clientFrameSchema.safeParse(json);
  if (!parsed.success || parsed.data.type === 'ping') return true;
  const trimmed = parsed.data.text?.trim();
  if (!trimmed && !parsed.data.payload) return true;
  return [...(trimmed ?? '')].length > 2000;
}

const frameSchema = z.toJSONSchema(clientFrameSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
const noRefs = () => undefined;

/** One payload for the WebSocket: a frame on an open socket, or a handshake with a bad URL. */
export type SocketCase =
  | { kind: 'text'; text: string }
  | { kind: 'bad-utf8'; bytes: Buffer }
  | { kind: 'binary'; bytes: Buffer }
  | { kind: 'oversized'; text: string }
  | { kind: 'handshake'; segment: string; query: string };

export const socketCases: fc.Arbitrary<SocketCase> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .oneof(
        mutatedBody(frameSchema, noRefs).map((b) => b.text),
        malformedPayload,
        fc.string({ maxLength: 200 }),
        fc.constantFrom(
          '',
          '{}',
          '[]',
          'null',
          '{"type":"ping"}',
          '{"type":"message","id":"a","text":"   "}',
          '{"type":"message","id":"a b","text":"hi"}',
          '{"type":"message","id":"a","payload":""}',
          '{"type":"message","id":"a","text":"\\u0000"}',
          '{"__proto__":{"type":"message"}}',
          `{"type":"message","id":"a","text":"${'长'.repeat(2001)}"}`,
        ),
      )
      .filter(refusedOrPing)
      .map((text) => ({ kind: 'text' as const, text })),
  },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ minLength: 1, maxLength: 200 })
      .map((b) => ({ kind: 'binary' as const, bytes: Buffer.from(b) })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom([0xff], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xe0, 0xa4])
      .map((bad) => ({ kind: 'bad-utf8' as const, bytes: Buffer.from([0x7b, ...bad, 0x7d]) })),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 16 * 1024 + 1, max: 200_000 }).map((n) => ({
      kind: 'oversized' as const,
      text: `{"type":"message","id":"a","text":"${'x'.repeat(n)}"}`,
    })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.oneof(fc.constant('SHOP'), malformedSegment),
        fc.oneof(
          malformedQuery(['visitorId', 'userId', 'userHash']),
          fc.string({ maxLength: 70 }).map((v) => `visitorId=${enc(v)}`),
          fc.constant('visitorId=abcdefgh12&userId=c-1001&userHash=00'),
        ),
      )
      .map(([segment, query]) => ({ kind: 'handshake' as const, segment, query })),
  },
);

/** A handshake with a malformed URL: how it ended (a close code, a refused upgrade, or an opened socket). */
export async function handshake(url: string): Promise<FrameOutcome> {
  return new Promise((resolve) => {
    let ws: WebSocket;
    try {
      ws = new WebSocket(url);
    } catch {
      return resolve('client-error');
    }
    const done = (outcome: FrameOutcome) => {
      clearTimeout(timer);
      ws.terminate();
      resolve(outcome);
    };
    const timer = setTimeout(() => done('no-answer'), 10_000);
    ws.on('unexpected-response', (_req, res) => done(`http:${res.statusCode}`));
    ws.on('message', (data) =>
      done(`opened:${String((JSON.parse(data.toString()) as { type?: string }).type)}`),
    );
    ws.on('close', (code) => done(`close:${code}`));
    ws.on('error', () => done('refused'));
  });
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SseParser, type SseEvent, StreamHttpError, readEventStream } from './sse';

describe('SseParser', () => {
  test('events, comments, several data lines, ids and the default type', () => {
    const p = new SseParser();
    const events = p.push(
      ': keep-alive\n\nevent: handoff\nid: 7\ndata: {"id":"h-1"}\n\ndata: a\ndata: b\n\nevent: x\n\n',
    );
    expect(events).toEqual([
      { event: 'handoff', data: '{"id":"h-1"}', id: '7' },
      // The id carries over; an event with no data lines is not dispatched.
      { event: 'message', data: 'a\nb', id: '7' },
    ]);
  });

  test('chunks split anywhere, CRLF and CR line ends, one optional space after the colon', () => {
    const text = 'event: draft\r\ndata:  two spaces\r\rdata:no space\r\n\r\n';
    const whole = new SseParser().push(text);
    expect(whole).toEqual([
      { event: 'draft', data: ' two spaces' },
      { event: 'message', data: 'no space' },
    ]);
    for (let cut = 1; cut < text.length; cut++) {
      const p = new SseParser();
      expect([...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))]).toEqual(whole);
    }
    const p = new SseParser();
    const byChar = [...text].flatMap((c) => p.push(c));
    expect(byChar).toEqual(whole);
  });

  test('an event not ended by a blank line waits for it; retry is read', () => {
    const p = new SseParser();
    expect(p.push('retry: 3000\nevent: ticket\ndata: {}')).toEqual([]);
    expect(p.retryMs).toBe(3000);
    expect(p.push('\n\n')).toEqual([{ event: 'ticket', data: '{}' }]);
  });
});

describe('readEventStream', () => {
  let server: http.Server;
  let url: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.headers.authorization !== 'Bearer t') {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"error":{"code":"UNAUTHORIZED","message":"Invalid agent token."}}');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': hi\n\nevent: handoff\ndata: {"id":"h');
      setTimeout(() => res.end('-1"}\n\n'), 20);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('reads events until the stream ends', async () => {
    const events: SseEvent[] = [];
    let opened = false;
    await readEventStream({
      url,
      headers: { Authorization: 'Bearer t' },
      signal: new AbortController().signal,
      onOpen: () => (opened = true),
      onEvent: (e) => events.push(e),
    });
    expect(opened).toBe(true);
    expect(events).toEqual([{ event: 'handoff', data: '{"id":"h-1"}' }]);
  });

  test("a refused stream rejects with the API's code and message", async () => {
    const failed = readEventStream({
      url,
      headers: { Authorization: 'Bearer wrong' },
      signal: new AbortController().signal,
      onOpen: () => undefined,
      onEvent: () => undefined,
    });
    await expect(failed).rejects.toBeInstanceOf(StreamHttpError);
    await expect(failed).rejects.toMatchObject({
      status: 401,
      code: 'UNAUTHORIZED',
      message: 'Invalid agent token.',
    });
  });
});

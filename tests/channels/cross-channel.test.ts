import WebSocket from 'ws';
import { userHashFor } from '../../bot/identity';
import { type TestServer, startTestServer } from '../support/server';

/**
 * One conversation across channels: a verified customer who starts in the shop's app and goes on
 * in the web widget (or the other way round) is in the same conversation, with its history, and a
 * live SSE stream of the app sees what is said in the widget.
 */
let srv: TestServer;
let hash: string;
const customer = 'c-1002';

beforeAll(async () => {
  srv = await startTestServer({ demo: true });
  const shop = await srv.platform.store.shops.findById('demo');
  hash = userHashFor(shop!.identitySecret, customer);
});
afterAll(() => srv.stop());

interface Frame {
  type: string;
  messages?: { id: string; role: string; text: string }[];
  message?: { id: string; role: string; text: string };
  id?: string;
}

/** A widget socket that records its frames and can wait for one of a type. */
function widget(params: Record<string, string>) {
  const ws = new WebSocket(
    `${srv.url.replace(/^http/, 'ws')}/channels/web/demo/ws?${new URLSearchParams(params)}`,
  );
  const frames: Frame[] = [];
  let wake: (() => void) | undefined;
  ws.on('message', (data) => {
    frames.push(JSON.parse(String(data)) as Frame);
    wake?.();
  });
  return {
    ws,
    frames,
    async next(type: string, from = 0): Promise<Frame> {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const found = frames.slice(from).find((f) => f.type === type);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no ${type} frame: ${JSON.stringify(frames)}`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 200);
        });
      }
    },
  };
}

async function appSend(text: string) {
  const res = await fetch(`${srv.url}/api/v1/shops/demo/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId: customer, userHash: hash, text }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { conversationId: string; userMessageId: string; replies: { text: string }[] };
}

test('app → web → app: one conversation, its history in the widget, the widget live on the app stream', async () => {
  const first = await appSend('你们一般几天发货');
  expect(first.replies.length).toBeGreaterThan(0);

  // The same customer opens the widget: the app conversation is its history.
  const w = widget({ visitorId: 'v_crosschannel01', userId: customer, userHash: hash });
  const history = await w.next('history');
  expect(history.messages?.map((m) => m.id)).toContain(first.userMessageId);
  expect(history.messages?.find((m) => m.id === first.userMessageId)?.text).toBe('你们一般几天发货');

  // The app follows the conversation live over SSE while the customer types in the widget.
  const abort = new AbortController();
  const stream = await fetch(
    `${srv.url}/api/v1/shops/demo/conversations/${first.conversationId}/events?${new URLSearchParams({ userId: customer, userHash: hash })}`,
    { signal: abort.signal },
  );
  expect(stream.status).toBe(200);
  const reader = stream.body!.getReader();
  let sse = '';
  const readUntil = async (needle: string) => {
    const deadline = Date.now() + 15_000;
    while (!sse.includes(needle)) {
      if (Date.now() > deadline) throw new Error(`SSE never said ${needle}: ${sse}`);
      const { value, done } = await reader.read();
      if (done) throw new Error('SSE closed');
      sse += new TextDecoder().decode(value);
    }
  };
  await readUntil('retry:');

  const from = w.frames.length;
  w.ws.send(JSON.stringify({ type: 'message', id: 'f-1', text: '退货地址是哪里' }));
  const ack = await w.next('ack', from);
  expect(ack.id).toBe('f-1');
  const echoed = w.frames.slice(from).find((f) => f.type === 'message' && f.message?.role === 'user');
  expect(echoed?.message?.text).toBe('退货地址是哪里');
  await readUntil(`id: ${echoed!.message!.id}`);
  expect(sse).toContain('退货地址是哪里');

  // And the app's next message lands in the same conversation, seen live by the widget.
  const before = w.frames.length;
  const third = await appSend('谢谢');
  expect(third.conversationId).toBe(first.conversationId);
  const live = await w.next('message', before);
  expect(live.message?.id).toBe(third.userMessageId);
  abort.abort();
  w.ws.terminate();
});

test('an anonymous widget visitor is not in the verified customer’s conversation', async () => {
  const w = widget({ visitorId: 'v_crosschannel02' });
  const history = await w.next('history');
  expect(history.messages).toEqual([]);
  w.ws.terminate();
});

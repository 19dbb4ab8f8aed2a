import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Client } from 'pg';
import { userHashFor } from '../../../bot/identity';
import { chaosCustomer } from './chaos-shop';

/** One message a virtual customer sent, and what it took to get it answered. */
export interface Sent {
  userId: string;
  clientMessageId: string;
  text: string;
  /** The acknowledged answer (status 200), or undefined when none came before the deadline. */
  body?: TurnBody;
  attempts: number;
  /** Every failed attempt: an HTTP status with its body, or a network error's name. */
  failures: { at: number; status?: number; body?: string; retryAfter?: string | null; error?: string }[];
  /** Which of the urls answered it. */
  answeredBy?: number;
}

export interface TurnBody {
  conversationId: string;
  userMessageId: string;
  replies: { text: string }[];
}

/** What a customer says, in order: small talk, an order question, a refund and a recharge each confirmed. */
export function chaosScript(n: number): string[] {
  const { orderId, phone } = chaosCustomer(n);
  return [
    '你好',
    `订单${orderId}到哪了`,
    `订单${orderId}退款50元，尺码不合适`,
    '确认',
    `给${phone}充50块`,
    '确认',
    '多久发货',
    '谢谢',
  ];
}
/** The script's indexes whose answer confirms a side effect. */
export const REFUND_CONFIRM = 3;
export const RECHARGE_CONFIRM = 5;

export interface SendOptions {
  shopId: string;
  identitySecret: string;
  /** Instances to try; a failed attempt moves to the next one. */
  urls: () => string[];
  /** Where the first attempt goes (client-side round robin). */
  first: number;
  deadline: number;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Told which instance each attempt goes to. */
  onAttempt?: (target: number) => void;
}

/**
 * Sends one message with its clientMessageId and retries the very same request (on the next
 * instance) after a network error, a 429 or a 5xx, until it is answered or the deadline passes
 * (one attempt at least).
 */
export async function sendUntilAnswered(sent: Sent, opts: SendOptions): Promise<Sent> {
  const body = JSON.stringify({
    userId: sent.userId,
    userHash: userHashFor(opts.identitySecret, sent.userId),
    text: sent.text,
    clientMessageId: sent.clientMessageId,
  });
  let backoff = 50;
  for (let i = opts.first; ; i++) {
    const urls = opts.urls();
    const target = i % urls.length;
    sent.attempts++;
    opts.onAttempt?.(target);
    try {
      const res = await fetch(`${urls[target]}/api/v1/shops/${opts.shopId}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(opts.timeoutMs ?? 45_000),
      });
      const text = await res.text();
      if (res.status === 200) {
        sent.body = JSON.parse(text) as TurnBody;
        sent.answeredBy = target;
        return sent;
      }
      sent.failures.push({
        at: Date.now(),
        status: res.status,
        body: text,
        retryAfter: res.headers.get('retry-after'),
      });
      // A 4xx other than 429 will not change by asking again.
      if (res.status < 500 && res.status !== 429) return sent;
    } catch (err) {
      sent.failures.push({ at: Date.now(), error: (err as Error).name });
    }
    if (Date.now() >= opts.deadline) return sent;
    await new Promise((r) => setTimeout(r, backoff));
    backoff = Math.min(backoff * 2, 1000);
  }
}

/**
 * `customers` virtual customers, each saying its script one message at a time, `concurrency` of
 * them at once; `onSent` sees every answered message (the test decides when to pull the plug).
 */
export async function runCustomers(opts: {
  customers: number[];
  concurrency: number;
  send: (sent: Sent, index: number) => Promise<Sent>;
  runId: string;
  onSent?: (sent: Sent) => void;
  /** No new customer starts once this says so (those under way finish their script). */
  until?: () => boolean;
}): Promise<Sent[]> {
  const all: Sent[] = [];
  let next = 0;
  let messages = 0;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      for (let k = next++; k < opts.customers.length && !opts.until?.(); k = next++) {
        const n = opts.customers[k]!;
        const { userId } = chaosCustomer(n);
        for (const [step, text] of chaosScript(n).entries()) {
          const sent: Sent = {
            userId,
            clientMessageId: `${opts.runId}-${n}-${step}`,
            text,
            attempts: 0,
            failures: [],
          };
          all.push(sent);
          await opts.send(sent, messages++);
          opts.onSent?.(sent);
          if (!sent.body) break; // never answered: the customer gives up (the test reports it)
        }
      }
    }),
  );
  return all;
}

interface StoredTurn {
  dedup_key: string;
  n: number;
  result: TurnBody;
}

/**
 * Reads the database directly and lists every way the acknowledged messages are not stored exactly
 * once with their replies; empty when all is well.
 */
export async function storedProblems(databaseUrl: string, shopId: string, sent: Sent[]): Promise<string[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const turns = (
      await client.query<StoredTurn>(
        `select dedup_key, count(*)::int as n, (array_agg(result))[1] as result
         from turns where shop_id = $1 group by dedup_key`,
        [shopId],
      )
    ).rows;
    const messages = (
      await client.query<{ id: string; conversation_id: string; role: string; text: string | null }>(
        'select id, conversation_id, role, text from messages where shop_id = $1 order by seq',
        [shopId],
      )
    ).rows;
    const byKey = new Map(turns.map((t) => [t.dedup_key, t]));
    const problems: string[] = [];
    for (const t of turns) if (t.n !== 1) problems.push(`turn ${t.dedup_key} stored ${t.n} times`);
    const userMessages = messages.filter((m) => m.role === 'user');
    if (userMessages.length !== turns.reduce((s, t) => s + t.n, 0))
      problems.push(`${userMessages.length} user messages for ${turns.length} turns`);
    const conversations = new Map<string, typeof messages>();
    const position = new Map<string, { list: typeof messages; at: number }>();
    for (const m of messages) {
      const list = conversations.get(m.conversation_id) ?? [];
      conversations.set(m.conversation_id, list);
      position.set(m.id, { list, at: list.push(m) - 1 });
    }
    for (const s of sent) {
      if (!s.body) continue;
      const key = `app:${s.userId}:${s.clientMessageId}`;
      const turn = byKey.get(key);
      if (!turn) {
        problems.push(`acknowledged ${key} is not stored`);
        continue;
      }
      // jsonb keeps its own key order: compared as values.
      if (!isDeepStrictEqual(turn.result, s.body))
        problems.push(`${key}: the stored result differs from the acknowledged answer`);
      const found = position.get(s.body.userMessageId);
      if (!found || found.list[found.at]!.text !== s.text) {
        problems.push(`${key}: user message ${s.body.userMessageId} missing or wrong`);
        continue;
      }
      // Its replies follow it in its conversation, before the customer's next message.
      const after = found.list.slice(found.at + 1);
      const end = after.findIndex((m) => m.role === 'user');
      const replies = (end === -1 ? after : after.slice(0, end)).map((m) => m.text);
      if (JSON.stringify(replies) !== JSON.stringify(s.body.replies.map((r) => r.text)))
        problems.push(`${key}: stored replies ${JSON.stringify(replies)} are not the acknowledged ones`);
    }
    return problems;
  } finally {
    await client.end();
  }
}

/** Every secret and personal value of the run that must never appear in clear in the instances' output. */
export function findLeaks(output: string, secrets: string[]): string[] {
  return secrets.filter((s) => s.length > 0 && output.includes(s));
}

/** KEFU_CHAOS_LOGS=<dir> keeps what an instance printed, for reading after a run. */
export function keepOutput(name: string, output: string): void {
  const dir = process.env.KEFU_CHAOS_LOGS;
  if (dir) writeFileSync(path.join(dir, `${name}.log`), output);
}

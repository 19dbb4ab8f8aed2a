import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';

/**
 * A conversation test, as data (`skills/<skill>/conversations/*.convo.yaml`):
 *
 *   name: refund in one sentence
 *   locale: zh-CN
 *   user: { id: c-1001, verified: true }
 *   now: 2026-11-22T10:00:00+08:00   # optional: a frozen clock for literal dates
 *   backend: demo            # or http (the fake shop server, with faults)
 *   faults: [{ route: 'GET /orders/:orderId', kind: status, status: 503, times: 3 }]
 *   turns:
 *     - user: 订单1003我要退款
 *       bot: /退款/            # every reply of the turn, joined by newlines, must match
 *       not: /1004/            # and must not match
 *       expect: { intent: refund.request, handoff: none, entities: { orderId: "1003" } }
 *     - click: 确认              # a quick reply of the last bot turn, by title (or 1-based index)
 *       bot: /已提交|approved/
 *     - click: 确认
 *       from: 2                  # the same button of turn 2, clicked again later
 *   after: { refunds: { "1003": 1 } }   # side effects on the demo backend
 *
 * `bot` and `not` are /regex/ (flags after the slash allowed) or a plain substring.
 */
const matcher = z.string().min(1);

const faultSchema = z
  .object({
    route: z.string().optional(),
    kind: z.enum(['status', 'raw', 'hang', 'delay', 'reset']),
    status: z.number().int().optional(),
    body: z.string().optional(),
    ms: z.number().int().optional(),
    times: z.number().int().min(1).default(1),
  })
  .strict();

const turnSchema = z
  .object({
    user: z.union([z.string(), z.number()]).transform(String).optional(),
    click: z.union([z.string(), z.number()]).optional(),
    /** With `click`: use the quick replies of that earlier turn (1-based) — a button clicked again. */
    from: z.number().int().min(1).optional(),
    payload: z.string().optional(),
    bot: matcher.optional(),
    not: matcher.optional(),
    expect: z
      .object({
        intent: z.string().nullable().optional(),
        handoff: z.enum(['none', 'queued', 'agent']).optional(),
        entities: z.record(z.string(), z.string()).optional(),
        quickReplies: z.number().int().optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((t) => t.user !== undefined || t.click !== undefined || t.payload !== undefined, {
    message: 'a turn needs user, click or payload',
  });

export const convoSchema = z
  .object({
    name: z.string(),
    locale: z.enum(['zh-CN', 'en-US']),
    user: z.object({ id: z.string(), verified: z.boolean().default(false) }).strict(),
    /** Freezes the clock (relative dates, the demo shop's order dates) at this ISO time. */
    now: z.iso.datetime({ offset: true }).optional(),
    backend: z.enum(['demo', 'http']).default('demo'),
    faults: z.array(faultSchema).default([]),
    turns: z.array(turnSchema).min(1),
    after: z
      .object({
        refunds: z.record(z.string(), z.number().int()).optional(),
        recharges: z.number().int().optional(),
        bookings: z.record(z.string(), z.number().int()).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type Convo = z.infer<typeof convoSchema>;
export type ConvoTurn = Convo['turns'][number];

/** A file holds one conversation, or a YAML list of them. */
export function readConvos(file: string): Convo[] {
  const raw = parse(readFileSync(file, 'utf8')) as unknown;
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((c, i) => {
    const parsed = convoSchema.safeParse(c);
    if (!parsed.success) {
      throw new Error(
        `${file} #${i + 1}: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`,
      );
    }
    return parsed.data;
  });
}

export function matches(pattern: string, text: string): boolean {
  const m = pattern.match(/^\/(.*)\/([a-z]*)$/s);
  return m ? new RegExp(m[1]!, m[2]).test(text) : text.includes(pattern);
}

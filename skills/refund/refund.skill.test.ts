import type { Entity, NluResult } from '../../bot/nlu';
import { SkillRouter, type TurnInput } from '../../bot/router';
import { type DialogueState, initialDialogueState } from '../../bot/skill';
import { DemoCommerceBackend } from '../../commerce/demo.backend';
import type { SkillDeps } from '../skill-deps';
import { createRefundSkill } from './refund.skill';
import { fallbackSkill } from '../../tests/support/skill-harness';

// The conversation tests cover the dialogue end to end; these pin down what they cannot express:
// the very same confirm payload sent twice, a retried turn, and the shop's own fastRefund limits.

const fallback = fallbackSkill;

function setup(settings: Record<string, unknown> = { fastRefund: { minTier: 3, maxAmount: 500 } }) {
  const demo = new DemoCommerceBackend();
  const deps: SkillDeps = { knowledge: { list: async () => [] } as never, commerce: () => demo };
  const router = new SkillRouter([createRefundSkill(deps), fallback], 'fallback');
  const say = (
    userId: string,
    text: string,
    opts: { intent?: string | null; entities?: Entity[]; payload?: string } = {},
  ) => {
    const nlu: NluResult = {
      text,
      normalized: text,
      locale: 'en-US',
      intent: opts.intent ?? null,
      confidence: opts.intent ? 0.95 : 0,
      intents: [],
      entities: opts.entities ?? [],
      knowledge: [],
    };
    const input: TurnInput = {
      shop: { id: 'demo', name: 'Demo', locales: ['en-US'], identitySecret: 'x' } as TurnInput['shop'],
      settings,
      conversation: { id: `conv-${userId}`, shopId: 'demo', userId } as TurnInput['conversation'],
      user: { id: userId, verified: true },
      locale: 'en-US',
      text,
      payload: opts.payload,
      nlu,
      now: new Date(),
    };
    return input;
  };
  return { demo, router, say };
}

/** Order, reason: the confirmation card is on screen; returns its state and confirm payload. */
async function upToConfirmation(
  s: ReturnType<typeof setup>,
  userId: string,
  orderId: string,
  amount?: string,
) {
  const entities: Entity[] = [{ type: 'orderId', value: orderId }];
  if (amount) entities.push({ type: 'amount', value: amount });
  const asked = await s.router.route(
    s.say(userId, `refund order ${orderId}`, { intent: 'refund.request', entities }),
    initialDialogueState(),
  );
  const reason = asked.replies.at(-1)!.quickReplies!.find((q) => q.title === 'Wrong size')!;
  const shown = await s.router.route(s.say(userId, 'Wrong size', { payload: reason.payload }), asked.state);
  const confirm = shown.replies[0]!.quickReplies!.find((q) => q.title === 'Confirm')!;
  return { state: shown.state, text: shown.replies[0]!.text, confirm: confirm.payload };
}

test('the confirm button clicked twice refunds once; the second click runs nothing', async () => {
  const s = setup();
  const { state, confirm } = await upToConfirmation(s, 'c-1001', '1001');
  const first = await s.router.route(s.say('c-1001', 'Confirm', { payload: confirm }), state);
  expect(first.replies[0]!.text).toMatch(/approved instantly; ¥278\.80/);
  const second = await s.router.route(s.say('c-1001', 'Confirm', { payload: confirm }), first.state);
  expect(second.replies.map((r) => r.text).join('\n')).toMatch(/already been taken care of/);
  expect(s.demo.refundsFor('1001')).toHaveLength(1);
});

test('a retried confirmation turn (same state again) reuses the idempotency key: one refund', async () => {
  const s = setup();
  const { state, confirm } = await upToConfirmation(s, 'c-1002', '1008');
  const once = await s.router.route(s.say('c-1002', 'Confirm', { payload: confirm }), state);
  const again = await s.router.route(s.say('c-1002', 'Confirm', { payload: confirm }), state);
  expect(again.replies[0]!.text).toBe(once.replies[0]!.text);
  expect(s.demo.refundsFor('1008')).toHaveLength(1);
});

test.each([
  // [settings, customer (tier), order, amount, fast?]
  [{ fastRefund: { minTier: 3, maxAmount: 500 } }, 'c-1007', '1025', undefined, true], // tier 3, ¥169
  [{ fastRefund: { minTier: 3, maxAmount: 500 } }, 'c-1004', '1014', undefined, false], // tier 2
  [{ fastRefund: { minTier: 3, maxAmount: 500 } }, 'c-1001', '1003', '500', true], // the limit itself
  [{ fastRefund: { minTier: 3, maxAmount: 500 } }, 'c-1001', '1003', '500.01', false],
  [{}, 'c-1003', '1011', undefined, true], // defaults: tier 3, ¥338
  [{ fastRefund: { maxAmount: 100 } }, 'c-1003', '1011', undefined, false], // minTier stays 3
  [{ fastRefund: { minTier: 0, maxAmount: 10000 } }, 'c-1006', '1021', undefined, true], // tier 0 allowed
])(
  'fast refund follows the shop settings %j (%s, order %s, amount %s) → %s',
  async (settings, user, order, amount, fast) => {
    const s = setup(settings);
    const { state, text, confirm } = await upToConfirmation(s, user, order, amount);
    expect(text).toMatch(fast ? /instant refund/ : /merchant's review/);
    const done = await s.router.route(s.say(user, 'yes', { intent: 'common.affirm' }), state);
    expect(done.replies[0]!.text).toMatch(fast ? /approved instantly/ : /submitted/);
    expect(s.demo.refundsFor(order)).toEqual([expect.objectContaining({ fast })]);
    expect(confirm).toMatch(/^task:/);
  },
);

test('an order of someone else reads exactly like an unknown one', async () => {
  const s = setup();
  const ask = (orderId: string) =>
    s.router.route(
      s.say('c-1001', `refund order ${orderId}`, {
        intent: 'refund.request',
        entities: [{ type: 'orderId', value: orderId }],
      }),
      initialDialogueState() as DialogueState,
    );
  const strip = (texts: string[]) => texts.map((t) => t.replace(/1006|9999/g, 'N'));
  const other = await ask('1006');
  const unknown = await ask('9999');
  expect(strip(other.replies.map((r) => r.text))).toEqual(strip(unknown.replies.map((r) => r.text)));
  expect(JSON.stringify(other.replies)).not.toMatch(/2999|smartphone|智能手机/);
});

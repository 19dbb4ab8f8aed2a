import type { Entity, NluResult } from '../../bot/nlu';
import { SkillRouter, type TurnInput } from '../../bot/router';
import { initialDialogueState } from '../../bot/skill';
import { DemoCommerceBackend } from '../../commerce/demo.backend';
import type { SkillDeps } from '../skill-deps';
import { createRechargeSkill, maskPhone } from './recharge.skill';
import { fallbackSkill } from '../../tests/support/skill-harness';

// What the conversation tests cannot express: the same confirm payload twice, a retried turn.

const fallback = fallbackSkill;

function setup() {
  const demo = new DemoCommerceBackend();
  const deps: SkillDeps = { knowledge: { list: async () => [] } as never, commerce: () => demo };
  const router = new SkillRouter([createRechargeSkill(deps), fallback], 'fallback');
  const say = (
    text: string,
    opts: { intent?: string; entities?: Entity[]; payload?: string } = {},
  ): TurnInput => {
    const nlu: NluResult = {
      text,
      normalized: text,
      locale: 'zh-CN',
      intent: opts.intent ?? null,
      confidence: opts.intent ? 0.95 : 0,
      intents: [],
      entities: opts.entities ?? [],
      knowledge: [],
    };
    return {
      shop: { id: 'demo', name: 'Demo', locales: ['zh-CN'], identitySecret: 'x' } as TurnInput['shop'],
      settings: {},
      conversation: { id: 'conv-1', shopId: 'demo', userId: 'c-1001' } as TurnInput['conversation'],
      user: { id: 'c-1001', verified: true },
      locale: 'zh-CN',
      text,
      payload: opts.payload,
      nlu,
      now: new Date(),
    };
  };
  return { demo, router, say };
}

async function confirmation(s: ReturnType<typeof setup>) {
  const shown = await s.router.route(
    s.say('给13812345678充50块', {
      intent: 'recharge.topup',
      entities: [
        { type: 'phone', value: '13812345678' },
        { type: 'amount', value: '50' },
      ],
    }),
    initialDialogueState(),
  );
  expect(shown.replies[0]!.text).toMatch(/138\*\*\*\*5678.*¥50/);
  expect(JSON.stringify(shown.replies)).not.toMatch(/13812345678/);
  const confirm = shown.replies[0]!.quickReplies!.find((q) => q.title === '确认')!.payload;
  return { state: shown.state, confirm };
}

test('the confirm button clicked twice tops up once; the second click runs nothing', async () => {
  const s = setup();
  const { state, confirm } = await confirmation(s);
  const first = await s.router.route(s.say('确认', { payload: confirm }), state);
  expect(first.replies[0]!.text).toMatch(/充值成功.*138\*\*\*\*5678.*¥50/);
  const second = await s.router.route(s.say('确认', { payload: confirm }), first.state);
  expect(second.replies.map((r) => r.text).join('\n')).toMatch(/已经处理过了/);
  expect(s.demo.recharges()).toHaveLength(1);
  expect(s.demo.recharges()[0]).toMatchObject({ customerId: 'c-1001', phone: '13812345678', amount: 50 });
});

test('a retried confirmation turn (same state again) reuses the idempotency key: one top-up', async () => {
  const s = setup();
  const { state, confirm } = await confirmation(s);
  await s.router.route(s.say('确认', { payload: confirm }), state);
  await s.router.route(s.say('确认', { payload: confirm }), state);
  expect(s.demo.recharges()).toHaveLength(1);
});

test.each([
  ['13812345678', '138****5678'],
  ['+85291234567', '+852****4567'],
  ['+14155552671', '+141****2671'],
])('maskPhone(%s) = %s', (phone, masked) => {
  expect(maskPhone(phone)).toBe(masked);
});

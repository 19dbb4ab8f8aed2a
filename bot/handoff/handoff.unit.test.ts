import { canServe, handoffPolicy, isOnline, withinBusinessHours } from './policy';
import { rankSuggestions, similarity } from './suggestions';
import { summarize } from './summary';
import { asksForHuman, detectTrigger } from './triggers';

describe('asking for a person, by the keyword net', () => {
  test.each([
    '转人工',
    '人工客服',
    '我要找真人',
    '帮我转个人工',
    '人工',
    'agent',
    'human please',
    'get me a representative',
  ])('"%s" asks', (text) => expect(asksForHuman(text)).toBe(true));
  test.each([
    '人工费多少钱',
    '这款手机是人工智能拍照吗，我想了解一下它的具体参数和价格',
    'does the price include the shipping agent fee for international orders to Canada',
    '',
  ])('"%s" does not', (text) => expect(asksForHuman(text)).toBe(false));
});

describe('detectTrigger', () => {
  const base = {
    text: '你好',
    nlu: { sentiment: { score: 0, anger: 0, label: 'neutral' as const } },
    outcome: { status: 'done' as const },
    lowConfidenceTurns: 0,
    policy: handoffPolicy({}),
  };
  test('the plainest reason wins, with its tier', () => {
    expect(detectTrigger({ ...base, payload: 'dtmf:0' })).toEqual({ reason: 'dtmf', tier: 'L1' });
    expect(detectTrigger({ ...base, outcome: { status: 'handoff', reason: 'refund_dispute' } })).toEqual({
      reason: 'refund_dispute',
      tier: 'L2',
    });
    expect(
      detectTrigger({ ...base, nlu: { sentiment: { score: -0.9, anger: 0.9, label: 'negative' } } })?.reason,
    ).toBe('negative_sentiment');
    expect(detectTrigger({ ...base, lowConfidenceTurns: 3 })?.reason).toBe('low_confidence');
    expect(detectTrigger({ ...base, lowConfidenceTurns: 2 })).toBeUndefined();
  });
  test('VIP only when the shop sets a tier; lowConfidenceTurns 0 is off', () => {
    expect(detectTrigger({ ...base, newCustomerTier: 5 })).toBeUndefined();
    const vip = handoffPolicy({ handoff: { vipMinTier: 4, vipTier: 'expert' } });
    expect(detectTrigger({ ...base, policy: vip, newCustomerTier: 5 })).toEqual({
      reason: 'vip',
      tier: 'expert',
    });
    expect(detectTrigger({ ...base, policy: vip, newCustomerTier: 3 })).toBeUndefined();
    const off = handoffPolicy({ handoff: { lowConfidenceTurns: 0, vipMinTier: null } });
    expect(
      detectTrigger({ ...base, policy: off, lowConfidenceTurns: 50, newCustomerTier: 5 }),
    ).toBeUndefined();
  });
});

describe('business hours', () => {
  const at = (iso: string) => new Date(iso);
  test('a day window in the shop’s time zone', () => {
    const hours = { timezone: 'Asia/Shanghai', days: [1, 2, 3, 4, 5], open: '09:00', close: '18:00' };
    expect(withinBusinessHours(hours, at('2026-11-23T01:00:00Z'))).toBe(true); // Mon 09:00 Shanghai
    expect(withinBusinessHours(hours, at('2026-11-23T00:59:00Z'))).toBe(false); // Mon 08:59
    expect(withinBusinessHours(hours, at('2026-11-23T10:00:00Z'))).toBe(false); // Mon 18:00
    expect(withinBusinessHours(hours, at('2026-11-22T03:00:00Z'))).toBe(false); // Sunday
  });
  test('past midnight belongs to the day it started; none configured is always open', () => {
    const night = { timezone: 'UTC', days: [5], open: '20:00', close: '02:00' };
    expect(withinBusinessHours(night, at('2026-11-27T21:00:00Z'))).toBe(true); // Fri 21:00
    expect(withinBusinessHours(night, at('2026-11-28T01:30:00Z'))).toBe(true); // Sat 01:30, Friday's shift
    expect(withinBusinessHours(night, at('2026-11-28T21:00:00Z'))).toBe(false); // Sat 21:00
    expect(withinBusinessHours(undefined, at('2026-11-28T03:00:00Z'))).toBe(true);
    expect(
      withinBusinessHours({ timezone: 'UTC', open: '00:00', close: '00:00' }, at('2026-11-28T03:00:00Z')),
    ).toBe(true);
  });
});

describe('routing rules', () => {
  test('tier at or above, a shared language', () => {
    expect(canServe({ tier: 'L2', languages: ['zh-CN'] }, { tier: 'L1', locale: 'zh-TW' })).toBe(true);
    expect(canServe({ tier: 'L1', languages: ['zh-CN'] }, { tier: 'L2', locale: 'zh-CN' })).toBe(false);
    expect(canServe({ tier: 'expert', languages: ['en-US'] }, { tier: 'L1', locale: 'zh-CN' })).toBe(false);
  });
  test('online means marked online and seen in the last five minutes', () => {
    const now = new Date('2026-11-22T10:00:00Z');
    expect(isOnline({ status: 'online', lastSeenAt: '2026-11-22T09:56:00Z' }, now)).toBe(true);
    expect(isOnline({ status: 'online', lastSeenAt: '2026-11-22T09:54:00Z' }, now)).toBe(false);
    expect(isOnline({ status: 'away', lastSeenAt: '2026-11-22T09:59:00Z' }, now)).toBe(false);
  });
});

describe('suggestions', () => {
  test('similar questions score high, unrelated ones low', () => {
    expect(similarity('发票抬头写错了能重开吗', '发票抬头写错了怎么重开')).toBeGreaterThan(0.6);
    expect(similarity('发票抬头写错了能重开吗', '快递到哪了')).toBeLessThan(0.1);
    expect(similarity('where is my parcel', 'where is my parcel now')).toBeGreaterThan(0.8);
  });
  test('ranked, deduplicated, repeated agent answers boosted, weak ones dropped', () => {
    const ranked = rankSuggestions({
      question: '发票抬头写错了怎么重开',
      knowledge: [
        { id: 'k1', question: '可以开发票吗', answer: '可以开电子发票。', score: 0.5 },
        { id: 'k2', question: '运费', answer: '满 99 包邮。', score: 0.05 },
      ],
      pastAnswers: [
        { question: '发票抬头写错了能重开吗', answer: '可以重开，请发来正确抬头。' },
        { question: '发票抬头错了可以重开吗', answer: '可以重开，请发来正确抬头。' },
        { question: '快递到哪了', answer: '已到本地网点。' },
        { question: '发票能开吗', answer: '可以开电子发票。' },
      ],
    });
    expect(ranked.map((s) => s.text)).toEqual(['可以重开，请发来正确抬头。', '可以开电子发票。']);
    expect(ranked[0]!.source).toBe('agent');
  });
});

describe('summary', () => {
  test('who, what, what the bot did, why, last words — in the agent’s language', () => {
    const msg = (role: 'user' | 'bot', text: string, nlu?: unknown) => ({
      id: text,
      role,
      text,
      nlu,
      createdAt: '',
    });
    const transcript = [
      msg('user', '订单1003退款50元', {
        intent: 'refund.request',
        entities: [
          { type: 'orderId', value: '1003' },
          { type: 'amount', value: '50' },
        ],
      }),
      msg('bot', '好的，确认退款吗？'),
      msg('user', '下单后多久发货', { intent: 'faq' }),
      msg('bot', '48 小时内。'),
      msg('user', '转人工', { intent: 'common.human' }),
    ];
    const common = {
      transcript,
      reason: 'customer_request',
      userId: 'c-1001',
      verified: true,
      profile: { name: '张伟', tier: 5 },
      orders: [{ id: '1003', status: 'paid', total: 5999, currency: 'CNY', createdAt: '', items: [] }],
      titleOf: (i: string) => ({ 'refund.request': '退款' })[i],
      reasonLabel: () => '客户要求人工',
    };
    const zh = summarize({ ...common, locale: 'zh-CN' });
    expect(zh).toBe(
      '客户张伟（5星信用）已登录；想办理：退款、咨询“下单后多久发货”；提到订单 1003；金额 50；最近订单 1003（待发货）；机器人已回复 2 条；转人工原因：客户要求人工；客户最后说：“下单后多久发货”。',
    );
    const en = summarize({ ...common, locale: 'en-US', verified: false, profile: undefined, orders: [] });
    expect(en).toMatch(/^An anonymous visitor .*wants: 退款, asked "下单后多久发货".*the bot sent 2 replies/);
  });
});

import type { NluResult } from '../../bot/nlu';
import { SkillRouter, type TurnInput } from '../../bot/router';
import { type DialogueState, initialDialogueState } from '../../bot/skill';
import { DemoCommerceBackend } from '../../commerce/demo.backend';
import { extractEntities } from '../../nlu/entities';
import type { KnowledgeSource } from '../knowledge-source';
import { cityMentions, optionNamed, passengersIn, ticketTypeIn } from './ticket-slots';
import { createTicketSkill } from './ticketing.skill';
import { fallbackSkill } from '../../tests/support/skill-harness';

// The YAML conversations run on the real clock; here the clock is frozen, so fixed dates (the 13th,
// yesterday, today's departed trains) and a real double click (the same payload sent twice) are exact.
// 2025-06-10 12:00 in Shanghai, a Tuesday.
const NOW = new Date('2025-06-10T04:00:00Z');

const fallback = fallbackSkill;

function setup(verified = true, now = NOW) {
  const demo = new DemoCommerceBackend({ clock: () => now });
  const skill = createTicketSkill({ knowledge: {} as KnowledgeSource, commerce: () => demo });
  const router = new SkillRouter([skill, fallback], 'fallback');
  let state: DialogueState = initialDialogueState();
  const say = async (
    text: string,
    opts: { intent?: string | null; payload?: string; locale?: string } = {},
  ) => {
    const locale = opts.locale ?? 'zh-CN';
    const nlu: NluResult = {
      text,
      normalized: text,
      locale,
      intent: opts.intent === undefined ? null : opts.intent,
      confidence: opts.intent ? 0.95 : 0.1,
      intents: [],
      entities: extractEntities(text, { now, timeZone: 'Asia/Shanghai', locale }),
      knowledge: [],
    };
    const input: TurnInput = {
      shop: { id: 'demo', name: 'Demo', locales: ['zh-CN', 'en-US'], identitySecret: 'x' },
      settings: {},
      conversation: {
        id: 'conv-1',
        shopId: 'demo',
        userId: 'c-1001',
        channel: 'test',
        verified,
        locale: null,
        status: 'open',
        lastActivityAt: now,
      },
      user: { id: 'c-1001', verified },
      locale,
      text,
      payload: opts.payload,
      nlu,
      now,
    } as TurnInput;
    const result = await router.route(input, state);
    state = result.state;
    return result.replies;
  };
  const button = (replies: Awaited<ReturnType<typeof say>>, title: string | RegExp) => {
    const all = replies.flatMap((r) => r.quickReplies ?? []);
    const qr = all.find((q) => (typeof title === 'string' ? q.title === title : title.test(q.title)));
    if (!qr) throw new Error(`no quick reply ${title} in ${JSON.stringify(all)}`);
    return qr;
  };
  const text = (replies: Awaited<ReturnType<typeof say>>) => replies.map((r) => r.text).join('\n');
  return { demo, say, button, text, state: () => state };
}

describe('ticket.book with a frozen clock', () => {
  test('a confirmation clicked twice books once; the second click is "already handled"', async () => {
    const { demo, say, button, text } = setup();
    const options = await say('帮我订两张明天北京到上海的高铁票', { intent: 'ticket.book' });
    expect(text(options)).toContain('6月11日周三 北京→上海');
    const confirm = await say('第二个');
    expect(text(confirm)).toMatch(/2 位乘客，共 ¥1276（¥638 × 2 位乘客）/);
    const yes = button(confirm, '确认');
    const first = await say('确认', { payload: yes.payload });
    expect(text(first)).toMatch(/预订成功！.*预订号：BK-000001/);
    const second = await say('确认', { payload: yes.payload });
    expect(text(second)).not.toContain('预订成功');
    expect(demo.bookingsFor('c-1001')).toHaveLength(1);
    expect(demo.bookingsFor('c-1001')[0]).toMatchObject({ passengers: 2 });
  });

  test('sold out on the 13th: the 12th and 14th are offered and a pick searches again', async () => {
    const { say, button, text } = setup();
    const none = await say('订6月13号北京到上海的高铁', { intent: 'ticket.book' });
    expect(text(none)).toContain('6月13日周五 北京→上海 的火车票已售罄');
    expect(none.flatMap((r) => r.quickReplies ?? []).map((q) => q.title)).toEqual([
      '6月12日周四',
      '6月14日周六',
    ]);
    const after = await say('6月14日周六', { payload: button(none, '6月14日周六').payload });
    expect(text(after)).toContain('为您找到 6月14日周六 北京→上海');
  });

  test('sold out today: only the day after is offered, the day before has passed', async () => {
    const { say, text } = setup(true, new Date('2025-06-13T04:00:00Z'));
    const none = await say('订今天北京到上海的高铁', { intent: 'ticket.book' });
    expect(text(none)).toContain('6月13日周五 北京→上海 的火车票已售罄');
    expect(none.flatMap((r) => r.quickReplies ?? []).map((q) => q.title)).toEqual(['6月14日周六']);
  });

  test('a route nobody serves around that date is said so, with the other way to travel offered', async () => {
    const { say, text } = setup();
    const none = await say('订明天北京到拉萨的火车票', { intent: 'ticket.book' });
    expect(text(none)).toContain('前后都没有 北京→拉萨 的火车票，这条线路我们暂时无法预订');
    expect(none.flatMap((r) => r.quickReplies ?? []).map((q) => q.title)).toEqual(['改订机票']);
  });

  test('yesterday is refused and the date asked again; today lists only trains not yet gone', async () => {
    const { say, text } = setup();
    const past = await say('订昨天北京到上海的高铁', { intent: 'ticket.book' });
    expect(text(past)).toMatch(/“6月9日周一”已经过去了[\s\S]*请问哪天出发/);
    const today = await say('今天');
    const titles = today.flatMap((r) => r.quickReplies ?? []).map((q) => q.title);
    expect(titles.length).toBeGreaterThan(0);
    for (const t of titles) expect(t.slice(t.indexOf(' ') + 1, t.indexOf('→')) > '12:00').toBe(true);
  });

  test('a confirmation clicked after the trip changed books nothing', async () => {
    const { demo, say, button, text } = setup();
    await say('订一张明天北京到上海的高铁', { intent: 'ticket.book' });
    const confirm = await say('第一个');
    const yes = button(confirm, '确认');
    const changed = await say('改成后天');
    expect(text(changed)).toContain('为您找到 6月12日周四');
    const stale = await say('确认', { payload: yes.payload });
    expect(text(stale)).toMatch(/行程有变化，这次没有预订[\s\S]*请选择/);
    expect(demo.bookingsFor('c-1001')).toHaveLength(0);
  });

  test('change passengers from the confirmation; a bare number answers', async () => {
    const { say, button, text } = setup();
    await say('I want a train from Hangzhou to Beijing tomorrow', { intent: 'ticket.book', locale: 'en-US' });
    const confirm = await say('1', { locale: 'en-US' });
    const ask = await say('Change passengers', {
      payload: button(confirm, 'Change passengers').payload,
      locale: 'en-US',
    });
    expect(text(ask)).toContain('How many passengers?');
    const again = await say('12', { locale: 'en-US' });
    expect(text(again)).toContain('1–9 passengers');
    const ok = await say('3', { locale: 'en-US' });
    expect(text(ok)).toMatch(/3 passengers; total ¥2016 \(¥672 × 3 passengers\)/);
  });

  test('a time of day in the request narrows the list; none then means the whole day', async () => {
    const { say, text } = setup();
    const afternoon = await say('明天下午北京到上海的高铁', { intent: 'ticket.book' });
    const departs = afternoon
      .flatMap((r) => r.quickReplies ?? [])
      .map((q) => q.title.split(' ')[1]!.slice(0, 5));
    expect(departs.length).toBeGreaterThan(0);
    for (const d of departs) expect(d >= '12:00' && d < '18:00').toBe(true);
    const night = await say('改成夜里的');
    expect(text(night)).toContain('这天夜里没有班次，下面是全天的班次');
  });

  test('an anonymous visitor is asked to log in and nothing is searched', async () => {
    const { say, text } = setup(false);
    const replies = await say('帮我订一张明天北京到上海的高铁票', { intent: 'ticket.book' });
    expect(text(replies)).toContain('登录');
    expect(text(replies)).not.toContain('为您找到');
  });
});

describe('reading the slots', () => {
  const entities = (text: string) => extractEntities(text, { now: NOW, timeZone: 'Asia/Shanghai' });

  test.each([
    ['帮我订张机票', 'flight'],
    ['北京飞成都', 'flight'],
    ['明天的高铁', 'train'],
    ['book me a flight', 'flight'],
    ['a train to Nanjing', 'train'],
    ['飞机还是高铁？', undefined],
    ['我要订票', undefined],
  ])('ticket type of %s → %s', (text, type) => {
    expect(ticketTypeIn(text)).toBe(type);
  });

  test.each([
    ['两张', false, 2],
    ['2 tickets', false, 2],
    ['两个大人一个小孩', false, 3],
    ['第二个', false, undefined],
    ['3', false, undefined],
    ['3', true, 3],
    ['买3件衣服', false, undefined],
  ])('passengers in %s (asked: %s) → %s', (text, asked, n) => {
    expect(passengersIn(text, entities(text), asked)).toBe(n);
  });

  test('cities keep their role, the Chinese name as typed, and origin words win over "to"', () => {
    expect(cityMentions('从北京到上海', entities('从北京到上海'))).toEqual([
      { place: { key: 'Beijing', zh: '北京' }, role: 'from' },
      { place: { key: 'Shanghai', zh: '上海' }, role: 'to' },
    ]);
    const text = 'change the departure city to Hangzhou';
    expect(cityMentions(text, entities(text))).toEqual([{ place: { key: 'Hangzhou' }, role: 'from' }]);
    expect(cityMentions('出发地改成南京', entities('出发地改成南京'))).toEqual([
      { place: { key: 'Nanjing', zh: '南京' }, role: 'from' },
    ]);
    expect(cityMentions('从北京到北京', entities('从北京到北京'))).toHaveLength(2);
  });

  test.each([
    ['G718', 'G718'],
    ['我要g718', 'G718'],
    ['G71', undefined],
    ['option 2', 'G1999'],
    ['#3', 'G1927'],
    ['no 2 tickets', undefined],
    ['12:55那班', 'G718'],
    ['the 3pm one', 'G183'],
    ['最便宜的', 'G1140'],
    ['the latest one', 'G183'],
  ])('option named by %s → %s', async (text, number) => {
    const demo = new DemoCommerceBackend({ clock: () => NOW });
    const options = await demo.searchTickets({ type: 'train', from: '北京', to: '上海', date: '2026-12-14' });
    const hhmm = (iso: string) => iso.slice(11, 16);
    expect(optionNamed(text, entities(text), options, hhmm)?.number).toBe(number);
  });
});

import { MAX_REPLIES_PER_TURN, SkillRouter, type TurnInput } from './router';
import { type DialogueState, type Skill, initialDialogueState } from './skill';
import type { NluResult } from './nlu';

const messages = {
  'en-US': { ask: 'Which one?', ok: 'Done: {value}' },
  'zh-CN': { ask: '哪一个？', ok: '好的：{value}' },
};

const asker: Skill = {
  id: 'asker',
  intents: ['ask.thing'],
  messages,
  async begin(turn) {
    turn.reply({ text: turn.t('ask') });
    return { status: 'waiting' };
  },
  async continue(turn) {
    if (turn.text === 'cancel') return { status: 'cancelled' };
    turn.reply({ text: turn.t('ok', { value: turn.text }) });
    return { status: 'done' };
  },
};
const other: Skill = {
  id: 'other',
  intents: ['other.thing'],
  postbacks: ['oth'],
  messages,
  async begin(turn) {
    turn.reply({ text: `other ${turn.payload ?? ''}` });
    return { status: 'done' };
  },
};
const chatty: Skill = {
  id: 'chatty',
  intents: ['chatty'],
  messages,
  async begin(turn) {
    for (let i = 0; i < 100; i++) turn.reply({ text: `line ${i}` });
    return { status: 'done' };
  },
};
const fallback: Skill = {
  id: 'fallback',
  intents: [],
  messages,
  async begin(turn) {
    turn.reply({ text: 'fallback' });
    return { status: 'done' };
  },
};

const router = new SkillRouter([asker, other, chatty, fallback], 'fallback');

function input(text: string, intent: string | null, confidence = 0.9, payload?: string): TurnInput {
  const nlu: NluResult = {
    text,
    normalized: text,
    locale: 'en-US',
    intent,
    confidence,
    intents: [],
    entities: [],
    knowledge: [],
  };
  return {
    shop: { id: 's', name: 'S', locales: ['en-US'], identitySecret: 'x' },
    settings: {},
    conversation: {
      id: 'c',
      shopId: 's',
      userId: 'u',
      channel: 't',
      verified: false,
      locale: null,
      status: 'open',
      lastActivityAt: new Date(),
    },
    user: { id: 'u', verified: false },
    locale: 'en-US',
    text,
    payload,
    nlu,
  };
}

describe('SkillRouter', () => {
  test('starts by intent, keeps a waiting task on the stack, continues it, then pops it', async () => {
    const first = await router.route(input('ask me', 'ask.thing'), initialDialogueState());
    expect(first.replies).toEqual([{ text: 'Which one?' }]);
    expect(first.state.stack).toEqual([{ skill: 'asker', step: 'start', slots: {}, attempts: 0 }]);
    const second = await router.route(input('blue', null, 0.1), first.state);
    expect(second.replies).toEqual([{ text: 'Done: blue' }]);
    expect(second.state.stack).toEqual([]);
    expect(second.state.turns).toBe(2);
  });

  test('a confident other intent interrupts; the interrupted task stays underneath', async () => {
    const first = await router.route(input('ask me', 'ask.thing'), initialDialogueState());
    const switched = await router.route(input('other', 'other.thing', 0.95), first.state);
    expect(switched.skill).toBe('other');
    expect(switched.state.stack.map((t) => t.skill)).toEqual(['asker']);
    const weak = await router.route(input('maybe other', 'other.thing', 0.4), first.state);
    expect(weak.skill).toBe('asker');
  });

  test('postbacks go to the skill that owns the prefix; unknown intents to the fallback', async () => {
    expect((await router.route(input('x', null, 0, 'oth:42'), initialDialogueState())).replies).toEqual([
      { text: 'other oth:42' },
    ]);
    expect((await router.route(input('??', null, 0), initialDialogueState())).skill).toBe('fallback');
  });

  test('messages come in the turn locale; the previous state is not mutated', async () => {
    const previous: DialogueState = initialDialogueState();
    const zh = await router.route({ ...input('问我', 'ask.thing'), locale: 'zh-CN' }, previous);
    expect(zh.replies[0]?.text).toBe('哪一个？');
    expect(previous).toEqual(initialDialogueState());
  });

  test('a runaway skill is cut off at the per-turn reply limit', async () => {
    const result = await router.route(input('chatty', 'chatty'), initialDialogueState());
    expect(result.replies).toHaveLength(MAX_REPLIES_PER_TURN);
  });

  test('registering a skill twice or a missing fallback is an error at startup', () => {
    expect(() => new SkillRouter([asker, asker, fallback], 'fallback')).toThrow(/twice/);
    expect(() => new SkillRouter([asker], 'fallback')).toThrow(/fallback/);
  });
});

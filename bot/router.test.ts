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
    now: new Date(),
  };
}

describe('SkillRouter', () => {
  test('starts by intent, keeps a waiting task on the stack, continues it, then pops it', async () => {
    const first = await router.route(input('ask me', 'ask.thing'), initialDialogueState());
    expect(first.replies).toEqual([{ text: 'Which one?' }]);
    expect(first.state.stack).toEqual([
      { id: expect.any(String), skill: 'asker', step: 'start', slots: {}, attempts: 0 },
    ]);
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

describe('dialogue manager', () => {
  const confirmer: Skill = {
    id: 'confirmer',
    intents: ['do.thing'],
    satisfaction: true,
    messages: { ...messages, 'en-US': { ...messages['en-US'], title: 'thing' } },
    async begin(turn) {
      turn.reply({ text: 'Sure?', quickReplies: [{ title: 'Yes', payload: turn.choicePayload('yes') }] });
      return { status: 'waiting' };
    },
    async continue(turn) {
      if (turn.choice === 'yes') {
        turn.reply({ text: 'Done it' });
        return { status: 'done' };
      }
      turn.reply({ text: 'Sure? (again)' });
      return { status: 'waiting' };
    },
    async resume(turn) {
      turn.reply({ text: 'Still want the thing?' });
      return { status: 'waiting' };
    },
  };
  const dm = new SkillRouter([confirmer, other, fallback], 'fallback');

  test('a task quick reply continues its task; clicking it again after the task ended runs nothing', async () => {
    const first = await dm.route(input('do it', 'do.thing'), initialDialogueState());
    const yes = first.replies[0]!.quickReplies![0]!.payload;
    const second = await dm.route(input('Yes', null, 0, yes), first.state);
    expect(second.replies[0]).toEqual({ text: 'Done it' });
    // The satisfaction question follows a completed task.
    expect(second.replies[1]?.quickReplies?.map((q) => q.payload)).toEqual([
      'dialogue:csat:5',
      'dialogue:csat:3',
      'dialogue:csat:1',
    ]);
    const again = await dm.route(input('Yes', null, 0, yes), second.state);
    expect(again.skill).toBe('dialogue');
    expect(again.replies[0]?.text).toMatch(/already been taken care of/);
    const rated = await dm.route(input('Great', null, 0, 'dialogue:csat:5'), second.state);
    expect(rated.state.memory.satisfaction).toBe(5);
  });

  test('an interruption ends with an offer to resume; resume re-asks, drop forgets', async () => {
    const first = await dm.route(input('do it', 'do.thing'), initialDialogueState());
    const interrupted = await dm.route(input('other', 'other.thing', 0.95), first.state);
    expect(interrupted.replies.map((r) => r.text)).toEqual([
      'other ',
      'Back to your thing. Shall we continue?',
    ]);
    expect(interrupted.state.stack.map((t) => t.skill)).toEqual(['confirmer']);
    const resumed = await dm.route(input('Continue', null, 0, 'dialogue:resume'), interrupted.state);
    expect(resumed.replies).toEqual([{ text: 'Still want the thing?' }]);
    const dropped = await dm.route(input('No thanks', null, 0, 'dialogue:drop'), interrupted.state);
    expect(dropped.state.stack).toEqual([]);
  });

  test('cancel pops the active task; with nothing active it just acknowledges', async () => {
    const first = await dm.route(input('do it', 'do.thing'), initialDialogueState());
    const cancelled = await dm.route(input('never mind', 'common.cancel', 0.9), first.state);
    expect(cancelled.state.stack).toEqual([]);
    expect(cancelled.replies[0]?.text).toBe("OK, I've cancelled that.");
    const idle = await dm.route(input('cancel', 'common.cancel', 0.9), initialDialogueState());
    expect(idle.replies[0]?.text).toMatch(/anything else/);
  });

  test('repeat says the last replies again and changes nothing', async () => {
    const first = await dm.route(input('do it', 'do.thing'), initialDialogueState());
    const repeated = await dm.route(input('say again', 'common.repeat', 0.9), first.state);
    expect(repeated.replies).toEqual(first.replies);
    expect(repeated.state.stack).toEqual(first.state.stack);
  });
});

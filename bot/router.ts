import type { Reply } from './activity';
import { type Catalog, loadCatalog, translate } from './i18n';
import { newId } from './ids';
import { knowledgeOutranks } from './knowledge';
import type { DialogueState, Outcome, Skill, Task, TurnContext } from './skill';

/** The parts of a turn the pipeline knows before a skill runs. */
export type TurnInput = Omit<TurnContext, 'task' | 'reply' | 't' | 'memory' | 'choice' | 'choicePayload'>;

export interface RouteResult {
  replies: Reply[];
  state: DialogueState;
  skill: string;
  outcome: Outcome;
}

/** A skill that keeps replying in a loop must not flood the customer: the turn stops at this many. */
export const MAX_REPLIES_PER_TURN = 8;
/** A new intent this confident interrupts the running task (which stays on the stack to resume). */
export const SWITCH_CONFIDENCE = 0.7;
/** A task starts from an intent only this sure; less sure goes to the fallback (knowledge, "did you mean"). */
export const BEGIN_CONFIDENCE = 0.45;
/** Dialogue-level intents (cancel, repeat) act only when this sure. */
export const CONTROL_CONFIDENCE = 0.6;

/** Answers, not new requests: while a task waits, "yes" / "no" go to it (a typed "确认" confirms). */
const NON_INTERRUPTING = new Set(['common.affirm', 'common.deny']);
/** Entities that answer a task's question: with one present, "repeat"/"cancel" readings are doubtful. */
const SLOT_ENTITIES = new Set([
  'orderId',
  'phone',
  'amount',
  'number',
  'count',
  'date',
  'city',
  'fromCity',
  'toCity',
]);

/** Postbacks the dialogue manager handles itself. */
export const DIALOGUE_POSTBACK = 'dialogue';
/** Postbacks addressed to one task: `task:<taskId>:<value>`. */
export const TASK_POSTBACK = 'task';
/** A postback that asks for a person (the handoff skill owns the intent `common.human`). */
export const HUMAN_POSTBACK = `${DIALOGUE_POSTBACK}:human`;

const catalog: Catalog = loadCatalog(__dirname);

/**
 * The dialogue manager: a stack of tasks. It continues the active task, lets a confident new intent
 * interrupt it (and offers to resume it afterwards), handles cancel, "repeat that", task-addressed
 * quick replies (a stale one — a confirmation clicked twice — runs nothing), and asks for
 * satisfaction when a task completes.
 */
export class SkillRouter {
  private readonly byId = new Map<string, Skill>();
  private readonly byIntent = new Map<string, Skill>();
  private readonly byPostback = new Map<string, Skill>();
  private readonly catalog = catalog;

  constructor(
    skills: Skill[],
    readonly fallbackSkillId: string,
  ) {
    for (const skill of skills) {
      if (this.byId.has(skill.id)) throw new Error(`skill "${skill.id}" registered twice`);
      this.byId.set(skill.id, skill);
      for (const intent of skill.intents) this.byIntent.set(intent, skill);
      for (const prefix of skill.postbacks ?? []) this.byPostback.set(prefix, skill);
    }
    if (!this.byId.has(fallbackSkillId))
      throw new Error(`fallback skill "${fallbackSkillId}" is not registered`);
  }

  get intents(): string[] {
    return [...this.byIntent.keys()];
  }

  /** The name of the task an intent starts ("查询订单"), for the agent's summary. */
  titleOf(intent: string, locale: string): string | undefined {
    const skill = this.byIntent.get(intent);
    if (!skill) return undefined;
    try {
      return translate(skill.messages, locale, 'title');
    } catch {
      return undefined;
    }
  }

  async route(input: TurnInput, previous: DialogueState): Promise<RouteResult> {
    const state: DialogueState = { ...structuredClone(previous), memory: { ...(previous.memory ?? {}) } };
    state.stack ??= [];
    state.turns += 1;
    state.locale = input.locale;
    state.lastIntent = input.nlu.intent;
    const say = (key: string, vars?: Record<string, string | number>) =>
      translate(this.catalog, input.locale, key, vars);
    const finish = (replies: Reply[], skill: string, outcome: Outcome): RouteResult => {
      if (replies.length > 0) state.lastReplies = replies;
      return { replies, state, skill, outcome };
    };

    const [prefix, ...rest] = (input.payload ?? '').split(':');
    const answersTask =
      previous.stack?.length > 0 && input.nlu.entities.some((e) => SLOT_ENTITIES.has(e.type));
    const control = input.nlu.confidence >= CONTROL_CONFIDENCE && !answersTask ? input.nlu.intent : null;

    // "Repeat that": say the last thing again, change nothing.
    if (!input.payload && control === 'common.repeat') {
      const last = previous.lastReplies ?? [];
      return {
        replies: last.length ? last : [{ text: say('dialogue.nothing-to-repeat') }],
        state,
        skill: 'dialogue',
        outcome: { status: 'done' },
      };
    }

    if (prefix === DIALOGUE_POSTBACK) {
      const action = rest[0];
      if (action === 'resume' && state.stack.length) {
        return this.run(input, state, state.stack.at(-1)!, true, 'resume', finish);
      }
      if (action === 'drop') {
        state.stack = [];
        return finish([{ text: say('dialogue.dropped') }], 'dialogue', { status: 'done' });
      }
      if (action === 'csat') {
        state.memory.satisfaction = Number(rest[1]) || null;
        return finish([{ text: say('dialogue.satisfaction.thanks') }], 'dialogue', { status: 'done' });
      }
      if (action === 'human') {
        const human = this.byIntent.get('common.human');
        if (human) return this.run(input, state, newTask(human.id), false, 'begin', finish);
      }
    }

    if (prefix === TASK_POSTBACK) {
      const [taskId, ...value] = rest;
      const task = state.stack.find((t) => t.id === taskId);
      // A quick reply of a task that has ended (a confirmation clicked twice) runs nothing.
      if (!task) return finish([{ text: say('dialogue.already-handled') }], 'dialogue', { status: 'done' });
      state.stack = [...state.stack.filter((t) => t !== task), task];
      return this.run(input, state, task, true, 'continue', finish, value.join(':'));
    }

    const active = state.stack.at(-1);
    if (control === 'common.cancel' && !input.payload) {
      if (!active)
        return finish([{ text: say('dialogue.nothing-to-cancel') }], 'dialogue', { status: 'cancelled' });
      state.stack.pop();
      const replies: Reply[] = [{ text: say('dialogue.cancelled') }];
      this.offerResume(state, input.locale, replies);
      return finish(replies, active.skill, { status: 'cancelled' });
    }

    const postbackSkill = prefix ? this.byPostback.get(prefix) : undefined;
    if (postbackSkill) {
      const continuing = active?.skill === postbackSkill.id && !!postbackSkill.continue;
      return this.run(
        input,
        state,
        continuing ? active : newTask(postbackSkill.id),
        continuing,
        continuing ? 'continue' : 'begin',
        finish,
      );
    }

    let intentSkill =
      input.nlu.intent && input.nlu.confidence >= BEGIN_CONFIDENCE
        ? this.byIntent.get(input.nlu.intent)
        : undefined;
    let confidence = input.nlu.confidence;
    // A general question the shop's knowledge answers gets the shop's answer, unless it is about the
    // customer's own order (or refund, recharge, booking) or continues the task in progress.
    const knowledgeSkill = this.byIntent.get('faq');
    if (
      knowledgeSkill &&
      intentSkill !== knowledgeSkill &&
      input.nlu.intent !== null &&
      knowledgeOutranks(input.nlu, intentSkill?.id, active?.skill)
    ) {
      intentSkill = knowledgeSkill;
      confidence = input.nlu.knowledge[0]!.score;
    }
    const activeSkill = active && this.byId.get(active.skill);
    // A message that carries what the task asked for ("45", an order id) answers it, unless it
    // clearly starts another task ("订单1003退款" while tracking a parcel).
    const switching =
      intentSkill &&
      intentSkill.id !== active?.skill &&
      confidence >= SWITCH_CONFIDENCE &&
      !NON_INTERRUPTING.has(input.nlu.intent ?? '') &&
      (!answersTask || !!intentSkill.continue);
    if (active && activeSkill?.continue && !switching) {
      return this.run(input, state, active, true, 'continue', finish);
    }
    const skill = intentSkill ?? this.byId.get(this.fallbackSkillId)!;
    return this.run(input, state, newTask(skill.id), false, 'begin', finish);
  }

  private async run(
    input: TurnInput,
    state: DialogueState,
    task: Task,
    onStack: boolean,
    how: 'begin' | 'continue' | 'resume',
    finish: (replies: Reply[], skill: string, outcome: Outcome) => RouteResult,
    choice?: string,
  ): Promise<RouteResult> {
    const skill = this.byId.get(task.skill);
    if (!skill) {
      // A stored task of a skill that no longer exists: drop it rather than fail every turn.
      state.stack = state.stack.filter((t) => t !== task);
      return this.run(input, state, newTask(this.fallbackSkillId), false, 'begin', finish);
    }
    const replies: Reply[] = [];
    const ctx: TurnContext = {
      ...input,
      task,
      memory: state.memory,
      choice,
      reply: (r) => {
        if (replies.length < MAX_REPLIES_PER_TURN) replies.push(r);
      },
      t: (key, vars) => translate(skill.messages, input.locale, key, vars),
      choicePayload: (value) => `${TASK_POSTBACK}:${task.id}:${value}`,
    };
    const outcome =
      how === 'begin'
        ? await skill.begin(ctx)
        : how === 'resume' && skill.resume
          ? await skill.resume(ctx)
          : await (skill.continue ?? skill.begin)(ctx);

    if (outcome.status === 'waiting') {
      if (!onStack) state.stack.push(task);
    } else {
      state.stack = state.stack.filter((t) => t !== task);
      // Not after a login prompt or an answer the customer did not get: there is nothing to rate.
      if (
        outcome.status === 'done' &&
        !outcome.unresolved &&
        skill.satisfaction &&
        state.stack.length === 0
      ) {
        replies.push(this.satisfactionQuestion(input.locale));
      }
      if (outcome.status !== 'handoff') this.offerResume(state, input.locale, replies);
    }
    return finish(replies.slice(0, MAX_REPLIES_PER_TURN), skill.id, outcome);
  }

  /** After a task ends with an interrupted one beneath: "Back to your refund…" */
  private offerResume(state: DialogueState, locale: string, replies: Reply[]): void {
    const waiting = state.stack.at(-1);
    const skill = waiting && this.byId.get(waiting.skill);
    if (!skill) return;
    let title: string;
    try {
      title = translate(skill.messages, locale, 'title');
    } catch {
      title = skill.id;
    }
    replies.push({
      text: translate(this.catalog, locale, 'dialogue.resume', { title }),
      quickReplies: [
        {
          title: translate(this.catalog, locale, 'dialogue.resume.yes'),
          payload: `${DIALOGUE_POSTBACK}:resume`,
        },
        {
          title: translate(this.catalog, locale, 'dialogue.resume.no'),
          payload: `${DIALOGUE_POSTBACK}:drop`,
        },
      ],
    });
  }

  private satisfactionQuestion(locale: string): Reply {
    const t = (key: string) => translate(this.catalog, locale, key);
    return {
      text: t('dialogue.satisfaction'),
      quickReplies: [
        { title: t('dialogue.satisfaction.good'), payload: `${DIALOGUE_POSTBACK}:csat:5` },
        { title: t('dialogue.satisfaction.ok'), payload: `${DIALOGUE_POSTBACK}:csat:3` },
        { title: t('dialogue.satisfaction.bad'), payload: `${DIALOGUE_POSTBACK}:csat:1` },
      ],
    };
  }
}

function newTask(skill: string): Task {
  return { id: newId('k'), skill, step: 'start', slots: {}, attempts: 0 };
}

/** The offer of a human, for a skill after repeated failures or a backend that keeps failing. */
export function offerHuman(locale: string): Reply {
  return {
    text: translate(catalog, locale, 'dialogue.offer-human'),
    quickReplies: [
      { title: translate(catalog, locale, 'dialogue.offer-human.button'), payload: HUMAN_POSTBACK },
    ],
  };
}

import type { Reply } from './activity';
import { translate } from './i18n';
import type { DialogueState, Outcome, Skill, Task, TurnContext } from './skill';

/** The parts of a turn the pipeline knows before a skill runs. */
export type TurnInput = Omit<TurnContext, 'task' | 'reply' | 't'>;

export interface RouteResult {
  replies: Reply[];
  state: DialogueState;
  skill: string;
  outcome: Outcome;
}

/** A skill that keeps replying in a loop must not flood the customer: the turn stops at this many. */
export const MAX_REPLIES_PER_TURN = 8;
/** A new intent this confident interrupts the running task (which stays on the stack). */
export const SWITCH_CONFIDENCE = 0.7;

/** Picks the skill for a turn — continue the active task, follow a postback, or start one by intent. */
export class SkillRouter {
  private readonly byId = new Map<string, Skill>();
  private readonly byIntent = new Map<string, Skill>();
  private readonly byPostback = new Map<string, Skill>();

  constructor(
    skills: Skill[],
    private readonly fallbackSkillId: string,
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

  async route(input: TurnInput, previous: DialogueState): Promise<RouteResult> {
    const state: DialogueState = structuredClone(previous);
    state.turns += 1;
    state.locale = input.locale;
    state.lastIntent = input.nlu.intent;

    const active = state.stack.at(-1);
    const activeSkill = active && this.byId.get(active.skill);
    const postbackSkill = input.payload
      ? this.byPostback.get(input.payload.split(':', 1)[0] ?? '')
      : undefined;
    const intentSkill = input.nlu.intent ? this.byIntent.get(input.nlu.intent) : undefined;

    let skill: Skill;
    let task: Task;
    let continuing = false;
    if (postbackSkill) {
      skill = postbackSkill;
      continuing = active?.skill === skill.id && !!skill.continue;
      task = continuing && active ? active : newTask(skill.id);
    } else if (
      active &&
      activeSkill?.continue &&
      !(intentSkill && intentSkill.id !== active.skill && input.nlu.confidence >= SWITCH_CONFIDENCE)
    ) {
      skill = activeSkill;
      task = active;
      continuing = true;
    } else {
      skill = intentSkill ?? this.byId.get(this.fallbackSkillId)!;
      task = newTask(skill.id);
    }

    const replies: Reply[] = [];
    const ctx: TurnContext = {
      ...input,
      task,
      reply: (r) => {
        if (replies.length < MAX_REPLIES_PER_TURN) replies.push(r);
      },
      t: (key, vars) => translate(skill.messages, input.locale, key, vars),
    };
    const outcome = continuing && skill.continue ? await skill.continue(ctx) : await skill.begin(ctx);

    if (!continuing && outcome.status === 'waiting') state.stack.push(task);
    if (continuing && outcome.status !== 'waiting') state.stack = state.stack.filter((t) => t !== task);
    return { replies, state, skill: skill.id, outcome };
  }
}

function newTask(skill: string): Task {
  return { skill, step: 'start', slots: {}, attempts: 0 };
}

import type { Skill } from '../../bot/skill';

/** The fallback a SkillRouter needs in skill unit tests: it answers "fallback" and ends. */
export const fallbackSkill: Skill = {
  id: 'fallback',
  intents: [],
  messages: { 'en-US': {}, 'zh-CN': {} },
  async begin(turn) {
    turn.reply({ text: 'fallback' });
    return { status: 'done' };
  },
};

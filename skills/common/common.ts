import type { QuickReply } from '../../bot/activity';
import { type Catalog, loadCatalog, translate } from '../../bot/i18n';
import { HUMAN_POSTBACK } from '../../bot/router';
import type { Outcome, TurnContext } from '../../bot/skill';
import { type CommerceBackend, isCommerceError } from '../../commerce/commerce';
import type { SkillDeps } from '../skill-deps';

/** Messages every task skill shares (backend failures, login, confirmation buttons). */
const common: Catalog = loadCatalog(__dirname);

export function commonText(turn: TurnContext, key: string, vars?: Record<string, string | number>): string {
  return translate(common, turn.locale, key, vars);
}

/** After this many failed answers to one question, the bot offers a person. */
export const MAX_ATTEMPTS = 2;

/** "转人工客服"; a skill escalating for a reason (a refund dispute) says so, and the handoff carries it. */
export function humanButton(turn: TurnContext, reason?: 'refund_dispute' | 'backend_failure'): QuickReply {
  return {
    title: commonText(turn, 'human.button'),
    payload: reason ? `${HUMAN_POSTBACK}:${reason}` : HUMAN_POSTBACK,
  };
}

/** Backend failures in a row in one conversation before the bot stops apologising and escalates. */
const BACKEND_FAILURES_BEFORE_ESCALATION = 2;

/** Confirm / cancel quick replies addressed to the running task (a stale click runs nothing). */
export function confirmButtons(turn: TurnContext): QuickReply[] {
  return [
    { title: commonText(turn, 'confirm.yes'), payload: turn.choicePayload('confirm') },
    { title: commonText(turn, 'confirm.no'), payload: turn.choicePayload('cancel') },
  ];
}

/** Did the customer confirm (button, or "yes" / "确认")? Declined? Neither? */
export function confirmation(turn: TurnContext): 'yes' | 'no' | undefined {
  if (turn.choice === 'confirm') return 'yes';
  if (turn.choice === 'cancel') return 'no';
  if (turn.nlu.intent === 'common.affirm') return 'yes';
  if (turn.nlu.intent === 'common.deny' || turn.nlu.intent === 'common.cancel') return 'no';
  return undefined;
}

/**
 * Order matters need a customer the shop vouches for: anonymous visitors are asked to log in and
 * told nothing.
 */
export function requireVerified(turn: TurnContext): boolean {
  if (turn.user.verified) return true;
  turn.reply({ text: commonText(turn, 'login.required') });
  return false;
}

/** The shop's commerce backend, or undefined after telling the customer there is none. */
export function backendFor(turn: TurnContext, deps: SkillDeps): CommerceBackend | undefined {
  const backend = deps.commerce(turn.shop.id, turn.settings);
  if (!backend) turn.reply({ text: commonText(turn, 'backend.none'), quickReplies: [humanButton(turn)] });
  return backend;
}

/**
 * Runs a backend call; a failure (timeout, 5xx, malformed answer, open breaker) becomes an apology
 * and the offer of a person — never a crash, never invented data.
 */
export async function callBackend<T>(
  turn: TurnContext,
  call: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; outcome: Outcome }> {
  try {
    const value = await call();
    turn.memory.backendFailures = 0;
    return { ok: true, value };
  } catch (err) {
    if (!isCommerceError(err)) throw err;
    const failures = Number(turn.memory.backendFailures ?? 0) + 1;
    turn.memory.backendFailures = failures;
    if (failures >= BACKEND_FAILURES_BEFORE_ESCALATION) {
      // The order system keeps failing: a person takes over rather than a third apology.
      turn.memory.backendFailures = 0;
      turn.reply({ text: commonText(turn, 'backend.escalated') });
      return { ok: false, outcome: { status: 'handoff', reason: 'backend_failure' } };
    }
    turn.reply({
      text: commonText(turn, 'backend.failed'),
      quickReplies: [humanButton(turn, 'backend_failure')],
    });
    // The task could not be done: it ends without the satisfaction question.
    return { ok: false, outcome: { status: 'cancelled' } };
  }
}

/** The idempotency key of a task's side effect: the same for a retry or a second click. */
export function idempotencyKey(turn: TurnContext, action: string): string {
  return `${turn.conversation.id}:${turn.task.id}:${action}`;
}

const ORDINALS_ZH: Record<string, number> = {
  一: 1,
  二: 2,
  两: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
  十: 10,
};
const ORDINALS_EN: Record<string, number> = {
  first: 1,
  second: 2,
  third: 3,
  fourth: 4,
  fifth: 5,
  sixth: 6,
  seventh: 7,
  eighth: 8,
  ninth: 9,
  tenth: 10,
  last: -1,
};

/**
 * "第二个", "the second one", "2nd", "last one", or a bare "2": a 0-based index into a list of
 * `length` choices the bot showed, or undefined.
 */
export function pickOrdinal(text: string, length: number): number | undefined {
  const t = text.trim().toLowerCase();
  let n: number | undefined;
  const zh = t.match(/第\s*([一二两三四五六七八九十]|\d+)\s*(个|单|项|条|班|趟|张)?/);
  if (zh) n = ORDINALS_ZH[zh[1]!] ?? Number(zh[1]);
  else if (/最后一(个|单|项|条)/.test(t)) n = -1;
  else {
    const en = t.match(/\b(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last)\b/);
    const numbered = t.match(/\b(\d{1,2})(?:st|nd|rd|th)\b|\bnumber\s+(\d{1,2})\b/);
    if (en) n = ORDINALS_EN[en[1]!];
    else if (numbered) n = Number(numbered[1] ?? numbered[2]);
    else {
      const num = t.match(/^(?:no\.?\s*|#)?(\d{1,2})(?:st|nd|rd|th)?(?:\s*(?:one|个))?$/);
      if (num) n = Number(num[1]);
    }
  }
  if (n === undefined) return undefined;
  const index = n === -1 ? length - 1 : n - 1;
  return index >= 0 && index < length ? index : undefined;
}

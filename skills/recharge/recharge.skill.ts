import type { QuickReply } from '../../bot/activity';
import { loadCatalog } from '../../bot/i18n';
import type { Outcome, Skill, TurnContext } from '../../bot/skill';
import {
  type CommerceBackend,
  RECHARGE_DENOMINATIONS,
  isRechargeDenomination,
  isValidRechargePhone,
} from '../../commerce/commerce';
import { parseNumeral } from '../../nlu/entities';
import {
  MAX_ATTEMPTS,
  backendFor,
  callBackend,
  commonText,
  confirmButtons,
  confirmation,
  humanButton,
  idempotencyKey,
  requireVerified,
} from '../common/common';
import type { SkillDeps } from '../skill-deps';

type Step = 'phone' | 'amount' | 'confirm';

/** What the task remembers between turns (plain data: it is stored with the dialogue state). */
interface RechargeSlots {
  /** Normalised: 11 mainland digits or E.164. */
  phone?: string;
  amount?: number;
}

/** What this turn said about the two slots; `invalid` when something was given but cannot be used. */
interface Heard {
  phone?: string;
  phoneInvalid?: boolean;
  amount?: number;
  amountInvalid?: boolean;
}

// A run of digits that looks like an attempt at a phone number ("1381234567", "+44 20 7946").
const PHONE_LIKE = /\+?\d[\d\s-]{5,}\d/;
// Words around a bare amount that are not the amount ("fifty yuan please", "一百吧").
const FILLER = /\s*\b(yuan|rmb|please|pls|thanks)\b|[元块钱吧的呢啊.!。！]/gi;

/** 138****5678; +44****0958 — a phone number is never repeated in full. */
export function maskPhone(phone: string): string {
  const keep = phone.startsWith('+') ? 4 : 3;
  if (phone.length <= keep + 4) return phone;
  return `${phone.slice(0, keep)}****${phone.slice(-4)}`;
}

function money(amount: number): string {
  return `¥${amount}`;
}

function slotsOf(turn: TurnContext): RechargeSlots {
  return turn.task.slots as RechargeSlots;
}

function entity(turn: TurnContext, type: string): { value: string } | undefined {
  return turn.nlu.entities.find((e) => e.type === type);
}

/**
 * The phone number and the amount in this turn. A bare number ("一百", "fifty") is the amount only
 * when the bot asked for one; otherwise money needs a currency or a money word, as the NLU decides.
 */
function hear(turn: TurnContext, step: string): Heard {
  const heard: Heard = {};
  const phone = entity(turn, 'phone');
  if (phone) {
    if (isValidRechargePhone(phone.value)) heard.phone = phone.value;
    else heard.phoneInvalid = true;
  } else {
    // Seven digits or more that the NLU took for something else (an order id): a phone number to check.
    const digits = turn.text.match(PHONE_LIKE)?.[0].replace(/[\s-]/g, '');
    if (digits && digits.replace('+', '').length >= 7) {
      if (isValidRechargePhone(digits)) heard.phone = digits;
      else heard.phoneInvalid = true;
    }
    // A short bare number where a phone number was asked for ("12345") is a wrong phone, not money.
    else if (step === 'phone' && /^\+?[\d\s-]+$/.test(turn.text.trim())) heard.phoneInvalid = true;
  }

  let amount: number | undefined;
  const said = entity(turn, 'amount');
  if (turn.choice?.startsWith('amount:')) amount = Number(turn.choice.slice('amount:'.length));
  else if (said) amount = Number(said.value);
  else if (step === 'amount' && !phone && !heard.phoneInvalid) {
    // The bot asked for the amount: a bare "一百" or "fifty" is one.
    const bare = entity(turn, 'number');
    amount = bare ? Number(bare.value) : parseNumeral(turn.text.trim().replace(FILLER, ''));
  }
  if (amount !== undefined) {
    if (isRechargeDenomination(amount)) heard.amount = amount;
    else heard.amountInvalid = true;
  }
  return heard;
}

/**
 * recharge.topup: a phone number (mainland or E.164) and an allowed amount, from one sentence or over
 * several turns, a confirmation with the number masked, and one idempotent top-up.
 */
export function createRechargeSkill(deps: SkillDeps): Skill {
  const messages = loadCatalog(__dirname);

  function goTo(turn: TurnContext, step: Step): Outcome {
    if (turn.task.step !== step) turn.task.attempts = 0;
    turn.task.step = step;
    return { status: 'waiting' };
  }

  /** One more unusable answer at this step; after MAX_ATTEMPTS, a person is offered and the task ends. */
  function failedAttempt(turn: TurnContext): boolean {
    turn.task.attempts += 1;
    if (turn.task.attempts < MAX_ATTEMPTS) return false;
    turn.reply({ text: commonText(turn, 'attempts.exceeded'), quickReplies: [humanButton(turn)] });
    return true;
  }

  function amountButtons(turn: TurnContext): QuickReply[] {
    return RECHARGE_DENOMINATIONS.map((d) => ({
      title: turn.t('amount.button', { amount: d }),
      payload: turn.choicePayload(`amount:${d}`),
    }));
  }

  function askPhone(turn: TurnContext, key: 'phone.ask' | 'phone.again' | 'phone.invalid'): Outcome {
    turn.reply({ text: turn.t(key) });
    return goTo(turn, 'phone');
  }

  function askAmount(turn: TurnContext, key: 'amount.ask' | 'amount.invalid'): Outcome {
    const phone = slotsOf(turn).phone!;
    const allowed = RECHARGE_DENOMINATIONS.join(turn.t('list.separator'));
    turn.reply({
      text: turn.t(key, { phone: maskPhone(phone), allowed }),
      quickReplies: amountButtons(turn),
    });
    return goTo(turn, 'amount');
  }

  function askConfirm(turn: TurnContext): Outcome {
    const { phone, amount } = slotsOf(turn) as Required<RechargeSlots>;
    const masked = maskPhone(phone);
    turn.reply({
      text: turn.t('confirm.ask', { phone: masked, amount: money(amount) }),
      card: {
        title: turn.t('confirm.card.title'),
        fields: [
          { label: turn.t('field.phone'), value: masked },
          { label: turn.t('field.amount'), value: money(amount) },
        ],
      },
      quickReplies: confirmButtons(turn),
    });
    return goTo(turn, 'confirm');
  }

  /**
   * Takes what was heard, then asks for the first thing missing (phone, then amount) or for the
   * confirmation. A wrong value, or no answer to the question just asked, counts towards the offer
   * of a person.
   */
  function advance(turn: TurnContext, heard: Heard): Outcome {
    const slots = slotsOf(turn);
    if (heard.phone) slots.phone = heard.phone;
    if (heard.phoneInvalid) delete slots.phone;
    if (heard.amount) slots.amount = heard.amount;
    if (heard.amountInvalid) delete slots.amount;
    const next: Step = !slots.phone ? 'phone' : !slots.amount ? 'amount' : 'confirm';
    if (next === 'confirm') return askConfirm(turn);

    const invalid = next === 'phone' ? !!heard.phoneInvalid : !!heard.amountInvalid;
    const unanswered = next === turn.task.step;
    goTo(turn, next);
    if ((invalid || unanswered) && failedAttempt(turn)) return { status: 'done' };
    if (next === 'phone')
      return askPhone(turn, invalid ? 'phone.invalid' : unanswered ? 'phone.again' : 'phone.ask');
    return askAmount(turn, invalid ? 'amount.invalid' : 'amount.ask');
  }

  async function submit(turn: TurnContext, backend: CommerceBackend): Promise<Outcome> {
    const { phone, amount } = slotsOf(turn) as Required<RechargeSlots>;
    const res = await callBackend(turn, () =>
      backend.recharge({ customerId: turn.user.id, phone, amount }, idempotencyKey(turn, 'recharge')),
    );
    if (!res.ok) return res.outcome;
    const vars = { phone: maskPhone(phone), amount: money(amount), rechargeId: res.value.rechargeId };
    if (res.value.status === 'failed') {
      turn.reply({ text: turn.t('result.failed', vars), quickReplies: [humanButton(turn)] });
    } else {
      turn.reply({ text: turn.t(`result.${res.value.status}`, vars) });
    }
    return { status: 'done' };
  }

  return {
    id: 'recharge.topup',
    intents: ['recharge.topup'],
    messages,
    satisfaction: true,

    async begin(turn) {
      // The top-up is charged to the customer's account: the shop must vouch for who they are.
      if (!requireVerified(turn)) return { status: 'done', unresolved: true };
      if (!backendFor(turn, deps)) return { status: 'done' };
      return advance(turn, hear(turn, 'start'));
    },

    async continue(turn) {
      const step = turn.task.step as Step;
      const heard = hear(turn, step);
      if (step !== 'confirm') return advance(turn, heard);

      // A changed number or amount at the confirmation is confirmed again before anything is done.
      if (heard.phone || heard.amount || heard.phoneInvalid || heard.amountInvalid)
        return advance(turn, heard);
      const answer = confirmation(turn);
      if (answer === 'yes') {
        const backend = backendFor(turn, deps);
        if (!backend) return { status: 'done' };
        return submit(turn, backend);
      }
      if (answer === 'no') {
        turn.reply({ text: turn.t('cancelled') });
        return { status: 'cancelled' };
      }
      if (failedAttempt(turn)) return { status: 'done' };
      return askConfirm(turn);
    },

    async resume(turn) {
      const step = turn.task.step as Step;
      if (step === 'phone') return askPhone(turn, 'phone.ask');
      if (step === 'amount') return askAmount(turn, 'amount.ask');
      return askConfirm(turn);
    },
  };
}

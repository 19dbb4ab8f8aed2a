import type { Card, QuickReply } from '../../bot/activity';
import { loadCatalog } from '../../bot/i18n';
import type { Outcome, Skill, TurnContext } from '../../bot/skill';
import { type CommerceBackend, type Order, REFUNDABLE_STATUSES } from '../../commerce/commerce';
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
  pickOrdinal,
  requireVerified,
} from '../common/common';
import type { SkillDeps } from '../skill-deps';

/** The shop's fastRefund setting when it has none (the spec's defaults). */
export const DEFAULT_FAST_REFUND = { minTier: 3, maxAmount: 500 };
/** How many recent orders the picker looks at (the contract's `?limit=5`). */
const RECENT_ORDERS = 5;

type Step = 'order' | 'order-confirm' | 'amount' | 'reason' | 'confirm';

/** What the task remembers between turns (plain data: it is stored with the dialogue state). */
interface RefundSlots {
  /** The order being refunded, once it is known to be the customer's. */
  order?: OrderSummary;
  /** An order id taken from conversation memory, waiting for the customer to confirm it. */
  suggested?: string;
  /** Orders offered in the picker, in the order shown ("the second one"). */
  choices?: string[];
  /** Stated by the customer; absent means the full total. */
  amount?: number;
  reason?: string;
  tier?: number;
}

interface OrderSummary {
  id: string;
  status: Order['status'];
  total: number;
  title: string;
  createdAt: string;
  currency: string;
}

const REASONS = ['unwanted', 'size', 'quality', 'wrong-item', 'other'] as const;
type ReasonKey = (typeof REASONS)[number];

// First match wins: a wrong item is named before its faults ("发错颜色了，还有点小" is a wrong item).
const REASON_PATTERNS: [ReasonKey, RegExp][] = [
  [
    'wrong-item',
    /发错|错发|发的不是|不是我(要|买|订|拍)的|颜色不对|型号不对|款式不对|wrong (item|colou?r|product|model|one|thing)|not what i (ordered|bought)/i,
  ],
  [
    'quality',
    /质量|坏了|破损|损坏|瑕疵|有问题|故障|不能用|用不了|次品|掉色|褪色|开线|开胶|脱胶|开裂|起球|破洞|漏水|不亮|没反应|充不进|broken|damaged|defective|faulty|(doesn'?t|does not|don'?t|stopped) work|quality|scratch|torn|ripped/i,
  ],
  [
    'size',
    /尺码|尺寸|码数|偏大|偏小|太大|太小|大了|小了|不合身|不合适|size|too (big|small|large|tight|loose|long|short)|(doesn'?t|does not|didn'?t) fit/i,
  ],
  [
    'unwanted',
    /不想要|不要了|不需要|拍错|买错|多拍|多买|用不上|不喜欢|后悔|changed? my mind|(don'?t|do not|no longer) (want|need)|by mistake|by accident/i,
  ],
];
const FULL_AMOUNT = /全额|全部|全款|都退|full|all of it|everything|whole/i;

function detectReason(text: string): ReasonKey | undefined {
  return REASON_PATTERNS.find(([, re]) => re.test(text))?.[0];
}

/** ¥278.80 for renminbi, "USD 12.00" for anything else a shop may sell in. */
function money(amount: number, currency = 'CNY'): string {
  return currency === 'CNY' ? `¥${amount.toFixed(2)}` : `${currency} ${amount.toFixed(2)}`;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function entity(turn: TurnContext, type: string): string | undefined {
  return turn.nlu.entities.find((e) => e.type === type)?.value;
}

/** The sum the customer named: a money amount, or (when the bot asked for one) a bare number. */
function statedAmount(turn: TurnContext, bareNumberIsAmount: boolean): number | undefined {
  const value = entity(turn, 'amount') ?? (bareNumberIsAmount ? entity(turn, 'number') : undefined);
  if (value !== undefined) return Number(value);
  // "fifty" alone is no entity: read the numeral itself when we asked for a sum.
  if (bareNumberIsAmount) return parseNumeral(turn.text.trim().replace(/[.!。！]+$/, ''));
  return undefined;
}

function summarize(turn: TurnContext, order: Order): OrderSummary {
  const [first] = order.items;
  const pieces = order.items.reduce((n, item) => n + item.qty, 0);
  const title = !first
    ? order.id
    : order.items.length > 1
      ? turn.t('items.more', { title: first.title, n: pieces, more: pieces - first.qty })
      : first.title;
  return {
    id: order.id,
    status: order.status,
    total: order.total,
    title,
    createdAt: order.createdAt,
    currency: order.currency,
  };
}

function shopDate(turn: TurnContext, iso: string): string {
  const hours = turn.settings.businessHours;
  // en-CA formats as YYYY-MM-DD, the same in both languages.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: hours?.timezone ?? 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(iso));
}

/** The order of a picker card or quick reply the customer tapped (`order:<id>`). */
function pickedOrder(turn: TurnContext): string | undefined {
  return turn.choice?.startsWith('order:') ? turn.choice.slice('order:'.length) : undefined;
}

function slotsOf(turn: TurnContext): RefundSlots {
  return turn.task.slots as RefundSlots;
}

/** Moves the task to a new question, with a fresh count of failed answers. */
function goTo(turn: TurnContext, step: Step): Outcome {
  if (turn.task.step !== step) turn.task.attempts = 0;
  turn.task.step = step;
  return { status: 'waiting' };
}

/**
 * One more answer we could not use at the current step; after MAX_ATTEMPTS, offer a person instead of
 * asking again (the task then ends: the customer can start over or take the person).
 */
function failedAttempt(turn: TurnContext, lead?: string): boolean {
  turn.task.attempts += 1;
  if (turn.task.attempts < MAX_ATTEMPTS) return false;
  const exceeded = commonText(turn, 'attempts.exceeded');
  turn.reply({ text: lead ? `${lead}\n${exceeded}` : exceeded, quickReplies: [humanButton(turn)] });
  return true;
}

/**
 * refund.request: a verified customer's order (named, remembered from the conversation, or picked
 * from their refundable orders), an amount (the full total unless stated), a reason, a confirmation
 * card that says whether the refund will be instant (极速退款) or go to the merchant, and one
 * idempotent submission.
 */
export function createRefundSkill(deps: SkillDeps): Skill {
  const messages = loadCatalog(__dirname);

  /** The customer's order; undefined when it is unknown or someone else's (the caller answers both alike). */
  async function loadOrder(
    turn: TurnContext,
    backend: CommerceBackend,
    orderId: string,
  ): Promise<{ ok: true; order?: Order } | { ok: false; outcome: Outcome }> {
    const res = await callBackend(turn, () => backend.getOrder(orderId));
    if (!res.ok) return res;
    const order = res.value?.customerId === turn.user.id ? res.value : undefined;
    return { ok: true, order };
  }

  /** The customer's recent refundable orders as cards, with ordinal and quick-reply picking. */
  async function askOrder(turn: TurnContext, backend: CommerceBackend, lead?: string): Promise<Outcome> {
    const res = await callBackend(turn, () => backend.listOrders(turn.user.id, RECENT_ORDERS));
    if (!res.ok) return res.outcome;
    const orders = res.value.filter(
      (o) => o.customerId === turn.user.id && REFUNDABLE_STATUSES.includes(o.status),
    );
    const slots = slotsOf(turn);
    slots.choices = orders.map((o) => o.id);
    const prefix = lead ? `${lead}\n` : '';
    if (orders.length === 0) {
      turn.reply({ text: prefix + turn.t(res.value.length ? 'order.none-refundable' : 'order.no-orders') });
      return goTo(turn, 'order');
    }
    turn.reply({
      text: prefix + turn.t('order.ask'),
      quickReplies: orders.map((o) => ({
        title: turn.t('order.pick', { orderId: o.id }),
        payload: turn.choicePayload(`order:${o.id}`),
      })),
    });
    orders.forEach((o, i) => {
      const s = summarize(turn, o);
      turn.reply({
        text: turn.t('order.card.text', { n: i + 1, orderId: o.id }),
        card: orderCard(turn, s, true),
      });
    });
    return goTo(turn, 'order');
  }

  function orderCard(turn: TurnContext, s: OrderSummary, pickable: boolean): Card {
    return {
      title: s.title,
      subtitle: turn.t('order.card.subtitle', { orderId: s.id }),
      fields: [
        { label: turn.t('field.status'), value: turn.t(`status.${s.status}`) },
        { label: turn.t('field.date'), value: shopDate(turn, s.createdAt) },
        { label: turn.t('field.total'), value: money(s.total, s.currency) },
      ],
      ...(pickable
        ? { buttons: [{ title: turn.t('order.card.button'), payload: turn.choicePayload(`order:${s.id}`) }] }
        : {}),
    };
  }

  /** Takes an order the customer named or picked: ownership, then eligibility, then the next question. */
  async function useOrder(turn: TurnContext, backend: CommerceBackend, orderId: string): Promise<Outcome> {
    const loaded = await loadOrder(turn, backend, orderId);
    if (!loaded.ok) return loaded.outcome;
    const slots = slotsOf(turn);
    if (!loaded.order) {
      // Unknown and someone else's order read the same: nothing about it is disclosed.
      const notFound = commonText(turn, 'order.not-found', { orderId });
      goTo(turn, 'order');
      if (failedAttempt(turn, notFound)) return { status: 'done' };
      return askOrder(turn, backend, notFound);
    }
    const order = loaded.order;
    turn.memory.orderId = order.id;
    if (!REFUNDABLE_STATUSES.includes(order.status)) {
      // A refund in progress or done that the customer disputes goes to a person with the dispute noted.
      const disputable = order.status === 'refunding' || order.status === 'refunded';
      turn.reply({
        text: turn.t(`ineligible.${order.status}`, { orderId: order.id }),
        ...(disputable ? { quickReplies: [humanButton(turn, 'refund_dispute')] } : {}),
      });
      return { status: 'done' };
    }
    slots.order = summarize(turn, order);
    delete slots.choices;
    delete slots.suggested;
    return proceed(turn, backend);
  }

  /** Asks for whatever is still missing, or shows the confirmation card. */
  async function proceed(turn: TurnContext, backend: CommerceBackend): Promise<Outcome> {
    const slots = slotsOf(turn);
    const order = slots.order!;
    if (slots.amount !== undefined && !(slots.amount > 0 && slots.amount <= order.total)) {
      goTo(turn, 'amount');
      if (failedAttempt(turn)) return { status: 'done' };
      return askAmount(turn, order);
    }
    if (!slots.reason) return askReason(turn);
    return showConfirmation(turn, backend);
  }

  /** Asks for the sum; after an unusable one, says what the limits are. */
  function askAmount(turn: TurnContext, order: OrderSummary): Outcome {
    const invalid = turn.task.attempts > 0;
    delete slotsOf(turn).amount;
    turn.reply({
      text: turn.t(invalid ? 'amount.invalid' : 'amount.ask', { total: money(order.total, order.currency) }),
      quickReplies: [
        {
          title: turn.t('amount.full', { total: money(order.total, order.currency) }),
          payload: turn.choicePayload('amount:full'),
        },
      ],
    });
    return goTo(turn, 'amount');
  }

  function reasonButtons(turn: TurnContext): QuickReply[] {
    return REASONS.map((r) => ({ title: turn.t(`reason.${r}`), payload: turn.choicePayload(`reason:${r}`) }));
  }

  function askReason(turn: TurnContext): Outcome {
    const order = slotsOf(turn).order!;
    const amount = slotsOf(turn).amount ?? order.total;
    turn.reply({
      text: turn.t('reason.ask', { orderId: order.id, amount: money(amount, order.currency) }),
      quickReplies: reasonButtons(turn),
    });
    return goTo(turn, 'reason');
  }

  async function showConfirmation(turn: TurnContext, backend: CommerceBackend): Promise<Outcome> {
    const slots = slotsOf(turn);
    const order = slots.order!;
    if (slots.tier === undefined) {
      const res = await callBackend(turn, () => backend.getCustomer(turn.user.id));
      if (!res.ok) return res.outcome;
      slots.tier = res.value?.tier ?? 0;
    }
    const amount = slots.amount ?? order.total;
    const fast = isFast(turn, slots.tier, amount);
    const vars = {
      orderId: order.id,
      title: order.title,
      amount: money(amount, order.currency),
      reason: slots.reason!,
    };
    const card: Card = {
      title: turn.t('confirm.card.title'),
      fields: [
        { label: turn.t('field.order'), value: order.id },
        { label: turn.t('field.items'), value: order.title },
        { label: turn.t('field.amount'), value: money(amount, order.currency) },
        { label: turn.t('field.reason'), value: slots.reason! },
        { label: turn.t('field.mode'), value: turn.t(fast ? 'mode.fast' : 'mode.review') },
      ],
    };
    turn.reply({
      text: `${turn.t('confirm.ask', vars)}\n${turn.t(fast ? 'confirm.fast' : 'confirm.review')}`,
      card,
      quickReplies: confirmButtons(turn),
    });
    return goTo(turn, 'confirm');
  }

  function isFast(turn: TurnContext, tier: number, amount: number): boolean {
    const setting = turn.settings.fastRefund ?? {};
    const minTier = setting.minTier ?? DEFAULT_FAST_REFUND.minTier;
    const maxAmount = setting.maxAmount ?? DEFAULT_FAST_REFUND.maxAmount;
    return tier >= minTier && amount <= maxAmount;
  }

  async function submit(turn: TurnContext, backend: CommerceBackend): Promise<Outcome> {
    const slots = slotsOf(turn);
    const order = slots.order!;
    const amount = slots.amount ?? order.total;
    const fast = isFast(turn, slots.tier ?? 0, amount);
    const res = await callBackend(turn, () =>
      backend.requestRefund(
        order.id,
        { amount, reason: slots.reason!, fast },
        idempotencyKey(turn, 'refund'),
      ),
    );
    if (!res.ok) return res.outcome;
    const vars = { orderId: order.id, amount: money(amount, order.currency), refundId: res.value.refundId };
    switch (res.value.status) {
      case 'approved':
        turn.reply({ text: turn.t('result.approved', vars) });
        break;
      case 'pending':
        turn.reply({ text: turn.t('result.pending', vars) });
        break;
      default:
        // The backend's own message is for the merchant's logs, not the customer: say it in our words.
        turn.reply({
          text: turn.t('result.rejected', vars),
          quickReplies: [humanButton(turn, 'refund_dispute')],
        });
    }
    return { status: 'done' };
  }

  /** The order id in this turn: a picked card or quick reply, a named order, "the second one". */
  function orderIdFrom(turn: TurnContext, choices: string[]): string | undefined {
    const picked = pickedOrder(turn);
    if (picked) return picked;
    const named = entity(turn, 'orderId');
    if (named) return named;
    const index = pickOrdinal(turn.text, choices.length);
    if (index !== undefined) return choices[index];
    // A shop whose order ids do not look like ours: a bare number is all we get.
    return entity(turn, 'number');
  }

  /** Remembered orders a customer may point at ("第二个") right after order.query listed them. */
  function lastOrders(turn: TurnContext): string[] {
    const list = turn.memory.lastOrders;
    if (!Array.isArray(list)) return [];
    return list
      .map((o: unknown) => (typeof o === 'string' ? o : (o as { id?: unknown } | null)?.id))
      .filter((id): id is string => typeof id === 'string');
  }

  async function askAgain(turn: TurnContext, backend: CommerceBackend): Promise<Outcome> {
    const slots = slotsOf(turn);
    switch (turn.task.step as Step) {
      case 'order-confirm':
        return askSuggested(turn, backend, slots.suggested!);
      case 'amount':
        return askAmount(turn, slots.order!);
      case 'reason':
        return askReason(turn);
      case 'confirm':
        return showConfirmation(turn, backend);
      default:
        return askOrder(turn, backend);
    }
  }

  /** "Is it order 1003?" — an order remembered from the conversation is never refunded unconfirmed. */
  async function askSuggested(
    turn: TurnContext,
    backend: CommerceBackend,
    orderId: string,
  ): Promise<Outcome> {
    const loaded = await loadOrder(turn, backend, orderId);
    if (!loaded.ok) return loaded.outcome;
    if (!loaded.order) return askOrder(turn, backend);
    const s = summarize(turn, loaded.order);
    slotsOf(turn).suggested = s.id;
    turn.reply({
      text: turn.t('order.confirm-memory', { orderId: s.id, title: s.title }),
      card: orderCard(turn, s, false),
      quickReplies: [
        { title: turn.t('order.confirm-memory.yes'), payload: turn.choicePayload('suggested:yes') },
        { title: turn.t('order.confirm-memory.other'), payload: turn.choicePayload('suggested:other') },
      ],
    });
    return goTo(turn, 'order-confirm');
  }

  return {
    id: 'refund.request',
    intents: ['refund.request'],
    messages,
    satisfaction: true,

    async begin(turn) {
      if (!requireVerified(turn)) return { status: 'done', unresolved: true };
      const backend = backendFor(turn, deps);
      if (!backend) return { status: 'done' };
      const slots = slotsOf(turn);
      const amount = statedAmount(turn, false);
      if (amount !== undefined && !FULL_AMOUNT.test(turn.text)) slots.amount = round2(amount);
      const reason = detectReason(turn.text);
      if (reason) slots.reason = turn.t(`reason.${reason}`);

      const named = entity(turn, 'orderId');
      if (named) return useOrder(turn, backend, named);
      const listed = lastOrders(turn);
      const index = listed.length ? pickOrdinal(turn.text, listed.length) : undefined;
      if (index !== undefined) return useOrder(turn, backend, listed[index]!);
      const remembered = turn.memory.orderId;
      if (typeof remembered === 'string' && remembered) return askSuggested(turn, backend, remembered);
      return askOrder(turn, backend);
    },

    async continue(turn) {
      const backend = backendFor(turn, deps);
      if (!backend) return { status: 'done' };
      const slots = slotsOf(turn);
      const step = turn.task.step as Step;

      if (step === 'order') {
        const orderId = orderIdFrom(turn, slots.choices ?? []);
        if (orderId) {
          const amount = statedAmount(turn, false);
          if (amount !== undefined) slots.amount = round2(amount);
          return useOrder(turn, backend, orderId);
        }
        if (failedAttempt(turn)) return { status: 'done' };
        turn.reply({ text: turn.t('order.again') });
        return { status: 'waiting' };
      }

      if (step === 'order-confirm') {
        const named = entity(turn, 'orderId');
        if (named) return useOrder(turn, backend, named);
        const answer =
          turn.choice === 'suggested:yes'
            ? 'yes'
            : turn.choice === 'suggested:other'
              ? 'no'
              : confirmation(turn);
        if (answer === 'yes') return useOrder(turn, backend, slots.suggested!);
        if (answer === 'no') {
          delete slots.suggested;
          return askOrder(turn, backend);
        }
        if (failedAttempt(turn)) return { status: 'done' };
        return askSuggested(turn, backend, slots.suggested!);
      }

      const order = slots.order!;
      if (step === 'amount') {
        const amount =
          turn.choice === 'amount:full' || FULL_AMOUNT.test(turn.text)
            ? order.total
            : statedAmount(turn, true);
        if (amount !== undefined && amount > 0 && amount <= order.total) {
          slots.amount = round2(amount);
          return proceed(turn, backend);
        }
        if (failedAttempt(turn)) return { status: 'done' };
        return askAmount(turn, order);
      }

      // Another order named (or another card tapped) part-way: the refund is about that one now.
      const other = entity(turn, 'orderId') ?? pickedOrder(turn);
      if (other && other !== order.id) {
        delete slots.amount;
        const amount = statedAmount(turn, false);
        if (amount !== undefined) slots.amount = round2(amount);
        return useOrder(turn, backend, other);
      }

      const picked = turn.choice?.startsWith('reason:')
        ? (turn.choice.slice('reason:'.length) as ReasonKey)
        : undefined;
      const reason = picked && REASONS.includes(picked) ? picked : detectReason(turn.text);

      // A new sum while we ask for the reason or the confirmation ("退50就行") replaces the old one.
      const amount = turn.choice ? undefined : statedAmount(turn, false);
      if (amount !== undefined) {
        slots.amount = round2(amount);
        if (reason) slots.reason = turn.t(`reason.${reason}`);
        turn.task.attempts = 0;
        return proceed(turn, backend);
      }

      if (step === 'reason') {
        const text = turn.text.trim();
        // A bare "ok" or "no" is not a reason; anything else the customer writes is.
        const bare =
          !reason && ['common.affirm', 'common.deny', 'common.greet'].includes(turn.nlu.intent ?? '');
        if (reason || (text && !bare && !turn.choice)) {
          slots.reason = reason ? turn.t(`reason.${reason}`) : text.slice(0, 200);
          return proceed(turn, backend);
        }
        if (failedAttempt(turn)) return { status: 'done' };
        return askReason(turn);
      }

      // step === 'confirm'
      const answer = confirmation(turn);
      if (answer === 'yes') return submit(turn, backend);
      if (answer === 'no') {
        turn.reply({ text: turn.t('cancelled') });
        return { status: 'cancelled' };
      }
      // "原因改成质量问题": a changed reason is shown again for confirmation.
      if (reason) {
        slots.reason = turn.t(`reason.${reason}`);
        turn.task.attempts = 0;
        return showConfirmation(turn, backend);
      }
      if (failedAttempt(turn)) return { status: 'done' };
      return showConfirmation(turn, backend);
    },

    async resume(turn) {
      const backend = backendFor(turn, deps);
      if (!backend) return { status: 'done' };
      return askAgain(turn, backend);
    },
  };
}

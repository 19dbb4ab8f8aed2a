import type { Reply } from '../../bot/activity';
import { type Catalog, loadCatalog, translate } from '../../bot/i18n';
import { shopTimeZone } from '../../bot/settings';
import type { Outcome, TurnContext } from '../../bot/skill';
import type { CommerceBackend, Order, OrderStatus } from '../../commerce/commerce';
import { MAX_ATTEMPTS, callBackend, commonText, humanButton, pickOrdinal } from '../common/common';
import { ANSWER_SCORE } from '../../bot/knowledge';

/**
 * Order helpers shared by the order-query and return-address skills (and the proactive
 * suggestions): formatting in the shop's time zone, the ownership check, and the order picker.
 * They read this folder's catalogue explicitly, so they say the same thing whichever skill runs.
 */
const catalog: Catalog = loadCatalog(__dirname);

export function orderText(locale: string, key: string, vars?: Record<string, string | number>): string {
  return translate(catalog, locale, key, vars);
}

/** `2026-11-20 11:32` (or `11-20 11:32` without the year), in the shop's time zone. */
export function formatDateTime(iso: string, timeZone: string, withYear = true): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(iso));
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  const date = withYear ? `${p.year}-${p.month}-${p.day}` : `${p.month}-${p.day}`;
  return `${date} ${p.hour}:${p.minute}`;
}

export function formatMoney(amount: number, currency: string): string {
  const value = Number.isInteger(amount) ? String(amount) : amount.toFixed(2);
  return currency === 'CNY' ? `¥${value}` : `${currency} ${value}`;
}

export function statusName(locale: string, status: OrderStatus): string {
  return orderText(locale, `status.${status}`);
}

/** Card title: the first item, "+ N more" when there are others. */
export function orderTitle(locale: string, order: Pick<Order, 'id' | 'items'>): string {
  const [first] = order.items;
  if (!first) return orderText(locale, 'card.no-items', { orderId: order.id });
  if (order.items.length === 1) return first.title;
  return orderText(locale, 'card.title.more', {
    title: first.title,
    count: order.items.length,
    more: order.items.length - 1,
  });
}

/** Shipped orders in time order; delivered ones carry their signature as the latest event. */
export function latestEventTime(order: Order): number | undefined {
  const times = (order.shipment?.events ?? []).map((e) => Date.parse(e.time)).filter((t) => !Number.isNaN(t));
  return times.length ? Math.max(...times) : undefined;
}

/** The order id the customer wrote this turn (the NLU's entity), if any. */
export function orderIdEntity(turn: TurnContext): string | undefined {
  return turn.nlu.entities.find((e) => e.type === 'orderId')?.value;
}

/**
 * The customer's own order, or `order: undefined` for an unknown id AND for someone else's order:
 * both are answered the same way, so nothing about another customer's order leaks.
 */
export async function findOwnOrder(
  turn: TurnContext,
  backend: CommerceBackend,
  orderId: string,
): Promise<{ ok: true; order?: Order } | { ok: false; outcome: Outcome }> {
  const res = await callBackend(turn, () => backend.getOrder(orderId));
  if (!res.ok) return res;
  const order = res.value;
  return { ok: true, order: order && order.customerId === turn.user.id ? order : undefined };
}

/** What a picker keeps of an order in the task's slots (plain data), to show it again on resume. */
export interface OrderOption {
  id: string;
  title: string;
  status: OrderStatus;
  createdAt: string;
  total: number;
  currency: string;
}

export function toOption(locale: string, order: Order): OrderOption {
  return {
    id: order.id,
    title: orderTitle(locale, order),
    status: order.status,
    createdAt: order.createdAt,
    total: order.total,
    currency: order.currency,
  };
}

/**
 * Shows orders as cards to pick from (title, status, date, total, a button addressed to the task)
 * and remembers them: in the task for the pick, in memory for "the second one" later on.
 */
export function showOrderPicker(turn: TurnContext, options: OrderOption[], intro: string): void {
  const { locale } = turn;
  const tz = shopTimeZone(turn.settings);
  turn.task.step = 'pick';
  turn.task.slots.options = options;
  turn.memory.lastOrders = options.map((o) => o.id);
  turn.reply({ text: intro });
  options.forEach((o, i) => {
    const reply: Reply = {
      text: orderText(locale, 'picker.line', { n: i + 1, orderId: o.id, title: o.title }),
      card: {
        title: o.title,
        subtitle: orderText(locale, 'card.subtitle', { orderId: o.id }),
        fields: [
          { label: orderText(locale, 'label.status'), value: statusName(locale, o.status) },
          { label: orderText(locale, 'label.date'), value: formatDateTime(o.createdAt, tz) },
          { label: orderText(locale, 'label.total'), value: formatMoney(o.total, o.currency) },
        ],
        buttons: [{ title: orderText(locale, 'card.pick'), payload: turn.choicePayload(o.id) }],
      },
    };
    turn.reply(reply);
  });
}

export function pickerOptions(turn: TurnContext): OrderOption[] {
  const options = turn.task.slots.options;
  return Array.isArray(options) ? (options as OrderOption[]) : [];
}

/** pickOrdinal, also through the words around it ("the 2nd one", "number 2", "第二个吧"). */
function ordinal(text: string, length: number): number | undefined {
  return (
    pickOrdinal(text, length) ??
    pickOrdinal(text.replace(/\b(the|please|pls|order|number)\b|[吧呢啊哈。.!！]/gi, ' ').trim(), length)
  );
}

// Words around an item name that do not name the item ("the earbuds one", "耳机那个").
const FILLER =
  /那个|这个|那单|这单|订单|的|吧|呢|啊|吗|要|查|\bthe\b|\bone\b|\border\b|\bplease\b|\bmy\b|[，。！？,.!?]/gi;

/**
 * Which order the customer picked: a card button, an order id, "第二个" / "the second one", or
 * part of an item's name ("耳机那个", "the earbuds one").
 */
export function chosenOrderId(turn: TurnContext, options: OrderOption[]): string | undefined {
  if (turn.choice) return turn.choice;
  const typed = orderIdEntity(turn);
  if (typed) return typed;
  const index = ordinal(turn.text, options.length);
  if (index !== undefined) return options[index]!.id;
  const words = turn.text.toLowerCase().replace(FILLER, ' ').replace(/\s+/g, ' ').trim();
  if (words.length >= 2) {
    const hits = options.filter((o) => o.title.toLowerCase().includes(words));
    if (hits.length === 1) return hits[0]!.id;
  }
  return undefined;
}

/**
 * Something that is not a pick while the bot waits for one: a shop question gets its answer (and
 * the question again); anything else counts as a failed attempt, and after MAX_ATTEMPTS the bot
 * offers a person and ends the task.
 */
export function notAPick(turn: TurnContext, reask: () => void): Outcome {
  const best = turn.nlu.knowledge[0];
  if (best && best.score >= ANSWER_SCORE) {
    turn.reply({ text: best.answer });
    reask();
    return { status: 'waiting' };
  }
  return failedAttempt(turn, () => turn.reply({ text: orderText(turn.locale, 'picker.reprompt') }));
}

export function failedAttempt(turn: TurnContext, reprompt: () => void): Outcome {
  turn.task.attempts += 1;
  if (turn.task.attempts >= MAX_ATTEMPTS) {
    turn.reply({ text: commonText(turn, 'attempts.exceeded'), quickReplies: [humanButton(turn)] });
    return { status: 'done' };
  }
  reprompt();
  return { status: 'waiting' };
}

/** "那个订单" / "that order" / "它": the customer points back at the order talked about before. */
export function refersBack(text: string): boolean {
  return /那个|那笔|那单|这个|这笔|这单|该订单|它|刚才|刚刚|上面|上一个|\b(that|this|same|it)\b/i.test(text);
}

/** "第二个" / "the second one" about the order list shown earlier in the conversation. */
export function orderFromLastList(turn: TurnContext): string | undefined {
  const last = turn.memory.lastOrders;
  if (!Array.isArray(last) || last.length === 0) return undefined;
  const index = ordinal(turn.text, last.length);
  return index === undefined ? undefined : String(last[index]);
}

/** The order the conversation was last about. */
export function rememberedOrderId(turn: TurnContext): string | undefined {
  return typeof turn.memory.orderId === 'string' ? turn.memory.orderId : undefined;
}

import { type Catalog, loadCatalog, translate } from '../../bot/i18n';
import { SWITCH_CONFIDENCE } from '../../bot/router';
import type { Outcome, Skill, TurnContext } from '../../bot/skill';
import type { CommerceBackend, Order, ReturnAddress } from '../../commerce/commerce';
import { callBackend, commonText, humanButton } from '../common/common';
import {
  chosenOrderId,
  failedAttempt,
  findOwnOrder,
  notAPick,
  orderFromLastList,
  orderIdEntity,
  orderTitle,
  pickerOptions,
  rememberedOrderId,
  showOrderPicker,
  statusName,
  toOption,
} from '../order-query/orders';
import type { SkillDeps } from '../skill-deps';

/** This skill's catalogue, read explicitly: `replyReturnAddress` also runs inside other skills' turns. */
const catalog: Catalog = loadCatalog(__dirname);

function say(turn: TurnContext, key: string, vars?: Record<string, string | number>): string {
  return translate(catalog, turn.locale, key, vars);
}

/** Orders worth asking "which one are you returning?" about: goods that reached (or are on the way to) the customer. */
const RETURNABLE = new Set<Order['status']>(['shipped', 'delivered', 'refunding']);
const RECENT_ORDERS = 5;

/** The shop's general return address from its settings, when it has a complete one. */
function shopAddress(turn: TurnContext): ReturnAddress | undefined {
  const a = turn.settings.returnAddress;
  return a?.address ? { name: a.name, phone: a.phone, address: a.address } : undefined;
}

function backendOf(turn: TurnContext, deps: SkillDeps): CommerceBackend | undefined {
  return deps.commerce(turn.shop.id, turn.settings);
}

function replyAddress(turn: TurnContext, key: string, address: ReturnAddress, orderId?: string): void {
  turn.reply({ text: say(turn, key, { ...address, orderId: orderId ?? '' }) });
  turn.reply({ text: say(turn, 'steps') });
}

/** The shop's general address (no order involved), or an honest "none" with a person offered. */
function generalAddress(turn: TurnContext, loginNote: boolean): Outcome {
  const address = shopAddress(turn);
  if (!address) {
    turn.reply({ text: say(turn, 'address.none'), quickReplies: [humanButton(turn)] });
    return { status: 'done' };
  }
  replyAddress(turn, 'address.shop', address);
  if (loginNote) turn.reply({ text: say(turn, 'login.for-order') });
  return { status: 'done' };
}

/**
 * The return address of one of the customer's orders (the backend's, else the shop's setting) with
 * the return steps. Exported for the order-query skill's 猜你想问 "how do I return it?". An unknown or
 * someone else's order is "not found", nothing more; `retry` keeps the task waiting for another id.
 */
export async function replyReturnAddress(
  turn: TurnContext,
  deps: SkillDeps,
  orderId: string,
  retry?: () => Promise<Outcome>,
): Promise<Outcome> {
  const backend = backendOf(turn, deps);
  if (!backend) return generalAddress(turn, false);
  const found = await findOwnOrder(turn, backend, orderId);
  if (!found.ok) return found.outcome;
  const order = found.order;
  if (!order) {
    turn.reply({ text: commonText(turn, 'order.not-found', { orderId }) });
    return retry ? retry() : { status: 'done' };
  }
  turn.memory.orderId = order.id;
  if (!order.shipment) {
    // Nothing was sent out, so there is nothing to send back (a refund is the way out).
    const status = statusName(turn.locale, order.status);
    const key = order.status === 'paid' ? 'not-shipped.paid' : 'not-shipped';
    turn.reply({
      text: say(turn, key, { orderId: order.id, status, title: orderTitle(turn.locale, order) }),
    });
    return { status: 'done' };
  }
  const own = await callBackend(turn, () => backend.getReturnAddress(order.id));
  if (!own.ok) return own.outcome;
  if (own.value) {
    replyAddress(turn, 'address.order', own.value, order.id);
    return { status: 'done' };
  }
  const shop = shopAddress(turn);
  if (!shop) {
    turn.reply({ text: say(turn, 'address.none'), quickReplies: [humanButton(turn)] });
    return { status: 'done' };
  }
  replyAddress(turn, 'address.shop-for-order', shop, order.id);
  return { status: 'done' };
}

/**
 * 退货地址: where to send a return (per order from the shop's backend, else the shop's setting) and
 * how. Anonymous visitors get the shop's general address (not personal data), never an order's.
 */
export function createReturnAddressSkill(deps: SkillDeps): Skill {
  /** An unknown id: once more (from the recent orders or typed), then a person is offered. */
  async function retryPick(turn: TurnContext): Promise<Outcome> {
    const outcome = failedAttempt(turn, () => undefined);
    if (outcome.status !== 'waiting') return outcome;
    turn.task.step = 'pick';
    if (pickerOptions(turn).length > 0) {
      turn.reply({ text: say(turn, 'not-found.pick-above') });
      return outcome;
    }
    const backend = backendOf(turn, deps);
    const list = backend
      ? await callBackend(turn, () => backend.listOrders(turn.user.id, RECENT_ORDERS))
      : undefined;
    if (list && !list.ok) return list.outcome;
    const options = returnable(turn, list?.value ?? []);
    if (options.length === 0) turn.reply({ text: say(turn, 'ask.order-id') });
    else showOrderPicker(turn, options, say(turn, 'not-found.pick'));
    return outcome;
  }

  function returnable(turn: TurnContext, orders: Order[]) {
    return orders
      .filter((o) => o.customerId === turn.user.id && RETURNABLE.has(o.status) && o.shipment)
      .map((o) => toOption(turn.locale, o));
  }

  async function start(turn: TurnContext): Promise<Outcome> {
    const backend = backendOf(turn, deps);
    if (!backend) return generalAddress(turn, false);
    const orderId = orderIdEntity(turn) ?? orderFromLastList(turn) ?? rememberedOrderId(turn);
    if (orderId) return replyReturnAddress(turn, deps, orderId, () => retryPick(turn));

    const list = await callBackend(turn, () => backend.listOrders(turn.user.id, RECENT_ORDERS));
    if (!list.ok) return list.outcome;
    const options = returnable(turn, list.value);
    if (options.length === 0) return generalAddress(turn, false);
    if (options.length === 1) return replyReturnAddress(turn, deps, options[0]!.id);
    showOrderPicker(turn, options, say(turn, 'picker.intro'));
    return { status: 'waiting' };
  }

  function reask(turn: TurnContext): void {
    const options = pickerOptions(turn);
    if (options.length > 0) showOrderPicker(turn, options, say(turn, 'picker.again'));
    else turn.reply({ text: say(turn, 'ask.order-id') });
  }

  return {
    id: 'return.address',
    intents: ['return.address'],
    messages: catalog,
    satisfaction: true,
    async begin(turn) {
      if (!turn.user.verified) return generalAddress(turn, true);
      return start(turn);
    },
    async continue(turn) {
      if (!turn.user.verified) return generalAddress(turn, true);
      const orderId = chosenOrderId(turn, pickerOptions(turn));
      if (!orderId && turn.nlu.intent === 'return.address' && turn.nlu.confidence >= SWITCH_CONFIDENCE) {
        // Asked again instead of picking: show the choice afresh, not as a failed answer.
        Object.assign(turn.task, { step: 'start', slots: {}, attempts: 0 });
        return start(turn);
      }
      if (!orderId) return notAPick(turn, () => reask(turn));
      return replyReturnAddress(turn, deps, orderId, () => retryPick(turn));
    },
    async resume(turn) {
      reask(turn);
      return { status: 'waiting' };
    },
  };
}

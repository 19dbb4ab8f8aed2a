import { loadCatalog } from '../../bot/i18n';
import { SWITCH_CONFIDENCE } from '../../bot/router';
import { shopTimeZone } from '../../bot/settings';
import type { Outcome, Skill, TurnContext } from '../../bot/skill';
import { type CommerceBackend, type Order, sortedEvents } from '../../commerce/commerce';
import { backendFor, callBackend, commonText, humanButton, requireVerified } from '../common/common';
import { replyReturnAddress } from '../return-address/return-address.skill';
import type { SkillDeps } from '../skill-deps';
import {
  chosenOrderId,
  failedAttempt,
  findOwnOrder,
  formatDateTime,
  formatMoney,
  latestEventTime,
  notAPick,
  orderFromLastList,
  orderIdEntity,
  orderTitle,
  pickerOptions,
  refersBack,
  rememberedOrderId,
  showOrderPicker,
  statusName,
  toOption,
} from './orders';
import { SUGGEST_POSTBACK } from './proactive';

/** How many recent orders the picker shows. */
export const RECENT_ORDERS = 5;
/** How many shipment events an answer shows, newest first. */
export const SHOWN_EVENTS = 3;
/** A parcel with no tracking update for this long is called stalled (and a person is offered). */
export const STALLED_HOURS = 48;
/** An anonymous question this close to a shop's knowledge entry gets that answer, not just "log in". */
export const ANONYMOUS_KNOWLEDGE_SCORE = 0.8;

const REFUND_QUESTION = /退款|退钱|钱.{0,6}(退|到账|回来)|refund|money back/i;
const LIST_REQUEST = /所有|全部|哪些|列表|其他|另一个|别的|\b(all|list|other|another|orders)\b/i;

/**
 * 查订单: status, items, carrier, tracking number and the latest shipment events of one of the
 * customer's orders; with no order id, the recent orders as cards to pick from. Refund progress
 * questions ("我的退款到哪了") land here too. Also owns the `suggest:` postbacks of 猜你想问.
 */
export function createOrderQuerySkill(deps: SkillDeps): Skill {
  /** Looks an order up and answers; an unknown (or someone else's) id may be retried once. */
  async function answerOrder(turn: TurnContext, backend: CommerceBackend, orderId: string): Promise<Outcome> {
    const found = await findOwnOrder(turn, backend, orderId);
    if (!found.ok) return found.outcome;
    if (!found.order) return notFound(turn, backend, orderId);
    describeOrder(turn, found.order, REFUND_QUESTION.test(turn.text) || turn.task.slots.aboutRefund === true);
    return { status: 'done' };
  }

  async function notFound(turn: TurnContext, backend: CommerceBackend, orderId: string): Promise<Outcome> {
    turn.reply({ text: commonText(turn, 'order.not-found', { orderId }) });
    const outcome = failedAttempt(turn, () => undefined);
    if (outcome.status !== 'waiting') return outcome;
    turn.task.step = 'pick';
    if (pickerOptions(turn).length > 0) {
      turn.reply({ text: turn.t('not-found.pick-above') });
      return outcome;
    }
    const list = await callBackend(turn, () => backend.listOrders(turn.user.id, RECENT_ORDERS));
    if (!list.ok) return list.outcome;
    const options = ownOrders(turn, list.value).map((o) => toOption(turn.locale, o));
    if (options.length === 0) turn.reply({ text: turn.t('not-found.ask') });
    else showOrderPicker(turn, options, turn.t('not-found.pick'));
    return outcome;
  }

  async function lookup(turn: TurnContext): Promise<Outcome> {
    const backend = backendFor(turn, deps);
    if (!backend) return { status: 'done' };
    const typed = orderIdEntity(turn);
    if (typed) return answerOrder(turn, backend, typed);
    const fromList = orderFromLastList(turn);
    if (fromList) return answerOrder(turn, backend, fromList);
    const remembered = rememberedOrderId(turn);
    if (remembered && refersBack(turn.text) && !LIST_REQUEST.test(turn.text)) {
      return answerOrder(turn, backend, remembered);
    }

    const list = await callBackend(turn, () => backend.listOrders(turn.user.id, RECENT_ORDERS));
    if (!list.ok) return list.outcome;
    const orders = ownOrders(turn, list.value);
    if (orders.length === 0) {
      turn.reply({ text: turn.t('no-orders') });
      return { status: 'done' };
    }
    if (REFUND_QUESTION.test(turn.text)) return refundProgress(turn, orders);
    if (orders.length === 1) {
      describeOrder(turn, orders[0]!, false);
      return { status: 'done' };
    }
    showOrderPicker(
      turn,
      orders.map((o) => toOption(turn.locale, o)),
      turn.t('picker.intro'),
    );
    return { status: 'waiting' };
  }

  /** "我的退款到哪了": the refund in progress when there is one, else the refund-related orders. */
  function refundProgress(turn: TurnContext, orders: Order[]): Outcome {
    const refunding = orders.filter((o) => o.status === 'refunding');
    const related = orders.filter((o) => o.status === 'refunding' || o.status === 'refunded');
    const only = refunding.length === 1 ? refunding[0] : related.length === 1 ? related[0] : undefined;
    if (only) {
      describeOrder(turn, only, true);
      return { status: 'done' };
    }
    const shown = related.length > 0 ? related : orders;
    turn.task.slots.aboutRefund = true;
    showOrderPicker(
      turn,
      shown.map((o) => toOption(turn.locale, o)),
      turn.t(related.length > 0 ? 'picker.refund' : 'refund.none-recent'),
    );
    return { status: 'waiting' };
  }

  function describeOrder(turn: TurnContext, order: Order, aboutRefund: boolean): void {
    const { locale } = turn;
    const tz = shopTimeZone(turn.settings);
    turn.memory.orderId = order.id;
    const items = order.items
      .map((i) => turn.t('detail.item', { title: i.title, qty: i.qty }))
      .join(turn.t('list.separator'));
    const lines = [
      turn.t('detail.head', { orderId: order.id, status: statusName(locale, order.status) }),
      turn.t('detail.items', { items: items || orderTitle(locale, order) }),
      turn.t('detail.date', { date: formatDateTime(order.createdAt, tz) }),
      turn.t('detail.total', { total: formatMoney(order.total, order.currency) }),
    ];
    if (order.shipment) {
      const { carrier, trackingNo } = order.shipment;
      lines.push(turn.t('detail.shipment', { carrier, trackingNo }));
    }
    // Tracking matters while the parcel travels or was just delivered, not for a settled refund.
    if (order.shipment && (order.status === 'shipped' || order.status === 'delivered')) {
      const events = sortedEvents(order.shipment).reverse().slice(0, SHOWN_EVENTS);
      if (events.length === 0) lines.push(turn.t('detail.no-events'));
      else {
        lines.push(turn.t('detail.events'));
        for (const e of events) {
          lines.push(
            turn.t('detail.event', { time: formatDateTime(e.time, tz, false), description: e.description }),
          );
        }
      }
    }
    turn.reply({ text: lines.join('\n') });

    const latest = latestEventTime(order);
    const stalledHours = latest === undefined ? 0 : (turn.now.getTime() - latest) / 3_600_000;
    if (order.status === 'shipped' && stalledHours >= STALLED_HOURS) {
      // A parcel that stopped moving is something a person should chase with the carrier.
      turn.reply({
        text: turn.t('hint.stalled', { hours: Math.floor(stalledHours) }),
        quickReplies: [humanButton(turn)],
      });
    } else if (aboutRefund && order.status !== 'refunding' && order.status !== 'refunded') {
      turn.reply({ text: turn.t('refund.none', { status: statusName(locale, order.status) }) });
    } else {
      turn.reply({ text: turn.t(`hint.${order.status}`) });
    }
  }

  /** 猜你想问 quick replies: `suggest:<kind>:<orderId>`. */
  async function suggestion(turn: TurnContext): Promise<Outcome> {
    if (!requireVerified(turn)) return { status: 'done', unresolved: true };
    const [, kind = '', ...rest] = (turn.payload ?? '').split(':');
    const orderId = rest.join(':');
    if (!orderId) return lookup(turn);
    if (kind === 'return.address') return replyReturnAddress(turn, deps, orderId);
    const backend = backendFor(turn, deps);
    if (!backend) return { status: 'done' };
    const found = await findOwnOrder(turn, backend, orderId);
    if (!found.ok) return found.outcome;
    const order = found.order;
    if (!order) {
      turn.reply({ text: commonText(turn, 'order.not-found', { orderId }) });
      return { status: 'done' };
    }
    if (kind === 'pay' && order.status === 'unpaid') {
      turn.memory.orderId = order.id;
      turn.reply({
        text: turn.t('pay.how', {
          orderId: order.id,
          title: orderTitle(turn.locale, order),
          total: formatMoney(order.total, order.currency),
        }),
      });
      return { status: 'done' };
    }
    describeOrder(turn, order, false);
    return { status: 'done' };
  }

  /** An anonymous visitor: a strong shop-knowledge match is answered; an order is never looked up. */
  function anonymous(turn: TurnContext): Outcome {
    const best = turn.nlu.knowledge[0];
    if (best && best.score >= ANONYMOUS_KNOWLEDGE_SCORE) {
      turn.reply({ text: best.answer });
      turn.reply({ text: turn.t('anonymous.login-note') });
      return { status: 'done' };
    }
    requireVerified(turn);
    return { status: 'done', unresolved: true };
  }

  function reask(turn: TurnContext): void {
    const options = pickerOptions(turn);
    if (options.length > 0) showOrderPicker(turn, options, turn.t('picker.again'));
    else turn.reply({ text: turn.t('not-found.ask') });
  }

  return {
    id: 'order.query',
    intents: ['order.query'],
    postbacks: [SUGGEST_POSTBACK],
    messages: loadCatalog(__dirname),
    satisfaction: true,
    async begin(turn) {
      if (turn.payload?.startsWith(`${SUGGEST_POSTBACK}:`)) return suggestion(turn);
      if (!turn.user.verified) return anonymous(turn);
      return lookup(turn);
    },
    async continue(turn) {
      if (turn.payload?.startsWith(`${SUGGEST_POSTBACK}:`)) return suggestion(turn);
      if (!requireVerified(turn)) return { status: 'done', unresolved: true };
      const orderId = chosenOrderId(turn, pickerOptions(turn));
      if (!orderId && turn.nlu.intent === 'order.query' && turn.nlu.confidence >= SWITCH_CONFIDENCE) {
        // A new order question instead of a pick ("我的退款呢"): start the lookup over.
        Object.assign(turn.task, { step: 'start', slots: {}, attempts: 0 });
        return lookup(turn);
      }
      if (!orderId) return notAPick(turn, () => reask(turn));
      const backend = backendFor(turn, deps);
      if (!backend) return { status: 'done' };
      return answerOrder(turn, backend, orderId);
    },
    async resume(turn) {
      reask(turn);
      return { status: 'waiting' };
    },
  };
}

/** The backend answers for the customer id asked, but an order of someone else is never shown. */
function ownOrders(turn: TurnContext, orders: Order[]): Order[] {
  return orders.filter((o) => o.customerId === turn.user.id);
}

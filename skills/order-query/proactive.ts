import type { QuickReply } from '../../bot/activity';
import type { CommerceBackend, Order } from '../../commerce/commerce';
import { latestEventTime, orderText } from './orders';

/** Postbacks of 猜你想问: `suggest:<kind>:<orderId>`, owned by the order-query skill. */
export const SUGGEST_POSTBACK = 'suggest';
/** Orders looked at: the latest first, then the others of the recent list. */
export const SUGGEST_ORDERS = 5;
export const MAX_SUGGESTIONS = 3;
/** A delivered order is worth a "how do I return it?" for this long (七天无理由). */
export const RETURN_WINDOW_DAYS = 7;

type Kind = 'parcel' | 'return' | 'pay';

/** The postback kind of each suggestion: which skill logic answers it. */
const PAYLOAD_KIND: Record<Kind, string> = { parcel: 'order.query', return: 'return.address', pay: 'pay' };

function kindOf(order: Order, now: Date): Kind | undefined {
  switch (order.status) {
    case 'shipped':
      return 'parcel';
    case 'unpaid':
      return 'pay';
    case 'delivered': {
      // Delivered at the last tracking event (the signature); created-at when there is no tracking.
      const deliveredAt = latestEventTime(order) ?? Date.parse(order.createdAt);
      const age = now.getTime() - deliveredAt;
      return age >= 0 && age <= RETURN_WINDOW_DAYS * 86_400_000 ? 'return' : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * 猜你想问: up to three likely questions from the state of the customer's latest orders (shipped →
 * where is my parcel; delivered within 7 days → how do I return it; unpaid → how do I pay), the
 * latest order's first. Called when a verified customer opens a conversation; a failing backend
 * just means no suggestions.
 */
export async function proactiveSuggestions(
  backend: CommerceBackend,
  customerId: string,
  locale: string,
  now: Date,
): Promise<{ text: string; quickReplies: QuickReply[] } | undefined> {
  let orders: Order[];
  try {
    orders = await backend.listOrders(customerId, SUGGEST_ORDERS);
  } catch {
    return undefined;
  }
  const seen = new Set<Kind>();
  const quickReplies: QuickReply[] = [];
  for (const order of orders) {
    if (order.customerId !== customerId) continue;
    const kind = kindOf(order, now);
    if (!kind || seen.has(kind)) continue;
    seen.add(kind);
    quickReplies.push({
      title: orderText(locale, `suggest.${kind}`),
      payload: `${SUGGEST_POSTBACK}:${PAYLOAD_KIND[kind]}:${order.id}`,
    });
    if (quickReplies.length >= MAX_SUGGESTIONS) break;
  }
  if (quickReplies.length === 0) return undefined;
  return { text: orderText(locale, 'suggest.intro'), quickReplies };
}

import type { StoredMessage } from '../store/conversations.repo';
import type { CustomerProfile, OrderSummary } from './context';

interface StoredNlu {
  intent?: string | null;
  confidence?: number;
  entities?: { type: string; value: string }[];
}

/** Intents that say how the customer talks, not what they want. */
const SMALL_TALK = /^common\.(greet|bye|thanks|affirm|deny|cancel|repeat|human)$|^chitchat\./;

/**
 * One paragraph for the agent: who the customer is, what they want, what the bot already did,
 * why a person was called and the customer's last words — built from the stored transcript, so
 * the agent does not have to ask again.
 */
export function summarize(input: {
  locale: string;
  transcript: StoredMessage[];
  reason: string | null;
  userId: string;
  verified: boolean;
  profile?: CustomerProfile;
  orders: OrderSummary[];
  /** The name of the task an intent starts ("查询订单"), from the skills. */
  titleOf: (intent: string) => string | undefined;
  reasonLabel: (reason: string) => string;
}): string {
  const zh = input.locale.startsWith('zh');
  const user = input.transcript.filter((m) => m.role === 'user' && m.text);
  const bot = input.transcript.filter((m) => m.role === 'bot');
  const topics: string[] = [];
  const orderIds = new Set<string>();
  const amounts = new Set<string>();
  for (const m of user) {
    const nlu = (m.nlu ?? {}) as StoredNlu;
    // A shop question says more in the customer's own words than as "FAQ".
    const title =
      nlu.intent === 'faq'
        ? zh
          ? `咨询“${clip(m.text!, 24)}”`
          : `asked "${clip(m.text!, 24)}"`
        : nlu.intent && !SMALL_TALK.test(nlu.intent)
          ? input.titleOf(nlu.intent)
          : undefined;
    if (title && !topics.includes(title)) topics.push(title);
    for (const e of nlu.entities ?? []) {
      if (e.type === 'orderId') orderIds.add(e.value);
      if (e.type === 'amount') amounts.add(e.value);
    }
  }
  const who = input.profile?.name ?? input.userId;
  const stars = input.profile?.tier;
  const last = [...user].reverse().find((m) => !asksOnlyForHuman(m))?.text ?? user.at(-1)?.text;
  const parts: string[] = [];
  if (zh) {
    parts.push(
      input.verified
        ? `客户${who}${stars !== undefined ? `（${stars}星信用）` : ''}已登录`
        : `匿名访客（未登录，不能查看订单）`,
    );
    parts.push(topics.length ? `想办理：${topics.join('、')}` : '还没有说明具体要办的事');
    if (orderIds.size) parts.push(`提到订单 ${[...orderIds].join('、')}`);
    if (amounts.size) parts.push(`金额 ${[...amounts].join('、')}`);
    if (input.orders.length)
      parts.push(
        `最近订单 ${input.orders.map((o) => `${o.id}（${STATUS_ZH[o.status] ?? o.status}）`).join('、')}`,
      );
    parts.push(`机器人已回复 ${bot.length} 条`);
    if (input.reason) parts.push(`转人工原因：${input.reasonLabel(input.reason)}`);
    if (last) parts.push(`客户最后说：“${clip(last)}”`);
    return `${parts.join('；')}。`;
  }
  parts.push(
    input.verified
      ? `Customer ${who}${stars !== undefined ? ` (${stars}-star trust tier)` : ''} is logged in`
      : 'An anonymous visitor (not logged in, no order access)',
  );
  parts.push(topics.length ? `wants: ${topics.join(', ')}` : 'has not said yet what they need');
  if (orderIds.size) parts.push(`mentioned order ${[...orderIds].join(', ')}`);
  if (amounts.size) parts.push(`amount ${[...amounts].join(', ')}`);
  if (input.orders.length)
    parts.push(`recent orders ${input.orders.map((o) => `${o.id} (${o.status})`).join(', ')}`);
  parts.push(`the bot sent ${bot.length} ${bot.length === 1 ? 'reply' : 'replies'}`);
  if (input.reason) parts.push(`handed over because: ${input.reasonLabel(input.reason)}`);
  if (last) parts.push(`last words: "${clip(last)}"`);
  return `${parts.join('; ')}.`;
}

const STATUS_ZH: Record<string, string> = {
  unpaid: '待付款',
  paid: '待发货',
  shipped: '已发货',
  delivered: '已签收',
  refunding: '退款中',
  refunded: '已退款',
  cancelled: '已取消',
};

function asksOnlyForHuman(m: StoredMessage): boolean {
  return ((m.nlu ?? {}) as StoredNlu).intent === 'common.human';
}

function clip(text: string, max = 80): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : text;
}

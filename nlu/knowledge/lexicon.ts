/**
 * The e-commerce lexicon of knowledge matching: words customers use for the same thing, and words
 * that carry no meaning in a question. Each group maps to its first word, so 寄出 in a question
 * meets 发货 in the merchant's entry. Words are as the tokenizer produces them: jieba words for
 * Chinese, stemmed lower-case words (nlu/features/stem-en.ts) for English. Keep groups narrow: a
 * word that belongs to two groups makes unrelated entries meet.
 */
const SYNONYM_GROUPS_ZH: string[][] = [
  ['发货', '寄出', '发出', '出货', '寄货', '发件', '发走', '出库', '寄'],
  ['多久', '几天', '多长时间', '多少天', '什么时候', '啥时候', '何时', '多久能', '几时', '哪天'],
  ['尺码', '码数', '尺寸', '码子', '号码', '大小', '码'],
  ['下单', '拍', '拍下', '购买', '买', '订购'],
  ['货到付款', '到付'],
  ['快递', '物流', '快递公司', '邮寄'],
  ['运费', '邮费', '快递费'],
  ['包邮', '免邮', '免运费'],
  ['优惠券', '券', '红包', '优惠', '折扣', '满减', '活动'],
  ['发票', '开票', '专票', '普票'],
  ['价格', '价钱', '多少钱', '售价'],
  ['退货', '退回', '寄回', '退掉'],
  ['退款', '退钱'],
  ['换货', '调换', '换'],
  ['修改', '更改', '改', '变更'],
  ['地址', '收货地址'],
  ['正品', '真货', '假货'],
  ['质量', '品质', '质保', '保修'],
  ['签收', '收货', '收到'],
  ['支付', '付款', '付钱'],
  ['颜色', '色'],
  ['客服', '人工'],
  ['营业', '上班', '在线'],
];

const SYNONYM_GROUPS_EN: string[][] = [
  ['ship', 'dispatch', 'send', 'sent', 'post', 'mail'],
  ['deliver', 'deliveri', 'arriv', 'arrival'],
  ['packag', 'parcel', 'shipment'],
  ['long', 'soon', 'when'],
  ['refund', 'reimburs', 'repay', 'moneyback'],
  ['return', 'sendback'],
  ['size', 'siz', 'fit'],
  ['cost', 'price', 'fee', 'charg', 'much'],
  ['coupon', 'voucher', 'promo', 'discount', 'code'],
  ['invoic', 'receipt', 'bill'],
  ['cancel', 'cancellat', 'revok'],
  ['chang', 'modifi', 'edit', 'updat', 'amend'],
  ['track', 'trace', 'locat'],
  ['cash', 'cod'],
  ['exchang', 'swap', 'replac'],
  ['free', 'complimentari'],
  ['payment', 'pay', 'paid'],
  ['open', 'hour'],
  ['genuin', 'authentic', 'fake', 'counterfeit'],
  ['warranti', 'guarante'],
];

/** Question words and politeness that say nothing about which entry is meant. */
const FILLERS = new Set([
  // zh
  '请问',
  '问',
  '问下',
  '一下',
  '想',
  '咨询',
  '你好',
  '您好',
  '亲',
  '亲亲',
  '麻烦',
  '谢谢',
  '呀',
  '啊',
  '呢',
  '吗',
  '吧',
  '哦',
  '嘛',
  '啦',
  '哈',
  '呗',
  '嗯',
  '额',
  '了',
  '的',
  '哇',
  '喔',
  '么',
  '滴',
  '哈喽',
  '在吗',
  // en
  'pleas',
  'hi',
  'hello',
  'hey',
  'thank',
  'thanks',
  'um',
  'uh',
  'just',
  'kindli',
]);

const canonical = new Map<string, string>();
for (const group of [...SYNONYM_GROUPS_ZH, ...SYNONYM_GROUPS_EN]) {
  for (const word of group) if (!canonical.has(word)) canonical.set(word, group[0]!);
}

/** The word a synonym group is matched by ("寄出" → "发货"), or the word itself. */
export function canonicalWord(word: string): string {
  return canonical.get(word) ?? word;
}

export function isFiller(word: string): boolean {
  return FILLERS.has(word);
}

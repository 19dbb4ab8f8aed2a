import type {
  Customer,
  Order,
  OrderItem,
  OrderStatus,
  ReturnAddress,
  Shipment,
  ShipmentEvent,
} from './commerce';
import { digits, HOUR_MS, MINUTE_MS, pick, seededRandom, toShanghaiIso } from './demo.util';

/**
 * The demo shop's customers and orders, as fixed tables. Dates are offsets from "now", so the data
 * always looks recent; everything else is fixed or drawn from a PRNG seeded by the order id.
 * commerce/README.md documents these tables: keep the two in step.
 */

type Lang = 'zh' | 'en';

interface DemoCustomer extends Customer {
  /** Item titles and carrier names follow the customer's language. */
  lang: Lang;
  /** Where parcels are delivered: used in tracking events. */
  city: string;
}

export const DEMO_CUSTOMERS: readonly DemoCustomer[] = [
  { id: 'c-1001', name: '张伟', tier: 5, lang: 'zh', city: '上海' },
  { id: 'c-1002', name: '李娜', tier: 4, lang: 'zh', city: '北京' },
  { id: 'c-1003', name: 'Emma Wilson', tier: 3, lang: 'en', city: '上海' },
  { id: 'c-1004', name: '王芳', tier: 2, lang: 'zh', city: '成都' },
  { id: 'c-1005', name: 'James Chen', tier: 1, lang: 'en', city: '深圳' },
  { id: 'c-1006', name: '刘洋', tier: 0, lang: 'zh', city: '武汉' },
  { id: 'c-1007', name: '陈静', tier: 3, lang: 'zh', city: '南京' },
  { id: 'c-1008', name: 'Olivia Brown', tier: 5, lang: 'en', city: '北京' },
  { id: 'c-1009', name: '赵磊', tier: 4, lang: 'zh', city: '西安' },
  { id: 'c-1010', name: 'Liam Smith', tier: 2, lang: 'en', city: '广州' },
  { id: 'c-1011', name: '孙丽', tier: 1, lang: 'zh', city: '杭州' },
  { id: 'c-1012', name: 'Noah Garcia', tier: 0, lang: 'en', city: '重庆' },
];

interface Product {
  zh: string;
  en: string;
  price: number;
}

const CATALOG = {
  // clothes
  'TS-COT-WHT-M': { zh: '纯棉圆领T恤 白色 M', en: 'Cotton crew-neck T-shirt, white, M', price: 79 },
  'TS-COT-BLK-L': { zh: '纯棉圆领T恤 黑色 L', en: 'Cotton crew-neck T-shirt, black, L', price: 79 },
  'JK-DWN-NVY-L': { zh: '轻薄羽绒服 藏青色 L', en: 'Lightweight down jacket, navy, L', price: 599 },
  'JN-SLM-BLU-30': { zh: '修身牛仔裤 浅蓝 30码', en: 'Slim-fit jeans, light blue, W30', price: 259 },
  'DR-SLK-RED-S': { zh: '真丝连衣裙 酒红色 S', en: 'Silk midi dress, burgundy, S', price: 899 },
  'HD-FLC-GRY-XL': { zh: '加绒连帽卫衣 灰色 XL', en: 'Fleece hoodie, grey, XL', price: 199 },
  'SK-WOL-3P': { zh: '羊毛袜 三双装', en: 'Merino wool socks, 3 pairs', price: 39.9 },
  'SH-OXF-BLU-M': { zh: '牛津纺衬衫 浅蓝 M', en: 'Oxford shirt, light blue, M', price: 169 },
  // shoes
  'SN-RUN-42': { zh: '轻量跑步鞋 42码', en: 'Lightweight running shoes, EU 42', price: 459 },
  'SN-CVS-WHT-38': { zh: '帆布休闲鞋 白色 38码', en: 'Canvas sneakers, white, EU 38', price: 189 },
  'BT-CHL-BRN-40': { zh: '切尔西短靴 棕色 40码', en: 'Chelsea boots, brown, EU 40', price: 699 },
  'SD-STR-37': { zh: '一字带凉鞋 37码', en: 'Strappy sandals, EU 37', price: 129 },
  // electronics
  'EB-ANC-01': { zh: '主动降噪蓝牙耳机', en: 'Noise-cancelling wireless earbuds', price: 899 },
  'PB-20K-01': { zh: '20000mAh 移动电源', en: '20,000 mAh power bank', price: 169 },
  'CH-65W-01': { zh: '65W 氮化镓快充充电器', en: '65 W GaN fast charger', price: 129 },
  'SW-SPT-01': { zh: '智能手表 运动版', en: 'Smartwatch, sport edition', price: 1299 },
  'KB-MEC-01': { zh: '机械键盘 茶轴', en: 'Mechanical keyboard, brown switches', price: 399 },
  'LT-14-16G': { zh: '14英寸轻薄笔记本电脑 16G+512G', en: '14-inch ultrabook, 16 GB + 512 GB', price: 5999 },
  'PH-5G-256': { zh: '5G 智能手机 8G+256G 曜石黑', en: '5G smartphone, 8 GB + 256 GB, black', price: 2999 },
  'CB-USBC-1M': { zh: 'USB-C 数据线 1米', en: 'USB-C cable, 1 m', price: 29.9 },
  'SP-BT-01': { zh: '便携蓝牙音箱', en: 'Portable Bluetooth speaker', price: 249 },
  'TB-11-128': { zh: '11英寸平板电脑 128G', en: '11-inch tablet, 128 GB', price: 2199 },
} satisfies Record<string, Product>;

type Sku = keyof typeof CATALOG;
type CarrierId = 'sf' | 'zto' | 'jd';

interface OrderSpec {
  id: string;
  customerId: string;
  status: OrderStatus;
  /** How long ago the order was placed. */
  ageHours: number;
  items: [Sku, number][];
  /** Set when the order has shipped (also for refunds of delivered goods). */
  carrier?: CarrierId;
  /** A parcel whose tracking stopped after this many events (a stalled delivery). */
  stallAfter?: number;
}

const DAY = 24;

/** Order ids 1001–1042. Each status appears at least twice; see commerce/README.md. */
// prettier-ignore
const ORDER_SPECS: readonly OrderSpec[] = [
  // c-1001 张伟, tier 5
  { id: '1001', customerId: 'c-1001', status: 'delivered', ageHours: 6 * DAY, items: [['HD-FLC-GRY-XL', 1], ['SK-WOL-3P', 2]], carrier: 'zto' },
  { id: '1002', customerId: 'c-1001', status: 'shipped', ageHours: 2 * DAY, items: [['EB-ANC-01', 1]], carrier: 'sf' },
  { id: '1003', customerId: 'c-1001', status: 'paid', ageHours: 10, items: [['LT-14-16G', 1]] },
  { id: '1004', customerId: 'c-1001', status: 'refunded', ageHours: 20 * DAY, items: [['CH-65W-01', 1]], carrier: 'sf' },
  { id: '1005', customerId: 'c-1001', status: 'unpaid', ageHours: 1, items: [['SN-RUN-42', 1]] },
  // c-1002 李娜, tier 4
  { id: '1006', customerId: 'c-1002', status: 'delivered', ageHours: 12 * DAY, items: [['PH-5G-256', 1]], carrier: 'jd' },
  { id: '1007', customerId: 'c-1002', status: 'refunding', ageHours: 5 * DAY, items: [['DR-SLK-RED-S', 1]], carrier: 'zto' },
  { id: '1008', customerId: 'c-1002', status: 'shipped', ageHours: 36, items: [['PB-20K-01', 1], ['CB-USBC-1M', 2]], carrier: 'jd' },
  { id: '1009', customerId: 'c-1002', status: 'cancelled', ageHours: 9 * DAY, items: [['SN-CVS-WHT-38', 1]] },
  // c-1003 Emma Wilson, tier 3
  { id: '1010', customerId: 'c-1003', status: 'delivered', ageHours: 4 * DAY, items: [['EB-ANC-01', 1]], carrier: 'sf' },
  { id: '1011', customerId: 'c-1003', status: 'paid', ageHours: 6, items: [['SH-OXF-BLU-M', 2]] },
  { id: '1012', customerId: 'c-1003', status: 'unpaid', ageHours: 0.5, items: [['BT-CHL-BRN-40', 1]] },
  // c-1004 王芳, tier 2
  { id: '1013', customerId: 'c-1004', status: 'shipped', ageHours: 4 * DAY, items: [['JK-DWN-NVY-L', 1]], carrier: 'zto', stallAfter: 4 },
  { id: '1014', customerId: 'c-1004', status: 'delivered', ageHours: 8 * DAY, items: [['JN-SLM-BLU-30', 1], ['TS-COT-WHT-M', 2]], carrier: 'zto' },
  { id: '1015', customerId: 'c-1004', status: 'refunded', ageHours: 30 * DAY, items: [['SD-STR-37', 1]] },
  // c-1005 James Chen, tier 1
  { id: '1016', customerId: 'c-1005', status: 'delivered', ageHours: 5 * DAY, items: [['KB-MEC-01', 1]], carrier: 'sf' },
  { id: '1017', customerId: 'c-1005', status: 'shipped', ageHours: 50, items: [['SW-SPT-01', 1]], carrier: 'sf' },
  { id: '1018', customerId: 'c-1005', status: 'cancelled', ageHours: 15 * DAY, items: [['TB-11-128', 1]] },
  { id: '1019', customerId: 'c-1005', status: 'paid', ageHours: 3, items: [['SN-RUN-42', 1]] },
  // c-1006 刘洋, tier 0
  { id: '1020', customerId: 'c-1006', status: 'paid', ageHours: 19, items: [['SP-BT-01', 1]] },
  { id: '1021', customerId: 'c-1006', status: 'delivered', ageHours: 7 * DAY, items: [['KB-MEC-01', 1]], carrier: 'jd' },
  { id: '1022', customerId: 'c-1006', status: 'unpaid', ageHours: 2, items: [['TS-COT-BLK-L', 3]] },
  // c-1007 陈静, tier 3
  { id: '1023', customerId: 'c-1007', status: 'delivered', ageHours: 5 * DAY, items: [['SN-CVS-WHT-38', 1], ['SK-WOL-3P', 1]], carrier: 'zto' },
  { id: '1024', customerId: 'c-1007', status: 'refunding', ageHours: 9 * DAY, items: [['SW-SPT-01', 1]], carrier: 'sf' },
  { id: '1025', customerId: 'c-1007', status: 'shipped', ageHours: 50, items: [['SH-OXF-BLU-M', 1]], carrier: 'zto' },
  { id: '1026', customerId: 'c-1007', status: 'delivered', ageHours: 25 * DAY, items: [['PB-20K-01', 1]], carrier: 'jd' },
  { id: '1027', customerId: 'c-1007', status: 'cancelled', ageHours: 4 * DAY, items: [['JK-DWN-NVY-L', 1]] },
  // c-1008 Olivia Brown, tier 5
  { id: '1028', customerId: 'c-1008', status: 'delivered', ageHours: 3.5 * DAY, items: [['LT-14-16G', 1]], carrier: 'jd' },
  { id: '1029', customerId: 'c-1008', status: 'shipped', ageHours: 31, items: [['SP-BT-01', 1], ['CB-USBC-1M', 1]], carrier: 'jd' },
  { id: '1030', customerId: 'c-1008', status: 'refunded', ageHours: 18 * DAY, items: [['DR-SLK-RED-S', 1]], carrier: 'zto' },
  { id: '1031', customerId: 'c-1008', status: 'paid', ageHours: 5, items: [['HD-FLC-GRY-XL', 1]] },
  // c-1009 赵磊, tier 4
  { id: '1032', customerId: 'c-1009', status: 'shipped', ageHours: 60, items: [['PH-5G-256', 1]], carrier: 'sf' },
  { id: '1033', customerId: 'c-1009', status: 'delivered', ageHours: 10 * DAY, items: [['BT-CHL-BRN-40', 1]], carrier: 'zto' },
  { id: '1034', customerId: 'c-1009', status: 'unpaid', ageHours: 0.75, items: [['CH-65W-01', 1], ['CB-USBC-1M', 1]] },
  // c-1010 Liam Smith, tier 2
  { id: '1035', customerId: 'c-1010', status: 'delivered', ageHours: 6 * DAY, items: [['PB-20K-01', 1], ['CH-65W-01', 1]], carrier: 'sf' },
  { id: '1036', customerId: 'c-1010', status: 'refunding', ageHours: 2 * DAY, items: [['JN-SLM-BLU-30', 1]] },
  { id: '1037', customerId: 'c-1010', status: 'cancelled', ageHours: 20 * DAY, items: [['SN-RUN-42', 1]] },
  // c-1011 孙丽, tier 1
  { id: '1038', customerId: 'c-1011', status: 'shipped', ageHours: 32, items: [['SD-STR-37', 1], ['TS-COT-WHT-M', 1]], carrier: 'zto' },
  { id: '1039', customerId: 'c-1011', status: 'delivered', ageHours: 14 * DAY, items: [['TB-11-128', 1]], carrier: 'sf' },
  // c-1012 Noah Garcia, tier 0
  { id: '1040', customerId: 'c-1012', status: 'paid', ageHours: 24, items: [['SN-CVS-WHT-38', 1]] },
  { id: '1041', customerId: 'c-1012', status: 'delivered', ageHours: 4.5 * DAY, items: [['EB-ANC-01', 1]], carrier: 'jd' },
  { id: '1042', customerId: 'c-1012', status: 'refunded', ageHours: 12 * DAY, items: [['SW-SPT-01', 1]] },
];

interface Carrier {
  name: Record<Lang, string>;
  /** Which warehouse ships with this carrier; its return address, if the order has one. */
  returnAddress?: ReturnAddress;
  trackingNo(rng: () => number): string;
  /** Seven tracking steps, from handing over the parcel to signing for it. */
  steps(dest: string, courier: string, phone: string, signer: string): string[];
}

const CARRIERS: Record<CarrierId, Carrier> = {
  zto: {
    name: { zh: '中通快递', en: 'ZTO Express' },
    returnAddress: {
      name: 'Kefu 演示商城 退货组（杭州仓）',
      phone: '0571-88880001',
      address: '浙江省杭州市余杭区仓前街道演示路 88 号 Kefu 演示商城杭州退货仓，邮编 311121',
    },
    trackingNo: (rng) => `7${digits(rng, 13)}`,
    steps: (d, courier, phone, signer) => [
      '【杭州市】商家已发货，包裹等待揽收',
      '【杭州市】中通快递 杭州余杭网点 已揽收',
      '【杭州市】快件已到达 杭州中转部',
      `【杭州市】快件已从 杭州中转部 发出，下一站 ${d}中转部`,
      `【${d}市】快件已到达 ${d}中转部`,
      `【${d}市】${d}派送网点 快递员 ${courier}（${phone}）正在派送，请保持电话畅通`,
      `【${d}市】快件已签收，签收人：${signer}。感谢使用中通快递，期待再次为您服务`,
    ],
  },
  sf: {
    name: { zh: '顺丰速运', en: 'SF Express' },
    returnAddress: {
      name: 'Kefu 演示商城 数码售后中心（广州仓）',
      phone: '020-66660002',
      address: '广东省广州市白云区太和镇示范大道 66 号 Kefu 数码售后中心，邮编 510540',
    },
    trackingNo: (rng) => `SF${digits(rng, 13)}`,
    steps: (d, courier, phone, signer) => [
      '【广州市】商家已通知顺丰速运上门取件',
      '【广州市】顺丰速运 已收取快件',
      `【广州市】快件在【广州白云集散中心】完成分拣，准备发往【${d}集散中心】`,
      '【广州市】快件已发车',
      `【${d}市】快件到达【${d}集散中心】`,
      `【${d}市】快件交给${courier}，正在派送途中（联系电话：${phone}）`,
      `【${d}市】快件已签收，签收人：${signer}，感谢使用顺丰，期待再次为您服务`,
    ],
  },
  jd: {
    name: { zh: '京东物流', en: 'JD Logistics' },
    // No return address of its own: the shop's settings apply.
    trackingNo: (rng) => `JDVA${digits(rng, 11)}`,
    steps: (d, courier, phone, signer) => [
      '您的订单已出库',
      '您的订单已打包完成',
      '您的订单在京东【北京亚洲一号仓】分拣完成',
      `您的订单已由【北京亚洲一号仓】发出，正在运往【${d}分拣中心】`,
      `您的订单已到达【${d}分拣中心】`,
      `配送员【${courier}】正在为您派送，联系电话 ${phone}`,
      `您的订单已签收，签收人：${signer}。感谢您在京东物流享受服务，欢迎再次光临`,
    ],
  },
};

/** Hours after the order is placed at which each tracking step happens (before jitter). */
const STEP_HOURS = [20, 22, 28, 30, 44, 52, 56];
const SHIPMENT_STATUS = [
  'picked_up',
  'picked_up',
  'in_transit',
  'in_transit',
  'in_transit',
  'out_for_delivery',
  'delivered',
];
const COURIERS = ['王师傅', '李师傅', '张师傅', '刘师傅', '陈师傅'];
const SIGNERS = ['本人', '家人', '公司前台', '菜鸟驿站', '丰巢智能柜'];

function customerOf(spec: OrderSpec): DemoCustomer {
  const customer = DEMO_CUSTOMERS.find((c) => c.id === spec.customerId);
  if (!customer) throw new Error(`demo order ${spec.id}: unknown customer ${spec.customerId}`);
  return customer;
}

const cents = (n: number) => Math.round(n * 100) / 100;

function buildShipment(
  spec: OrderSpec,
  carrierId: CarrierId,
  createdMs: number,
  nowMs: number,
  lang: Lang,
  dest: string,
): Shipment {
  const carrier = CARRIERS[carrierId];
  const rng = seededRandom(`shipment:${spec.id}`);
  const texts = carrier.steps(
    dest,
    pick(rng, COURIERS),
    `1${3 + Math.floor(rng() * 7)}${digits(rng, 1)}****${digits(rng, 4)}`,
    pick(rng, SIGNERS),
  );
  // Jitter each step a little, keeping them in order.
  let jitter = 0;
  const times = STEP_HOURS.map((h) => {
    jitter += Math.floor(rng() * 15);
    return createdMs + h * HOUR_MS + jitter * MINUTE_MS;
  });
  let count = STEP_HOURS.length;
  if (spec.status === 'shipped') {
    // In transit: the steps that have happened by now, never the signature.
    count = times.filter((t) => t <= nowMs).length;
    count = Math.min(count, STEP_HOURS.length - 1, spec.stallAfter ?? Infinity);
  }
  const events: ShipmentEvent[] = [];
  for (let i = 0; i < count; i++) {
    events.push({ time: toShanghaiIso(times[i] ?? createdMs), description: texts[i] ?? '' });
  }
  return {
    carrier: carrier.name[lang],
    trackingNo: carrier.trackingNo(rng),
    status: SHIPMENT_STATUS[count - 1] ?? 'picked_up',
    events: shuffleUnsorted(events, rng),
  };
}

/** Backends send events in any order; the demo does too, so readers are sure to sort them. */
function shuffleUnsorted(events: ShipmentEvent[], rng: () => number): ShipmentEvent[] {
  const out = [...events];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j] as ShipmentEvent, out[i] as ShipmentEvent];
  }
  const ascending = out.every((e, i) => i === 0 || (out[i - 1] as ShipmentEvent).time <= e.time);
  return ascending ? out.reverse() : out;
}

/** Builds every demo order relative to `now`. */
export function buildDemoOrders(now: Date): Order[] {
  const nowMs = now.getTime();
  return ORDER_SPECS.map((spec) => {
    const customer = customerOf(spec);
    const rng = seededRandom(`order:${spec.id}`);
    // Whole minutes, a few minutes off the hour, like real order times.
    const placed = nowMs - spec.ageHours * HOUR_MS - Math.floor(rng() * 30) * MINUTE_MS;
    const createdMs = placed - (placed % MINUTE_MS);
    const items: OrderItem[] = spec.items.map(([sku, qty]) => {
      const product: Product = CATALOG[sku];
      return { sku, title: product[customer.lang], qty, price: product.price };
    });
    const order: Order = {
      id: spec.id,
      customerId: spec.customerId,
      status: spec.status,
      createdAt: toShanghaiIso(createdMs),
      total: cents(items.reduce((sum, item) => sum + item.price * item.qty, 0)),
      currency: 'CNY',
      items,
    };
    if (spec.carrier) {
      order.shipment = buildShipment(spec, spec.carrier, createdMs, nowMs, customer.lang, customer.city);
    }
    return order;
  });
}

/** Orders shipped from the Hangzhou (ZTO) or Guangzhou (SF) warehouse have their own return address. */
export function demoReturnAddress(orderId: string): ReturnAddress | undefined {
  const spec = ORDER_SPECS.find((s) => s.id === orderId);
  const address = spec?.carrier ? CARRIERS[spec.carrier].returnAddress : undefined;
  return address ? { ...address } : undefined;
}

import type { TicketOption, TicketSearch, TicketType } from './commerce';
import { isCalendarDate, pick, seededRandom, shanghaiTime, toShanghaiIso } from './demo.util';

/**
 * Demo flight and train timetables. Nothing is stored: the options for a (type, from, to, date) are
 * drawn from a PRNG seeded by that query, so a search and a later booking see the same options.
 */

interface City {
  /** IATA city code: the stable key, also used in option ids. */
  code: string;
  zh: string;
  en: string;
  /** Other spellings people type. */
  aliases?: string[];
  /** Mainland China: reachable by train (Hong Kong counts as international here). */
  mainland: boolean;
  lat: number;
  lon: number;
  /** Foreign airlines that fly there, besides the Chinese ones. */
  airlines?: string[];
}

export const DEMO_CITIES: readonly City[] = [
  { code: 'BJS', zh: '北京', en: 'Beijing', aliases: ['Peking'], mainland: true, lat: 39.9, lon: 116.4 },
  { code: 'SHA', zh: '上海', en: 'Shanghai', mainland: true, lat: 31.23, lon: 121.47 },
  { code: 'CAN', zh: '广州', en: 'Guangzhou', aliases: ['Canton'], mainland: true, lat: 23.13, lon: 113.26 },
  { code: 'SZX', zh: '深圳', en: 'Shenzhen', mainland: true, lat: 22.54, lon: 114.06 },
  { code: 'HGH', zh: '杭州', en: 'Hangzhou', mainland: true, lat: 30.27, lon: 120.16 },
  { code: 'CTU', zh: '成都', en: 'Chengdu', mainland: true, lat: 30.57, lon: 104.07 },
  { code: 'SIA', zh: '西安', en: "Xi'an", aliases: ['Xian'], mainland: true, lat: 34.34, lon: 108.94 },
  { code: 'WUH', zh: '武汉', en: 'Wuhan', mainland: true, lat: 30.59, lon: 114.31 },
  { code: 'NKG', zh: '南京', en: 'Nanjing', mainland: true, lat: 32.06, lon: 118.8 },
  { code: 'CKG', zh: '重庆', en: 'Chongqing', mainland: true, lat: 29.56, lon: 106.55 },
  { code: 'TSN', zh: '天津', en: 'Tianjin', mainland: true, lat: 39.34, lon: 117.36 },
  { code: 'CSX', zh: '长沙', en: 'Changsha', mainland: true, lat: 28.23, lon: 112.94 },
  { code: 'XMN', zh: '厦门', en: 'Xiamen', mainland: true, lat: 24.48, lon: 118.09 },
  { code: 'TAO', zh: '青岛', en: 'Qingdao', mainland: true, lat: 36.07, lon: 120.38 },
  { code: 'KMG', zh: '昆明', en: 'Kunming', mainland: true, lat: 25.04, lon: 102.71 },
  {
    code: 'HKG',
    zh: '香港',
    en: 'Hong Kong',
    mainland: false,
    lat: 22.32,
    lon: 114.17,
    airlines: ['CX', 'HX'],
  },
  { code: 'TYO', zh: '东京', en: 'Tokyo', mainland: false, lat: 35.68, lon: 139.69, airlines: ['JL', 'NH'] },
  { code: 'SEL', zh: '首尔', en: 'Seoul', mainland: false, lat: 37.57, lon: 126.98, airlines: ['KE', 'OZ'] },
  { code: 'SIN', zh: '新加坡', en: 'Singapore', mainland: false, lat: 1.35, lon: 103.82, airlines: ['SQ'] },
  { code: 'BKK', zh: '曼谷', en: 'Bangkok', mainland: false, lat: 13.76, lon: 100.5, airlines: ['TG'] },
  { code: 'LON', zh: '伦敦', en: 'London', mainland: false, lat: 51.51, lon: -0.13, airlines: ['BA', 'VS'] },
  { code: 'PAR', zh: '巴黎', en: 'Paris', mainland: false, lat: 48.86, lon: 2.35, airlines: ['AF'] },
  {
    code: 'NYC',
    zh: '纽约',
    en: 'New York',
    mainland: false,
    lat: 40.71,
    lon: -74.01,
    airlines: ['AA', 'UA'],
  },
  {
    code: 'LAX',
    zh: '洛杉矶',
    en: 'Los Angeles',
    mainland: false,
    lat: 34.05,
    lon: -118.24,
    airlines: ['AA', 'DL'],
  },
  { code: 'SYD', zh: '悉尼', en: 'Sydney', mainland: false, lat: -33.87, lon: 151.21, airlines: ['QF'] },
];

const CHINESE_AIRLINES = ['CA', 'MU', 'CZ', 'HU', '3U', 'ZH', 'MF', 'FM', 'HO'];
const INTERNATIONAL_CHINESE_AIRLINES = ['CA', 'MU', 'CZ'];
/** No flights between cities closer than this: 上海→杭州 is a train ride. */
const MIN_FLIGHT_KM = 400;

/** Folds case, spaces, apostrophes, hyphens and a trailing 市 so "Xi'an", "xian" and "西安市" meet. */
function fold(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s'’\-.]/g, '')
    .replace(/市$/, '');
}

const CITY_INDEX = new Map<string, City>();
for (const city of DEMO_CITIES) {
  for (const name of [city.zh, city.en, ...(city.aliases ?? [])]) CITY_INDEX.set(fold(name), city);
}
// Codes only resolve option ids: "CAN" or "SIN" typed by a customer is a word, not a city.
const CITY_BY_CODE = new Map(DEMO_CITIES.map((c) => [c.code, c]));

/** The demo's city for a Chinese or English name (北京, 北京市, Beijing, beijing), if it knows it. */
export function findCity(name: string): City | undefined {
  return CITY_INDEX.get(fold(name));
}

const hasHan = (text: string) => /\p{Script=Han}/u.test(text);

/** The city's name in the script the customer typed, so replies echo their language. */
function displayName(city: City, typed: string): string {
  return hasHan(typed) ? city.zh : city.en;
}

function distanceKm(a: City, b: City): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}

const LAST_TRAIN_ARRIVAL = 23 * 60 + 30;
const round5 = (minutes: number) => Math.round(minutes / 5) * 5;

/**
 * The documented empty combination: trains 北京→上海 are sold out on the 13th of every month, so the
 * "no results → suggest another day" path can be tested.
 */
export function isSoldOut(type: TicketType, from: City, to: City, date: string): boolean {
  return type === 'train' && from.code === 'BJS' && to.code === 'SHA' && date.endsWith('-13');
}

export function isInternationalRoute(from: City, to: City): boolean {
  return !from.mainland || !to.mainland;
}

interface Timetable {
  type: TicketType;
  from: City;
  to: City;
  date: string;
}

/** The options for a route and date, with names in English; `[]` when nothing runs. */
function timetable({ type, from, to, date }: Timetable): TicketOption[] {
  if (from.code === to.code || !isCalendarDate(date)) return [];
  if (type === 'train' && (!from.mainland || !to.mainland)) return [];
  const km = distanceKm(from, to);
  if (type === 'flight' && km < MIN_FLIGHT_KM) return [];
  if (isSoldOut(type, from, to, date)) return [];

  const rng = seededRandom(`tickets:${type}:${from.code}:${to.code}:${date}`);
  const count = 2 + Math.floor(rng() * 4);
  const international = isInternationalRoute(from, to);
  const airlines = international
    ? [...INTERNATIONAL_CHINESE_AIRLINES, ...(from.airlines ?? []), ...(to.airlines ?? [])]
    : CHINESE_AIRLINES;
  const usedNumbers = new Set<string>();
  const services: { number: string; minutes: number; price: number }[] = [];
  for (let i = 0; i < count; i++) {
    let minutes: number;
    let price: number;
    let number: string;
    do {
      if (type === 'flight') {
        const n = international ? 100 + Math.floor(rng() * 900) : 1000 + Math.floor(rng() * 9000);
        number = `${pick(rng, airlines)}${n}`;
      } else {
        number = `G${1 + Math.floor(rng() * 1999)}`;
      }
    } while (usedNumbers.has(number));
    usedNumbers.add(number);
    if (type === 'flight') {
      minutes = round5((km / 800) * 60 + 35 + rng() * 20);
      const base = international ? 600 + km * 0.55 : 150 + km * 0.7;
      price = Math.round((base * (0.45 + rng() * 0.55)) / 10) * 10;
    } else {
      // Rail runs ~30% longer than the great circle; second class costs about 0.46 CNY/km.
      const railKm = km * 1.3;
      minutes = round5((railKm / 250) * 60 + 10 + rng() * 40);
      price = Math.round(railKm * 0.46 * 2) / 2;
    }
    services.push({ number, minutes, price });
  }
  // Spread departures over 06:00–22:00, one per slice; high-speed trains do not run overnight,
  // so the slices end early enough for the slowest one to arrive by 23:30.
  const first = 6 * 60;
  const slowest = Math.max(...services.map((x) => x.minutes));
  const last = type === 'train' ? Math.min(22 * 60, LAST_TRAIN_ARRIVAL - slowest) : 22 * 60;
  const slice = Math.max(0, last - first) / count;
  const drafts = services.map(({ number, minutes, price }, i) => {
    const departMs = shanghaiTime(date, round5(first + i * slice + rng() * Math.max(0, slice - 10)));
    return {
      type,
      from: from.en,
      to: to.en,
      departAt: toShanghaiIso(departMs),
      arriveAt: toShanghaiIso(departMs + minutes * 60_000),
      number,
      price,
    };
  });
  const prefix = `${type === 'flight' ? 'FL' : 'TR'}-${from.code}-${to.code}-${date.replaceAll('-', '')}`;
  return drafts
    .sort((a, b) => a.departAt.localeCompare(b.departAt))
    .map((d, i) => ({ id: `${prefix}-${i + 1}`, ...d }));
}

/** Searches the demo timetable; unknown cities, or none running that day, give `[]`. */
export function searchDemoTickets(query: TicketSearch): TicketOption[] {
  const from = findCity(query.from);
  const to = findCity(query.to);
  if (!from || !to) return [];
  const fromName = displayName(from, query.from);
  const toName = displayName(to, query.to);
  return timetable({ type: query.type, from, to, date: query.date }).map((o) => ({
    ...o,
    from: fromName,
    to: toName,
  }));
}

const OPTION_ID = /^(FL|TR)-([A-Z]{3})-([A-Z]{3})-(\d{4})(\d{2})(\d{2})-(\d)$/;

/** The option an id names, if it exists in the timetable: booking needs no earlier search. */
export function findDemoTicketOption(
  optionId: string,
): { option: TicketOption; from: City; to: City } | undefined {
  const m = OPTION_ID.exec(optionId);
  if (!m) return undefined;
  const from = CITY_BY_CODE.get(m[2] ?? '');
  const to = CITY_BY_CODE.get(m[3] ?? '');
  if (!from || !to) return undefined;
  const type: TicketType = m[1] === 'FL' ? 'flight' : 'train';
  const option = timetable({ type, from, to, date: `${m[4]}-${m[5]}-${m[6]}` }).find(
    (o) => o.id === optionId,
  );
  return option ? { option, from, to } : undefined;
}

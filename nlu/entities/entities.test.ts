import { parseChineseNumber } from './chinese-number';
import { parseEnglishNumber } from './english-number';
import { CASES_NOW, CASES_TIME_ZONE, ENTITY_CASES } from './entity-cases';
import { extractAmountEntities, extractEntities } from './extract-entities';
import { knownCities } from './city.extractor';

const base = { now: CASES_NOW, timeZone: CASES_TIME_ZONE };

describe('extractEntities: the case table', () => {
  it('has at least 80 cases', () => {
    expect(ENTITY_CASES.length).toBeGreaterThanOrEqual(80);
  });

  it.each(ENTITY_CASES.map((c) => [c.text + (c.opts ? ` ${JSON.stringify(c.opts)}` : ''), c] as const))(
    '%s',
    (_name, c) => {
      const found = extractEntities(c.text, { ...base, ...c.opts }).map((e) => `${e.type}:${e.value}`);
      expect(found).toEqual(c.expect);
    },
  );
});

describe('extractEntities: spans and details', () => {
  it('keeps offsets into the text it was given, full-width and traditional included', () => {
    const text = '訂單號１００１，手機１３８１２３４５６７８';
    const [order, phone] = extractEntities(text, base);
    expect(order).toMatchObject({ type: 'orderId', value: '1001', text: '１００１', start: 3, end: 7 });
    expect(phone).toMatchObject({ type: 'phone', value: '13812345678', start: 10, end: 21 });
    expect(text.slice(phone!.start, phone!.end)).toBe(phone!.text);
  });

  it('gives amounts a currency when one is written, and a typed value', () => {
    const [a, b, c] = extractAmountEntities('¥30 或 20 dollars 或 三十五块五', base);
    expect(a).toMatchObject({ amount: 30, currency: 'CNY', text: '¥30' });
    expect(b).toMatchObject({ amount: 20, currency: 'USD' });
    expect(c).toMatchObject({ amount: 35.5, currency: 'CNY', value: '35.5' });
    expect(extractAmountEntities('充值一百', base)[0]?.currency).toBeUndefined();
  });

  it('says what a count counts', () => {
    const units = extractEntities('两个大人一个小孩，3 tickets', base).map((e) => e.unit);
    expect(units).toEqual(['adult', 'child', 'ticket']);
  });

  it('resolves dates in the given time zone', () => {
    // 2026-11-22 20:00 UTC is already the 23rd in Shanghai but still the 22nd in New York.
    const now = new Date('2026-11-22T20:00:00Z');
    expect(extractEntities('明天', { now, timeZone: 'Asia/Shanghai' })[0]?.value).toBe('2026-11-24');
    expect(extractEntities('tomorrow', { now, timeZone: 'America/New_York' })[0]?.value).toBe('2026-11-23');
    expect(extractEntities('明天', { now, timeZone: '' })[0]?.value).toBe('2026-11-24');
  });

  it('rejects days that do not exist', () => {
    expect(extractEntities('2月30号', base).filter((e) => e.type === 'date')).toEqual([]);
    expect(extractEntities('2026-13-01', base).filter((e) => e.type === 'date')).toEqual([]);
  });

  it('accepts a RegExp order pattern with its own flags', () => {
    const found = extractEntities('订单 so-778812 怎么还没到', { ...base, orderIdPattern: /SO-\d{6}/i });
    expect(found).toMatchObject([{ type: 'orderId', value: 'so-778812' }]);
  });
});

describe('parseChineseNumber', () => {
  it.each([
    ['一', 1],
    ['十', 10],
    ['十五', 15],
    ['二十', 20],
    ['三十五', 35],
    ['一百', 100],
    ['两百', 200],
    ['一百零五', 105],
    ['一百五', 150],
    ['一千二', 1200],
    ['一千二百三', 1230],
    ['两万五', 25000],
    ['一万', 10000],
    ['十万', 100000],
    ['二十万零五百', 200500],
    ['一亿二千万', 120000000],
    ['三点五', 3.5],
    ['壹佰贰拾', 120],
    ['3万', 30000],
    ['1.5万', 15000],
    ['一二三四', 1234],
  ])('%s = %d', (text, value) => {
    expect(parseChineseNumber(text)).toBe(value);
  });

  it.each(['', '百', '万', '五五十', '十百', '三点', 'abc'])('%j is not a number', (text) => {
    expect(parseChineseNumber(text)).toBeUndefined();
  });
});

describe('parseEnglishNumber', () => {
  it.each([
    ['one', 1],
    ['twelve', 12],
    ['twenty-five', 25],
    ['ninety nine', 99],
    ['a hundred', 100],
    ['one hundred and fifty', 150],
    ['two thousand five hundred', 2500],
  ])('%s = %d', (text, value) => {
    expect(parseEnglishNumber(text)).toBe(value);
  });

  it.each(['five twenty', 'ten five', 'hello'])('%j is not a number', (text) => {
    expect(parseEnglishNumber(text)).toBeUndefined();
  });
});

describe('the gazetteer', () => {
  it('holds the provincial capitals, the big cities and the world cities', () => {
    const cities = knownCities();
    expect(cities.length).toBeGreaterThanOrEqual(140);
    for (const c of [
      'Beijing',
      'Lhasa',
      'Urumqi',
      'Hong Kong',
      'Macau',
      'Taipei',
      'Tokyo',
      'Dubai',
      'Sydney',
    ]) {
      expect(cities).toContain(c);
    }
  });
});

import { normalize } from './normalize';
import { detectLocale } from './lang/detect';

describe('normalize', () => {
  test.each([
    ['ＡＢＣ１２３', 'abc123'],
    ['我要退貨，運費怎麼算？', '我要退货,运费怎么算?'],
    ['  Hello\t\tWORLD  ', 'hello world'],
    ['好的👍谢谢🙏', '好的 谢谢'],
    ['zero\u200bwidth', 'zerowidth'],
  ])('%s → %s', (input, expected) => {
    expect(normalize(input)).toBe(expected);
  });
});

describe('detectLocale', () => {
  test.each([
    ['我要refund', 'zh-CN'],
    ['where is my parcel', 'en-US'],
    ['你好', 'zh-CN'],
  ])('%s → %s', (text, locale) => {
    expect(detectLocale(text)).toBe(locale);
  });
  test('no letters: the fallback', () => {
    expect(detectLocale('1001', 'zh-CN')).toBe('zh-CN');
  });
});

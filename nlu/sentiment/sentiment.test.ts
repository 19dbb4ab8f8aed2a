import { ANGER_THRESHOLD, analyzeSentiment } from './sentiment';

const zh = (t: string) => analyzeSentiment(t, 'zh-CN');
const en = (t: string) => analyzeSentiment(t, 'en-US');

const ANGRY: [string, string][] = [
  ['zh-CN', '我要投诉你们！'],
  ['zh-CN', '气死了，什么破快递'],
  ['zh-CN', '垃圾店铺，骗子'],
  ['zh-CN', '再不给我退款我就打12315'],
  ['zh-CN', '你们是不是有病，说了多少次了'],
  ['zh-CN', '差评！退钱！'],
  ['zh-CN', '什么态度啊，太过分了'],
  ['zh-CN', '黑店，我要去消协投诉'],
  ['zh-CN', '等了半个月了，你们到底要拖到什么时候？？'],
  ['zh-CN', '傻逼客服'],
  ['en-US', 'This is unacceptable!'],
  ['en-US', 'you are scammers'],
  ['en-US', 'WHERE IS MY ORDER!!!'],
  ['en-US', 'worst service ever, I want my money back'],
  ['en-US', "I'm furious, this is ridiculous"],
  ['en-US', "If you don't refund me today I will report you"],
  ['en-US', 'I want to file a complaint'],
  ['en-US', 'what the hell is going on with my order??'],
];

const CALM_NEGATIVE: [string, string][] = [
  ['zh-CN', '快递有点慢'],
  ['zh-CN', '收到的东西坏了'],
  ['zh-CN', '质量不太好'],
  ['zh-CN', '有点失望'],
  ['zh-CN', '衣服发错了，能换吗'],
  ['zh-CN', '不太满意'],
  ['zh-CN', '我的快递怎么还没到'],
  ['en-US', 'the package arrived damaged'],
  ['en-US', 'delivery is a bit slow'],
  ['en-US', "I'm disappointed with the quality"],
  ['en-US', 'unfortunately the size is wrong'],
  ['en-US', 'I am not happy with this'],
  ['zh-CN', '都三天了还不发货'],
  ['zh-CN', '谢谢，但是问题还没解决'],
  ['en-US', "I'm not angry, just disappointed"],
  ['en-US', 'the food was great but delivery was terrible'],
];

const NEUTRAL: [string, string][] = [
  ['zh-CN', '我的快递到哪了'],
  ['zh-CN', '怎么退货'],
  ['zh-CN', '可以开发票吗'],
  ['zh-CN', '你好，在吗'],
  ['zh-CN', '订单1001什么时候发货'],
  ['zh-CN', '好的'],
  ['zh-CN', '差不多什么时候到'],
  ['zh-CN', '我要退款'],
  ['zh-CN', '能快一点发货吗'],
  ['en-US', 'where is my order?'],
  ['en-US', 'how do I return an item'],
  ['en-US', 'can I change my address'],
  ['en-US', 'what are your opening hours'],
  ['en-US', "I'd like to know the delivery time"],
  ['en-US', 'no thanks'],
];

const POSITIVE: [string, string][] = [
  ['zh-CN', '谢谢！'],
  ['zh-CN', '非常满意，好评'],
  ['zh-CN', '客服很耐心，感谢'],
  ['zh-CN', '东西不错'],
  ['zh-CN', '太好了，谢谢你'],
  ['zh-CN', '没问题，辛苦了'],
  ['en-US', 'thank you so much!'],
  ['en-US', 'great service, thanks'],
  ['en-US', 'that was really helpful'],
  ['en-US', 'not bad at all'],
];

describe('analyzeSentiment', () => {
  it.each(ANGRY)('%s angry: %s', (locale, text) => {
    const s = analyzeSentiment(text, locale);
    expect(s.label).toBe('negative');
    expect(s.anger).toBeGreaterThanOrEqual(ANGER_THRESHOLD);
  });

  it.each(CALM_NEGATIVE)('%s negative but calm: %s', (locale, text) => {
    const s = analyzeSentiment(text, locale);
    expect(s.label).toBe('negative');
    expect(s.anger).toBeLessThan(ANGER_THRESHOLD);
  });

  it.each(NEUTRAL)('%s neutral: %s', (locale, text) => {
    const s = analyzeSentiment(text, locale);
    expect(s.label).toBe('neutral');
    expect(s.anger).toBeLessThan(0.2);
  });

  it.each(POSITIVE)('%s positive: %s', (locale, text) => {
    const s = analyzeSentiment(text, locale);
    expect(s.label).toBe('positive');
    expect(s.anger).toBe(0);
  });

  it('keeps score and anger in range', () => {
    for (const [locale, text] of [...ANGRY, ...CALM_NEGATIVE, ...NEUTRAL, ...POSITIVE]) {
      const s = analyzeSentiment(text, locale);
      expect(s.score).toBeGreaterThanOrEqual(-1);
      expect(s.score).toBeLessThanOrEqual(1);
      expect(s.anger).toBeGreaterThanOrEqual(0);
      expect(s.anger).toBeLessThanOrEqual(1);
    }
  });
});

describe('analyzeSentiment: modifiers', () => {
  it('negation turns a word over', () => {
    expect(zh('满意').label).toBe('positive');
    expect(zh('不满意').label).toBe('negative');
    expect(zh('一点都不好').label).toBe('negative');
    expect(en('happy').label).toBe('positive');
    expect(en('not happy').label).toBe('negative');
    expect(en('never good').label).toBe('negative');
  });

  it('intensifiers strengthen and diminishers soften', () => {
    expect(zh('太慢了').score).toBeLessThan(zh('慢').score);
    expect(zh('有点慢').score).toBeGreaterThan(zh('慢').score);
    expect(en('very slow').score).toBeLessThan(en('slow').score);
    expect(en('a bit slow').score).toBeGreaterThan(en('slow').score);
    expect(zh('非常感谢').score).toBeGreaterThan(zh('感谢').score);
  });

  it('exclamation marks and capitals raise anger', () => {
    expect(zh('差评!!!').anger).toBeGreaterThan(zh('差评').anger);
    expect(en('THIS IS UNACCEPTABLE').anger).toBeGreaterThan(en('this is unacceptable').anger);
    expect(en('THANK YOU SO MUCH').label).toBe('positive');
    expect(en('THANK YOU SO MUCH').anger).toBe(0);
  });

  it('reads traditional characters and mixed zh/en', () => {
    expect(zh('氣死了，什麼破服務').anger).toBeGreaterThanOrEqual(ANGER_THRESHOLD);
    expect(zh('这个app is a scam').anger).toBeGreaterThanOrEqual(ANGER_THRESHOLD);
  });

  it('says why', () => {
    expect(zh('我要投诉').cues).toContain('我要投诉');
    expect(en('not happy').cues).toContain('not…happy');
  });
});

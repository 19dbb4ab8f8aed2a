import { speakReplies } from './spoken';

describe('speakReplies: replies as a voice says them', () => {
  test('a phone reads a card as sentences, the options as keys, and ids digit by digit', () => {
    const spoken = speakReplies(
      [
        {
          text: '您的订单 1001 已发货，快递单号 773012345678，金额¥1299，预计2026年12月6日送达。',
          card: { title: '订单 1001', fields: [{ label: '状态', value: '运输中' }] },
          quickReplies: [
            { title: '查物流', payload: 'track' },
            { title: '转人工', payload: 'human' },
          ],
        },
      ],
      { locale: 'zh-CN', dtmf: true },
    );
    expect(spoken.text).toBe(
      '您的订单 1 0 0 1 已发货，快递单号 7 7 3 0 1 2 3 4 5 6 7 8，金额¥1299，预计2026年12月6日送达。' +
        '订单 1 0 0 1。状态：运输中。按1，查物流；按2，转人工。',
    );
    expect(spoken.choices).toEqual([
      { key: '1', title: '查物流', payload: 'track' },
      { key: '2', title: '转人工', payload: 'human' },
    ]);
  });

  test('a speaker says what can be said; markup, links and emoji are not read out', () => {
    const spoken = speakReplies(
      [
        {
          text: 'Which order? **Order 1001** 😀 https://shop.example/orders',
          quickReplies: [
            { title: 'Order 1001', payload: 'a' },
            { title: 'Order 1002', payload: 'b' },
            { title: 'Cancel', payload: 'c' },
          ],
        },
      ],
      { locale: 'en-US', dtmf: false },
    );
    expect(spoken.text).toBe(
      'Which order? Order 1 0 0 1 You can say: Order 1 0 0 1, Order 1 0 0 2, or Cancel.',
    );
  });

  test('a long text is cut at a sentence end and points to the app; duplicate options are read once', () => {
    const long = '第一句话说明情况。' + '这里是很长的补充说明'.repeat(30) + '。';
    const spoken = speakReplies(
      [
        { text: long, quickReplies: [{ title: '好的', payload: 'ok' }] },
        { text: '', quickReplies: [{ title: '好的', payload: 'ok' }] },
      ],
      { locale: 'zh-CN', dtmf: true, maxChars: 20 },
    );
    expect(spoken.text).toBe('第一句话说明情况。 更多内容请在 App 或网页中查看。按1，好的。');
    expect(spoken.choices).toHaveLength(1);
  });

  test('without a sentence end in reach, the cut falls at a clause break', () => {
    const spoken = speakReplies(
      [{ text: 'We ship within two days, ' + 'then the carrier takes over '.repeat(20) }],
      {
        locale: 'en-US',
        dtmf: false,
        maxChars: 60,
      },
    );
    expect(spoken.text).toBe('We ship within two days, There is more in the app or on the web.');
  });

  test('a menu after a bare clause gets its full stop; # is kept; phone numbers and dates read right', () => {
    expect(
      speakReplies([{ text: '已签收', quickReplies: [{ title: '满意', payload: 'a' }] }], {
        locale: 'zh-CN',
        dtmf: true,
      }).text,
    ).toBe('已签收。按1，满意。');
    expect(
      speakReplies([{ text: '客服电话 021-60000000，按 # 结束。' }], { locale: 'zh-CN', dtmf: true }).text,
    ).toBe('客服电话 0 2 1, 6 0 0 0 0 0 0 0，按 # 结束。');
    expect(
      speakReplies([{ text: '## Note\nPress # when done. Ships 2026-12-06.' }], {
        locale: 'en-US',
        dtmf: true,
      }).text,
    ).toBe('Note Press # when done. Ships 2026-12-06.');
  });

  test('at most nine options: 0 stays for a person', () => {
    const quickReplies = Array.from({ length: 12 }, (_, i) => ({ title: `Option ${i}`, payload: `p${i}` }));
    const spoken = speakReplies([{ text: 'Pick one.', quickReplies }], { locale: 'en-US', dtmf: true });
    expect(spoken.choices.map((c) => c.key)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(spoken.text).toContain('Press 9 for Option 8.');
    expect(spoken.text).not.toContain('Option 9');
  });
});

import { pickOrdinal } from './common';

test.each([
  ['第二个', 3, 1],
  ['第2单', 3, 1],
  ['the second one', 3, 1],
  ['2nd', 3, 1],
  ['the 2nd one', 3, 1],
  ['number 3', 3, 2],
  ['2', 3, 1],
  ['最后一个', 3, 2],
  ['the last one', 3, 2],
  ['第五个', 3, undefined],
  ['我要退款', 3, undefined],
  ['1001', 3, undefined],
])('%s of %i → %s', (text, length, expected) => {
  expect(pickOrdinal(text, length)).toBe(expected);
});

import { rememberRecent } from './recent';
import { analyze } from './features/tokenize';

describe('rememberRecent', () => {
  test('computes once per key and keeps only the last `size` results', () => {
    const calls: string[] = [];
    const upper = rememberRecent(
      2,
      (s: string) => s,
      (s: string) => {
        calls.push(s);
        return s.toUpperCase();
      },
    );
    expect([upper('a'), upper('a'), upper('b'), upper('a')]).toEqual(['A', 'A', 'B', 'A']);
    expect(calls).toEqual(['a', 'b']);
    upper('c'); // 'a' is the oldest entry: it goes
    upper('a');
    expect(calls).toEqual(['a', 'b', 'c', 'a']);
  });

  test('the tokenizer keys on every argument: stemmed and tagged analyses stay apart', () => {
    const plain = analyze('shipping boxes', false);
    const stemmed = analyze('shipping boxes', true);
    expect(plain.words).toEqual(['shipping', 'boxes']);
    expect(stemmed.words).not.toEqual(plain.words);
    expect(analyze('shipping boxes', false)).toBe(plain);
    expect(analyze('退货地址在哪', false, true).tags.length).toBeGreaterThan(0);
    expect(analyze('退货地址在哪', false).tags).toEqual([]);
  });
});

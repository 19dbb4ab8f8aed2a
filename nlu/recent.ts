/**
 * `fn` with its last `size` results kept by key. One customer message is normalised and tokenised
 * by up to five models and matchers, each for its own features; the profile of a turn showed the
 * same text cut by jieba four times. `fn` must be pure and its results must not be mutated.
 */
export function rememberRecent<A extends unknown[], R>(
  size: number,
  key: (...args: A) => string,
  fn: (...args: A) => R,
): (...args: A) => R {
  const recent = new Map<string, R>();
  return (...args: A): R => {
    const k = key(...args);
    const known = recent.get(k);
    if (known !== undefined) return known;
    const result = fn(...args);
    if (recent.size >= size) recent.delete(recent.keys().next().value as string);
    recent.set(k, result);
    return result;
  };
}

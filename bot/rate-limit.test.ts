import { RateLimiter } from './rate-limit';

test('a burst up to capacity, then refills over time, per key', () => {
  let now = 0;
  const limiter = new RateLimiter(3, 1, () => now);
  expect([1, 2, 3, 4].map(() => limiter.take('a'))).toEqual([true, true, true, false]);
  expect(limiter.take('b')).toBe(true);
  now += 1000;
  expect(limiter.take('a')).toBe(true);
  expect(limiter.take('a')).toBe(false);
});

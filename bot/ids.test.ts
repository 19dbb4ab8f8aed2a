import { newId, newSecret } from './ids';

test('ids are URL-safe, carry their prefix and do not repeat across refills of the random pool', () => {
  // 12 bytes per id: 10,000 ids draw the 4 KB pool about thirty times over.
  const ids = Array.from({ length: 10_000 }, () => newId('m'));
  for (const id of ids) expect(id).toMatch(/^m_[A-Za-z0-9_-]{16}$/);
  expect(new Set(ids).size).toBe(ids.length);
  expect(newSecret('sk')).toMatch(/^sk_[A-Za-z0-9_-]{32}$/);
});

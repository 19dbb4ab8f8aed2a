import { createHmac, timingSafeEqual } from 'node:crypto';

/** userHash = hex(HMAC-SHA256(identitySecret, userId)): the shop vouches that this is its customer. */
export function userHashFor(identitySecret: string, userId: string): string {
  return createHmac('sha256', identitySecret).update(userId, 'utf8').digest('hex');
}

export function verifyUserHash(identitySecret: string, userId: string, userHash: string): boolean {
  if (!/^[0-9a-fA-F]{64}$/.test(userHash)) return false;
  const expected = Buffer.from(userHashFor(identitySecret, userId), 'hex');
  return timingSafeEqual(expected, Buffer.from(userHash, 'hex'));
}

/** Constant-time comparison for bearer tokens of any length. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

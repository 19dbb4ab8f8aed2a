import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a request's timestamp may be from the shop's clock (specs/commerce-backend.md). */
export const MAX_SIGNATURE_SKEW_SECONDS = 300;

/** `sha256=` + hex HMAC-SHA256(secret, timestamp + "." + rawBody); rawBody is "" for a GET. */
export function signKefuRequest(secret: string, timestamp: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'mismatch' };

/**
 * What a shop's backend does with Kefu's headers: a missing or malformed timestamp or signature,
 * a timestamp more than `maxSkewSeconds` from `nowMs`, or a wrong HMAC is refused.
 */
export function verifyKefuSignature(
  secret: string,
  headers: { timestamp?: string; signature?: string },
  rawBody: string,
  nowMs: number = Date.now(),
  maxSkewSeconds: number = MAX_SIGNATURE_SKEW_SECONDS,
): SignatureCheck {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'missing' };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > maxSkewSeconds) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(signKefuRequest(secret, timestamp, rawBody));
  const given = Buffer.from(signature);
  // Compared in constant time so the answer's timing leaks nothing about the right HMAC.
  const same = expected.length === given.length && timingSafeEqual(expected, given);
  return same ? { ok: true } : { ok: false, reason: 'mismatch' };
}

import type { Request, Response } from 'express';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import type { Store } from '../store/store';
import type { UserSession } from '../store/users.repo';

/** The merchant admin's session cookie: HttpOnly, SameSite=Strict, and Secure whenever the admin is served over HTTPS. */
export const SESSION_COOKIE = 'kefu_session';
export const CSRF_HEADER = 'x-csrf-token';
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/**
 * Secure when the request came over HTTPS (directly, or through a proxy on loopback that says so:
 * bot/server.ts trusts it) or the public URL is https. A browser drops a Secure cookie set over
 * plain HTTP on anything but localhost, so insisting on it there would make sign-in silently fail.
 */
function secureCookie(res: Response): boolean {
  return res.req.secure || /^https:/i.test(process.env.KEFU_PUBLIC_URL ?? '');
}

export function sessionCookieOf(req: Request): string | undefined {
  const header = req.get('cookie');
  if (!header) return undefined;
  const value = parseCookies(header)[SESSION_COOKIE];
  return value && /^ses_[A-Za-z0-9_-]{20,64}$/.test(value) ? value : undefined;
}

export function setSessionCookie(res: Response, value: string, maxAgeMs: number): void {
  res.append(
    'Set-Cookie',
    serializeCookie(SESSION_COOKIE, value, {
      httpOnly: true,
      sameSite: 'strict',
      secure: secureCookie(res),
      path: '/',
      maxAge: Math.floor(maxAgeMs / 1000),
    }),
  );
}

export function clearSessionCookie(res: Response): void {
  setSessionCookie(res, '', 0);
}

/** The signed-in user of the request's cookie, when it names a live session. */
export async function sessionOf(store: Store, req: Request): Promise<UserSession | undefined> {
  const cookie = sessionCookieOf(req);
  return cookie ? store.users.findSession(cookie) : undefined;
}

/** Requests that change something must prove they come from our own page (SameSite is the second wall). */
export function isUnsafeMethod(method: string): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase());
}

import { randomBytes } from 'node:crypto';

/** Random, URL-safe ids with a readable prefix: `c_…` conversation, `m_…` message, `t_…` turn. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}

export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('base64url')}`;
}

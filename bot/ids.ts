import { randomBytes } from 'node:crypto';

// Random bytes drawn 4 KB at a time: a turn makes several ids, and a call into the CSPRNG per id
// showed in the turn's profile. The bytes are as random; each is handed out once.
const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

function pooledRandom(n: number): Buffer {
  if (offset + n > pool.length) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  offset += n;
  return pool.subarray(offset - n, offset);
}

/** Random, URL-safe ids with a readable prefix: `c_…` conversation, `m_…` message, `t_…` turn. */
export function newId(prefix: string): string {
  return `${prefix}_${pooledRandom(12).toString('base64url')}`;
}

export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('base64url')}`;
}

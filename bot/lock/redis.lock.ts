import type { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { type ConversationLock, LocalQueue } from './lock';
import { errors } from '../errors';

// A fair (FIFO) lock across processes: each waiter takes a ticket in a sorted set and holds a lease
// key while alive; the head of the queue owns the lock. A waiter whose lease expired (crashed
// process) is dropped from the head, so a dead holder blocks others for at most one lease.
const HEAD_SCRIPT = `
local head = redis.call('ZRANGE', KEYS[1], 0, 0)
while head[1] do
  if head[1] == ARGV[1] then return 1 end
  if redis.call('EXISTS', ARGV[2] .. head[1]) == 1 then return 0 end
  redis.call('ZREM', KEYS[1], head[1])
  head = redis.call('ZRANGE', KEYS[1], 0, 0)
end
return -1
`;

// Taking a ticket and joining the queue is one step: done as two, a later ticket could join first,
// find itself at the head and take the lock, and then the earlier ticket would become head too.
const ENQUEUE_SCRIPT = `
local ticket = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[2])
redis.call('ZADD', KEYS[1], ticket, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2] * 10)
redis.call('PEXPIRE', KEYS[2], ARGV[2] * 10)
return ticket
`;

export interface RedisLockOptions {
  leaseMs?: number;
  acquireTimeoutMs?: number;
  pollMs?: number;
}

export class RedisLock implements ConversationLock {
  private readonly local = new LocalQueue();
  private readonly leaseMs: number;
  private readonly acquireTimeoutMs: number;
  private readonly pollMs: number;

  constructor(
    private readonly redis: Redis,
    opts: RedisLockOptions = {},
  ) {
    this.leaseMs = opts.leaseMs ?? 10_000;
    this.acquireTimeoutMs = opts.acquireTimeoutMs ?? 30_000;
    this.pollMs = opts.pollMs ?? 5;
  }

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.local.run(key, async () => {
      const held = await this.acquire(key);
      try {
        return await fn();
      } finally {
        // Redis gone after the turn committed: its lease lapses by itself, and the turn still counts.
        await held.release().catch(() => undefined);
      }
    });
  }

  private async acquire(key: string): Promise<{ release(): Promise<void> }> {
    const queueKey = `kefu:lock:{${key}}:queue`;
    const seqKey = `kefu:lock:{${key}}:seq`;
    const leasePrefix = `kefu:lock:{${key}}:lease:`;
    const token = randomBytes(9).toString('base64url');
    const leaseKey = leasePrefix + token;
    const enqueue = async () => {
      await this.redis.eval(ENQUEUE_SCRIPT, 3, queueKey, seqKey, leaseKey, token, this.leaseMs);
    };
    const renew = setInterval(() => {
      void this.redis.set(leaseKey, '1', 'PX', this.leaseMs).catch(() => undefined);
    }, this.leaseMs / 3);
    renew.unref();
    const giveUp = async () => {
      clearInterval(renew);
      await this.redis.multi().zrem(queueKey, token).del(leaseKey).exec();
    };

    await enqueue();
    const deadline = Date.now() + this.acquireTimeoutMs;
    let delay = 1;
    for (;;) {
      const status = (await this.redis.eval(HEAD_SCRIPT, 1, queueKey, token, leasePrefix)) as number;
      if (status === 1) break;
      if (status === -1) await enqueue(); // our entry was dropped (lease lapsed while we waited): queue again
      if (Date.now() > deadline) {
        await giveUp();
        throw errors.lockTimeout();
      }
      await sleep(delay);
      delay = Math.min(delay * 2, this.pollMs * 4);
    }
    return { release: giveUp };
  }

  async close(): Promise<void> {}
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

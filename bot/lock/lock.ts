/** One turn at a time per key, in arrival order. */
export interface ConversationLock {
  run<T>(key: string, fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * In-process FIFO per key: each caller chains onto the previous caller's promise. Used alone on the
 * embedded default, and in front of the Redis lock so a process queues its own turns locally.
 */
export class LocalQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }

  get size(): number {
    return this.tails.size;
  }
}

export class MemoryLock implements ConversationLock {
  private readonly queue = new LocalQueue();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.queue.run(key, fn);
  }

  async close(): Promise<void> {}
}

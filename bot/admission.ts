import { errors } from './errors';
import type { Metrics } from './metrics';

export interface AdmissionLimits {
  /** Turns that run at once in this process. */
  maxConcurrent: number;
  /** Turns that may wait (first come, first served) for a running one to finish. */
  maxQueued: number;
  /** A waiting turn gives up after this long. */
  maxWaitMs: number;
}

interface Waiter {
  grant: (release: () => void) => void;
  timer: NodeJS.Timeout;
}

/** Weight of the newest turn in the running mean of turn times (the estimate follows load within ~10 turns). */
const MEAN_WEIGHT = 0.2;
const MIN_RETRY_AFTER_S = 1;
const MAX_RETRY_AFTER_S = 30;

/**
 * Bounded admission of turns into one process: a fixed number run, a bounded FIFO queue waits,
 * and anything beyond that is refused at once with OVERLOADED (429 + Retry-After) so a spike costs
 * the overflow a quick "try again" instead of costing everyone memory and latency without bound.
 */
export class TurnAdmission {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  private meanMs = 0;

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly metrics?: Metrics,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (limits.maxConcurrent < 1) throw new Error('maxConcurrent must be at least 1');
  }

  get stats(): { running: number; queued: number; meanTurnMs: number } {
    return { running: this.running, queued: this.waiting.length, meanTurnMs: this.meanMs };
  }

  /**
   * Waits for a slot and resolves with its release (call it exactly once, when the turn ends);
   * rejects with OVERLOADED when the queue is full or the wait ran out.
   */
  acquire(): Promise<() => void> {
    if (this.running < this.limits.maxConcurrent && this.waiting.length === 0) {
      const release = this.take();
      // The embedded database answers without real I/O, so a turn would run start to end in one
      // go while the requests behind it wait unseen in the kernel; one hop through the event loop
      // lets them arrive here and be counted (and refused) while this one waits to run.
      return new Promise((resolve) => setImmediate(() => resolve(release)));
    }
    if (this.waiting.length >= this.limits.maxQueued) return Promise.reject(this.refuse('queue_full'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: resolve,
        timer: setTimeout(() => {
          const i = this.waiting.indexOf(waiter);
          if (i >= 0) this.waiting.splice(i, 1);
          this.gauges();
          reject(this.refuse('wait_timeout'));
        }, this.limits.maxWaitMs),
      };
      this.waiting.push(waiter);
      this.gauges();
    });
  }

  /**
   * Seconds after which a refused client may expect a slot: the turns ahead of it times the recent
   * mean turn time, shared by the slots; at least 1, at most 30.
   */
  retryAfterSeconds(): number {
    const seconds = Math.ceil((this.waiting.length * this.meanMs) / this.limits.maxConcurrent / 1000);
    return Math.min(MAX_RETRY_AFTER_S, Math.max(MIN_RETRY_AFTER_S, seconds));
  }

  private take(): () => void {
    this.running++;
    this.gauges();
    const started = this.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const took = this.now() - started;
      this.meanMs = this.meanMs === 0 ? took : this.meanMs + MEAN_WEIGHT * (took - this.meanMs);
      this.running--;
      const next = this.waiting.shift();
      if (next) {
        clearTimeout(next.timer);
        next.grant(this.take());
      } else this.gauges();
    };
  }

  private refuse(reason: 'queue_full' | 'wait_timeout') {
    this.metrics?.turnsRejected.inc({ reason });
    return errors.overloaded(this.retryAfterSeconds());
  }

  private gauges(): void {
    this.metrics?.turnsRunning.set(this.running);
    this.metrics?.turnsQueued.set(this.waiting.length);
  }
}

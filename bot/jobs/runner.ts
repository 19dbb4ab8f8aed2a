import { Queue, Worker } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { errors } from '../errors';
import { withTimeout } from '../timeout';
import type { JobRecord, JobsRepo } from '../store/jobs.repo';

export type JobHandler = (job: JobRecord, progress: (fraction: number) => Promise<void>) => Promise<void>;

export interface JobQueueOptions {
  redisUrl: string;
  /** BullMQ's key prefix: one deployment's queue, apart from another's on the same Redis. */
  prefix: string;
  /** A job still queued in the database after `afterMs` is handed to the queue again, checked every `everyMs`. */
  requeue?: { afterMs: number; everyMs: number };
}

/** The BullMQ queue every instance works on (under the deployment's prefix). */
export const JOB_QUEUE = 'kefu-jobs';

/** For a job queued by an instance that knows a type this one does not (a rolling upgrade). */
const unknownType: JobHandler = async (job) => {
  throw new Error(`no handler for job type "${job.type}"`);
};
/** How long a publish waits for Redis to take its job before it answers 503. */
const QUEUE_TIMEOUT_MS = 5_000;
/** How often `waitFor` reads a job another instance runs. */
const POLL_MS = 150;
/**
 * Redis keeps nothing on disk in many deployments: a restart loses the jobs waiting in it, and their
 * rows would read "queued" for ever (a publish that never ends). Queued this long, a job is queued
 * again under its own id, which BullMQ ignores while it still has the job.
 */
const REQUEUE = { afterMs: 60_000, everyMs: 30_000 };

/**
 * Runs background jobs and keeps their state in the database, so any instance answers
 * `GET /jobs/:id`. Without Redis they run in this process. With Redis they go through a BullMQ
 * queue that every instance works on, so exactly one instance runs each job (a job whose instance
 * died mid-run is picked up again by another, once BullMQ sees it stalled). Shutdown waits for the
 * jobs in flight.
 */
export class JobRunner {
  private readonly handlers = new Map<string, JobHandler>();
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Jobs queued here and not yet finished: id → shop (the database row is read by shop). */
  private readonly queued = new Map<string, string>();
  private queue?: Queue;
  private worker?: Worker;
  private connections: Redis[] = [];
  private requeueTimer?: NodeJS.Timeout;
  private requeueing = false;

  constructor(
    private readonly jobs: JobsRepo,
    private readonly log: Logger,
    private readonly options?: JobQueueOptions,
  ) {}

  register(type: string, handler: JobHandler): void {
    this.handlers.set(type, handler);
  }

  /** With Redis: joins the queue (call after every `register`). */
  async start(): Promise<void> {
    if (!this.options) return;
    const { redisUrl, prefix } = this.options;
    // The worker blocks on its connection and wants it to retry for ever (maxRetriesPerRequest:
    // null); the queue's fails fast while Redis is away, so a publish answers 503 instead of hanging.
    const connect = (options: RedisOptions) => {
      const client = new Redis(redisUrl, options);
      client.on('error', (err) => this.log.warn({ err }, 'job queue: redis error'));
      this.connections.push(client);
      return client;
    };
    this.queue = new Queue(JOB_QUEUE, {
      connection: connect({ maxRetriesPerRequest: 1, enableOfflineQueue: false }),
      prefix,
    });
    this.queue.on('error', (err) => this.log.warn({ err }, 'job queue error'));
    this.worker = new Worker(
      JOB_QUEUE,
      async (job) => {
        const record = job.data as JobRecord;
        const handler = this.handlers.get(record.type) ?? unknownType;
        await this.track(record, handler);
      },
      // Training is CPU-bound: one at a time per instance; more instances, more at once.
      { connection: connect({ maxRetriesPerRequest: null }), prefix, concurrency: 1 },
    );
    this.worker.on('error', (err) => this.log.warn({ err }, 'job worker error'));
    await Promise.all([this.queue.waitUntilReady(), this.worker.waitUntilReady()]);
    const requeue = this.options.requeue ?? REQUEUE;
    this.requeueTimer = setInterval(() => void this.requeueLost(requeue.afterMs), requeue.everyMs);
    this.requeueTimer.unref();
  }

  /** Hands jobs the queue may have lost (a Redis restart) to it again; see REQUEUE. */
  private async requeueLost(afterMs: number): Promise<void> {
    if (!this.queue || this.requeueing) return;
    this.requeueing = true;
    try {
      for (const job of await this.jobs.queuedSince(new Date(Date.now() - afterMs))) {
        await withTimeout(this.queue.add(job.type, job, this.addOptions(job.id)), QUEUE_TIMEOUT_MS);
      }
    } catch (err) {
      this.log.warn({ err }, 'job queue: could not re-queue waiting jobs');
    } finally {
      this.requeueing = false;
    }
  }

  private addOptions(jobId: string) {
    return {
      jobId,
      // The database keeps the job's state; the queue only has to hand it to one worker.
      removeOnComplete: true,
      removeOnFail: 1000,
    };
  }

  async enqueue(shopId: string, type: string): Promise<JobRecord> {
    const handler = this.handlers.get(type);
    if (!handler) throw new Error(`no handler for job type "${type}"`);
    const job = await this.jobs.create(shopId, type);
    if (!this.queue) {
      void this.track(job, handler);
      return job;
    }
    this.queued.set(job.id, shopId);
    // Bounded: a job nobody waits for (publish from the admin) is never looked up again.
    if (this.queued.size > 10_000) this.queued.delete(this.queued.keys().next().value!);
    try {
      await withTimeout(this.queue.add(type, job, this.addOptions(job.id)), QUEUE_TIMEOUT_MS);
    } catch (err) {
      this.queued.delete(job.id);
      this.log.warn({ err, jobId: job.id, shopId }, 'job queue: could not queue a job');
      await this.jobs
        .update(job.id, { state: 'failed', error: 'could not queue the job' })
        .catch(() => undefined);
      throw errors.unavailable('The job queue is not available; try again shortly.');
    }
    return job;
  }

  /**
   * Resolves when the job has finished, whichever instance runs it: read from the database for a
   * job queued here or for `shopId`'s; at once for unknown or finished ones.
   */
  async waitFor(jobId: string, shopId?: string): Promise<void> {
    const owner = shopId ?? this.queued.get(jobId);
    try {
      for (;;) {
        const running = this.inFlight.get(jobId);
        if (running) return await running;
        if (!this.queue || owner === undefined) return;
        const job = await this.jobs.get(owner, jobId);
        if (!job || job.state === 'done' || job.state === 'failed') return;
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    } finally {
      this.queued.delete(jobId);
    }
  }

  private track(job: JobRecord, handler: JobHandler): Promise<void> {
    const run = this.execute(job, handler).finally(() => this.inFlight.delete(job.id));
    this.inFlight.set(job.id, run);
    return run;
  }

  private async execute(job: JobRecord, handler: JobHandler): Promise<void> {
    try {
      await this.jobs.update(job.id, { state: 'running' });
      await handler(job, (progress) =>
        this.jobs.update(job.id, { progress: Math.max(0, Math.min(1, progress)) }),
      );
      await this.jobs.update(job.id, { state: 'done', progress: 1 });
      this.log.info({ jobId: job.id, shopId: job.shopId, type: job.type }, 'job done');
    } catch (err) {
      this.log.error({ err, jobId: job.id, shopId: job.shopId, type: job.type }, 'job failed');
      await this.jobs
        .update(job.id, { state: 'failed', error: err instanceof Error ? err.message : String(err) })
        .catch(() => undefined);
    }
  }

  /** Stops taking jobs and waits for the ones running here. */
  async close(): Promise<void> {
    clearInterval(this.requeueTimer);
    // Worker.close() waits for the job it is running before it returns.
    await this.worker?.close();
    await this.queue?.close();
    await Promise.allSettled([...this.inFlight.values()]);
    await Promise.all(this.connections.map((c) => c.quit().catch(() => undefined)));
  }
}

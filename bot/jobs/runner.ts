import type { Logger } from 'pino';
import type { JobRecord, JobsRepo } from '../store/jobs.repo';

export type JobHandler = (job: JobRecord, progress: (fraction: number) => Promise<void>) => Promise<void>;

/**
 * Runs background jobs in this process and keeps their state in the database, so any instance can
 * answer `GET /jobs/:id`. Shutdown waits for the jobs in flight.
 */
export class JobRunner {
  private readonly handlers = new Map<string, JobHandler>();
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly jobs: JobsRepo,
    private readonly log: Logger,
  ) {}

  register(type: string, handler: JobHandler): void {
    this.handlers.set(type, handler);
  }

  async enqueue(shopId: string, type: string): Promise<JobRecord> {
    const handler = this.handlers.get(type);
    if (!handler) throw new Error(`no handler for job type "${type}"`);
    const job = await this.jobs.create(shopId, type);
    const run = this.execute(job, handler).finally(() => this.inFlight.delete(job.id));
    this.inFlight.set(job.id, run);
    return job;
  }

  /** Resolves when a job this process runs has finished (at once for unknown or finished ones). */
  async waitFor(jobId: string): Promise<void> {
    await this.inFlight.get(jobId);
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

  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
  }
}

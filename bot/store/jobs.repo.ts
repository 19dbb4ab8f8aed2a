import { and, asc, eq, lt } from 'drizzle-orm';
import type { Db } from './db';
import { jobs } from './schema';
import { newId } from '../ids';

export type JobState = 'queued' | 'running' | 'done' | 'failed';

export interface JobRecord {
  id: string;
  shopId: string;
  type: string;
  state: JobState;
  progress: number;
  error?: string;
}

export class JobsRepo {
  constructor(private readonly db: Db) {}

  async create(shopId: string, type: string): Promise<JobRecord> {
    const id = newId('job');
    await this.db.insert(jobs).values({ id, shopId, type, state: 'queued', progress: 0 });
    return { id, shopId, type, state: 'queued', progress: 0 };
  }

  async update(id: string, patch: { state?: JobState; progress?: number; error?: string }): Promise<void> {
    await this.db
      .update(jobs)
      .set({ ...patch, updatedAt: new Date() })
      .where(eq(jobs.id, id));
  }

  async get(shopId: string, id: string): Promise<JobRecord | undefined> {
    const [row] = await this.db
      .select()
      .from(jobs)
      .where(and(eq(jobs.shopId, shopId), eq(jobs.id, id)));
    return row && toJobRecord(row);
  }

  /** Jobs of every shop still queued since before `cutoff`, oldest first (a queue may have lost them). */
  async queuedSince(cutoff: Date, limit = 100): Promise<JobRecord[]> {
    const rows = await this.db
      .select()
      .from(jobs)
      .where(and(eq(jobs.state, 'queued'), lt(jobs.updatedAt, cutoff)))
      .orderBy(asc(jobs.updatedAt))
      .limit(limit);
    return rows.map(toJobRecord);
  }
}

function toJobRecord(row: typeof jobs.$inferSelect): JobRecord {
  return {
    id: row.id,
    shopId: row.shopId,
    type: row.type,
    state: row.state,
    progress: row.progress,
    ...(row.error ? { error: row.error } : {}),
  };
}

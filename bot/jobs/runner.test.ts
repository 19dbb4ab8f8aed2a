import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createLogger } from '../log';
import { type Database, openDatabase } from '../store/db';
import { JobsRepo } from '../store/jobs.repo';
import { startPrivateRedis } from '../../tests/chaos/support/private-services';
import { describeWith, serviceUrl } from '../../tests/support/services';
import { JOB_QUEUE, JobRunner } from './runner';

const log = createLogger({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let database: Database;
let repo: JobsRepo;
beforeAll(async () => {
  database = await openDatabase({ dataDir: ':memory:' });
  repo = new JobsRepo(database.db);
});
afterAll(() => database.close());

test('without Redis a job runs in this process and its state is stored', async () => {
  const runner = new JobRunner(repo, log);
  runner.register('t', async (_job, progress) => {
    await progress(0.5);
  });
  await runner.start();
  const job = await runner.enqueue('shop-1', 't');
  await runner.waitFor(job.id);
  expect(await repo.get('shop-1', job.id)).toMatchObject({ state: 'done', progress: 1 });
  await runner.close();
});

describeWith('REDIS_URL')('on BullMQ (two instances = two runners on one queue)', () => {
  const redisUrl = serviceUrl('REDIS_URL')!;
  const runners: JobRunner[] = [];
  const instance = async (name: string, ran: string[], workMs = 100) => {
    const runner = new JobRunner(repo, log, { redisUrl, prefix });
    runner.register('t', async (job) => {
      ran.push(`${name}:${job.id}`);
      await sleep(workMs);
    });
    await runner.start();
    runners.push(runner);
    return runner;
  };
  let prefix: string;
  beforeEach(() => {
    prefix = `kefu-test-${randomBytes(6).toString('hex')}`;
  });
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.close()));
    // Leave nothing behind on the shared Redis.
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    await new Queue(JOB_QUEUE, { connection, prefix }).obliterate({ force: true });
    await connection.quit();
  });

  test('each job runs exactly once, on whichever instance takes it; both see it finish', async () => {
    const ran: string[] = [];
    const a = await instance('a', ran);
    const b = await instance('b', ran);
    const jobs = [];
    for (let i = 0; i < 8; i++) jobs.push(await a.enqueue('shop-1', 't'));
    // b waits for a's jobs through the database.
    await Promise.all(jobs.map((j) => b.waitFor(j.id, 'shop-1')));
    const ids = ran.map((r) => r.split(':')[1]);
    expect([...ids].sort()).toEqual(jobs.map((j) => j.id).sort());
    for (const j of jobs) expect((await repo.get('shop-1', j.id))?.state).toBe('done');
    // One job at a time per instance: eight jobs of 100 ms each went to both.
    expect(new Set(ran.map((r) => r.split(':')[0]))).toEqual(new Set(['a', 'b']));
  });

  test('closing an instance waits for the job it is running', async () => {
    const ran: string[] = [];
    const a = await instance('a', ran, 800);
    const job = await a.enqueue('shop-1', 't');
    while ((await repo.get('shop-1', job.id))?.state !== 'running') await sleep(20);
    await a.close();
    expect((await repo.get('shop-1', job.id))?.state).toBe('done');
  });

  test('a job the queue lost (Redis restarted without its data) is queued again, and runs once', async () => {
    // As a Redis restart leaves it: the row says queued, the queue has never heard of it.
    const lost = await repo.create('shop-1', 't');
    const ran: string[] = [];
    const runner = new JobRunner(repo, log, { redisUrl, prefix, requeue: { afterMs: 200, everyMs: 100 } });
    runner.register('t', async (job) => {
      ran.push(job.id);
    });
    await runner.start();
    runners.push(runner);
    const deadline = Date.now() + 10_000;
    while ((await repo.get('shop-1', lost.id))?.state !== 'done' && Date.now() < deadline) await sleep(50);
    expect((await repo.get('shop-1', lost.id))?.state).toBe('done');
    // Later sweeps leave a finished job alone.
    await sleep(500);
    expect(ran).toEqual([lost.id]);
  });

  test('a job of a type this instance does not know is marked failed, not left queued', async () => {
    const a = await instance('a', []);
    // As a newer instance would queue it.
    const job = await repo.create('shop-1', 'newer');
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    await new Queue(JOB_QUEUE, { connection, prefix }).add('newer', job, { jobId: job.id });
    await connection.quit();
    await a.waitFor(job.id, 'shop-1');
    expect(await repo.get('shop-1', job.id)).toMatchObject({ state: 'failed' });
  });
});

describeWith('REDIS_URL')('on BullMQ, when Redis goes away', () => {
  test('a job queued meanwhile is refused with 503 within seconds; once Redis is back, jobs run', async () => {
    const redis = await startPrivateRedis();
    const runner = new JobRunner(repo, log, { redisUrl: redis.url, prefix: 'kefu-test-outage' });
    runner.register('t', async () => undefined);
    try {
      await runner.start();
      await redis.kill();
      const started = Date.now();
      await expect(runner.enqueue('shop-1', 't')).rejects.toMatchObject({ status: 503, code: 'UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(8_000);
      await redis.start();
      let job: { id: string } | undefined;
      for (let i = 0; i < 100 && !job; i++) {
        job = await runner.enqueue('shop-1', 't').catch(() => undefined);
        if (!job) await sleep(100);
      }
      await runner.waitFor(job!.id);
      expect((await repo.get('shop-1', job!.id))?.state).toBe('done');
    } finally {
      await runner.close();
      await redis.stop();
    }
  }, 40_000);
});

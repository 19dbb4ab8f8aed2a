import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { runInWorker } from './run-in-worker';

const fixture = path.join(__dirname, 'fixture.task.ts');

test('runs a TypeScript task in another thread with progress', async () => {
  const progress: number[] = [];
  const result = await runInWorker<{ values: number[] }, { total: number; threadId: number }>(
    fixture,
    'sumTask',
    { values: [1, 2, 3, 4] },
    (f) => progress.push(f),
  );
  expect(result.total).toBe(10);
  expect(result.threadId).not.toBe(threadId);
  expect(progress).toEqual([0.25, 0.5, 0.75, 1]);
});

test('a failing task rejects with its message', async () => {
  await expect(runInWorker(fixture, 'failingTask', {})).rejects.toThrow('bad training data');
});

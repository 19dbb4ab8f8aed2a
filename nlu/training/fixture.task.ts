/** A tiny task for the worker tests: reports progress and returns plain data. */
export async function sumTask(input: { values: number[] }, progress: (f: number) => void) {
  let total = 0;
  input.values.forEach((v, i) => {
    total += v;
    progress((i + 1) / input.values.length);
  });
  return { total, threadId: (await import('node:worker_threads')).threadId };
}

export async function failingTask(): Promise<never> {
  throw new Error('bad training data');
}

import path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * Runs `exportName(input, onProgress)` from a TypeScript module in a worker thread, so training
 * (seconds of CPU) never blocks the event loop that answers customers. The result is copied back
 * with the structured-clone algorithm, so it must be plain data.
 */
export function runInWorker<I, O>(
  modulePath: string,
  exportName: string,
  input: I,
  onProgress?: (fraction: number) => void,
  opts: { timeoutMs?: number } = {},
): Promise<O> {
  return new Promise<O>((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'worker-entry.js'), {
      workerData: { modulePath, exportName, input },
      // Keep the parent's loaders out: the entry registers tsx itself.
      execArgv: [],
      env: { ...process.env, NODE_OPTIONS: '' },
      resourceLimits: { maxOldGenerationSizeMb: 2048 },
    });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
      void worker.terminate();
    };
    const timer = setTimeout(
      () => finish(() => reject(new Error(`training timed out after ${opts.timeoutMs} ms`))),
      opts.timeoutMs ?? 300_000,
    );
    worker.on('message', (msg: { type: string; fraction?: number; result?: O; message?: string }) => {
      if (msg.type === 'progress' && typeof msg.fraction === 'number') onProgress?.(msg.fraction);
      else if (msg.type === 'done') finish(() => resolve(msg.result as O));
      else if (msg.type === 'error') finish(() => reject(new Error(msg.message)));
    });
    worker.on('error', (err) => finish(() => reject(err)));
    worker.on('exit', (code) => finish(() => reject(new Error(`training worker exited with code ${code}`))));
  });
}

// Entry of a training worker thread: it loads the TypeScript training module through tsx's
// require hook (the worker is a fresh isolate, with no loader of its own) and reports back.
const { parentPort, workerData } = require('node:worker_threads');
const { register } = require('tsx/cjs/api');

register();
const mod = require(workerData.modulePath);
const task = mod[workerData.exportName];

Promise.resolve()
  .then(() => task(workerData.input, (fraction) => parentPort.postMessage({ type: 'progress', fraction })))
  .then((result) => parentPort.postMessage({ type: 'done', result }))
  .catch((err) =>
    parentPort.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
  );

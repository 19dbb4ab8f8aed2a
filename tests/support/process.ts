import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { NODE_FLAGS } from '../../bot/node-flags';

const root = path.resolve(__dirname, '../..');

export interface KefuProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** SIGTERM, and wait for a clean exit. */
  stop(): Promise<number | null>;
}

/** Starts `main.ts` as its own process, with `npm start`'s Node.js flags, and resolves once it prints its URL. */
export function startKefuProcess(
  env: Record<string, string>,
  timeoutMs = 30_000,
  /** Flags for node itself (e.g. --cpu-prof, which NODE_OPTIONS refuses). */
  nodeArgs: string[] = [],
): Promise<KefuProcess> {
  const child = spawn(path.join(root, 'node_modules/.bin/tsx'), [...NODE_FLAGS, ...nodeArgs, 'main.ts'], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kefu did not start in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = () => {
      const match = out.match(/Kefu is running at (http:\/\/[\d.]+:\d+)/);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({
        url: match[1]!,
        child,
        output: () => out,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done(child.exitCode);
            child.once('exit', (code) => done(code));
            child.kill('SIGTERM');
          }),
      });
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kefu exited with ${code}:\n${out}`));
    });
  });
}

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NODE_FLAGS } from './node-flags';

test('npm start and npm run dev run Kefu with the same Node.js flags as the cluster and the tests', () => {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  expect(pkg.scripts.start).toBe(`tsx ${NODE_FLAGS.join(' ')} main.ts`);
  expect(pkg.scripts.dev).toBe(`tsx watch ${NODE_FLAGS.join(' ')} main.ts`);
});

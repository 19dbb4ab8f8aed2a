import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { builtinIntentsKey, trainBuiltinIntents } from '../../nlu/shop-model';
import { BUILTIN_CACHE_DIR } from './builtin-cache';

/**
 * Trains the built-in intent classifier once per test run (about ten seconds) and leaves it where
 * every test server seeds its fresh database from, as a deployment's database would hold it.
 */
export default async function globalSetup(): Promise<void> {
  const file = path.join(BUILTIN_CACHE_DIR, `${builtinIntentsKey().replace(/[^\w-]/g, '_')}.json`);
  if (existsSync(file)) return;
  mkdirSync(BUILTIN_CACHE_DIR, { recursive: true });
  writeFileSync(file, JSON.stringify(await trainBuiltinIntents(null)));
}

import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Store } from '../../bot/store/store';
import { builtinIntentsKey } from '../../nlu/shop-model';

export const BUILTIN_CACHE_DIR = path.join(os.tmpdir(), 'kefu-test-builtin-intents');

/** Puts the built-in classifier trained by the global setup into a test server's database. */
export async function seedBuiltinIntents(store: Store): Promise<void> {
  const key = builtinIntentsKey();
  const file = path.join(BUILTIN_CACHE_DIR, `${key.replace(/[^\w-]/g, '_')}.json`);
  if (existsSync(file)) await store.artifacts.put(key, JSON.parse(readFileSync(file, 'utf8')));
}

import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { newSecret } from './ids';

/**
 * The operator's token: KEFU_ADMIN_TOKEN when set, else the one stored in the data dir, else a new
 * one written there. `generated` tells the caller to print it (it is never logged).
 */
export function resolveAdminToken(opts: { configured?: string; dataDir: string }): {
  token: string;
  generated: boolean;
} {
  if (opts.configured) return { token: opts.configured, generated: false };
  const file = path.resolve(opts.dataDir, 'admin-token');
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored) return { token: stored, generated: false };
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const token = newSecret('kefu_admin');
  writeFileSync(file, token + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, generated: true };
}

import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config';

/**
 * Names one deployment's keys on a Redis that others may share (BullMQ queue, rate limits): the
 * instances of a deployment share its database, so the name comes from where the database is
 * (without credentials), unless `KEFU_REDIS_NAMESPACE` says otherwise. Without this, an instance
 * would take a job queued for another deployment's database.
 */
export function deploymentNamespace(
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'redisNamespace'>,
): string {
  if (config.redisNamespace) return config.redisNamespace;
  let where: string;
  if (config.databaseUrl) {
    const url = new URL(config.databaseUrl);
    where = `${url.hostname}:${url.port || '5432'}${url.pathname}`;
  } else if (config.dataDir === ':memory:') {
    where = randomBytes(8).toString('hex');
  } else {
    where = `${os.hostname()}:${path.resolve(config.dataDir)}`;
  }
  return createHash('sha256').update(where).digest('hex').slice(0, 12);
}

/** Redis connection options from a `redis://` or `rediss://` URL, as BullMQ takes them. */
import type { ConnectionOptions } from 'bullmq';

import { InputError } from '../errors';

/** Where a queue lives: a Redis URL, or ioredis options as BullMQ takes them. */
export type RedisTarget = string | ConnectionOptions;

/** `redis://[user:password@]host[:port][/db]`, `rediss://` for TLS; options pass through unchanged. */
export function redisConnection(target: RedisTarget): ConnectionOptions {
  if (typeof target !== 'string') {
    if (typeof target !== 'object' || target === null) throw new InputError('the Redis connection must be a URL or connection options');
    return target;
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new InputError(`'${target}' is not a Redis URL (redis://host:port[/db])`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new InputError(`'${target}' is not a Redis URL: redis:// or rediss:// expected`);
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new InputError(`'${target}': the database must be a number, got '${url.pathname.slice(1)}'`);
  return {
    host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: url.port ? Number(url.port) : 6379,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db,
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, inject } from 'vitest';

/** A key prefix no other test file uses, so files can share the test Redis in parallel. */
export function uniquePrefix(): string {
  return `lstest-${randomBytes(4).toString('hex')}:`;
}

/** Opens a connection to the test Redis; closed automatically after the file's tests. */
export function connectRedis(): Redis {
  const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 2, lazyConnect: false });
  afterAll(async () => {
    await redis.quit().catch(() => redis.disconnect());
  });
  return redis;
}

/** Deletes every key under `prefix` (the keys a test file wrote). */
export async function deleteByPrefix(redis: Redis, prefix: string): Promise<void> {
  const stream = redis.scanStream({ match: `${prefix}*`, count: 500 });
  for await (const keys of stream as AsyncIterable<string[]>) {
    if (keys.length > 0) await redis.unlink(...keys);
  }
}

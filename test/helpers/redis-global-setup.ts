/**
 * Vitest global setup: starts a private `redis-server` on a free port (nothing on disk) unless
 * `REDIS_URL` is set, and hands its URL to the tests. Fails with a clear message if the binary is missing.
 */
import type { TestProject } from 'vitest/node';
import { hasRedisServer, startRedisServer } from './redis-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv) {
    project.provide('redisUrl', fromEnv);
    return () => {};
  }
  if (!hasRedisServer()) {
    throw new Error(
      'The tests need a real Redis: `redis-server` was not found on PATH. Install it (Debian: `apt-get install redis-server`) or set REDIS_URL to a Redis you can use for tests.',
    );
  }
  const server = await startRedisServer();
  project.provide('redisUrl', server.url);
  return () => server.stop();
}

/**
 * The Redis lease and the election over it, against a real redis-server: one holder at a time, renewal
 * by the holder only, takeover after the holder stops renewing, and a holder that loses the lease stops.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Election, RedisLease } from '../../src/engine/lease.ts';
import { silentLogger } from '../../src/log.ts';
import { connectRedis, deleteByPrefix, uniquePrefix } from '../helpers/redis.ts';

const redis = connectRedis();
const prefix = uniquePrefix();
afterAll(() => deleteByPrefix(redis, prefix));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await sleep(20);
  }
  return Date.now() - started;
}

describe('RedisLease', () => {
  it('is held by one holder at a time, renewed and released only by it', async () => {
    const key = `${prefix}lease:one`;
    const a = new RedisLease(redis, key, 1_000, 'a');
    const b = new RedisLease(redis, key, 1_000, 'b');
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    expect(await b.renew()).toBe(false);
    await b.release();
    expect(await a.current()).toBe('a');
    // The holder's renewal extends the lease to its full TTL again.
    await redis.pexpire(key, 100);
    expect(await a.renew()).toBe(true);
    expect(await redis.pttl(key)).toBeGreaterThan(500);
    // Acquiring again while holding it keeps it.
    expect(await a.acquire()).toBe(true);
    await a.release();
    expect(await a.current()).toBeNull();
    expect(await b.acquire()).toBe(true);
    expect(await a.renew()).toBe(false);
  });

  it('lapses when its holder stops renewing, and then another takes it', async () => {
    const key = `${prefix}lease:lapse`;
    const a = new RedisLease(redis, key, 300, 'a');
    const b = new RedisLease(redis, key, 300, 'b');
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    await sleep(400);
    expect(await b.acquire()).toBe(true);
    expect(await a.renew()).toBe(false);
  });
});

describe('Election', () => {
  it('runs the work in exactly one of two contenders, and moves it when the holder stops', async () => {
    const key = `${prefix}lease:election`;
    const working = new Set<string>();
    const contender = (name: string) =>
      new Election({
        lease: new RedisLease(redis, key, 600, name),
        log: silentLogger,
        checkEveryMs: 100,
        onElected: async () => {
          working.add(name);
        },
        onDeposed: async () => {
          working.delete(name);
        },
      });
    const a = contender('a');
    const b = contender('b');
    await a.start();
    await b.start();
    expect(a.elected).toBe(true);
    expect(b.elected).toBe(false);
    // Renewals keep it with a for longer than a TTL.
    await sleep(1_000);
    expect([...working]).toEqual(['a']);
    // A graceful stop frees the lease: b takes over at its next check.
    await a.stop();
    expect(working.has('a')).toBe(false);
    const tookMs = await until(() => b.elected, 1_000);
    expect(tookMs).toBeLessThan(400);
    expect([...working]).toEqual(['b']);
    await b.stop();
    expect(working.size).toBe(0);
    expect(await redis.get(key)).toBeNull();
  });

  it('stops the work of a holder that lost its lease to another', async () => {
    const key = `${prefix}lease:lost`;
    let stopped = 0;
    const a = new Election({
      lease: new RedisLease(redis, key, 600, 'a'),
      log: silentLogger,
      checkEveryMs: 100,
      onElected: async () => {},
      onDeposed: async () => {
        stopped += 1;
      },
    });
    await a.start();
    expect(a.elected).toBe(true);
    // Someone else holds it now (say a's renewals were stalled past the TTL and another took over).
    await redis.set(key, 'other', 'PX', 5_000);
    await until(() => !a.elected, 1_000);
    expect(stopped).toBe(1);
    expect(await redis.get(key)).toBe('other');
    await a.stop();
    expect(stopped).toBe(1);
  });

  it('gives the lease back when the elected work cannot start', async () => {
    const key = `${prefix}lease:failing`;
    const a = new Election({
      lease: new RedisLease(redis, key, 600, 'a'),
      log: silentLogger,
      onElected: async () => {
        throw new Error('cannot start');
      },
      onDeposed: async () => {},
    });
    await expect(a.start()).rejects.toThrow('cannot start');
    expect(a.elected).toBe(false);
    expect(await redis.get(key)).toBeNull();
    await a.stop();
  });
});

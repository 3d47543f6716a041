/**
 * The proof of identity a task holds on the server: fresh for 5 minutes, for its own task and purpose only;
 * stored as the bare time of the proof (an integer to Redis), with the `<taskId>:<at>` text of an earlier
 * version still read. On the in-memory store with a manual clock, and on a real Redis for the stored form.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProofStore } from '../../src/accounts/proofs.ts';
import { ManualClock } from '../../src/clock.ts';
import { REAUTH_MAX_AGE_MS } from '../../src/core/results.ts';
import { MemoryKv } from '../../src/kv/memory-kv.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.ts';

describe('ProofStore', () => {
  const clock = new ManualClock();
  const kv = new MemoryKv(clock);
  const proofs = new ProofStore(kv);

  it('holds a proof for its own task and purpose for 5 minutes, and nothing else', async () => {
    const at = clock.now();
    await proofs.record('acc_1', 'task_a', 'phone', at);
    expect(await kv.get(proofs.key('acc_1', 'task_a', 'phone'))).toBe(String(at));
    expect(await proofs.isFresh('acc_1', 'task_a', 'phone', at + REAUTH_MAX_AGE_MS)).toBe(true);
    expect(await proofs.isFresh('acc_1', 'task_a', 'phone', at + REAUTH_MAX_AGE_MS + 1)).toBe(false);
    expect(await proofs.isFresh('acc_1', 'task_b', 'phone', at)).toBe(false);
    expect(await proofs.isFresh('acc_1', 'task_a', 'password', at)).toBe(false);
    expect(await proofs.isFresh('acc_2', 'task_a', 'phone', at)).toBe(false);
  });

  it("reads an earlier version's `<taskId>:<at>`, for the task it names only", () => {
    const at = 1_796_409_189_855;
    expect(ProofStore.holds(`task_a:${at}`, 'task_a', at + 1000)).toBe(true);
    expect(ProofStore.holds(`task_a:${at}`, 'task_a', at + REAUTH_MAX_AGE_MS + 1)).toBe(false);
    expect(ProofStore.holds(`task_b:${at}`, 'task_a', at + 1000)).toBe(false);
  });

  it('refuses anything that is not a time', () => {
    const now = 1_796_409_189_855;
    for (const raw of [null, '', 'x', '12x', '1e3', '-5', ' 5', 'task_a:', 'task_a:x', '9'.repeat(20)]) {
      expect(ProofStore.holds(raw, 'task_a', now), String(raw)).toBe(false);
    }
  });
});

describe('ProofStore on Redis', () => {
  let server: RedisServer;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('is kept as an integer, which takes less memory than the text an earlier version wrote', async () => {
    const proofs = new ProofStore(new RedisKv(redis));
    const at = Date.now();
    await proofs.record('acc_1', 'task_3YcDx7idg4KV', 'phone', at);
    const key = proofs.key('acc_1', 'task_3YcDx7idg4KV', 'phone');
    expect(await redis.object('ENCODING', key)).toBe('int');
    expect(await proofs.isFresh('acc_1', 'task_3YcDx7idg4KV', 'phone', at)).toBe(true);
    const now = Number(await redis.memory('USAGE', key, 'SAMPLES', 0));
    await redis.set(key, `task_3YcDx7idg4KV:${at}`, 'PX', 60_000);
    const old = Number(await redis.memory('USAGE', key, 'SAMPLES', 0));
    expect(now).toBeLessThan(old);
    expect(await proofs.isFresh('acc_1', 'task_3YcDx7idg4KV', 'phone', at)).toBe(true);
  });
});

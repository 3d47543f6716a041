/**
 * `claimAndCount`: a claim (`setIfAbsent`) and, only when it wrote, one more on a counter, in one step; a
 * count over the limit gives the claim back. The code service takes a resend cool-down and the
 * destination's hourly count this way (one round trip on Redis instead of two). The same answers on Redis
 * (one script) and on the memory store (the fallback of single operations).
 */
import { describe, expect, it } from 'vitest';
import { claimAndCount, type Kv } from '../../src/kv/kv.ts';
import { MemoryKv } from '../../src/kv/memory-kv.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import { connectRedis, deleteByPrefix, uniquePrefix } from '../helpers/redis.ts';

const HOUR = 60 * 60_000;

describe('claiming a key and counting another in one step', () => {
  const redis = connectRedis();
  for (const [name, make] of [
    ['Redis', (): Kv => new RedisKv(redis)],
    ['memory', (): Kv => new MemoryKv()],
  ] as const) {
    it(`counts only what it claimed, and gives the claim back over the limit (${name})`, async () => {
      const kv = make();
      const prefix = uniquePrefix();
      const count = `${prefix}code-hour:+8613800138000`;
      const claim = (n: number) => `${prefix}{${count}}:cooldown:acc_${n}:phone-old`;
      const request = (claimKey: string, value: string, limit: number) =>
        ({ claimKey, value, claimTtlMs: 3_000, countKey: count, windowMs: HOUR, limit }) as const;

      expect(await claimAndCount(kv, request(claim(1), 'sending:a', 2))).toEqual({
        claimed: true,
        count: 1,
      });
      expect(await kv.get(claim(1))).toBe('sending:a');
      expect(await kv.ttl(count)).toBeGreaterThan(HOUR - 60_000);

      // Held: nothing is counted, and the claim's time left comes back.
      const held = await claimAndCount(kv, request(claim(1), 'sending:b', 2));
      expect(held.claimed).toBe(false);
      expect(held.claimed === false && held.heldMs).toBeGreaterThan(2_000);
      expect(held.claimed === false && held.heldMs).toBeLessThanOrEqual(3_000);
      expect(await kv.get(count)).toBe('1');
      expect(await kv.get(claim(1))).toBe('sending:a');

      // Another claim on the same counter: counted (2, at the limit) and kept.
      expect(await claimAndCount(kv, request(claim(2), 'sending:c', 2))).toEqual({
        claimed: true,
        count: 2,
      });
      expect(await kv.get(claim(2))).toBe('sending:c');

      // Over the limit: counted, and the claim is not left behind.
      expect(await claimAndCount(kv, request(claim(3), 'sending:d', 2))).toEqual({
        claimed: true,
        count: 3,
      });
      expect(await kv.get(claim(3))).toBeNull();
      expect(await kv.get(count)).toBe('3');

      // A claim without expiry reports no time left rather than a negative one.
      await kv.set(claim(4), 'forever');
      expect(await claimAndCount(kv, request(claim(4), 'sending:e', 2))).toEqual({
        claimed: false,
        heldMs: null,
      });
      if (name === 'Redis') await deleteByPrefix(redis, prefix);
    });
  }

  it('costs one command on Redis', async () => {
    const prefix = uniquePrefix();
    const kv = new RedisKv(redis);
    const count = `${prefix}code-hour:+8613900139000`;
    const claim = `${prefix}{${count}}:cooldown:acc_1:phone-new`;
    const request = (claimKey: string, value: string, limit: number) =>
      ({ claimKey, value, claimTtlMs: 3_000, countKey: count, windowMs: HOUR, limit }) as const;
    const sent: string[] = [];
    const send = redis.sendCommand.bind(redis);
    redis.sendCommand = ((...args: Parameters<typeof redis.sendCommand>) => {
      sent.push(String(args[0]?.name));
      return send(...args);
    }) as typeof redis.sendCommand;
    try {
      await kv.claimAndCount(request(claim, 'sending:a', 5));
      await kv.claimAndCount(request(claim, 'sending:b', 5));
    } finally {
      redis.sendCommand = send;
    }
    expect(sent).toHaveLength(2);
    expect(sent.every((name) => name === 'evalsha' || name === 'eval')).toBe(true);
    expect(await redis.get(count)).toBe('1');
    await deleteByPrefix(redis, prefix);
  });
});

/**
 * The benchmark's round-trip meter (bench/redis-meter.ts) on a real ioredis client with auto-pipelining:
 * what one chat sends side by side is one round trip of that chat; what it sends one after the other, or
 * what two chats send at once, is one each.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { RoundTripMeter, timesToLive } from '../../bench/redis-meter.ts';

/** Who waits, as lockstep's turn scope tells the benchmark's meter. */
const chats = new AsyncLocalStorage<object>();
const waiter = { run: <T>(name: string, work: () => T): T => chats.run(named(name), work) };
const names = new Map<string, object>();
const named = (name: string): object => {
  const known = names.get(name) ?? { name };
  names.set(name, known);
  return known;
};

describe('RoundTripMeter', () => {
  const clients: Redis[] = [];
  const attached = (byWaiter: boolean) => {
    const redis = new Redis(inject('redisUrl'), { enableAutoPipelining: true, lazyConnect: false });
    clients.push(redis);
    return {
      redis,
      meter: RoundTripMeter.attach(redis, byWaiter ? { waiter: () => chats.getStore() } : {}),
    };
  };
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.quit()));
  });

  it('counts the commands one chat sends side by side as one round trip, with a waiter', async () => {
    const { redis, meter } = attached(true);
    await redis.ping();
    meter.reset();
    await waiter.run('chat-1', () => Promise.all([redis.get('meter:a'), redis.get('meter:b')]));
    expect(meter).toMatchObject({ roundTrips: 1, commands: 2 });

    meter.reset();
    await waiter.run('chat-1', async () => {
      await redis.get('meter:a');
      await redis.get('meter:b');
    });
    expect(meter.roundTrips).toBe(2);

    meter.reset();
    await Promise.all([
      waiter.run('chat-1', () => redis.get('meter:a')),
      waiter.run('chat-2', () => redis.get('meter:b')),
    ]);
    expect(meter.roundTrips).toBe(2);

    // Outside any chat each command still counts.
    meter.reset();
    await Promise.all([redis.get('meter:a'), redis.get('meter:b')]);
    expect(meter.roundTrips).toBe(2);
  });

  it('counts every auto-pipelined command without a waiter, and a pipeline the code builds as one', async () => {
    const { redis, meter } = attached(false);
    await redis.ping();
    meter.reset();
    await waiter.run('chat-1', () => Promise.all([redis.get('meter:a'), redis.get('meter:b')]));
    expect(meter.roundTrips).toBe(2);
    meter.reset();
    await redis.pipeline().get('meter:a').get('meter:b').exec();
    expect(meter).toMatchObject({ roundTrips: 1, commands: 2 });
  });
});

describe('timesToLive', () => {
  it('reads each key’s remaining time to live: none (-1), gone (-2), or the milliseconds left', async () => {
    const redis = new Redis(inject('redisUrl'));
    try {
      const prefix = `ttl-test:${process.pid}:`;
      await redis.set(`${prefix}forever`, '1');
      await redis.set(`${prefix}minute`, '1', 'PX', 60_000);
      const ttls = await timesToLive(redis, [`${prefix}forever`, `${prefix}minute`, `${prefix}gone`]);
      expect(ttls.get(`${prefix}forever`)).toBe(-1);
      expect(ttls.get(`${prefix}gone`)).toBe(-2);
      expect(ttls.get(`${prefix}minute`)).toBeGreaterThan(50_000);
      expect(ttls.get(`${prefix}minute`)).toBeLessThanOrEqual(60_000);
      await redis.del(`${prefix}forever`, `${prefix}minute`);
    } finally {
      await redis.quit();
    }
  });
});

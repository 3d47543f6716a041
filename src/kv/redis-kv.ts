import type { Redis } from 'ioredis';
import type { Kv } from './kv.ts';

const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if current then return 0 end
else
  if current ~= ARGV[2] then return 0 end
end
if ARGV[3] == '0' then
  redis.call('DEL', KEYS[1])
elseif tonumber(ARGV[5]) > 0 then
  redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5])
else
  redis.call('SET', KEYS[1], ARGV[4])
end
return 1`;

const DELETE_IF_EQUALS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const INCREMENT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

const TAKE_DUE = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
if #due > 0 then redis.call('ZREM', KEYS[1], unpack(due)) end
return due`;

/**
 * `Kv` on Redis. It receives an existing ioredis client (the caller owns its lifecycle), and each
 * multi-step operation is one Lua script, so it is atomic across any number of processes.
 */
export class RedisKv implements Kv {
  constructor(private readonly redis: Redis) {}

  get(key: string): Promise<string | null> {
    return this.redis.get(key);
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    if (ttlMs === undefined) await this.redis.set(key, value);
    else await this.redis.set(key, value, 'PX', Math.max(1, Math.ceil(ttlMs)));
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(key, value, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
  }

  async compareAndSet(
    key: string,
    expected: string | null,
    value: string | null,
    ttlMs?: number,
  ): Promise<boolean> {
    const result = await this.redis.eval(
      COMPARE_AND_SET,
      1,
      key,
      expected === null ? '0' : '1',
      expected ?? '',
      value === null ? '0' : '1',
      value ?? '',
      String(ttlMs === undefined ? 0 : Math.max(1, Math.ceil(ttlMs))),
    );
    return result === 1;
  }

  async deleteIfEquals(key: string, value: string): Promise<boolean> {
    return (await this.redis.eval(DELETE_IF_EQUALS, 1, key, value)) === 1;
  }

  async del(key: string): Promise<void> {
    await this.redis.del(key);
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    return Number(await this.redis.eval(INCREMENT, 1, key, String(Math.max(1, Math.ceil(ttlMs)))));
  }

  async ttl(key: string): Promise<number | null> {
    const ms = await this.redis.pttl(key);
    return ms < 0 ? null : ms;
  }

  async append(key: string, value: string): Promise<void> {
    await this.redis.rpush(key, value);
  }

  tail(key: string, count: number): Promise<string[]> {
    return this.redis.lrange(key, -count, -1);
  }

  async schedule(key: string, member: string, dueAt: number): Promise<void> {
    await this.redis.zadd(key, dueAt, member);
  }

  async unschedule(key: string, member: string): Promise<void> {
    await this.redis.zrem(key, member);
  }

  async takeDue(key: string, now: number, limit: number): Promise<string[]> {
    return (await this.redis.eval(TAKE_DUE, 1, key, String(now), String(limit))) as string[];
  }
}

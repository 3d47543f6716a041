import type { Cluster, Redis } from 'ioredis';
import { CHECK_CODE_LUA, type CodeAttempt, type CodeCheck, codeCheckOf } from './code-check.ts';
import type { AttemptReservation, Kv, KvWriteEntry, ScheduleEntry, SetAllOptions } from './kv.ts';
import { deferWrite, deferredValue, flushDeferred, inTurnScope, settle } from './read-scope.ts';

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

const RESERVE_ATTEMPT = `
local limit = tonumber(ARGV[1])
local count = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if count >= limit then
  local left = redis.call('PTTL', KEYS[1])
  if left < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
    left = tonumber(ARGV[3])
  end
  return {0, left}
end
local n
if count <= 0 then
  n = 1
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
else
  n = redis.call('INCR', KEYS[1])
  if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
end
if n >= limit then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return {1, n}`;

const RELEASE_ATTEMPT = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if count <= 0 then return 0 end
if count == 1 then redis.call('DEL', KEYS[1]) else redis.call('DECR', KEYS[1]) end
return 1`;

/** The scripts, registered on the client once (`defineCommand`), so they travel as EVALSHA. */
const SCRIPTS = {
  lsKvCompareAndSet: COMPARE_AND_SET,
  lsKvDeleteIfEquals: DELETE_IF_EQUALS,
  lsKvIncrement: INCREMENT,
  lsKvTakeDue: TAKE_DUE,
  lsKvReserveAttempt: RESERVE_ATTEMPT,
  lsKvReleaseAttempt: RELEASE_ATTEMPT,
  lsKvCheckCode: CHECK_CODE_LUA,
} as const;

/** Every script takes one key, then its arguments. */
type KvCommands = {
  readonly [name in keyof typeof SCRIPTS]: (key: string, ...args: string[]) => Promise<unknown>;
};

const ms = (value: number): string => String(Math.max(1, Math.ceil(value)));

/**
 * A single Redis (or a Sentinel-managed one, which ioredis also gives as `Redis`) or a Redis Cluster. Every
 * script of the stores touches one key, or several keys of one hash tag (`ls:{tg:42}:...`), so each works
 * on a cluster unchanged.
 */
export type RedisClient = Redis | Cluster;

/** True for an ioredis `Cluster` (keys of different slots cannot share a pipeline there). */
export function isCluster(redis: RedisClient): redis is Cluster {
  return (redis as { isCluster?: boolean }).isCluster === true;
}

/**
 * `Kv` on Redis. It receives an existing ioredis client (the caller owns its lifecycle), and each
 * multi-step operation is one Lua script, so it is atomic across any number of processes.
 */
export class RedisKv implements Kv {
  private readonly scripts: KvCommands;

  constructor(private readonly redis: RedisClient) {
    const commands = redis as RedisClient & Partial<KvCommands>;
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      if (typeof commands[name as keyof KvCommands] !== 'function') {
        redis.defineCommand(name, { numberOfKeys: 1, lua });
      }
    }
    this.scripts = redis as RedisClient & KvCommands;
  }

  get(key: string): Promise<string | null> {
    // A write of this turn that waits for its commit is what the turn reads.
    const waiting = deferredValue(key);
    return waiting === undefined ? this.redis.get(key) : Promise.resolve(waiting);
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    await settle(key);
    if (ttlMs === undefined) await this.redis.set(key, value);
    else await this.redis.set(key, value, 'PX', ms(ttlMs));
  }

  async setAll(entries: readonly KvWriteEntry[], options: SetAllOptions = {}): Promise<void> {
    if (entries.length === 0) return;
    if (options.withCommit && inTurnScope()) {
      for (const { key, value, ttlMs } of entries) {
        const args = [key, value, 'PX', ms(ttlMs)];
        deferWrite({
          command: 'set',
          args,
          key,
          value,
          run: () => this.redis.set(key, value, 'PX', ms(ttlMs)),
        });
      }
      return;
    }
    for (const entry of entries) await settle(entry.key);
    // On a cluster one pipeline may only hold one node's keys: keys of different hash tags go side by side.
    const tag = (key: string) => /\{([^}]*)\}/.exec(key)?.[1] ?? key;
    if (isCluster(this.redis) && new Set(entries.map((entry) => tag(entry.key))).size > 1) {
      await Promise.all(entries.map((entry) => this.set(entry.key, entry.value, entry.ttlMs)));
      return;
    }
    const pipeline = this.redis.pipeline();
    for (const entry of entries) pipeline.set(entry.key, entry.value, 'PX', ms(entry.ttlMs));
    for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    await settle(key);
    return (await this.redis.set(key, value, 'PX', ms(ttlMs), 'NX')) === 'OK';
  }

  async compareAndSet(
    key: string,
    expected: string | null,
    value: string | null,
    ttlMs?: number,
  ): Promise<boolean> {
    await settle(key);
    const result = await this.scripts.lsKvCompareAndSet(
      key,
      expected === null ? '0' : '1',
      expected ?? '',
      value === null ? '0' : '1',
      value ?? '',
      ttlMs === undefined ? '0' : ms(ttlMs),
    );
    return result === 1;
  }

  async deleteIfEquals(key: string, value: string): Promise<boolean> {
    await settle(key);
    return (await this.scripts.lsKvDeleteIfEquals(key, value)) === 1;
  }

  async del(key: string): Promise<void> {
    await settle(key);
    await this.redis.del(key);
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    await settle(key);
    return Number(await this.scripts.lsKvIncrement(key, ms(ttlMs)));
  }

  async reserveAttempt(
    key: string,
    limit: number,
    windowMs: number,
    lockMs: number,
  ): Promise<AttemptReservation> {
    await settle(key);
    const [ok, n] = (await this.scripts.lsKvReserveAttempt(key, String(limit), ms(windowMs), ms(lockMs))) as [
      number,
      number,
    ];
    return ok === 1 ? { ok: true, count: Number(n) } : { ok: false, retryMs: Number(n) };
  }

  async releaseAttempt(key: string): Promise<void> {
    await settle(key);
    await this.scripts.lsKvReleaseAttempt(key);
  }

  async checkCode(key: string, attempt: CodeAttempt): Promise<CodeCheck> {
    await settle(key);
    return codeCheckOf(
      await this.scripts.lsKvCheckCode(
        key,
        attempt.hash,
        attempt.to,
        String(Math.floor(attempt.now)),
        String(attempt.maxWrong),
        ms(attempt.graceMs),
      ),
    );
  }

  async ttl(key: string): Promise<number | null> {
    await settle(key);
    const ms = await this.redis.pttl(key);
    return ms < 0 ? null : ms;
  }

  /** In a turn scope the append waits for the turn's commit and goes in its round trip (`deferWrite`). */
  async append(key: string, value: string): Promise<void> {
    const send = () => this.redis.rpush(key, value);
    if (!deferWrite({ command: 'rpush', args: [key, value], key, run: send })) await send();
  }

  async tail(key: string, count: number): Promise<string[]> {
    // An append of this turn is in the list before it is read.
    await flushDeferred();
    return this.redis.lrange(key, -count, -1);
  }

  async schedule(key: string, member: string, dueAt: number): Promise<void> {
    await this.redis.zadd(key, dueAt, member);
  }

  async scheduleAll(key: string, entries: readonly ScheduleEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.redis.zadd(key, ...entries.flatMap(([member, dueAt]) => [dueAt, member]));
  }

  async unschedule(key: string, member: string): Promise<void> {
    await this.redis.zrem(key, member);
  }

  async takeDue(key: string, now: number, limit: number): Promise<string[]> {
    return (await this.scripts.lsKvTakeDue(key, String(now), String(limit))) as string[];
  }
}

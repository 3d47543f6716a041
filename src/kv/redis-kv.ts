import type { Cluster, Redis } from 'ioredis';
import { CHECK_CODE_LUA, type CodeAttempt, type CodeCheck, codeCheckOf } from './code-check.ts';
import type {
  AttemptReservation,
  ClaimAndCount,
  ClaimAndCountRequest,
  Kv,
  KvWriteEntry,
  ReadAndClaim,
  ScheduleEntry,
  WriteOptions,
} from './kv.ts';
import {
  type DeferredWrite,
  deferWrite,
  deferredValue,
  flushDeferred,
  inTurnScope,
  settle,
} from './read-scope.ts';

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

/** KEYS: read, claim. ARGV: value, ttl. {read, 1} when claimed, else {read, 0, held}. */
const READ_AND_CLAIM = `
local read = redis.call('GET', KEYS[1])
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {read, 1} end
return {read, 0, redis.call('GET', KEYS[2])}`;

/**
 * KEYS: claim, count. ARGV: value, claim ttl, count window, limit. {0, claim pttl} when the claim is held,
 * else {1, count}; over the limit the claim is deleted again.
 */
const CLAIM_AND_COUNT = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {0, redis.call('PTTL', KEYS[1])} end
local n = redis.call('INCR', KEYS[2])
if n == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
if n > tonumber(ARGV[4]) then redis.call('DEL', KEYS[1]) end
return {1, n}`;

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
} & {
  /** The scripts with two keys (of one hash tag). */
  readonly lsKvReadAndClaim: (
    readKey: string,
    claimKey: string,
    value: string,
    ttl: string,
  ) => Promise<unknown>;
  /** Two keys of one slot as well. */
  readonly lsKvClaimAndCount: (
    claimKey: string,
    countKey: string,
    value: string,
    claimTtl: string,
    window: string,
    limit: string,
  ) => Promise<unknown>;
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
    if (typeof commands.lsKvReadAndClaim !== 'function') {
      redis.defineCommand('lsKvReadAndClaim', { numberOfKeys: 2, lua: READ_AND_CLAIM });
    }
    if (typeof commands.lsKvClaimAndCount !== 'function') {
      redis.defineCommand('lsKvClaimAndCount', { numberOfKeys: 2, lua: CLAIM_AND_COUNT });
    }
    this.scripts = redis as RedisClient & KvCommands;
  }

  get(key: string): Promise<string | null> {
    // A write of this turn that waits for its commit is what the turn reads.
    const waiting = deferredValue(key);
    if (waiting === undefined) return this.redis.get(key);
    if (waiting === 'unknown') return settle(key).then(() => this.redis.get(key));
    return Promise.resolve(waiting);
  }

  /**
   * With `withCommit` in a turn scope: keeps `write` for the turn's commit (true); otherwise false, and the
   * caller sends it now.
   */
  private later(write: Omit<DeferredWrite, 'sent'>, options: WriteOptions): boolean {
    if (!options.withCommit) return false;
    return deferWrite(options.sent ? { ...write, sent: options.sent } : write);
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    await settle(key);
    if (ttlMs === undefined) await this.redis.set(key, value);
    else await this.redis.set(key, value, 'PX', ms(ttlMs));
  }

  async setAll(entries: readonly KvWriteEntry[], options: WriteOptions = {}): Promise<void> {
    if (entries.length === 0) return;
    if (options.withCommit && inTurnScope()) {
      entries.forEach(({ key, value, ttlMs }, i) => {
        const write = {
          key,
          value,
          run: () => this.redis.set(key, value, 'PX', ms(ttlMs)),
        };
        // `sent` once, with the last of them.
        this.later(write, i === entries.length - 1 ? options : { withCommit: true });
      });
      return;
    }
    for (const entry of entries) await settle(entry.key);
    // On a cluster one pipeline may only hold one node's keys: keys of different hash tags go side by side.
    const tag = (key: string) => /\{([^}]*)\}/.exec(key)?.[1] ?? key;
    if (isCluster(this.redis) && new Set(entries.map((entry) => tag(entry.key))).size > 1) {
      await Promise.all(entries.map((entry) => this.set(entry.key, entry.value, entry.ttlMs)));
      options.sent?.();
      return;
    }
    const pipeline = this.redis.pipeline();
    for (const entry of entries) pipeline.set(entry.key, entry.value, 'PX', ms(entry.ttlMs));
    for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
    options.sent?.();
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    await settle(key);
    return (await this.redis.set(key, value, 'PX', ms(ttlMs), 'NX')) === 'OK';
  }

  async readAndClaim(readKey: string, claimKey: string, value: string, ttlMs: number): Promise<ReadAndClaim> {
    // A value this turn wrote and keeps for its commit is what the turn reads.
    const waiting = deferredValue(readKey);
    if (waiting !== undefined && waiting !== 'unknown') {
      const claimed = await this.setIfAbsent(claimKey, value, ttlMs);
      return { read: waiting, claimed, held: claimed ? null : await this.get(claimKey) };
    }
    await settle(readKey);
    await settle(claimKey);
    const [read, claimed, held] = (await this.scripts.lsKvReadAndClaim(
      readKey,
      claimKey,
      value,
      ms(ttlMs),
    )) as [string | null, number, (string | null)?];
    return { read: read ?? null, claimed: claimed === 1, held: held ?? null };
  }

  async claimAndCount(request: ClaimAndCountRequest): Promise<ClaimAndCount> {
    const { claimKey, value, claimTtlMs, countKey, windowMs, limit } = request;
    await settle(claimKey);
    await settle(countKey);
    const [claimed, n] = (await this.scripts.lsKvClaimAndCount(
      claimKey,
      countKey,
      value,
      ms(claimTtlMs),
      ms(windowMs),
      String(limit),
    )) as [number, number];
    if (claimed === 1) return { claimed: true, count: Number(n) };
    return { claimed: false, heldMs: Number(n) < 0 ? null : Number(n) };
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

  async deleteIfEquals(key: string, value: string, options: WriteOptions = {}): Promise<boolean> {
    const run = () => this.scripts.lsKvDeleteIfEquals(key, value);
    if (this.later({ key, run }, options)) return true;
    await settle(key);
    const deleted = (await run()) === 1;
    options.sent?.();
    return deleted;
  }

  async del(key: string, options: WriteOptions = {}): Promise<void> {
    const run = () => this.redis.del(key);
    if (this.later({ key, value: null, run }, options)) return;
    await settle(key);
    await run();
    options.sent?.();
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
        attempt.hexHash,
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
    if (!deferWrite({ key, run: send })) await send();
  }

  async tail(key: string, count: number): Promise<string[]> {
    // An append of this turn is in the list before it is read.
    await flushDeferred();
    return this.redis.lrange(key, -count, -1);
  }

  async schedule(key: string, member: string, dueAt: number): Promise<void> {
    await this.redis.zadd(key, dueAt, member);
  }

  async scheduleAll(
    key: string,
    entries: readonly ScheduleEntry[],
    options: WriteOptions = {},
  ): Promise<void> {
    if (entries.length === 0) return;
    const args = entries.flatMap(([member, dueAt]) => [String(dueAt), member]);
    const run = () => this.redis.zadd(key, ...args);
    if (this.later({ key, run }, options)) return;
    await run();
    options.sent?.();
  }

  async unschedule(key: string, member: string): Promise<void> {
    await this.redis.zrem(key, member);
  }

  async takeDue(key: string, now: number, limit: number): Promise<string[]> {
    return (await this.scripts.lsKvTakeDue(key, String(now), String(limit))) as string[];
  }
}

import { takeDeferred, wasSent } from '../kv/read-scope.ts';
import type { RedisClient } from '../kv/redis-kv.ts';
import { encodeIds, encodeSession } from './session-codec.ts';
import type { FrameCommit, FrameKeys, SessionFrameBackend } from './session-store.ts';

/**
 * KEYS: lock, session, secret, seen (earlier versions' keys of the secret-prompt mark and of the ids: both now
 * travel in the session key). ARGV: token, lock ttl. {0} when busy, else {1, session, secret, seen}.
 */
const BEGIN = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {0} end
return {1, redis.call('GET', KEYS[2]), redis.call('GET', KEYS[3]), redis.call('GET', KEYS[4])}`;

/**
 * KEYS: lock, session, secret (an earlier version's mark key), seen (the ids' own key). ARGV: token, session
 * ('' for none), session ttl, secret op (set|clear|keep), secret ttl, update ids ('-' keeps those the
 * session carries, with their time left), ids ttl, now (ms). Writes only while the lock is ours, then
 * releases it. The ids travel in the session's own key (`~s<ids>\n` before its text: see session-codec.ts),
 * so a redelivery is never re-applied and a chat costs one key; a session kept more than twice as long as
 * its ids must be (a chosen language, 400 days) keeps them on their own key instead, which expires on time.
 * The secret-prompt mark travels there too (`~k<until>\n` after the ids), and the key lives as long as it.
 * The rules are `storedWrite`'s (session-store.ts).
 */
const COMMIT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local body, ttl, ids, remember, now = ARGV[2], tonumber(ARGV[3]), ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8])
local current = redis.call('GET', KEYS[2])
if ids == '-' and current then
  local kept = string.match(current, '^~s([^\\n]*)\\n')
  if kept then
    ids = kept
    local left = redis.call('PTTL', KEYS[2])
    if left > 0 then remember = left else remember = ttl end
  end
end
local mark = nil
if ARGV[4] == 'set' then
  mark = now + math.max(1, tonumber(ARGV[5]))
elseif ARGV[4] == 'keep' then
  local kept = current and (string.match(current, '^~s[^\\n]*\\n~k(%d+)\\n') or string.match(current, '^~k(%d+)\\n'))
  if kept and tonumber(kept) > now then mark = tonumber(kept) end
  local legacy = redis.call('PTTL', KEYS[3])
  if legacy > 0 and (mark == nil or now + legacy > mark) then mark = now + legacy end
end
local head, left = '', 0
if mark then
  head = '~k' .. string.format('%d', mark) .. '\\n'
  left = mark - now
end
if ids == '-' then
  if body == '' and not mark then redis.call('DEL', KEYS[2])
  elseif body == '' then redis.call('SET', KEYS[2], head, 'PX', left)
  else redis.call('SET', KEYS[2], head .. body, 'PX', math.max(ttl, left)) end
elseif body == '' or ttl <= 2 * remember then
  local keep = remember
  if body ~= '' then keep = math.max(ttl, remember) end
  redis.call('SET', KEYS[2], '~s' .. ids .. '\\n' .. head .. body, 'PX', math.max(keep, left))
  redis.call('DEL', KEYS[4])
else
  redis.call('SET', KEYS[2], head .. body, 'PX', math.max(ttl, left))
  redis.call('SET', KEYS[4], ids, 'PX', remember)
end
redis.call('DEL', KEYS[3])
redis.call('DEL', KEYS[1])
return 1`;

/** KEYS: lock. ARGV: token, ttl. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

interface FrameCommands {
  lsFrameBegin(...args: string[]): Promise<unknown>;
  lsFrameCommit(...args: string[]): Promise<number>;
  lsFrameRenew(lock: string, token: string, ttl: string): Promise<number>;
  lsFrameRelease(lock: string, token: string): Promise<number>;
}

const ms = (value: number): string => String(Math.max(1, Math.ceil(value)));

/**
 * The turn frame on Redis: `begin` (lock + load) and `commit` (session with its dedupe ids and secret mark +
 * unlock, beside the expiry schedule and the turn's deferred writes) are one round trip each.
 * The commands of each half go out side by side, so on a single Redis the client's auto-pipelining puts
 * them, with other chats' commands, into one socket write (no pipeline object per turn), and on a cluster
 * each goes to its node at once. The scripts are registered once with `defineCommand` (EVALSHA).
 */
export class RedisSessionFrame implements SessionFrameBackend {
  private readonly redis: RedisClient & FrameCommands;

  constructor(redis: RedisClient) {
    const commands = redis as RedisClient & Partial<FrameCommands>;
    if (!commands.lsFrameBegin) {
      redis.defineCommand('lsFrameBegin', { numberOfKeys: 4, lua: BEGIN });
      redis.defineCommand('lsFrameCommit', { numberOfKeys: 4, lua: COMMIT });
      redis.defineCommand('lsFrameRenew', { numberOfKeys: 1, lua: RENEW });
      redis.defineCommand('lsFrameRelease', { numberOfKeys: 1, lua: RELEASE });
    }
    this.redis = redis as RedisClient & FrameCommands;
  }

  async begin(keys: FrameKeys, token: string, lockTtlMs: number, also?: readonly string[]) {
    const args = [keys.lock, keys.session, keys.secret, keys.seen, token, ms(lockTtlMs)];
    type Reply = [number, string | null, string | null, string | null];
    let reply: Reply;
    let extra: (string | null)[] | undefined;
    if (also === undefined || also.length === 0) {
      reply = (await this.redis.lsFrameBegin(...args)) as Reply;
    } else {
      // Other slots' keys cannot go into the script (a cluster would refuse them): they are read side by
      // side with it, so they ride the same round trip (one auto-pipelined write on a single Redis).
      const [begun, ...values] = await Promise.all([
        this.redis.lsFrameBegin(...args),
        ...also.map((key) => this.redis.get(key)),
      ]);
      reply = begun as Reply;
      extra = values as (string | null)[];
    }
    if (reply[0] !== 1) return null;
    return {
      raw: reply[1] ?? null,
      secret: reply[2] != null,
      seen: reply[3] ?? null,
      ...(also === undefined ? {} : { also: extra ?? [] }),
    };
  }

  async commit(
    keys: FrameKeys,
    token: string,
    commit: FrameCommit,
    member: string,
    now: number,
  ): Promise<boolean> {
    const args = [
      keys.lock,
      keys.session,
      keys.secret,
      keys.seen,
      token,
      commit.next === null ? '' : encodeSession(commit.next),
      ms(commit.ttlMs),
      commit.secret,
      ms(commit.secretTtlMs),
      commit.seen === null ? '-' : encodeIds(commit.seen),
      ms(commit.seenTtlMs),
      String(Math.floor(now)),
    ];
    // The turn's deferred writes (its security-log lines) travel in this round trip, ahead of the unlock.
    const later = takeDeferred();
    // The schedule is a few sorted sets shared by every chat (other cluster slots), so it rides in the same
    // round trip beside the script instead of inside it; the sweeper re-checks each entry. Everything is
    // sent side by side in this order (the deferred writes first, ahead of the unlock): on one connection
    // Redis runs it in that order, and auto-pipelining puts it into one socket write.
    const deferred = later.map((write) => write.run());
    const written = this.redis.lsFrameCommit(...args);
    const schedule =
      commit.expiry === 'keep'
        ? null
        : commit.expiry === 'cancel'
          ? this.redis.zrem(keys.expiry, member)
          : this.redis.zadd(keys.expiry, commit.expiry.dueAt, member);
    const [outcome, ...others] = await Promise.allSettled([written, schedule, ...deferred]);
    if (outcome.status === 'rejected') throw outcome.reason;
    // A security-log line that did not reach the store is a fault, not a silence (the session is saved).
    for (const other of others) if (other.status === 'rejected') throw other.reason;
    for (const write of later) wasSent(write);
    return outcome.value === 1;
  }

  async renew(keys: FrameKeys, token: string, lockTtlMs: number): Promise<boolean> {
    return (await this.redis.lsFrameRenew(keys.lock, token, ms(lockTtlMs))) === 1;
  }

  async release(keys: FrameKeys, token: string): Promise<boolean> {
    return (await this.redis.lsFrameRelease(keys.lock, token)) === 1;
  }
}

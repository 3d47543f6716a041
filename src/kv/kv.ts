import { type CodeAttempt, type CodeCheck, judgeCode } from './code-check.ts';

/** The answer of `Kv.reserveAttempt`. */
export type AttemptReservation =
  /** The attempt may go ahead: it is attempt number `count` of `limit` (so `limit - count` are left after it). */
  | { readonly ok: true; readonly count: number }
  /** The limit is used up: nothing was counted; the lock lifts in `retryMs`. */
  | { readonly ok: false; readonly retryMs: number };

/** One key to write: its value and time to live. */
export interface KvWriteEntry {
  readonly key: string;
  readonly value: string;
  readonly ttlMs: number;
}

/** How a write may go. */
export interface WriteOptions {
  /**
   * In a turn, the write may wait for the turn's commit and travel in its round trip (Redis); the turn
   * still reads what it wrote. For writes nobody else needs before this turn's commit (a code just sent,
   * a proof for a later step, a counter cleared, a notice queued).
   */
  readonly withCommit?: boolean;
  /** Called once the write has reached the store (at once when it did not wait for a commit). */
  readonly sent?: () => void;
}

/** How `setAll` may write. */
export type SetAllOptions = WriteOptions;

/** `Kv.setAll` where the store has it, else one `set` per key (all at once). */
export async function setAll(
  kv: Kv,
  entries: readonly KvWriteEntry[],
  options: SetAllOptions = {},
): Promise<void> {
  if (entries.length === 0) return;
  if (kv.setAll) return kv.setAll(entries, options);
  await Promise.all(entries.map((entry) => kv.set(entry.key, entry.value, entry.ttlMs)));
}

/** The answer of `Kv.readAndClaim`. */
export interface ReadAndClaim {
  /** The value of the key read. */
  readonly read: string | null;
  /** True when the claim was written (the claimed key did not exist). */
  readonly claimed: boolean;
  /** When not claimed: the claimed key's value as found. */
  readonly held: string | null;
}

/**
 * `Kv.readAndClaim` where the store has it (one round trip), else a read, a `setIfAbsent` and, when the
 * claim is held by somebody else, a read of it.
 */
export async function readAndClaim(
  kv: Kv,
  readKey: string,
  claimKey: string,
  value: string,
  ttlMs: number,
): Promise<ReadAndClaim> {
  if (kv.readAndClaim) return kv.readAndClaim(readKey, claimKey, value, ttlMs);
  const read = await kv.get(readKey);
  const claimed = await kv.setIfAbsent(claimKey, value, ttlMs);
  return { read, claimed, held: claimed ? null : await kv.get(claimKey) };
}

/** The answer of `Kv.claimAndCount`. */
export type ClaimAndCount =
  /** The claim is held by somebody else (nothing was counted); it lapses in `heldMs` (null: unknown). */
  | { readonly claimed: false; readonly heldMs: number | null }
  /**
   * The claim was written and the counter counted one: `count` is its new value. Over the limit, the
   * claim was given back in the same step (the counted attempt stays counted).
   */
  | { readonly claimed: true; readonly count: number };

/** What `Kv.claimAndCount` claims (`setIfAbsent`) and counts (`increment`, over `limit` the claim goes back). */
export interface ClaimAndCountRequest {
  readonly claimKey: string;
  readonly value: string;
  readonly claimTtlMs: number;
  readonly countKey: string;
  /** The counter's window, started when it is created. */
  readonly windowMs: number;
  readonly limit: number;
}

/**
 * `Kv.checkCode` where the store has it (one atomic step, one round trip on Redis), else the same rules
 * (`judgeCode`) over compare-and-set: only the writer whose read is still current decides, so a code cannot
 * be spent twice nor a try be lost.
 */
export async function checkCode(kv: Kv, key: string, attempt: CodeAttempt): Promise<CodeCheck> {
  if (kv.checkCode) return kv.checkCode(key, attempt);
  for (let tries = 0; tries < 10; tries += 1) {
    const raw = await kv.get(key);
    const { check, write } = judgeCode(raw, attempt);
    if (write === 'keep') return check;
    const next = write === null ? null : write.value;
    if (await kv.compareAndSet(key, raw, next, write === null ? undefined : write.ttlMs)) return check;
  }
  return { result: 'missing' };
}

/**
 * `Kv.claimAndCount` where the store has it (one round trip), else `setIfAbsent`, then (when claimed)
 * `increment`, and a `del` of the claim when the count went over `limit`; when not claimed, its `ttl`.
 */
export async function claimAndCount(kv: Kv, request: ClaimAndCountRequest): Promise<ClaimAndCount> {
  if (kv.claimAndCount) return kv.claimAndCount(request);
  const { claimKey, value, claimTtlMs, countKey, windowMs, limit } = request;
  if (!(await kv.setIfAbsent(claimKey, value, claimTtlMs)))
    return { claimed: false, heldMs: await kv.ttl(claimKey) };
  const count = await kv.increment(countKey, windowMs);
  if (count > limit) await kv.del(claimKey);
  return { claimed: true, count };
}

/** A schedule member and when it is due (ms). */
export type ScheduleEntry = readonly [member: string, dueAt: number];

/** `Kv.scheduleAll` where the store has it, else one `schedule` per member. */
export async function scheduleAll(
  kv: Kv,
  key: string,
  entries: readonly ScheduleEntry[],
  options: WriteOptions = {},
): Promise<void> {
  if (entries.length === 0) return;
  if (kv.scheduleAll) return kv.scheduleAll(key, entries, options);
  await Promise.all(entries.map(([member, dueAt]) => kv.schedule(key, member, dueAt)));
  options.sent?.();
}

/**
 * The storage port every store is written against: a handful of atomic key-value operations that Redis
 * provides natively (and a Lua script or two) and that an in-memory map can provide for the demo and tests.
 * Keys are complete (prefix included); values are strings (JSON where structured).
 */
export interface Kv {
  get(key: string): Promise<string | null>;
  /** Writes `value`; with `ttlMs` the key disappears after that long. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /**
   * Writes several keys, each with its time to live, in one round trip on Redis (a pipeline: not atomic
   * together, each write is). Optional: call `setAll()` from this module, which falls back to `set`.
   */
  setAll?(entries: readonly KvWriteEntry[], options?: SetAllOptions): Promise<void>;
  /** Writes only when the key does not exist (`SET NX PX`); true when it wrote. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /**
   * Reads `readKey` and claims `claimKey` (`setIfAbsent`) together, in one step; when the claim is held,
   * also its value. Both keys share a hash tag (one Redis Cluster slot). Optional: call `readAndClaim()`
   * from this module, which falls back to single operations.
   */
  readAndClaim?(readKey: string, claimKey: string, value: string, ttlMs: number): Promise<ReadAndClaim>;
  /**
   * Claims `claimKey` (`setIfAbsent`) and, only when that wrote, counts one on `countKey` (`increment`,
   * whose window starts when it is created); a count over `limit` gives the claim back. One step. Both keys
   * share a Redis Cluster slot. Optional: call `claimAndCount()` from this module, which falls back to
   * single operations.
   */
  claimAndCount?(request: ClaimAndCountRequest): Promise<ClaimAndCount>;
  /**
   * Atomically replaces the value only when it still equals `expected` (`null` = the key must not exist).
   * `value: null` deletes. True when it wrote. This is how concurrent writers avoid lost updates.
   */
  compareAndSet(key: string, expected: string | null, value: string | null, ttlMs?: number): Promise<boolean>;
  /**
   * Deletes only when the value equals `value` (lock release). True when it deleted; with `withCommit`
   * in a turn it resolves true at once and the delete happens with the commit (for a caller that does
   * not need the answer).
   */
  deleteIfEquals(key: string, value: string, options?: WriteOptions): Promise<boolean>;
  del(key: string, options?: WriteOptions): Promise<void>;
  /** Adds one and returns the new count; the expiry is set when the counter is created. */
  increment(key: string, ttlMs: number): Promise<number>;
  /**
   * Reserves one attempt against a limit BEFORE the attempt is checked, atomically, so that concurrent
   * attempts (any number of chats and processes) can never check more than `limit` in one window:
   * refused while the key holds `limit` or more (locked); otherwise counts one, starting a `windowMs` window
   * when the counter is created, and when the count reaches `limit` the key is locked for `lockMs` from now.
   * The caller clears the key (`del`) after a successful attempt, or gives back an attempt that turned out
   * not to count (`releaseAttempt`).
   *
   * Optional so that wrappers of a store keep compiling: use `reserveAttempt()` from `./attempts.ts`, which
   * falls back to a compare-and-set loop with the same meaning when a store does not provide it.
   */
  reserveAttempt?(key: string, limit: number, windowMs: number, lockMs: number): Promise<AttemptReservation>;
  /**
   * Gives back one reserved attempt (e.g. input that was not a guess at all): the count goes down by one,
   * never below zero; a lock set by that attempt lifts (the key keeps its expiry). A no-op on a missing key.
   */
  releaseAttempt?(key: string): Promise<void>;
  /**
   * Checks a one-time code stored at `key` and spends it or one of its tries, atomically and in one step
   * (see `./code-check.ts`). Optional: without it the code service does the same with get + compare-and-set.
   */
  checkCode?(key: string, attempt: CodeAttempt): Promise<CodeCheck>;
  /** Milliseconds until the key expires; null when it does not exist or never expires. */
  ttl(key: string): Promise<number | null>;
  /** Appends to a list (an append-only log). */
  append(key: string, value: string): Promise<void>;
  /** The last `count` entries of a list, oldest first. */
  tail(key: string, count: number): Promise<string[]>;
  /** Puts `member` into a schedule, due at `dueAt` ms (re-adding moves it). */
  schedule(key: string, member: string, dueAt: number): Promise<void>;
  /**
   * Puts several members into one schedule at once (one command on Redis). Optional, so that wrappers of
   * a store keep compiling: call `scheduleAll()` from this module, which falls back to `schedule`.
   */
  scheduleAll?(key: string, entries: readonly ScheduleEntry[], options?: WriteOptions): Promise<void>;
  unschedule(key: string, member: string): Promise<void>;
  /** Atomically takes up to `limit` members due at or before `now` out of the schedule. */
  takeDue(key: string, now: number, limit: number): Promise<string[]>;
}

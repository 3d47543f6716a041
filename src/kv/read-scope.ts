import { AsyncLocalStorage } from 'node:async_hooks';

/** A write that may wait for the turn's commit and travel in its round trip (see `deferWrite`). */
export interface DeferredWrite {
  /**
   * The key it writes. With `value` the turn's reads of the key are answered with it (null: deleted);
   * without, the outcome is not known here (a conditional delete, an append) and a read sends it first.
   */
  readonly key: string;
  readonly value?: string | null;
  /** Sends it: beside the commit's script when a commit takes it, else on its own. */
  run(): Promise<unknown>;
  /** Called once it has reached the store (after the commit's round trip, or after `run`). */
  readonly sent?: () => void;
}

/** `write.run()`, then its `sent`. */
export async function runDeferred(write: DeferredWrite): Promise<void> {
  await write.run();
  wasSent(write);
}

/** Calls `write.sent`, outside any turn scope (what it starts outlives the turn). */
export function wasSent(write: DeferredWrite): void {
  const { sent } = write;
  if (sent) scope.exit(sent);
}

interface Scope {
  /** What the turn has read, by key (the pending read, so two reads at once share one round trip). */
  readonly reads: Map<string, Promise<string | null>>;
  /** Writes waiting for the commit's round trip. */
  deferred: DeferredWrite[];
  /** The keys those writes touch. */
  readonly pending: Set<string>;
}

const scope = new AsyncLocalStorage<Scope>();

/**
 * Runs `work` (one turn: its frame, its step and its commit) in a turn scope:
 * - `readOnce` answers a key read before in the same scope from that read instead of asking the store
 *   again, so a step reads an account (and the chat's link) at most once however many services look at it.
 *   A value read in it is as fresh as a single read at the turn's start (the turn holds its chat's lock);
 *   every write through the same store replaces or forgets its key (`wrote`), so a compare-and-set that
 *   lost a race reads afresh. `seed` adds a value read elsewhere (the link read with the frame).
 * - `deferWrite` keeps a write nobody needs before the commit (a security-log line, a sent code and its
 *   cool-down, a proof, a commit's result, a cleared counter, a freed index entry, a queued notice:
 *   `RedisKv.append`, and `setAll`, `del`, `deleteIfEquals`, `scheduleAll` with `{ withCommit: true }`) for
 *   the commit, which sends it in its own round trip, before the session and the unlock; the turn still
 *   reads it back (`deferredValue`, `settle`); whatever no commit took is sent when `work` ends.
 *
 * @example await withTurnScope(async (seed) => transaction.run(chat, ...))
 */
export async function withTurnScope<T>(
  work: (seed: (key: string, value: string | null) => void) => Promise<T>,
): Promise<T> {
  const state: Scope = { reads: new Map(), deferred: [], pending: new Set() };
  const seed = (key: string, value: string | null) => {
    state.reads.set(key, Promise.resolve(value));
  };
  try {
    return await scope.run(state, () => work(seed));
  } finally {
    await sendDeferred(state);
  }
}

/** Sends what is still waiting, on its own (each write once). */
async function sendDeferred(state: Scope): Promise<void> {
  const waiting = state.deferred;
  state.deferred = [];
  state.pending.clear();
  if (waiting.length > 0) await Promise.all(waiting.map(runDeferred));
}

/** `read()` once per scope and key; outside a scope, every call reads. A failed read is not kept. */
export function readOnce(key: string, read: () => Promise<string | null>): Promise<string | null> {
  const state = scope.getStore();
  if (!state) return read();
  const known = state.reads.get(key);
  if (known) return known;
  const pending = read();
  state.reads.set(key, pending);
  pending.catch(() => {
    if (state.reads.get(key) === pending) state.reads.delete(key);
  });
  return pending;
}

/**
 * Tells the scope that `key` was written: with its new value (`null`: deleted) it is answered from the
 * scope from now on; without one (the outcome is unknown, e.g. a compare-and-set that lost) it is read
 * afresh next time.
 */
export function wrote(key: string, value?: string | null): void {
  const state = scope.getStore();
  if (!state) return;
  if (value === undefined) state.reads.delete(key);
  else state.reads.set(key, Promise.resolve(value));
}

/**
 * Keeps `write` for the turn's commit; false outside a turn scope (the caller then sends it now). The
 * store keeps the turn consistent: a read of a deferred SET's key is answered with its value
 * (`deferredValue`), and any other operation on a key with a deferred write sends the waiting writes first
 * (`settle`).
 */
export function deferWrite(write: DeferredWrite): boolean {
  const state = scope.getStore();
  if (!state) return false;
  state.deferred.push(write);
  state.pending.add(write.key);
  return true;
}

/**
 * The turn a call runs in, as an opaque identity (undefined outside a turn): what a measurement groups a
 * turn's commands by (the benchmark's round-trip meter).
 */
export function currentTurn(): object | undefined {
  return scope.getStore();
}

/** True inside a turn scope. */
export function inTurnScope(): boolean {
  return scope.getStore() !== undefined;
}

/**
 * What a read of `key` gets from the turn's deferred writes: the latest one's value (null: deleted);
 * 'unknown' when the latest one's outcome is not known here (send the writes first, `settle`);
 * undefined when the turn has none for it.
 */
export function deferredValue(key: string): string | null | 'unknown' | undefined {
  const state = scope.getStore();
  if (!state?.pending.has(key)) return undefined;
  for (let i = state.deferred.length - 1; i >= 0; i -= 1) {
    const write = state.deferred[i];
    if (write?.key === key) return write.value === undefined ? 'unknown' : write.value;
  }
  return undefined;
}

/** Sends the waiting writes first when one of them touches `key` (before another operation on it). */
export async function settle(key: string): Promise<void> {
  const state = scope.getStore();
  if (state?.pending.has(key)) await sendDeferred(state);
}

/** The writes waiting for this turn's commit, handed over to it (it sends them in its round trip). */
export function takeDeferred(): DeferredWrite[] {
  const state = scope.getStore();
  if (!state || state.deferred.length === 0) return [];
  const taken = state.deferred;
  state.deferred = [];
  state.pending.clear();
  return taken;
}

/** Sends the writes waiting in this scope now (before a read that must see them). */
export async function flushDeferred(): Promise<void> {
  const state = scope.getStore();
  if (state) await sendDeferred(state);
}

import { type Kv, readAndClaim, setAll } from '../kv/kv.ts';

/** How long a task's commit is remembered: well past any task's life. */
const REMEMBER_MS = 60 * 60_000;
/** A commit marked as running for longer than this is taken to have died with its process. */
const RUNNING_MS = 60_000;

export type InProgress = { readonly ok: false; readonly reason: 'inProgress' };

/**
 * What must hold before a change is applied, read in the same step as the claim: `key` is read, and
 * `refusal` of its value is the answer when it does not hold (null when it does).
 */
export interface LedgerGuard<R> {
  readonly key: string;
  refusal(value: string | null): R | null;
}

/**
 * Applies each task's change exactly once. The first call for a task id marks it running (SET NX), applies
 * the change and stores its result; a repeated call — a retried step, a redelivered message, a second
 * process — gets the stored result back instead of applying the change again, or `inProgress` while the
 * first one still runs. A result `{ ok: false, ... }` means nothing was applied and is not kept.
 *
 * @example
 * const result = await ledger.once(accountId, taskId, 'password', () => passwords.commit(accountId, hash));
 */
export class CommitLedger {
  constructor(
    private readonly kv: Kv,
    private readonly prefix = 'ls:',
  ) {}

  /** The key of task `taskId`'s commit of `kind` (its proof's purpose). */
  key(accountId: string, taskId: string, kind: string): string {
    return `${this.prefix}{acct:${accountId}}:commit:${kind}:${taskId}`;
  }

  async once<T, R = never>(
    accountId: string,
    taskId: string,
    kind: string,
    apply: () => Promise<T>,
    /** Checked first (a fresh proof): its key is read with the claim, in one round trip on Redis. */
    guard?: LedgerGuard<R>,
  ): Promise<T | R | InProgress> {
    const key = this.key(accountId, taskId, kind);
    let claimed: boolean;
    let held: string | null = null;
    if (guard) {
      const found = await readAndClaim(this.kv, guard.key, key, 'running', RUNNING_MS);
      const refusal = guard.refusal(found.read);
      if (refusal !== null) {
        if (found.claimed) await this.kv.del(key);
        return refusal;
      }
      claimed = found.claimed;
      held = found.held;
    } else {
      claimed = await this.kv.setIfAbsent(key, 'running', RUNNING_MS);
      if (!claimed) held = await this.kv.get(key);
    }
    if (!claimed) {
      if (held !== null && held !== 'running') return (JSON.parse(held) as { result: T }).result;
      return { ok: false, reason: 'inProgress' };
    }
    let result: T;
    try {
      result = await apply();
    } catch (error) {
      // Nothing was stored as applied: a retry may try again.
      await this.kv.del(key);
      throw error;
    }
    if (refused(result)) {
      // `{ ok: false }`: nothing was applied (a wrong code, a taken address): the task may try again.
      await this.kv.del(key);
      return result;
    }
    // In a turn the result travels with its commit, ahead of the unlock: a retry waits for the chat's lock.
    await setAll(this.kv, [{ key, value: JSON.stringify({ result }), ttlMs: REMEMBER_MS }], {
      withCommit: true,
    });
    return result;
  }
}

function refused(result: unknown): boolean {
  return typeof result === 'object' && result !== null && (result as { ok?: unknown }).ok === false;
}

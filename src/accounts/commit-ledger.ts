import { type Kv, setAll } from '../kv/kv.ts';

/** How long a task's commit is remembered: well past any task's life. */
const REMEMBER_MS = 60 * 60_000;
/** A commit marked as running for longer than this is taken to have died with its process. */
const RUNNING_MS = 60_000;

export type InProgress = { readonly ok: false; readonly reason: 'inProgress' };

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

  private key(accountId: string, taskId: string, kind: string): string {
    return `${this.prefix}{acct:${accountId}}:commit:${kind}:${taskId}`;
  }

  async once<T>(
    accountId: string,
    taskId: string,
    kind: string,
    apply: () => Promise<T>,
  ): Promise<T | InProgress> {
    const key = this.key(accountId, taskId, kind);
    if (!(await this.kv.setIfAbsent(key, 'running', RUNNING_MS))) {
      const stored = await this.kv.get(key);
      if (stored !== null && stored !== 'running') return (JSON.parse(stored) as { result: T }).result;
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

import type { TaskRun } from '../core/results.ts';
import type { Kv } from '../kv/kv.ts';
import type { CommitLedger } from './commit-ledger.ts';
import type { PendingPasswords, ProofStore } from './proofs.ts';

/**
 * Forgets what the server kept about one run of a task once it has ended: its proof of identity, the
 * record of its commit, and a new password waiting for its repeat. Each would expire on its own (within
 * 6 minutes, an hour, 15 minutes); forgetting them at once keeps a finished chat small and leaves nothing
 * of an abandoned task behind (a cancelled password change leaves no hash of the password it was given).
 * The keys share the account's hash tag, so on a cluster they are deleted together.
 *
 * @example await records.forget({ accountId, taskId, purpose: 'phone' })
 */
export class TaskRecordStore {
  constructor(
    private readonly kv: Kv,
    private readonly stores: {
      readonly proofs: ProofStore;
      readonly commits: CommitLedger;
      readonly pendingPasswords: PendingPasswords;
    },
  ) {}

  /** The keys a run of a task may have left (a key that is not there costs nothing to delete). */
  keys({ accountId, taskId, purpose }: TaskRun): string[] {
    const { proofs, commits, pendingPasswords } = this.stores;
    return [
      proofs.key(accountId, taskId, purpose),
      commits.key(accountId, taskId, purpose),
      pendingPasswords.key(accountId, taskId),
    ];
  }

  async forget(task: TaskRun): Promise<void> {
    await Promise.all(this.keys(task).map((key) => this.kv.del(key)));
  }
}

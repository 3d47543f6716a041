/**
 * What the server keeps about a task between its proof and its commit, on the Kv port:
 * - `ProofStore`: "this account proved it is them, for this task and purpose, at this time". Every commit
 *   checks it (`isFresh`): a proof older than 5 minutes or made in another task (cancelled, expired,
 *   replaced) does not count, and the flow asks for the proof again.
 * - `PendingPasswords`: the hash of a new password between "type it" and "type it once more", so the
 *   chat's session never holds it (it holds nothing but the task id).
 */
import { REAUTH_MAX_AGE_MS } from '../core/results.ts';
import { type Kv, setAll } from '../kv/kv.ts';

/** A recorded proof outlives its validity a little, so the age check (not the expiry) decides. */
const PROOF_TTL_MS = REAUTH_MAX_AGE_MS + 60_000;

export class ProofStore {
  constructor(
    private readonly kv: Kv,
    private readonly prefix = 'ls:',
  ) {}

  /**
   * The key of a task's proof for `purpose`; its value is the time of the proof (ms), which Redis keeps as
   * a bare integer (~50 B less than the text `<taskId>:<at>` an earlier version wrote, still read). One key
   * per task, so two tasks of one account (two chats) do not take each other's proof away.
   */
  key(accountId: string, taskId: string, purpose: string): string {
    return `${this.prefix}{acct:${accountId}}:proof:${purpose}:${taskId}`;
  }

  /** Records a proof made at `at` (ms) in task `taskId`; it replaces an earlier one of that task and purpose. */
  async record(accountId: string, taskId: string, purpose: string, at: number): Promise<void> {
    // In a turn it travels with the commit; this turn's own commit step still reads it (see `setAll`).
    await setAll(
      this.kv,
      [{ key: this.key(accountId, taskId, purpose), value: String(at), ttlMs: PROOF_TTL_MS }],
      { withCommit: true },
    );
  }

  /** True when this task holds a proof for `purpose` that is at most 5 minutes old at `now`. */
  async isFresh(accountId: string, taskId: string, purpose: string, now: number): Promise<boolean> {
    return ProofStore.holds(await this.kv.get(this.key(accountId, taskId, purpose)), taskId, now);
  }

  /** True when `raw` (a proof key's value, as read) is task `taskId`'s and at most 5 minutes old at `now`. */
  static holds(raw: string | null, taskId: string, now: number): boolean {
    if (raw === null) return false;
    const split = raw.lastIndexOf(':');
    // `<taskId>:<at>`, as an earlier version wrote it: the task named in it must be this one too.
    if (split >= 0 && raw.slice(0, split) !== taskId) return false;
    const text = raw.slice(split + 1);
    const at = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(at)) return false;
    return now - at <= REAUTH_MAX_AGE_MS;
  }
}

/** The new password waits for its repeat this long at most (the task's idle timeout, by default). */
export const PENDING_PASSWORD_TTL_MS = 15 * 60_000;

export class PendingPasswords {
  constructor(
    private readonly kv: Kv,
    private readonly prefix = 'ls:',
    private readonly ttlMs = PENDING_PASSWORD_TTL_MS,
  ) {}

  key(accountId: string, taskId: string): string {
    return `${this.prefix}{acct:${accountId}}:pw-pending:${taskId}`;
  }

  /** Keeps the argon2 hash of the new password typed in task `taskId` (replacing an earlier one). */
  async put(accountId: string, taskId: string, hash: string): Promise<void> {
    await this.kv.set(this.key(accountId, taskId), hash, this.ttlMs);
  }

  get(accountId: string, taskId: string): Promise<string | null> {
    return this.kv.get(this.key(accountId, taskId));
  }

  async drop(accountId: string, taskId: string): Promise<void> {
    await this.kv.del(this.key(accountId, taskId));
  }
}

import type { ChatRef } from '../core/conversation.ts';
import type { Frame, FrameCommit, SessionStore } from './session-store.ts';

export interface ChatTransactionOptions {
  readonly sessions: SessionStore;
  /** The lock's time to live; the holder renews it while it works, so a killed holder frees the chat this fast. */
  readonly lockTtlMs: number;
  /** How long to wait for a busy chat. */
  readonly lockWaitMs: number;
  /**
   * Runs after a commit was written (the lock released): what may only happen once the turn's outcome is
   * stored, such as forgetting the records of a task the commit ended. It must not throw.
   */
  readonly afterCommit?: (frame: Frame, commit: FrameCommit) => Promise<void>;
}

/** The lock was lost while the work ran (the holder stalled past the lock's TTL): the work is discarded. */
export class LockLost extends Error {
  override readonly name = 'LockLost';
}

/** The store could not be reached before the turn began: nothing was read, run or changed. */
export class StoreUnavailable extends Error {
  override readonly name = 'StoreUnavailable';
}

/**
 * The per-chat transaction of one turn: take the lock and read the session (one round trip on Redis),
 * keep the lock alive while the work runs, then write the outcome and release (one round trip).
 * The work decides what to write; nothing is written when it throws.
 *
 * @example
 * const result = await transaction.run(chat, async (frame) => ({ commit, value }));
 */
export class ChatTransaction {
  constructor(private readonly options: ChatTransactionOptions) {}

  /**
   * Runs `work` under the chat's lock. Returns null when the chat stayed busy. `work` returns the commit
   * (or null to write nothing) and a value passed through.
   */
  async run<T>(
    chat: ChatRef,
    work: (frame: Frame) => Promise<{ readonly commit: FrameCommit | null; readonly value: T }>,
    waitMs = this.options.lockWaitMs,
    /** More keys to read with the frame, in the same round trip (`Frame.also`). */
    also?: readonly string[],
  ): Promise<{ readonly value: T } | null> {
    const { sessions, lockTtlMs } = this.options;
    let frame: Awaited<ReturnType<SessionStore['begin']>>;
    try {
      frame = await sessions.begin(chat, lockTtlMs, waitMs, also);
    } catch (error) {
      throw new StoreUnavailable('the session store did not answer', { cause: error });
    }
    if (frame === null) return null;
    let lost = false;
    const renewal = setInterval(
      () => {
        sessions.renew(chat, frame.token, lockTtlMs).then(
          (ours) => {
            if (!ours) lost = true;
          },
          () => {
            // A failed renewal is retried at the next tick; the commit's token check is the real guard.
          },
        );
      },
      Math.max(50, Math.floor(lockTtlMs / 3)),
    );
    renewal.unref();
    let committed = false;
    try {
      const { commit, value } = await work(frame);
      clearInterval(renewal);
      if (commit === null) return { value };
      if (lost || !(await sessions.commit(chat, frame.token, commit))) {
        throw new LockLost('the chat lock was lost while the turn ran; its outcome was discarded');
      }
      committed = true;
      await this.options.afterCommit?.(frame, commit);
      return { value };
    } finally {
      clearInterval(renewal);
      if (!committed) await sessions.release(chat, frame.token).catch(() => false);
    }
  }
}

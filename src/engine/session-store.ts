import { randomUUID } from 'node:crypto';
import type { Kv } from '../kv/kv.ts';
import { type ChatRef, chatTag } from './input.ts';
import type { Reply } from './reply.ts';

/** The flow a chat is in, with its settled XState snapshot. */
export interface ActiveFlow {
  readonly id: string;
  readonly version: number;
  readonly snapshot: unknown;
  readonly startedAt: number;
  /** This run of the task (FlowInput.taskId); absent in sessions saved before task ids existed. */
  readonly taskId?: string;
}

/** The conversation state of one chat; JSON-serialisable, never holds a secret. */
export interface Session {
  readonly flow: ActiveFlow | null;
  /** The last question asked, so a stray message can be answered by asking again. */
  readonly prompt: Reply | null;
  readonly lastActiveAt: number;
}

/** A loaded session together with the exact stored text, used for the conditional save. */
export interface LoadedSession {
  readonly session: Session;
  readonly raw: string;
}

/**
 * Sessions, per-chat locks and the record of handled update ids, on any `Kv`.
 * Every key of one chat shares a hash tag (`ls:{tg:42}:session`) so it lives on one Redis Cluster slot.
 */
export class SessionStore {
  constructor(
    private readonly kv: Kv,
    private readonly prefix = 'ls:',
  ) {}

  private key(chat: ChatRef, what: string): string {
    return `${this.prefix}{${chatTag(chat)}}:${what}`;
  }

  /** The storage key of a chat's session (exposed for tests and operators). */
  sessionKey(chat: ChatRef): string {
    return this.key(chat, 'session');
  }

  async load(chat: ChatRef): Promise<LoadedSession | null> {
    const raw = await this.kv.get(this.key(chat, 'session'));
    if (raw === null) return null;
    return { session: JSON.parse(raw) as Session, raw };
  }

  /**
   * Saves `next` only if the stored session is still `previous` (null: none stored); `next: null` deletes.
   * False means somebody else wrote in between: the caller must not assume its write happened.
   */
  save(chat: ChatRef, previous: string | null, next: Session | null, ttlMs: number): Promise<boolean> {
    return this.kv.compareAndSet(
      this.key(chat, 'session'),
      previous,
      next === null ? null : JSON.stringify(next),
      ttlMs,
    );
  }

  /**
   * Takes the chat's lock (`SET NX PX` with a random token), retrying until `waitMs` has passed.
   * Returns the token to release it with, or null when the chat stayed busy.
   */
  async lock(chat: ChatRef, ttlMs: number, waitMs: number): Promise<string | null> {
    const token = randomUUID();
    const key = this.key(chat, 'lock');
    const deadline = Date.now() + waitMs;
    let pause = 5;
    for (;;) {
      if (await this.kv.setIfAbsent(key, token, ttlMs)) return token;
      if (Date.now() >= deadline) return null;
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 100);
    }
  }

  /** Releases the lock only if it is still ours (compare-and-delete). */
  unlock(chat: ChatRef, token: string): Promise<boolean> {
    return this.kv.deleteIfEquals(this.key(chat, 'lock'), token);
  }

  async wasSeen(chat: ChatRef, updateId: string): Promise<boolean> {
    return (await this.kv.get(this.key(chat, `seen:${updateId}`))) !== null;
  }

  async markSeen(chat: ChatRef, updateId: string, ttlMs: number): Promise<void> {
    await this.kv.set(this.key(chat, `seen:${updateId}`), '1', ttlMs);
  }

  /** Remembers when the chat's flow goes idle, so it can be expired and the user told. */
  scheduleExpiry(chat: ChatRef, dueAt: number): Promise<void> {
    return this.kv.schedule(`${this.prefix}expiry`, JSON.stringify(chat), dueAt);
  }

  cancelExpiry(chat: ChatRef): Promise<void> {
    return this.kv.unschedule(`${this.prefix}expiry`, JSON.stringify(chat));
  }

  async takeExpired(now: number, limit: number): Promise<ChatRef[]> {
    const members = await this.kv.takeDue(`${this.prefix}expiry`, now, limit);
    return members.map((member) => JSON.parse(member) as ChatRef);
  }
}

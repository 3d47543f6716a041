import { randomUUID } from 'node:crypto';
import { type Clock, systemClock } from '../clock.ts';
import { type ChatRef, chatOfTag, chatTag } from '../core/conversation.ts';
import type { TranscriptEntry } from '../core/flow.ts';
import type { Reply } from '../core/reply.ts';
import type { Kv } from '../kv/kv.ts';
import {
  decodeIds,
  decodeStored,
  encodeIds,
  encodeSession,
  joinStored,
  splitStored,
} from './session-codec.ts';

/** The flow a chat is in, with its settled XState snapshot. */
export interface ActiveFlow {
  readonly id: string;
  readonly version: number;
  readonly snapshot: unknown;
  readonly startedAt: number;
  /** This run of the task (FlowInput.taskId); absent in sessions saved before task ids existed. */
  readonly taskId?: string;
  /** The flow to start again (with args `resume`) when this one completes. */
  readonly returnTo?: string;
  /** The task that started this one made a change first (`FlowOutput.changed`): it counts as committed. */
  readonly afterChange?: boolean;
  /**
   * The account the task was started for (FlowInput.accountId), when the chat was linked: whose proof and
   * commit records to forget when the task ends. Absent in sessions saved before it was kept.
   */
  readonly accountId?: string;
}

/** One transcript line as stored: when, from the user or the bot, what. */
export type StoredLine = readonly [number, 'u' | 'b', string];

export const storeLine = (line: TranscriptEntry): StoredLine => [
  line.at,
  line.from === 'user' ? 'u' : 'b',
  line.text,
];
export const readLine = ([at, from, text]: StoredLine): TranscriptEntry => ({
  at,
  from: from === 'u' ? 'user' : 'bot',
  text,
});

/** The conversation state of one chat; JSON-serialisable, never holds a secret. */
export interface Session {
  readonly flow: ActiveFlow | null;
  /** The last question asked, so a stray message can be answered by asking again. */
  readonly prompt: Reply | null;
  readonly lastActiveAt: number;
  /** Notices that could not be delivered yet (an expiry notice while the platform was down). */
  readonly pending?: readonly Reply[];
  /** How many times sending `pending` failed. */
  readonly pendingTries?: number;
  /** A person owns this conversation (an open escalation): the bot runs no task here until it is resolved. */
  readonly owner?: { readonly escalationId: string; readonly since: number };
  /**
   * The running task's conversation so far, secrets redacted at capture (for an escalation), compact:
   * `[at, 'u' | 'b', text]`.
   */
  readonly transcript?: readonly StoredLine[];
  /** The language this chat identity chose with /language (kept while the session is, long after a task). */
  readonly locale?: string;
}

/** A loaded session together with the exact stored text, used for the conditional save. */
export interface LoadedSession {
  readonly session: Session;
  readonly raw: string;
}

/** What taking a chat's frame found. */
export interface Frame {
  readonly token: string;
  readonly loaded: LoadedSession | null;
  /**
   * The chat was asked for a secret recently, whatever happened since (the mark travels in the session key,
   * `session-codec.ts`; earlier versions kept it on a short-lived key of its own, still read).
   */
  readonly secretAsked: boolean;
  /** The last handled update ids, newest last: redeliveries are recognised without a key per update. */
  readonly seen: readonly string[];
  /**
   * The values of the other keys the turn asked to read with its frame (`begin(..., also)`: the account
   * link of the sender, and the account it was linked to last time), in the same round trip, in the order
   * asked; undefined when none were asked for.
   */
  readonly also?: readonly (string | null)[];
}

/** What a frame's commit writes, atomically, before it releases the lock. */
export interface FrameCommit {
  /** The next session; null deletes it. */
  readonly next: Session | null;
  readonly ttlMs: number;
  /** The secret-prompt mark: set (for `secretTtlMs` from the commit's time), clear, or leave as it is. */
  readonly secret: 'set' | 'clear' | 'keep';
  readonly secretTtlMs: number;
  /** The idle-expiry schedule: due at a time, cancelled, or untouched. */
  readonly expiry: { readonly dueAt: number } | 'cancel' | 'keep';
  /**
   * The handled update ids to remember, for at least `seenTtlMs` (they travel in the session's own key);
   * null keeps the ones it carries.
   */
  readonly seen: readonly string[] | null;
  readonly seenTtlMs: number;
}

/**
 * The storage operations of one turn's frame. Redis does each in one round trip (`RedisSessionFrame`);
 * `KvSessionFrame` composes them from `Kv` operations for the in-memory store.
 */
export interface SessionFrameBackend {
  /**
   * SET lock NX PX + read the session key (with its ids and secret mark) and an earlier version's mark key
   * (`secret`); null when the lock is held by somebody else.
   */
  begin(
    keys: FrameKeys,
    token: string,
    lockTtlMs: number,
    /** Other keys to read in the same round trip (their values come back as `also`, in order). */
    also?: readonly string[],
  ): Promise<{
    raw: string | null;
    secret: boolean;
    seen: string | null;
    also?: readonly (string | null)[];
  } | null>;
  /**
   * If the lock is still ours: write the session with its ids and mark (`storedWrite`'s rules, at `now`),
   * delete an earlier version's mark key, schedule the expiry, release.
   */
  commit(keys: FrameKeys, token: string, commit: FrameCommit, member: string, now: number): Promise<boolean>;
  /** Extends the lock while its holder works; false when it is no longer ours. */
  renew(keys: FrameKeys, token: string, lockTtlMs: number): Promise<boolean>;
  /** Releases the lock without writing (compare-and-delete). */
  release(keys: FrameKeys, token: string): Promise<boolean>;
}

export interface FrameKeys {
  readonly lock: string;
  readonly session: string;
  /** An earlier version's key of the secret-prompt mark: read, taken over into the session key, deleted. */
  readonly secret: string;
  /**
   * The update ids' own key: where an earlier version kept them, and where a session kept far longer than
   * they must be keeps them (read for them, deleted when they move into the session key).
   */
  readonly seen: string;
  readonly expiry: string;
}

/** The frame composed from single `Kv` operations: correct in one process (the in-memory store). */
export class KvSessionFrame implements SessionFrameBackend {
  constructor(private readonly kv: Kv) {}

  async begin(keys: FrameKeys, token: string, lockTtlMs: number, also?: readonly string[]) {
    if (!(await this.kv.setIfAbsent(keys.lock, token, lockTtlMs))) return null;
    const [raw, secret, seen, extra] = await Promise.all([
      this.kv.get(keys.session),
      this.kv.get(keys.secret),
      this.kv.get(keys.seen),
      also === undefined ? undefined : Promise.all(also.map((key) => this.kv.get(key))),
    ]);
    return { raw, secret: secret !== null, seen, ...(extra === undefined ? {} : { also: extra }) };
  }

  async commit(
    keys: FrameKeys,
    token: string,
    commit: FrameCommit,
    member: string,
    now: number,
  ): Promise<boolean> {
    if ((await this.kv.get(keys.lock)) !== token) return false;
    const body = commit.next === null ? '' : encodeSession(commit.next);
    const written = storedWrite(
      await this.kv.get(keys.session),
      body,
      commit,
      await this.kv.ttl(keys.session),
      now,
      (await this.kv.get(keys.secret)) === null ? null : await this.kv.ttl(keys.secret),
    );
    if (written.session === null) await this.kv.del(keys.session);
    else await this.kv.set(keys.session, written.session.value, written.session.ttlMs);
    await this.kv.del(keys.secret);
    if (written.seen === 'delete') await this.kv.del(keys.seen);
    else if (written.seen !== 'keep') await this.kv.set(keys.seen, written.seen.value, written.seen.ttlMs);
    if (commit.expiry === 'cancel') await this.kv.unschedule(keys.expiry, member);
    else if (commit.expiry !== 'keep') await this.kv.schedule(keys.expiry, member, commit.expiry.dueAt);
    await this.kv.deleteIfEquals(keys.lock, token);
    return true;
  }

  async renew(keys: FrameKeys, token: string, lockTtlMs: number): Promise<boolean> {
    if ((await this.kv.get(keys.lock)) !== token) return false;
    await this.kv.set(keys.lock, token, lockTtlMs);
    return true;
  }

  release(keys: FrameKeys, token: string): Promise<boolean> {
    return this.kv.deleteIfEquals(keys.lock, token);
  }
}

/** What a frame's commit writes: the session key (null: delete it) and the ids' own key. */
export interface StoredWrites {
  readonly session: { readonly value: string; readonly ttlMs: number } | null;
  readonly seen: { readonly value: string; readonly ttlMs: number } | 'delete' | 'keep';
}

/**
 * What a frame's commit writes, given what the session key holds now (`current`, with `currentTtlMs` left)
 * — the same rules as the Redis frame's script. The update ids to remember (`commit.seen`, or the ones the
 * session carries, with their time left, when the commit names none) travel in the session's text, which
 * then lives at least as long as they must be remembered; ids alone are kept without a session. A session
 * kept more than twice as long as its ids must be (a chosen language: 400 days) keeps them on their own key
 * instead, which expires on time. The secret-prompt mark travels in the session's text too (until `now` +
 * `secretTtlMs` when set; kept while it lasts; an earlier version's mark key with `legacyMarkMs` left is
 * taken over), and the key lives at least as long as the mark.
 */
export function storedWrite(
  current: string | null,
  body: string,
  commit: FrameCommit,
  currentTtlMs: number | null,
  now: number,
  legacyMarkMs: number | null = null,
): StoredWrites {
  const parts = current === null ? null : splitStored(current);
  const mark = secretMarkAfter(commit, parts?.secretUntil ?? null, now, legacyMarkMs);
  const markLeft = mark === null ? 0 : mark - now;
  const ids = commit.seen ?? parts?.seen ?? null;
  if (ids === null) {
    if (body === '' && mark === null) return { session: null, seen: 'keep' };
    return {
      session: {
        value: joinStored(null, body, mark),
        ttlMs: body === '' ? markLeft : Math.max(commit.ttlMs, markLeft),
      },
      seen: 'keep',
    };
  }
  const remember =
    commit.seen !== null
      ? commit.seenTtlMs
      : currentTtlMs !== null && currentTtlMs > 0
        ? currentTtlMs
        : commit.ttlMs;
  if (body === '' || commit.ttlMs <= 2 * remember) {
    return {
      session: {
        value: joinStored(ids, body, mark),
        ttlMs: Math.max(body === '' ? remember : Math.max(commit.ttlMs, remember), markLeft),
      },
      seen: 'delete',
    };
  }
  return {
    session: { value: joinStored(null, body, mark), ttlMs: Math.max(commit.ttlMs, markLeft) },
    seen: { value: encodeIds(ids), ttlMs: remember },
  };
}

/** Until when the chat is marked as asked for a secret after a commit (null: not marked). */
function secretMarkAfter(
  commit: FrameCommit,
  kept: number | null,
  now: number,
  legacyMarkMs: number | null,
): number | null {
  if (commit.secret === 'set') return now + Math.max(1, Math.ceil(commit.secretTtlMs));
  if (commit.secret === 'clear') return null;
  const candidates = [kept, legacyMarkMs !== null && legacyMarkMs > 0 ? now + legacyMarkMs : null].filter(
    (until): until is number => until !== null && until > now,
  );
  return candidates.length === 0 ? null : Math.max(...candidates);
}

/**
 * The idle-expiry schedule is spread over this many sorted sets (`ls:expiry:0` ... `ls:expiry:15`), a chat
 * always in the same one, so no single key takes every chat's writes (on a Redis Cluster the shards land on
 * different masters). The sweeper visits each.
 */
export const EXPIRY_SHARDS = 16;

/** The shard of a schedule member: FNV-1a of its text, so every process agrees without coordination. */
export function expiryShard(member: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < member.length; i += 1) {
    hash ^= member.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % EXPIRY_SHARDS;
}

/**
 * A chat as a member of the idle-expiry schedule: its hash tag (`tg:42`), about 30 B less per scheduled
 * chat than the JSON of earlier versions; JSON still where the tag could not be read back (an id with a
 * `:` in it).
 */
export function expiryMember(chat: ChatRef): string {
  const tag = chatTag(chat);
  const back = chatOfTag(tag);
  return back !== null && back.chatId === chat.chatId && back.userId === chat.userId
    ? tag
    : JSON.stringify(chat);
}

/** The chat of a schedule member: either form, and the JSON of earlier versions; null when neither. */
export function chatOfMember(member: string): ChatRef | null {
  if (!member.startsWith('{')) return chatOfTag(member);
  try {
    const chat = JSON.parse(member) as Partial<ChatRef> | null;
    return chat !== null && typeof chat.channel === 'string' && typeof chat.chatId === 'string'
      ? (chat as ChatRef)
      : null;
  } catch {
    return null;
  }
}

/** How many handled update ids a session remembers. */
const SEEN_KEPT = 16;

/** The update ids to remember after handling `updateId` (null: nothing to add). */
export function withSeen(seen: readonly string[], updateId: string | undefined): string[] | null {
  if (updateId === undefined) return null;
  return [...seen.filter((id) => id !== updateId), updateId].slice(-SEEN_KEPT);
}

/**
 * Sessions, per-chat locks, the secret-prompt mark and the idle-expiry schedule, on any `Kv` (and on Redis
 * through a frame backend that does each half of a turn in one round trip).
 * Every key of one chat shares a hash tag (`ls:{tg:42}:session`) so it lives on one Redis Cluster slot.
 */
export class SessionStore {
  private readonly frame: SessionFrameBackend;
  /** Where the sweeper starts its next visit of the shards (turns, so no shard waits behind the others). */
  private nextShard = 0;

  constructor(
    private readonly kv: Kv,
    private readonly prefix = 'ls:',
    frame?: SessionFrameBackend,
    /** The time of the secret-prompt mark: the engine's clock (the one the store's expiries follow). */
    private readonly clock: Clock = systemClock,
  ) {
    this.frame = frame ?? new KvSessionFrame(kv);
  }

  private key(chat: ChatRef, what: string): string {
    return `${this.prefix}{${chatTag(chat)}}:${what}`;
  }

  private frameKeys(chat: ChatRef): FrameKeys {
    return {
      lock: this.key(chat, 'lock'),
      session: this.key(chat, 'session'),
      secret: this.key(chat, 'secret'),
      seen: this.key(chat, 'seen'),
      expiry: this.expiryKey(expiryMember(chat)),
    };
  }

  /** The schedule shard that holds `member` (`expiryMember`). */
  expiryKey(member: string): string {
    return `${this.prefix}expiry:${expiryShard(member)}`;
  }

  /** Every schedule shard, and the single schedule of earlier versions (still drained after an upgrade). */
  expiryKeys(): string[] {
    return [
      ...Array.from({ length: EXPIRY_SHARDS }, (_, shard) => `${this.prefix}expiry:${shard}`),
      `${this.prefix}expiry`,
    ];
  }

  /** The storage key of a chat's session (exposed for tests and operators). */
  sessionKey(chat: ChatRef): string {
    return this.key(chat, 'session');
  }

  /**
   * Takes the chat's lock and reads its session and secret mark (one round trip on Redis), retrying
   * until `waitMs` has passed. Null when the chat stayed busy. `also`: more keys to read in that round
   * trip (the sender's account link, the account it was linked to), returned as `Frame.also`.
   */
  async begin(
    chat: ChatRef,
    lockTtlMs: number,
    waitMs: number,
    also?: readonly string[],
  ): Promise<Frame | null> {
    const token = randomUUID();
    const keys = this.frameKeys(chat);
    const deadline = Date.now() + waitMs;
    let pause = 5;
    for (;;) {
      const got = await this.frame.begin(keys, token, lockTtlMs, also);
      if (got !== null) {
        // The ids the session carries; a session stored by an earlier version has them on their own key.
        const stored = got.raw === null ? null : decodeStored<Session>(got.raw);
        const loaded = stored?.session ? { session: stored.session, raw: got.raw as string } : null;
        const seen = stored?.seen ?? (got.seen ? decodeIds(got.seen) : []);
        const marked = stored?.secretUntil ?? null;
        return {
          token,
          loaded,
          secretAsked: got.secret || (marked !== null && marked > this.clock.now()),
          seen,
          ...(got.also === undefined ? {} : { also: got.also }),
        };
      }
      if (Date.now() >= deadline) return null;
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 100);
    }
  }

  /** Writes the turn's outcome and releases the lock (one round trip on Redis); false when the lock was lost. */
  commit(chat: ChatRef, token: string, commit: FrameCommit): Promise<boolean> {
    return this.frame.commit(this.frameKeys(chat), token, commit, expiryMember(chat), this.clock.now());
  }

  renew(chat: ChatRef, token: string, lockTtlMs: number): Promise<boolean> {
    return this.frame.renew(this.frameKeys(chat), token, lockTtlMs);
  }

  /** Releases a frame's lock without writing. */
  release(chat: ChatRef, token: string): Promise<boolean> {
    return this.frame.release(this.frameKeys(chat), token);
  }

  async load(chat: ChatRef): Promise<LoadedSession | null> {
    const raw = await this.kv.get(this.key(chat, 'session'));
    if (raw === null) return null;
    const { session } = decodeStored<Session>(raw);
    return session === null ? null : { session, raw };
  }

  /**
   * Saves `next` only if the stored session is still `previous` (null: none stored); `next: null` deletes.
   * False means somebody else wrote in between: the caller must not assume its write happened.
   */
  save(chat: ChatRef, previous: string | null, next: Session | null, ttlMs: number): Promise<boolean> {
    // The update ids and the secret-prompt mark the stored text carries stay with it.
    const parts = previous === null ? null : splitStored(previous);
    const seen = parts?.seen ?? null;
    const mark = parts?.secretUntil ?? null;
    const body = next === null ? '' : encodeSession(next);
    return this.kv.compareAndSet(
      this.key(chat, 'session'),
      previous,
      seen === null && mark === null && body === '' ? null : joinStored(seen, body, mark),
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

  /** Remembers when the chat's flow goes idle, so it can be expired and the user told. */
  scheduleExpiry(chat: ChatRef, dueAt: number): Promise<void> {
    const member = expiryMember(chat);
    return this.kv.schedule(this.expiryKey(member), member, dueAt);
  }

  async cancelExpiry(chat: ChatRef): Promise<void> {
    const member = expiryMember(chat);
    await this.kv.unschedule(this.expiryKey(member), member);
  }

  /**
   * Takes up to `limit` chats due at `now` from the schedule, visiting the shards in turn (each visit one
   * atomic take, so two sweepers never take the same chat), starting where the previous call stopped.
   */
  async takeExpired(now: number, limit: number): Promise<ChatRef[]> {
    const keys = this.expiryKeys();
    const start = this.nextShard;
    const taken: string[] = [];
    for (let i = 0; i < keys.length && taken.length < limit; i += 1) {
      const index = (start + i) % keys.length;
      taken.push(...(await this.kv.takeDue(keys[index] as string, now, limit - taken.length)));
      this.nextShard = (index + 1) % keys.length;
    }
    return taken.flatMap((member) => {
      const chat = chatOfMember(member);
      return chat === null ? [] : [chat];
    });
  }
}

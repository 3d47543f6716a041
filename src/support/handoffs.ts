/**
 * Handoffs: a support agent hands a user *into* a guided task. The agent makes a handoff for an account
 * and a task (`POST /api/handoffs`) and gives the user its code (a Telegram link
 * `t.me/<bot>?start=<code>`, the Discord command `/recover code:<code>`, or `/start <code>`). The chat
 * that redeems the code runs the handoff flow (`flows/handoff.ts`): the user still proves a channel of the
 * account, then the task starts; the agent sees only statuses, never a secret.
 *
 * The code: `ho-` + 32 characters of URL-safe base64 (192 random bits), within Telegram's `start` payload
 * rule (`[A-Za-z0-9_-]{1,64}`). Only its SHA-256 is stored. It works once, expires (30 minutes by default),
 * is bound to one account and one task, and each chat has a small budget of attempts per hour, so codes
 * cannot be guessed from a chat.
 *
 * Statuses: `pending` (made) -> `opened` (redeemed in a chat) -> `completed` (the task ended with its
 * change) | `abandoned` (the task ended without it: cancelled, expired, failed, handed to a person); and
 * `pending` -> `expired`. Every change is on the handoff's timeline, in the audit log and on the webhook.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { SecurityEventType } from '../accounts/account.ts';
import type { Clock } from '../clock.ts';
import { type ChatRef, chatTag } from '../core/conversation.ts';
import { releaseAttempt, reserveAttempt } from '../kv/attempts.ts';
import type { Kv } from '../kv/kv.ts';
import type { AuditActor, AuditLog } from './audit.ts';
import type { SupportWebhook } from './webhook.ts';

export const HANDOFF_FLOW_ID = 'handoff';
/** Every handoff code starts with this (the engine's deep-link prefix). */
export const HANDOFF_CODE_PREFIX = 'ho-';
export const HANDOFF_CODE = /^ho-[A-Za-z0-9_-]{32}$/;
/** The args the engine starts the handoff flow with when the handed-off task completes. */
export const HANDOFF_RESUME = 'resume';

export const DEFAULT_EXPIRY_MINUTES = 30;
export const MAX_EXPIRY_MINUTES = 24 * 60;
/** Codes a chat may try per hour (right or wrong); then it waits. */
export const CHAT_ATTEMPTS = 5;
const ATTEMPT_WINDOW_MS = 60 * 60_000;
/** A handoff record (and its code's hash, so a used or expired code is told apart from a wrong one). */
const KEEP_MS = 30 * 24 * 60 * 60_000;
/** How long a chat remembers the handoff it opened (well past any task's life). */
const CHAT_BINDING_MS = 24 * 60 * 60_000;

export type HandoffStatus = 'pending' | 'opened' | 'completed' | 'abandoned' | 'expired';

export interface TimelineEntry {
  readonly at: number;
  readonly status: HandoffStatus;
  /** Why (e.g. `cancelled or idle`, `task failed`), never a secret. */
  readonly detail?: string;
}

export interface HandoffRecord {
  readonly id: string;
  readonly accountId: string;
  readonly flowId: string;
  readonly note: string | null;
  readonly status: HandoffStatus;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly createdBy: AuditActor;
  readonly escalationId?: string;
  /** Where it was opened. */
  readonly chat?: ChatRef;
  readonly userId?: string;
  readonly openedAt?: number;
  readonly timeline: readonly TimelineEntry[];
}

export type RedeemResult =
  | { readonly ok: true; readonly handoff: HandoffRecord }
  | {
      readonly ok: false;
      /**
       * `invalid`: no such code; `used`: redeemed before; `expired`; `otherAccount`: this chat is linked to
       * another account; `tooMany`: this chat tried too many codes (`minutes` until it may again).
       */
      readonly reason: 'invalid' | 'used' | 'expired' | 'otherAccount' | 'tooMany';
      readonly minutes?: number;
    };

/** What a chat's session looks like to the sweeper. */
export interface ChatActivity {
  readonly flowId: string | null;
  readonly returnTo?: string;
  /** A person owns the chat (an escalation). */
  readonly withPerson: boolean;
}

/** The account data the handoffs need (the AccountStore provides it). */
export interface HandoffAccounts {
  get(id: string): Promise<{ readonly id: string } | null>;
  events(id: string, limit?: number): Promise<ReadonlyArray<{ readonly at: number; readonly type: string }>>;
  appendEvent(
    id: string,
    event: { at: number; type: SecurityEventType; channel: ChatRef['channel'] | 'admin' | 'system' },
  ): Promise<void>;
}

export interface HandoffServiceOptions {
  readonly kv: Kv;
  readonly clock: Clock;
  readonly prefix?: string;
  readonly audit: AuditLog;
  readonly webhook: SupportWebhook;
  readonly accounts: HandoffAccounts;
  /** The chat's current session (for the sweeper: is the handed-off task still running there?). */
  readonly activityOf: (chat: ChatRef) => Promise<ChatActivity | null>;
  /** How often an opened handoff is looked at while its task may still run. Default 16 minutes. */
  readonly checkEveryMs?: number;
}

/**
 * The security event a task leaves when it completed its change: a handoff into it is `completed` when
 * the task comes back with that event on the account, `abandoned` otherwise. Tasks that change nothing
 * (the activity review) complete when they end.
 */
export const COMPLETION_EVENTS: Readonly<Record<string, readonly string[] | null>> = {
  'change-password': ['password.changed'],
  'change-phone': ['phone.changed'],
  'change-email': ['email.changed'],
  '2fa': ['twofa.enabled'],
  '2fa-off': ['twofa.disabled'],
  'recovery-codes': ['twofa.recoveryRegenerated'],
  activity: null,
  checkup: null,
};

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export function newHandoffCode(): string {
  return `${HANDOFF_CODE_PREFIX}${randomBytes(24).toString('base64url')}`;
}

export class HandoffService {
  private readonly prefix: string;
  private readonly checkEveryMs: number;

  constructor(private readonly options: HandoffServiceOptions) {
    this.prefix = options.prefix ?? 'ls:';
    this.checkEveryMs = options.checkEveryMs ?? 16 * 60_000;
  }

  private recordKey(id: string): string {
    return `${this.prefix}support:handoff:${id}`;
  }
  private codeKey(code: string): string {
    return `${this.prefix}support:handoff-code:${sha256(code)}`;
  }
  private chatKey(chat: ChatRef): string {
    return `${this.prefix}{${chatTag(chat)}}:handoff`;
  }
  attemptsKey(chat: ChatRef): string {
    return `${this.prefix}{${chatTag(chat)}}:handoff-attempts`;
  }
  private get dueKey(): string {
    return `${this.prefix}support:handoff-due`;
  }
  private get indexKey(): string {
    return `${this.prefix}support:handoffs`;
  }

  /** Makes a handoff; the code is returned once and only its hash is kept. */
  async create(input: {
    readonly accountId: string;
    readonly flowId: string;
    readonly note: string | null;
    readonly expiresInMinutes: number;
    readonly actor: AuditActor;
    readonly escalationId?: string;
  }): Promise<{ readonly handoff: HandoffRecord; readonly code: string }> {
    const { kv, clock } = this.options;
    const now = clock.now();
    const id = `hof_${randomBytes(8).toString('hex')}`;
    const code = newHandoffCode();
    const handoff: HandoffRecord = {
      id,
      accountId: input.accountId,
      flowId: input.flowId,
      note: input.note,
      status: 'pending',
      createdAt: now,
      expiresAt: now + input.expiresInMinutes * 60_000,
      createdBy: input.actor,
      ...(input.escalationId ? { escalationId: input.escalationId } : {}),
      timeline: [{ at: now, status: 'pending' }],
    };
    await kv.set(this.recordKey(id), JSON.stringify(handoff), KEEP_MS);
    await kv.set(this.codeKey(code), id, KEEP_MS);
    await kv.append(this.indexKey, id);
    await kv.schedule(this.dueKey, id, handoff.expiresAt);
    await this.options.audit.record({
      actor: input.actor,
      action: 'handoff.created',
      target: id,
      detail: {
        account: input.accountId,
        flow: input.flowId,
        expiresAt: new Date(handoff.expiresAt).toISOString(),
        ...(input.escalationId ? { escalation: input.escalationId } : {}),
      },
    });
    await this.announce(handoff, null);
    return { handoff, code };
  }

  /** The handoff, its status brought up to date (a pending one past its expiry is `expired`). */
  async get(id: string): Promise<HandoffRecord | null> {
    if (!/^hof_[a-f0-9]{16}$/.test(id)) return null;
    const record = await this.read(id);
    if (record?.status === 'pending' && this.options.clock.now() >= record.expiresAt) {
      return (await this.move(id, ['pending'], 'expired', { kind: 'system' })) ?? (await this.read(id));
    }
    return record;
  }

  /** The latest handoffs, newest first; optionally only one account's. */
  async list(
    options: { readonly accountId?: string; readonly limit?: number } = {},
  ): Promise<HandoffRecord[]> {
    const ids = [...new Set(await this.options.kv.tail(this.indexKey, 1000))].reverse();
    const out: HandoffRecord[] = [];
    for (const id of ids) {
      const record = await this.get(id);
      if (!record || (options.accountId && record.accountId !== options.accountId)) continue;
      out.push(record);
      if (out.length >= (options.limit ?? 50)) break;
    }
    return out;
  }

  /**
   * Redeems a code in a chat (counted against the chat's attempts, right or wrong): the handoff becomes
   * `opened` and is bound to the chat. A chat linked to another account is refused without spending it.
   */
  async redeem(input: {
    readonly code: string;
    readonly chat: ChatRef;
    readonly userId: string;
    readonly linkedAccountId: string | null;
  }): Promise<RedeemResult> {
    const { kv, clock } = this.options;
    const attempts = this.attemptsKey(input.chat);
    const reserved = await reserveAttempt(kv, attempts, CHAT_ATTEMPTS, ATTEMPT_WINDOW_MS, ATTEMPT_WINDOW_MS);
    if (!reserved.ok) return { ok: false, reason: 'tooMany', minutes: Math.ceil(reserved.retryMs / 60_000) };
    const refused = async (reason: Exclude<RedeemResult, { ok: true }>['reason'], target?: string) => {
      await this.options.audit.record({
        actor: { kind: 'bot' },
        action: 'handoff.refused',
        ...(target ? { target } : {}),
        detail: { reason, channel: input.chat.channel },
      });
      return { ok: false, reason } as const;
    };
    if (!HANDOFF_CODE.test(input.code)) return refused('invalid');
    const id = await kv.get(this.codeKey(input.code));
    if (id === null) return refused('invalid');
    const record = await this.get(id);
    if (!record) return refused('invalid');
    if (record.status === 'expired') return refused('expired', id);
    if (record.status !== 'pending') return refused('used', id);
    if (input.linkedAccountId !== null && input.linkedAccountId !== record.accountId) {
      return refused('otherAccount', id);
    }
    const now = clock.now();
    const opened = await this.move(id, ['pending'], 'opened', { kind: 'bot' }, undefined, (r) => ({
      ...r,
      chat: input.chat,
      userId: input.userId,
      openedAt: now,
    }));
    if (!opened) return refused('used', id);
    // A right code does not use up the chat's budget.
    await releaseAttempt(kv, attempts);
    await kv.set(this.chatKey(input.chat), id, CHAT_BINDING_MS);
    await kv.schedule(this.dueKey, id, now + this.checkEveryMs);
    await this.options.accounts
      .appendEvent(record.accountId, { at: now, type: 'support.handoff', channel: input.chat.channel })
      .catch(() => {});
    return { ok: true, handoff: opened };
  }

  /** The handoff a chat opened and is still running (`opened`), if any. */
  async openedIn(chat: ChatRef): Promise<HandoffRecord | null> {
    const id = await this.options.kv.get(this.chatKey(chat));
    if (id === null) return null;
    const record = await this.read(id);
    return record?.status === 'opened' ? record : null;
  }

  /**
   * The handed-off task came back to the handoff flow (it ended): `completed` when the account shows the
   * task's change since the handoff was opened (or the task changes nothing), else `abandoned`.
   */
  async finish(chat: ChatRef): Promise<HandoffRecord | null> {
    const record = await this.openedIn(chat);
    if (!record) return null;
    await this.options.kv.del(this.chatKey(chat));
    const done = await this.taskDone(record);
    return this.move(
      record.id,
      ['opened'],
      done ? 'completed' : 'abandoned',
      { kind: 'bot' },
      done ? undefined : 'task ended without its change',
    );
  }

  /** The handoff flow ended before the task started (the proof failed, the chat could not be linked). */
  async abandon(chat: ChatRef, detail: string): Promise<HandoffRecord | null> {
    const record = await this.openedIn(chat);
    if (!record) return null;
    await this.options.kv.del(this.chatKey(chat));
    return this.move(record.id, ['opened'], 'abandoned', { kind: 'bot' }, detail);
  }

  /**
   * Brings due handoffs up to date: a pending one past its expiry is `expired`; an opened one whose chat
   * no longer runs its task (cancelled, idle, a person took over) is `abandoned`. Safe from every process.
   */
  async sweep(limit = 100): Promise<number> {
    const { kv, clock } = this.options;
    const due = await kv.takeDue(this.dueKey, clock.now(), limit);
    let changed = 0;
    for (const id of due) {
      const record = await this.read(id);
      if (!record) continue;
      if (record.status === 'pending') {
        if (clock.now() >= record.expiresAt) {
          if (await this.move(id, ['pending'], 'expired', { kind: 'system' })) changed += 1;
        } else await kv.schedule(this.dueKey, id, record.expiresAt);
        continue;
      }
      if (record.status !== 'opened' || !record.chat) continue;
      const activity = await this.options.activityOf(record.chat);
      const running =
        activity !== null &&
        !activity.withPerson &&
        (activity.flowId === record.flowId ||
          activity.flowId === HANDOFF_FLOW_ID ||
          activity.returnTo === HANDOFF_FLOW_ID);
      if (running) {
        await kv.schedule(this.dueKey, id, clock.now() + this.checkEveryMs);
        continue;
      }
      const done = await this.taskDone(record);
      const detail = activity?.withPerson ? 'handed to a person' : 'cancelled or idle';
      if (
        await this.move(
          id,
          ['opened'],
          done ? 'completed' : 'abandoned',
          { kind: 'system' },
          done ? undefined : detail,
        )
      )
        changed += 1;
      await kv.del(this.chatKey(record.chat));
    }
    return changed;
  }

  private async taskDone(record: HandoffRecord): Promise<boolean> {
    const wanted = COMPLETION_EVENTS[record.flowId];
    if (wanted === null) return true;
    if (wanted === undefined) return false;
    const since = record.openedAt ?? record.createdAt;
    const events = await this.options.accounts.events(record.accountId, 50);
    return events.some((event) => event.at >= since && wanted.includes(event.type));
  }

  private async read(id: string): Promise<HandoffRecord | null> {
    const raw = await this.options.kv.get(this.recordKey(id));
    return raw === null ? null : (JSON.parse(raw) as HandoffRecord);
  }

  /** Moves a handoff from one of `from` to `to` (compare-and-set); null when it was not in `from`. */
  private async move(
    id: string,
    from: readonly HandoffStatus[],
    to: HandoffStatus,
    actor: AuditActor,
    detail?: string,
    change: (record: HandoffRecord) => HandoffRecord = (record) => record,
  ): Promise<HandoffRecord | null> {
    const { kv, clock } = this.options;
    for (let round = 0; round < 20; round += 1) {
      const key = this.recordKey(id);
      const raw = await kv.get(key);
      if (raw === null) return null;
      const record = JSON.parse(raw) as HandoffRecord;
      if (!from.includes(record.status)) return null;
      const at = clock.now();
      const next: HandoffRecord = {
        ...change(record),
        status: to,
        timeline: [...record.timeline, { at, status: to, ...(detail ? { detail } : {}) }],
      };
      if (!(await kv.compareAndSet(key, raw, JSON.stringify(next), KEEP_MS))) continue;
      await this.options.audit.record({
        actor,
        action: `handoff.${to}`,
        target: id,
        detail: {
          flow: record.flowId,
          from: record.status,
          ...(detail ? { reason: detail } : {}),
          ...(next.chat ? { channel: next.chat.channel } : {}),
        },
      });
      await this.announce(next, record.status);
      return next;
    }
    throw new Error('the handoff kept changing');
  }

  private async announce(record: HandoffRecord, previous: HandoffStatus | null): Promise<void> {
    await this.options.webhook.emit('handoff.status', {
      handoffId: record.id,
      status: record.status,
      previous,
      accountId: record.accountId,
      flow: record.flowId,
      ...(record.escalationId ? { escalationId: record.escalationId } : {}),
      ...(record.chat ? { channel: record.chat.channel } : {}),
    });
  }
}

/** A handoff as the API shows it (no code: it is shown once, when made). */
export function handoffView(record: HandoffRecord) {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    id: record.id,
    status: record.status,
    accountId: record.accountId,
    flow: record.flowId,
    note: record.note,
    createdAt: iso(record.createdAt),
    expiresAt: iso(record.expiresAt),
    createdBy: record.createdBy.kind === 'key' ? record.createdBy.name : record.createdBy.kind,
    escalationId: record.escalationId ?? null,
    openedIn: record.chat ? record.chat.channel : null,
    timeline: record.timeline.map((entry) => ({
      at: iso(entry.at),
      status: entry.status,
      ...(entry.detail ? { detail: entry.detail } : {}),
    })),
  };
}
export type HandoffView = ReturnType<typeof handoffView>;

/**
 * The security checkup's look at an account: only what the account already holds (its phone and email,
 * whether two-step verification is on and how many recovery codes are left, when the password was last
 * changed and the parameters its hash was made with, the signed-in sessions, the security log). Nothing is
 * written to the account and no secret is read beyond the hash's public parameters.
 *
 * A "sitting" is the one thing the checkup keeps: per account and chat, the ids of the fixing tasks opened
 * from the checkup, for an hour, so that after a fix the checkup goes on with the findings not yet offered
 * instead of showing the same one again. It holds task ids only.
 */

import type { Clock } from '../clock.ts';
import { type ChatRef, chatTag, type MessageParams } from '../core/index.ts';
import type { Kv } from '../kv/kv.ts';
import type { Account, SecurityEvent, SecurityEventType } from './account.ts';
import type { AccountStore } from './account-store.ts';
import { type HashParams, OWASP_MINIMUM } from './password-hasher.ts';

const DAY_MS = 86_400_000;

/** What the checkup looks for, worst first. The flow names the same kinds. */
export type CheckupFindingKind =
  | 'failedAttempts'
  | 'noEmail'
  | 'noPhone'
  | 'twoFactorOff'
  | 'fewRecoveryCodes'
  | 'passwordBelowPolicy'
  | 'passwordOld'
  | 'passwordWeakHash'
  | 'staleDevices';

export interface CheckupFinding {
  readonly kind: CheckupFindingKind;
  readonly params?: MessageParams;
}

export interface CheckupReview {
  /** Worst first. */
  readonly findings: readonly CheckupFinding[];
  /** When a next checkup makes sense: the day, rendered in the reader's language at the edge. */
  readonly nextCheck: { readonly day: number };
  /** The same, as a timestamp (ms). */
  readonly nextCheckAt: number;
}

/** The thresholds; every one has the default. */
export interface CheckupOptions {
  /** A password older than this is worth changing. Default 365 days. */
  readonly passwordMaxAgeDays?: number;
  /** A signed-in session not seen for this long is worth a look. Default 90 days. */
  readonly staleSessionDays?: number;
  /** Failed attempts this recent are worth a look. Default 30 days. */
  readonly recentEventsDays?: number;
  /** With two-step verification on, this many recovery codes left or fewer is worth new ones. Default 3. */
  readonly fewRecoveryCodes?: number;
  /** The longest wait until a next checkup is suggested. Default 90 days. */
  readonly recheckDays?: number;
  /** How many of the newest security events are read. Default 200. */
  readonly eventsScanned?: number;
  /** How long a sitting (the tasks opened from one checkup) is remembered. Default 1 hour. */
  readonly sittingTtlMs?: number;
}

/**
 * The events that mean somebody typed a wrong password or code: if it was not the user, somebody is trying
 * to get in. The ones before the latest password change are left out (a new password ends that threat).
 */
export const FAILED_ATTEMPT_EVENTS: readonly SecurityEventType[] = [
  'password.wrong',
  'twofa.wrong',
  'twofa.replayRejected',
];

/**
 * True when an encoded argon2 hash was made with weaker settings than `params`: not argon2id, an older
 * version, or less memory, fewer passes or fewer lanes. An unreadable hash counts as weaker.
 *
 * @example hashIsWeaker('$argon2id$v=19$m=4096,t=3,p=1$...', OWASP_MINIMUM) // true: 4 MiB < 19 MiB
 */
export function hashIsWeaker(hash: string, params: HashParams): boolean {
  // `$argon2id$v=19$m=19456,t=2,p=1$salt$hash`; the order of m, t and p varies between libraries.
  const [, type, ...rest] = hash.split('$');
  const version = rest[0]?.startsWith('v=') ? Number(rest.shift()?.slice(2)) : 16;
  const encoded = new Map(
    (rest[0] ?? '').split(',').map((pair) => {
      const [name = '', value = ''] = pair.split('=');
      return [name, /^\d+$/.test(value) ? Number(value) : Number.NaN] as const;
    }),
  );
  const m = encoded.get('m') ?? Number.NaN;
  const t = encoded.get('t') ?? Number.NaN;
  const p = encoded.get('p') ?? Number.NaN;
  if (!(type?.startsWith('argon2') && [version, m, t, p].every(Number.isFinite))) return true;
  return (
    type !== 'argon2id' ||
    version < 19 ||
    m < params.memoryCost ||
    t < params.timeCost ||
    p < params.parallelism
  );
}

/**
 * When the password was last set: the account's `passwordChangedAt`, else the latest password change in
 * the security log, else when the account was created.
 */
export function passwordSetAt(account: Account, newestFirst: readonly SecurityEvent[]): number {
  if (account.passwordChangedAt !== null && account.passwordChangedAt !== undefined) {
    return account.passwordChangedAt;
  }
  const changed = newestFirst.find((event) => event.type === 'password.changed');
  return changed ? changed.at : account.createdAt;
}

/**
 * Reviews accounts for the checkup and keeps each chat's sitting.
 *
 * @example
 * const { findings } = await checkup.review(accountId); // [{ kind: 'twoFactorOff' }]
 */
export class CheckupService {
  private readonly hashParams: HashParams;
  private readonly options: Required<CheckupOptions>;

  constructor(
    private readonly deps: {
      readonly accounts: AccountStore;
      readonly kv: Kv;
      readonly clock: Clock;
      readonly prefix?: string;
      /** Today's hashing parameters (the hasher's); the OWASP minimum when not given. */
      readonly hashParams?: HashParams;
      readonly options?: CheckupOptions;
    },
  ) {
    const given = deps.hashParams ?? OWASP_MINIMUM;
    this.hashParams = {
      memoryCost: given.memoryCost,
      timeCost: given.timeCost,
      parallelism: given.parallelism,
    };
    this.options = {
      passwordMaxAgeDays: 365,
      staleSessionDays: 90,
      recentEventsDays: 30,
      fewRecoveryCodes: 3,
      recheckDays: 90,
      eventsScanned: 200,
      sittingTtlMs: 60 * 60_000,
      ...deps.options,
    };
  }

  /** The findings for the account now, worst first, and when a next checkup makes sense. */
  async review(accountId: string): Promise<CheckupReview> {
    const { accounts, clock } = this.deps;
    const o = this.options;
    const account = await accounts.require(accountId);
    const events = await accounts.events(accountId, o.eventsScanned);
    const now = clock.now();
    const findings: CheckupFinding[] = [];

    const setAt = passwordSetAt(account, events);
    const since = Math.max(now - o.recentEventsDays * DAY_MS, setAt);
    const failures = events.filter(
      (event) => event.at > since && event.at <= now && FAILED_ATTEMPT_EVENTS.includes(event.type),
    ).length;
    if (failures > 0) {
      findings.push({ kind: 'failedAttempts', params: { count: failures, days: o.recentEventsDays } });
    }
    if (!account.email) findings.push({ kind: 'noEmail' });
    if (!account.phone) findings.push({ kind: 'noPhone' });
    const twoFactor = account.twoFactor;
    if (!twoFactor.enabled) {
      findings.push({ kind: 'twoFactorOff' });
    } else if (twoFactor.recoveryHashes.length <= o.fewRecoveryCodes) {
      findings.push({ kind: 'fewRecoveryCodes', params: { left: twoFactor.recoveryHashes.length } });
    }
    const oldAt = setAt + o.passwordMaxAgeDays * DAY_MS;
    if (now >= oldAt) findings.push({ kind: 'passwordOld', params: { since: { day: setAt } } });
    if (account.passwordBelowPolicy) findings.push({ kind: 'passwordBelowPolicy' });
    if (hashIsWeaker(account.passwordHash, this.hashParams)) findings.push({ kind: 'passwordWeakHash' });
    const staleBefore = now - o.staleSessionDays * DAY_MS;
    const stale = account.sessions.filter((session) => session.lastSeenAt <= staleBefore).length;
    if (stale > 0)
      findings.push({ kind: 'staleDevices', params: { count: stale, days: o.staleSessionDays } });

    // The next checkup: in `recheckDays`, or sooner when the password turns old before that.
    const nextCheckAt = Math.min(
      now + o.recheckDays * DAY_MS,
      oldAt > now ? oldAt : Number.POSITIVE_INFINITY,
    );
    return { findings, nextCheck: { day: nextCheckAt }, nextCheckAt };
  }

  private sittingKey(accountId: string, chat: ChatRef): string {
    return `${this.deps.prefix ?? 'ls:'}{acct:${accountId}}:checkup:${chatTag(chat)}`;
  }

  /** The fixing tasks opened from the checkup in this chat's sitting; null when there is none. */
  /** True when the account has no email: the one fact the tip before the phone task needs (one read). */
  async emailMissing(accountId: string): Promise<boolean> {
    return (await this.deps.accounts.require(accountId)).email === null;
  }

  async visited(accountId: string, chat: ChatRef): Promise<string[] | null> {
    const raw = await this.deps.kv.get(this.sittingKey(accountId, chat));
    return raw === null ? null : parseSitting(raw);
  }

  /** Records that the sitting opened `fix` (a flow id); starts the sitting when there is none. */
  async visit(accountId: string, chat: ChatRef, fix: string): Promise<void> {
    const key = this.sittingKey(accountId, chat);
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const raw = await this.deps.kv.get(key);
      const before = raw === null ? [] : parseSitting(raw);
      const next = JSON.stringify([...new Set([...before, fix])]);
      if (await this.deps.kv.compareAndSet(key, raw, next, this.options.sittingTtlMs)) return;
    }
    throw new Error('the checkup sitting is being changed too often');
  }

  /** Ends the sitting: the next checkup starts from the top. */
  async close(accountId: string, chat: ChatRef): Promise<void> {
    await this.deps.kv.del(this.sittingKey(accountId, chat));
  }
}

/** A stored sitting: a JSON list of flow ids (anything else reads as an empty sitting). */
function parseSitting(raw: string): string[] {
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

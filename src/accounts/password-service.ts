import type { Clock } from '../clock.ts';
import type { CodeService } from '../codes/code-service.ts';
import type { Channel } from '../core/conversation.ts';
import type {
  AccountSummary,
  CheckCodeResult,
  CheckPasswordResult,
  CodeVia,
  NewPasswordResult,
  SendCodeResult,
} from '../core/results.ts';
import type { Delivery } from '../delivery/delivery.ts';
import { lockedForMs, releaseAttempt, reserveAttempt } from '../kv/attempts.ts';
import type { Kv } from '../kv/kv.ts';
import type { Logger } from '../log.ts';
import { type Account, codeSendEvent } from './account.ts';
import type { AccountStore } from './account-store.ts';
import { maskEmail, maskPhone } from './mask.ts';
import { accountLocale, ownContacts, sendNotice } from './notices.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { checkPasswordPolicy } from './password-policy.ts';

export const MAX_WRONG_PASSWORDS = 5;
export const PASSWORD_LOCK_MS = 15 * 60_000;

/**
 * The account-side effects of password flows: checking the current password with a lock-out shared by
 * every chat and process, codes to the account's phone or email, the policy, and the change itself.
 */
export class PasswordService {
  constructor(
    private readonly deps: {
      readonly accounts: AccountStore;
      readonly hasher: PasswordHasher;
      readonly codes: CodeService;
      readonly delivery: Delivery;
      readonly kv: Kv;
      readonly clock: Clock;
      readonly log: Logger;
      readonly prefix?: string;
    },
  ) {}

  /**
   * The account's password attempts in the current window; holding MAX_WRONG_PASSWORDS it is the lock
   * (`Kv.reserveAttempt`). Attempts being checked right now count too, so parallel guesses cannot pass it.
   */
  private failKey(accountId: string): string {
    return `${this.deps.prefix ?? 'ls:'}{acct:${accountId}}:pw-fail`;
  }

  lockedForMs(accountId: string): Promise<number> {
    return lockedForMs(this.deps.kv, this.failKey(accountId), MAX_WRONG_PASSWORDS);
  }

  async summary(accountId: string): Promise<AccountSummary> {
    // Side by side: one socket write on Redis (auto-pipelining), one wait.
    const [account, passwordLockedMs] = await Promise.all([
      this.deps.accounts.require(accountId),
      this.lockedForMs(accountId),
    ]);
    return {
      phoneMasked: maskPhone(account.phone),
      emailMasked: account.email ? maskEmail(account.email) : null,
      twoFactor: account.twoFactor.enabled,
      passwordLockedMs,
    };
  }

  /**
   * Five wrong passwords within 15 minutes lock the password step of the account for 15 minutes. The attempt
   * is reserved atomically before the (slow) argon2 check, so however many chats and processes guess at
   * once, at most five passwords are checked per lock period; a right one clears the count.
   */
  async checkCurrent(accountId: string, password: string, channel: Channel): Promise<CheckPasswordResult> {
    const { kv, hasher, accounts, clock } = this.deps;
    const failKey = this.failKey(accountId);
    const reserved = await reserveAttempt(
      kv,
      failKey,
      MAX_WRONG_PASSWORDS,
      PASSWORD_LOCK_MS,
      PASSWORD_LOCK_MS,
    );
    if (!reserved.ok) return { ok: false, reason: 'locked', minutes: Math.ceil(reserved.retryMs / 60_000) };
    let account: Account;
    let right: boolean;
    try {
      account = await accounts.require(accountId);
      right = await hasher.verify(account.passwordHash, password);
    } catch (error) {
      // Nothing was checked: the attempt does not count.
      await releaseAttempt(kv, failKey);
      throw error;
    }
    if (right) {
      await kv.del(failKey);
      const rehashed = hasher.needsRehash(account.passwordHash) ? await hasher.hash(password) : null;
      // Would today's policy refuse it? Learned now, while it is typed; only the answer is kept (checkup).
      const below = !checkPasswordPolicy(password, { accountId, phone: account.phone, email: account.email })
        .ok;
      if (rehashed !== null || below !== (account.passwordBelowPolicy === true)) {
        await accounts.update(accountId, (a) => {
          if (a.passwordHash !== account.passwordHash) return a;
          const { passwordBelowPolicy: _was, ...rest } = a;
          return {
            ...rest,
            ...(rehashed !== null ? { passwordHash: rehashed } : {}),
            ...(below ? { passwordBelowPolicy: true as const } : {}),
          };
        });
      }
      return { ok: true };
    }
    await accounts.appendEvent(accountId, { at: clock.now(), type: 'password.wrong', channel });
    if (reserved.count >= MAX_WRONG_PASSWORDS) {
      await accounts.appendEvent(accountId, { at: clock.now(), type: 'password.locked', channel });
      return { ok: false, reason: 'locked', minutes: PASSWORD_LOCK_MS / 60_000 };
    }
    return { ok: false, reason: 'wrong', remaining: MAX_WRONG_PASSWORDS - reserved.count };
  }

  /**
   * Sends a code to the account's own phone or email. `requester` (optional: who asked, e.g.
   * `telegram:42`) is also capped per requester (`CodeRequest.requester`).
   */
  async sendCode(
    accountId: string,
    purpose: string,
    via: CodeVia,
    requester?: string,
  ): Promise<SendCodeResult> {
    const account = await this.deps.accounts.require(accountId);
    if (via === 'email' && !account.email) return { ok: false, reason: 'noDestination' };
    const to = via === 'phone' ? account.phone : (account.email as string);
    const result = await this.deps.codes.send({
      subject: accountId,
      purpose,
      channel: via === 'phone' ? 'sms' : 'email',
      to,
      shownAs: via === 'phone' ? maskPhone(to) : maskEmail(to),
      locale: accountLocale(account),
      ...(requester === undefined ? {} : { requester }),
    });
    await this.deps.accounts.appendEvent(
      accountId,
      codeSendEvent(this.deps.clock.now(), 'system', result, {
        purpose,
        via,
        to: via === 'phone' ? maskPhone(to) : maskEmail(to),
      }),
    );
    return result;
  }

  async checkCode(accountId: string, purpose: string, via: CodeVia, code: string): Promise<CheckCodeResult> {
    const account = await this.deps.accounts.require(accountId);
    const to = via === 'phone' ? account.phone : (account.email ?? '');
    return this.deps.codes.check(accountId, purpose, to, code);
  }

  /** Applies the policy, then hashes: the flow keeps only the hash between "new" and "repeat". */
  async checkNew(accountId: string, password: string): Promise<NewPasswordResult> {
    const account = await this.deps.accounts.require(accountId);
    const policy = checkPasswordPolicy(password, { accountId, phone: account.phone, email: account.email });
    if (!policy.ok) return policy;
    if (await this.deps.hasher.verify(account.passwordHash, password))
      return { ok: false, reason: 'sameAsCurrent' };
    return { ok: true, hash: await this.deps.hasher.hash(password) };
  }

  confirm(hash: string, password: string): Promise<boolean> {
    return this.deps.hasher.verify(hash, password);
  }

  /** Forgets wrong passwords counted so far, but not a lock in force (that runs its 15 minutes). */
  private async forgetFailures(accountId: string): Promise<void> {
    const key = this.failKey(accountId);
    const raw = await this.deps.kv.get(key);
    if (raw !== null && Number(raw) < MAX_WRONG_PASSWORDS) await this.deps.kv.compareAndSet(key, raw, null);
  }

  /** Stores the new hash, signs every session out, records the event and notifies phone and email. */
  async commit(accountId: string, hash: string, channel: Channel): Promise<{ signedOut: number }> {
    const { accounts, clock } = this.deps;
    let signedOut = 0;
    const updated = await accounts.update(accountId, (account) => {
      signedOut = account.sessions.length;
      // A new password passed today's policy: the checkup's "below policy" finding goes with the old one.
      const { passwordBelowPolicy: _below, ...rest } = account;
      return { ...rest, passwordHash: hash, sessions: [], passwordChangedAt: clock.now() };
    });
    if (!updated) throw new Error('account not found');
    await this.forgetFailures(accountId);
    const now = clock.now();
    await accounts.appendEvent(accountId, { at: now, type: 'password.changed', channel });
    await accounts.appendEvent(accountId, {
      at: now,
      type: 'sessions.signedOut',
      channel,
      detail: { count: signedOut },
    });
    await sendNotice(this.deps, ownContacts(updated), {
      sms: 'password.noticeSms',
      emailSubject: 'password.noticeEmailSubject',
      emailText: 'password.noticeEmailText',
    });
    return { signedOut };
  }
}

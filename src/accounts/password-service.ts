import type {
  AccountSummary,
  CheckPasswordResult,
  CodeVia,
  NewPasswordResult,
  SendCodeResult,
  CheckCodeResult,
} from '../../flows/ports.ts';
import type { Clock } from '../clock.ts';
import type { CodeService } from '../codes/code-service.ts';
import type { Delivery } from '../delivery/delivery.ts';
import type { Channel } from '../engine/input.ts';
import type { Kv } from '../kv/kv.ts';
import type { Logger } from '../log.ts';
import { codeSendEvent } from './account.ts';
import type { AccountStore } from './account-store.ts';
import { maskEmail, maskPhone } from './mask.ts';
import { ownContacts, sendNotice } from './notices.ts';
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

  private lockKey(accountId: string): string {
    return `${this.deps.prefix ?? 'ls:'}{acct:${accountId}}:pw-lock`;
  }
  private failKey(accountId: string): string {
    return `${this.deps.prefix ?? 'ls:'}{acct:${accountId}}:pw-fail`;
  }

  async lockedForMs(accountId: string): Promise<number> {
    return (await this.deps.kv.ttl(this.lockKey(accountId))) ?? 0;
  }

  async summary(accountId: string): Promise<AccountSummary> {
    const account = await this.deps.accounts.require(accountId);
    return {
      phoneMasked: maskPhone(account.phone),
      emailMasked: account.email ? maskEmail(account.email) : null,
      twoFactor: account.twoFactor.enabled,
      passwordLockedMs: await this.lockedForMs(accountId),
    };
  }

  /** Five wrong passwords within 15 minutes lock the password step of the account for 15 minutes. */
  async checkCurrent(accountId: string, password: string, channel: Channel): Promise<CheckPasswordResult> {
    const { kv, hasher, accounts, clock } = this.deps;
    const locked = await this.lockedForMs(accountId);
    if (locked > 0) return { ok: false, reason: 'locked', minutes: Math.ceil(locked / 60_000) };
    const account = await this.deps.accounts.require(accountId);
    if (await hasher.verify(account.passwordHash, password)) {
      await kv.del(this.failKey(accountId));
      if (hasher.needsRehash(account.passwordHash)) {
        const rehashed = await hasher.hash(password);
        await accounts.update(accountId, (a) =>
          a.passwordHash === account.passwordHash ? { ...a, passwordHash: rehashed } : a,
        );
      }
      return { ok: true };
    }
    const failures = await kv.increment(this.failKey(accountId), PASSWORD_LOCK_MS);
    await accounts.appendEvent(accountId, { at: clock.now(), type: 'password.wrong', channel });
    if (failures >= MAX_WRONG_PASSWORDS) {
      await kv.set(this.lockKey(accountId), '1', PASSWORD_LOCK_MS);
      await kv.del(this.failKey(accountId));
      await accounts.appendEvent(accountId, { at: clock.now(), type: 'password.locked', channel });
      return { ok: false, reason: 'locked', minutes: PASSWORD_LOCK_MS / 60_000 };
    }
    return { ok: false, reason: 'wrong', remaining: MAX_WRONG_PASSWORDS - failures };
  }

  /** Sends a code to the account's own phone or email. */
  async sendCode(accountId: string, purpose: string, via: CodeVia): Promise<SendCodeResult> {
    const account = await this.deps.accounts.require(accountId);
    if (via === 'email' && !account.email) return { ok: false, reason: 'noDestination' };
    const to = via === 'phone' ? account.phone : (account.email as string);
    const result = await this.deps.codes.send({
      subject: accountId,
      purpose,
      channel: via === 'phone' ? 'sms' : 'email',
      to,
      shownAs: via === 'phone' ? maskPhone(to) : maskEmail(to),
    });
    await this.deps.accounts.appendEvent(
      accountId,
      codeSendEvent(this.deps.clock.now(), 'system', result, { purpose, via }),
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

  /** Stores the new hash, signs every session out, records the event and notifies phone and email. */
  async commit(accountId: string, hash: string, channel: Channel): Promise<{ signedOut: number }> {
    const { accounts, clock } = this.deps;
    let signedOut = 0;
    const updated = await accounts.update(accountId, (account) => {
      signedOut = account.sessions.length;
      return { ...account, passwordHash: hash, sessions: [], passwordChangedAt: clock.now() };
    });
    if (!updated) throw new Error('account not found');
    await this.deps.kv.del(this.failKey(accountId));
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

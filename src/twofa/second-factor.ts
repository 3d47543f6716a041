/**
 * The second factor of an account with two-step verification: a current TOTP code from the authenticator
 * app, or one of the recovery codes. Used by every flow that asks for it after the first proof.
 */

import type { Account } from '../accounts/account.ts';
import type { AccountStore } from '../accounts/account-store.ts';
import type { Clock } from '../clock.ts';
import type { Channel } from '../core/conversation.ts';
import type { SecondFactorResult } from '../core/results.ts';
import { releaseAttempt, reserveAttempt } from '../kv/attempts.ts';
import type { Kv } from '../kv/kv.ts';
import type { Logger } from '../log.ts';
import type { RecoveryCodes } from './recovery-codes.ts';
import type { SecretBox } from './secret-box.ts';
import type { TotpService } from './totp.ts';

/** Wrong second-factor codes allowed per account in one window before every check says `tooMany`. */
export const MAX_WRONG_SECOND_FACTOR = 5;
export const SECOND_FACTOR_WINDOW_MS = 15 * 60_000;

export interface SecondFactorDeps {
  readonly accounts: AccountStore;
  readonly kv: Kv;
  readonly clock: Clock;
  readonly log: Logger;
  readonly totp: TotpService;
  readonly box: SecretBox;
  readonly recovery: RecoveryCodes;
  readonly prefix?: string;
}

/** What happened inside the atomic update (it may run several times; the last run is what was stored). */
type Outcome = 'accepted' | 'replay' | 'stale';

/**
 * Checks a TOTP or recovery code for an account that has two-step verification.
 *
 * - TOTP: the secret is opened with the account id as associated data; the accepted time step is stored
 *   as `lastUsedStep` by a compare-and-set that re-checks it, so one code is accepted once even when two
 *   processes race with it. A replay is refused and recorded (`twofa.replayRejected`).
 * - Recovery codes: matched against the stored hashes and removed in the same compare-and-set, so each
 *   works once (`twofa.recoveryUsed`).
 * - Five wrong codes per account within 15 minutes: every further check is `tooMany` until the window
 *   ends, whichever chat or process asks (`twofa.wrong` is recorded for each). Each check reserves its
 *   attempt atomically before the code is looked at (`Kv.reserveAttempt`), so parallel checks can never
 *   look at more than five codes; a right code clears the count, a malformed or replayed one gives its
 *   attempt back.
 *
 * @example
 * const result = await secondFactor.check(accountId, userText, 'telegram');
 * if (!result.ok && result.reason === 'tooMany') // stop the flow
 */
/** Checks a second factor (TOTP or recovery code) for accounts that have two-step verification. */
export interface SecondFactorChecker {
  check(accountId: string, code: string, channel: Channel): Promise<SecondFactorResult>;
}

export class SecondFactorService implements SecondFactorChecker {
  constructor(private readonly deps: SecondFactorDeps) {}

  private failKey(accountId: string): string {
    return `${this.deps.prefix ?? 'ls:'}{acct:${accountId}}:2fa-fail`;
  }

  /** @throws when the account does not exist or has no two-step verification (nothing to check). */
  async check(accountId: string, code: string, channel: Channel): Promise<SecondFactorResult> {
    const { kv, accounts } = this.deps;
    const failKey = this.failKey(accountId);
    const reserved = await reserveAttempt(
      kv,
      failKey,
      MAX_WRONG_SECOND_FACTOR,
      SECOND_FACTOR_WINDOW_MS,
      SECOND_FACTOR_WINDOW_MS,
    );
    if (!reserved.ok) return { ok: false, reason: 'tooMany' };
    let result: SecondFactorResult | 'wrong';
    try {
      const account = await accounts.require(accountId);
      if (!account.twoFactor.enabled || account.twoFactor.secretEnc === null) {
        throw new Error('the account has no two-step verification');
      }
      result = this.deps.recovery.looksLikeRecoveryCode(code)
        ? await this.checkRecovery(account, code, channel)
        : await this.checkTotp(account, account.twoFactor.secretEnc, code, channel);
    } catch (error) {
      await releaseAttempt(kv, failKey);
      throw error;
    }
    if (result === 'wrong') return this.countWrong(accountId, channel, reserved.count);
    // A right code forgives earlier wrong ones; a malformed or replayed code was no guess: not counted.
    if (result.ok) await kv.del(failKey);
    else await releaseAttempt(kv, failKey);
    return result;
  }

  private async checkTotp(
    account: Account,
    secretEnc: string,
    code: string,
    channel: Channel,
  ): Promise<SecondFactorResult | 'wrong'> {
    const { totp, box, accounts, clock } = this.deps;
    const secret = box.open(secretEnc, account.id);
    const checked = await totp.check(secret, code, account.twoFactor.lastUsedStep);
    if (!checked.ok && checked.reason === 'format') return { ok: false, reason: 'format' };
    if (!checked.ok && checked.reason === 'wrong') return 'wrong';
    let outcome = 'stale' as Outcome;
    if (checked.ok) {
      await accounts.update(account.id, (current) => {
        const state = current.twoFactor;
        // Re-checked on the stored value: another process may have accepted this step meanwhile, or 2FA
        // may have been turned off or reset with a new secret.
        if (!state.enabled || state.secretEnc !== secretEnc) {
          outcome = 'stale';
          return current;
        }
        if (state.lastUsedStep !== null && state.lastUsedStep >= checked.step) {
          outcome = 'replay';
          return current;
        }
        outcome = 'accepted';
        return { ...current, twoFactor: { ...state, lastUsedStep: checked.step } };
      });
    } else {
      outcome = 'replay';
    }
    if (outcome === 'accepted') return { ok: true, method: 'totp' };
    if (outcome === 'stale') return 'wrong';
    await accounts.appendEvent(account.id, { at: clock.now(), type: 'twofa.replayRejected', channel });
    this.deps.log.warn({ accountId: account.id, channel }, 'a reused TOTP code was refused');
    return { ok: false, reason: 'replay' };
  }

  private async checkRecovery(
    account: Account,
    code: string,
    channel: Channel,
  ): Promise<SecondFactorResult | 'wrong'> {
    const { recovery, accounts, clock } = this.deps;
    let remaining = -1;
    await accounts.update(account.id, (current) => {
      const consumed = current.twoFactor.enabled
        ? recovery.consume(code, current.twoFactor.recoveryHashes)
        : ({ ok: false } as const);
      if (!consumed.ok) {
        remaining = -1;
        return current;
      }
      remaining = consumed.remaining.length;
      return { ...current, twoFactor: { ...current.twoFactor, recoveryHashes: consumed.remaining } };
    });
    if (remaining < 0) return 'wrong';
    await accounts.appendEvent(account.id, {
      at: clock.now(),
      type: 'twofa.recoveryUsed',
      channel,
      detail: { remaining },
    });
    return { ok: true, method: 'recovery' };
  }

  /** Records a wrong code that was attempt number `failures` of the window (already counted). */
  private async countWrong(
    accountId: string,
    channel: Channel,
    failures: number,
  ): Promise<SecondFactorResult> {
    const { accounts, clock } = this.deps;
    await accounts.appendEvent(accountId, { at: clock.now(), type: 'twofa.wrong', channel });
    if (failures >= MAX_WRONG_SECOND_FACTOR) {
      this.deps.log.warn({ accountId, channel }, 'too many wrong second-factor codes');
      return { ok: false, reason: 'tooMany' };
    }
    return { ok: false, reason: 'wrong', remaining: MAX_WRONG_SECOND_FACTOR - failures };
  }
}

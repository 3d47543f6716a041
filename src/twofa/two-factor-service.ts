/**
 * The account-side effects of the two-step verification flows: a new secret for enrolment (sealed before
 * it leaves this service), checking the set-up code, turning 2FA on and off, and new recovery codes.
 */

import type { TwoFactorState } from '../accounts/account.ts';
import { NO_TWO_FACTOR } from '../accounts/account.ts';
import type { AccountStore } from '../accounts/account-store.ts';
import { type Notice, ownContacts, sendNotice } from '../accounts/notices.ts';
import type { Clock } from '../clock.ts';
import type { Channel } from '../core/conversation.ts';
import type { EnableResult, NewSecretOutput, RegenerateResult, SetupCodeResult } from '../core/results.ts';
import type { Delivery } from '../delivery/delivery.ts';
import type { Logger } from '../log.ts';
import { qrPng } from './qr.ts';
import type { RecoveryCodes } from './recovery-codes.ts';
import type { SecretBox } from './secret-box.ts';
import type { TotpService } from './totp.ts';

export const RECOVERY_CODE_COUNT = 10;

const NOTICES = {
  enabled: {
    sms: 'twofa.noticeEnabledSms',
    emailSubject: 'twofa.noticeEnabledSubject',
    emailText: 'twofa.noticeEnabledText',
  },
  disabled: {
    sms: 'twofa.noticeDisabledSms',
    emailSubject: 'twofa.noticeDisabledSubject',
    emailText: 'twofa.noticeDisabledText',
  },
  regenerated: {
    sms: 'twofa.noticeRegeneratedSms',
    emailSubject: 'twofa.noticeRegeneratedSubject',
    emailText: 'twofa.noticeRegeneratedText',
  },
} as const satisfies Record<string, Notice>;

export interface TwoFactorDeps {
  readonly accounts: AccountStore;
  readonly clock: Clock;
  readonly delivery: Delivery;
  readonly log: Logger;
  readonly totp: TotpService;
  readonly box: SecretBox;
  readonly recovery: RecoveryCodes;
}

/**
 * Turns two-step verification on and off and renews recovery codes. The TOTP secret never leaves this
 * service unsealed except inside `NewSecretOutput` (for the one reply that shows it); recovery codes are
 * returned once and stored only as hashes.
 *
 * @example
 * const fresh = await twoFactor.newSecret(accountId);          // show fresh.png / fresh.key, keep fresh.sealed
 * const check = await twoFactor.checkSetupCode(accountId, fresh.sealed, typed);
 * if (check.ok) await twoFactor.enable(accountId, fresh.sealed, check.step, 'telegram');
 */
export class TwoFactorService {
  constructor(private readonly deps: TwoFactorDeps) {}

  /** A fresh 20-byte secret, sealed for this account, with its URI, QR code and typeable key. */
  async newSecret(accountId: string): Promise<NewSecretOutput> {
    return this.showSecret(accountId, this.deps.box.seal(this.deps.totp.newSecret(), accountId));
  }

  /** The QR code and key of the secret being set up, again ("Show the QR code again"): nothing is stored. */
  async showSecret(accountId: string, sealed: string): Promise<NewSecretOutput> {
    const { totp, box } = this.deps;
    const account = await this.deps.accounts.require(accountId);
    const secret = box.open(sealed, accountId);
    const uri = totp.uri(secret, (account.email ?? account.phone).replaceAll(':', ''));
    return { sealed, uri, key: secret.replace(/(.{4})(?=.)/g, '$1 '), png: await qrPng(uri) };
  }

  /** Checks a code from the app against the secret being set up (one step of tolerance, nothing stored). */
  async checkSetupCode(accountId: string, sealed: string, code: string): Promise<SetupCodeResult> {
    const secret = this.deps.box.open(sealed, accountId);
    const checked = await this.deps.totp.check(secret, code, null);
    if (checked.ok) return { ok: true, step: checked.step };
    return { ok: false, reason: checked.reason === 'format' ? 'format' : 'wrong' };
  }

  /**
   * Turns 2FA on with the verified secret: stores it sealed, the step of the set-up code as used, and the
   * hashes of new recovery codes, which are returned (the only time they exist in clear).
   */
  async enable(accountId: string, sealed: string, step: number, channel: Channel): Promise<EnableResult> {
    const { accounts, clock, recovery, box } = this.deps;
    // Fails loudly if the sealed value is not this account's, before anything is stored.
    box.open(sealed, accountId);
    const generated = recovery.generate(RECOVERY_CODE_COUNT);
    let alreadyOn = false;
    const updated = await accounts.update(accountId, (account) => {
      alreadyOn = account.twoFactor.enabled;
      if (alreadyOn) return account;
      const twoFactor: TwoFactorState = {
        enabled: true,
        secretEnc: sealed,
        lastUsedStep: step,
        recoveryHashes: generated.hashes,
        enabledAt: clock.now(),
      };
      return { ...account, twoFactor };
    });
    if (!updated) throw new Error('account not found');
    if (alreadyOn) return { ok: false, reason: 'alreadyOn' };
    await accounts.appendEvent(accountId, { at: clock.now(), type: 'twofa.enabled', channel });
    await sendNotice(this.deps, ownContacts(updated), NOTICES.enabled);
    return { ok: true, codes: generated.codes };
  }

  /** Turns 2FA off: the secret and every recovery code are deleted. */
  async disable(accountId: string, channel: Channel): Promise<void> {
    const { accounts, clock } = this.deps;
    let wasOn = false;
    const updated = await accounts.update(accountId, (account) => {
      wasOn = account.twoFactor.enabled;
      return { ...account, twoFactor: NO_TWO_FACTOR };
    });
    if (!updated) throw new Error('account not found');
    if (!wasOn) return;
    await accounts.appendEvent(accountId, { at: clock.now(), type: 'twofa.disabled', channel });
    await sendNotice(this.deps, ownContacts(updated), NOTICES.disabled);
  }

  /** A new set of recovery codes; the old set stops working at once. */
  async regenerateRecoveryCodes(accountId: string, channel: Channel): Promise<RegenerateResult> {
    const { accounts, clock, recovery } = this.deps;
    const generated = recovery.generate(RECOVERY_CODE_COUNT);
    let on = false;
    const updated = await accounts.update(accountId, (account) => {
      on = account.twoFactor.enabled;
      if (!on) return account;
      return { ...account, twoFactor: { ...account.twoFactor, recoveryHashes: generated.hashes } };
    });
    if (!updated) throw new Error('account not found');
    if (!on) return { ok: false, reason: 'notOn' };
    await accounts.appendEvent(accountId, {
      at: clock.now(),
      type: 'twofa.recoveryRegenerated',
      channel,
    });
    await sendNotice(this.deps, ownContacts(updated), NOTICES.regenerated);
    return { ok: true, codes: generated.codes };
  }
}

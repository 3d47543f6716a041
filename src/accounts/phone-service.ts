import type { Clock } from '../clock.ts';
import type { CodeService } from '../codes/code-service.ts';
import { type Channel, type CheckCodeResult, CODE_PURPOSES, type SendCodeResult } from '../core/index.ts';
import type { Delivery } from '../delivery/delivery.ts';
import type { Kv } from '../kv/kv.ts';
import type { Logger } from '../log.ts';
import { codeSendEvent } from './account.ts';
import type { AccountStore } from './account-store.ts';
import { maskPhone } from './mask.ts';
import { accountLocale, ownContacts, sendNotice } from './notices.ts';
import { formatPhone, parsePhone } from './phone-number.ts';

/** The purpose of the code that proves the user receives texts at the new number. */
export const NEW_PHONE_PURPOSE = CODE_PURPOSES.phoneNew;

export type NewPhoneResult =
  | { readonly ok: true; readonly phone: string /** international format */; readonly shown: string }
  /** `unavailable`: used by another account (never said so); `tooMany`: too many numbers tried this hour. */
  | { readonly ok: false; readonly reason: 'invalid' | 'same' | 'unavailable' | 'tooMany' };

export type CommitPhoneResult =
  | { readonly ok: true; readonly notifiedEmail: boolean }
  | { readonly ok: false; readonly reason: 'unavailable' };

/**
 * New numbers one account may try per hour. Whether a number is free tells a little about other accounts,
 * so this bounds how many numbers a signed-in user can test.
 */
export const NEW_NUMBERS_PER_HOUR = 10;
const HOUR_MS = 60 * 60_000;

/**
 * The account-side effects of swapping the phone number (identity is proven with the password service's
 * codes to the current phone or the email): the new number's checks, its code, and the swap itself.
 */
export class PhoneService {
  constructor(
    private readonly deps: {
      readonly accounts: AccountStore;
      readonly codes: CodeService;
      readonly delivery: Delivery;
      readonly kv: Kv;
      readonly clock: Clock;
      readonly log: Logger;
      readonly prefix?: string;
    },
  ) {}

  private triesKey(accountId: string): string {
    return `${this.deps.prefix ?? 'ls:'}{acct:${accountId}}:phone-new-tries`;
  }

  /**
   * Reads the typed number (a national number is read in the country of the current one) and refuses one
   * that is not valid, is the current number, or is used by another account (without saying which).
   */
  async checkNew(accountId: string, text: string): Promise<NewPhoneResult> {
    const account = await this.deps.accounts.require(accountId);
    const parsed = parsePhone(text, { nationalIn: account.phone });
    if (!parsed.ok) return { ok: false, reason: 'invalid' };
    if (parsed.e164 === account.phone) return { ok: false, reason: 'same' };
    // The try is counted and the number looked up side by side (one round trip); a try over the limit
    // answers tooMany whoever owns the number.
    const [tries, owner] = await Promise.all([
      this.deps.kv.increment(this.triesKey(accountId), HOUR_MS),
      this.deps.accounts.findByPhone(parsed.e164),
    ]);
    if (tries > NEW_NUMBERS_PER_HOUR) return { ok: false, reason: 'tooMany' };
    if (owner && owner.id !== accountId) return { ok: false, reason: 'unavailable' };
    return { ok: true, phone: parsed.e164, shown: parsed.shown };
  }

  /** Sends a code to the new number, bound to the account and that number. */
  async sendNewCode(accountId: string, phone: string): Promise<SendCodeResult> {
    const account = await this.deps.accounts.get(accountId);
    const result = await this.deps.codes.send({
      subject: accountId,
      purpose: NEW_PHONE_PURPOSE,
      channel: 'sms',
      to: phone,
      shownAs: formatPhone(phone),
      locale: account ? accountLocale(account) : 'en',
      message: { sms: 'phone.codeSms', emailSubject: 'codes.emailSubject', emailText: 'codes.emailText' },
    });
    await this.deps.accounts.appendEvent(
      accountId,
      codeSendEvent(this.deps.clock.now(), 'system', result, {
        purpose: NEW_PHONE_PURPOSE,
        via: 'phone',
        to: maskPhone(phone),
      }),
    );
    return result;
  }

  checkNewCode(accountId: string, phone: string, code: string): Promise<CheckCodeResult> {
    return this.deps.codes.check(accountId, NEW_PHONE_PURPOSE, phone, code);
  }

  /**
   * Swaps the number (the phone index moves atomically; a number taken in the meantime is refused), records
   * the event and notifies the old number and the email.
   */
  async commit(accountId: string, phone: string, channel: Channel): Promise<CommitPhoneResult> {
    const { accounts, clock } = this.deps;
    const loaded = await accounts.load(accountId);
    if (!loaded) throw new Error('account not found');
    const before = loaded.account;
    // One read for the whole swap: the change writes against what was read (compare-and-set).
    const changed = await accounts.changePhone(accountId, phone, loaded);
    if (!changed.ok) {
      if (changed.reason === 'taken') return { ok: false, reason: 'unavailable' };
      throw new Error('account not found');
    }
    // The count of new numbers tried starts again with the swap (with the turn's commit).
    await this.deps.kv.del(this.triesKey(accountId), { withCommit: true });
    const from = maskPhone(before.phone);
    const to = maskPhone(phone);
    await accounts.appendEvent(accountId, {
      at: clock.now(),
      type: 'phone.changed',
      channel,
      detail: { from, to },
    });
    await sendNotice(this.deps, ownContacts(before), {
      sms: 'phone.noticeOldSms',
      emailSubject: 'phone.noticeEmailSubject',
      emailText: 'phone.noticeEmailText',
      params: { from, to },
    });
    return { ok: true, notifiedEmail: before.email !== null };
  }
}

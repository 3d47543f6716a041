import { createHmac, randomBytes } from 'node:crypto';
import {
  type CheckAddressResult,
  type CommitEmailResult,
  EMAIL_VERIFIED_SIGNAL,
  NEW_EMAIL_CODE_PURPOSE,
  type SendVerificationResult,
} from '../../flows/change-email.ts';
import type { CheckCodeResult } from '../../flows/ports.ts';
import { t } from '../catalog/catalog.ts';
import type { Clock } from '../clock.ts';
import type { CodeMessage, CodeService } from '../codes/code-service.ts';
import type { Delivery } from '../delivery/delivery.ts';
import type { ChatRef, Channel } from '../engine/input.ts';
import { chatTag } from '../engine/input.ts';
import type { Reply } from '../engine/reply.ts';
import { escapeHtml } from '../http/pages.ts';
import type { VerifyEmailOutcome } from '../http/server.ts';
import type { Kv } from '../kv/kv.ts';
import { describeError, type Logger } from '../log.ts';
import { codeSendEvent } from './account.ts';
import type { AccountStore } from './account-store.ts';
import { parseEmail } from './email-address.ts';
import { maskEmail } from './mask.ts';
import { sendNotice } from './notices.ts';

/** A verification link works this long after it was sent. */
export const EMAIL_LINK_TTL_MS = 30 * 60_000;
/** Used and expired links are remembered this long, so a late click gets "already used"/"expired", not "invalid". */
export const EMAIL_LINK_KEEP_MS = 24 * 60 * 60_000;
/** New addresses an account may look up per hour (each one says whether the address is taken). */
export const ADDRESS_LOOKUPS_PER_HOUR = 10;

/** How the verification service reaches the chat that asked for the change (the engine does this). */
export interface ChatSignals {
  /** Delivers a signal to the chat's active flow; false when no flow took it. */
  signal(chat: ChatRef, name: string): Promise<boolean>;
  /** Pushes replies to the chat outside of a turn; throws when no push sender is configured. */
  notify(chat: ChatRef, replies: readonly Reply[]): Promise<void>;
}

type LinkState = 'pending' | 'used' | 'superseded';

/** What is stored per link, under a keyed hash of its token; the token itself is never stored. */
interface StoredLink {
  readonly accountId: string;
  readonly email: string;
  readonly chat: ChatRef;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly state: LinkState;
}

/**
 * Verifies a new email address before it replaces the account's: one message to the new address holds a
 * one-time link (32 random bytes, stored only as an HMAC keyed with SECRET_KEY, single use, 30 minutes)
 * and a 6-digit code (CodeService, bound to account, purpose and address). Whichever is used first makes
 * the change through the same `apply`, which records the event and notifies the phone and the old address.
 *
 * @example
 * // the HTTP route for the link:
 * createHttpServer({ log, health, verifyEmail: (token) => services.emailVerification.redeemLink(token, engine) });
 */
export class EmailVerificationService {
  private readonly prefix: string;
  private readonly publicUrl: string | null;

  constructor(
    private readonly deps: {
      readonly accounts: AccountStore;
      /** The one-time codes (the services' one): it makes, limits, stores and sends the code. */
      readonly codes: CodeService;
      readonly delivery: Delivery;
      readonly kv: Kv;
      readonly clock: Clock;
      readonly log: Logger;
      readonly secretKey: string;
      readonly prefix?: string;
      /** Where `/verify-email` is served; without it the message holds only the code. */
      readonly publicUrl?: string;
    },
  ) {
    this.prefix = deps.prefix ?? 'ls:';
    this.publicUrl = deps.publicUrl ? deps.publicUrl.replace(/\/+$/, '') : null;
  }

  /** True when messages carry a link (a public URL is configured). */
  get sendsLinks(): boolean {
    return this.publicUrl !== null;
  }

  private linkKey(digest: string): string {
    return `${this.prefix}email-link:${digest}`;
  }
  private pointerKey(accountId: string): string {
    return `${this.prefix}{acct:${accountId}}:email-link`;
  }
  private lookupsKey(accountId: string): string {
    return `${this.prefix}{acct:${accountId}}:email-lookups`;
  }

  private digest(token: string): string {
    return createHmac('sha256', this.deps.secretKey).update(`email-link\n${token}`).digest('hex');
  }

  /**
   * Validates and normalises a typed address and refuses the account's own address and one that belongs
   * to another account (which one is never said). Lookups are capped per account and hour, so this step
   * cannot be used to find out which addresses are registered.
   */
  async checkAddress(accountId: string, text: string): Promise<CheckAddressResult> {
    const email = parseEmail(text);
    if (email === null) return { ok: false, reason: 'invalid' };
    const account = await this.deps.accounts.require(accountId);
    if (account.email === email) return { ok: false, reason: 'same' };
    const lookups = await this.deps.kv.increment(this.lookupsKey(accountId), 60 * 60_000);
    if (lookups > ADDRESS_LOOKUPS_PER_HOUR) return { ok: false, reason: 'tooMany' };
    const owner = await this.deps.accounts.findByEmail(email);
    if (owner && owner.id !== accountId) return { ok: false, reason: 'taken' };
    return { ok: true, email };
  }

  /**
   * Sends the verification message (link and code) to `email`. Cool-down, hourly cap and delivery
   * failures come back as values; nothing is stored unless the message went out. A new message makes
   * the account's previous link stop working.
   */
  async sendVerification(accountId: string, email: string, chat: ChatRef): Promise<SendVerificationResult> {
    const { codes, clock, accounts } = this.deps;
    const token = randomBytes(32).toString('base64url');
    const link = this.publicUrl === null ? null : `${this.publicUrl}/verify-email?token=${token}`;
    const result = await codes.send({
      subject: accountId,
      purpose: NEW_EMAIL_CODE_PURPOSE,
      channel: 'email',
      to: email,
      shownAs: email,
      message: (code) => verificationMessage(code, link),
    });
    await accounts.appendEvent(
      accountId,
      codeSendEvent(clock.now(), chat.channel, result, {
        purpose: NEW_EMAIL_CODE_PURPOSE,
        via: 'email',
        to: maskEmail(email),
      }),
    );
    if (!result.ok) return result;
    await this.supersede(accountId);
    if (link !== null) {
      const now = clock.now();
      const stored: StoredLink = {
        accountId,
        email,
        chat,
        createdAt: now,
        expiresAt: now + EMAIL_LINK_TTL_MS,
        state: 'pending',
      };
      const digest = this.digest(token);
      await this.deps.kv.set(this.linkKey(digest), JSON.stringify(stored), EMAIL_LINK_KEEP_MS);
      await this.deps.kv.set(this.pointerKey(accountId), digest, EMAIL_LINK_KEEP_MS);
    }
    return { ok: true, to: result.to, link: link !== null };
  }

  /** Checks the code typed in the chat; it only works for the address it was sent to. */
  checkCode(accountId: string, email: string, code: string): Promise<CheckCodeResult> {
    return this.deps.codes.check(accountId, NEW_EMAIL_CODE_PURPOSE, email, code);
  }

  /**
   * The code path's final step (the code was right): makes the change and retires the link, which then
   * shows "already used".
   */
  async commitWithCode(accountId: string, email: string, channel: Channel): Promise<CommitEmailResult> {
    const digest = await this.deps.kv.get(this.pointerKey(accountId));
    if (digest !== null) {
      const taken = await this.transition(digest, (link) =>
        link.accountId === accountId && link.email === email && link.state === 'pending' ? 'used' : null,
      );
      if (taken === null) {
        const link = await this.read(digest);
        // The link for this address was opened a moment ago: the change is already made.
        if (link?.stored.email === email && link.stored.state === 'used')
          return { ok: true, replaced: false };
      }
    }
    return this.apply(accountId, email, channel, 'code');
  }

  /**
   * Redeems a link from the email (when the button of the `/verify-email` confirm page is pressed;
   * opening the link alone does not call this): makes the change, then tells the chat
   * that asked for it: its waiting flow finishes with "your email is verified", or, when no flow took
   * the signal (cancelled, expired), a standalone notice is pushed.
   */
  async redeemLink(token: string, chats: ChatSignals): Promise<VerifyEmailOutcome> {
    const { clock, log } = this.deps;
    const digest = this.digest(token);
    let outcome: VerifyEmailOutcome | null = null;
    const link = await this.transition(digest, (stored) => {
      if (stored.state === 'used') outcome = 'used';
      else if (stored.state === 'superseded') outcome = 'invalid';
      else if (stored.expiresAt <= clock.now()) outcome = 'expired';
      else return 'used';
      return null;
    });
    if (link === null) return outcome ?? 'invalid';
    const applied = await this.apply(link.accountId, link.email, 'web', 'link');
    const chat = link.chat;
    if (!applied.ok) {
      await this.tell(chats, chat, { key: 'email.linkTaken' });
      return 'invalid';
    }
    const taken = await chats.signal(chat, EMAIL_VERIFIED_SIGNAL).catch((error: unknown) => {
      log.warn({ chat: chatTag(chat), err: describeError(error) }, 'the email-verified signal failed');
      return false;
    });
    if (!taken) await this.tell(chats, chat, { key: 'email.verified' });
    return 'verified';
  }

  private async tell(chats: ChatSignals, chat: ChatRef, reply: Reply): Promise<void> {
    try {
      await chats.notify(chat, [reply]);
    } catch (error) {
      this.deps.log.warn({ chat: chatTag(chat), err: describeError(error) }, 'could not notify the chat');
    }
  }

  /** Makes the change: re-checks the address is free, stores it, records the event, sends the notices. */
  private async apply(
    accountId: string,
    email: string,
    channel: Channel | 'web',
    via: 'code' | 'link',
  ): Promise<CommitEmailResult> {
    const { accounts, codes, kv, clock } = this.deps;
    const before = await accounts.require(accountId);
    const changed = await accounts.changeEmail(accountId, email);
    if (!changed.ok) {
      if (changed.reason === 'taken') return { ok: false, reason: 'taken' };
      throw new Error('account not found');
    }
    await codes.discard(accountId, NEW_EMAIL_CODE_PURPOSE);
    await kv.del(this.pointerKey(accountId));
    const masked = maskEmail(email);
    await accounts.appendEvent(accountId, {
      at: clock.now(),
      type: 'email.changed',
      channel,
      detail: {
        via,
        to: masked,
        ...(before.email !== null ? { from: maskEmail(before.email) } : {}),
      },
    });
    // The phone always hears of it; the previous address (when there was one) is told it was replaced.
    await sendNotice(
      this.deps,
      {
        accountId,
        phone: before.phone,
        email: before.email !== null && before.email !== email ? before.email : null,
      },
      {
        sms: before.email ? 'email.noticeSmsChanged' : 'email.noticeSmsAdded',
        emailSubject: 'email.noticeOldSubject',
        emailText: 'email.noticeOldText',
        params: { email: masked },
      },
    );
    return { ok: true, replaced: before.email !== null };
  }

  /** Marks the account's current link superseded: only the newest message's link works. */
  private async supersede(accountId: string): Promise<void> {
    const digest = await this.deps.kv.get(this.pointerKey(accountId));
    if (digest === null) return;
    await this.transition(digest, (link) => (link.state === 'pending' ? 'superseded' : null));
  }

  private async read(digest: string): Promise<{ raw: string; stored: StoredLink } | null> {
    const raw = await this.deps.kv.get(this.linkKey(digest));
    return raw === null ? null : { raw, stored: JSON.parse(raw) as StoredLink };
  }

  /**
   * Moves a link to the state `decide` returns (null: leave it) with a compare-and-set, so of two
   * concurrent redemptions exactly one wins. Returns the link when this call moved it.
   */
  private async transition(
    digest: string,
    decide: (link: StoredLink) => LinkState | null,
  ): Promise<StoredLink | null> {
    const { kv, clock } = this.deps;
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const current = await this.read(digest);
      if (current === null) return null;
      const next = decide(current.stored);
      if (next === null) return null;
      const keepMs = Math.max(1, current.stored.createdAt + EMAIL_LINK_KEEP_MS - clock.now());
      const moved = { ...current.stored, state: next };
      if (await kv.compareAndSet(this.linkKey(digest), current.raw, JSON.stringify(moved), keepMs)) {
        return current.stored;
      }
    }
    return null;
  }
}

/** The verification email around `code`, as text and as HTML (the same paragraphs, the link clickable). */
export function verificationMessage(code: string, link: string | null): CodeMessage {
  const text =
    link === null
      ? t('en', 'email.verifyTextCodeOnly', { code })
      : t('en', 'email.verifyText', { code, link });
  const html = text
    .split('\n\n')
    .map((paragraph) => {
      const lines = paragraph.split('\n').map((line) => {
        if (link !== null && line === link) {
          const href = escapeHtml(link);
          return `<a href="${href}">${href}</a>`;
        }
        return escapeHtml(line).replace(code, `<strong>${code}</strong>`);
      });
      return `<p>${lines.join('<br>\n')}</p>`;
    })
    .join('\n');
  return {
    subject: t('en', 'email.verifySubject'),
    text,
    html: `<!doctype html>\n<html><body>\n${html}\n</body></html>\n`,
  };
}

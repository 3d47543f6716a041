import { createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { CodeMessage, CodeService } from '../codes/code-service.ts';
import {
  type Channel,
  type ChatRef,
  type CheckCodeResult,
  CODE_PURPOSES,
  chatTag,
  type Reply,
  type SendCodeResult,
  SIGNALS,
} from '../core/index.ts';
import type { Delivery } from '../delivery/delivery.ts';
import type { Kv } from '../kv/kv.ts';
import { describeError, type Logger } from '../log.ts';
import { codeSendEvent } from './account.ts';
import type { AccountStore } from './account-store.ts';
import { parseEmail } from './email-address.ts';
import { maskEmail } from './mask.ts';
import { accountLocale, sendNotice } from './notices.ts';

/** A verification link works this long after it was sent. */
export const EMAIL_LINK_TTL_MS = 30 * 60_000;
/** Used and expired links are remembered this long, so a late click gets "already used"/"expired", not "invalid". */
export const EMAIL_LINK_KEEP_MS = 24 * 60 * 60_000;
/** New addresses an account may look up per hour (each one says whether the address is taken). */
export const ADDRESS_LOOKUPS_PER_HOUR = 10;
/** The purpose of the code sent to the new address (with the link). */
export const NEW_EMAIL_CODE_PURPOSE = CODE_PURPOSES.emailVerify;

export type CheckAddressResult =
  | { readonly ok: true; readonly email: string }
  | { readonly ok: false; readonly reason: 'invalid' | 'same' | 'taken' | 'tooMany' };

/** `link` is false when no public URL is configured and the message holds only the code. */
export type SendVerificationResult =
  | { readonly ok: true; readonly to: string; readonly link: boolean }
  | Exclude<SendCodeResult, { readonly ok: true }>;

export type CommitEmailResult =
  | { readonly ok: true; readonly replaced: boolean }
  | { readonly ok: false; readonly reason: 'taken' };

/** Why a confirmed link made no change: already used, past its 30 minutes, or not (any more) this task's. */
export type LinkRefusal = { readonly ok: false; readonly reason: 'used' | 'expired' | 'invalid' };

export type CommitLinkResult = CommitEmailResult | LinkRefusal;

/** What the `/verify-email` page shows after the button was pressed (the HTTP server's outcomes). */
export type VerifyEmailOutcome = 'verified' | 'expired' | 'used' | 'invalid';

/** How the verification service reaches the chat that asked for the change (the engine does this). */
export interface ChatSignals {
  /**
   * Delivers a signal to the chat's active flow, only when it is still the run of the task `taskId`;
   * false when no flow took it (the task was cancelled, expired or replaced).
   */
  signal(
    chat: ChatRef,
    name: string,
    options: { readonly taskId: string; readonly data: Readonly<Record<string, string>> },
  ): Promise<boolean>;
  /** Pushes replies to the chat outside of a turn; throws when no push sender is configured. */
  notify(chat: ChatRef, replies: readonly Reply[]): Promise<void>;
}

/**
 * `ended`: the link was confirmed after its task had ended (cancelled, expired, replaced), so it died
 * with the task; `refused`: it was confirmed but the address belonged to another account by then.
 */
type LinkState = 'pending' | 'used' | 'superseded' | 'ended' | 'refused';

/** What is stored per link, under a keyed hash of its token; the token itself is never stored. */
interface StoredLink {
  readonly accountId: string;
  readonly email: string;
  readonly chat: ChatRef;
  /** The run of the change-email task that sent it: only that run can use it. */
  readonly taskId: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly state: LinkState;
}

/** The account's one verification in progress: which task sent which address, and its link (if any). */
interface PendingVerification {
  readonly taskId: string;
  readonly email: string;
  /** The keyed hash of the link's token; null when the message holds only the code. */
  readonly digest: string | null;
}

/**
 * Verifies a new email address before it replaces the account's: one message to the new address holds a
 * one-time link (32 random bytes, stored only as an HMAC keyed with SECRET_KEY, single use, 30 minutes)
 * and a 6-digit code (CodeService, bound to account, purpose and address). Both belong to the run of the
 * task that sent them (its task id): a code typed in another task, or a link confirmed after its task
 * ended, changes nothing. The link is confirmed outside the chat, so its use is handed to the task as the
 * `email.linkConfirmed` signal; the task then commits it (`commitWithLink`), like the code
 * (`commitWithCode`), after its own checks (the proof's freshness). Both make the change through the
 * same `apply`, which records the event and notifies the phone and the old address.
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
  private pendingKey(accountId: string): string {
    return `${this.prefix}{acct:${accountId}}:email-pending`;
  }
  private lookupsKey(accountId: string): string {
    return `${this.prefix}{acct:${accountId}}:email-lookups`;
  }

  private digest(token: string): string {
    return createHmac('sha256', this.deps.secretKey).update(`email-link\n${token}`).digest('hex');
  }

  private async pending(accountId: string): Promise<PendingVerification | null> {
    const raw = await this.deps.kv.get(this.pendingKey(accountId));
    return raw === null ? null : (JSON.parse(raw) as PendingVerification);
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
   * Sends the verification message (link and code) to `email` for the task `taskId` of `chat`. Cool-down,
   * hourly cap and delivery failures come back as values; nothing is stored unless the message went out.
   * A new message makes the account's previous link and code stop working.
   */
  async sendVerification(
    accountId: string,
    email: string,
    chat: ChatRef,
    taskId: string,
  ): Promise<SendVerificationResult> {
    const { codes, clock, accounts, kv } = this.deps;
    const token = randomBytes(32).toString('base64url');
    const link = this.publicUrl === null ? null : `${this.publicUrl}/verify-email?token=${token}`;
    const account = await accounts.get(accountId);
    const result = await codes.send({
      subject: accountId,
      purpose: NEW_EMAIL_CODE_PURPOSE,
      channel: 'email',
      to: email,
      shownAs: email,
      locale: account ? accountLocale(account) : 'en',
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
    let digest: string | null = null;
    if (link !== null) {
      const now = clock.now();
      const stored: StoredLink = {
        accountId,
        email,
        chat,
        taskId,
        createdAt: now,
        expiresAt: now + EMAIL_LINK_TTL_MS,
        state: 'pending',
      };
      digest = this.digest(token);
      await kv.set(this.linkKey(digest), JSON.stringify(stored), EMAIL_LINK_KEEP_MS);
    }
    const pending: PendingVerification = { taskId, email, digest };
    await kv.set(this.pendingKey(accountId), JSON.stringify(pending), EMAIL_LINK_TTL_MS);
    return { ok: true, to: result.to, link: link !== null };
  }

  /**
   * Checks the code typed in the chat. It only works for the address it was sent to, in the task that
   * sent it: a code from the message of an earlier or another task counts as no code at all.
   */
  async checkCode(accountId: string, taskId: string, email: string, code: string): Promise<CheckCodeResult> {
    const pending = await this.pending(accountId);
    if (pending === null || pending.taskId !== taskId || pending.email !== email) {
      return { ok: false, reason: 'missing' };
    }
    return this.deps.codes.check(accountId, NEW_EMAIL_CODE_PURPOSE, email, code);
  }

  /**
   * The code path's final step (the code was right): makes the change and retires the link, which then
   * shows "already used".
   */
  async commitWithCode(accountId: string, email: string, channel: Channel): Promise<CommitEmailResult> {
    const pending = await this.pending(accountId);
    if (pending?.digest) {
      const taken = await this.transition(pending.digest, (link) =>
        link.accountId === accountId && link.email === email && link.state === 'pending' ? 'used' : null,
      );
      if (taken === null) {
        const link = await this.read(pending.digest);
        // The link for this address was confirmed a moment ago: the change is already made.
        if (link?.stored.email === email && link.stored.state === 'used')
          return { ok: true, replaced: false };
      }
    }
    return this.apply(accountId, email, channel, 'code');
  }

  /**
   * The link path's final step, run by the task that sent the link when it takes the
   * `email.linkConfirmed` signal: spends the token (atomically: of two confirmations one wins) when it
   * is still pending, unexpired and belongs to this account and task, then makes the change. An address
   * that another account took in the meantime leaves the link refused.
   */
  async commitWithLink(accountId: string, taskId: string, token: string): Promise<CommitLinkResult> {
    const { clock } = this.deps;
    const digest = this.digest(token);
    let refusal: LinkRefusal['reason'] = 'invalid';
    const link = await this.transition(digest, (stored) => {
      if (stored.accountId !== accountId || stored.taskId !== taskId) refusal = 'invalid';
      else if (stored.state === 'used') refusal = 'used';
      else if (stored.state !== 'pending') refusal = stored.state === 'ended' ? 'expired' : 'invalid';
      else if (stored.expiresAt <= clock.now()) refusal = 'expired';
      else return 'used';
      return null;
    });
    if (link === null) return { ok: false, reason: refusal };
    const applied = await this.apply(accountId, link.email, 'web', 'link');
    if (!applied.ok) await this.transition(digest, (stored) => (stored.state === 'used' ? 'refused' : null));
    return applied;
  }

  /**
   * Confirms a link from the email (when the button of the `/verify-email` confirm page is pressed;
   * opening the link alone does not call this). The change is not made here: the token goes to the
   * task that sent the link (the `email.linkConfirmed` signal, bound to its task id), which commits it
   * and tells the user. When no task took it (cancelled, expired, replaced), the link dies with its task:
   * nothing changes, the chat is told, and the page says the link no longer works (410).
   */
  async redeemLink(token: string, chats: ChatSignals): Promise<VerifyEmailOutcome> {
    const { clock, log } = this.deps;
    const digest = this.digest(token);
    const found = await this.read(digest);
    if (found === null) return 'invalid';
    const link = found.stored;
    if (link.state !== 'pending') return pageFor(link.state, false);
    if (link.expiresAt <= clock.now()) return 'expired';
    const taken = await chats
      .signal(link.chat, SIGNALS.emailLinkConfirmed, { taskId: link.taskId, data: { token } })
      .catch((error: unknown) => {
        log.warn({ chat: chatTag(link.chat), err: describeError(error) }, 'the link-confirmed signal failed');
        return false;
      });
    if (
      !taken &&
      (await this.transition(digest, (stored) => (stored.state === 'pending' ? 'ended' : null)))
    ) {
      await this.tell(chats, link.chat, { key: 'email.linkTaskEnded' });
      return 'expired';
    }
    const after = await this.read(digest);
    return after === null ? 'invalid' : pageFor(after.stored.state, taken);
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
    await kv.del(this.pendingKey(accountId));
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
        locale: accountLocale(before),
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
    const pending = await this.pending(accountId);
    if (!pending?.digest) return;
    await this.transition(pending.digest, (link) => (link.state === 'pending' ? 'superseded' : null));
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

/**
 * The page for a link in `state`. `taken`: the task took the link just now, so a used link is this
 * confirmation's doing (verified); a link still pending after that waits for a new proof in the chat.
 */
function pageFor(state: LinkState, taken: boolean): VerifyEmailOutcome {
  switch (state) {
    case 'used':
      return taken ? 'verified' : 'used';
    // The task asked to prove identity again first, or it had ended: nothing changed, and this
    // confirmation is over (the chat says why and what to do).
    case 'pending':
    case 'ended':
      return 'expired';
    default:
      return 'invalid';
  }
}

/**
 * The verification email around `code`, as keys and values: the delivery layer renders it in `locale`
 * and adds the HTML part (the same paragraphs, the link clickable, the code in bold).
 */
export function verificationMessage(code: string, link: string | null): CodeMessage {
  return {
    subject: { key: 'email.verifySubject' },
    text:
      link === null
        ? { key: 'email.verifyTextCodeOnly', params: { code } }
        : { key: 'email.verifyText', params: { code, link } },
    html: link === null ? { strong: code } : { link, strong: code },
  };
}

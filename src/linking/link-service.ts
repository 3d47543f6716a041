import { performance } from 'node:perf_hooks';
import { type Account, codeSendEvent } from '../accounts/account.ts';
import type { AccountStore } from '../accounts/account-store.ts';
import { accountLocale, ownContacts, sendNotice } from '../accounts/notices.ts';
import { formatPhone } from '../accounts/phone-number.ts';
import type { Clock } from '../clock.ts';
import { CodeService } from '../codes/code-service.ts';
import type { CheckCodeResult, UnlinkResult } from '../core/results.ts';
import {
  type ChatIdentity,
  CODE_PURPOSES,
  type DestinationResult,
  type LinkChatResult,
  type LinkCheckResult,
  type LinkDestination,
  type LinkSendResult,
} from '../core/results.ts';
import type { Delivery } from '../delivery/delivery.ts';
import { releaseAttempt, reserveAttempt } from '../kv/attempts.ts';
import type { Kv } from '../kv/kv.ts';
import type { Logger } from '../log.ts';
import { parseDestination } from './destination.ts';

/** Link attempts (a code asked for, or a wrong code typed) one chat identity may make per window. */
export const LINK_ATTEMPTS_PER_CHAT = 10;
/** Link attempts that may name one phone number or email address per window, from all chats together. */
export const LINK_ATTEMPTS_PER_DESTINATION = 10;
export const LINK_ATTEMPT_WINDOW_MS = 60 * 60_000;
/** The longest an unknown destination's answer is held back to look like a real delivery. */
const MAX_PADDING_MS = 5_000;

const LINK_CODE_MESSAGE = {
  sms: 'link.codeSms',
  emailSubject: 'link.codeEmailSubject',
  emailText: 'link.codeEmailText',
} as const;

/** Checked against instead of the real destination, so a code for nobody can never be right. */
const NOBODY = '\u0000nobody';

/** A moving average of how long real code sends take, per kind of destination. */
class SendLatency {
  private readonly average = new Map<LinkDestination['kind'], number>();

  record(kind: LinkDestination['kind'], ms: number): void {
    const previous = this.average.get(kind);
    this.average.set(kind, previous === undefined ? ms : previous * 0.8 + ms * 0.2);
  }

  typical(kind: LinkDestination['kind']): number {
    return Math.min(this.average.get(kind) ?? 0, MAX_PADDING_MS);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Linking chat identities to accounts without revealing which phone numbers and email addresses are
 * registered. For a destination no account uses, a code is created exactly as for a real one (same store
 * writes, cool-down, hourly cap, expiry and five tries) but never sent and never accepted, and the answer is
 * held back about as long as a real delivery takes; so the replies, the next steps and (roughly) the timing
 * are the same either way. Attempts are limited per chat identity and per destination, each reserved
 * atomically before the code is sent or checked (`Kv.reserveAttempt`), so parallel attempts cannot pass
 * the limits.
 *
 * Anybody can start /link with anybody's number, so nothing here may spend the owner's budgets: link codes
 * spend the `link` budget of the destination (its own small cap with growing delays) and the asking chat's
 * own budget, never the codes the owner's flows need; and each chat gets its own code (the chat is part of
 * the code's purpose), so a stranger's requests and wrong tries cannot replace or use up the code another
 * chat is waiting for.
 */
export class LinkService {
  private readonly nobodyCodes: CodeService;
  private readonly latency = new SendLatency();

  constructor(
    private readonly deps: {
      readonly accounts: AccountStore;
      readonly codes: CodeService;
      readonly delivery: Delivery;
      readonly kv: Kv;
      readonly clock: Clock;
      readonly log: Logger;
      readonly secretKey: string;
      readonly prefix?: string;
    },
  ) {
    this.nobodyCodes = new CodeService({
      kv: deps.kv,
      delivery: { send: async () => {} },
      clock: deps.clock,
      secretKey: deps.secretKey,
      log: deps.log,
      prefix: deps.prefix,
    });
  }

  private chatKey(identity: ChatIdentity): string {
    return `${this.deps.prefix ?? 'ls:'}link-tries:chat:${identity.channel}:${identity.userId}`;
  }
  private destinationKey(destination: LinkDestination): string {
    return `${this.deps.prefix ?? 'ls:'}link-tries:to:${destination.value}`;
  }

  parse(text: string): DestinationResult {
    return parseDestination(text);
  }

  private find(destination: LinkDestination): Promise<Account | null> {
    return destination.kind === 'phone'
      ? this.deps.accounts.findByPhone(destination.value)
      : this.deps.accounts.findByEmail(destination.value);
  }

  private reserve(key: string, limit: number) {
    return reserveAttempt(this.deps.kv, key, limit, LINK_ATTEMPT_WINDOW_MS, LINK_ATTEMPT_WINDOW_MS);
  }

  /**
   * Reserves one attempt of the chat, then one of the destination; false when either is used up. The chat
   * comes first: a chat over its limit cannot keep using up a destination's attempts. `giveBackChat`: when
   * the destination refuses, the chat's attempt is given back (a code check that never happened).
   */
  private async takeAttempt(
    identity: ChatIdentity,
    destination: LinkDestination,
    giveBackChat: boolean,
  ): Promise<boolean> {
    if (!(await this.reserve(this.chatKey(identity), LINK_ATTEMPTS_PER_CHAT)).ok) return false;
    if ((await this.reserve(this.destinationKey(destination), LINK_ATTEMPTS_PER_DESTINATION)).ok) return true;
    if (giveBackChat) await releaseAttempt(this.deps.kv, this.chatKey(identity));
    return false;
  }

  /** Gives back the attempt `takeAttempt` took (it turned out not to count). */
  private async giveBackAttempt(identity: ChatIdentity, destination: LinkDestination): Promise<void> {
    await releaseAttempt(this.deps.kv, this.destinationKey(destination));
    await releaseAttempt(this.deps.kv, this.chatKey(identity));
  }

  /** The code's purpose in the code store: one code per asking chat. */
  private purpose(identity: ChatIdentity): string {
    return `${CODE_PURPOSES.link}:${this.requester(identity)}`;
  }

  private requester(identity: ChatIdentity): string {
    return `${identity.channel}:${identity.userId}`;
  }

  /** Sends a link code to the destination if an account uses it; answers the same either way. */
  async requestCode(identity: ChatIdentity, destination: LinkDestination): Promise<LinkSendResult> {
    // Every request counts, sent or not.
    if (!(await this.takeAttempt(identity, destination, false))) return { ok: false, reason: 'tooMany' };
    const started = performance.now();
    const request = {
      purpose: this.purpose(identity),
      requester: this.requester(identity),
      budget: 'link' as const,
      channel: destination.kind === 'phone' ? ('sms' as const) : ('email' as const),
      to: destination.value,
      shownAs: destination.kind === 'phone' ? formatPhone(destination.value) : destination.value,
      message: LINK_CODE_MESSAGE,
    };
    const account = await this.find(destination);
    if (account) {
      const result = await this.deps.codes.send({
        ...request,
        subject: account.id,
        locale: accountLocale(account),
      });
      await this.deps.accounts.appendEvent(
        account.id,
        codeSendEvent(this.deps.clock.now(), identity.channel, result, {
          purpose: CODE_PURPOSES.link,
          via: destination.kind,
        }),
      );
      if (result.ok) this.latency.record(destination.kind, performance.now() - started);
      return result;
    }
    const result = await this.nobodyCodes.send({ ...request, subject: destination.value });
    if (result.ok) {
      const padding = this.latency.typical(destination.kind) - (performance.now() - started);
      if (padding > 0) await sleep(padding);
    }
    return result;
  }

  /** Checks a link code; the right one names the account (and whether it needs the second factor). */
  async checkCode(
    identity: ChatIdentity,
    destination: LinkDestination,
    code: string,
  ): Promise<LinkCheckResult> {
    if (!(await this.takeAttempt(identity, destination, true))) return { ok: false, reason: 'tooMany' };
    let result: CheckCodeResult;
    let account: Account | null;
    try {
      account = await this.find(destination);
      result = account
        ? await this.deps.codes.check(account.id, this.purpose(identity), destination.value, code)
        : await this.nobodyCodes.check(
            destination.value,
            this.purpose(identity),
            `${destination.value}${NOBODY}`,
            code,
          );
    } catch (error) {
      await this.giveBackAttempt(identity, destination);
      throw error;
    }
    // Only a wrong code is an attempt; a right, malformed, expired or missing one gives it back.
    if (result.ok || (result.reason !== 'wrong' && result.reason !== 'exhausted')) {
      await this.giveBackAttempt(identity, destination);
    }
    if (result.ok) {
      return account
        ? { ok: true, accountId: account.id, twoFactor: account.twoFactor.enabled }
        : { ok: false, reason: 'missing' };
    }
    return result;
  }

  /** Links the chat identity, records it and tells the account's phone and email. */
  async link(accountId: string, identity: ChatIdentity): Promise<LinkChatResult> {
    const { accounts, clock } = this.deps;
    const result = await accounts.link(accountId, identity.channel, identity.userId, clock.now());
    if (!result.ok) return result;
    const account = await accounts.get(accountId);
    await accounts.appendEvent(accountId, {
      at: clock.now(),
      type: 'chat.linked',
      channel: identity.channel,
    });
    if (account) {
      await sendNotice(this.deps, ownContacts(account), {
        sms: 'link.noticeSms',
        emailSubject: 'link.noticeEmailSubject',
        emailText: 'link.noticeEmailText',
        params: { channel: { key: `link.channel.${identity.channel}` } },
      });
    }
    return { ok: true };
  }

  /** Unlinks the chat identity, records it and tells the account's phone and email. */
  async unlink(identity: ChatIdentity): Promise<UnlinkResult> {
    const { accounts, clock } = this.deps;
    const accountId = await accounts.unlink(identity.channel, identity.userId);
    if (accountId === null) return { ok: false, reason: 'notLinked' };
    await accounts.appendEvent(accountId, {
      at: clock.now(),
      type: 'chat.unlinked',
      channel: identity.channel,
    });
    const account = await accounts.get(accountId);
    if (account) {
      await sendNotice(this.deps, ownContacts(account), {
        sms: 'unlink.noticeSms',
        emailSubject: 'unlink.noticeEmailSubject',
        emailText: 'unlink.noticeEmailText',
        params: { channel: { key: `link.channel.${identity.channel}` } },
      });
    }
    return { ok: true };
  }
}

import { createHash, createHmac, randomInt, randomUUID } from 'node:crypto';
import type { Locale, MessageKey } from '../catalog/catalog.ts';
import type { Clock } from '../clock.ts';
import type { CheckCodeResult, SendCodeResult } from '../core/results.ts';
import type { Delivery, KeyedMessage } from '../delivery/delivery.ts';
import { releaseAttempt, reserveAttempt } from '../kv/attempts.ts';
import { type CodeAttempt, formatStoredCode } from '../kv/code-check.ts';
import { checkCode, claimAndCount, type Kv, setAll } from '../kv/kv.ts';
import type { Logger } from '../log.ts';

export const CODE_TTL_MS = 10 * 60_000;
export const MAX_WRONG_TRIES = 5;
export const RESEND_COOLDOWN_MS = 60_000;
/**
 * While a code is being sent, its cool-down is only claimed for this long and renewed every third of it;
 * the full RESEND_COOLDOWN_MS starts once the message went out. So a code whose sender died mid-send (the
 * code was never stored and cannot be used) holds the destination for seconds, not a minute.
 */
export const SENDING_CLAIM_MS = 3_000;
/** Codes to one destination per hour for the owner's own flows (the default budget), whoever asks. */
export const HOURLY_CAP = 5;
/** Codes one requester (a chat identity) may ask for per hour, to any destinations. */
export const REQUESTER_HOURLY_CAP = 10;
/** `/link` codes to one destination per hour, from all chats together: a budget apart from HOURLY_CAP. */
export const LINK_HOURLY_CAP = 4;
/** After the n-th `/link` code to a destination, the next one waits this long times 2^(n-1): 60, 120, 240 s... */
export const LINK_FIRST_DELAY_MS = 60_000;
const HOUR_MS = 60 * 60_000;
/**
 * Characters of the digest that names a cool-down's subject and purpose (base64url: 42 bits; a destination
 * sees a handful of subjects and purposes, so two never share one).
 */
const COOLDOWN_DIGEST_LENGTH = 7;
/** The value of a cool-down once its code went out (while it is being sent, the claim's `sending:<id>`). */
const COOLDOWN_SET = '1';
/** A code is kept this long past its expiry, so "expired" can be told apart from "missing". */
const GRACE_MS = 60_000;

/** A code message as catalog keys: the SMS text, or the email's subject and text (`{code}` in the texts). */
export interface CodeMessageKeys {
  readonly sms: MessageKey;
  readonly emailSubject: MessageKey;
  readonly emailText: MessageKey;
}

/** A composed code message as keys and values: all but its channel, recipient and language (the request's). */
export type CodeMessage = Omit<KeyedMessage, 'channel' | 'to' | 'locale'>;

const GENERIC_MESSAGE: CodeMessageKeys = {
  sms: 'codes.smsText',
  emailSubject: 'codes.emailSubject',
  emailText: 'codes.emailText',
};

export interface CodeRequest {
  /** Whom the code proves something about: an account id, or a destination for not-yet-known users. */
  readonly subject: string;
  /** What the code is for (`password-reset`, `phone-new`...); a code never works for another purpose. */
  readonly purpose: string;
  readonly channel: 'sms' | 'email';
  /** E.164 number or email address the code goes to. */
  readonly to: string;
  /** How the destination is shown to the user (masked). */
  readonly shownAs: string;
  /** The language of the message (the chat's, or the account's); English by default. */
  readonly locale?: Locale;
  /**
   * The message around the code: catalog keys (defaults to the generic code message), or a function that
   * composes it from the code (e.g. an email that also holds a link and an HTML part).
   */
  readonly message?: CodeMessageKeys | ((code: string) => CodeMessage);
  /**
   * Who asked (a chat identity such as `telegram:42`). When given, the requester's own hourly budget
   * (REQUESTER_HOURLY_CAP) is spent too, before any destination's, so a requester over its budget cannot
   * use up a destination's.
   */
  readonly requester?: string;
  /**
   * Which per-destination budget the code spends. `owner` (the default): the account's own flows, HOURLY_CAP
   * per destination per hour. `link`: codes asked for by chats that are not linked (anybody can start /link
   * with anybody's number), a small budget of their own (LINK_HOURLY_CAP, growing delays from
   * LINK_FIRST_DELAY_MS) that never spends the owner's, so a stranger cannot block the owner's codes.
   */
  readonly budget?: CodeBudget;
}

export type CodeBudget = 'owner' | 'link';

/** What `claimBudget` took: undone when nothing went out. */
type Claim =
  | { readonly ok: true; readonly undo: () => Promise<void> }
  | { readonly ok: false; readonly result: SendCodeResult };

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
const cooldown = (ms: number): SendCodeResult => ({ ok: false, reason: 'cooldown', seconds: seconds(ms) });

function composeMessage(request: CodeRequest, code: string): CodeMessage {
  const message = request.message ?? GENERIC_MESSAGE;
  if (typeof message === 'function') return message(code);
  return request.channel === 'sms'
    ? { text: { key: message.sms, params: { code } } }
    : { subject: { key: message.emailSubject }, text: { key: message.emailText, params: { code } } };
}

/**
 * One-time codes: 6 digits from a CSPRNG, stored only as an HMAC keyed with SECRET_KEY and bound to
 * subject, purpose and destination; 10-minute expiry, single use, 5 wrong tries kill the code, a 60 s
 * resend cool-down and an hourly cap per destination (ASVS 2.7, Kratos). Budgets are kept apart: per
 * requester when the caller names one, and per destination separately for the owner's flows and for /link
 * (see `CodeRequest.budget`).
 */
export class CodeService {
  constructor(
    private readonly deps: {
      readonly kv: Kv;
      readonly delivery: Delivery;
      readonly clock: Clock;
      readonly secretKey: string;
      readonly log: Logger;
      readonly prefix?: string;
    },
  ) {}

  private key(subject: string, what: string): string {
    return `${this.deps.prefix ?? 'ls:'}{code:${subject}}:${what}`;
  }

  /** The destination's count of codes this hour (the owner's budget). */
  private hourKey(to: string): string {
    return `${this.deps.prefix ?? 'ls:'}code-hour:${to}`;
  }

  /**
   * The resend cool-down of a subject, purpose and destination. Its hash tag is the destination's hour
   * key, so both are one Redis Cluster slot and `claimAndCount` takes them in one step (`shared`); subject
   * and purpose are named by a short digest, so the key stays small (88 B in Redis instead of 120 B with
   * them spelled out). A destination with a brace in it (an odd email address) keeps the subject's tag and
   * takes them apart.
   */
  private cooldownKey(
    request: Pick<CodeRequest, 'subject' | 'purpose' | 'to'>,
    hourKey: string,
  ): { key: string; shared: boolean } {
    if (/[{}]/.test(hourKey)) {
      return { key: this.key(request.subject, `cooldown:${request.purpose}:${request.to}`), shared: false };
    }
    const who = createHash('sha256')
      .update(`${request.subject}\n${request.purpose}`)
      .digest('base64url')
      .slice(0, COOLDOWN_DIGEST_LENGTH);
    return { key: `${this.deps.prefix ?? 'ls:'}{${hourKey}}:cd:${who}`, shared: true };
  }

  private digest(subject: string, purpose: string, to: string, code: string): Buffer {
    return createHmac('sha256', this.deps.secretKey)
      .update(`${subject}\n${purpose}\n${to}\n${code}`)
      .digest();
  }

  /** Creates a code and sends it. A new code replaces any earlier one for the same purpose. */
  async send(request: CodeRequest): Promise<SendCodeResult> {
    const { kv, clock, delivery, log } = this.deps;
    const hourKey = this.hourKey(request.to);
    const cooldownKey = this.cooldownKey(request, hourKey);
    // Claimed atomically, so two chats or processes asking at once cannot both send.
    const sending = `sending:${randomUUID()}`;
    let claim: Claim;
    if (request.budget !== 'link' && request.requester === undefined && cooldownKey.shared) {
      // The owner's budget alone: the cool-down is claimed and the destination's hour counted in one step.
      const claimed = await claimAndCount(kv, {
        claimKey: cooldownKey.key,
        value: sending,
        claimTtlMs: SENDING_CLAIM_MS,
        countKey: hourKey,
        windowMs: HOUR_MS,
        limit: HOURLY_CAP,
      });
      if (!claimed.claimed) return cooldown(claimed.heldMs ?? RESEND_COOLDOWN_MS);
      // Over the cap the claim was given back; the attempt counts towards the cap.
      if (claimed.count > HOURLY_CAP) return { ok: false, reason: 'hourlyCap' };
      claim = { ok: true, undo: async () => {} };
    } else {
      if (!(await kv.setIfAbsent(cooldownKey.key, sending, SENDING_CLAIM_MS))) {
        return cooldown((await kv.ttl(cooldownKey.key)) ?? RESEND_COOLDOWN_MS);
      }
      claim = await this.claimBudget(request, hourKey);
      if (!claim.ok) {
        await kv.del(cooldownKey.key);
        return claim.result;
      }
    }

    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const renew = setInterval(() => {
      kv.compareAndSet(cooldownKey.key, sending, sending, SENDING_CLAIM_MS).catch(() => undefined);
    }, SENDING_CLAIM_MS / 3);
    try {
      await delivery.send({
        channel: request.channel,
        to: request.to,
        locale: request.locale ?? 'en',
        ...composeMessage(request, code),
      });
    } catch (error) {
      clearInterval(renew);
      log.warn(
        {
          purpose: request.purpose,
          channel: request.channel,
          err: error instanceof Error ? error.name : 'unknown',
        },
        'code delivery failed',
      );
      // Nothing went out: the user may try again at once (the attempt still counts towards the caps).
      await kv.del(cooldownKey.key);
      await claim.undo();
      return { ok: false, reason: 'deliveryFailed' };
    }
    clearInterval(renew);
    const stored = formatStoredCode({
      hash: this.digest(request.subject, request.purpose, request.to, code).toString('base64url'),
      expiresAt: clock.now() + CODE_TTL_MS,
      wrong: 0,
    });
    // It went out: the full cool-down starts now, and the code is kept; in a turn both travel with its
    // commit (nobody can type the code before the SMS arrives, and the chat's next turn waits for the commit).
    await setAll(
      kv,
      [
        { key: cooldownKey.key, value: COOLDOWN_SET, ttlMs: RESEND_COOLDOWN_MS },
        {
          key: this.key(request.subject, `code:${request.purpose}`),
          value: stored,
          ttlMs: CODE_TTL_MS + GRACE_MS,
        },
      ],
      { withCommit: true },
    );
    return { ok: true, to: request.shownAs };
  }

  /**
   * Spends the request's budgets, each counted atomically before sending, so attempts past a cap never send,
   * whoever makes them and however many at once. Order: the /link wait (claimed, so only one request passes
   * it at a time), the requester's budget, then the destination's.
   */
  private async claimBudget(request: CodeRequest, hourKey: string): Promise<Claim> {
    const { kv } = this.deps;
    const prefix = this.deps.prefix ?? 'ls:';
    const hourlyCap = { ok: false, result: { ok: false, reason: 'hourlyCap' } } as const;
    const link = request.budget === 'link';
    const waitKey = `${prefix}code-link-wait:${request.to}`;
    if (link && !(await kv.setIfAbsent(waitKey, '1', LINK_FIRST_DELAY_MS))) {
      const left = (await kv.ttl(waitKey)) ?? LINK_FIRST_DELAY_MS;
      return { ok: false, result: { ok: false, reason: 'cooldown', seconds: seconds(left) } };
    }
    if (request.requester !== undefined) {
      const key = `${prefix}code-req-hour:${request.requester}`;
      if (!(await reserveAttempt(kv, key, REQUESTER_HOURLY_CAP, HOUR_MS, HOUR_MS)).ok) {
        if (link) await kv.del(waitKey);
        return hourlyCap;
      }
    }
    if (!link) {
      // The attempt counts towards the cap even when the delivery fails.
      return (await kv.increment(hourKey, HOUR_MS)) > HOURLY_CAP
        ? hourlyCap
        : { ok: true, undo: async () => {} };
    }
    const linkKey = `${prefix}code-link-hour:${request.to}`;
    const reserved = await reserveAttempt(kv, linkKey, LINK_HOURLY_CAP, HOUR_MS, HOUR_MS);
    if (!reserved.ok) {
      await kv.del(waitKey);
      return hourlyCap;
    }
    // The wait before the next /link code to this destination doubles with every code sent this hour.
    await kv.set(waitKey, '1', LINK_FIRST_DELAY_MS * 2 ** (reserved.count - 1));
    return {
      ok: true,
      // Nothing went out: neither the wait nor the destination's /link budget is spent.
      undo: async () => {
        await kv.del(waitKey);
        await releaseAttempt(kv, linkKey);
      },
    };
  }

  /**
   * Checks a code. Right: the code is used up, and its resend cool-down ends. Wrong: one of five tries is
   * used; the fifth kills it. Malformed input (not 6 digits) costs no try.
   */
  async check(subject: string, purpose: string, to: string, input: string): Promise<CheckCodeResult> {
    const code = input.replace(/[\s-]/g, '');
    if (!/^\d{6}$/.test(code)) return { ok: false, reason: 'format' };
    const { kv, clock } = this.deps;
    const key = this.key(subject, `code:${purpose}`);
    const digest = this.digest(subject, purpose, to, code);
    const attempt: CodeAttempt = {
      hash: digest.toString('base64url'),
      hexHash: digest.toString('hex'),
      to,
      now: clock.now(),
      maxWrong: MAX_WRONG_TRIES,
      graceMs: GRACE_MS,
    };
    const checked = await checkCode(kv, key, attempt);
    if (checked.result === 'ok') {
      // The code reached whoever typed it: its cool-down has done its work, and the next task that needs a
      // code there (within the minute) need not wait. The hour's cap still counts it. Only a settled
      // cool-down goes: a code being sent right now keeps its claim. In a turn the delete travels with its
      // commit.
      const cooldownKey = this.cooldownKey({ subject, purpose, to }, this.hourKey(to)).key;
      await kv.deleteIfEquals(cooldownKey, COOLDOWN_SET, { withCommit: true });
      return { ok: true };
    }
    if (checked.result === 'wrong') return { ok: false, reason: 'wrong', remaining: checked.remaining };
    return { ok: false, reason: checked.result };
  }

  /** Forgets the pending code of a purpose (e.g. when its flow is cancelled or completes otherwise). */
  async discard(subject: string, purpose: string): Promise<void> {
    await this.deps.kv.del(this.key(subject, `code:${purpose}`));
  }
}

import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import type { CheckCodeResult, SendCodeResult } from '../../flows/ports.ts';
import { type MessageKey, t } from '../catalog/catalog.ts';
import type { Clock } from '../clock.ts';
import type { Delivery, OutgoingMessage } from '../delivery/delivery.ts';
import type { Kv } from '../kv/kv.ts';
import type { Logger } from '../log.ts';

export const CODE_TTL_MS = 10 * 60_000;
export const MAX_WRONG_TRIES = 5;
export const RESEND_COOLDOWN_MS = 60_000;
export const HOURLY_CAP = 5;

interface StoredCode {
  readonly hash: string;
  readonly to: string;
  readonly expiresAt: number;
  readonly wrong: number;
}

/** A code message as catalog keys: the SMS text, or the email's subject and text (`{code}` in the texts). */
export interface CodeMessageKeys {
  readonly sms: MessageKey;
  readonly emailSubject: MessageKey;
  readonly emailText: MessageKey;
}

/** A composed code message: everything but its channel and recipient, which come from the request. */
export type CodeMessage = Omit<OutgoingMessage, 'channel' | 'to'>;

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
  /**
   * The message around the code: catalog keys (defaults to the generic code message), or a function that
   * composes it from the code (e.g. an email that also holds a link and an HTML part).
   */
  readonly message?: CodeMessageKeys | ((code: string) => CodeMessage);
}

function renderMessage(request: CodeRequest, code: string): CodeMessage {
  const message = request.message ?? GENERIC_MESSAGE;
  if (typeof message === 'function') return message(code);
  return request.channel === 'sms'
    ? { text: t('en', message.sms, { code }) }
    : { subject: t('en', message.emailSubject), text: t('en', message.emailText, { code }) };
}

/**
 * One-time codes: 6 digits from a CSPRNG, stored only as an HMAC keyed with SECRET_KEY and bound to
 * subject, purpose and destination; 10-minute expiry, single use, 5 wrong tries kill the code, a 60 s
 * resend cool-down and an hourly cap per destination (ASVS 2.7, Kratos).
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

  private digest(subject: string, purpose: string, to: string, code: string): string {
    return createHmac('sha256', this.deps.secretKey)
      .update(`${subject}\n${purpose}\n${to}\n${code}`)
      .digest('hex');
  }

  /** Creates a code and sends it. A new code replaces any earlier one for the same purpose. */
  async send(request: CodeRequest): Promise<SendCodeResult> {
    const { kv, clock, delivery, log } = this.deps;
    const cooldownKey = this.key(request.subject, `cooldown:${request.purpose}:${request.to}`);
    // Claimed atomically, so two chats or processes asking at once cannot both send.
    if (!(await kv.setIfAbsent(cooldownKey, '1', RESEND_COOLDOWN_MS))) {
      const left = (await kv.ttl(cooldownKey)) ?? RESEND_COOLDOWN_MS;
      return { ok: false, reason: 'cooldown', seconds: Math.max(1, Math.ceil(left / 1000)) };
    }
    const hourKey = `${this.deps.prefix ?? 'ls:'}code-hour:${request.to}`;
    // Counted before sending (atomic increment): attempts past the cap never send, whoever makes them.
    if ((await kv.increment(hourKey, 60 * 60_000)) > HOURLY_CAP) {
      await kv.del(cooldownKey);
      return { ok: false, reason: 'hourlyCap' };
    }

    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    try {
      await delivery.send({ channel: request.channel, to: request.to, ...renderMessage(request, code) });
    } catch (error) {
      log.warn(
        {
          purpose: request.purpose,
          channel: request.channel,
          err: error instanceof Error ? error.name : 'unknown',
        },
        'code delivery failed',
      );
      // Nothing went out: the user may try again at once (the attempt still counts towards the cap).
      await kv.del(cooldownKey);
      return { ok: false, reason: 'deliveryFailed' };
    }
    const stored: StoredCode = {
      hash: this.digest(request.subject, request.purpose, request.to, code),
      to: request.to,
      expiresAt: clock.now() + CODE_TTL_MS,
      wrong: 0,
    };
    await kv.set(
      this.key(request.subject, `code:${request.purpose}`),
      JSON.stringify(stored),
      CODE_TTL_MS + 60_000,
    );
    return { ok: true, to: request.shownAs };
  }

  /**
   * Checks a code. Right: the code is used up. Wrong: one of five tries is used; the fifth kills it.
   * Malformed input (not 6 digits) costs no try.
   */
  async check(subject: string, purpose: string, to: string, input: string): Promise<CheckCodeResult> {
    const code = input.replace(/[\s-]/g, '');
    if (!/^\d{6}$/.test(code)) return { ok: false, reason: 'format' };
    const { kv, clock } = this.deps;
    const key = this.key(subject, `code:${purpose}`);
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const raw = await kv.get(key);
      if (raw === null) return { ok: false, reason: 'missing' };
      const stored = JSON.parse(raw) as StoredCode;
      if (stored.expiresAt <= clock.now()) {
        await kv.compareAndSet(key, raw, null);
        return { ok: false, reason: 'expired' };
      }
      const expected = Buffer.from(stored.hash, 'hex');
      const actual = Buffer.from(this.digest(subject, purpose, to, code), 'hex');
      if (stored.to === to && timingSafeEqual(expected, actual)) {
        // Single use: only the writer that deletes it wins, so a code cannot be spent twice.
        if (await kv.compareAndSet(key, raw, null)) return { ok: true };
        continue;
      }
      const wrong = stored.wrong + 1;
      if (wrong >= MAX_WRONG_TRIES) {
        if (await kv.compareAndSet(key, raw, null)) return { ok: false, reason: 'exhausted' };
        continue;
      }
      const next = JSON.stringify({ ...stored, wrong });
      if (await kv.compareAndSet(key, raw, next, Math.max(1, stored.expiresAt - clock.now() + 60_000))) {
        return { ok: false, reason: 'wrong', remaining: MAX_WRONG_TRIES - wrong };
      }
    }
    return { ok: false, reason: 'missing' };
  }

  /** Forgets the pending code of a purpose (e.g. when its flow is cancelled or completes otherwise). */
  async discard(subject: string, purpose: string): Promise<void> {
    await this.deps.kv.del(this.key(subject, `code:${purpose}`));
  }
}

import { randomUUID } from 'node:crypto';
import { type Clock, systemClock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { type Delivery, DeliveryError, type OutgoingMessage } from './delivery.ts';
import { postSigned, type SignedPostResult } from './signed-webhook.ts';
import { renderOutgoing } from './render.ts';

export interface WebhookSmsDeliveryOptions {
  /** Where to POST each SMS (`https://sms-gateway.internal/send`). */
  readonly url: string;
  /** HMAC-SHA256 key for `x-lockstep-signature`; the receiver holds the same key. */
  readonly secretKey: string;
  /** Per-attempt limit in ms, from sending the request to receiving the response headers. Default 5000. */
  readonly timeoutMs?: number;
  /** Attempts in total, the first included. Default 3. */
  readonly attempts?: number;
  /** Back-off before the second attempt in ms; doubles each time, plus up to the same again as jitter. Default 200. */
  readonly baseDelayMs?: number;
  /** The longest wait a `Retry-After` header can impose, in ms. Default 5000. */
  readonly maxRetryAfterMs?: number;
  readonly clock?: Clock;
  /** Gets one line per failed attempt (message id, attempt, status): never the number or the text. */
  readonly log?: Logger;
  /** Test seams. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly newId?: () => string;
}

// The signature and its check are shared with the support webhook (`./signed-webhook.ts`).
export { signWebhook, verifyWebhookSignature } from './signed-webhook.ts';

const E164 = /^\+[1-9]\d{6,14}$/;

type AttemptResult = SignedPostResult;

/**
 * Sends SMS by POSTing them to an HTTP endpoint the operator runs (a gateway in front of any SMS provider).
 *
 * Request: `POST url` with body `{"id","to","text","at"}` and headers `x-lockstep-timestamp` (unix seconds),
 * `x-lockstep-signature` (see `signWebhook`) and `idempotency-key` (the message id, the same on every retry,
 * so the receiver can drop duplicates). Any 2xx is success. Network errors, timeouts, 429 and 5xx are
 * retried with exponential back-off and jitter (a `Retry-After` is honoured up to a cap); other answers,
 * redirects included, fail at once.
 */
export class WebhookSmsDelivery implements Delivery {
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly clock: Clock;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly newId: () => string;

  constructor(private readonly options: WebhookSmsDeliveryOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new TypeError('The SMS webhook URL is not a valid URL');
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw new TypeError('The SMS webhook URL must start with https:// or http://');
    }
    if (options.secretKey.length === 0) throw new TypeError('The SMS webhook needs a secret key');
    this.url = options.url;
    this.timeoutMs = positive(options.timeoutMs ?? 5_000, 'timeoutMs');
    this.attempts = Math.floor(positive(options.attempts ?? 3, 'attempts'));
    this.baseDelayMs = nonNegative(options.baseDelayMs ?? 200, 'baseDelayMs');
    this.maxRetryAfterMs = nonNegative(options.maxRetryAfterMs ?? 5_000, 'maxRetryAfterMs');
    this.clock = options.clock ?? systemClock;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.newId = options.newId ?? randomUUID;
  }

  async send(outgoing: OutgoingMessage): Promise<void> {
    const message = renderOutgoing(outgoing);
    if (message.channel !== 'sms') {
      throw new DeliveryError(`WebhookSmsDelivery cannot send ${message.channel} messages`, message.channel);
    }
    if (!E164.test(message.to)) {
      throw new DeliveryError('The phone number is not in E.164 form', 'sms');
    }
    const id = this.newId();
    const body = JSON.stringify({
      id,
      to: message.to,
      text: message.text,
      at: new Date(this.clock.now()).toISOString(),
    });

    let last: Extract<AttemptResult, { ok: false }> | undefined;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      const result = await this.attempt(id, body);
      if (result.ok) return;
      last = result;
      this.options.log?.warn(
        { channel: 'sms', id, attempt, of: this.attempts, reason: result.reason, willRetry: result.retry },
        'SMS webhook attempt failed',
      );
      if (!result.retry || attempt === this.attempts) break;
      await this.sleep(this.delayBefore(attempt + 1, result.retryAfterMs));
    }
    throw new DeliveryError(`SMS webhook failed (${last?.reason ?? 'no attempt'})`, 'sms', {
      cause: last?.cause,
    });
  }

  private attempt(id: string, body: string): Promise<AttemptResult> {
    // A fresh timestamp per attempt, so a retry after a long back-off still passes the receiver's window.
    return postSigned({
      url: this.url,
      secrets: this.options.secretKey,
      id,
      body,
      nowMs: this.clock.now(),
      timeoutMs: this.timeoutMs,
    });
  }

  private delayBefore(attempt: number, retryAfterMs: number | undefined): number {
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, this.maxRetryAfterMs);
    const backoff = this.baseDelayMs * 2 ** (attempt - 2);
    return Math.round(backoff + this.random() * backoff);
  }
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number`);
  return value;
}

function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must not be negative`);
  return value;
}

/**
 * The support webhook: every handoff status change and every escalation is POSTed to SUPPORT_WEBHOOK_URL,
 * signed like the SMS webhook (`../delivery/signed-webhook.ts`): HMAC-SHA256 over `"<timestamp>.<body>"`
 * in `x-lockstep-signature` (one value per secret while a secret is rotated), `x-lockstep-timestamp`, and
 * `idempotency-key` = the delivery id, which is also the body's `id` and stays the same on every retry.
 *
 * Deliveries are durable: an event is queued in the store (one sorted set) and sent right away in the
 * background; a network error, a timeout, 429 or 5xx is retried with doubling back-off (`Retry-After`
 * honoured up to a cap), from any process that drains the queue. Other answers are final.
 *
 * Body: `{ "id": "whd_...", "type": "handoff.status" | "escalation.opened" | "escalation.resolved",
 *          "at": "<ISO time>", "data": { ... } }`.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { postSigned } from '../delivery/signed-webhook.ts';
import type { Kv } from '../kv/kv.ts';
import { describeError, type Logger } from '../log.ts';

export type SupportEventType = 'handoff.status' | 'escalation.opened' | 'escalation.resolved';

export interface SupportEvent {
  readonly id: string;
  readonly type: SupportEventType;
  readonly at: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface SupportWebhookOptions {
  readonly kv: Kv;
  readonly clock: Clock;
  readonly log: Logger;
  readonly prefix?: string;
  /** Where to POST; without it events are not sent (nothing is queued). */
  readonly url?: string;
  /** The signing secrets, the newest first; two during a rotation. */
  readonly secrets?: readonly string[];
  /** Attempts in total. Default 8. */
  readonly attempts?: number;
  /** The first retry waits this long, doubling. Default 1 s. */
  readonly baseDelayMs?: number;
  /** The longest wait between attempts (and the cap of `Retry-After`). Default 5 minutes. */
  readonly maxDelayMs?: number;
  /** Per attempt. Default 5 s. */
  readonly timeoutMs?: number;
}

interface Job {
  readonly id: string;
  readonly body: string;
  readonly tries: number;
}

export class SupportWebhook {
  private readonly key: string;
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timeoutMs: number;
  private readonly running = new Set<Promise<unknown>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly options: SupportWebhookOptions) {
    if (options.url !== undefined) {
      const parsed = new URL(options.url);
      if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
        throw new TypeError('The support webhook URL must start with https:// or http://');
      if (!options.secrets?.length || options.secrets.some((secret) => secret.length < 32))
        throw new TypeError('The support webhook needs a secret of at least 32 characters');
    }
    this.key = `${options.prefix ?? 'ls:'}support:webhook`;
    this.attempts = options.attempts ?? 8;
    this.baseDelayMs = options.baseDelayMs ?? 1_000;
    this.maxDelayMs = options.maxDelayMs ?? 5 * 60_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  get enabled(): boolean {
    return this.options.url !== undefined;
  }

  /** Queues one event and starts sending it; returns the event (with its delivery id). */
  async emit(type: SupportEventType, data: Readonly<Record<string, unknown>>): Promise<SupportEvent | null> {
    if (!this.enabled) return null;
    const event: SupportEvent = {
      id: `whd_${randomBytes(12).toString('base64url')}`,
      type,
      at: new Date(this.options.clock.now()).toISOString(),
      data,
    };
    const job: Job = { id: event.id, body: JSON.stringify(event), tries: 0 };
    await this.options.kv.schedule(this.key, JSON.stringify(job), this.options.clock.now());
    this.track(this.drain());
    return event;
  }

  /** Sends every delivery that is due; returns how many were accepted. Safe from every process. */
  async drain(limit = 20): Promise<number> {
    const { kv, clock, log, url, secrets } = this.options;
    if (!url || !secrets) return 0;
    const due = await kv.takeDue(this.key, clock.now(), limit);
    let sent = 0;
    await Promise.all(
      due.map(async (member) => {
        const job = JSON.parse(member) as Job;
        const result = await postSigned({
          url,
          secrets,
          id: job.id,
          body: job.body,
          nowMs: clock.now(),
          timeoutMs: this.timeoutMs,
        });
        if (result.ok) {
          sent += 1;
          return;
        }
        const tries = job.tries + 1;
        const willRetry = result.retry && tries < this.attempts;
        log.warn(
          { delivery: job.id, attempt: tries, of: this.attempts, reason: result.reason, willRetry },
          'support webhook attempt failed',
        );
        if (!willRetry) return;
        const backoff = Math.min(this.baseDelayMs * 2 ** (tries - 1), this.maxDelayMs);
        const wait = Math.min(Math.max(backoff, result.retryAfterMs ?? 0), this.maxDelayMs);
        const next: Job = { ...job, tries };
        await kv.schedule(this.key, JSON.stringify(next), clock.now() + wait);
        this.later(wait);
      }),
    ).catch((error: unknown) => log.warn({ err: describeError(error) }, 'support webhook drain failed'));
    return sent;
  }

  /** Waits until every send started by this process has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Stops the in-process retry timers (queued deliveries stay in the store for the next drain). */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private later(ms: number): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.track(this.drain());
    }, ms + 5);
    timer.unref();
    this.timers.add(timer);
  }

  private track(promise: Promise<unknown>): void {
    const tracked = promise.catch(() => {}).finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }
}

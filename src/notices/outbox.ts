import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Delivery, OutgoingMessage } from '../delivery/delivery.ts';
import { type Kv, scheduleAll } from '../kv/kv.ts';
import { inTurnScope } from '../kv/read-scope.ts';
import { renderOutgoing } from '../delivery/render.ts';
import { describeError, type Logger } from '../log.ts';

export interface NoticeOutboxOptions {
  readonly kv: Kv;
  /** The real providers. */
  readonly delivery: Delivery;
  readonly clock: Clock;
  readonly log: Logger;
  readonly prefix?: string;
  /** Tries per message before it is given up (logged). Default 8. */
  readonly maxTries?: number;
  /** The first retry waits this long, doubling each time. Default 30 s. */
  readonly retryMs?: number;
}

interface Job {
  readonly id: string;
  /** As the service handed it over: keys, values and language (no rendered text is stored). */
  readonly message: OutgoingMessage;
  readonly tries: number;
}

/**
 * Security notices ("your password was changed") go out after the change, not inside it: the change is
 * committed first, the notice is written to a durable queue (one sorted set in the store), and sent right
 * away in the background and again later while the provider fails. A slow or failing SMS gateway therefore
 * never holds up a step, never makes the bot say "nothing was changed" after a change, and never makes a
 * retry apply the change twice. Each queued message is taken by exactly one process. The queue holds
 * catalog keys and values, rendered when the message goes out.
 *
 * @example
 * const outbox = new NoticeOutbox({ kv, delivery, clock, log });
 * const passwords = new PasswordService({ ..., delivery: outbox.delivery }); // notices only
 * setInterval(() => void outbox.drain(), 5_000);
 */
export class NoticeOutbox {
  private readonly key: string;
  private readonly maxTries: number;
  private readonly retryMs: number;
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly options: NoticeOutboxOptions) {
    this.key = `${options.prefix ?? 'ls:'}notices`;
    this.maxTries = options.maxTries ?? 8;
    this.retryMs = options.retryMs ?? 30_000;
  }

  /** A `Delivery` whose `send` queues the message and returns at once (for services' notices). */
  readonly delivery: Delivery = {
    send: (message) => this.enqueue(message),
  };

  /** Messages queued in this tick, written together (one ZADD) at its end. */
  private batch: { readonly member: string; readonly done: (error?: unknown) => void }[] | null = null;

  /**
   * Queues one message and starts sending it in the background. Messages queued in the same tick (the SMS
   * and the email of one notice) are written in one command and sent by one drain.
   */
  enqueue(message: OutgoingMessage): Promise<void> {
    const job: Job = { id: randomUUID(), message, tries: 0 };
    return new Promise((resolve, reject) => {
      if (this.batch === null) {
        this.batch = [];
        queueMicrotask(() => this.flush());
      }
      this.batch.push({ member: JSON.stringify(job), done: (error) => (error ? reject(error) : resolve()) });
    });
  }

  private flush(): void {
    const batch = this.batch ?? [];
    this.batch = null;
    const now = this.options.clock.now();
    // One drain for the batch, large enough to take all of it at once, once it is in the queue.
    let drained = false;
    const drain = () => {
      if (drained) return;
      drained = true;
      this.track(this.drain(Math.max(50, batch.length)));
    };
    const deferrable = inTurnScope();
    scheduleAll(
      this.options.kv,
      this.key,
      batch.map(({ member }) => [member, now] as const),
      // In a turn the queue is written with the turn's commit (the change itself is already applied).
      { withCommit: true, sent: drain },
    ).then(
      () => {
        for (const { done } of batch) done();
        // Outside a turn it is written by now (also through a store that does not report `sent`).
        if (!deferrable) drain();
      },
      (error: unknown) => {
        for (const { done } of batch) done(error ?? new Error('the notice queue could not be written'));
      },
    );
  }

  /** Sends every message that is due; returns how many went out. Safe to call from every process. */
  async drain(limit = 50): Promise<number> {
    const { kv, clock, log, delivery } = this.options;
    const due = await kv.takeDue(this.key, clock.now(), limit);
    let sent = 0;
    await Promise.all(
      due.map(async (member) => {
        const job = JSON.parse(member) as Job;
        try {
          // Rendered now, in the language the notice was queued with.
          await delivery.send(renderOutgoing(job.message));
          sent += 1;
        } catch (error) {
          const tries = job.tries + 1;
          if (tries >= this.maxTries) {
            log.error(
              { notice: job.id, channel: job.message.channel, tries, err: describeError(error) },
              'a security notice was given up after repeated failures',
            );
            return;
          }
          log.warn(
            { notice: job.id, channel: job.message.channel, tries, err: describeError(error) },
            'a security notice could not be sent yet; it will be tried again',
          );
          const next: Job = { ...job, tries };
          await kv.schedule(this.key, JSON.stringify(next), clock.now() + this.retryMs * 2 ** (tries - 1));
        }
      }),
    );
    return sent;
  }

  /** Resolves once the background sends started by `enqueue` in this process are over. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Drains every `intervalMs` (retries); returns a function that stops it. */
  start(intervalMs = 5_000): () => void {
    const timer = setInterval(() => this.track(this.drain()), intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  private track(task: Promise<unknown>): void {
    const guarded = task.catch((error: unknown) =>
      this.options.log.warn({ err: describeError(error) }, 'the notice queue could not be read'),
    );
    this.running.add(guarded);
    void guarded.finally(() => this.running.delete(guarded));
  }
}

/**
 * A lease on Redis, and an election over it: of several processes sharing one Redis, exactly one holds
 * the lease at a time (e.g. the one Telegram long poller). The holder renews it well before it runs out;
 * a holder that dies stops renewing, and another process takes it over once it has expired.
 *
 * @example
 * const election = new Election({
 *   lease: new RedisLease(redis, 'ls:{lease}:telegram-poller', 10_000),
 *   log,
 *   onElected: () => telegram.start(),
 *   onDeposed: () => telegram.stop(),
 * });
 * await election.start();   // elected or on standby; keeps trying in the background
 * // at shutdown:
 * await election.stop();    // stops the work and frees the lease for the others at once
 */
import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../kv/redis-kv.ts';
import { describeError, type Logger } from '../log.ts';

/** Extends the lease by ARGV[2] ms only if ARGV[1] still holds it (1), else leaves it alone (0). */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

/** Deletes the lease only if ARGV[1] holds it. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/** One process's claim on a named lease. */
export class RedisLease {
  /** Who this process is, in the lease's value: random per instance. */
  readonly holder: string;

  constructor(
    private readonly redis: RedisClient,
    readonly key: string,
    readonly ttlMs: number,
    holder?: string,
  ) {
    this.holder = holder ?? `${process.pid}-${randomBytes(6).toString('hex')}`;
  }

  /** Takes the lease if nobody holds it (SET NX PX). True when this holder has it now. */
  async acquire(): Promise<boolean> {
    const set = await this.redis.set(this.key, this.holder, 'PX', this.ttlMs, 'NX');
    if (set === 'OK') return true;
    // Still ours (a renewal was lost on the way, say): extend it rather than wait for it to lapse.
    return this.renew();
  }

  /** Extends the lease by its TTL if this holder still has it (compare-and-PEXPIRE, one script). */
  async renew(): Promise<boolean> {
    const renewed = await this.redis.eval(RENEW, 1, this.key, this.holder, String(this.ttlMs));
    return Number(renewed) === 1;
  }

  /** Gives the lease up if this holder has it, so another process need not wait for it to expire. */
  async release(): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, this.holder);
  }

  /** Who holds the lease now (null: nobody). */
  async current(): Promise<string | null> {
    return this.redis.get(this.key);
  }
}

/** The part of a lease an election uses. */
export interface Lease {
  readonly ttlMs: number;
  acquire(): Promise<boolean>;
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

export interface ElectionOptions {
  readonly lease: Lease;
  readonly log: Logger;
  /** What the elected process does: called on election, awaited. If it throws, the lease is given back. */
  onElected(): Promise<void>;
  /** Stop doing it: called when the lease is lost (or at `stop()`), awaited. */
  onDeposed(): Promise<void>;
  /** How often the holder renews and a standby tries to take over. Default a third of the TTL. */
  readonly checkEveryMs?: number;
  /** Names the work in log lines, e.g. `telegram poller`. */
  readonly name?: string;
}

/**
 * Runs `onElected` in exactly one of the processes that share the lease, and moves it to another one
 * when the holder dies or loses Redis. A holder that cannot renew stops its work before the lease could
 * have run out, so two holders never overlap by more than a Redis round trip.
 */
export class Election {
  private timer: NodeJS.Timeout | null = null;
  private leader = false;
  private stopped = false;
  private renewedAt = 0;
  private tick: Promise<void> = Promise.resolve();
  private readonly checkEveryMs: number;
  private readonly name: string;

  constructor(private readonly options: ElectionOptions) {
    this.checkEveryMs = options.checkEveryMs ?? Math.max(100, Math.floor(options.lease.ttlMs / 3));
    this.name = options.name ?? 'lease';
  }

  /** This process holds the lease and does the work. */
  get elected(): boolean {
    return this.leader;
  }

  /**
   * Makes the first attempt (resolves once this process is elected and `onElected` has run, or is on
   * standby; rejects when `onElected` failed), then goes on in the background.
   */
  async start(): Promise<void> {
    this.stopped = false;
    await this.step(true);
    this.schedule();
  }

  /** Stops trying; the holder stops its work (`onDeposed`) and releases the lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.tick;
    if (!this.leader) return;
    this.leader = false;
    await this.options.onDeposed();
    await this.options.lease.release().catch(() => undefined);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.tick = this.step(false).finally(() => this.schedule());
    }, this.checkEveryMs);
    // The process lives as long as its adapters and signals say; this timer alone does not hold it.
    this.timer.unref();
  }

  private async step(first: boolean): Promise<void> {
    if (this.stopped) return;
    const { lease, log } = this.options;
    if (this.leader) {
      const startedAt = Date.now();
      let kept: boolean | 'unknown';
      try {
        kept = await lease.renew();
      } catch (error) {
        kept = 'unknown';
        log.warn({ err: describeError(error) }, `${this.name}: could not renew the lease`);
      }
      if (kept === true) {
        this.renewedAt = startedAt;
        return;
      }
      // Lost for sure, or possibly by the next check: stop before another process may have taken over.
      if (kept === 'unknown' && Date.now() + this.checkEveryMs < this.renewedAt + lease.ttlMs) return;
      this.leader = false;
      log.warn({}, `${this.name}: lost the lease; stopping, on standby`);
      await this.options.onDeposed().catch((error: unknown) => {
        log.error({ err: describeError(error) }, `${this.name}: could not stop`);
      });
      return;
    }
    const startedAt = Date.now();
    let won = false;
    try {
      won = await lease.acquire();
    } catch (error) {
      log.warn({ err: describeError(error) }, `${this.name}: could not ask for the lease`);
    }
    if (!won) {
      if (first) log.info({}, `${this.name}: on standby (another process holds the lease)`);
      return;
    }
    this.leader = true;
    this.renewedAt = startedAt;
    try {
      await this.options.onElected();
    } catch (error) {
      this.leader = false;
      await lease.release().catch(() => undefined);
      if (first) throw error;
      log.error({ err: describeError(error) }, `${this.name}: could not start; on standby`);
      return;
    }
    log.info({}, `${this.name}: elected (this process holds the lease)`);
  }
}

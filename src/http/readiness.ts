/**
 * Is each dependency reachable? The answers behind `/readyz`, the bounded waits of the start-up (fail fast
 * with the cause), and how the Redis client reconnects during an outage.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { describeSetting } from '../config.ts';
import type { Logger } from '../log.ts';

/** The longest pause between two reconnection attempts, before jitter. */
export const REDIS_RECONNECT_MAX_MS = 1_000;

/**
 * The pause before reconnection attempt `times` (1, 2, ...): 100 ms doubling up to REDIS_RECONNECT_MAX_MS,
 * then that for as long as Redis is away, each with up to a fifth of random jitter so that many processes
 * do not reconnect in step after a Redis restart. Never gives up (`null`): a running process waits for
 * Redis to come back; only the start-up gives up (`waitForRedis`).
 */
export function redisReconnectDelay(times: number, random: () => number = Math.random): number {
  const base = Math.min(100 * 2 ** Math.max(0, Math.min(times, 16) - 1), REDIS_RECONNECT_MAX_MS);
  return Math.round(base * (1 + random() / 5));
}

/**
 * How the process talks to Redis, every wait bounded. A connection attempt gives up after
 * `connectTimeout`; a command sent while the connection is down waits for at most one reconnection, then
 * fails, so a user hears "temporarily unavailable" within about three seconds instead of waiting; a command
 * on a connection that stopped answering fails after `commandTimeout`. The client keeps reconnecting
 * (`redisReconnectDelay`, at most about a second apart), so service comes back by itself when Redis does.
 */
export const REDIS_CLIENT_OPTIONS: RedisOptions = {
  connectTimeout: 2_000,
  commandTimeout: 3_000,
  maxRetriesPerRequest: 1,
  enableOfflineQueue: true,
  retryStrategy: (times: number) => redisReconnectDelay(times),
};

/** How long the start-up waits for the first PING (and for `getMe`) before it gives up. */
export const START_WAIT_MS = 5_000;

/** A dependency could not be reached at start; `message` names the setting and the cause, never a secret. */
export class DependencyUnreachable extends Error {
  override readonly name = 'DependencyUnreachable';
  constructor(
    /** The setting that points at the dependency, e.g. `REDIS_URL`. */
    readonly setting: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The cause of a connection problem in a word or a short phrase: a system error code (`ECONNREFUSED`,
 * `ENOTFOUND`, `ETIMEDOUT`), else the first line of a server's answer (`WRONGPASS ...`), cut short.
 * Never a URL: system errors are reduced to their code because their messages may quote one.
 */
export function connectionCause(error: unknown): string {
  for (let current = error, depth = 0; current && depth < 5; depth += 1) {
    if (typeof current !== 'object') break;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z0-9_]+$/.test(code)) return code;
    current =
      (current as { cause?: unknown; error?: unknown }).cause ?? (current as { error?: unknown }).error;
  }
  if (error instanceof Error) {
    const line = (error.message.split('\n', 1)[0] ?? '').replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '(url)');
    return line.length > 120 ? `${line.slice(0, 117)}...` : line || error.name;
  }
  return 'unknown error';
}

/** Resolves after `ms`, or at once when `signal` aborts; the timer never outlives the wait. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** True when Redis answers PING within `timeoutMs`; never throws. */
export async function pingRedis(redis: Redis, timeoutMs = 1_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const ping = redis.ping().then(
    (answer) => answer === 'PONG',
    () => false,
  );
  return Promise.race([ping, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The start-up's wait for Redis: PINGs until one is answered, for at most `timeoutMs`. Throws
 * `DependencyUnreachable` naming the setting and its masked value (`REDIS_URL=redis://127.0.0.1:1`) and the
 * last connection error's cause; returns quietly (without Redis) when `signal` aborts.
 */
export async function waitForRedis(
  redis: Redis,
  options: {
    /** The setting that names Redis, and its value (masked before it is shown). */
    readonly setting: string;
    readonly url: string;
    readonly timeoutMs?: number;
    readonly signal?: AbortSignal;
  },
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? START_WAIT_MS;
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  const onError = (error: unknown) => {
    last = error;
  };
  redis.on('error', onError);
  try {
    while (!options.signal?.aborted) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      // The pause ends with the ping (or the signal), so no timer is left behind.
      const attempt = new AbortController();
      const stop = options.signal ? AbortSignal.any([options.signal, attempt.signal]) : attempt.signal;
      try {
        const answer = await Promise.race([redis.ping(), pause(left, stop)]).finally(() => attempt.abort());
        if (answer === 'PONG') return;
      } catch (error) {
        // "max retries per request" says nothing; the connection's own error (kept by onError) does.
        if (!last || (error instanceof Error && error.name === 'ReplyError')) last = error;
        await pause(Math.min(200, Math.max(0, deadline - Date.now())), options.signal);
      }
    }
    if (options.signal?.aborted) return;
    const cause = last ? connectionCause(last) : `no answer within ${Math.round(timeoutMs / 1000)} s`;
    throw new DependencyUnreachable(
      options.setting,
      `cannot reach Redis at ${describeSetting(options.setting, options.url)} (${cause})`,
    );
  } finally {
    redis.off('error', onError);
  }
}

/**
 * Logs a Redis outage once when it begins (with the cause) and once when it ends, instead of a line per
 * reconnection attempt. `shown` is the masked URL.
 */
export function watchRedis(redis: Redis, log: Logger, shown: string): void {
  let down = false;
  let since = 0;
  redis.on('error', (error: unknown) => {
    const cause = connectionCause(error);
    if (down) {
      log.debug({ redis: shown, cause }, 'redis still unreachable');
      return;
    }
    down = true;
    since = Date.now();
    log.warn({ redis: shown, cause }, 'redis connection lost; reconnecting');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log.warn({ redis: shown, downMs: Date.now() - since }, 'redis connection restored');
  });
}

export type Phase = 'starting' | 'serving' | 'draining';

/** What `/readyz` says: `ready`, or why not (`starting`, `draining`, `unavailable`), and each check. */
export interface ReadinessReport {
  readonly ok: boolean;
  readonly status: 'ready' | 'starting' | 'draining' | 'unavailable';
  readonly checks: Readonly<Record<string, boolean>>;
}

/**
 * The process's readiness: its phase (starting, serving, draining after SIGTERM) and whether each
 * dependency answers (Redis PING within a second; each platform adapter's own view of its API).
 * Only a serving process whose checks all pass is ready.
 *
 * @example
 * const readiness = new Readiness(redis);
 * readiness.platform('telegram', () => telegram.health.reachable());
 * readiness.serving(); ... readiness.draining();
 */
export class Readiness {
  private current: Phase = 'starting';
  private readonly platforms = new Map<string, () => boolean>();

  constructor(
    private readonly redis: Redis | null,
    private readonly pingTimeoutMs = 1_000,
  ) {}

  get phase(): Phase {
    return this.current;
  }

  serving(): void {
    if (this.current === 'starting') this.current = 'serving';
  }

  draining(): void {
    this.current = 'draining';
  }

  /** A platform the process serves, with a cheap (synchronous) "can we reach it" answer. */
  platform(name: string, reachable: () => boolean): void {
    this.platforms.set(name, reachable);
  }

  async report(): Promise<ReadinessReport> {
    const checks: Record<string, boolean> = {};
    if (this.redis) checks.redis = await pingRedis(this.redis, this.pingTimeoutMs);
    for (const [name, reachable] of this.platforms) {
      try {
        checks[name] = reachable();
      } catch {
        checks[name] = false;
      }
    }
    const up = Object.values(checks).every(Boolean);
    const status = this.current !== 'serving' ? this.current : up ? 'ready' : 'unavailable';
    return { ok: status === 'ready', status, checks };
  }
}

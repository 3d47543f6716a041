import { afterAll, beforeEach } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { RedisSessionFrame } from '../../src/engine/redis-session-frame.ts';
import type { SessionFrameBackend } from '../../src/engine/session-store.ts';
import type { Kv } from '../../src/kv/kv.ts';
import { MemoryKv } from '../../src/kv/memory-kv.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import { connectRedis, deleteByPrefix, uniquePrefix } from './redis.ts';
import { plainStored } from './stored.ts';

/** One test's view of a backend; a fresh one (new prefix, new clock) for every test. */
export interface KvFixture {
  /** The store under test. */
  readonly kv: Kv;
  /** A second handle on the same data, as another process has it (memory: the same instance). */
  readonly peer: Kv;
  /** A key prefix no other test uses. */
  readonly prefix: string;
  /** The clock services should use; the memory store expires keys by it. */
  readonly clock: ManualClock;
  /** True when time passes for real (Redis): keep TTLs short there. */
  readonly realTime: boolean;
  /** Lets `ms` pass for the store: memory moves the clock; Redis moves the clock and really waits. */
  elapse(ms: number): Promise<void>;
  /** The session frame backend a process uses on this store (`peer`: the second process's). */
  sessionFrame(peer?: boolean): SessionFrameBackend | undefined;
}

export interface Backend {
  readonly name: 'memory' | 'redis';
  /**
   * Call in a `describe` body: registers the hooks that give every test a fresh fixture, and returns a
   * handle whose properties read the current test's fixture.
   */
  use(): KvFixture;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function perTest(create: () => KvFixture): KvFixture {
  let current: KvFixture | null = null;
  beforeEach(() => {
    current = create();
  });
  const get = (): KvFixture => {
    if (!current) throw new Error('the backend fixture is only available inside a test');
    return current;
  };
  return {
    get kv() {
      return get().kv;
    },
    get peer() {
      return get().peer;
    },
    get prefix() {
      return get().prefix;
    },
    get clock() {
      return get().clock;
    },
    get realTime() {
      return get().realTime;
    },
    elapse: (ms) => get().elapse(ms),
    sessionFrame: (peer) => get().sessionFrame(peer),
  };
}

export const memoryBackend: Backend = {
  name: 'memory',
  use() {
    const suite = uniquePrefix();
    let n = 0;
    return perTest(() => {
      const clock = new ManualClock();
      const kv = new MemoryKv(clock);
      return {
        kv,
        peer: kv,
        prefix: `${suite}t${++n}:`,
        clock,
        realTime: false,
        elapse: async (ms) => clock.advance(ms),
        sessionFrame: () => undefined,
      };
    });
  },
};

export const redisBackend: Backend = {
  name: 'redis',
  use() {
    const redis = connectRedis();
    const other = connectRedis();
    const suite = uniquePrefix();
    let n = 0;
    // Registered after connectRedis' own hooks, so (hooks run as a stack) it runs before they disconnect.
    afterAll(async () => {
      await deleteByPrefix(redis, suite).catch(() => {});
    });
    const kv = new RedisKv(redis);
    const peer = new RedisKv(other);
    const frames = [new RedisSessionFrame(redis), new RedisSessionFrame(other)] as const;
    return perTest(() => {
      const clock = new ManualClock();
      return {
        kv,
        peer,
        prefix: `${suite}t${++n}:`,
        clock,
        realTime: true,
        elapse: async (ms) => {
          clock.advance(ms);
          await sleep(ms);
        },
        sessionFrame: (peerSide) => frames[peerSide ? 1 : 0],
      };
    });
  },
};

/** Both backends, for `describe.each`. */
export const backends: readonly Backend[] = [memoryBackend, redisBackend];

/** One write a `RecordingKv` saw. */
export interface KvWrite {
  readonly op: 'set' | 'setIfAbsent' | 'compareAndSet' | 'append' | 'schedule';
  readonly key: string;
  readonly value: string;
}

/**
 * A `Kv` that passes everything through and remembers every value ever written, so tests can prove that
 * no secret reached the store at any point (not just in the final state). A stored session is remembered as
 * its plain JSON (`plainStored`), so a secret cannot hide in its compressed form.
 */
export class RecordingKv implements Kv {
  readonly writes: KvWrite[] = [];

  constructor(readonly inner: Kv) {}

  /** Every written value (and key) that contains `needle`. */
  writesContaining(needle: string | RegExp): KvWrite[] {
    const hit = (s: string) => (typeof needle === 'string' ? s.includes(needle) : needle.test(s));
    return this.writes.filter((w) => hit(w.value) || hit(w.key));
  }

  get(key: string): Promise<string | null> {
    return this.inner.get(key);
  }
  set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.writes.push({ op: 'set', key, value: plainStored(value) });
    return this.inner.set(key, value, ttlMs);
  }
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    this.writes.push({ op: 'setIfAbsent', key, value: plainStored(value) });
    return this.inner.setIfAbsent(key, value, ttlMs);
  }
  compareAndSet(
    key: string,
    expected: string | null,
    value: string | null,
    ttlMs?: number,
  ): Promise<boolean> {
    if (value !== null) this.writes.push({ op: 'compareAndSet', key, value: plainStored(value) });
    return this.inner.compareAndSet(key, expected, value, ttlMs);
  }
  deleteIfEquals(key: string, value: string): Promise<boolean> {
    return this.inner.deleteIfEquals(key, value);
  }
  del(key: string): Promise<void> {
    return this.inner.del(key);
  }
  increment(key: string, ttlMs: number): Promise<number> {
    return this.inner.increment(key, ttlMs);
  }
  ttl(key: string): Promise<number | null> {
    return this.inner.ttl(key);
  }
  append(key: string, value: string): Promise<void> {
    this.writes.push({ op: 'append', key, value });
    return this.inner.append(key, value);
  }
  tail(key: string, count: number): Promise<string[]> {
    return this.inner.tail(key, count);
  }
  schedule(key: string, member: string, dueAt: number): Promise<void> {
    this.writes.push({ op: 'schedule', key, value: member });
    return this.inner.schedule(key, member, dueAt);
  }
  unschedule(key: string, member: string): Promise<void> {
    return this.inner.unschedule(key, member);
  }
  takeDue(key: string, now: number, limit: number): Promise<string[]> {
    return this.inner.takeDue(key, now, limit);
  }
  // The store's own atomic attempt operations, so flow tests run the same script production does.
  get reserveAttempt(): Kv['reserveAttempt'] {
    return this.inner.reserveAttempt?.bind(this.inner);
  }
  get releaseAttempt(): Kv['releaseAttempt'] {
    return this.inner.releaseAttempt?.bind(this.inner);
  }
}

import { type Clock, systemClock } from '../clock.ts';
import { type CodeAttempt, type CodeCheck, judgeCode } from './code-check.ts';
import type {
  AttemptReservation,
  Kv,
  KvWriteEntry,
  ReadAndClaim,
  ScheduleEntry,
  WriteOptions,
} from './kv.ts';

/** A counter's value; anything that is not a positive count is none. */
function counted(value: string | null): number {
  const n = value === null ? 0 : Number.parseInt(value, 10);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

interface Entry {
  value: string | string[] | Map<string, number>;
  expiresAt: number | null;
}

/**
 * The in-memory `Kv` for the console demo and tests. Single process only; expiry follows the injected clock,
 * so tests can move time instead of waiting.
 */
export class MemoryKv implements Kv {
  private readonly data = new Map<string, Entry>();

  constructor(private readonly clock: Clock = systemClock) {}

  private live(key: string): Entry | undefined {
    const entry = this.data.get(key);
    if (entry && entry.expiresAt !== null && entry.expiresAt <= this.clock.now()) {
      this.data.delete(key);
      return undefined;
    }
    return entry;
  }

  private expiry(ttlMs: number | undefined): number | null {
    return ttlMs === undefined ? null : this.clock.now() + ttlMs;
  }

  private string(key: string): string | null {
    const value = this.live(key)?.value;
    if (value === undefined) return null;
    if (typeof value !== 'string') throw new TypeError(`key ${key} does not hold a string`);
    return value;
  }

  async get(key: string): Promise<string | null> {
    return this.string(key);
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.data.set(key, { value, expiresAt: this.expiry(ttlMs) });
  }

  async setAll(entries: readonly KvWriteEntry[], options: WriteOptions = {}): Promise<void> {
    for (const { key, value, ttlMs } of entries) this.data.set(key, { value, expiresAt: this.expiry(ttlMs) });
    options.sent?.();
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.live(key)) return false;
    this.data.set(key, { value, expiresAt: this.expiry(ttlMs) });
    return true;
  }

  async readAndClaim(readKey: string, claimKey: string, value: string, ttlMs: number): Promise<ReadAndClaim> {
    const read = this.string(readKey);
    const held = this.string(claimKey);
    if (held !== null) return { read, claimed: false, held };
    this.data.set(claimKey, { value, expiresAt: this.expiry(ttlMs) });
    return { read, claimed: true, held: null };
  }

  async compareAndSet(
    key: string,
    expected: string | null,
    value: string | null,
    ttlMs?: number,
  ): Promise<boolean> {
    if (this.string(key) !== expected) return false;
    if (value === null) this.data.delete(key);
    else this.data.set(key, { value, expiresAt: this.expiry(ttlMs) });
    return true;
  }

  async deleteIfEquals(key: string, value: string, options: WriteOptions = {}): Promise<boolean> {
    const equal = this.string(key) === value;
    if (equal) this.data.delete(key);
    options.sent?.();
    return equal;
  }

  async del(key: string, options: WriteOptions = {}): Promise<void> {
    this.data.delete(key);
    options.sent?.();
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    const current = this.string(key);
    const next = (current === null ? 0 : Number(current)) + 1;
    const expiresAt = current === null ? this.expiry(ttlMs) : (this.live(key)?.expiresAt ?? null);
    this.data.set(key, { value: String(next), expiresAt });
    return next;
  }

  async reserveAttempt(
    key: string,
    limit: number,
    windowMs: number,
    lockMs: number,
  ): Promise<AttemptReservation> {
    const entry = this.live(key);
    const count = counted(this.string(key));
    if (count >= limit) {
      if (entry && entry.expiresAt === null) entry.expiresAt = this.expiry(lockMs);
      return { ok: false, retryMs: (entry?.expiresAt ?? this.clock.now() + lockMs) - this.clock.now() };
    }
    const next = count + 1;
    const expiresAt = next >= limit ? this.expiry(lockMs) : entry ? entry.expiresAt : this.expiry(windowMs);
    this.data.set(key, { value: String(next), expiresAt });
    return { ok: true, count: next };
  }

  async releaseAttempt(key: string): Promise<void> {
    const entry = this.live(key);
    const count = counted(this.string(key));
    if (!entry || count === 0) return;
    if (count === 1) this.data.delete(key);
    else entry.value = String(count - 1);
  }

  async ttl(key: string): Promise<number | null> {
    const entry = this.live(key);
    if (!entry || entry.expiresAt === null) return null;
    return entry.expiresAt - this.clock.now();
  }

  async append(key: string, value: string): Promise<void> {
    const entry = this.live(key);
    if (entry && Array.isArray(entry.value)) entry.value.push(value);
    else this.data.set(key, { value: [value], expiresAt: null });
  }

  async tail(key: string, count: number): Promise<string[]> {
    const value = this.live(key)?.value;
    return Array.isArray(value) ? value.slice(-count) : [];
  }

  private scheduleOf(key: string): Map<string, number> {
    const entry = this.live(key);
    if (entry && entry.value instanceof Map) return entry.value;
    const fresh = new Map<string, number>();
    this.data.set(key, { value: fresh, expiresAt: null });
    return fresh;
  }

  async schedule(key: string, member: string, dueAt: number): Promise<void> {
    this.scheduleOf(key).set(member, dueAt);
  }

  async checkCode(key: string, attempt: CodeAttempt): Promise<CodeCheck> {
    // Read and write with nothing in between (no await), as the script does on Redis.
    const { check, write } = judgeCode(this.string(key), attempt);
    if (write === null) this.data.delete(key);
    else if (write !== 'keep')
      this.data.set(key, { value: write.value, expiresAt: this.expiry(write.ttlMs) });
    return check;
  }

  async scheduleAll(
    key: string,
    entries: readonly ScheduleEntry[],
    options: WriteOptions = {},
  ): Promise<void> {
    const schedule = this.scheduleOf(key);
    for (const [member, dueAt] of entries) schedule.set(member, dueAt);
    options.sent?.();
  }

  async unschedule(key: string, member: string): Promise<void> {
    this.scheduleOf(key).delete(member);
  }

  async takeDue(key: string, now: number, limit: number): Promise<string[]> {
    const schedule = this.scheduleOf(key);
    const due = [...schedule.entries()]
      .filter(([, at]) => at <= now)
      .sort((a, b) => a[1] - b[1])
      .slice(0, limit)
      .map(([member]) => member);
    for (const member of due) schedule.delete(member);
    return due;
  }
}

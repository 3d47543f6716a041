/**
 * Attempt limits on the `Kv` port: reserve an attempt before checking it, clear on success, give back what
 * did not count. These helpers call the store's own atomic operation (one Lua script on Redis) and fall back,
 * for a store that does not have it (a wrapper in tests, say), to a compare-and-set loop with the same meaning.
 *
 * @example
 * const reserved = await reserveAttempt(kv, key, 5, WINDOW_MS, LOCK_MS);
 * if (!reserved.ok) return locked(reserved.retryMs);
 * if (await check()) await kv.del(key);          // success forgives earlier failures
 * else reportWrong(5 - reserved.count);           // the reservation stays: it was a wrong attempt
 */
import type { AttemptReservation, Kv } from './kv.ts';

/** Compare-and-set rounds before the fallback gives up and refuses (the safe side). */
const MAX_ROUNDS = 100;

function countOf(raw: string | null): number {
  if (raw === null) return 0;
  const n = Number.parseInt(raw, 10);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/** See `Kv.reserveAttempt`. */
export async function reserveAttempt(
  kv: Kv,
  key: string,
  limit: number,
  windowMs: number,
  lockMs: number,
): Promise<AttemptReservation> {
  if (kv.reserveAttempt) return kv.reserveAttempt(key, limit, windowMs, lockMs);
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    const raw = await kv.get(key);
    const count = countOf(raw);
    if (count >= limit) return { ok: false, retryMs: (await kv.ttl(key)) ?? lockMs };
    const next = count + 1;
    const ttl = next >= limit ? lockMs : raw === null ? windowMs : ((await kv.ttl(key)) ?? windowMs);
    if (await kv.compareAndSet(key, raw, String(next), ttl)) return { ok: true, count: next };
  }
  return { ok: false, retryMs: lockMs };
}

/** See `Kv.releaseAttempt`. */
export async function releaseAttempt(kv: Kv, key: string): Promise<void> {
  if (kv.releaseAttempt) return kv.releaseAttempt(key);
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    const raw = await kv.get(key);
    const count = countOf(raw);
    if (count === 0) return;
    const ttl = (await kv.ttl(key)) ?? undefined;
    if (await kv.compareAndSet(key, raw, count === 1 ? null : String(count - 1), ttl)) return;
  }
}

/** Milliseconds until a limit used up at `key` lifts; 0 when attempts are left. Read only. */
export async function lockedForMs(kv: Kv, key: string, limit: number): Promise<number> {
  if (countOf(await kv.get(key)) < limit) return 0;
  return (await kv.ttl(key)) ?? 0;
}

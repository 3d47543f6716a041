/**
 * Issue 16: the attempt limits hold across real processes. Two child processes (tsx) build the services on
 * the same Redis, wait for each other, and fire their guesses at once; together they may check at most the
 * limit, and the right password or code (one in each process, last) is refused.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { AccountStore } from '../../src/accounts/account-store.ts';
import { MAX_WRONG_PASSWORDS } from '../../src/accounts/password-service.ts';
import { ManualClock } from '../../src/clock.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import { MAX_WRONG_SECOND_FACTOR } from '../../src/twofa/second-factor.ts';
import { connectRedis, deleteByPrefix, uniquePrefix } from '../helpers/redis.ts';
import { runScript } from '../helpers/run-process.ts';
import { authenticator } from '../helpers/two-factor.ts';
import { createAccount, enableTwoFactor, RIGHT_PASSWORD, TOTP_SECRET } from './fixtures.ts';

const WORKER = 'test/limits/guess-worker.ts';
const WORKERS = 2;

interface WorkerReport {
  readonly checked: number;
  readonly results: ReadonlyArray<{ ok: boolean; reason?: string }>;
}

describe('attempt limits across two processes on one Redis', () => {
  const redis = connectRedis();
  const kv = new RedisKv(redis);
  const suite = uniquePrefix();
  afterAll(async () => {
    await deleteByPrefix(redis, suite).catch(() => {});
  });
  let n = 0;

  async function race(
    mode: 'password' | 'second-factor',
    setup: (prefix: string, clock: ManualClock) => Promise<{ accountId: string; guesses: string[] }>,
  ) {
    const prefix = `${suite}t${++n}:`;
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 10));
    const { accountId, guesses } = await setup(prefix, clock);
    const env = {
      REDIS_URL: inject('redisUrl'),
      PREFIX: prefix,
      ACCOUNT_ID: accountId,
      MODE: mode,
      GUESSES: JSON.stringify(guesses),
      BARRIER: `${prefix}barrier`,
      WORKERS: String(WORKERS),
      CLOCK_MS: String(clock.now()),
    };
    const runs = await Promise.all(
      Array.from({ length: WORKERS }, () => runScript(WORKER, { env, timeoutMs: 60_000 })),
    );
    const reports = runs.map((run) => {
      expect(run.code, run.stderr).toBe(0);
      return JSON.parse(run.stdout.trim()) as WorkerReport;
    });
    return { accountId, prefix, clock, reports };
  }

  it('checks at most five passwords from two processes guessing at once, and refuses the right one', async () => {
    const { accountId, prefix, reports } = await race('password', async (prefix, clock) => ({
      accountId: await createAccount(kv, clock, prefix),
      guesses: [...Array.from({ length: 7 }, (_, i) => `Wrong-Guess-${i + 1}`), RIGHT_PASSWORD],
    }));
    const checked = reports.reduce((sum, r) => sum + r.checked, 0);
    expect(checked).toBeLessThanOrEqual(MAX_WRONG_PASSWORDS);
    const all = reports.flatMap((r) => r.results);
    expect(all).toHaveLength(16);
    expect(all.filter((r) => r.ok)).toEqual([]);
    for (const report of reports)
      expect(report.results.at(-1)).toMatchObject({ ok: false, reason: 'locked' });
    const events = (await new AccountStore(kv, prefix).events(accountId)).map((e) => e.type);
    expect(events.filter((type) => type === 'password.wrong')).toHaveLength(checked);
  });

  it('looks at most at five second-factor codes from two processes guessing at once, and refuses the right one', async () => {
    const { reports } = await race('second-factor', async (prefix, clock) => {
      const accountId = await createAccount(kv, clock, prefix);
      await enableTwoFactor(kv, clock, prefix, accountId);
      const app = authenticator(TOTP_SECRET, clock);
      const accepted = new Set([await app.code(-1), await app.code(), await app.code(1)]);
      const wrong = Array.from({ length: 20 }, (_, i) => String(200_000 + i * 7_919))
        .filter((code) => !accepted.has(code))
        .slice(0, 7);
      return { accountId, guesses: [...wrong, await app.code()] };
    });
    const checked = reports.reduce((sum, r) => sum + r.checked, 0);
    expect(checked).toBeLessThanOrEqual(MAX_WRONG_SECOND_FACTOR);
    const all = reports.flatMap((r) => r.results);
    expect(all.filter((r) => r.ok)).toEqual([]);
    for (const report of reports) expect(report.results.at(-1)).toEqual({ ok: false, reason: 'tooMany' });
  });
});

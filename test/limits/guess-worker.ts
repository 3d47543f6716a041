/**
 * A child process for test/limits/two-processes.test.ts: builds the password or second-factor service on
 * REDIS_URL as a lockstep process would, waits until every worker is ready (a counter in Redis), fires all
 * its guesses at once and prints one JSON line: how many guesses were really checked, and the outcomes.
 *
 * env: REDIS_URL, PREFIX, ACCOUNT_ID, MODE (`password` | `second-factor`), GUESSES (JSON array of strings),
 * BARRIER (a key), WORKERS (how many workers to wait for), CLOCK_MS (the time the services see).
 */
import { Redis } from 'ioredis';
import { ManualClock } from '../../src/clock.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import { type CheckCounter, passwordServiceOn, secondFactorServiceOn } from './fixtures.ts';

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const redis = new Redis(env('REDIS_URL'), { maxRetriesPerRequest: 2 });
  try {
    const kv = new RedisKv(redis);
    const clock = new ManualClock(Number(env('CLOCK_MS')));
    const prefix = env('PREFIX');
    const accountId = env('ACCOUNT_ID');
    const guesses = JSON.parse(env('GUESSES')) as string[];
    const checked: CheckCounter = { count: 0 };
    const check: (guess: string) => Promise<{ readonly ok: boolean }> =
      env('MODE') === 'password'
        ? (() => {
            const service = passwordServiceOn(kv, clock, prefix, checked);
            return (guess: string) => service.checkCurrent(accountId, guess, 'telegram');
          })()
        : (() => {
            const service = secondFactorServiceOn(kv, clock, prefix, checked);
            return (guess: string) => service.check(accountId, guess, 'telegram');
          })();

    // Everybody starts together: wait until all workers have checked in.
    const workers = Number(env('WORKERS'));
    await redis.incr(env('BARRIER'));
    const deadline = Date.now() + 20_000;
    while (Number(await redis.get(env('BARRIER'))) < workers) {
      if (Date.now() > deadline) throw new Error('the other workers did not come');
      await sleep(5);
    }

    const results = await Promise.all(guesses.map(check));
    process.stdout.write(`${JSON.stringify({ checked: checked.count, results })}\n`);
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});

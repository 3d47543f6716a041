/**
 * Issue 14, point 3: several processes on one Redis in long-polling mode. Two real bot processes
 * (`tsx src/main.ts` twice, the same token and Redis) share the Bot API stand-in, each through its own
 * path (`${api.url}/a`, `/b`) so the stand-in knows who called. Exactly one calls getUpdates (the holder
 * of the poller lease); the other says in its log that it is on standby. The poller is SIGKILLed: the
 * other takes over within about the lease's TTL and answers a message sent afterwards, and no update is
 * handled twice.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { t } from '../../src/catalog/catalog.ts';
import { isShown, shownText } from '../helpers/chat.ts';
import { freePort } from '../helpers/ports.ts';
import { connectRedis, deleteByPrefix, uniquePrefix } from '../helpers/redis.ts';
import { type RunningScript, startScript } from '../helpers/run-process.ts';
import { FakeTelegramApi } from '../helpers/telegram-api.ts';
import { signalNode } from '../helpers/signals.ts';
import { readyz } from './scrape.ts';

const TOKEN = '7000015:AAH_ops-poller-election-abcdefgh';
const SECRET_KEY = 'ops-poller-election-secret-key-0123456789';
/** The poller lease's TTL in src/main.ts (TELEGRAM_POLL_LEASE_MS); renewed and tried every third of it. */
const LEASE_TTL_MS = 5_000;

const redis = connectRedis();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('two processes in polling mode on one Redis', { timeout: 120_000 }, () => {
  const prefix = uniquePrefix();
  const processes: RunningScript[] = [];
  let api: FakeTelegramApi | null = null;
  afterAll(async () => {
    for (const main of processes) await main.kill();
    await api?.close();
    await deleteByPrefix(redis, prefix);
  });

  it('only the elected process polls; when it is killed the other takes over and nothing is handled twice', async () => {
    const stand = await FakeTelegramApi.start({ token: TOKEN, botUsername: 'lockstep_poll_bot' });
    api = stand;
    const env = (caller: string, port: number) => ({
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: `${stand.url}/${caller}`,
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: prefix,
      SECRET_KEY,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      LOG_LEVEL: 'info',
    });
    const a = startScript('src/main.ts', { env: env('a', await freePort()) });
    processes.push(a);
    await a.waitForOutput(/telegram: long polling \(elected poller\)/, 30_000);
    const portB = await freePort();
    const b = startScript('src/main.ts', { env: env('b', portB) });
    processes.push(b);
    await b.waitForOutput(/telegram: on standby, another process polls/, 30_000);
    // Both serve: B is ready too (it sends pushes and takes expiries), it only does not poll.
    await readyz(`http://127.0.0.1:${portB}`);

    // Well past a few renewals, A still polls and B never has.
    await sleep(LEASE_TTL_MS + 1_000);
    const bothUp = Date.now();
    expect(stand.pollArrivals.filter((poll) => poll.caller === 'a').length).toBeGreaterThan(0);
    expect(stand.pollArrivals.filter((poll) => poll.caller === 'b')).toEqual([]);

    // A answers while it polls.
    const alice = stand.person(6015, 'Alice');
    const helpText = t('en', 'common.help');
    let since = stand.calls.length;
    const first = stand.userSends(alice.chat, alice.user, '/help');
    const answered = await stand.waitFor(
      (call) => isShown(call, alice.chat, since) && shownText(call) === helpText,
    );
    expect(answered.caller).toBe('a');

    // A dies without a word.
    const killedAt = Date.now();
    await a.kill();
    // A message sent while nobody polls waits at Telegram until B takes over.
    since = stand.calls.length;
    const second = stand.userSends(alice.chat, alice.user, '/help');
    const took = await new Promise<number>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error('B never polled')), LEASE_TTL_MS * 3);
      const check = setInterval(() => {
        const poll = stand.pollArrivals.find((p) => p.caller === 'b');
        if (!poll) return;
        clearInterval(check);
        clearTimeout(deadline);
        resolve(poll.at - killedAt);
      }, 20);
    });
    console.info(`[ops] poller election: B polled ${took} ms after A was killed`);
    // The lease lapses at most a TTL after A's last renewal; B tries every third of it.
    expect(took).toBeLessThan(LEASE_TTL_MS + LEASE_TTL_MS / 3 + 1_500);
    await b.waitForOutput(/telegram: long polling \(elected poller\)/, 5_000);
    const answeredByB = await stand.waitFor(
      (call) => isShown(call, alice.chat, since) && shownText(call) === helpText,
      10_000,
    );
    expect(answeredByB.caller).toBe('b');

    // One more after the takeover.
    since = stand.calls.length;
    stand.userSends(alice.chat, alice.user, '/help');
    await stand.waitFor((call) => isShown(call, alice.chat, since) && shownText(call) === helpText, 10_000);
    await sleep(1_000);

    // Every update was answered exactly once: three /help, three answers, none twice.
    const answers = stand.calls.filter(
      (call) => isShown(call, alice.chat, 0) && shownText(call) === helpText,
    );
    expect(answers.map((call) => call.caller)).toEqual(['a', 'b', 'b']);
    expect(second.update_id).toBeGreaterThan(first.update_id);
    // While both ran, only A polled; after the kill, only B.
    expect(stand.pollArrivals.filter((poll) => poll.caller === 'b' && poll.at < killedAt)).toEqual([]);
    expect(stand.pollArrivals.filter((poll) => poll.caller === 'a' && poll.at > killedAt)).toEqual([]);
    expect(bothUp).toBeLessThan(killedAt);
    // B never saw a conflicting poll (409) or an error of its own.
    expect(stand.calls.filter((call) => call.method === 'getUpdates' && call.status === 409)).toEqual([]);
    expect(b.stderr() + b.stdout()).not.toMatch(/"level":50/);
    for (const main of [a, b]) expect(main.stdout() + main.stderr()).not.toContain(TOKEN);

    // A graceful stop gives the lease back (nobody waits for it to lapse). The signal goes to the node
    // process itself, as `docker stop` sends it to PID 1 (tsx's relay could turn it into a kill under load).
    signalNode(b, 'SIGTERM');
    const { code } = await b.exited;
    expect(code).toBe(0);
    expect(await redis.get(`${prefix}{lease}:telegram-poller:7000015`)).toBeNull();
  });
});

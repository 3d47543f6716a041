/**
 * Issue 16: the expiry sweeper as the process runs it. Two real bot processes (`tsx src/main.ts` twice,
 * webhook mode, one Redis, `FLOW_IDLE_MINUTES=1`) against the Bot API stand-in, each through a recording
 * proxy of its own, so every Bot API call is known to come from process A or process B.
 *
 * Six chats start `/link` (an open prompt) a couple of seconds apart and go quiet. Each must get the
 * expiry notice ("...after 1 minute...") pushed into its Telegram chat by a process's own sweeper: not
 * before a minute of silence, at most one sweep interval (10 s for a 1-minute idle time) plus slack later,
 * exactly once, from exactly one process, and no second notice a sweep interval later. A seventh chat is
 * started half-way; once the first round is over, the process that took more of it is stopped, and the
 * other one must take the seventh expiry, so both processes' sweepers are seen at work.
 *
 * This fails when main.ts does not start the sweeper (no notice comes) and when FLOW_IDLE_MINUTES does not
 * reach the engine (with the default 15 minutes no notice comes in time, and the text says 15 minutes).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { t } from '../../src/catalog/catalog.ts';
import { freePort } from '../helpers/ports.ts';
import { connectRedis, deleteByPrefix, uniquePrefix } from '../helpers/redis.ts';
import { type RunningScript, startScript } from '../helpers/run-process.ts';
import { type FakePerson, FakeTelegramApi } from '../helpers/telegram-api.ts';
import { shows } from '../helpers/chat.ts';
import { signalNode } from '../helpers/signals.ts';

const TOKEN = '7000016:AAH_faults-sweeper-token-abcdefghi';
const SECRET_KEY = 'faults-sweeper-process-secret-key-0123456789';
const WEBHOOK_SECRET = 'faults-sweeper_process-Secret-16';
const IDLE_MS = 60_000;
/** main.ts sweeps every sixth of the idle time (at most every 15 s): 10 s here. */
const SWEEP_MS = 10_000;
/** Start-up, a busy machine, the Bot API round trip. */
const SLACK_MS = 10_000;

const redis = connectRedis();

interface Recorded {
  readonly method: string;
  readonly chatId: number | undefined;
  readonly text: string | undefined;
  readonly at: number;
}

/** Forwards every Bot API call of one process to the stand-in and notes what was sent. */
async function recordingProxy(target: string): Promise<{
  readonly url: string;
  readonly calls: Recorded[];
  close(): Promise<void>;
}> {
  const calls: Recorded[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const method = /\/([A-Za-z]+)$/.exec(new URL(req.url ?? '/', 'http://proxy').pathname)?.[1] ?? '';
      let params: { chat_id?: unknown; text?: unknown } = {};
      if (String(req.headers['content-type']).startsWith('application/json')) {
        try {
          params = JSON.parse(body.toString('utf8')) as typeof params;
        } catch {
          // not JSON after all: nothing to note
        }
      }
      const headers: Record<string, string> = {};
      const type = req.headers['content-type'];
      if (typeof type === 'string') headers['content-type'] = type;
      // Noted before it reaches the stand-in, so a call the stand-in saw is always noted here.
      calls.push({
        method,
        chatId: typeof params.chat_id === 'number' ? params.chat_id : Number(params.chat_id ?? Number.NaN),
        text: typeof params.text === 'string' ? params.text : undefined,
        at: Date.now(),
      });
      fetch(`${target}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers, body })
        .then(async (answer) => {
          const text = await answer.text();
          res.writeHead(answer.status, {
            'content-type': answer.headers.get('content-type') ?? 'text/plain',
          });
          res.end(text);
        })
        .catch(() => {
          res.writeHead(502);
          res.end('bad gateway');
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function readyz(base: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${base}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${base} did not become ready`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the expiry sweeper of two real processes on one Redis', { timeout: 200_000 }, () => {
  const prefix = uniquePrefix();
  const processes: RunningScript[] = [];
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const main of processes) await main.kill();
    while (closers.length > 0) await closers.pop()?.();
    await deleteByPrefix(redis, prefix);
  });

  it('pushes each idle chat its expiry notice after FLOW_IDLE_MINUTES, exactly once, from one process', async () => {
    const api = await FakeTelegramApi.start({ token: TOKEN, botUsername: 'lockstep_sweeper_bot' });
    closers.push(() => api.close());
    const proxies = { A: await recordingProxy(api.url), B: await recordingProxy(api.url) };
    closers.push(proxies.A.close, proxies.B.close);

    const ports = { A: await freePort(), B: await freePort() };
    const start = (name: 'A' | 'B') =>
      startScript('src/main.ts', {
        env: {
          TELEGRAM_BOT_TOKEN: TOKEN,
          TELEGRAM_API_ROOT: proxies[name].url,
          TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${ports[name]}/tg/hook`,
          TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
          REDIS_URL: inject('redisUrl'),
          REDIS_PREFIX: prefix,
          SECRET_KEY,
          HTTP_HOST: '127.0.0.1',
          HTTP_PORT: String(ports[name]),
          FLOW_IDLE_MINUTES: '1',
          LOG_LEVEL: 'warn',
        },
      });
    const mains = { A: start('A'), B: start('B') };
    processes.push(mains.A, mains.B);
    await Promise.all([readyz(`http://127.0.0.1:${ports.A}`), readyz(`http://127.0.0.1:${ports.B}`)]);
    // Both registered their webhook; updates go to whichever did last, the sweep runs in both.
    await api.waitFor(() => api.callsOf('setWebhook').length >= 2, 10_000);

    const notice = t('en', 'common.expired', { flow: t('en', 'link.title'), minutes: 1 });
    /** Starts /link in a new chat; resolves once the bot asked, with when the chat went quiet. */
    const startTask = async (person: FakePerson): Promise<{ person: FakePerson; quietFrom: number }> => {
      const quietFrom = Date.now();
      api.userSends(person.chat, person.user, '/link');
      await shows(api, person.chat, 'link.askDestination', undefined, 0, 20_000);
      return { person, quietFrom };
    };
    const noticesTo = (person: FakePerson) =>
      api.calls.filter(
        (call) =>
          call.method === 'sendMessage' &&
          call.status === 200 &&
          call.params.chat_id === person.chat.id &&
          call.params.text === notice,
      );
    const takenBy = (person: FakePerson) =>
      (['A', 'B'] as const).filter((name) =>
        proxies[name].calls.some(
          (call) => call.method === 'sendMessage' && call.chatId === person.chat.id && call.text === notice,
        ),
      );

    // Six chats go quiet about two seconds apart (their expiries fall across more than a sweep interval);
    // a seventh, for the second round, 48 s after the first (due once the first round is over).
    const first: Array<{ person: FakePerson; quietFrom: number }> = [];
    for (let i = 0; i < 6; i += 1) {
      first.push(await startTask(api.person(16_001 + i, `Sweep${i}`)));
      await sleep(2_000);
    }
    await sleep(Math.max(0, (first[0]?.quietFrom ?? Date.now()) + 48_000 - Date.now()));
    const seventh = await startTask(api.person(16_100, 'Seventh'));

    for (const { person, quietFrom } of first) {
      const call = await api.waitFor(
        (c) => c.method === 'sendMessage' && c.params.chat_id === person.chat.id && c.params.text === notice,
        Math.max(1_000, quietFrom + IDLE_MS + SWEEP_MS + SLACK_MS - Date.now()),
      );
      expect(call.status).toBe(200);
      // Not before a minute of silence (FLOW_IDLE_MINUTES=1 reached the engine), and within a sweep.
      expect(call.at - quietFrom).toBeGreaterThanOrEqual(IDLE_MS);
      expect(call.at - quietFrom).toBeLessThan(IDLE_MS + SWEEP_MS + SLACK_MS);
    }
    // A sweep interval later nobody got a second notice: each expiry was taken by exactly one process.
    await sleep(SWEEP_MS + 1_000);
    const split = { A: 0, B: 0 };
    for (const { person } of first) {
      expect(noticesTo(person)).toHaveLength(1);
      const by = takenBy(person);
      expect(by).toHaveLength(1);
      split[by[0] as 'A' | 'B'] += 1;
    }
    console.info(`[faults] sweeper: first round taken A ${split.A}, B ${split.B}`);

    // Second round: the process that took more stops; the other one's sweeper takes the seventh chat.
    expect(noticesTo(seventh.person)).toEqual([]);
    const stopped = split.A >= split.B ? 'A' : 'B';
    const survivor = stopped === 'A' ? 'B' : 'A';
    signalNode(mains[stopped], 'SIGTERM');
    expect((await mains[stopped].exited).code).toBe(0);
    const last = await api.waitFor(
      (c) =>
        c.method === 'sendMessage' && c.params.chat_id === seventh.person.chat.id && c.params.text === notice,
      Math.max(1_000, seventh.quietFrom + IDLE_MS + SWEEP_MS + SLACK_MS - Date.now()),
    );
    expect(last.at - seventh.quietFrom).toBeGreaterThanOrEqual(IDLE_MS);
    expect(takenBy(seventh.person)).toEqual([survivor]);
    await sleep(1_000);
    expect(noticesTo(seventh.person)).toHaveLength(1);

    for (const main of [mains.A, mains.B]) {
      expect(main.stderr()).not.toMatch(/expiry (sweep )?failed/);
      expect(main.stdout() + main.stderr()).not.toContain(TOKEN);
    }
    signalNode(mains[survivor], 'SIGTERM');
    expect((await mains[survivor].exited).code).toBe(0);
  });
});

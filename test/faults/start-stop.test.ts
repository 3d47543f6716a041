/**
 * Issue 9, point 5: fail fast, stop fast. `tsx src/main.ts` as an operator runs it, with a Redis or a
 * Telegram Bot API that cannot be reached, one that never answers, a wrong token, a SIGTERM during a slow
 * start or while a step hangs; `/livez` and `/readyz` while a private Redis goes away and comes back.
 *
 * Every "within 10 s" is measured from the process's own first log line ("starting", its `time`) or from
 * the signal; tsx compiling the TypeScript before that (seconds on a loaded machine, none in the image,
 * which runs compiled JavaScript) is bounded apart, from the spawn, at SPAWN_WITHIN_MS.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { t } from '../../src/catalog/catalog.ts';
import { press, shows } from '../helpers/chat.ts';
import { freePort } from '../helpers/ports.ts';
import { connectRedis, deleteByPrefix, uniquePrefix } from '../helpers/redis.ts';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.ts';
import { type RunningScript, startScript } from '../helpers/run-process.ts';
import { seedLinkedAccount } from '../helpers/seed-account.ts';
import { signalNode } from '../helpers/signals.ts';
import { FakeTelegramApi } from '../helpers/telegram-api.ts';

const TOKEN = '7000004:AAH_faults-start-token-abcdefghijklm';
const SECRET_KEY = 'faults-start-test-secret-key-0123456789abc';
const WEBHOOK_SECRET = 'faults-start_webhook-Secret-42';
const REDIS_PASSWORD = 'hunter2-redis-Password';
/** What "fast" means here: from the process's first line to exit, or from SIGTERM to exit. */
const WITHIN_MS = 10_000;
/** From spawn to exit, tsx's own start-up included. */
const SPAWN_WITHIN_MS = 30_000;

/** When the process began, by its own clock: the `time` of its first log line ("starting"). */
function startedAt(main: RunningScript): number {
  for (const line of main.stderr().split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: string; time?: number };
    if (entry.msg === 'starting' && typeof entry.time === 'number') return entry.time;
  }
  throw new Error(`no "starting" line was printed:\n${main.stderr()}`);
}

/** Both bounds of a start that gave up: from the first line, and from the spawn. */
function expectFailedFast(main: RunningScript, at: number, label: string): void {
  report(`${label}, first line to exit`, at - startedAt(main));
  report(`${label}, spawn to exit`, at - main.startedAt);
  expect(at - startedAt(main)).toBeLessThan(WITHIN_MS);
  expect(at - main.startedAt).toBeLessThan(SPAWN_WITHIN_MS);
}

const redis = connectRedis();
const running: RunningScript[] = [];
const closers: Array<() => unknown> = [];

afterEach(async () => {
  for (const main of running.splice(0)) await main.kill();
  while (closers.length > 0) await closers.pop()?.();
});

function start(env: Record<string, string>): RunningScript {
  // debug: the "starting" line shows also in the console demo (which turns info into warn).
  const main = startScript('src/main.ts', { env: { LOG_LEVEL: 'debug', ...env } });
  running.push(main);
  return main;
}

async function standIn(): Promise<FakeTelegramApi> {
  const api = await FakeTelegramApi.start({ token: TOKEN, botUsername: 'lockstep_faults_bot' });
  closers.push(() => api.close());
  return api;
}

/** A TCP server that accepts connections and never answers: a Bot API that hangs. */
async function silentServer(): Promise<string> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

/** The bot on the stand-in, Redis from the test setup (a fresh prefix), HTTP on `port`. */
function botEnv(apiRoot: string, port: number, extra: Record<string, string> = {}): Record<string, string> {
  const prefix = uniquePrefix();
  closers.push(() => deleteByPrefix(redis, prefix));
  return {
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: apiRoot,
    REDIS_URL: inject('redisUrl'),
    REDIS_PREFIX: prefix,
    SECRET_KEY,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(port),
    ...extra,
  };
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

/** Polls `url` until it answers with `status` (connection errors count as "not yet"). */
async function until(
  url: string,
  status: number,
  timeoutMs = 15_000,
): Promise<{ ms: number; body: unknown }> {
  const started = Date.now();
  let last = 'nothing';
  while (Date.now() - started < timeoutMs) {
    try {
      const answer = await getJson(url);
      if (answer.status === status) return { ms: Date.now() - started, body: answer.body };
      last = `${answer.status} ${JSON.stringify(answer.body)}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last: ${last})`);
}

function output(main: RunningScript): string {
  return main.stdout() + main.stderr();
}

function report(what: string, ms: number): void {
  console.info(`[faults] ${what}: ${ms} ms`);
}

describe('start-up with a dependency that cannot be reached', { timeout: 60_000 }, () => {
  it('console demo, REDIS_URL unreachable: names REDIS_URL and the cause (password masked), exits non-zero within 10 s', async () => {
    const port = await freePort();
    const main = start({
      REDIS_URL: `redis://:${REDIS_PASSWORD}@127.0.0.1:${port}`,
      SECRET_KEY,
    });
    const { code, at } = await main.exited;
    expect(code).toBe(69);
    expectFailedFast(main, at, 'console demo, Redis unreachable');
    expect(main.stderr()).toContain(
      `lockstep cannot start: cannot reach Redis at REDIS_URL=redis://:***@127.0.0.1:${port} (ECONNREFUSED)`,
    );
    expect(output(main)).not.toContain(REDIS_PASSWORD);
    expect(output(main)).not.toContain('lockstep stopped');
    // Nothing of the demo was shown: it never started.
    expect(main.stdout()).not.toContain(t('en', 'console.banner'));
  });

  it('bot, REDIS_URL unreachable: names REDIS_URL and the cause, never the token, polls nothing, exits non-zero within 10 s', async () => {
    const api = await standIn();
    const httpPort = await freePort();
    const main = start({
      ...botEnv(api.url, httpPort),
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    });
    // While it waits for Redis: alive, not ready.
    const live = await until(`http://127.0.0.1:${httpPort}/livez`, 200);
    expect(live.body).toEqual({ status: 'alive' });
    const ready = await getJson(`http://127.0.0.1:${httpPort}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'starting', checks: { redis: false } });

    const { code, at } = await main.exited;
    expect(code).toBe(69);
    expectFailedFast(main, at, 'bot, Redis unreachable');
    expect(main.stderr()).toMatch(
      /cannot reach Redis at REDIS_URL=redis:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
    );
    expect(output(main)).not.toContain(TOKEN);
    expect(api.callsOf('getUpdates')).toEqual([]);
    expect(api.callsOf('setWebhook')).toEqual([]);
    expect(api.callsOf('sendMessage')).toEqual([]);
  });

  it('TELEGRAM_API_ROOT unreachable: names TELEGRAM_API_ROOT and the cause, never the token, exits non-zero within 10 s', async () => {
    const root = `http://127.0.0.1:${await freePort()}`;
    const main = start(botEnv(root, await freePort()));
    const { code, at } = await main.exited;
    expect(code).toBe(69);
    expectFailedFast(main, at, 'Telegram API unreachable');
    expect(main.stderr()).toContain(
      `lockstep cannot start: cannot reach the Telegram Bot API at TELEGRAM_API_ROOT=${root} (ECONNREFUSED)`,
    );
    expect(output(main)).not.toContain(TOKEN);
    expect(output(main)).not.toContain(TOKEN.split(':')[1] ?? TOKEN);
  });

  it('a Bot API that never answers: alive and "starting" meanwhile, then names TELEGRAM_API_ROOT and exits non-zero within 10 s', async () => {
    const root = await silentServer();
    const httpPort = await freePort();
    const main = start(botEnv(root, httpPort));
    await until(`http://127.0.0.1:${httpPort}/livez`, 200);
    const ready = await getJson(`http://127.0.0.1:${httpPort}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'starting', checks: { telegram: false } });
    const { code, at } = await main.exited;
    expect(code).toBe(69);
    expectFailedFast(main, at, 'Telegram API silent');
    expect(main.stderr()).toContain(
      `cannot reach the Telegram Bot API at TELEGRAM_API_ROOT=${root} (no answer in time)`,
    );
    expect(output(main)).not.toContain(TOKEN);
  });

  it('a token the Bot API refuses (401): names TELEGRAM_BOT_TOKEN without showing it, exits non-zero within 10 s', async () => {
    const api = await standIn();
    const wrong = '7000005:AAH_not-the-right-token-abcdefghijk';
    const main = start({ ...botEnv(api.url, await freePort()), TELEGRAM_BOT_TOKEN: wrong });
    const { code, at } = await main.exited;
    expect(code).toBe(69);
    expectFailedFast(main, at, 'token refused (401)');
    expect(main.stderr()).toContain(
      `the Telegram Bot API at TELEGRAM_API_ROOT=${api.url} refused TELEGRAM_BOT_TOKEN (401: Unauthorized)`,
    );
    expect(output(main)).not.toContain(wrong);
    expect(output(main)).not.toContain(wrong.split(':')[1] ?? wrong);
  });

  it('SIGTERM during a slow start (the Bot API hangs) ends the process at once', async () => {
    const root = await silentServer();
    const httpPort = await freePort();
    const main = start(botEnv(root, httpPort));
    await until(`http://127.0.0.1:${httpPort}/livez`, 200);
    const signalled = Date.now();
    signalNode(main, 'SIGTERM'); // to the node process itself, as docker stop signals PID 1
    const { code, at } = await main.exited;
    report('SIGTERM during a slow start, signal to exit', at - signalled);
    expect(code).toBe(0);
    expect(at - signalled).toBeLessThan(WITHIN_MS);
    expect(at - signalled).toBeLessThan(3_000);
    expect(output(main)).not.toContain(TOKEN);
  });

  it('SIGTERM during a slow start of the console demo (Redis unreachable) ends the process at once', async () => {
    const main = start({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, SECRET_KEY });
    await main.waitForOutput(/redis connection lost/);
    const signalled = Date.now();
    signalNode(main, 'SIGTERM'); // to the node process itself, as docker stop signals PID 1
    const { code, at } = await main.exited;
    report('SIGTERM during the console demo waiting for Redis, signal to exit', at - signalled);
    expect(code).toBe(0);
    expect(at - signalled).toBeLessThan(3_000);
  });
});

describe('readiness while running', { timeout: 90_000 }, () => {
  let server: RedisServer | null = null;
  afterEach(() => {
    server?.stop();
    server = null;
  });

  it('/livez stays 200; /readyz is 503 while Redis is down and 200 again once it is back, without a restart', async () => {
    server = await startRedisServer();
    const api = await standIn();
    const httpPort = await freePort();
    const base = `http://127.0.0.1:${httpPort}`;
    const main = start({ ...botEnv(api.url, httpPort), REDIS_URL: server.url });
    const ready = await until(`${base}/readyz`, 200, 30_000);
    expect(ready.body).toEqual({ status: 'ready', checks: { redis: true, telegram: true } });
    expect(await getJson(`${base}/livez`)).toEqual({ status: 200, body: { status: 'alive' } });
    // /healthz is as it was: Redis only.
    expect(await getJson(`${base}/healthz`)).toEqual({
      status: 200,
      body: { status: 'ok', checks: { redis: true } },
    });

    await server.halt();
    const down = await until(`${base}/readyz`, 503);
    expect(down.body).toEqual({ status: 'unavailable', checks: { redis: false, telegram: true } });
    expect((await getJson(`${base}/livez`)).status).toBe(200);
    expect((await getJson(`${base}/healthz`)).status).toBe(503);

    await server.restart();
    const back = await until(`${base}/readyz`, 200);
    report('/readyz 200 again after Redis restarted', back.ms);
    expect(back.ms).toBeLessThan(5_000);
    // And it serves: a message is answered.
    const bob = api.person(5001, 'Bob');
    api.userSends(bob.chat, bob.user, '/start');
    await api.waitFor(
      (call) => call.method === 'sendMessage' && call.params.chat_id === bob.chat.id && call.status === 200,
      10_000,
    );

    const signalled = Date.now();
    signalNode(main, 'SIGTERM'); // to the node process itself, as docker stop signals PID 1
    const { code, at } = await main.exited;
    expect(code).toBe(0);
    expect(at - signalled).toBeLessThan(5_000);
    expect(output(main)).not.toContain(TOKEN);
  });

  it('SIGTERM while a step hangs: /readyz says "draining", new webhook updates get 503, and the process ends within 10 s', async () => {
    // An SMS gateway that never answers: the code step of /password -> "I forgot" -> phone hangs.
    const gateway = await silentServer();
    const api = await standIn();
    const httpPort = await freePort();
    const base = `http://127.0.0.1:${httpPort}`;
    const env = botEnv(api.url, httpPort, {
      TELEGRAM_WEBHOOK_URL: `${base}/tg/hook`,
      TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
      SMS_WEBHOOK_URL: `${gateway}/sms`,
    });
    const prefix = env.REDIS_PREFIX ?? '';
    const alice = api.person(5002, 'Alice');
    await seedLinkedAccount(redis, { prefix, secretKey: SECRET_KEY, telegramUserId: alice.user.id });
    const main = start(env);
    await until(`${base}/readyz`, 200, 30_000);
    await api.waitFor((call) => call.method === 'setWebhook', 10_000);

    api.userSends(alice.chat, alice.user, '/password');
    const askCurrent = await api.waitFor(
      (call) =>
        call.method === 'sendMessage' &&
        call.params.chat_id === alice.chat.id &&
        call.params.text === t('en', 'password.askCurrent'),
      10_000,
    );
    let since = api.calls.length;
    press(api, alice, askCurrent, 'forgot');
    const pick = await shows(api, alice.chat, 'password.pickDestination', undefined, since);
    since = api.calls.length;
    press(api, alice, pick, 'phone');
    // The step is now waiting for the gateway.
    await api.waitFor((call) => call.index >= since && call.method === 'sendChatAction', 10_000);

    const signalled = Date.now();
    signalNode(main, 'SIGTERM'); // to the node process itself, as docker stop signals PID 1
    const draining = await until(`${base}/readyz`, 503, 5_000);
    expect(draining.body).toMatchObject({ status: 'draining' });
    const late = await fetch(`${base}/tg/hook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET },
      body: JSON.stringify(api.messageUpdate(alice.chat, alice.user, '/help')),
    });
    expect(late.status).toBe(503);
    expect(late.headers.get('retry-after')).toBe('5');

    const { code, at } = await main.exited;
    report('SIGTERM while a step hangs, signal to exit', at - signalled);
    expect(at - signalled).toBeLessThan(WITHIN_MS);
    expect(code).not.toBe(0);
    expect(main.stderr()).toContain('shutdown did not finish in time; exiting now');
    expect(output(main)).not.toContain(TOKEN);
  });
});

/**
 * Issue 9's refinements, on `tsx src/main.ts` as an operator runs it:
 * - while draining after SIGTERM only the Telegram webhook answers 503 (with Retry-After, so Telegram or a
 *   load balancer delivers the update elsewhere); /livez stays 200, /readyz says "draining", the support
 *   API answers as usual;
 * - with DISCORD_TOKEN, /readyz counts the Discord gateway: ready once it is connected, 503 with
 *   `discord: false` once Discord cannot be reached;
 * - a SIGTERM relayed a second time (tsx, a process group) within a second does not turn the graceful
 *   stop into a kill.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { t } from '../../src/catalog/catalog.ts';
import { FakeDiscord } from '../helpers/discord-api.ts';
import { seedLinkedAccount } from '../helpers/seed-account.ts';
import { freePort } from '../helpers/ports.ts';
import { connectRedis, deleteByPrefix, uniquePrefix } from '../helpers/redis.ts';
import { type RunningScript, startScript } from '../helpers/run-process.ts';
import { FakeTelegramApi } from '../helpers/telegram-api.ts';
import { press, shows } from '../helpers/chat.ts';
import { nodePid, signalNode } from '../helpers/signals.ts';

const TOKEN = '7000009:AAH_faults-draining-token-abcdefghi';
const SECRET_KEY = 'faults-draining-test-secret-key-0123456789ab';
const WEBHOOK_SECRET = 'faults-draining_webhook-Secret-9';

const redis = connectRedis();
const running: RunningScript[] = [];
const closers: Array<() => unknown> = [];

afterEach(async () => {
  for (const main of running.splice(0)) await main.kill();
  while (closers.length > 0) await closers.pop()?.();
});

function start(env: Record<string, string>, prefix = uniquePrefix()): RunningScript {
  closers.push(() => deleteByPrefix(redis, prefix));
  const main = startScript('src/main.ts', {
    env: {
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: prefix,
      SECRET_KEY,
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...env,
    },
  });
  running.push(main);
  return main;
}

/** A TCP server that accepts connections and never answers: an SMS gateway that hangs. */
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

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json().catch(() => null) };
}

/** Polls `url` until it answers with `status` (connection errors count as "not yet"). */
async function until(url: string, status: number, timeoutMs = 15_000): Promise<unknown> {
  const started = Date.now();
  let last = 'nothing';
  while (Date.now() - started < timeoutMs) {
    try {
      const answer = await getJson(url);
      if (answer.status === status) return answer.body;
      last = `${answer.status} ${JSON.stringify(answer.body)}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last: ${last})`);
}

describe('draining after SIGTERM', { timeout: 90_000 }, () => {
  it('only the webhook answers 503 (Retry-After); /livez stays 200, /readyz says draining, the support API answers', async () => {
    const api = await FakeTelegramApi.start({ token: TOKEN, botUsername: 'lockstep_draining_bot' });
    closers.push(() => api.close());
    const gateway = await silentServer();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    // A step that hangs (the SMS gateway never answers) keeps the process draining for a while.
    const alice = api.person(9001, 'Alice');
    const prefix = uniquePrefix();
    await seedLinkedAccount(redis, { prefix, secretKey: SECRET_KEY, telegramUserId: alice.user.id });
    const main = start(
      {
        TELEGRAM_BOT_TOKEN: TOKEN,
        TELEGRAM_API_ROOT: api.url,
        TELEGRAM_WEBHOOK_URL: `${base}/tg/hook`,
        TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
        SMS_WEBHOOK_URL: `${gateway}/sms`,
        HTTP_PORT: String(port),
      },
      prefix,
    );
    await until(`${base}/readyz`, 200, 30_000);
    await api.waitFor((call) => call.method === 'setWebhook', 10_000);
    const openapi = async () => (await fetch(`${base}/api/openapi.json`)).status;
    const servingApi = await openapi();
    expect(servingApi).not.toBe(503);

    api.userSends(alice.chat, alice.user, '/password');
    const askCurrent = await shows(api, alice.chat, 'password.askCurrent');
    let since = api.calls.length;
    press(api, alice, askCurrent, 'forgot');
    const pick = await shows(api, alice.chat, 'password.pickDestination', undefined, since);
    since = api.calls.length;
    press(api, alice, pick, 'phone');
    await api.waitFor((call) => call.index >= since && call.method === 'sendChatAction', 10_000);

    signalNode(main, 'SIGTERM');
    expect(await until(`${base}/readyz`, 503, 5_000)).toMatchObject({ status: 'draining' });
    const late = await fetch(`${base}/tg/hook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET },
      body: JSON.stringify(api.messageUpdate(alice.chat, alice.user, '/help')),
    });
    expect(late.status).toBe(503);
    expect(late.headers.get('retry-after')).toBe('5');
    expect(await getJson(`${base}/livez`)).toEqual({ status: 200, body: { status: 'alive' } });
    // Not the webhook: answered as while serving.
    expect(await openapi()).toBe(servingApi);
    // The late update was never handled: nothing was said to alice after the signal.
    expect(api.textsTo(alice.chat.id, since)).not.toContain(t('en', 'common.help'));

    // The hanging step ends the drain at the hard stop (8 s after the signal).
    await main.exited;
    expect(main.stdout() + main.stderr()).not.toContain(TOKEN);
  });
});

describe('/readyz with Discord', { timeout: 90_000 }, () => {
  it('is ready once the gateway is connected, and 503 with discord: false once Discord cannot be reached', async () => {
    const discord = await FakeDiscord.start();
    let closed = false;
    closers.push(() => (closed ? undefined : discord.close()));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const main = start({
      DISCORD_TOKEN: discord.token,
      DISCORD_APPLICATION_ID: discord.applicationId,
      DISCORD_API_ROOT: discord.apiRoot,
      HTTP_PORT: String(port),
    });
    expect(await until(`${base}/readyz`, 200, 30_000)).toEqual({
      status: 'ready',
      checks: { redis: true, discord: true },
    });
    expect(discord.connected).toBe(true);

    await discord.close();
    closed = true;
    expect(await until(`${base}/readyz`, 503, 15_000)).toEqual({
      status: 'unavailable',
      checks: { redis: true, discord: false },
    });
    expect((await getJson(`${base}/livez`)).status).toBe(200);

    // SIGTERM twice in a row (an init or a process group relaying it): the second is taken for a relay of
    // the first, not for "stop now", so the process still ends cleanly.
    const node = nodePid(main);
    process.kill(node, 'SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));
    process.kill(node, 'SIGTERM');
    const { code } = await main.exited;
    expect(code).toBe(0);
    expect(main.stdout() + main.stderr()).not.toContain(discord.token);
  });
});

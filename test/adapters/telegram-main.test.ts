/**
 * The composition root as an operator runs it: `tsx src/main.ts` in a child process, configured only by
 * environment variables, talking to a local stand-in of the Telegram Bot API (`TELEGRAM_API_ROOT`) and the
 * test Redis. Polling mode, webhook mode on the project's own HTTP server, graceful SIGTERM, bad config.
 */

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InlineKeyboardMarkup } from 'grammy/types';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { type MessageKey, type MessageParams, t } from '../../src/catalog/catalog.ts';
import { systemClock } from '../../src/clock.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import { silentLogger } from '../../src/log.ts';
import { createServices } from '../../src/services.ts';
import { RecordingDelivery } from '../helpers/fake-delivery.ts';
import { freePort } from '../helpers/ports.ts';
import { connectRedis, deleteByPrefix, uniquePrefix } from '../helpers/redis.ts';
import { ROOT, runScript } from '../helpers/run-process.ts';
import { type ApiCall, FakeTelegramApi } from '../helpers/telegram-api.ts';
import { openVerifyLink } from '../helpers/verify-link.ts';

/** A token of the shape BotFather hands out, so the config accepts it. */
const TOKEN = '7000002:AAH_main-test-token-abcdefghijklmno';
const BOT_USERNAME = 'lockstep_main_bot';
const SECRET_KEY = 'main-test-secret-key-0123456789abcdefghij';
const WEBHOOK_SECRET = 'main-test_webhook-Secret-42';
/** tsx start-up included. */
const START_MS = 30_000;

const redis = connectRedis();

interface Running {
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves with the exit code and signal once the process is gone. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
}

const running: Running[] = [];
const apis: FakeTelegramApi[] = [];
const prefixes: string[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const main of running.splice(0)) {
    if (main.child.exitCode !== null || main.child.signalCode !== null) continue;
    // tsx hands SIGTERM on to the node process it started; a hung one is killed with its whole group.
    main.child.kill('SIGTERM');
    const timer = setTimeout(() => killGroup(main.child, 'SIGKILL'), 5_000);
    await main.exited;
    clearTimeout(timer);
  }
  for (const api of apis.splice(0)) await api.close();
  for (const prefix of prefixes.splice(0)) await deleteByPrefix(redis, prefix);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function killGroup(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

async function standIn(): Promise<FakeTelegramApi> {
  const api = await FakeTelegramApi.start({ token: TOKEN, botUsername: BOT_USERNAME });
  apis.push(api);
  return api;
}

/** The environment of a deployed bot on the stand-in and the test Redis, plus `extra`. */
function deployedEnv(
  api: FakeTelegramApi,
  port: number,
  extra: Record<string, string> = {},
  prefix: string = uniquePrefix(),
) {
  prefixes.push(prefix);
  return {
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: api.url,
    REDIS_URL: inject('redisUrl'),
    REDIS_PREFIX: prefix,
    SECRET_KEY,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(port),
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** Starts `tsx src/main.ts` as `npm start` does, in its own process group. */
function startMain(env: Record<string, string>): Running {
  const child = spawn(`${ROOT}node_modules/.bin/tsx`, ['src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const started: Running = { child, exited, stdout: () => out, stderr: () => err };
  running.push(started);
  return started;
}

/** Waits for a call, failing with the process's output when it dies or takes too long. */
async function callFrom(
  api: FakeTelegramApi,
  main: Running,
  predicate: (call: ApiCall) => boolean,
  timeoutMs = START_MS,
): Promise<ApiCall> {
  const died = main.exited.then(({ code, signal }) => {
    throw new Error(`lockstep exited (${code ?? signal}) early.\nstderr:\n${main.stderr()}`);
  });
  return Promise.race([api.waitFor(predicate, timeoutMs), died]);
}

/** Waits for the bot to send `key` (rendered) to `chatId`, at or after call `since`. */
function sends(
  api: FakeTelegramApi,
  main: Running,
  chatId: number,
  key: MessageKey,
  params?: MessageParams,
  since = 0,
): Promise<ApiCall> {
  const text = t('en', key, params);
  return callFrom(
    api,
    main,
    (call) =>
      call.index >= since &&
      call.method === 'sendMessage' &&
      call.status === 200 &&
      call.params.chat_id === chatId &&
      call.params.text === text,
    10_000,
  );
}

/** Sends SIGTERM and resolves with the exit code and how long the shutdown took. */
async function terminate(main: Running): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  main.child.kill('SIGTERM');
  const { code } = await main.exited;
  return { code, ms: Date.now() - started };
}

function keyboardOf(call: ApiCall): InlineKeyboardMarkup['inline_keyboard'] {
  return (call.params.reply_markup as InlineKeyboardMarkup | undefined)?.inline_keyboard ?? [];
}

/** Pino lines on stderr at error level or above. */
function errorLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
}

// Each test starts tsx, which takes seconds on a busy machine.
describe('lockstep on Telegram, as a process (tsx src/main.ts)', { timeout: 60_000 }, () => {
  it('long-polls: publishes every task as a command, welcomes /start with the menu, serves /healthz, exits 0 on SIGTERM', async () => {
    const api = await standIn();
    const port = await freePort();
    const main = startMain(deployedEnv(api, port));

    const published = await callFrom(api, main, (call) => call.method === 'setMyCommands');
    expect(published.status).toBe(200);
    const commands = api.commands.map((entry) => entry.command);
    for (const command of [
      'start',
      'menu',
      'help',
      'cancel',
      'support',
      'password',
      'link',
      'phone',
      'email',
      '2fa',
      'activity',
    ]) {
      expect(commands).toContain(command);
    }
    for (const entry of api.commands) expect(entry.description.length).toBeGreaterThan(0);
    expect(api.callsOf('deleteWebhook')).toHaveLength(1);
    expect(api.callsOf('setWebhook')).toEqual([]);

    const bob = api.person(3001, 'Bob');
    api.userSends(bob.chat, bob.user, '/start');
    const welcome = await sends(api, main, bob.chat.id, 'common.welcomeUnlinked');
    const menu = await sends(api, main, bob.chat.id, 'common.menu');
    expect(welcome.index).toBeLessThan(menu.index);
    expect(keyboardOf(menu)).toEqual([
      [{ text: t('en', 'menu.link'), callback_data: 'c:menu:link-account' }],
      // Choosing the language needs no link.
      [{ text: t('en', 'menu.language'), callback_data: 'c:menu:language' }],
    ]);

    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', checks: { redis: true } });

    // The poll waiting at the stand-in (30 s by default) is aborted, not waited out.
    const { code, ms } = await terminate(main);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5_000);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    // Nobody polls any more: a message sent now stays queued at Telegram, for the next start.
    const after = api.calls.length;
    api.userSends(bob.chat, bob.user, '/help');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(api.calls.slice(after)).toEqual([]);
    expect(api.pendingUpdates).toBeGreaterThan(0);
    expect(errorLines(main.stderr())).toEqual([]);
    expect(main.stderr()).not.toContain(TOKEN);
    expect(main.stdout()).not.toContain(TOKEN);
  });

  it('serves a webhook at the path of TELEGRAM_WEBHOOK_URL, set with its secret; refuses a wrong secret; exits 0 on SIGTERM', async () => {
    const api = await standIn();
    const port = await freePort();
    const hookUrl = `http://127.0.0.1:${port}/tg/hook`;
    const main = startMain(
      deployedEnv(api, port, { TELEGRAM_WEBHOOK_URL: hookUrl, TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET }),
    );

    const registered = await callFrom(api, main, (call) => call.method === 'setWebhook');
    expect(registered.status).toBe(200);
    expect(registered.params).toMatchObject({
      url: hookUrl,
      secret_token: WEBHOOK_SECRET,
      allowed_updates: ['message', 'edited_message', 'callback_query'],
    });
    await callFrom(api, main, (call) => call.method === 'setMyCommands');
    expect(api.commands.map((entry) => entry.command)).toEqual(
      expect.arrayContaining(['password', 'link', 'phone', 'email', '2fa', 'activity']),
    );

    // The stand-in POSTs the update to the webhook, with the secret header, as Telegram does.
    const bob = api.person(3002, 'Bob');
    const start = api.userSends(bob.chat, bob.user, '/start');
    await sends(api, main, bob.chat.id, 'common.welcomeUnlinked');
    await sends(api, main, bob.chat.id, 'common.menu');
    // The stand-in records a delivery once the webhook has answered, which is after the replies.
    await api.waitFor(() => api.webhookDeliveries.length > 0);
    expect(api.webhookDeliveries).toEqual([
      { updateId: start.update_id, status: 200, secret: WEBHOOK_SECRET },
    ]);

    // A forged POST (wrong or missing secret) is refused and not handled.
    const forged = api.messageUpdate(bob.chat, bob.user, '/help');
    expect(await api.deliverWebhook(forged, { secret: 'not-the-right-secret' })).toBe(401);
    expect(await api.deliverWebhook(forged, { secret: undefined })).toBe(401);
    const sentBefore = api.textsTo(bob.chat.id).length;
    api.userSends(bob.chat, bob.user, '/cancel');
    await sends(api, main, bob.chat.id, 'common.nothingToCancel');
    expect(api.textsTo(bob.chat.id).slice(sentBefore)).toEqual([t('en', 'common.nothingToCancel')]);
    expect(api.textsTo(bob.chat.id)).not.toContain(t('en', 'common.help'));

    // The default path is not served: only the configured one.
    const elsewhere = await fetch(`http://127.0.0.1:${port}/telegram/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET },
      body: JSON.stringify(api.messageUpdate(bob.chat, bob.user, '/help')),
    });
    expect(elsewhere.status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect(api.callsOf('getUpdates')).toEqual([]);

    const { code, ms } = await terminate(main);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5_000);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    expect(errorLines(main.stderr())).toEqual([]);
    expect(main.stderr()).not.toContain(WEBHOOK_SECRET);
    expect(main.stderr()).not.toContain(TOKEN);
  });

  it('in webhook mode, one HTTP server takes updates and the email link; opening it pushes "verified" into the chat', async () => {
    const api = await standIn();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-tg-'));
    dirs.push(dir);
    const outbox = join(dir, 'outbox.jsonl');
    const prefix = uniquePrefix();
    // The operator imported the account earlier; alice linked her Telegram chat to it.
    const seeding = createServices({
      kv: new RedisKv(redis),
      delivery: new RecordingDelivery(),
      clock: systemClock,
      log: silentLogger,
      secretKey: SECRET_KEY,
      prefix,
    });
    const password = 'Harbour-Lantern-93';
    const created = await seeding.accounts.create({
      phone: '+8613800138000',
      email: 'alice@example.com',
      passwordHash: await seeding.hasher.hash(password),
      now: Date.now(),
    });
    if (!created.ok) throw new Error(created.reason);
    const alice = api.person(3003, 'Alice');
    expect(
      await seeding.accounts.link(created.account.id, 'telegram', String(alice.user.id), Date.now()),
    ).toEqual({ ok: true });

    const main = startMain(
      deployedEnv(
        api,
        port,
        {
          TELEGRAM_WEBHOOK_URL: `${base}/tg/hook`,
          TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
          PUBLIC_URL: base,
          OUTBOX_FILE: outbox,
        },
        prefix,
      ),
    );
    await callFrom(api, main, (call) => call.method === 'setMyCommands');

    api.userSends(alice.chat, alice.user, '/email');
    await sends(api, main, alice.chat.id, 'email.askPassword');
    let since = api.calls.length;
    const typed = api.userSends(alice.chat, alice.user, password);
    await sends(api, main, alice.chat.id, 'email.askAddressChange', { current: 'a***@example.com' }, since);
    expect(api.isDeleted(alice.chat.id, typed.message?.message_id ?? 0)).toBe(true);
    since = api.calls.length;
    api.userSends(alice.chat, alice.user, 'alice.new@example.org');
    await sends(api, main, alice.chat.id, 'email.sent', { to: 'alice.new@example.org' }, since);

    const mail = readFileSync(outbox, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { channel: string; to: string; text: string })
      .find((line) => line.channel === 'email' && line.to === 'alice.new@example.org');
    const link = /(http:\/\/127\.0\.0\.1:\d+\/verify-email\?token=[A-Za-z0-9_-]+)/.exec(
      mail?.text ?? '',
    )?.[1];
    expect(link?.startsWith(`${base}/verify-email?token=`)).toBe(true);

    since = api.calls.length;
    // Opening the link shows the confirm page and changes nothing; pressing its button does the change.
    const opened = await openVerifyLink(link ?? base);
    expect(opened.status).toBe(200);
    expect(opened.isConfirmPage).toBe(true);
    expect(opened.token).toBe(new URL(link ?? base).searchParams.get('token'));
    expect((await seeding.accounts.get(created.account.id))?.email).toBe('alice@example.com');
    expect(api.callsOf('sendMessage', since)).toEqual([]);
    expect((await opened.confirm()).status).toBe(200);
    await sends(api, main, alice.chat.id, 'email.verified', undefined, since);
    expect((await seeding.accounts.get(created.account.id))?.email).toBe('alice.new@example.org');

    const { code } = await terminate(main);
    expect(code).toBe(0);
    expect(errorLines(main.stderr())).toEqual([]);
    expect(main.stderr()).not.toContain(password);
    expect(main.stderr()).not.toContain(new URL(link ?? base).searchParams.get('token') ?? 'no token');
  });

  it('refuses to start with TELEGRAM_WEBHOOK_URL but no secret: exit 78, the problem listed, nothing sent to Telegram', async () => {
    const api = await standIn();
    const result = await runScript('src/main.ts', {
      env: {
        TELEGRAM_BOT_TOKEN: TOKEN,
        TELEGRAM_API_ROOT: api.url,
        SECRET_KEY,
        TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/tg/hook',
        LOG_LEVEL: 'warn',
      },
      timeoutMs: START_MS,
    });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('the configuration has 1 problem(s)');
    expect(result.stderr).toContain(
      '  - TELEGRAM_WEBHOOK_SECRET: is required with TELEGRAM_WEBHOOK_URL (Telegram sends it with every update)',
    );
    expect(result.stderr).not.toContain(TOKEN);
    expect(result.stdout).toBe('');
    expect(api.calls).toEqual([]);
  });
});

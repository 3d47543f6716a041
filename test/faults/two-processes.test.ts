/**
 * Issue 9, point 7: two real bot processes (`tsx src/main.ts` twice, webhook mode, each on its own HTTP
 * port, the same TELEGRAM_WEBHOOK_SECRET and Redis) behind a small load balancer of the test's own. The
 * Bot API stand-in plays Telegram: it POSTs every update to the load balancer and delivers it again when
 * the answer is not 2xx, as Telegram does.
 *
 * Process A takes alice's "send the code to my phone" and hangs in the step (the SMS gateway never
 * answers), holding her chat's lock. A is SIGKILLed; the load balancer now sends to B. Telegram delivers
 * the unanswered update again: B answers it within about the lock's TTL (5 s), and the conversation goes
 * on in B to a changed password. A's cut-off code holds no cool-down (its sending claim lapses within
 * seconds), so B sends a new code to the phone. Nothing is applied twice: one password change was made,
 * and a redelivered update is ignored.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { t } from '../../src/catalog/catalog.ts';
import { freePort } from '../helpers/ports.ts';
import { connectRedis, deleteByPrefix, uniquePrefix } from '../helpers/redis.ts';
import { type RunningScript, startScript } from '../helpers/run-process.ts';
import { seedLinkedAccount } from '../helpers/seed-account.ts';
import { type ApiCall, FakeTelegramApi } from '../helpers/telegram-api.ts';
import { isShown, press, shows, showsMatching } from '../helpers/chat.ts';
import { signalNode } from '../helpers/signals.ts';

const TOKEN = '7000006:AAH_faults-two-procs-token-abcdefgh';
const SECRET_KEY = 'faults-two-processes-secret-key-0123456789';
const WEBHOOK_SECRET = 'faults-two_processes-Secret-42';
const PASSWORD = 'Harbour-Lantern-93';
const NEW_PASSWORD = 'Copper-Meadow-Violet-58';
const PHONE = '+8613800138000';
const EMAIL = 'alice@example.com';
/** The engine's lock TTL: a killed holder's chat is free again this long after its last renewal. */
const LOCK_TTL_MS = 5_000;

const redis = connectRedis();

/** Forwards every request to the current backend, like a load balancer; 502 when the backend is gone. */
async function loadBalancer(): Promise<{
  readonly url: string;
  target: string;
  readonly routed: Array<{ readonly updateId: number; readonly target: string; readonly status: number }>;
  close(): Promise<void>;
}> {
  const routed: Array<{ updateId: number; target: string; status: number }> = [];
  const state = {
    target: '',
    routed,
    url: '',
    close: async () => {},
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const target = state.target;
      const updateId = Number(
        (JSON.parse(body.toString('utf8') || '{}') as { update_id?: number }).update_id,
      );
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'x-telegram-bot-api-secret-token']) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      fetch(`${target}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers, body })
        .then(async (answer) => {
          const text = await answer.text();
          routed.push({ updateId, target, status: answer.status });
          res.writeHead(answer.status, {
            'content-type': answer.headers.get('content-type') ?? 'text/plain',
          });
          res.end(text);
        })
        .catch(() => {
          routed.push({ updateId, target, status: 502 });
          res.writeHead(502);
          res.end('bad gateway');
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}

/** An SMS gateway that holds every request open while `hang` is true, and answers 200 otherwise. */
async function smsGateway(): Promise<{
  readonly url: string;
  hang: boolean;
  readonly received: string[];
  close(): Promise<void>;
}> {
  const received: string[] = [];
  const held: ServerResponse[] = [];
  const state = { url: '', hang: true, received, close: async () => {} };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push(Buffer.concat(chunks).toString('utf8'));
      if (state.hang) held.push(res);
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const res of held) res.destroy();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
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

describe('two bot processes on one Redis, the lock holder killed mid-step', { timeout: 120_000 }, () => {
  const prefix = uniquePrefix();
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-two-'));
  const outbox = join(dir, 'outbox.jsonl');
  const processes: RunningScript[] = [];
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const main of processes) await main.kill();
    while (closers.length > 0) await closers.pop()?.();
    await deleteByPrefix(redis, prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the other process answers the chat within about the lock TTL, and nothing is applied twice', async () => {
    const api = await FakeTelegramApi.start({ token: TOKEN, botUsername: 'lockstep_pair_bot' });
    closers.push(() => api.close());
    // Telegram delivers an update again after a failed answer; give the survivor a few chances.
    api.webhookAttempts = 5;
    api.webhookRetryDelayMs = 100;
    const lb = await loadBalancer();
    closers.push(() => lb.close());
    const gateway = await smsGateway();
    closers.push(() => gateway.close());

    const alice = api.person(6001, 'Alice');
    const { accountId, services } = await seedLinkedAccount(redis, {
      prefix,
      secretKey: SECRET_KEY,
      telegramUserId: alice.user.id,
      phone: PHONE,
      email: EMAIL,
      password: PASSWORD,
    });

    const env = (port: number) => ({
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: api.url,
      TELEGRAM_WEBHOOK_URL: `${lb.url}/tg/hook`,
      TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: prefix,
      SECRET_KEY,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      SMS_WEBHOOK_URL: gateway.url,
      OUTBOX_FILE: outbox,
      LOG_LEVEL: 'warn',
    });
    const portA = await freePort();
    const portB = await freePort();
    const a = startScript('src/main.ts', { env: env(portA) });
    const b = startScript('src/main.ts', { env: env(portB) });
    processes.push(a, b);
    const baseA = `http://127.0.0.1:${portA}`;
    const baseB = `http://127.0.0.1:${portB}`;
    await Promise.all([readyz(baseA), readyz(baseB)]);
    await api.waitFor(() => api.callsOf('setWebhook').length >= 2, 10_000);
    lb.target = baseA;

    // In A: /password, "I forgot it", then the phone: A hangs in the step, holding the chat's lock.
    api.userSends(alice.chat, alice.user, '/password');
    const askCurrent = await shows(api, alice.chat, 'password.askCurrent');
    let since = api.calls.length;
    press(api, alice, askCurrent, 'forgot');
    const pick = await shows(api, alice.chat, 'password.pickDestination', undefined, since);
    since = api.calls.length;
    const phonePress = press(api, alice, pick, 'phone');
    const deadline = Date.now() + 10_000;
    while (gateway.received.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(gateway.received).toHaveLength(1);
    expect(lb.routed.every((entry) => entry.target === baseA)).toBe(true);

    // A dies without a word; from now on the load balancer sends to B, and the gateway would answer.
    gateway.hang = false;
    lb.target = baseB;
    const killedAt = Date.now();
    await a.kill();

    // Telegram delivers the unanswered update again; B waits for the lock to expire, then answers.
    const answer = await api.waitFor(
      (call) => isShown(call, alice.chat, since) && call.at >= killedAt,
      LOCK_TTL_MS + 10_000,
    );
    const answeredMs = answer.at - killedAt;
    console.info(`[faults] two processes: B answered ${answeredMs} ms after A was killed`);
    expect(answeredMs).toBeLessThan(LOCK_TTL_MS + 3_000);
    // (The load balancer notes a request once B has answered it, which is after B's replies.)
    const servedByB = () =>
      lb.routed.some(
        (entry) => entry.updateId === phonePress.update_id && entry.target === baseB && entry.status === 200,
      );
    for (let i = 0; i < 100 && !servedByB(); i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(servedByB()).toBe(true);
    for (const key of ['common.timeout', 'common.internalError', 'common.unavailable'] as const) {
      expect(api.textsTo(alice.chat.id, since)).not.toContain(t('en', key));
    }

    // The conversation goes on in B. A's code was never stored (A died while sending it), so it holds no
    // cool-down past its short sending claim: B sends a new code to the phone, and that one works.
    await showsMatching(api, alice.chat, /\b6-digit code\b/, since, 10_000);
    const code = /\b(\d{6})\b/.exec(
      String((JSON.parse(gateway.received[1] ?? '{}') as { text?: string }).text),
    )?.[1];
    expect(code).toBeDefined();
    since = api.calls.length;
    api.userSends(alice.chat, alice.user, code ?? '');
    await shows(api, alice.chat, 'password.askNew', undefined, since);
    since = api.calls.length;
    api.userSends(alice.chat, alice.user, NEW_PASSWORD);
    await shows(api, alice.chat, 'password.askRepeat', undefined, since);
    since = api.calls.length;
    const last = api.userSends(alice.chat, alice.user, NEW_PASSWORD);
    const changed: ApiCall = await showsMatching(
      api,
      alice.chat,
      /^Done: your password was changed\./,
      since,
    );
    expect(changed).toBeDefined();

    // Telegram delivers the last update once more (its answer was lost, say): B ignores it.
    const beforeRedelivery = api.calls.length;
    expect(await api.deliverWebhook(last, { secret: WEBHOOK_SECRET })).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(api.textsTo(alice.chat.id, beforeRedelivery)).toEqual([]);

    // Nothing applied twice: one password change, with the new password.
    // The SMS gateway was asked for two codes (A's, cut off, and B's, which the user typed; A's dead
    // sending claim did not make B refuse with a cool-down) and, after the change, for one notice.
    const sms = gateway.received.map((body) => String((JSON.parse(body) as { text: string }).text));
    expect(sms).toHaveLength(3);
    expect(sms[0]).toMatch(/\b\d{6}\b/);
    expect(sms[1]).toMatch(/\b\d{6}\b/);
    expect(sms[2]).toBe(t('en', 'password.noticeSms'));
    expect(cooldownSeconds(api, alice.chat.id)).toBe(-1);
    const events = (await services.accounts.events(accountId)).map((event) => event.type);
    expect(events.filter((type) => type === 'password.changed')).toHaveLength(1);
    const account = await services.accounts.get(accountId);
    expect(await services.hasher.verify(account?.passwordHash ?? '', NEW_PASSWORD)).toBe(true);
    // Every update after the kill was served by B, and B said nothing went wrong.
    expect(b.stderr()).not.toMatch(/"level":50/);
    for (const main of [a, b]) {
      expect(main.stdout() + main.stderr()).not.toContain(TOKEN);
      expect(main.stdout() + main.stderr()).not.toContain(NEW_PASSWORD);
    }

    const signalled = Date.now();
    // To the node process itself, as `docker stop` sends it to PID 1 (tsx's relay could kill under load).
    signalNode(b, 'SIGTERM');
    const { code: exitCode, at } = await b.exited;
    expect(exitCode).toBe(0);
    expect(at - signalled).toBeLessThan(10_000);
  });
});

/** The seconds of the cool-down message B sent (whatever they were). */
function cooldownSeconds(api: FakeTelegramApi, chatId: number): number {
  for (const text of api.textsTo(chatId)) {
    for (let seconds = 1; seconds <= 60; seconds += 1) {
      if (text === t('en', 'codes.cooldown', { seconds })) return seconds;
    }
  }
  return -1;
}

/**
 * Issue 9, point 5, in process: the start-up's bounded wait for Redis and its cause, masked settings,
 * the readiness phases, and the Telegram adapter's view of its Bot API, which gates the expiry sweeper
 * (PushRouter's `healthy`) so that a process that cannot reach Telegram takes no expiries.
 */
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  createTelegramBot,
  TELEGRAM_CALL_TIMEOUT_MS,
  TelegramUnreachable,
} from '../../adapters/telegram/bot.ts';
import { t } from '../../src/catalog/catalog.ts';
import { ManualClock } from '../../src/clock.ts';
import { describeSetting, maskUrl } from '../../src/config.ts';
import { Engine } from '../../src/engine/engine.ts';
import { PushRouter } from '../../src/engine/push.ts';
import { SessionStore } from '../../src/engine/session-store.ts';
import {
  connectionCause,
  DependencyUnreachable,
  pingRedis,
  REDIS_CLIENT_OPTIONS,
  REDIS_RECONNECT_MAX_MS,
  Readiness,
  redisReconnectDelay,
  waitForRedis,
} from '../../src/http/readiness.ts';
import { MemoryKv } from '../../src/kv/memory-kv.ts';
import { silentLogger } from '../../src/log.ts';
import { freePort } from '../helpers/ports.ts';
import { startRedisServer } from '../helpers/redis-server.ts';
import { FakeTelegramApi } from '../helpers/telegram-api.ts';
import { changePasswordWithFakes, FakeAccount } from '../helpers/telegram-harness.ts';

const closers: Array<() => unknown> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

function client(url: string): Redis {
  const redis = new Redis(url, REDIS_CLIENT_OPTIONS);
  redis.on('error', () => {});
  closers.push(() => redis.disconnect());
  return redis;
}

describe('settings in messages', () => {
  it('masks the password of a URL, keeps the rest, drops query and fragment, and says when it is the default', () => {
    expect(maskUrl('redis://:hunter2@cache:6379/0')).toBe('redis://:***@cache:6379/0');
    expect(maskUrl('rediss://ops:s3cr%40t@redis.internal:6380')).toBe('rediss://ops:***@redis.internal:6380');
    expect(maskUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(maskUrl('https://tg.internal/root?key=abc#x')).toBe('https://tg.internal/root');
    expect(maskUrl('not a url :hunter2@')).toBe('(not a URL)');
    expect(describeSetting('TELEGRAM_API_ROOT', 'https://api.telegram.org', true)).toBe(
      'TELEGRAM_API_ROOT=https://api.telegram.org (the default)',
    );
  });

  it('reduces a connection error to its code, never a URL', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(connectionCause(refused)).toBe('ECONNREFUSED');
    expect(connectionCause(new Error('wrapped', { cause: refused }))).toBe('ECONNREFUSED');
    expect(connectionCause(new Error('WRONGPASS invalid username-password pair'))).toBe(
      'WRONGPASS invalid username-password pair',
    );
    expect(connectionCause(new Error('request to http://x/bot123:ABC/getMe failed'))).toBe(
      'request to (url) failed',
    );
  });
});

describe('the start-up wait for Redis', () => {
  it('resolves at once when Redis answers', async () => {
    const started = Date.now();
    await waitForRedis(client(inject('redisUrl')), { setting: 'REDIS_URL', url: inject('redisUrl') });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('gives up after its time limit, naming the setting, the masked URL and the cause', async () => {
    const port = await freePort();
    const url = `redis://:hunter2@127.0.0.1:${port}`;
    const started = Date.now();
    const error = await waitForRedis(client(url), { setting: 'REDIS_URL', url, timeoutMs: 1_000 }).catch(
      (e: unknown) => e,
    );
    const ms = Date.now() - started;
    expect(error).toBeInstanceOf(DependencyUnreachable);
    expect((error as DependencyUnreachable).setting).toBe('REDIS_URL');
    expect((error as Error).message).toBe(
      `cannot reach Redis at REDIS_URL=redis://:***@127.0.0.1:${port} (ECONNREFUSED)`,
    );
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(2_500);
  });

  it('returns as soon as a signal ends the start-up', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 200);
    const started = Date.now();
    await waitForRedis(client(url), { setting: 'REDIS_URL', url, timeoutMs: 5_000, signal: stop.signal });
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('reconnecting to Redis, bounded', () => {
  it('waits 100 ms doubling up to a second (plus at most a fifth of jitter) between attempts, and never gives up', () => {
    expect([1, 2, 3, 4, 5, 6, 50, 10_000].map((times) => redisReconnectDelay(times, () => 0))).toEqual([
      100, 200, 400, 800, 1_000, 1_000, 1_000, 1_000,
    ]);
    for (let times = 1; times <= 100; times += 1) {
      const delay = redisReconnectDelay(times);
      expect(delay).toBeGreaterThanOrEqual(100);
      expect(delay).toBeLessThanOrEqual(REDIS_RECONNECT_MAX_MS * 1.2);
    }
    expect(redisReconnectDelay(3, () => 0.999)).toBeLessThanOrEqual(480);
    const strategy = REDIS_CLIENT_OPTIONS.retryStrategy;
    expect(typeof strategy).toBe('function');
    expect(strategy?.(1_000_000)).toBeLessThanOrEqual(REDIS_RECONNECT_MAX_MS * 1.2);
  });

  it('fails a command within seconds while Redis is gone, and serves again within about a second of its return', async () => {
    const server = await startRedisServer();
    closers.push(() => server.stop());
    const redis = client(server.url);
    expect(await redis.ping()).toBe('PONG');

    await server.halt();
    const started = Date.now();
    await expect(redis.get('some-key')).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(4_000);
    // Redis stays away long enough for the pauses to reach their ceiling.
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    await server.restart();
    const back = Date.now();
    while (!(await pingRedis(redis, 500)) && Date.now() - back < 5_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(Date.now() - back).toBeLessThan(REDIS_RECONNECT_MAX_MS * 1.2 + 1_000);
    expect(await redis.ping()).toBe('PONG');
  });
});

describe('readiness', () => {
  it('is ready only while serving with every check passing', async () => {
    let telegram = true;
    const readiness = new Readiness(client(inject('redisUrl')));
    readiness.platform('telegram', () => telegram);
    expect(await readiness.report()).toEqual({
      ok: false,
      status: 'starting',
      checks: { redis: true, telegram: true },
    });
    readiness.serving();
    expect(await readiness.report()).toEqual({
      ok: true,
      status: 'ready',
      checks: { redis: true, telegram: true },
    });
    telegram = false;
    expect(await readiness.report()).toEqual({
      ok: false,
      status: 'unavailable',
      checks: { redis: true, telegram: false },
    });
    telegram = true;
    readiness.draining();
    readiness.serving(); // draining is for good
    expect(await readiness.report()).toMatchObject({ ok: false, status: 'draining' });
  });

  it('reports Redis down within about a second', async () => {
    const readiness = new Readiness(client(`redis://127.0.0.1:${await freePort()}`));
    readiness.serving();
    const started = Date.now();
    expect(await readiness.report()).toEqual({ ok: false, status: 'unavailable', checks: { redis: false } });
    expect(Date.now() - started).toBeLessThan(2_500);
  });
});

describe("the Telegram adapter's view of its Bot API", () => {
  async function world() {
    const api = await FakeTelegramApi.start({ botUsername: 'lockstep_health_bot' });
    closers.push(() => api.close());
    const clock = new ManualClock();
    const account = new FakeAccount();
    const alice = api.person(7001, 'Alice');
    const engine = new Engine({
      flows: [changePasswordWithFakes(account)],
      sessions: new SessionStore(new MemoryKv(clock)),
      identities: {
        accountIdFor: async (channel, userId) =>
          channel === 'telegram' && userId === String(alice.user.id) ? account.id : null,
      },
      clock,
      log: silentLogger,
      idleTimeoutMs: 60_000,
      push: (chat, replies) => push.send(chat, replies),
      pushReady: () => push.ready(),
    });
    const push = new PushRouter();
    const telegram = createTelegramBot({
      token: api.token,
      engine,
      log: silentLogger,
      apiRoot: api.url,
      // No retries: each failure shows at once.
      retry: { maxRetryAttempts: 0, maxDelaySeconds: 1 },
    });
    closers.push(() => telegram.stop());
    push.register('telegram', telegram.pushSender, () => telegram.health.reachable());
    return { api, clock, alice, engine, telegram };
  }

  it('is unknown (not reachable) before the first call; getMe makes it reachable and sets the bot up', async () => {
    const { telegram } = await world();
    expect(telegram.health.reachable()).toBe(false);
    await telegram.health.probe(2_000);
    expect(telegram.health.reachable()).toBe(true);
    expect(telegram.bot.botInfo.username).toBe('lockstep_health_bot');
    expect(telegram.health.state().lastSuccessAt).toBeGreaterThan(0);
  });

  it('turns unreachable on a 5xx, and reachable again on the next answer; a 4xx refusal is an answer', async () => {
    const { api, telegram, alice } = await world();
    await telegram.health.probe(2_000);
    api.failNext('sendMessage', { status: 500 });
    await expect(
      telegram.pushSender({ channel: 'telegram', chatId: String(alice.chat.id) }, [{ key: 'common.help' }]),
    ).rejects.toThrow();
    expect(telegram.health.state()).toMatchObject({
      reachable: false,
      lastFailure: '500: Internal Server Error',
    });
    api.failNext('sendMessage', { status: 400, description: "message can't be deleted" });
    await expect(
      telegram.pushSender({ channel: 'telegram', chatId: String(alice.chat.id) }, [{ key: 'common.help' }]),
    ).rejects.toThrow();
    expect(telegram.health.reachable()).toBe(true);
  });

  it('a probe of an unreachable API throws with the cause and no token; a refused token is told apart', async () => {
    const { api, telegram } = await world();
    await api.close();
    const error = await telegram.health.probe(1_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TelegramUnreachable);
    expect((error as TelegramUnreachable).reason).toBe('ECONNREFUSED');
    expect((error as TelegramUnreachable).refused).toBe(false);
    expect((error as Error).message).not.toContain(api.token);
    expect(telegram.health.reachable()).toBe(false);

    const other = await FakeTelegramApi.start();
    closers.push(() => other.close());
    const wrong = createTelegramBot({
      token: '999:AAH-not-the-stand-in-token-xxxxxxxxxx',
      engine: new Engine({
        flows: [],
        sessions: new SessionStore(new MemoryKv()),
        identities: { accountIdFor: async () => null },
        clock: new ManualClock(),
        log: silentLogger,
      }),
      log: silentLogger,
      apiRoot: other.url,
    });
    const refused = await wrong.health.probe(1_000).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TelegramUnreachable);
    expect((refused as TelegramUnreachable).refused).toBe(true);
    expect((refused as TelegramUnreachable).reason).toBe('401: Unauthorized');
  });

  it("gives a Bot API call that gets no answer a short time limit (not grammY's 500 s), and counts it as unreachable", async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          silent.close(() => resolve());
        }),
    );
    const apiRoot = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const bot = (callTimeoutMs?: number) => {
      const telegram = createTelegramBot({
        token: '123456:AAH-silent-api-token-xxxxxxxxxxxxxx',
        engine: new Engine({
          flows: [],
          sessions: new SessionStore(new MemoryKv()),
          identities: { accountIdFor: async () => null },
          clock: new ManualClock(),
          log: silentLogger,
        }),
        log: silentLogger,
        apiRoot,
        retry: { maxRetryAttempts: 0, maxDelaySeconds: 1 },
        ...(callTimeoutMs === undefined ? {} : { callTimeoutMs }),
      });
      closers.push(() => telegram.stop());
      return telegram;
    };
    const timed = async (telegram: ReturnType<typeof bot>) => {
      const started = Date.now();
      const error = await telegram
        .pushSender({ channel: 'telegram', chatId: '7001' }, [{ key: 'common.help' }])
        .catch((e: unknown) => e);
      return { error, ms: Date.now() - started };
    };

    const short = bot(300);
    const quick = await timed(short);
    expect(quick.error).toBeInstanceOf(Error);
    expect(quick.ms).toBeLessThan(2_000);
    expect(short.health.state()).toMatchObject({ reachable: false, lastFailure: 'no answer in time' });

    // The default: TELEGRAM_CALL_TIMEOUT_MS (10 s), so an outage is noticed within seconds.
    expect(TELEGRAM_CALL_TIMEOUT_MS).toBe(10_000);
    const standard = bot();
    const slow = await timed(standard);
    expect(slow.error).toBeInstanceOf(Error);
    expect(slow.ms).toBeGreaterThanOrEqual(TELEGRAM_CALL_TIMEOUT_MS - 100);
    expect(slow.ms).toBeLessThan(TELEGRAM_CALL_TIMEOUT_MS + 3_000);
    expect(standard.health.state()).toMatchObject({ reachable: false, lastFailure: 'no answer in time' });
  });

  it('keeps the expiry sweeper from taking expiries while Telegram is unreachable; they are sent once it is back', async () => {
    const { api, clock, alice, engine, telegram } = await world();
    await telegram.health.probe(2_000);
    // Alice starts /password through the adapter and goes quiet.
    await telegram.bot.handleUpdate(api.messageUpdate(alice.chat, alice.user, '/password'));
    expect(api.textsTo(alice.chat.id)).toContain(t('en', 'password.askCurrent'));
    clock.advance(60_001);

    // Telegram fails: the process takes no expiry (another process that can reach Telegram would).
    api.failNext('sendMessage', { status: 500 });
    await telegram.bot.handleUpdate(api.messageUpdate(api.person(7002).chat, api.person(7002).user, '/help'));
    expect(telegram.health.reachable()).toBe(false);
    const before = api.calls.length;
    expect(await engine.expireIdle()).toBe(0);
    expect(api.callsOf('sendMessage', before)).toEqual([]);

    // Telegram answers again: the expiry is taken and alice is told.
    await telegram.health.probe(2_000);
    expect(telegram.health.reachable()).toBe(true);
    expect(await engine.expireIdle()).toBe(1);
    expect(api.textsTo(alice.chat.id, before)).toContain(
      t('en', 'common.expired', { flow: t('en', 'password.title'), minutes: 1 }),
    );
  });
});

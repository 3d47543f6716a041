/**
 * Issue 9, point 6: Redis goes away in the middle of a conversation and comes back. A private
 * `redis-server` (append-only file, so its data survives like a deployed one's) is stopped and restarted
 * on the same port while alice is at the current-password prompt of /password, through the real Telegram
 * adapter (grammY polling the Bot API stand-in), the real engine and services on that Redis, and a Redis
 * client configured as the composition root configures it (REDIS_CLIENT_OPTIONS).
 *
 * While it is down: every message is answered "temporarily unavailable, nothing was changed" within a few
 * seconds; the password she types is still deleted from the chat. Once it is back, the same conversation
 * goes on from where it was, in the same process, without a restart.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelegramBot, type TelegramBot } from '../../adapters/telegram/bot.ts';
import { t } from '../../src/catalog/catalog.ts';
import { systemClock } from '../../src/clock.ts';
import { createEngine } from '../../src/composition/engine.ts';
import { PushRouter } from '../../src/engine/push.ts';
import { RedisSessionFrame } from '../../src/engine/redis-session-frame.ts';
import { REDIS_CLIENT_OPTIONS, watchRedis } from '../../src/http/readiness.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import type { Logger } from '../../src/log.ts';
import { createServices, type Services } from '../../src/services.ts';
import { RecordingDelivery } from '../helpers/fake-delivery.ts';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.ts';
import { type FakePerson, FakeTelegramApi } from '../helpers/telegram-api.ts';
import { messageIdOfUpdate, shows, showsMatching } from '../helpers/chat.ts';

const SECRET_KEY = 'faults-outage-test-secret-key-0123456789';
const PASSWORD = 'Sunflower-Lantern-42';
const NEW_PASSWORD = 'Quiet-Harbour-Maple-77';
const PHONE = '+8613800138000';
const EMAIL = 'alice@example.com';
const PREFIX = 'outage:';

interface LogLine {
  readonly level: string;
  readonly obj: Record<string, unknown>;
  readonly msg: string;
}

describe('a Redis outage in the middle of a conversation, on Telegram', { timeout: 90_000 }, () => {
  let server: RedisServer;
  let redis: Redis;
  let api: FakeTelegramApi;
  let telegram: TelegramBot;
  let services: Services;
  let accountId: string;
  let alice: FakePerson;
  const logs: LogLine[] = [];

  beforeAll(async () => {
    server = await startRedisServer({ persistent: true });
    const at =
      (level: string) =>
      (obj: object, msg: string): void => {
        logs.push({ level, obj: { ...obj }, msg });
      };
    const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
    redis = new Redis(server.url, REDIS_CLIENT_OPTIONS);
    watchRedis(redis, log, server.url);
    services = createServices({
      kv: new RedisKv(redis),
      sessionFrame: new RedisSessionFrame(redis),
      delivery: new RecordingDelivery(),
      clock: systemClock,
      log,
      secretKey: SECRET_KEY,
      prefix: PREFIX,
    });
    const push = new PushRouter();
    const engine = createEngine(services, { push: push.send, pushReady: () => push.ready() });
    api = await FakeTelegramApi.start({ token: '7000003:AAH-outage-test-token_abcdefghij' });
    telegram = createTelegramBot({
      token: api.token,
      engine,
      log,
      apiRoot: api.url,
      pollTimeoutSeconds: 1,
      retry: { maxRetryAttempts: 2, maxDelaySeconds: 2 },
    });
    push.register('telegram', telegram.pushSender, () => telegram.health.reachable());

    const created = await services.accounts.create({
      phone: PHONE,
      email: EMAIL,
      passwordHash: await services.hasher.hash(PASSWORD),
      now: Date.now(),
    });
    if (!created.ok) throw new Error(`could not seed the account: ${created.reason}`);
    accountId = created.account.id;
    alice = api.person(4001, 'Alice');
    const linked = await services.accounts.link(accountId, 'telegram', String(alice.user.id), Date.now());
    if (!linked.ok) throw new Error(`could not link alice: ${linked.reason}`);
    await telegram.start();
  });

  afterAll(async () => {
    await telegram?.stop();
    await api?.close();
    redis?.disconnect();
    server?.stop();
  });

  it('answers "unavailable, nothing was changed" while Redis is down, deletes the typed password, and goes on when it is back', async () => {
    api.userSends(alice.chat, alice.user, '/password');
    await shows(api, alice.chat, 'password.askCurrent');

    // Redis stops (its clients see their connection closed).
    await server.halt();

    // The password typed now cannot be read into the task; it is still deleted, and she is told the truth.
    let since = api.calls.length;
    let sentAt = Date.now();
    const typed = api.userSends(alice.chat, alice.user, PASSWORD);
    const unavailable = await shows(api, alice.chat, 'common.unavailable', undefined, since);
    const outageAnswerMs = Date.now() - sentAt;
    expect(outageAnswerMs).toBeLessThan(5_000);
    const deletion = await api.waitFor(
      (call) => call.index >= since && call.method === 'deleteMessage' && call.status === 200,
    );
    expect(deletion.params).toEqual({ chat_id: alice.chat.id, message_id: messageIdOfUpdate(typed) });
    expect(api.isDeleted(alice.chat.id, messageIdOfUpdate(typed))).toBe(true);
    const notice = await shows(api, alice.chat, 'common.secretDeleted', undefined, since);
    expect(deletion.index).toBeLessThan(notice.index);
    expect(notice.index).toBeLessThan(unavailable.index);

    // Later in the outage (the client now retries once a second), a message that holds no secret is
    // answered the same way, as fast, and left alone.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    since = api.calls.length;
    sentAt = Date.now();
    api.userSends(alice.chat, alice.user, '/help');
    await shows(api, alice.chat, 'common.unavailable', undefined, since);
    const laterAnswerMs = Date.now() - sentAt;
    expect(laterAnswerMs).toBeLessThan(5_000);
    expect(api.callsOf('deleteMessage', since)).toEqual([]);
    expect(api.textsTo(alice.chat.id, since)).toEqual([t('en', 'common.unavailable')]);

    // Redis comes back on the same port; nothing is restarted here.
    await server.restart();
    const backAt = Date.now();

    // The same conversation: still at the current-password prompt, so the password is taken now.
    // (The client reconnects by itself within about a second; until then she may hear "unavailable".)
    let askNew = null;
    let servedAgainMs = 0;
    for (let attempt = 0; attempt < 10 && askNew === null; attempt += 1) {
      since = api.calls.length;
      sentAt = Date.now();
      api.userSends(alice.chat, alice.user, PASSWORD);
      const answer = await showsMatching(
        api,
        alice.chat,
        new RegExp(
          `^(${[t('en', 'password.askNew'), t('en', 'common.unavailable')].map(escapeRegExp).join('|')})$`,
        ),
        since,
      );
      if (answer.params.text === t('en', 'password.askNew')) {
        askNew = answer;
        servedAgainMs = Date.now() - backAt;
      } else {
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    }
    expect(askNew).not.toBeNull();
    expect(servedAgainMs).toBeLessThan(5_000);

    since = api.calls.length;
    api.userSends(alice.chat, alice.user, NEW_PASSWORD);
    await shows(api, alice.chat, 'password.askRepeat', undefined, since);
    since = api.calls.length;
    api.userSends(alice.chat, alice.user, NEW_PASSWORD);
    await showsMatching(api, alice.chat, /^Done: your password was changed\./, since);

    // Changed once, with the new password; the attempt during the outage never reached the account.
    const account = await services.accounts.get(accountId);
    expect(account).not.toBeNull();
    expect(await services.hasher.verify(account?.passwordHash ?? '', NEW_PASSWORD)).toBe(true);
    const events = (await services.accounts.events(accountId)).map((event) => event.type);
    expect(events.filter((type) => type === 'password.changed')).toHaveLength(1);
    expect(events).not.toContain('password.wrong');

    // The outage is in the log once, with its cause, and its end; never the password.
    const lost = logs.filter((line) => line.msg === 'redis connection lost; reconnecting');
    expect(lost.length).toBeGreaterThanOrEqual(1);
    expect(lost[0]?.obj.cause).toMatch(/^E[A-Z]+$|closed/i);
    expect(logs.some((line) => line.msg === 'redis connection restored')).toBe(true);
    expect(JSON.stringify(logs)).not.toContain(PASSWORD);
    expect(JSON.stringify(logs)).not.toContain(NEW_PASSWORD);
    console.info(
      `[faults] outage: answered "unavailable" in ${outageAnswerMs} ms, ${laterAnswerMs} ms later on; served again ${servedAgainMs} ms after Redis was back`,
    );
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

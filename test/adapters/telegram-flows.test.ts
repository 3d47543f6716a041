/**
 * Every guided task on Telegram, for real: the grammY bot from `createTelegramBot` long-polls a local
 * stand-in of the Bot API, and the engine runs the real flows on the real services (`createServices`,
 * `createEngine`) over the test Redis, with real argon2 and real TOTP. Only SMS and email are faked, at
 * the edge of the world (a recording provider the tests read the codes from). Each test plays Telegram
 * users typing and pressing buttons, and checks what the chat shows, what the account became, that every
 * message holding a secret was deleted, and that no secret reached a log line.
 */

import argon2 from 'argon2';
import type { FastifyInstance } from 'fastify';
import type { Chat, InlineKeyboardMarkup, Update } from 'grammy/types';
import { afterEach, describe, expect, it } from 'vitest';
import { createTelegramBot, type TelegramBot } from '../../adapters/telegram/bot.ts';
import type { Account } from '../../src/accounts/account.ts';
import { type MessageKey, type MessageParams, t } from '../../src/catalog/catalog.ts';
import { systemClock } from '../../src/clock.ts';
import { createEngine } from '../../src/composition/engine.ts';
import type { Engine } from '../../src/engine/engine.ts';
import { startHttp } from '../../src/http/start-http.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import type { Logger } from '../../src/log.ts';
import { createServices, type Services } from '../../src/services.ts';
import { qrPng } from '../../src/twofa/qr.ts';
import { TotpService } from '../../src/twofa/totp.ts';
import { RecordingDelivery } from '../helpers/fake-delivery.ts';
import { freePort } from '../helpers/ports.ts';
import { connectRedis, deleteByPrefix, uniquePrefix } from '../helpers/redis.ts';
import { type ApiCall, type FakePerson, FakeTelegramApi } from '../helpers/telegram-api.ts';
import { openVerifyLink } from '../helpers/verify-link.ts';

const SECRET_KEY = 'telegram-flows-test-secret-key-0123456789';
const BOT_USERNAME = 'lockstep_flows_bot';
const PASSWORD = 'Sunflower-Lantern-42';
const NEW_PASSWORD = 'Quiet-Harbour-Maple-77';
const PHONE = '+8613800138000';
const PHONE_TYPED = '+86 138 0013 8000';
const PHONE_MASKED = '+86 138****8000';
const NEW_PHONE = '+8613900139000';
const NEW_PHONE_SHOWN = '+86 139 0013 9000';
/** A valid mobile number no account uses. */
const UNKNOWN_PHONE_TYPED = '+86 137 0013 7000';
const EMAIL = 'alice@example.com';
const NEW_EMAIL = 'alice.new@example.org';
/** How long to wait for one step: real argon2 and Redis are involved. */
const STEP_MS = 10_000;

const redis = connectRedis();

interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: object;
  readonly msg: string;
}

interface World {
  readonly api: FakeTelegramApi;
  readonly telegram: TelegramBot;
  readonly services: Services;
  readonly engine: Engine;
  readonly delivery: RecordingDelivery;
  readonly logs: LogEntry[];
  readonly accountId: string;
  /** Linked to the account. */
  readonly alice: FakePerson;
  /** Not linked to anything. */
  readonly bob: FakePerson;
  /** Where the HTTP server listens (with `http: true`). */
  readonly baseUrl: string | null;
  /** Every password, code, key and recovery code of the test: none may reach a log line. */
  readonly secrets: Set<string>;
  account(): Promise<Account>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/**
 * The whole stack of one test: stand-in, real services on Redis (a fresh key prefix), real engine, the
 * real bot polling; an account with a password, a phone, an email and two signed-in sessions, linked to
 * alice's Telegram user. With `http`, the HTTP server of the composition root serves `/verify-email`.
 */
async function createWorld(
  options: { readonly http?: boolean; readonly idleMs?: number } = {},
): Promise<World> {
  const api = await FakeTelegramApi.start({
    token: '7000001:AAH-flows-test-token_abcdefghij',
    botUsername: BOT_USERNAME,
  });
  cleanups.push(() => api.close());
  const prefix = uniquePrefix();
  cleanups.push(() => deleteByPrefix(redis, prefix));
  const logs: LogEntry[] = [];
  const capture =
    (level: LogEntry['level']) =>
    (obj: object, msg: string): void => {
      logs.push({ level, obj, msg });
    };
  const log: Logger = {
    debug: capture('debug'),
    info: capture('info'),
    warn: capture('warn'),
    error: capture('error'),
  };
  const port = options.http ? await freePort() : null;
  const baseUrl = port === null ? null : `http://127.0.0.1:${port}`;
  const delivery = new RecordingDelivery();
  const services = createServices({
    kv: new RedisKv(redis),
    delivery,
    clock: systemClock,
    log,
    secretKey: SECRET_KEY,
    prefix,
    ...(baseUrl ? { publicUrl: baseUrl } : {}),
    ...(options.idleMs ? { flowIdleMs: options.idleMs } : {}),
  });
  const engine = createEngine(services);

  const created = await services.accounts.create({
    phone: PHONE,
    email: EMAIL,
    passwordHash: await services.hasher.hash(PASSWORD),
    now: Date.now(),
  });
  if (!created.ok) throw new Error(`could not seed the account: ${created.reason}`);
  const accountId = created.account.id;
  await services.accounts.update(accountId, (account) => ({
    ...account,
    sessions: [
      { id: 'sess_1', device: 'web', createdAt: Date.now(), lastSeenAt: Date.now() },
      { id: 'sess_2', device: 'phone app', createdAt: Date.now(), lastSeenAt: Date.now() },
    ],
  }));
  const alice = api.person(2001, 'Alice');
  const bob = api.person(2002, 'Bob');
  const linked = await services.accounts.link(accountId, 'telegram', String(alice.user.id), Date.now());
  if (!linked.ok) throw new Error(`could not link alice: ${linked.reason}`);

  if (port !== null && baseUrl !== null) {
    const app: FastifyInstance | null = await startHttp({
      config: {
        http: { host: '127.0.0.1', port, publicUrl: baseUrl },
        telegram: undefined,
        discord: undefined,
      },
      services,
      engine,
      redis,
      log,
    });
    cleanups.push(async () => {
      await app?.close();
    });
  }

  const telegram = createTelegramBot({
    token: api.token,
    engine,
    log,
    apiRoot: api.url,
    pollTimeoutSeconds: 1,
    retry: { maxRetryAttempts: 2, maxDelaySeconds: 3 },
  });
  engine.setPushSender(telegram.pushSender);
  await telegram.start();
  cleanups.push(() => telegram.stop());

  return {
    api,
    telegram,
    services,
    engine,
    delivery,
    logs,
    accountId,
    alice,
    bob,
    baseUrl,
    secrets: new Set([PASSWORD, NEW_PASSWORD]),
    async account() {
      const account = await services.accounts.get(accountId);
      if (!account) throw new Error('the seeded account is gone');
      return account;
    },
  };
}

// ---- reading the chat ------------------------------------------------------------------------------

function isShown(call: ApiCall, chat: Chat, since: number): boolean {
  return (
    call.index >= since &&
    call.status === 200 &&
    (call.method === 'sendMessage' || call.method === 'sendPhoto') &&
    call.params.chat_id === chat.id
  );
}

function shownText(call: ApiCall): string {
  return String(call.params.text ?? call.params.caption ?? '');
}

/** Waits for the bot to show `key` (rendered in English) in `chat`, at or after call `since`. */
function shows(w: World, chat: Chat, key: MessageKey, params?: MessageParams, since = 0): Promise<ApiCall> {
  const text = t('en', key, params);
  return w.api.waitFor((call) => isShown(call, chat, since) && shownText(call) === text, STEP_MS);
}

/** Waits for a message or caption in `chat` that matches `pattern`. */
function showsMatching(w: World, chat: Chat, pattern: RegExp, since = 0): Promise<ApiCall> {
  return w.api.waitFor((call) => isShown(call, chat, since) && pattern.test(shownText(call)), STEP_MS);
}

function keyboardOf(call: ApiCall): InlineKeyboardMarkup['inline_keyboard'] {
  return (call.params.reply_markup as InlineKeyboardMarkup | undefined)?.inline_keyboard ?? [];
}

function messageIdOf(call: ApiCall): number {
  return (call.result as { message_id: number }).message_id;
}

function messageIdOfUpdate(update: Update): number {
  const id = update.message?.message_id;
  if (id === undefined) throw new Error('not a message update');
  return id;
}

/** The user presses the button labelled `label` (rendered) under the message `call` sent. */
function press(w: World, person: FakePerson, call: ApiCall, label: string): Update {
  const button = keyboardOf(call)
    .flat()
    .find((b) => b.text === label);
  if (!button || !('callback_data' in button) || button.callback_data === undefined) {
    throw new Error(`no button "${label}" under "${shownText(call)}": ${JSON.stringify(keyboardOf(call))}`);
  }
  return w.api.userPresses(person.chat, person.user, messageIdOf(call), button.callback_data);
}

/**
 * The user answers a secret prompt with `secret`: waits for `next`, and checks that the message was
 * deleted and the user told so, before the next prompt.
 */
async function answerSecret(
  w: World,
  person: FakePerson,
  secret: string,
  next: MessageKey,
  params?: MessageParams,
): Promise<ApiCall> {
  w.secrets.add(secret);
  const since = w.api.calls.length;
  const update = w.api.userSends(person.chat, person.user, secret);
  const answer = await shows(w, person.chat, next, params, since);
  const notice = await shows(w, person.chat, 'common.secretDeleted', undefined, since);
  const deletions = w.api.callsOf('deleteMessage', since);
  expect(deletions.map((call) => [call.params, call.status])).toEqual([
    [{ chat_id: person.chat.id, message_id: messageIdOfUpdate(update) }, 200],
  ]);
  expect(w.api.isDeleted(person.chat.id, messageIdOfUpdate(update))).toBe(true);
  expect(deletions[0]?.index).toBeLessThan(notice.index);
  expect(notice.index).toBeLessThan(answer.index);
  return answer;
}

/** The user answers a plain prompt (a phone number, an address): it stays in the chat. */
async function answerPlain(
  w: World,
  person: FakePerson,
  text: string,
  next: MessageKey,
  params?: MessageParams,
): Promise<ApiCall> {
  const since = w.api.calls.length;
  const update = w.api.userSends(person.chat, person.user, text);
  const answer = await shows(w, person.chat, next, params, since);
  expect(w.api.callsOf('deleteMessage', since)).toEqual([]);
  expect(w.api.isDeleted(person.chat.id, messageIdOfUpdate(update))).toBe(false);
  return answer;
}

/** The latest one-time code sent to `to` (remembered as a secret). */
function codeSentTo(w: World, to: string): string {
  const code = w.delivery.lastCodeTo(to);
  w.secrets.add(code);
  return code;
}

/** Digits-only secrets match as whole numbers, so a code is not "found" inside a timestamp. */
function holds(haystack: string, secret: string): boolean {
  if (/^\d+$/.test(secret)) return new RegExp(`(?<!\\d)${secret}(?!\\d)`).test(haystack);
  return haystack.includes(secret);
}

function expectNoSecretInLogs(w: World): void {
  const logged = JSON.stringify(w.logs);
  const leaked = [...w.secrets].filter((secret) => secret !== '' && holds(logged, secret));
  expect(leaked, `secrets in the logs: ${logged}`).toEqual([]);
}

/** What the bot sent Telegram apart from polling: typed passwords and codes are never echoed back. */
function outbound(w: World): string {
  return JSON.stringify(w.api.calls.filter((call) => call.method !== 'getUpdates').map((c) => c.params));
}

// ---- the conversations --------------------------------------------------------------------------------

describe('Telegram with the real engine and services (grammY bot, Bot API stand-in, Redis)', () => {
  it('links a chat: /link, the phone number, the code from the SMS (deleted), then the linked menu', async () => {
    const w = await createWorld();
    const { api, bob } = w;
    api.userSends(bob.chat, bob.user, '/link');
    await shows(w, bob.chat, 'link.askDestination');

    let since = api.calls.length;
    await answerPlain(w, bob, PHONE_TYPED, 'link.codeSent', { to: PHONE_TYPED });
    const askCode = await shows(w, bob.chat, 'link.askCode', { to: PHONE_TYPED }, since);
    expect(keyboardOf(askCode).map((row) => row.map((b) => b.text))).toEqual([
      [t('en', 'codes.choiceResend')],
      [t('en', 'link.choiceOther')],
    ]);
    expect(w.delivery.to(PHONE).map((m) => m.text)).toEqual([
      expect.stringContaining('your code to link a chat to your account is'),
    ]);

    since = api.calls.length;
    await answerSecret(w, bob, codeSentTo(w, PHONE), 'link.done');
    // A new link is a good moment for the checkup (two-step verification is off): it offers itself.
    const offer = await shows(w, bob.chat, 'checkup.offer', undefined, since);
    expect(
      keyboardOf(offer)
        .flat()
        .map((b) => b.text),
    ).toEqual([t('en', 'checkup.choiceShow'), t('en', 'checkup.choiceLater')]);
    const account = await w.account();
    expect(account.links.map((link) => [link.channel, link.userId])).toEqual([
      ['telegram', String(w.alice.user.id)],
      ['telegram', String(bob.user.id)],
    ]);
    expect((await w.services.accounts.findByLink('telegram', String(bob.user.id)))?.id).toBe(w.accountId);
    expect(w.delivery.to(PHONE).at(-1)?.text).toBe(t('en', 'link.noticeSms', { channel: 'Telegram' }));
    expect(w.delivery.to(EMAIL).at(-1)?.subject).toBe(t('en', 'link.noticeEmailSubject'));

    // /menu goes past the offer: the menu, not "a task is under way".
    since = api.calls.length;
    api.userSends(bob.chat, bob.user, '/menu');
    const menu = await shows(w, bob.chat, 'common.menu', undefined, since);
    const tasks = keyboardOf(menu).map((row) => row[0]?.text);
    expect(tasks).toContain(t('en', 'menu.password'));
    expect(tasks).not.toContain(t('en', 'menu.link'));
    expect(outbound(w)).not.toMatch(new RegExp(`(?<!\\d)${w.delivery.lastCodeTo(PHONE)}(?!\\d)`));
    expectNoSecretInLogs(w);
  });

  it('answers /link with an unknown phone number exactly as with a known one, and sends nothing', async () => {
    const w = await createWorld();
    const { api, bob } = w;
    const carol = api.person(2003, 'Carol');
    /** What a person reads after typing `typed` as the destination, with it written as <to>. */
    const readsAfter = async (person: FakePerson, typed: string): Promise<string[]> => {
      const start = api.calls.length;
      api.userSends(person.chat, person.user, '/link');
      await shows(w, person.chat, 'link.askDestination', undefined, start);
      const since = api.calls.length;
      api.userSends(person.chat, person.user, typed);
      await shows(w, person.chat, 'link.askCode', { to: typed }, since);
      return api.textsTo(person.chat.id, since).map((text) => text.split(typed).join('<to>'));
    };
    const known = await readsAfter(bob, PHONE_TYPED);
    const unknown = await readsAfter(carol, UNKNOWN_PHONE_TYPED);
    expect(unknown).toEqual(known);
    expect(unknown).toHaveLength(2);
    expect(w.delivery.sent.map((m) => m.to)).toEqual([PHONE]);

    // A guessed code in the unknown chat links nothing (and is deleted like any code).
    await answerSecret(w, carol, '123456', 'codes.wrong', { remaining: 4 });
    expect(await w.services.accounts.findByLink('telegram', String(carol.user.id))).toBeNull();
    expectNoSecretInLogs(w);
  });

  it('answers an edited message with "send it again as a new message", and acts on nothing in it', async () => {
    const w = await createWorld();
    const { api, alice } = w;
    const hello = api.userSends(alice.chat, alice.user, 'hello');
    await shows(w, alice.chat, 'common.notUnderstood');
    // The message edited into a command: read as an edit only, never run.
    let since = api.calls.length;
    api.userEdits(alice.chat, alice.user, messageIdOfUpdate(hello), '/password');
    await shows(w, alice.chat, 'telegram.editedIgnored', undefined, since);
    const stored = await w.services.sessions.load({ channel: 'telegram', chatId: String(alice.chat.id) });
    expect(stored?.session.flow ?? null).toBeNull();
    expect(api.calls.slice(since).filter((call) => call.method === 'sendMessage')).toHaveLength(1);
    // Sent as a new message, it runs.
    since = api.calls.length;
    api.userSends(alice.chat, alice.user, '/password');
    await shows(w, alice.chat, 'password.askCurrent', undefined, since);
  });

  it('changes the password on real argon2, deleting every password message, and notifies phone and email', async () => {
    const w = await createWorld();
    const { api, alice } = w;
    api.userSends(alice.chat, alice.user, '/password');
    const askCurrent = await shows(w, alice.chat, 'password.askCurrent');
    expect(keyboardOf(askCurrent).map((row) => row.map((b) => b.text))).toEqual([
      [t('en', 'password.choiceForgot')],
    ]);

    await answerSecret(w, alice, PASSWORD, 'password.askNew');
    await answerSecret(w, alice, NEW_PASSWORD, 'password.askRepeat');
    await answerSecret(w, alice, NEW_PASSWORD, 'password.changed', { signedOut: 2 });

    const account = await w.account();
    expect(account.passwordHash.startsWith('$argon2id$')).toBe(true);
    expect(await argon2.verify(account.passwordHash, NEW_PASSWORD)).toBe(true);
    expect(await argon2.verify(account.passwordHash, PASSWORD)).toBe(false);
    expect(account.sessions).toEqual([]);
    // Notices go out after the change, from the outbox, both at once (in either order).
    await w.services.notices.idle();
    expect(w.delivery.sent.map((m) => [m.channel, m.to]).sort()).toEqual([
      ['email', EMAIL],
      ['sms', PHONE],
    ]);
    expect(w.delivery.to(PHONE)[0]?.text).toBe(t('en', 'password.noticeSms'));
    expect(w.delivery.to(EMAIL)[0]?.subject).toBe(t('en', 'password.noticeEmailSubject'));
    expect(api.callsOf('deleteMessage')).toHaveLength(3);
    expect(outbound(w)).not.toContain(PASSWORD);
    expect(outbound(w)).not.toContain(NEW_PASSWORD);
    // The finished flow is gone from Redis: a text now is not taken for a password.
    const since = api.calls.length;
    const hello = api.userSends(alice.chat, alice.user, 'hello');
    await shows(w, alice.chat, 'common.notUnderstood', undefined, since);
    expect(api.isDeleted(alice.chat.id, messageIdOfUpdate(hello))).toBe(false);
    expectNoSecretInLogs(w);
  });

  it('swaps the phone number: a button for the code to the current number, the code, the new number, its code', async () => {
    const w = await createWorld();
    const { api, alice } = w;
    api.userSends(alice.chat, alice.user, '/phone');
    const intro = await shows(w, alice.chat, 'phone.intro', { phone: PHONE_MASKED });
    expect(keyboardOf(intro).map((row) => row.map((b) => b.text))).toEqual([
      [t('en', 'codes.choicePhone', { to: PHONE_MASKED })],
      [t('en', 'codes.choiceEmail', { to: 'a***@example.com' })],
      [t('en', 'prove.choiceNoAccess')],
    ]);

    let since = api.calls.length;
    press(w, alice, intro, t('en', 'codes.choicePhone', { to: PHONE_MASKED }));
    await shows(w, alice.chat, 'codes.sent', { to: PHONE_MASKED }, since);
    await shows(w, alice.chat, 'codes.askCode', { to: PHONE_MASKED }, since);
    expect(api.callsOf('answerCallbackQuery', since).map((call) => call.status)).toEqual([200]);
    expect(api.callsOf('editMessageReplyMarkup', since).map((call) => call.params)).toEqual([
      { chat_id: alice.chat.id, message_id: messageIdOf(intro) },
    ]);

    await answerSecret(w, alice, codeSentTo(w, PHONE), 'phone.askNew');
    since = api.calls.length;
    await answerPlain(w, alice, NEW_PHONE_SHOWN, 'phone.newCodeSent', { to: NEW_PHONE_SHOWN });
    await shows(w, alice.chat, 'phone.askNewCode', { to: NEW_PHONE_SHOWN }, since);
    expect((await w.account()).phone).toBe(PHONE);

    await answerSecret(w, alice, codeSentTo(w, NEW_PHONE), 'phone.changed', { phone: NEW_PHONE_SHOWN });
    expect((await w.account()).phone).toBe(NEW_PHONE);
    expect((await w.services.accounts.findByPhone(NEW_PHONE))?.id).toBe(w.accountId);
    expect(await w.services.accounts.findByPhone(PHONE)).toBeNull();
    expect(w.delivery.to(PHONE).at(-1)?.text).toContain('the phone number of your account was changed');
    expect(w.delivery.to(EMAIL).at(-1)?.subject).toBe(t('en', 'phone.noticeEmailSubject'));
    expectNoSecretInLogs(w);
  });

  it('stops the phone swap on /cancel after the first code: nothing changed, and a number typed then is not read', async () => {
    const w = await createWorld();
    const { api, alice } = w;
    api.userSends(alice.chat, alice.user, '/phone');
    const intro = await shows(w, alice.chat, 'phone.intro', { phone: PHONE_MASKED });
    let since = api.calls.length;
    press(w, alice, intro, t('en', 'codes.choicePhone', { to: PHONE_MASKED }));
    await shows(w, alice.chat, 'codes.askCode', { to: PHONE_MASKED }, since);
    await answerSecret(w, alice, codeSentTo(w, PHONE), 'phone.askNew');

    since = api.calls.length;
    api.userSends(alice.chat, alice.user, '/cancel');
    await shows(w, alice.chat, 'common.cancelled', undefined, since);
    expect(await w.services.sessions.load({ channel: 'telegram', chatId: String(alice.chat.id) })).toBeNull();
    api.userSends(alice.chat, alice.user, NEW_PHONE_SHOWN);
    await shows(w, alice.chat, 'common.notUnderstood', undefined, since);
    expect(api.textsTo(alice.chat.id, since)).toEqual([
      t('en', 'common.cancelled'),
      t('en', 'common.notUnderstood'),
    ]);
    expect((await w.account()).phone).toBe(PHONE);
    expect(w.delivery.to(NEW_PHONE)).toEqual([]);
    expectNoSecretInLogs(w);
  });

  describe('adding an email address, with the HTTP server of the composition root', () => {
    /** /email, the password (deleted), the new address: ends when the message is sent. */
    async function askForNewEmail(w: World): Promise<{ code: string; link: string }> {
      const { api, alice } = w;
      api.userSends(alice.chat, alice.user, '/email');
      await shows(w, alice.chat, 'email.askPassword');
      await answerSecret(w, alice, PASSWORD, 'email.askAddressChange', { current: 'a***@example.com' });
      await answerPlain(w, alice, NEW_EMAIL, 'email.sent', { to: NEW_EMAIL });
      const [message] = w.delivery.to(NEW_EMAIL);
      expect(message?.subject).toBe(t('en', 'email.verifySubject'));
      const code = /within 10 minutes: (\d{6})/.exec(message?.text ?? '')?.[1] ?? '';
      const link = /(http:\/\/127\.0\.0\.1:\d+\/verify-email\?token=[A-Za-z0-9_-]+)/.exec(
        message?.text ?? '',
      )?.[1];
      expect(code).toMatch(/^\d{6}$/);
      expect(link?.startsWith(`${w.baseUrl}/verify-email?token=`)).toBe(true);
      w.secrets.add(code);
      const token = new URL(link ?? 'http://x').searchParams.get('token') ?? '';
      w.secrets.add(token);
      expect((await w.account()).email).toBe(EMAIL);
      return { code, link: link ?? '' };
    }

    it('changes the email with the 6-digit code from the delivered message (deleted from the chat)', async () => {
      const w = await createWorld({ http: true });
      const { code } = await askForNewEmail(w);
      await answerSecret(w, w.alice, code, 'email.changed', { email: NEW_EMAIL });
      expect((await w.account()).email).toBe(NEW_EMAIL);
      expect(w.delivery.to(EMAIL).at(-1)?.subject).toBe(t('en', 'email.noticeOldSubject'));
      expect(w.delivery.to(PHONE).at(-1)?.text).toContain('the email address of your account was changed');
      expectNoSecretInLogs(w);
    });

    it('pushes "your email is verified" into the Telegram chat when the link is opened and confirmed, without the user writing', async () => {
      const w = await createWorld({ http: true });
      const { api, alice } = w;
      const { link } = await askForNewEmail(w);
      const since = api.calls.length;
      const updatesBefore = api.callsOf('getUpdates').filter((call) => {
        const result = call.result as unknown[] | undefined;
        return Array.isArray(result) && result.length > 0;
      }).length;

      // Opening the link only shows the confirm page: nothing is changed or sent to the chat yet.
      const opened = await openVerifyLink(link);
      expect(opened.status).toBe(200);
      expect(opened.isConfirmPage).toBe(true);
      expect(opened.token).toBe(new URL(link).searchParams.get('token'));
      expect((await w.account()).email).toBe(EMAIL);
      expect(api.callsOf('sendMessage', since)).toEqual([]);

      const page = await opened.confirm();
      expect(page.status).toBe(200);
      const verified = await shows(w, alice.chat, 'email.verified', undefined, since);
      expect(verified.method).toBe('sendMessage');
      expect((await w.account()).email).toBe(NEW_EMAIL);
      // Nothing came from the user: no update was fetched in between.
      expect(
        api.callsOf('getUpdates').filter((call) => {
          const result = call.result as unknown[] | undefined;
          return Array.isArray(result) && result.length > 0;
        }),
      ).toHaveLength(updatesBefore);
      expect((await opened.confirm()).status).toBe(410);

      // The flow is over: a code typed now is not read as one.
      const after = api.calls.length;
      api.userSends(alice.chat, alice.user, '123456');
      await shows(w, alice.chat, 'common.notUnderstood', undefined, after);
      expectNoSecretInLogs(w);
    });
  });

  it('turns on 2FA: a protected QR photo, a code from the shown key, protected recovery codes, then /password asks for the code; /cancel changes nothing', async () => {
    const w = await createWorld();
    const { api, alice } = w;
    api.userSends(alice.chat, alice.user, '/2fa');
    await shows(w, alice.chat, 'twofa.askPasswordOn');

    // The QR upload is refused once under load: auto-retry sends the same picture again.
    api.failNext('sendPhoto', { status: 429, retryAfter: 1 });
    let since = api.calls.length;
    await answerSecret(w, alice, PASSWORD, 'twofa.askSetupCode');
    const photos = api.callsOf('sendPhoto', since);
    expect(photos.map((call) => call.status)).toEqual([429, 200]);
    const photo = photos[1] as ApiCall;
    expect(photo.params).toMatchObject({ chat_id: alice.chat.id, protect_content: true });
    expect(photo.result).toMatchObject({ has_protected_content: true });
    const key = /\n((?:[A-Z2-7]{4} ){7}[A-Z2-7]{4})\n/.exec(shownText(photo))?.[1] ?? '';
    expect(key).not.toBe('');
    const secret = key.replaceAll(' ', '');
    w.secrets.add(secret);
    w.secrets.add(key);
    expect(shownText(photo)).toBe(t('en', 'twofa.scan', { key }));
    // The upload is the PNG of the enrolment URI for exactly this key.
    const upload = Object.values(photo.files)[0];
    expect(upload?.data.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    const uri = new TotpService({ clock: systemClock, issuer: 'lockstep' }).uri(secret, EMAIL);
    expect(upload?.data.equals(Buffer.from(await qrPng(uri), 'base64'))).toBe(true);
    expect(Object.values(photos[0]?.files ?? {})[0]?.data.equals(upload?.data ?? Buffer.alloc(0))).toBe(true);
    // Every message that shows the key is protected from forwarding and saving.
    for (const call of api.calls.filter((c) => isShown(c, alice.chat, 0) && shownText(c).includes(key))) {
      expect(call.params.protect_content).toBe(true);
    }
    expect((await w.account()).twoFactor.enabled).toBe(false);

    const code = await new TotpService({ clock: systemClock, issuer: 'lockstep' }).currentCode(secret);
    since = api.calls.length;
    const shown = await answerSecret(w, alice, code, 'twofa.askSaved');
    const codesMessage = await showsMatching(w, alice.chat, /^Two-step verification is now ON/, since);
    expect(codesMessage.method).toBe('sendMessage');
    expect(codesMessage.params.protect_content).toBe(true);
    expect(codesMessage.index).toBeLessThan(shown.index);
    const recoveryCodes = shownText(codesMessage).match(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{2}$/gm) ?? [];
    expect(recoveryCodes).toHaveLength(10);
    for (const recoveryCode of recoveryCodes) w.secrets.add(recoveryCode);
    expect(shownText(codesMessage)).toBe(t('en', 'twofa.recoveryCodes', { codes: recoveryCodes.join('\n') }));
    expect((await w.account()).twoFactor.enabled).toBe(true);

    since = api.calls.length;
    press(w, alice, shown, t('en', 'twofa.choiceSaved'));
    await shows(w, alice.chat, 'twofa.enabledDone', undefined, since);
    expect(w.delivery.to(PHONE).at(-1)?.text).toBe(t('en', 'twofa.noticeEnabledSms'));

    // From now on a password change needs a code from the app after the current password.
    since = api.calls.length;
    api.userSends(alice.chat, alice.user, '/password');
    await shows(w, alice.chat, 'password.askCurrent', undefined, since);
    await answerSecret(w, alice, PASSWORD, 'twofa.askCode');
    // The code used to turn 2FA on cannot be replayed (and the refusal is logged, without the code).
    await answerSecret(w, alice, code, 'twofa.replay');
    expect(w.logs.map((entry) => entry.msg)).toContain('a reused TOTP code was refused');
    await answerSecret(w, alice, recoveryCodes[0] ?? '', 'password.askNew');

    // /cancel mid-flow: nothing is changed, and the next text is not taken for a password.
    since = api.calls.length;
    api.userSends(alice.chat, alice.user, '/cancel');
    await shows(w, alice.chat, 'common.cancelled', undefined, since);
    const typed = api.userSends(alice.chat, alice.user, NEW_PASSWORD);
    await shows(w, alice.chat, 'common.notUnderstood', undefined, since);
    expect(api.isDeleted(alice.chat.id, messageIdOfUpdate(typed))).toBe(false);
    expect(await argon2.verify((await w.account()).passwordHash, PASSWORD)).toBe(true);
    // The typed code and the setup code never come back from the bot.
    expect(outbound(w)).not.toMatch(new RegExp(`(?<!\\d)${code}(?!\\d)`));
    expect(outbound(w)).not.toContain(PASSWORD);
    expect(w.secrets.size).toBeGreaterThan(13);
    // /recovery_codes and /2fa_off ask for the password as a secret too: the message is deleted (issue 16).
    for (const [command, ask] of [
      ['/recovery_codes', 'twofa.askPasswordRecovery'],
      ['/2fa_off', 'twofa.askPasswordOff'],
    ] as const) {
      since = api.calls.length;
      api.userSends(alice.chat, alice.user, command);
      await shows(w, alice.chat, ask, undefined, since);
      await answerSecret(w, alice, PASSWORD, 'twofa.askCode');
      since = api.calls.length;
      api.userSends(alice.chat, alice.user, '/cancel');
      await shows(w, alice.chat, 'common.cancelled', undefined, since);
    }
    expect((await w.account()).twoFactor.enabled).toBe(true);
    // NEW_PASSWORD was typed after /cancel as ordinary text: it stays in the chat but is never logged.
    expectNoSecretInLogs(w);
  });

  it('deletes a password typed after its task expired, and says the task had stopped', async () => {
    const w = await createWorld({ idleMs: 400 });
    const { api, alice } = w;
    api.userSends(alice.chat, alice.user, '/password');
    await shows(w, alice.chat, 'password.askCurrent');
    await new Promise((resolve) => setTimeout(resolve, 600));
    // The answer comes late: the task is gone, but the question was a secret one, so the message goes.
    const since = api.calls.length;
    w.secrets.add(PASSWORD);
    const late = api.userSends(alice.chat, alice.user, PASSWORD);
    await shows(w, alice.chat, 'common.secretDeleted', undefined, since);
    expect(api.isDeleted(alice.chat.id, messageIdOfUpdate(late))).toBe(true);
    // The user is told the task had stopped, and the text is not taken for anything.
    await shows(w, alice.chat, 'common.notUnderstood', undefined, since);
    const expiredStart = t('en', 'common.expired', { flow: '\u0000', minutes: 0 }).split('\u0000')[0] ?? '';
    expect(api.textsTo(alice.chat.id, since).filter((text) => text.startsWith(expiredStart))).toHaveLength(1);
    expect(outbound(w)).not.toContain(PASSWORD);
    expectNoSecretInLogs(w);
  });

  it('deletes every guess after a lock-out: the five wrong passwords and the ones typed after them', async () => {
    const w = await createWorld();
    const { api, alice } = w;
    api.userSends(alice.chat, alice.user, '/password');
    await shows(w, alice.chat, 'password.askCurrent');
    const guesses = [
      'Wrong-Guess-1a',
      'Wrong-Guess-2b',
      'Wrong-Guess-3c',
      'Wrong-Guess-4d',
      'Wrong-Guess-5e',
    ];
    for (const [index, guess] of guesses.entries()) {
      const since = api.calls.length;
      w.secrets.add(guess);
      const update = api.userSends(alice.chat, alice.user, guess);
      await shows(w, alice.chat, 'common.secretDeleted', undefined, since);
      if (index === guesses.length - 1) {
        await shows(w, alice.chat, 'prove.lockedPickDestination', { minutes: 15 }, since);
      }
      expect(api.isDeleted(alice.chat.id, messageIdOfUpdate(update))).toBe(true);
    }
    // Locked: the chat now offers a code instead, but a sixth and a seventh guess are still deleted.
    for (const guess of ['Wrong-Guess-6f', PASSWORD]) {
      const since = api.calls.length;
      w.secrets.add(guess);
      const update = api.userSends(alice.chat, alice.user, guess);
      await shows(w, alice.chat, 'common.secretDeleted', undefined, since);
      expect(api.isDeleted(alice.chat.id, messageIdOfUpdate(update))).toBe(true);
    }
    expect(await argon2.verify((await w.account()).passwordHash, PASSWORD)).toBe(true);
    expect(outbound(w)).not.toContain('Wrong-Guess-6f');
    expectNoSecretInLogs(w);
  });

  /** The "password not changed since <day>" finding, whatever the day. */
  const OLD_PASSWORD_LINE = new RegExp(
    `^${(t('en', 'checkup.finding.passwordOld', { since: '\u0000' }).split('\u0000')[0] ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
  );

  it('offers the checkup after "This was not me" once the new password is set (issue 15)', async () => {
    const w = await createWorld();
    const { api, alice } = w;
    api.userSends(alice.chat, alice.user, '/activity');
    const ask = await shows(w, alice.chat, 'activity.ask');
    let since = api.calls.length;
    press(w, alice, ask, t('en', 'activity.choiceNotMe'));
    await shows(w, alice.chat, 'activity.signedOut', { count: 2 }, since);
    await shows(w, alice.chat, 'password.askCurrent', undefined, since);
    await answerSecret(w, alice, PASSWORD, 'password.askNew');
    await answerSecret(w, alice, NEW_PASSWORD, 'password.askRepeat');
    since = api.calls.length;
    await answerSecret(w, alice, NEW_PASSWORD, 'password.changed', { signedOut: 0 });
    const offer = await shows(w, alice.chat, 'checkup.offer', undefined, since);
    expect(
      keyboardOf(offer)
        .flat()
        .map((button) => button.text),
    ).toEqual([t('en', 'checkup.choiceShow'), t('en', 'checkup.choiceLater')]);
    expect(await argon2.verify((await w.account()).passwordHash, NEW_PASSWORD)).toBe(true);
    expectNoSecretInLogs(w);
  });

  it('shows the tip before /phone on an account without an email, with a button to add one first (issue 15)', async () => {
    const w = await createWorld();
    const { api, alice } = w;
    expect(await w.services.accounts.changeEmail(w.accountId, null)).toEqual({ ok: true });
    api.userSends(alice.chat, alice.user, '/phone');
    const tip = await shows(w, alice.chat, 'checkup.phoneTip');
    const labels = keyboardOf(tip)
      .flat()
      .map((button) => button.text);
    expect(labels[0]).toBe(t('en', 'checkup.choiceAddEmailFirst'));
    const since = api.calls.length;
    press(w, alice, tip, t('en', 'checkup.choiceAddEmailFirst'));
    await shows(w, alice.chat, 'email.askPassword', undefined, since);
  });

  it('runs the security checkup: the findings worst first with a button each, the fix, then back to the checkup with what is left', async () => {
    const w = await createWorld();
    const { api, alice } = w;
    // A password changed long ago, and no two-step verification: two findings, the worse one first.
    await w.services.accounts.update(w.accountId, (account) => ({
      ...account,
      passwordChangedAt: Date.now() - 400 * 24 * 60 * 60_000,
    }));
    api.userSends(alice.chat, alice.user, '/checkup');
    const ask = await shows(w, alice.chat, 'checkup.ask');
    const found = await shows(w, alice.chat, 'checkup.found');
    const findings = api.calls
      .filter((call) => isShown(call, alice.chat, found.index + 1) && call.index < ask.index)
      .map(shownText);
    expect(findings).toEqual([
      t('en', 'checkup.finding.twoFactorOff'),
      expect.stringMatching(OLD_PASSWORD_LINE),
    ]);
    expect(keyboardOf(ask).map((row) => row.map((b) => b.text))).toEqual([
      [t('en', 'checkup.fix.twoFactor')],
      [t('en', 'checkup.fix.password')],
      [t('en', 'checkup.choiceLater')],
    ]);

    // The first button starts the 2FA task; the checkup says it will come back.
    let since = api.calls.length;
    press(w, alice, ask, t('en', 'checkup.fix.twoFactor'));
    await shows(w, alice.chat, 'checkup.willReturn', undefined, since);
    await shows(w, alice.chat, 'twofa.askPasswordOn', undefined, since);
    since = api.calls.length;
    await answerSecret(w, alice, PASSWORD, 'twofa.askSetupCode');
    const photo = api.callsOf('sendPhoto', since)[0] as ApiCall;
    const key = /\n((?:[A-Z2-7]{4} ){7}[A-Z2-7]{4})\n/.exec(shownText(photo))?.[1] ?? '';
    const secret = key.replaceAll(' ', '');
    w.secrets.add(secret);
    w.secrets.add(key);
    const code = await new TotpService({ clock: systemClock, issuer: 'lockstep' }).currentCode(secret);
    const saved = await answerSecret(w, alice, code, 'twofa.askSaved');
    for (const recoveryCode of outbound(w).match(/[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{2}/g) ?? []) {
      w.secrets.add(recoveryCode);
    }

    // Back in the checkup, with what is left: the old password, then "Not now" ends it, nothing changed.
    since = api.calls.length;
    press(w, alice, saved, t('en', 'twofa.choiceSaved'));
    await shows(w, alice.chat, 'twofa.enabledDone', undefined, since);
    await shows(w, alice.chat, 'checkup.resumed', undefined, since);
    const left = await shows(w, alice.chat, 'checkup.ask', undefined, since);
    expect(api.calls.filter((call) => isShown(call, alice.chat, since)).map(shownText)).toContainEqual(
      expect.stringMatching(OLD_PASSWORD_LINE),
    );
    expect(api.calls.filter((call) => isShown(call, alice.chat, since)).map(shownText)).not.toContain(
      t('en', 'checkup.finding.twoFactorOff'),
    );
    since = api.calls.length;
    press(w, alice, left, t('en', 'checkup.choiceLater'));
    await shows(w, alice.chat, 'checkup.later', undefined, since);
    expect((await w.account()).twoFactor.enabled).toBe(true);
    expect(await w.services.sessions.load({ channel: 'telegram', chatId: String(alice.chat.id) })).toBeNull();
    expectNoSecretInLogs(w);
  });

  it('in a group, answers /password with a button to the private chat, starts nothing and reads nothing', async () => {
    const w = await createWorld();
    const { api, alice } = w;
    const group = api.group(7001);
    api.userSends(group, alice.user, '/password');
    const refusal = await shows(w, group, 'common.privateOnly', { command: 'password' });
    expect(keyboardOf(refusal)).toEqual([
      [{ text: t('en', 'telegram.continuePrivately'), url: `https://t.me/${BOT_USERNAME}?start=password` }],
    ]);
    api.userSends(group, alice.user, PASSWORD);
    api.userSends(group, alice.user, `/help@${BOT_USERNAME}`);
    await shows(w, group, 'common.help');
    expect(api.textsTo(group.id)).toEqual([
      t('en', 'common.privateOnly', { command: 'password' }),
      t('en', 'common.help'),
    ]);
    expect(await w.services.sessions.load({ channel: 'telegram', chatId: String(group.id) })).toBeNull();
    expect(api.callsOf('deleteMessage')).toEqual([]);
    expect(JSON.stringify(await w.services.accounts.events(w.accountId))).not.toContain('password.wrong');

    // The button's `/start password` opens the task in the private chat.
    api.userSends(alice.chat, alice.user, '/start password');
    await shows(w, alice.chat, 'password.askCurrent');
    expectNoSecretInLogs(w);
  });

  it('applies an update Telegram delivers twice only once (the dedupe mark is in Redis)', async () => {
    const w = await createWorld();
    const { api, alice } = w;
    api.userSends(alice.chat, alice.user, '/password');
    await shows(w, alice.chat, 'password.askCurrent');
    const since = api.calls.length;
    const update = api.messageUpdate(alice.chat, alice.user, PASSWORD);
    api.enqueue(update);
    api.enqueue(update);
    await shows(w, alice.chat, 'password.askNew', undefined, since);
    api.userSends(alice.chat, alice.user, '/help');
    const help = await shows(w, alice.chat, 'common.help', undefined, since);
    await shows(w, alice.chat, 'password.askNew', undefined, help.index);
    expect(api.textsTo(alice.chat.id, since)).toEqual([
      t('en', 'common.secretDeleted'),
      t('en', 'password.askNew'),
      t('en', 'common.help'),
      t('en', 'password.askNew'),
    ]);
    expect(api.callsOf('deleteMessage', since)).toHaveLength(1);
    // A second check of the same password would have counted; the account saw one proof, no failure.
    const events = await w.services.accounts.events(w.accountId);
    expect(events.filter((event) => event.type === 'password.wrong')).toEqual([]);
    expectNoSecretInLogs(w);
  });
});

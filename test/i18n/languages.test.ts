/**
 * Which language lockstep speaks, through the real adapters on their stand-ins: Telegram's
 * `language_code` and Discord's `locale` choose it on first contact, `/language` changes it for the chat
 * identity and the account (its SMS and email notices), commands are the same in every language and
 * their descriptions are published per language; plain words work at every step and never count as a
 * password attempt.
 */
import type { Chat, InlineKeyboardMarkup } from 'grammy/types';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCommands } from '../../adapters/discord/commands.ts';
import { createTelegramBot } from '../../adapters/telegram/bot.ts';
import {
  availableLocales,
  type Locale,
  type MessageKey,
  type MessageParams,
  t,
} from '../../src/catalog/catalog.ts';
import { systemClock } from '../../src/clock.ts';
import { createEngine } from '../../src/composition/engine.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import { silentLogger } from '../../src/log.ts';
import { createServices } from '../../src/services.ts';
import { buttonId, createWorld, mark, type World as DiscordWorld } from '../helpers/discord-harness.ts';
import { RecordingDelivery } from '../helpers/fake-delivery.ts';
import { createFlowHarness, keys } from '../helpers/flow-harness.ts';
import { connectRedis, deleteByPrefix, uniquePrefix } from '../helpers/redis.ts';
import { type ApiCall, FakeTelegramApi } from '../helpers/telegram-api.ts';

const redis = connectRedis();
const STEP_MS = 10_000;
const PASSWORD = 'Sunflower-Lantern-42';
const PHONE = '+8613800138000';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** The languages besides English whose catalogs are present (all three once the translations are in). */
const others = availableLocales().filter((locale) => locale !== 'en');

async function telegramWorld() {
  const api = await FakeTelegramApi.start({
    token: '7000002:AAH-i18n-test-token_abcdefghijk',
    botUsername: 'ls_i18n_bot',
  });
  cleanups.push(() => api.close());
  const prefix = uniquePrefix();
  cleanups.push(() => deleteByPrefix(redis, prefix));
  const delivery = new RecordingDelivery();
  const services = createServices({
    kv: new RedisKv(redis),
    delivery,
    clock: systemClock,
    log: silentLogger,
    secretKey: 'i18n-test-secret-key-0123456789abcdef',
    prefix,
  });
  const engine = createEngine(services);
  const created = await services.accounts.create({
    phone: PHONE,
    email: 'alice@example.com',
    passwordHash: await services.hasher.hash(PASSWORD),
    now: Date.now(),
  });
  if (!created.ok) throw new Error('could not seed the account');
  const telegram = createTelegramBot({
    token: api.token,
    engine,
    log: silentLogger,
    apiRoot: api.url,
    pollTimeoutSeconds: 1,
  });
  await telegram.start();
  cleanups.push(() => telegram.stop());
  return { api, services, delivery, accountId: created.account.id };
}

function shownIn(api: FakeTelegramApi, chat: Chat, text: string, since = 0): Promise<ApiCall> {
  return api.waitFor(
    (call) =>
      call.index >= since &&
      call.method === 'sendMessage' &&
      call.status === 200 &&
      call.params.chat_id === chat.id &&
      call.params.text === text,
    STEP_MS,
  );
}

function shows(
  api: FakeTelegramApi,
  chat: Chat,
  locale: Locale,
  key: MessageKey,
  params?: MessageParams,
  since = 0,
) {
  return shownIn(api, chat, t(locale, key, params), since);
}

function buttonData(call: ApiCall, label: string): string {
  const button = ((call.params.reply_markup as InlineKeyboardMarkup | undefined)?.inline_keyboard ?? [])
    .flat()
    .find((b) => b.text === label);
  if (!button || !('callback_data' in button) || !button.callback_data) throw new Error(`no button ${label}`);
  return button.callback_data;
}

describe('languages on Telegram (grammY against the Bot API stand-in)', () => {
  it('publishes the same commands in every language, their descriptions translated, per language_code', async () => {
    const { api } = await telegramWorld();
    await api.waitFor(
      (call) => call.method === 'setMyCommands' && call.params.language_code === undefined,
      STEP_MS,
    );
    const english = api.commands;
    expect(english.find((c) => c.command === 'language')?.description).toBe(t('en', 'menu.language'));
    for (const locale of others) {
      const code = { 'zh-CN': 'zh', es: 'es', ru: 'ru' }[locale as 'zh-CN' | 'es' | 'ru'];
      await api.waitFor(
        (call) => call.method === 'setMyCommands' && call.params.language_code === code,
        STEP_MS,
      );
      const list = api.commandsByLanguage.get(code) ?? [];
      expect(list.map((c) => c.command)).toEqual(english.map((c) => c.command));
      expect(list.find((c) => c.command === 'menu')?.description).toBe(t(locale, 'telegram.cmd.menu'));
      expect(list.find((c) => c.command === 'password')?.description).toBe(t(locale, 'menu.password'));
    }
  });

  it('answers in the language of language_code on first contact (zh-hans, es-419, ru), English for zh-TW and the unknown', async () => {
    const { api } = await telegramWorld();
    const cases: [string, Locale][] = [
      ['zh-hans', availableLocales().includes('zh-CN') ? 'zh-CN' : 'en'],
      ['es-419', availableLocales().includes('es') ? 'es' : 'en'],
      ['ru', availableLocales().includes('ru') ? 'ru' : 'en'],
      ['zh-TW', 'en'],
      ['de', 'en'],
    ];
    let id = 3100;
    for (const [code, locale] of cases) {
      id += 1;
      const person = api.person(id, `P${id}`, code);
      const since = api.calls.length;
      api.userSends(person.chat, person.user, '/start');
      await shows(api, person.chat, locale, 'common.welcomeUnlinked', undefined, since);
      const menu = await shows(api, person.chat, locale, 'common.menu', undefined, since);
      // The menu's buttons speak it too, and offer the language.
      expect(() => buttonData(menu, t(locale, 'menu.language'))).not.toThrow();
    }
  });

  it('/language: the choice is remembered for the chat and the account, and the SMS notices use it', async () => {
    const { api, services, delivery, accountId } = await telegramWorld();
    const alice = api.person(3201, 'Alice', 'en');
    await services.accounts.link(accountId, 'telegram', String(alice.user.id), Date.now());
    const target: Locale = others.at(-1) ?? 'en';
    let since = api.calls.length;
    api.userSends(alice.chat, alice.user, '/language');
    const ask = await shows(
      api,
      alice.chat,
      'en',
      'language.ask',
      { current: { key: 'language.name.en' } },
      since,
    );
    since = api.calls.length;
    api.userPresses(
      alice.chat,
      alice.user,
      (ask.result as { message_id: number }).message_id,
      buttonData(ask, t('en', `language.name.${target}`)),
    );
    await shows(
      api,
      alice.chat,
      target,
      'language.changed',
      { language: { key: `language.name.${target}` } },
      since,
    );
    expect((await services.accounts.get(accountId))?.locale).toBe(target);

    // The chat keeps it, whatever its platform says.
    since = api.calls.length;
    api.userSends(alice.chat, alice.user, '/help');
    await shows(api, alice.chat, target, 'common.help', undefined, since);

    // A notice about the account comes in its language.
    since = api.calls.length;
    api.userSends(alice.chat, alice.user, '/unlink');
    const confirm = await shows(api, alice.chat, target, 'unlink.confirm', undefined, since);
    api.userPresses(
      alice.chat,
      alice.user,
      (confirm.result as { message_id: number }).message_id,
      buttonData(confirm, t(target, 'common.choiceYes')),
    );
    await shows(api, alice.chat, target, 'unlink.done', undefined, since);
    await services.notices.drain();
    await services.notices.idle();
    expect(delivery.to(PHONE).map((m) => m.text)).toEqual([
      t(target, 'unlink.noticeSms', { channel: { key: 'link.channel.telegram' } }),
    ]);
  });

  it('"stop" at the password prompt cancels the task and is not counted as a wrong password', async () => {
    const { api, services, accountId } = await telegramWorld();
    const alice = api.person(3301, 'Alice', 'en');
    await services.accounts.link(accountId, 'telegram', String(alice.user.id), Date.now());
    let since = api.calls.length;
    api.userSends(alice.chat, alice.user, '/password');
    await shows(api, alice.chat, 'en', 'password.askCurrent', undefined, since);
    since = api.calls.length;
    api.userSends(alice.chat, alice.user, 'Stop');
    await shows(api, alice.chat, 'en', 'common.cancelled', undefined, since);
    const events = await services.accounts.events(accountId, 10);
    expect(events.map((e) => e.type)).not.toContain('password.wrong');
  });
});

describe('plain words at every step (the engine with the real flows)', () => {
  it('understands cancel, stop, help, menu and back at secret and text steps, never as an attempt', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('password');
    expect(keys(await chat.text('help'))).toEqual(['common.help', 'password.askCurrent']);
    expect(keys(await chat.text('MENU'))).toEqual(['common.busyInFlow', 'password.askCurrent']);
    expect(keys(await chat.text('cancel.'))).toEqual(['common.cancelled']);
    await chat.command('phone');
    expect(keys(await chat.text('back'))).toEqual(['common.cancelled', 'common.menu']);
    expect(keys(await chat.text('menu'))).toEqual(['common.menu']);
    const events = await h.services.accounts.events(h.accountId, 10);
    expect(events.map((e) => e.type)).not.toContain('password.wrong');
    // Only a whole message is a word: "stop it" goes to the flow as text.
    await chat.command('password');
    expect(keys(await chat.text('stop it now please'))[0]).toBe('prove.wrongPassword');
  });

  it("understands each language's own words, from its catalog", async () => {
    const h = await createFlowHarness();
    for (const locale of others) {
      const chat = h.chat(`c-${locale}`);
      const word =
        t(locale, 'words.cancel')
          .split(/[,，、]/)[0]
          ?.trim() ?? '';
      await chat.send({ type: 'command', command: 'password', args: '' });
      const replies = await h.engine.handle({
        chat: chat.ref,
        userId: 'u1',
        isPrivate: true,
        locale,
        action: { type: 'text', text: word },
      });
      expect(keys(replies.replies)).toEqual(['common.cancelled']);
      expect(replies.locale).toBe(locale);
    }
  });
});

describe('languages on Discord (discord.js against the Discord stand-in)', () => {
  it('registers every command with description_localizations for zh-CN, es-ES, es-419 and ru', async () => {
    const w: DiscordWorld = await createWorld(redis);
    cleanups.push(() => w.close());
    const [registration] = w.discord.callsTo('PUT /applications/:app/commands');
    const commands = registration?.body as {
      name: string;
      description: string;
      description_localizations?: Record<string, string>;
      options?: { description_localizations?: Record<string, string> }[];
    }[];
    const codes: Record<string, readonly string[]> = {
      'zh-CN': ['zh-CN'],
      es: ['es-ES', 'es-419'],
      ru: ['ru'],
    };
    const help = commands.find((c) => c.name === 'help');
    expect(help?.description).toBe(t('en', 'discord.cmd.help'));
    for (const locale of others) {
      for (const code of codes[locale] ?? []) {
        expect(help?.description_localizations?.[code]).toBe(t(locale, 'discord.cmd.help'));
        const recover = commands.find((c) => c.name === 'recover');
        expect(recover?.options?.[0]?.description_localizations?.[code]).toBe(
          t(locale, 'discord.cmd.recoverCode'),
        );
      }
    }
    // The names are the same in every language.
    expect(buildCommands(w.engine.flowDefinitions, 'global').body.map((c) => c.name)).toEqual(
      commands.map((c) => c.name),
    );
  });

  it('answers a user in the language of their Discord locale (es-ES), and /language changes it', async () => {
    const w: DiscordWorld = await createWorld(redis);
    cleanups.push(() => w.close());
    const spanish: Locale = availableLocales().includes('es') ? 'es' : 'en';
    const carla = w.discord.person('Carla', { locale: 'es-ES' });
    let since = mark(w);
    w.discord.slash(carla, 'dm', 'help');
    await w.discord.waitFor(
      () => w.discord.seenBy(carla, 'dm', since).find((m) => m.content.startsWith(t(spanish, 'common.help'))),
      STEP_MS,
      'help in Spanish',
    );
    since = mark(w);
    w.discord.slash(carla, 'dm', 'language');
    const ask = await w.discord.waitFor(
      () =>
        w.discord
          .seenBy(carla, 'dm', since)
          .find((m) =>
            m.content.startsWith(
              t(spanish, 'language.ask', { current: { key: `language.name.${spanish}` } }),
            ),
          ),
      STEP_MS,
      'the language question',
    );
    since = mark(w);
    w.discord.press(carla, ask, buttonId(ask, t(spanish, 'language.name.ru')));
    const russian: Locale = availableLocales().includes('ru') ? 'ru' : 'en';
    await w.discord.waitFor(
      () =>
        w.discord
          .seenBy(carla, 'dm', since)
          .find((m) =>
            m.content.startsWith(
              t(russian, 'language.changedChat', { language: { key: 'language.name.ru' } }),
            ),
          ),
      STEP_MS,
      'the change, in Russian',
    );
  });
});

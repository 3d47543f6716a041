import { type FastifyInstance, fastify } from 'fastify';
import type { Chat, InlineKeyboardMarkup, Update } from 'grammy/types';
import { afterEach, describe, expect, it } from 'vitest';
import { mountTelegramWebhook, TELEGRAM_WEBHOOK_PATH } from '../../adapters/telegram/bot.ts';
import { planReply, privateChatLink } from '../../adapters/telegram/render.ts';
import {
  encodeChoice,
  isUnsupportedMessage,
  parseChoice,
  toUserInput,
} from '../../adapters/telegram/to-user-input.ts';
import { type MessageKey, type MessageParams, t } from '../../src/catalog/catalog.ts';
import type { ApiCall, FakeTelegramApi } from '../helpers/telegram-api.ts';
import {
  BOT_USERNAME,
  CURRENT_PASSWORD,
  createHarness,
  EMAILED_CODE,
  type Harness,
  PICTURE_KEY,
  TINY_PNG_BASE64,
} from '../helpers/telegram-harness.ts';

const NEW_PASSWORD = 'Brand-new-pass-42';

let harness: Harness | null = null;
let server: FastifyInstance | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
  await harness?.close();
  harness = null;
});

async function polling(): Promise<Harness> {
  harness = await createHarness();
  await harness.telegram.start();
  return harness;
}

/** How the list of tasks that follows /help outside a task begins (the tasks themselves vary). */
const HELP_TASKS_START = t('en', 'common.helpTasks', { tasks: '\u0000' }).split('\u0000')[0] ?? '';

/** Waits for /help's list of tasks in `chat`. */
function helpTasks(api: FakeTelegramApi, chat: Chat, since = 0): Promise<ApiCall> {
  return api.waitFor(
    (call) =>
      call.index >= since &&
      call.method === 'sendMessage' &&
      call.params.chat_id === chat.id &&
      String(call.params.text ?? '').startsWith(HELP_TASKS_START),
  );
}

/** Waits for the bot to send `key` (rendered) to `chat`, at or after call index `since`. */
function reply(
  api: FakeTelegramApi,
  chat: Chat,
  key: MessageKey,
  params?: MessageParams,
  since = 0,
): Promise<ApiCall> {
  const text = t('en', key, params);
  return api.waitFor(
    (call) =>
      call.index >= since &&
      call.status === 200 &&
      (call.method === 'sendMessage' || call.method === 'sendPhoto') &&
      call.params.chat_id === chat.id &&
      (call.params.text ?? call.params.caption) === text,
  );
}

function keyboardOf(call: ApiCall): InlineKeyboardMarkup['inline_keyboard'] {
  return (call.params.reply_markup as InlineKeyboardMarkup | undefined)?.inline_keyboard ?? [];
}

function messageIdOf(call: ApiCall): number {
  return (call.result as { message_id: number }).message_id;
}

/** Everything the bot sent Telegram except polling, as one string: secrets must never appear in it. */
function outbound(api: FakeTelegramApi): string {
  return JSON.stringify(api.calls.filter((call) => call.method !== 'getUpdates').map((call) => call.params));
}

describe('Telegram adapter (real grammY bot against a Bot API stand-in)', () => {
  it('publishes the commands on start and answers /start with the menu as an inline keyboard', async () => {
    const { api, alice } = await polling();
    expect(api.callsOf('deleteWebhook')).toHaveLength(1);
    expect(api.commands).toEqual([
      { command: 'start', description: t('en', 'telegram.cmd.start') },
      { command: 'menu', description: t('en', 'telegram.cmd.menu') },
      { command: 'help', description: t('en', 'telegram.cmd.help') },
      { command: 'cancel', description: t('en', 'telegram.cmd.cancel') },
      { command: 'support', description: t('en', 'telegram.cmd.support') },
      { command: 'password', description: t('en', 'menu.password') },
      { command: 'picture', description: t('en', 'twofa.askCode') },
    ]);
    api.userSends(alice.chat, alice.user, '/start');
    const welcome = await reply(api, alice.chat, 'common.welcome');
    const menu = await reply(api, alice.chat, 'common.menu');
    expect(welcome.index).toBeLessThan(menu.index);
    expect(keyboardOf(menu)).toEqual([
      [{ text: 'Change my password', callback_data: 'c:menu:change-password' }],
    ]);
    expect(menu.params.parse_mode).toBeUndefined();
    const [poll] = api.callsOf('getUpdates');
    expect(poll?.params).toMatchObject({
      timeout: 1,
      allowed_updates: ['message', 'edited_message', 'callback_query'],
    });
  });

  it('runs a whole password change by long polling, deleting every password message and saying so', async () => {
    const { api, alice, account, logs } = await polling();
    api.userSends(alice.chat, alice.user, '/password');
    const askCurrent = await reply(api, alice.chat, 'password.askCurrent');
    expect(keyboardOf(askCurrent)).toEqual([[{ text: 'I forgot my password', callback_data: 'c:forgot' }]]);

    const typed: Update[] = [];
    const steps: [string, MessageKey, MessageParams?][] = [
      [CURRENT_PASSWORD, 'password.askNew'],
      [NEW_PASSWORD, 'password.askRepeat'],
      [NEW_PASSWORD, 'password.changed', { signedOut: 2 }],
    ];
    for (const [text, next, params] of steps) {
      const since = api.calls.length;
      const update = api.userSends(alice.chat, alice.user, text);
      typed.push(update);
      const answer = await reply(api, alice.chat, next, params, since);
      const deleted = api.callsOf('deleteMessage', since);
      expect(deleted.map((call) => call.params)).toEqual([
        { chat_id: alice.chat.id, message_id: update.message?.message_id },
      ]);
      const notice = await reply(api, alice.chat, 'common.secretDeleted', undefined, since);
      expect(deleted[0]?.index).toBeLessThan(notice.index);
      expect(notice.index).toBeLessThan(answer.index);
    }

    expect(account.commits).toBe(1);
    for (const update of typed)
      expect(api.isDeleted(alice.chat.id, update.message?.message_id ?? 0)).toBe(true);
    expect(outbound(api)).not.toContain(CURRENT_PASSWORD);
    expect(outbound(api)).not.toContain(NEW_PASSWORD);
    expect(JSON.stringify(logs)).not.toContain(CURRENT_PASSWORD);
    expect(JSON.stringify(logs)).not.toContain(NEW_PASSWORD);
  });

  it('asks the user to delete a secret message themselves when Telegram refuses to delete it', async () => {
    const { api, alice, logs } = await polling();
    api.userSends(alice.chat, alice.user, '/password');
    await reply(api, alice.chat, 'password.askCurrent');
    const since = api.calls.length;
    api.failNext('deleteMessage', { status: 400, description: "message can't be deleted" });
    api.userSends(alice.chat, alice.user, CURRENT_PASSWORD);
    await reply(api, alice.chat, 'password.askNew', undefined, since);
    expect(api.textsTo(alice.chat.id, since)).toEqual([
      t('en', 'telegram.secretNotDeleted'),
      t('en', 'password.askNew'),
    ]);
    const warning = logs.find((entry) => entry.msg === 'could not delete a message that held a secret');
    expect(warning?.obj).toMatchObject({ chat: `tg:${alice.chat.id}` });
    expect(JSON.stringify(logs)).not.toContain(CURRENT_PASSWORD);
  });

  it('answers every button press, removes the spent keyboard and follows the choice', async () => {
    const { api, alice } = await polling();
    api.userSends(alice.chat, alice.user, '/menu');
    const menu = await reply(api, alice.chat, 'common.menu');

    let since = api.calls.length;
    const press = api.userPresses(alice.chat, alice.user, messageIdOf(menu), 'c:menu:change-password');
    const askCurrent = await reply(api, alice.chat, 'password.askCurrent', undefined, since);
    expect(api.callsOf('answerCallbackQuery', since).map((call) => call.params)).toEqual([
      { callback_query_id: press.callback_query?.id },
    ]);
    expect(api.callsOf('editMessageReplyMarkup', since).map((call) => call.params)).toEqual([
      { chat_id: alice.chat.id, message_id: messageIdOf(menu) },
    ]);

    since = api.calls.length;
    api.userPresses(alice.chat, alice.user, messageIdOf(askCurrent), 'c:forgot');
    const pick = await reply(api, alice.chat, 'password.pickDestination', undefined, since);
    expect(keyboardOf(pick)).toEqual([
      [{ text: 'SMS to +86 138 •••• 8000', callback_data: 'c:phone' }],
      [{ text: 'Email to d•••@example.com', callback_data: 'c:email' }],
      [{ text: 'I cannot use any of these', callback_data: 'c:noAccess' }],
    ]);

    since = api.calls.length;
    api.userPresses(alice.chat, alice.user, messageIdOf(pick), 'c:phone');
    await reply(api, alice.chat, 'codes.sent', { to: '+86 138 •••• 8000' }, since);
    const askCode = await reply(api, alice.chat, 'codes.askCode', { to: '+86 138 •••• 8000' }, since);
    expect(keyboardOf(askCode)).toEqual([[{ text: 'Send a new code', callback_data: 'c:resend' }]]);

    since = api.calls.length;
    const code = api.userSends(alice.chat, alice.user, EMAILED_CODE);
    await reply(api, alice.chat, 'password.askNew', undefined, since);
    expect(api.isDeleted(alice.chat.id, code.message?.message_id ?? 0)).toBe(true);
    expect(outbound(api)).not.toContain(EMAILED_CODE);
    // Three presses, three answers, no more.
    expect(api.callsOf('answerCallbackQuery')).toHaveLength(3);
    expect(api.callsOf('answerCallbackQuery').every((call) => call.status === 200)).toBe(true);
  });

  it('answers a press on a button it did not make with a toast, and ignores it', async () => {
    const { api, alice } = await polling();
    api.userSends(alice.chat, alice.user, '/help');
    const help = await reply(api, alice.chat, 'common.help');
    // Outside a task, /help goes on with the tasks this chat can start.
    expect(String((await helpTasks(api, alice.chat)).params.text)).toContain(
      t('en', 'common.helpTask', { command: 'password', label: t('en', 'menu.password') }),
    );
    const since = api.calls.length;
    api.userPresses(alice.chat, alice.user, messageIdOf(help), 'forged:payload');
    const answer = await api.waitFor((call) => call.method === 'answerCallbackQuery' && call.index >= since);
    expect(answer.params.text).toBe(t('en', 'telegram.badButton'));
    expect(answer.status).toBe(200);
    api.userSends(alice.chat, alice.user, '/cancel');
    await reply(api, alice.chat, 'common.nothingToCancel', undefined, since);
    expect(api.textsTo(alice.chat.id, since)).toEqual([t('en', 'common.nothingToCancel')]);
  });

  it('stops a task on /cancel, after which a text is no longer taken for a password', async () => {
    const { api, alice } = await polling();
    api.userSends(alice.chat, alice.user, '/password');
    await reply(api, alice.chat, 'password.askCurrent');
    const since = api.calls.length;
    api.userSends(alice.chat, alice.user, '/cancel');
    await reply(api, alice.chat, 'common.cancelled', undefined, since);
    const hello = api.userSends(alice.chat, alice.user, 'hello there');
    await reply(api, alice.chat, 'common.notUnderstood', undefined, since);
    expect(api.isDeleted(alice.chat.id, hello.message?.message_id ?? 0)).toBe(false);
    expect(api.callsOf('deleteMessage')).toHaveLength(0);
  });

  it('in a group, offers a link to continue privately, starts nothing and reads nothing else', async () => {
    const { api, alice, sessions } = await polling();
    const group = api.group(5001);
    api.userSends(group, alice.user, '/password');
    const refusal = await reply(api, group, 'common.privateOnly', { command: 'password' });
    expect(keyboardOf(refusal)).toEqual([
      [{ text: 'Continue in a private chat', url: `https://t.me/${BOT_USERNAME}?start=password` }],
    ]);
    api.userSends(group, alice.user, CURRENT_PASSWORD);
    api.userSends(group, alice.user, '/help@some_other_bot');
    api.userSends(group, alice.user, `/help@${BOT_USERNAME}`);
    await reply(api, group, 'common.help');
    expect(api.textsTo(group.id)).toEqual([
      t('en', 'common.privateOnly', { command: 'password' }),
      t('en', 'common.help'),
    ]);
    expect(
      (await sessions.load({ channel: 'telegram', chatId: String(group.id) }))?.session.flow ?? null,
    ).toBeNull();
    expect(api.callsOf('deleteMessage')).toHaveLength(0);

    // The link's `/start password` opens the task in the private chat.
    api.userSends(alice.chat, alice.user, '/start password');
    await reply(api, alice.chat, 'password.askCurrent');
  });

  it('retries a sendMessage refused with 429 after retry_after, and the conversation goes on', async () => {
    const { api, alice } = await polling();
    api.failNext('sendMessage', { status: 429, retryAfter: 1 });
    api.userSends(alice.chat, alice.user, '/help');
    const help = await reply(api, alice.chat, 'common.help');
    const attempts = api.callsOf('sendMessage');
    expect(attempts.map((call) => call.status)).toEqual([429, 200]);
    expect(attempts[0]?.params.text).toBe(attempts[1]?.params.text);
    expect(help.at - (attempts[0]?.at ?? 0)).toBeGreaterThanOrEqual(900);
    api.userSends(alice.chat, alice.user, '/password');
    await reply(api, alice.chat, 'password.askCurrent');
  });

  it('retries a sendMessage that failed with a 5xx answer, and the conversation goes on', async () => {
    const { api, alice } = await polling();
    api.failNext('sendMessage', { status: 500 });
    api.userSends(alice.chat, alice.user, '/help');
    // auto-retry waits 3 s before its first retry of an internal server error.
    const text = t('en', 'common.help');
    await api.waitFor(
      (call) => call.method === 'sendMessage' && call.status === 200 && call.params.text === text,
      8_000,
    );
    const attempts = api.callsOf('sendMessage');
    expect(attempts.map((call) => call.status)).toEqual([500, 200]);
    expect(attempts[0]?.params.text).toBe(attempts[1]?.params.text);
    expect((attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0)).toBeGreaterThanOrEqual(2_900);
    api.userSends(alice.chat, alice.user, '/menu');
    await reply(api, alice.chat, 'common.menu');
  });

  it('applies an update delivered twice only once', async () => {
    const { api, alice } = await polling();
    api.userSends(alice.chat, alice.user, '/password');
    await reply(api, alice.chat, 'password.askCurrent');
    const since = api.calls.length;
    const update = api.messageUpdate(alice.chat, alice.user, CURRENT_PASSWORD);
    api.enqueue(update);
    api.enqueue(update);
    await reply(api, alice.chat, 'password.askNew', undefined, since);
    api.userSends(alice.chat, alice.user, '/help');
    const help = await reply(api, alice.chat, 'common.help', undefined, since);
    await reply(api, alice.chat, 'password.askNew', undefined, help.index);
    expect(api.textsTo(alice.chat.id, since)).toEqual([
      t('en', 'common.secretDeleted'),
      t('en', 'password.askNew'),
      t('en', 'common.help'),
      t('en', 'password.askNew'),
    ]);
    expect(api.callsOf('deleteMessage', since)).toHaveLength(1);
  });

  it('sends a picture as a protected photo when the reply shows a secret', async () => {
    const { api, alice, logs } = await polling();
    api.userSends(alice.chat, alice.user, '/picture');
    const photo = await api.waitFor((call) => call.method === 'sendPhoto');
    expect(photo.status).toBe(200);
    expect(photo.params).toMatchObject({
      chat_id: alice.chat.id,
      caption: t('en', 'twofa.scan', { key: PICTURE_KEY }),
      protect_content: true,
    });
    const upload = Object.values(photo.files)[0];
    expect(upload?.bytes).toBe(Buffer.from(TINY_PNG_BASE64, 'base64').length);
    expect(photo.result).toMatchObject({ has_protected_content: true, photo: [{}, { width: 1, height: 1 }] });
    expect(api.callsOf('sendMessage')).toHaveLength(0);
    expect(JSON.stringify(logs)).not.toContain(PICTURE_KEY);
  });

  it('answers a failure inside one update with a friendly message, logs no text, and keeps going', async () => {
    const { api, alice, sessions, logs } = await polling();
    sessions.failNextLoad = true;
    const failing = api.userSends(alice.chat, alice.user, 'my very private words');
    // The store did not answer before anything ran: "temporarily unavailable, nothing was changed".
    await reply(api, alice.chat, 'common.unavailable');
    const failure = logs.find((entry) => entry.msg === 'telegram update failed');
    expect(failure?.level).toBe('error');
    expect(failure?.obj).toEqual({
      update_id: failing.update_id,
      chat: `tg:${alice.chat.id}`,
      err: 'StoreUnavailable: the session store did not answer: Error: connection lost',
    });
    expect(JSON.stringify(logs)).not.toContain('my very private words');
    api.userSends(alice.chat, alice.user, '/help');
    await reply(api, alice.chat, 'common.help');
  });

  it('answers a sticker with a friendly message without counting it as an answer', async () => {
    const { api, alice } = await polling();
    api.userSends(alice.chat, alice.user, '/password');
    await reply(api, alice.chat, 'password.askCurrent');
    const since = api.calls.length;
    api.userSendsSticker(alice.chat, alice.user);
    await reply(api, alice.chat, 'telegram.unsupportedMessage', undefined, since);
    api.userSends(alice.chat, alice.user, CURRENT_PASSWORD);
    await reply(api, alice.chat, 'password.askNew', undefined, since);
    expect(api.textsTo(alice.chat.id, since)).not.toContain(
      t('en', 'password.wrongCurrent', { remaining: 4 }),
    );
  });

  it('shows "typing" during a slow step, and stop() waits for that update before resolving', async () => {
    const { api, alice, account, telegram } = await polling();
    api.userSends(alice.chat, alice.user, '/password');
    await reply(api, alice.chat, 'password.askCurrent');
    const since = api.calls.length;
    const gate = account.armGate();
    api.userSends(alice.chat, alice.user, CURRENT_PASSWORD);
    await account.checkStarted;
    const typing = await api.waitFor((call) => call.method === 'sendChatAction' && call.index >= since);
    expect(typing.params).toEqual({ chat_id: alice.chat.id, action: 'typing' });

    let stopped = false;
    const stopping = telegram.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(stopped).toBe(false);
    gate.release();
    await stopping;
    expect(api.textsTo(alice.chat.id, since)).toEqual([
      t('en', 'common.secretDeleted'),
      t('en', 'password.askNew'),
    ]);
    const polls = api.callsOf('getUpdates').length;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(api.callsOf('getUpdates')).toHaveLength(polls);
  });

  it('sends out-of-turn replies through its push sender', async () => {
    const { api, alice, engine } = await polling();
    api.userSends(alice.chat, alice.user, '/help');
    await reply(api, alice.chat, 'common.help');
    await engine.notify({ channel: 'telegram', chatId: String(alice.chat.id) }, [
      { key: 'common.nothingToCancel' },
    ]);
    await reply(api, alice.chat, 'common.nothingToCancel');
  });

  describe('webhook mode', () => {
    const SECRET = 'webhook_Secret-123';

    async function webhook(): Promise<Harness> {
      harness = await createHarness();
      // The stand-in keeps its webhook connection alive, as Telegram does: close it with the server.
      const app = fastify({ forceCloseConnections: true });
      server = app;
      mountTelegramWebhook(app, harness.telegram, { secretToken: SECRET });
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      await harness.telegram.setWebhook(`${address}${TELEGRAM_WEBHOOK_PATH}`, SECRET);
      return harness;
    }

    it('registers the webhook with its secret and handles the updates Telegram POSTs', async () => {
      const { api, alice } = await webhook();
      const [registered] = api.callsOf('setWebhook');
      expect(registered?.params).toMatchObject({
        url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/telegram\/webhook$/),
        secret_token: SECRET,
        allowed_updates: ['message', 'edited_message', 'callback_query'],
      });
      expect(api.commands.map((c) => c.command)).toEqual([
        'start',
        'menu',
        'help',
        'cancel',
        'support',
        'password',
        'picture',
      ]);

      api.userSends(alice.chat, alice.user, '/password');
      await reply(api, alice.chat, 'password.askCurrent');
      const secret = api.userSends(alice.chat, alice.user, CURRENT_PASSWORD);
      await reply(api, alice.chat, 'password.askNew');
      expect(api.isDeleted(alice.chat.id, secret.message?.message_id ?? 0)).toBe(true);
      await api.waitFor(() => api.webhookDeliveries.length === 2);
      expect(api.webhookDeliveries.map((d) => [d.status, d.secret])).toEqual([
        [200, SECRET],
        [200, SECRET],
      ]);
      expect(api.callsOf('getUpdates')).toHaveLength(0);
    });

    it('rejects a POST with a wrong secret and does not handle it', async () => {
      const { api, alice } = await webhook();
      const forged = api.messageUpdate(alice.chat, alice.user, '/help');
      expect(await api.deliverWebhook(forged, { secret: 'not-the-secret' })).toBe(401);
      expect(await api.deliverWebhook(forged, { secret: undefined })).toBe(401);
      api.userSends(alice.chat, alice.user, '/menu');
      await reply(api, alice.chat, 'common.menu');
      expect(api.textsTo(alice.chat.id)).toEqual([t('en', 'common.menu')]);
    });

    it('applies a redelivered webhook update only once', async () => {
      const { api, alice } = await webhook();
      const update = api.messageUpdate(alice.chat, alice.user, '/help');
      expect(await api.deliverWebhook(update, { secret: SECRET })).toBe(200);
      expect(await api.deliverWebhook(update, { secret: SECRET })).toBe(200);
      expect(api.textsTo(alice.chat.id)).toEqual([
        t('en', 'common.help'),
        expect.stringMatching(new RegExp(`^${HELP_TASKS_START}`)),
      ]);
    });
  });
});

describe('toUserInput', () => {
  const context = {
    botUsername: BOT_USERNAME,
    commands: new Set(['start', 'help', 'cancel', 'menu', 'password']),
  };
  const user = { id: 42, is_bot: false, first_name: 'A', language_code: 'de-AT' };
  const privateChat = { id: 42, type: 'private', first_name: 'A' } as const;
  const text = (value: string, chat: Chat = privateChat): Update =>
    ({ update_id: 7, message: { message_id: 3, date: 0, chat, from: user, text: value } }) as Update;

  it('reads commands, with or without our @name, and their arguments', () => {
    expect(toUserInput(text('/start handoff_AbC-1'), context)).toEqual({
      chat: { channel: 'telegram', chatId: '42' },
      userId: '42',
      updateId: '7',
      messageId: '3',
      isPrivate: true,
      locale: 'de-AT',
      action: { type: 'command', command: 'start', args: 'handoff_AbC-1' },
    });
    expect(toUserInput(text(`/Help@${BOT_USERNAME.toUpperCase()}`), context)?.action).toEqual({
      type: 'command',
      command: 'help',
      args: '',
    });
    expect(toUserInput(text('/help@another_bot'), context)).toBeNull();
  });

  it('treats an unknown /word as text, so a password starting with "/" stays a secret', () => {
    expect(toUserInput(text('/s3cret-Pass'), context)?.action).toEqual({
      type: 'text',
      text: '/s3cret-Pass',
    });
    expect(toUserInput(text('  spaced  '), context)?.action).toEqual({ type: 'text', text: '  spaced  ' });
  });

  it('reads only commands in groups', () => {
    const group = { id: -5, type: 'group', title: 'G' } as const;
    expect(toUserInput(text('hello', group), context)).toBeNull();
    expect(toUserInput(text('/password', group), context)).toMatchObject({
      isPrivate: false,
      chat: { chatId: '-5' },
      action: { type: 'command', command: 'password' },
    });
  });

  it('maps our buttons to choices and nothing else', () => {
    const press = (data: string): Update =>
      ({
        update_id: 8,
        callback_query: {
          id: 'q',
          from: user,
          chat_instance: 'x',
          data,
          message: { message_id: 9, date: 0, chat: privateChat, text: 'Pick' },
        },
      }) as Update;
    expect(toUserInput(press('c:menu:change-password'), context)).toMatchObject({
      messageId: '9',
      action: { type: 'choice', value: 'menu:change-password' },
    });
    expect(toUserInput(press('menu:change-password'), context)).toBeNull();
    expect(parseChoice('c:')).toBeNull();
    expect(parseChoice('c:a\nb')).toBeNull();
    expect(parseChoice(undefined)).toBeNull();
  });

  it('ignores messages of bots and answers non-text messages in private chats only', () => {
    const sticker = {
      update_id: 9,
      message: { message_id: 1, date: 0, chat: privateChat, from: user, sticker: {} },
    };
    expect(toUserInput(sticker as unknown as Update, context)).toBeNull();
    expect(isUnsupportedMessage(sticker as unknown as Update)).toBe(true);
    const fromBot = {
      ...text('hi'),
      message: { ...text('hi').message, from: { ...user, is_bot: true } },
    } as Update;
    expect(toUserInput(fromBot, context)).toBeNull();
  });
});

describe('planReply', () => {
  const target = { locale: 'en', isPrivate: true, botUsername: BOT_USERNAME } as const;

  it('keeps callback data within 64 bytes and leaves out a choice that would not fit', () => {
    expect(encodeChoice('x'.repeat(62))).toHaveLength(64);
    expect(encodeChoice('x'.repeat(63))).toBeNull();
    expect(encodeChoice('é'.repeat(31))).toBe(`c:${'é'.repeat(31)}`);
    const planned = planReply(
      {
        key: 'common.menu',
        choices: [
          { value: 'ok', label: 'common.choiceYes' },
          { value: 'y'.repeat(80), label: 'common.choiceNo' },
        ],
      },
      target,
    );
    expect(planned.skipped).toEqual(['y'.repeat(80)]);
    expect(planned.messages).toEqual([
      {
        kind: 'text',
        text: t('en', 'common.menu'),
        protect: false,
        keyboard: { inline_keyboard: [[{ text: 'Yes', callback_data: 'c:ok' }]] },
      },
    ]);
  });

  it('turns choices in a group into one link to the private chat', () => {
    const planned = planReply(
      { key: 'common.menu', choices: [{ value: 'menu:change-password', label: 'menu.password' }] },
      { ...target, isPrivate: false },
    );
    expect(planned.messages[0]).toMatchObject({
      keyboard: {
        inline_keyboard: [[{ text: 'Continue in a private chat', url: `https://t.me/${BOT_USERNAME}` }]],
      },
    });
  });

  it('puts only a valid start payload into a deep link', () => {
    expect(privateChatLink('bot', 'password')).toBe('https://t.me/bot?start=password');
    expect(privateChatLink('bot', 'not valid!')).toBe('https://t.me/bot');
  });

  it('sends a long text with a picture as a photo with its alt text, then the text', () => {
    const planned = planReply(
      {
        key: 'common.expired',
        params: { flow: 'x'.repeat(1100), minutes: 15 },
        image: { mime: 'image/png', base64: TINY_PNG_BASE64, text: 'otpauth://x', alt: 'twofa.askCode' },
        sensitive: true,
      },
      target,
    );
    expect(planned.messages.map((m) => [m.kind, m.protect])).toEqual([
      ['photo', true],
      ['text', true],
    ]);
    expect(planned.messages[0]).toMatchObject({ caption: t('en', 'twofa.askCode') });
  });
});

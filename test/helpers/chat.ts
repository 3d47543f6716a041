/**
 * Reading a Telegram chat at the Bot API stand-in, for the fault tests: what the bot showed, its buttons,
 * pressing one.
 */
import type { Chat, InlineKeyboardMarkup, Update } from 'grammy/types';
import { type MessageKey, type MessageParams, t } from '../../src/catalog/catalog.ts';
import type { ApiCall, FakePerson, FakeTelegramApi } from './telegram-api.ts';

/** A message (or photo caption) the bot sent to `chat`, at or after call `since`. */
export function isShown(call: ApiCall, chat: Chat, since: number): boolean {
  return (
    call.index >= since &&
    call.status === 200 &&
    (call.method === 'sendMessage' || call.method === 'sendPhoto') &&
    call.params.chat_id === chat.id
  );
}

export function shownText(call: ApiCall): string {
  return String(call.params.text ?? call.params.caption ?? '');
}

/** Waits for the bot to show `key` (rendered in English) in `chat`, at or after call `since`. */
export function shows(
  api: FakeTelegramApi,
  chat: Chat,
  key: MessageKey,
  params?: MessageParams,
  since = 0,
  timeoutMs = 10_000,
): Promise<ApiCall> {
  const text = t('en', key, params);
  return api.waitFor((call) => isShown(call, chat, since) && shownText(call) === text, timeoutMs);
}

/** Waits for a message in `chat` that matches `pattern`. */
export function showsMatching(
  api: FakeTelegramApi,
  chat: Chat,
  pattern: RegExp,
  since = 0,
  timeoutMs = 10_000,
): Promise<ApiCall> {
  return api.waitFor((call) => isShown(call, chat, since) && pattern.test(shownText(call)), timeoutMs);
}

export function keyboardOf(call: ApiCall): InlineKeyboardMarkup['inline_keyboard'] {
  return (call.params.reply_markup as InlineKeyboardMarkup | undefined)?.inline_keyboard ?? [];
}

export function messageIdOf(call: ApiCall): number {
  return (call.result as { message_id: number }).message_id;
}

export function messageIdOfUpdate(update: Update): number {
  const id = update.message?.message_id;
  if (id === undefined) throw new Error('not a message update');
  return id;
}

/**
 * The user presses the button under the message `call` sent whose choice value is `value` (callback data
 * `c:<value>`, or ending in `:<value>`); the stand-in queues the update (polling) or POSTs it (webhook).
 */
export function press(api: FakeTelegramApi, person: FakePerson, call: ApiCall, value: string): Update {
  const button = keyboardOf(call)
    .flat()
    .find(
      (b) =>
        'callback_data' in b && typeof b.callback_data === 'string' && b.callback_data.endsWith(`:${value}`),
    );
  if (!button || !('callback_data' in button) || button.callback_data === undefined) {
    throw new Error(`no button "${value}" under "${shownText(call)}": ${JSON.stringify(keyboardOf(call))}`);
  }
  return api.userPresses(person.chat, person.user, messageIdOf(call), button.callback_data);
}

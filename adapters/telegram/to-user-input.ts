/**
 * Telegram update -> channel-neutral `UserInput`. Pure: no grammY runtime, no I/O, only Bot API types.
 */
import type { Update } from 'grammy/types';
import type { UserInput } from '../../src/engine/input.ts';

/** Telegram's hard limit for `callback_data`, in bytes. */
export const MAX_CALLBACK_DATA_BYTES = 64;

const CALLBACK_PREFIX = 'c:';

/** What `toUserInput` needs to know about the bot. */
export interface InputContext {
  /** The bot's username (without `@`), to recognise `/cmd@OurBot` and ignore `/cmd@SomeOtherBot`. */
  readonly botUsername: string | undefined;
  /** Commands that reach the engine as commands (global and flow commands, lower case). */
  readonly commands: ReadonlySet<string>;
}

/**
 * The `callback_data` of a choice button, `c:<value>`, or null when it would not fit Telegram's 64 bytes.
 *
 * @example encodeChoice('menu:change-password') // 'c:menu:change-password'
 */
export function encodeChoice(value: string): string | null {
  const data = `${CALLBACK_PREFIX}${value}`;
  return value !== '' && Buffer.byteLength(data, 'utf8') <= MAX_CALLBACK_DATA_BYTES && !hasControl(value)
    ? data
    : null;
}

/** The choice value in a button's `callback_data`, or null for anything we did not produce. */
export function parseChoice(data: string | undefined): string | null {
  if (data === undefined || !data.startsWith(CALLBACK_PREFIX)) return null;
  const value = data.slice(CALLBACK_PREFIX.length);
  return encodeChoice(value) === data ? value : null;
}

function hasControl(value: string): boolean {
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

// `/cmd`, `/cmd@Bot`, `/cmd args`, `/cmd@Bot args`; the args may span lines.
const COMMAND = /^\/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?:\s+([\s\S]*))?$/;

/**
 * Turns one update into the engine's input, or null when the engine must not see it:
 * - a text message in a private chat -> `text` (kept verbatim: it may be a password);
 * - `/cmd args` with a known command -> `command`; `/cmd@OtherBot` -> null (not for us);
 *   an unknown `/word` is plain text, so a password that starts with `/` is still treated as a secret;
 * - a button press on one of our `c:<value>` buttons in a private chat -> `choice`;
 * - in groups only commands are read: any other message or press -> null;
 * - non-text messages, edits, messages from bots, inline queries and the rest -> null
 *   (see `isUnsupportedMessage` for what the adapter answers instead).
 */
export function toUserInput(update: Update, context: InputContext): UserInput | null {
  const updateId = String(update.update_id);
  const message = update.message;
  if (message) {
    const from = message.from;
    if (!from || from.is_bot || message.text === undefined) return null;
    const isPrivate = message.chat.type === 'private';
    const base = {
      chat: { channel: 'telegram', chatId: String(message.chat.id) },
      userId: String(from.id),
      updateId,
      messageId: String(message.message_id),
      isPrivate,
      ...(from.language_code ? { locale: from.language_code } : {}),
    } as const;
    const command = parseCommand(message.text, context);
    if (command === 'elsewhere') return null;
    if (command) return { ...base, action: { type: 'command', ...command } };
    if (!isPrivate) return null;
    return { ...base, action: { type: 'text', text: message.text } };
  }
  const query = update.callback_query;
  if (query) {
    const value = parseChoice(query.data);
    const origin = query.message;
    if (value === null || !origin || origin.chat.type !== 'private' || query.from.is_bot) return null;
    return {
      chat: { channel: 'telegram', chatId: String(origin.chat.id) },
      userId: String(query.from.id),
      updateId,
      messageId: String(origin.message_id),
      isPrivate: true,
      ...(query.from.language_code ? { locale: query.from.language_code } : {}),
      action: { type: 'choice', value },
    };
  }
  return null;
}

/** A message in a private chat that the engine cannot read (sticker, photo, voice...). */
export function isUnsupportedMessage(update: Update): boolean {
  const message = update.message;
  return (
    message !== undefined &&
    message.chat.type === 'private' &&
    message.text === undefined &&
    message.from !== undefined &&
    !message.from.is_bot
  );
}

function parseCommand(
  text: string,
  context: InputContext,
): { command: string; args: string } | 'elsewhere' | null {
  const match = COMMAND.exec(text);
  if (!match) return null;
  const [, name = '', target, args = ''] = match;
  if (target !== undefined && target.toLowerCase() !== context.botUsername?.toLowerCase()) return 'elsewhere';
  const command = name.toLowerCase();
  if (!context.commands.has(command)) return null;
  return { command, args: args.trim() };
}

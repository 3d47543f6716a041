/**
 * Reply -> Telegram messages. `planReply` is pure (what to send); `sendReplies` performs the calls.
 * Texts are plain (no `parse_mode`), so nothing in a catalog text or a parameter needs escaping.
 */
import { type Api, InputFile } from 'grammy';
import type { InlineKeyboardButton, InlineKeyboardMarkup } from 'grammy/types';
import { type Locale, t } from '../../src/catalog/catalog.ts';
import type { Reply } from '../../src/engine/reply.ts';
import type { Logger } from '../../src/log.ts';
import { encodeChoice } from './to-user-input.ts';

/** Telegram's limits: message text and photo caption, in characters. */
export const MAX_TEXT = 4096;
export const MAX_CAPTION = 1024;

// https://core.telegram.org/bots/features#deep-linking: the start payload is up to 64 of [A-Za-z0-9_-].
const START_PAYLOAD = /^[A-Za-z0-9_-]{1,64}$/;

/** Where replies go and how they are worded. */
export interface RenderTarget {
  readonly locale: Locale;
  /** In groups choices are not offered as buttons (nothing but commands is read there). */
  readonly isPrivate: boolean;
  /** The bot's username, for `t.me` links; without it no link button is drawn. */
  readonly botUsername: string | undefined;
}

/** One Bot API message, before it is sent. */
export type OutgoingMessage =
  | {
      readonly kind: 'text';
      readonly text: string;
      readonly keyboard?: InlineKeyboardMarkup;
      readonly protect: boolean;
    }
  | {
      readonly kind: 'photo';
      readonly photo: Buffer;
      readonly caption: string;
      readonly keyboard?: InlineKeyboardMarkup;
      readonly protect: boolean;
    };

/** A `t.me` deep link that opens the private chat, optionally sending `/start <payload>`. */
export function privateChatLink(botUsername: string, payload?: string): string {
  const base = `https://t.me/${botUsername}`;
  return payload !== undefined && START_PAYLOAD.test(payload)
    ? `${base}?start=${encodeURIComponent(payload)}`
    : base;
}

/**
 * The messages that show one reply:
 * - text from the catalog; `sensitive` -> `protect_content` (no forwarding or saving);
 * - choices -> one callback button per row (`c:<value>`); a choice whose value does not fit in 64 bytes is
 *   left out and reported in `skipped` (the user can still type its number or label);
 * - in a group, choices are replaced by one "continue in a private chat" link;
 * - `continuePrivately` -> a link button to `t.me/<bot>?start=<params.command>`, so the private chat opens
 *   that flow directly;
 * - `image` -> a photo, captioned with the text when it fits, otherwise with the image's alt text followed
 *   by the text as its own message.
 */
export function planReply(
  reply: Reply,
  target: RenderTarget,
): { messages: OutgoingMessage[]; skipped: string[] } {
  const text = t(target.locale, reply.key, reply.params);
  const protect = reply.sensitive === true;
  const skipped: string[] = [];
  const rows: InlineKeyboardButton[][] = [];
  const link = (payload?: string): void => {
    if (target.botUsername === undefined) return;
    rows.push([
      {
        text: t(target.locale, 'telegram.continuePrivately'),
        url: privateChatLink(target.botUsername, payload),
      },
    ]);
  };
  if (reply.choices?.length) {
    if (target.isPrivate) {
      for (const choice of reply.choices) {
        const data = encodeChoice(choice.value);
        if (data === null) skipped.push(choice.value);
        else rows.push([{ text: t(target.locale, choice.label, choice.params), callback_data: data }]);
      }
    } else if (!reply.continuePrivately) {
      link();
    }
  }
  if (reply.continuePrivately) {
    const command = reply.params?.command;
    link(typeof command === 'string' ? command : undefined);
  }
  const keyboard = rows.length > 0 ? { inline_keyboard: rows } : undefined;
  const withKeyboard = keyboard ? { keyboard } : {};
  const chunks = splitText(text, MAX_TEXT);
  if (reply.image) {
    const photo = Buffer.from(reply.image.base64, 'base64');
    if (text.length <= MAX_CAPTION) {
      return { messages: [{ kind: 'photo', photo, caption: text, protect, ...withKeyboard }], skipped };
    }
    const caption = t(target.locale, reply.image.alt).slice(0, MAX_CAPTION);
    return {
      messages: [{ kind: 'photo', photo, caption, protect }, ...textMessages(chunks, protect, keyboard)],
      skipped,
    };
  }
  return { messages: textMessages(chunks, protect, keyboard), skipped };
}

function textMessages(
  chunks: string[],
  protect: boolean,
  keyboard?: InlineKeyboardMarkup,
): OutgoingMessage[] {
  // The keyboard goes under the last part, where the user reads last.
  return chunks.map((text, index) =>
    index === chunks.length - 1 && keyboard
      ? { kind: 'text', text, protect, keyboard }
      : { kind: 'text', text, protect },
  );
}

/** Splits a text longer than Telegram allows, preferring line breaks. */
export function splitText(text: string, max: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const cut = rest.lastIndexOf('\n', max);
    const at = cut > 0 ? cut : max;
    parts.push(rest.slice(0, at));
    rest = rest.slice(at).replace(/^\n/, '');
  }
  parts.push(rest);
  return parts;
}

/** Sends the replies of one turn to a chat, in order. Throws on the first failed call (after auto-retry). */
export async function sendReplies(
  api: Api,
  chatId: string | number,
  replies: readonly Reply[],
  target: RenderTarget,
  log: Logger,
): Promise<void> {
  for (const reply of replies) {
    const { messages, skipped } = planReply(reply, target);
    if (skipped.length > 0) {
      log.error(
        { key: reply.key, choices: skipped },
        'choice values too long for a Telegram button; left out',
      );
    }
    for (const message of messages) await send(api, chatId, message);
  }
}

async function send(api: Api, chatId: string | number, message: OutgoingMessage): Promise<void> {
  const common = {
    ...(message.protect ? { protect_content: true } : {}),
    ...(message.keyboard ? { reply_markup: message.keyboard } : {}),
  };
  if (message.kind === 'photo') {
    await api.sendPhoto(chatId, new InputFile(message.photo, 'image.png'), {
      caption: message.caption,
      ...common,
    });
  } else {
    await api.sendMessage(chatId, message.text, common);
  }
}

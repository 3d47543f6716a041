/** The channels lockstep talks on. `console` is the local demo adapter. */
export type Channel = 'telegram' | 'discord' | 'console';

/**
 * Where a conversation happens, and for whom. `chatId` is the place (a Telegram chat, a Discord DM or
 * server channel, the console); `userId` is set when the place is shared by many users (a Discord server
 * channel answered with ephemeral replies): each user there has a session of their own.
 */
export interface ChatRef {
  readonly channel: Channel;
  readonly chatId: string;
  /** The user this conversation belongs to when the place is shared; absent in one-to-one chats. */
  readonly userId?: string;
}

/** What the user did, in channel-neutral terms. */
export type InputAction =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'command'; readonly command: string; readonly args: string }
  | { readonly type: 'choice'; readonly value: string };

/**
 * One inbound message, as every adapter produces it.
 *
 * @example
 * { chat: { channel: 'telegram', chatId: '42' }, userId: '42', updateId: '1001', isPrivate: true,
 *   action: { type: 'command', command: 'password', args: '' } }
 */
export interface UserInput {
  readonly chat: ChatRef;
  /** The platform user id of the sender; accounts are linked to it. */
  readonly userId: string;
  /** The platform's delivery id (Telegram update_id, Discord interaction id); used to ignore redeliveries. */
  readonly updateId?: string;
  readonly messageId?: string;
  readonly locale?: string;
  /** One-to-one: the place holds only this user and the bot (a private chat, a DM). */
  readonly isPrivate: boolean;
  /**
   * Only this user sees the replies (a private chat, an ephemeral reply, a modal). Sensitive tasks need
   * this, not one-to-one. Defaults to `isPrivate`.
   */
  readonly confidential?: boolean;
  readonly action: InputAction;
}

const CHANNEL_TAG: Record<Channel, string> = { telegram: 'tg', discord: 'dc', console: 'con' };

/**
 * The Redis hash tag of a conversation, e.g. `tg:42` or `dc:900:77` (user 77 in shared channel 900), so all
 * of its keys share one cluster slot.
 */
export function chatTag(chat: ChatRef): string {
  const place = `${CHANNEL_TAG[chat.channel]}:${chat.chatId}`;
  return chat.userId === undefined ? place : `${place}:${chat.userId}`;
}

const CHANNEL_OF_TAG: Readonly<Record<string, Channel>> = Object.fromEntries(
  Object.entries(CHANNEL_TAG).map(([channel, tag]) => [tag, channel as Channel]),
);

/**
 * The conversation a `chatTag` names; null when the text is not one, or when it cannot be read back
 * unambiguously (a chat or user id with a `:` in it, which `chatTag` would run together).
 */
export function chatOfTag(tag: string): ChatRef | null {
  const [channelTag = '', chatId, userId, ...rest] = tag.split(':');
  const channel = CHANNEL_OF_TAG[channelTag];
  if (channel === undefined || chatId === undefined || chatId === '' || rest.length > 0) return null;
  if (userId === undefined) return { channel, chatId };
  return userId === '' ? null : { channel, chatId, userId };
}

/** True when replies to this input are seen only by its sender. */
export function isConfidential(input: UserInput): boolean {
  return input.confidential ?? input.isPrivate;
}

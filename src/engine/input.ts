/** The channels lockstep talks on. `console` is the local demo adapter. */
export type Channel = 'telegram' | 'discord' | 'console';

/** One conversation on one channel: a Telegram chat, a Discord DM channel, the console. */
export interface ChatRef {
  readonly channel: Channel;
  readonly chatId: string;
}

/** What the user did, in channel-neutral terms. */
export type InputAction =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'command'; readonly command: string; readonly args: string }
  | { readonly type: 'choice'; readonly value: string };

/**
 * One inbound message, as every adapter produces it (`toUserInput`).
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
  /** False in Telegram groups and Discord guild channels: sensitive flows refuse to run there. */
  readonly isPrivate: boolean;
  readonly action: InputAction;
}

const CHANNEL_TAG: Record<Channel, string> = { telegram: 'tg', discord: 'dc', console: 'con' };

/** The Redis hash tag of a chat, e.g. `tg:42`, so all of a chat's keys share one cluster slot. */
export function chatTag(chat: ChatRef): string {
  return `${CHANNEL_TAG[chat.channel]}:${chat.chatId}`;
}

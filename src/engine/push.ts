import type { Channel, ChatRef } from '../core/conversation.ts';
import type { Reply } from '../core/reply.ts';

/**
 * Sends replies to a chat outside of a turn (expiry notices, "your email is verified"), in `locale` (the
 * chat's /language choice) when the engine knows it; adapters otherwise use what they know of the chat.
 */
export type PushSender = (chat: ChatRef, replies: readonly Reply[], locale?: string) => Promise<void>;

/**
 * Routes out-of-turn replies to the adapter of their channel. The engine is built with `router.send`;
 * each adapter registers itself once it exists, so nothing is set on the engine afterwards.
 *
 * @example
 * const push = new PushRouter();
 * const engine = new Engine({ ..., push: push.send, pushReady: () => push.ready() });
 * push.register('telegram', telegram.pushSender);
 */
export class PushRouter {
  private readonly senders = new Map<Channel, { send: PushSender; healthy: () => boolean }>();

  register(channel: Channel, send: PushSender, healthy: () => boolean = () => true): void {
    this.senders.set(channel, { send, healthy });
  }

  readonly send: PushSender = async (chat, replies, locale) => {
    const sender = this.senders.get(chat.channel);
    if (!sender) throw new Error(`no adapter for ${chat.channel} runs in this process`);
    await sender.send(chat, replies, locale);
  };

  /** Some adapter is registered and every registered one can reach its platform. */
  ready(): boolean {
    if (this.senders.size === 0) return false;
    for (const sender of this.senders.values()) if (!sender.healthy()) return false;
    return true;
  }
}

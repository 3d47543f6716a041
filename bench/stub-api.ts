/**
 * The Bot API without a network: a grammY transformer that answers every call at once with a plausible
 * result, and remembers per chat what a simulated user needs to go on (message ids, the last keyboard).
 */
import type { Transformer } from 'grammy';
import type { InlineKeyboardMarkup, Message, UserFromGetMe } from 'grammy/types';

export const BOT_INFO: UserFromGetMe = {
  id: 7_000_000_001,
  is_bot: true,
  first_name: 'lockstep bench',
  username: 'lockstep_bench_bot',
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
  can_manage_bots: false,
  supports_join_request_queries: false,
};

const BOT_USER = {
  id: BOT_INFO.id,
  is_bot: true,
  first_name: BOT_INFO.first_name,
  username: BOT_INFO.username,
} as const;

/** What the stub knows about one private chat. */
export interface StubChat {
  /** Telegram numbers messages per chat, the user's and the bot's together. */
  lastMessageId: number;
  /** Messages the bot sent (sendMessage and sendPhoto). */
  botMessages: number;
  /** The last message the bot sent with an inline keyboard: what a button press refers to. */
  keyboard: Message | null;
  /** The last message the bot sent. */
  last: Message | null;
  lastText: string;
}

type Payload = Record<string, unknown>;

export class StubApi {
  /** Calls by method. */
  readonly calls = new Map<string, number>();
  total = 0;
  private readonly chats = new Map<number, StubChat>();

  chat(id: number): StubChat {
    let chat = this.chats.get(id);
    if (!chat) {
      chat = { lastMessageId: 0, botMessages: 0, keyboard: null, last: null, lastText: '' };
      this.chats.set(id, chat);
    }
    return chat;
  }

  resetCounts(): void {
    this.calls.clear();
    this.total = 0;
  }

  /** Installed with `bot.api.config.use(stub.transformer)`: later transformers never call the network. */
  readonly transformer: Transformer = (async (_prev: unknown, method: string, payload: Payload) => ({
    ok: true,
    result: this.answer(method, payload ?? {}),
  })) as unknown as Transformer;

  /**
   * For `Api` instances built where no transformer of ours reaches (the conversations plugin builds a fresh
   * `Api` per replayed update from the token and client options): a `fetch` that answers like the server.
   * Such calls pay grammY's full request path (JSON body, abort controller, timeout timer) on top.
   */
  readonly fetch = (async (url: string | URL, init?: { body?: unknown }) => {
    const text = String(url);
    const method = text.slice(text.lastIndexOf('/') + 1);
    const payload = typeof init?.body === 'string' ? (JSON.parse(init.body) as Payload) : {};
    const result = this.answer(method, payload);
    return { json: async () => ({ ok: true, result }) };
  }) as unknown as typeof fetch;

  answer(method: string, payload: Payload): unknown {
    this.total += 1;
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    switch (method) {
      case 'sendMessage':
      case 'sendPhoto': {
        const chatId = Number(payload.chat_id);
        const chat = this.chat(chatId);
        chat.lastMessageId += 1;
        chat.botMessages += 1;
        const text = String(payload.text ?? payload.caption ?? '');
        chat.lastText = text;
        const markup = payload.reply_markup as InlineKeyboardMarkup | undefined;
        const message = {
          message_id: chat.lastMessageId,
          date: Math.floor(Date.now() / 1000),
          chat: { id: chatId, type: 'private', first_name: 'User' },
          from: BOT_USER,
          ...(method === 'sendMessage'
            ? { text }
            : { caption: text, photo: [{ file_id: 'p', file_unique_id: 'p', width: 1, height: 1 }] }),
          ...(markup ? { reply_markup: markup } : {}),
        } as Message;
        chat.last = message;
        if (markup?.inline_keyboard?.length) chat.keyboard = message;
        return message;
      }
      case 'editMessageReplyMarkup':
      case 'editMessageText': {
        const chatId = Number(payload.chat_id);
        const chat = this.chat(chatId);
        if (chat.keyboard?.message_id === Number(payload.message_id) && !payload.reply_markup)
          chat.keyboard = null;
        return {
          message_id: Number(payload.message_id),
          date: Math.floor(Date.now() / 1000),
          edit_date: Math.floor(Date.now() / 1000),
          chat: { id: chatId, type: 'private', first_name: 'User' },
          from: BOT_USER,
          text: '',
        };
      }
      case 'getMe':
        return BOT_INFO;
      case 'getMyCommands':
        return [];
      default:
        // deleteMessage, answerCallbackQuery, sendChatAction, setMyCommands, setWebhook...
        return true;
    }
  }
}

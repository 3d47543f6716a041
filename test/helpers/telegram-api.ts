/**
 * A small stand-in of the Telegram Bot API for tests, served over real HTTP on 127.0.0.1.
 *
 * It speaks the wire protocol the real server speaks — `/bot<token>/<method>` with JSON, urlencoded or
 * multipart bodies, `{ ok, result }` / `{ ok: false, error_code, description, parameters }` answers — and
 * keeps the semantics bots depend on: `getUpdates` long polling (`offset` confirms, `timeout` holds the
 * request, `limit`, `allowed_updates`, 409 while a webhook is set or another poll is waiting), webhook
 * delivery with `X-Telegram-Bot-Api-Secret-Token` and redelivery on failure, per-chat message ids, real
 * `Message` shapes. Every call is recorded for assertions; tests play the users with `userSends` and
 * `userPresses`.
 *
 * @example
 * const api = await FakeTelegramApi.start();
 * const bot = new Bot(api.token, { client: { apiRoot: api.url } });
 * api.userSends(alice.chat, alice.user, '/start');
 * const reply = await api.waitFor((call) => call.method === 'sendMessage');
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Chat, Message, MessageEntity, Update, User, UserFromGetMe } from 'grammy/types';

/** One recorded API call. `params` are normalised (numbers and booleans parsed, JSON fields decoded). */
export interface ApiCall {
  /** Position in `calls`, to look only at calls after some point. */
  readonly index: number;
  readonly method: string;
  readonly params: Record<string, unknown>;
  /** Uploaded files by form field, e.g. `photo` (after resolving `attach://`). */
  readonly files: Readonly<Record<string, UploadedFile>>;
  /** HTTP status of our answer. */
  readonly status: number;
  readonly result?: unknown;
  readonly at: number;
  /**
   * Which bot made the call, when several share the stand-in: the first path segment of its `apiRoot`
   * (`${api.url}/a` calls as `a`); absent for the plain `api.url`.
   */
  readonly caller?: string;
}

/** A `getUpdates` request as it arrived (calls are recorded when answered, a long poll much later). */
export interface PollArrival {
  readonly caller: string | undefined;
  readonly at: number;
}

export interface UploadedFile {
  readonly filename: string;
  readonly bytes: number;
  readonly data: Buffer;
}

/** A forced failure of the next call of a method. */
export type Failure =
  | { readonly status: 429; readonly retryAfter: number }
  | { readonly status: 500 }
  /** A refusal such as "Bad Request: message can't be deleted". */
  | { readonly status: 400; readonly description: string };

/** One webhook POST the stand-in made. */
export interface WebhookDelivery {
  readonly updateId: number;
  readonly status: number;
  readonly secret: string | undefined;
}

/** A Telegram user and their private chat, for `userSends`. */
export interface FakePerson {
  readonly user: User;
  readonly chat: Chat.PrivateChat;
}

const JSON_FIELDS = new Set([
  'reply_markup',
  'allowed_updates',
  'commands',
  'scope',
  'entities',
  'caption_entities',
  'link_preview_options',
  'reply_parameters',
  'media',
]);
const NUMBER_FIELDS = new Set([
  'chat_id',
  'message_id',
  'offset',
  'limit',
  'timeout',
  'user_id',
  'cache_time',
  'max_connections',
]);
const BOOLEAN_FIELDS = new Set([
  'protect_content',
  'disable_notification',
  'drop_pending_updates',
  'show_alert',
  'has_spoiler',
]);
const DEFAULT_EXCLUDED = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);
const CHAT_ACTIONS = new Set(['typing', 'upload_photo', 'record_video', 'upload_video', 'upload_document']);
const SECRET_TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: Record<string, unknown>,
  ) {
    super(description);
  }
}

const badRequest = (what: string): ApiError => new ApiError(400, `Bad Request: ${what}`);

interface Poller {
  readonly limit: number;
  readonly respond: (status: number, body: unknown) => void;
  readonly timer: NodeJS.Timeout;
}

interface StoredMessage {
  message: Message;
  deleted: boolean;
}

/** The stand-in server; one per test. */
export class FakeTelegramApi {
  /** Every call, in arrival order. */
  readonly calls: ApiCall[] = [];
  readonly webhookDeliveries: WebhookDelivery[] = [];
  /** Every `getUpdates` request, when it arrived and from whom (see `ApiCall.caller`). */
  readonly pollArrivals: PollArrival[] = [];
  /** The commands of the last successful `setMyCommands` for all users (no `language_code`). */
  commands: { command: string; description: string }[] = [];
  /** The commands published per `language_code` (like Telegram, a list per language). */
  readonly commandsByLanguage = new Map<string, { command: string; description: string }[]>();
  readonly botUser: UserFromGetMe;

  private readonly server: Server;
  /** The caller of each request being answered (see `ApiCall.caller`). */
  private readonly callers = new WeakMap<ServerResponse, string | undefined>();
  private readonly queue: Update[] = [];
  private nextUpdateId = 10_000;
  /** Updates with a lower id were confirmed by an `offset` and are gone. */
  private confirmedBelow = 0;
  private allowedUpdates: string[] = [];
  private poller: Poller | null = null;
  private readonly chats = new Map<number, Chat>();
  private readonly messages = new Map<string, StoredMessage>();
  private readonly lastMessageId = new Map<number, number>();
  private readonly callbackQueries = new Map<string, { answered: boolean }>();
  private nextQueryId = 1;
  private readonly failures = new Map<string, Failure[]>();
  private readonly waiters = new Set<() => void>();
  private webhook: { url: string; secret: string | undefined; allowed: string[] } | null = null;
  private webhookError: { date: number; message: string } | null = null;
  private delivering = false;
  private closed = false;
  private notifyScheduled = false;
  /** Attempts per update before a webhook delivery is given up (Telegram retries, then drops). */
  webhookAttempts = 3;
  webhookRetryDelayMs = 50;

  private constructor(
    readonly token: string,
    botUsername: string,
  ) {
    this.botUser = {
      id: Number(token.split(':')[0]),
      is_bot: true,
      first_name: 'lockstep',
      username: botUsername,
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
    } as UserFromGetMe;
    this.server = createServer((req, res) => {
      this.route(req, res).catch((error: unknown) => {
        this.respond(res, 500, {
          ok: false,
          error_code: 500,
          description: `stand-in failed: ${String(error)}`,
        });
      });
    });
  }

  /** Starts a stand-in on a free port of 127.0.0.1. */
  static async start(options: { token?: string; botUsername?: string } = {}): Promise<FakeTelegramApi> {
    const api = new FakeTelegramApi(
      options.token ?? '123456:TEST-token',
      options.botUsername ?? 'lockstep_test_bot',
    );
    await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
    return api;
  }

  /** The `apiRoot` to give the bot (no trailing slash). */
  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Ends waiting polls, stops webhook delivery, closes the server and every connection. */
  async close(): Promise<void> {
    this.closed = true;
    this.releasePoller([]);
    for (const wake of this.waiters) wake();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---- test controls --------------------------------------------------------------------------

  /** A user with a private chat; ids are stable per `id`. */
  person(id: number, firstName = `User${id}`, languageCode = 'en'): FakePerson {
    return {
      user: { id, is_bot: false, first_name: firstName, language_code: languageCode },
      chat: { id, type: 'private', first_name: firstName },
    };
  }

  /** A group chat (negative id, like Telegram's). */
  group(id: number, title = 'Test group'): Chat.GroupChat {
    return { id: -Math.abs(id), type: 'group', title };
  }

  /** Builds a text message update without queueing it (see `enqueue`). */
  messageUpdate(chat: Chat, from: User, text: string): Update {
    const message = this.storeMessage(chat, from, { text, ...commandEntities(text) });
    return { update_id: this.nextUpdateId++, message: message as Update['message'] };
  }

  /** The user sends a text; starting with `/` it carries a `bot_command` entity like Telegram's. */
  userSends(chat: Chat, from: User, text: string): Update {
    const update = this.messageUpdate(chat, from, text);
    this.enqueue(update);
    return update;
  }

  /** The user sends a sticker (a message without text). */
  userSendsSticker(chat: Chat, from: User): Update {
    const sticker = {
      file_id: 'CAACAgIAAxkBAAEC',
      file_unique_id: 'AgADsticker',
      type: 'regular',
      width: 512,
      height: 512,
      is_animated: false,
      is_video: false,
    };
    const message = this.storeMessage(chat, from, { sticker });
    const update = { update_id: this.nextUpdateId++, message } as Update;
    this.enqueue(update);
    return update;
  }

  /** The user edits a message they sent earlier (`message_id`) to say `text`: an `edited_message` update. */
  userEdits(chat: Chat, from: User, messageId: number, text: string): Update {
    const stored = this.messages.get(`${chat.id}:${messageId}`);
    if (!stored) throw new Error(`no message ${messageId} in chat ${chat.id}`);
    const edited = {
      ...stored.message,
      from,
      text,
      edit_date: Math.floor(Date.now() / 1000),
      ...(text.startsWith('/')
        ? { entities: [{ type: 'bot_command', offset: 0, length: text.split(' ')[0]?.length ?? 0 }] }
        : {}),
    };
    const update = { update_id: this.nextUpdateId++, edited_message: edited } as Update;
    this.enqueue(update);
    return update;
  }

  /** The user presses an inline button of one of the bot's messages. */
  userPresses(chat: Chat, from: User, messageId: number, data: string): Update {
    const stored = this.messages.get(`${chat.id}:${messageId}`);
    if (!stored) throw new Error(`no message ${messageId} in chat ${chat.id}`);
    const id = String(this.nextQueryId++);
    this.callbackQueries.set(id, { answered: false });
    const update = {
      update_id: this.nextUpdateId++,
      callback_query: {
        id,
        from,
        message: stored.message,
        chat_instance: `ci${chat.id}`,
        data,
      },
    } as Update;
    this.enqueue(update);
    return update;
  }

  /** Queues an update as is (same `update_id` twice = a redelivery); webhook mode POSTs it instead. */
  enqueue(update: Update): void {
    const chat = update.message?.chat ?? update.edited_message?.chat ?? update.callback_query?.message?.chat;
    if (chat) this.chats.set(chat.id, chat);
    this.queue.push(update);
    this.scheduleNotify();
  }

  /** The next call of `method` fails like Telegram under load. */
  failNext(method: string, failure: Failure): void {
    const list = this.failures.get(method) ?? [];
    list.push(failure);
    this.failures.set(method, list);
  }

  /** Resolves with the first recorded call (past or future) matching `predicate`. */
  waitFor(predicate: (call: ApiCall) => boolean, timeoutMs = 3_000): Promise<ApiCall> {
    const found = this.calls.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const match = this.calls.find(predicate);
        if (match) {
          cleanup();
          resolve(match);
        } else if (this.closed) {
          cleanup();
          reject(new Error('the stand-in was closed while waiting'));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no matching API call within ${timeoutMs} ms; calls: ${this.summary()}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  /** Recorded calls of one method (optionally only from `since` on). */
  callsOf(method: string, since = 0): ApiCall[] {
    return this.calls.filter((call) => call.method === method && call.index >= since);
  }

  /** Texts the bot sent to a chat (messages and photo captions), in order. */
  textsTo(chatId: number, since = 0): string[] {
    return this.calls
      .filter(
        (call) =>
          call.index >= since &&
          call.status === 200 &&
          (call.method === 'sendMessage' || call.method === 'sendPhoto') &&
          call.params.chat_id === chatId,
      )
      .map((call) => String(call.params.text ?? call.params.caption ?? ''));
  }

  /** True when the message was deleted through `deleteMessage`. */
  isDeleted(chatId: number, messageId: number): boolean {
    return this.messages.get(`${chatId}:${messageId}`)?.deleted === true;
  }

  /** Pending (unconfirmed) updates. */
  get pendingUpdates(): number {
    return this.queue.length;
  }

  /** POSTs one update to the webhook with the given secret, once, bypassing the queue; returns the status. */
  async deliverWebhook(update: Update, options: { secret: string | undefined }): Promise<number> {
    if (!this.webhook) throw new Error('no webhook is set');
    return this.post(this.webhook.url, update, options.secret);
  }

  /** A compact list of the calls so far, for failure messages. */
  summary(): string {
    return this.calls.map((call) => `${call.method}:${call.status}`).join(', ');
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const match = /^(?:\/([A-Za-z0-9_-]+))?\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!match) return this.respond(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, caller, token, method = ''] = match;
    if (method === 'getUpdates') this.pollArrivals.push({ caller, at: Date.now() });
    this.callers.set(res, caller);
    const body = await readBody(req);
    if (token !== this.token) {
      return this.respond(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    }
    let parsed: { params: Record<string, unknown>; files: Record<string, UploadedFile> };
    try {
      parsed = parseParams(req.headers['content-type'], body, url.searchParams);
    } catch (error) {
      return this.record(res, method, {}, {}, new ApiError(400, `Bad Request: ${(error as Error).message}`));
    }
    const { params, files } = parsed;
    const failure = this.failures.get(method)?.shift();
    if (failure) {
      const error =
        failure.status === 429
          ? new ApiError(429, `Too Many Requests: retry after ${failure.retryAfter}`, {
              retry_after: failure.retryAfter,
            })
          : failure.status === 400
            ? badRequest(failure.description)
            : new ApiError(500, 'Internal Server Error');
      return this.record(res, method, params, files, error);
    }
    if (method === 'getUpdates') return this.getUpdates(res, params);
    try {
      const result = this.call(method, params, files);
      this.record(res, method, params, files, null, result);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      this.record(res, method, params, files, error);
    }
  }

  private record(
    res: ServerResponse,
    method: string,
    params: Record<string, unknown>,
    files: Record<string, UploadedFile>,
    error: ApiError | null,
    result?: unknown,
  ): void {
    const status = error ? error.code : 200;
    const caller = this.callers.get(res);
    this.calls.push({
      index: this.calls.length,
      method,
      params,
      files,
      status,
      result,
      at: Date.now(),
      ...(caller !== undefined ? { caller } : {}),
    });
    const body = error
      ? {
          ok: false,
          error_code: error.code,
          description: error.description,
          ...(error.parameters ? { parameters: error.parameters } : {}),
        }
      : { ok: true, result };
    this.respond(res, status, body);
    for (const wake of [...this.waiters]) wake();
  }

  private respond(res: ServerResponse, status: number, body: unknown): void {
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  // ---- getUpdates -----------------------------------------------------------------------------

  private getUpdates(res: ServerResponse, params: Record<string, unknown>): void {
    const answer = (error: ApiError | null, result?: unknown): void =>
      this.record(res, 'getUpdates', params, {}, error, result);
    if (this.webhook) {
      answer(
        new ApiError(
          409,
          "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
        ),
      );
      return;
    }
    const offset = typeof params.offset === 'number' ? params.offset : 0;
    if (offset > 0) this.confirm(offset);
    else if (offset < 0) this.queue.splice(0, Math.max(0, this.queue.length + offset));
    if (Array.isArray(params.allowed_updates)) this.allowedUpdates = params.allowed_updates.map(String);
    const limit = clamp(typeof params.limit === 'number' ? params.limit : 100, 1, 100);
    const timeout = Math.max(0, typeof params.timeout === 'number' ? params.timeout : 0);
    // Like Telegram: a new poll ends the one still waiting.
    this.releasePoller(null);
    const ready = this.available(limit);
    if (ready.length > 0 || timeout === 0 || this.closed) {
      answer(null, ready);
      return;
    }
    const respond = (status: number, body: unknown): void => {
      this.poller = null;
      clearTimeout(timer);
      if (status === 200) answer(null, body);
      else answer(new ApiError(status, String(body)));
    };
    const timer = setTimeout(() => respond(200, this.available(limit)), timeout * 1000);
    const poller: Poller = { limit, respond, timer };
    this.poller = poller;
    res.on('close', () => {
      // The bot aborted the poll (stop): nothing is lost, unconfirmed updates stay queued.
      if (this.poller === poller) {
        clearTimeout(timer);
        this.poller = null;
      }
    });
  }

  /** Drops every update below `offset`: Telegram's confirmation. */
  private confirm(offset: number): void {
    this.confirmedBelow = Math.max(this.confirmedBelow, offset);
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if ((this.queue[i]?.update_id ?? 0) < offset) this.queue.splice(i, 1);
    }
  }

  private available(limit: number): Update[] {
    const allowed = (update: Update): boolean => {
      const type = Object.keys(update).find((key) => key !== 'update_id') ?? '';
      return this.allowedUpdates.length > 0
        ? this.allowedUpdates.includes(type)
        : !DEFAULT_EXCLUDED.has(type);
    };
    // Telegram never even stores updates of types the bot did not ask for.
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const update = this.queue[i];
      if (update && (!allowed(update) || update.update_id < this.confirmedBelow)) this.queue.splice(i, 1);
    }
    return this.queue.slice(0, limit);
  }

  /** Answers the waiting poll: with updates (`null` = conflict, a newer poll took over). */
  private releasePoller(updates: Update[] | null): void {
    const poller = this.poller;
    if (!poller) return;
    if (updates === null) {
      poller.respond(
        409,
        'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
      );
    } else {
      poller.respond(200, updates);
    }
  }

  private scheduleNotify(): void {
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    // Deferred, so that updates queued in one go arrive in one batch, as with Telegram.
    setImmediate(() => {
      this.notifyScheduled = false;
      if (this.webhook) {
        void this.deliverQueue();
        return;
      }
      const poller = this.poller;
      if (poller) {
        const ready = this.available(poller.limit);
        if (ready.length > 0) this.releasePoller(ready);
      }
    });
  }

  // ---- webhook --------------------------------------------------------------------------------

  private async deliverQueue(): Promise<void> {
    if (this.delivering) return;
    this.delivering = true;
    try {
      while (this.webhook && !this.closed && this.queue.length > 0) {
        const update = this.queue[0] as Update;
        let delivered = false;
        for (let attempt = 1; attempt <= this.webhookAttempts && !this.closed && this.webhook; attempt++) {
          const status = await this.post(this.webhook.url, update, this.webhook.secret);
          if (status >= 200 && status < 300) {
            delivered = true;
            break;
          }
          this.webhookError = { date: nowSeconds(), message: `Wrong response from the webhook: ${status}` };
          await new Promise((resolve) => setTimeout(resolve, this.webhookRetryDelayMs * attempt));
        }
        if (!delivered && !this.closed) this.webhookError ??= { date: nowSeconds(), message: 'gave up' };
        const index = this.queue.indexOf(update);
        if (index >= 0) this.queue.splice(index, 1);
      }
    } finally {
      this.delivering = false;
    }
  }

  private async post(url: string, update: Update, secret: string | undefined): Promise<number> {
    let status: number;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(secret !== undefined ? { 'x-telegram-bot-api-secret-token': secret } : {}),
        },
        body: JSON.stringify(update),
      });
      await response.arrayBuffer();
      status = response.status;
    } catch {
      status = 0;
    }
    this.webhookDeliveries.push({ updateId: update.update_id, status, secret });
    for (const wake of [...this.waiters]) wake();
    return status;
  }

  // ---- methods --------------------------------------------------------------------------------

  private call(
    method: string,
    params: Record<string, unknown>,
    files: Record<string, UploadedFile>,
  ): unknown {
    switch (method) {
      case 'getMe':
        return this.botUser;
      case 'sendMessage': {
        const chat = this.chatOf(params);
        const text = typeof params.text === 'string' ? params.text : '';
        if (text.trim() === '') throw badRequest('message text is empty');
        if (text.length > 4096) throw badRequest('message is too long');
        const markup = checkMarkup(params.reply_markup);
        return this.storeMessage(chat, this.botUser, {
          text,
          ...(markup ? { reply_markup: markup } : {}),
          ...(params.protect_content === true ? { has_protected_content: true } : {}),
        });
      }
      case 'sendPhoto': {
        const chat = this.chatOf(params);
        const photo = resolveFile(params.photo, files);
        if (!photo) throw badRequest('wrong file identifier/HTTP URL specified');
        if (photo.bytes === 0) throw badRequest('file must be non-empty');
        const caption = typeof params.caption === 'string' ? params.caption : undefined;
        if (caption !== undefined && caption.length > 1024) throw badRequest('message caption is too long');
        const markup = checkMarkup(params.reply_markup);
        const { width, height } = pngSize(photo.data);
        const unique = `ph${this.calls.length}`;
        return this.storeMessage(chat, this.botUser, {
          photo: [
            { file_id: `${unique}-s`, file_unique_id: `${unique}s`, width: 90, height: 90, file_size: 1_000 },
            { file_id: unique, file_unique_id: unique, width, height, file_size: photo.bytes },
          ],
          ...(caption !== undefined ? { caption } : {}),
          ...(markup ? { reply_markup: markup } : {}),
          ...(params.protect_content === true ? { has_protected_content: true } : {}),
        });
      }
      case 'deleteMessage': {
        const chat = this.chatOf(params);
        const stored = this.messages.get(`${chat.id}:${String(params.message_id)}`);
        if (!stored || stored.deleted) throw badRequest('message to delete not found');
        stored.deleted = true;
        return true;
      }
      case 'editMessageReplyMarkup': {
        const chat = this.chatOf(params);
        const stored = this.messages.get(`${chat.id}:${String(params.message_id)}`);
        if (!stored || stored.deleted) throw badRequest('message to edit not found');
        const markup = checkMarkup(params.reply_markup);
        const before = JSON.stringify(stored.message.reply_markup?.inline_keyboard ?? []);
        if (before === JSON.stringify(markup?.inline_keyboard ?? [])) {
          throw badRequest(
            'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
          );
        }
        const { reply_markup: _old, ...rest } = stored.message as Message & { reply_markup?: unknown };
        stored.message = {
          ...rest,
          ...(markup ? { reply_markup: markup } : {}),
          edit_date: nowSeconds(),
        } as Message;
        return stored.message;
      }
      case 'answerCallbackQuery': {
        const query = this.callbackQueries.get(String(params.callback_query_id ?? ''));
        if (!query || query.answered) {
          throw badRequest('query is too old and response timeout expired or query ID is invalid');
        }
        if (typeof params.text === 'string' && params.text.length > 200) throw badRequest('MESSAGE_TOO_LONG');
        query.answered = true;
        return true;
      }
      case 'sendChatAction': {
        this.chatOf(params);
        if (!CHAT_ACTIONS.has(String(params.action))) throw badRequest('wrong parameter action in request');
        return true;
      }
      case 'setMyCommands': {
        const commands = params.commands;
        if (!Array.isArray(commands) || commands.length > 100) throw badRequest('commands must be an array');
        for (const entry of commands as { command?: unknown; description?: unknown }[]) {
          if (typeof entry.command !== 'string' || !/^[a-z0-9_]{1,32}$/.test(entry.command)) {
            throw badRequest('BOT_COMMAND_INVALID');
          }
          const description = entry.description;
          if (typeof description !== 'string' || description.length < 1 || description.length > 256) {
            throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
          }
        }
        const language = typeof params.language_code === 'string' ? params.language_code : '';
        if (language !== '' && !/^[a-z]{2}$/.test(language)) throw badRequest('language code is invalid');
        if (language === '') this.commands = commands as { command: string; description: string }[];
        else this.commandsByLanguage.set(language, commands as { command: string; description: string }[]);
        return true;
      }
      case 'getMyCommands': {
        const language = typeof params.language_code === 'string' ? params.language_code : '';
        return language === '' ? this.commands : (this.commandsByLanguage.get(language) ?? []);
      }
      case 'setWebhook': {
        const url = typeof params.url === 'string' ? params.url : '';
        if (url === '') {
          this.webhook = null;
          return true;
        }
        if (!/^https?:\/\//.test(url))
          throw badRequest('bad webhook: An HTTPS URL must be provided for webhook');
        const secret = params.secret_token;
        if (secret !== undefined && (typeof secret !== 'string' || !SECRET_TOKEN.test(secret))) {
          throw badRequest('secret token contains unallowed characters');
        }
        if (params.drop_pending_updates === true) this.queue.length = 0;
        this.webhook = {
          url,
          secret: typeof secret === 'string' ? secret : undefined,
          allowed: Array.isArray(params.allowed_updates) ? params.allowed_updates.map(String) : [],
        };
        if (this.webhook.allowed.length > 0) this.allowedUpdates = this.webhook.allowed;
        // A waiting poll ends now; pending updates go to the webhook.
        this.releasePoller(null);
        this.scheduleNotify();
        return true;
      }
      case 'deleteWebhook':
        if (params.drop_pending_updates === true) this.queue.length = 0;
        this.webhook = null;
        return true;
      case 'getWebhookInfo':
        return {
          url: this.webhook?.url ?? '',
          has_custom_certificate: false,
          pending_update_count: this.queue.length,
          ...(this.webhook ? { max_connections: 40 } : {}),
          ...(this.webhook?.allowed.length ? { allowed_updates: this.webhook.allowed } : {}),
          ...(this.webhookError
            ? { last_error_date: this.webhookError.date, last_error_message: this.webhookError.message }
            : {}),
        };
      default:
        throw new ApiError(404, 'Not Found: method not found');
    }
  }

  private chatOf(params: Record<string, unknown>): Chat {
    const id = params.chat_id;
    const chat = typeof id === 'number' ? this.chats.get(id) : undefined;
    if (!chat) throw badRequest('chat not found');
    return chat;
  }

  private storeMessage(chat: Chat, from: User, content: Record<string, unknown>): Message {
    this.chats.set(chat.id, chat);
    const messageId = (this.lastMessageId.get(chat.id) ?? 0) + 1;
    this.lastMessageId.set(chat.id, messageId);
    const message = { message_id: messageId, from, chat, date: nowSeconds(), ...content } as Message;
    this.messages.set(`${chat.id}:${messageId}`, { message, deleted: false });
    return message;
  }
}

// ---- helpers ------------------------------------------------------------------------------------

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function commandEntities(text: string): { entities?: MessageEntity[] } {
  const match = /^\/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?/.exec(text);
  return match ? { entities: [{ type: 'bot_command', offset: 0, length: match[0].length }] } : {};
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Body (JSON, urlencoded or multipart) and query string -> normalised params and uploaded files. */
function parseParams(
  contentType: string | undefined,
  body: Buffer,
  query: URLSearchParams,
): { params: Record<string, unknown>; files: Record<string, UploadedFile> } {
  const raw: Record<string, unknown> = Object.fromEntries(query);
  const files: Record<string, UploadedFile> = {};
  const type = (contentType ?? '').toLowerCase();
  if (body.length > 0) {
    if (type.startsWith('application/json')) {
      Object.assign(raw, JSON.parse(body.toString('utf8')) as Record<string, unknown>);
    } else if (type.startsWith('application/x-www-form-urlencoded')) {
      Object.assign(raw, Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
    } else if (type.startsWith('multipart/form-data')) {
      const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '');
      const value = boundary?.[1] ?? boundary?.[2];
      if (!value) throw new Error('multipart body without a boundary');
      for (const part of parseMultipart(body, value.trim())) {
        if (part.filename !== undefined) {
          files[part.name] = { filename: part.filename, bytes: part.data.length, data: part.data };
        } else {
          raw[part.name] = part.data.toString('utf8');
        }
      }
    } else {
      throw new Error(`unsupported content type ${contentType ?? '(none)'}`);
    }
  }
  const params: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') params[key] = value;
    else if (JSON_FIELDS.has(key)) params[key] = JSON.parse(value) as unknown;
    else if (NUMBER_FIELDS.has(key) && /^-?\d+$/.test(value)) params[key] = Number(value);
    else if (BOOLEAN_FIELDS.has(key)) params[key] = value === 'true';
    else params[key] = value;
  }
  return { params, files };
}

interface Part {
  readonly name: string;
  readonly filename?: string;
  readonly data: Buffer;
}

/** A minimal multipart/form-data reader (RFC 7578): enough for grammY's and `fetch`'s encoders. */
export function parseMultipart(body: Buffer, boundary: string): Part[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const next = Buffer.from(`\r\n--${boundary}`);
  const parts: Part[] = [];
  let position = body.indexOf(delimiter);
  if (position < 0) throw new Error('multipart boundary not found');
  for (;;) {
    let start = position + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    if (body[start] === 0x0d && body[start + 1] === 0x0a) start += 2;
    const end = body.indexOf(next, start);
    if (end < 0) throw new Error('multipart body is truncated');
    const part = body.subarray(start, end);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) throw new Error('multipart part without headers');
    const headers = part.subarray(0, headerEnd).toString('utf8');
    const disposition = headers.split('\r\n').find((line) => /^content-disposition\s*:/i.test(line)) ?? '';
    const name = /(?:^|;)\s*name="([^"]*)"/i.exec(disposition.replace(/^[^:]*:/, ';'))?.[1];
    if (name === undefined) throw new Error('multipart part without a name');
    const filename = /;\s*filename=(?:"([^"]*)"|([^;\s]*))/i.exec(disposition);
    const data = part.subarray(headerEnd + 4);
    parts.push(
      filename
        ? { name, filename: filename[1] ?? filename[2] ?? '', data: Buffer.from(data) }
        : { name, data },
    );
    position = end + 2;
  }
  return parts;
}

/** `photo` as a direct upload, an `attach://<field>` reference, or nothing usable. */
function resolveFile(value: unknown, files: Record<string, UploadedFile>): UploadedFile | undefined {
  if (typeof value === 'string' && value.startsWith('attach://'))
    return files[value.slice('attach://'.length)];
  return files.photo;
}

/** Validates an inline keyboard the way Telegram does (callback data 1-64 bytes, http(s)/tg URLs). */
function checkMarkup(markup: unknown): { inline_keyboard: Record<string, unknown>[][] } | undefined {
  if (markup === undefined || markup === null) return undefined;
  const keyboard = (markup as { inline_keyboard?: unknown }).inline_keyboard;
  if (!Array.isArray(keyboard)) throw badRequest("can't parse reply keyboard markup JSON object");
  for (const row of keyboard) {
    if (!Array.isArray(row))
      throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays');
    for (const button of row as Record<string, unknown>[]) {
      if (typeof button.text !== 'string' || button.text === '')
        throw badRequest('text buttons are unallowed in the inline keyboard');
      if (typeof button.callback_data === 'string') {
        const bytes = Buffer.byteLength(button.callback_data, 'utf8');
        if (bytes < 1 || bytes > 64) throw badRequest('BUTTON_DATA_INVALID');
      } else if (typeof button.url === 'string') {
        if (!/^(https?|tg):\/\/\S+$/.test(button.url)) throw badRequest('BUTTON_URL_INVALID');
      } else {
        throw badRequest('BUTTON_TYPE_INVALID');
      }
    }
  }
  return { inline_keyboard: keyboard as Record<string, unknown>[][] };
}

/** Width and height from a PNG's IHDR chunk; a plausible size for anything else. */
function pngSize(data: Buffer): { width: number; height: number } {
  const signature = '89504e470d0a1a0a';
  if (data.length >= 24 && data.subarray(0, 8).toString('hex') === signature) {
    return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
  }
  return { width: 320, height: 320 };
}

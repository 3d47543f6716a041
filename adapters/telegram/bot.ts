/**
 * The Telegram adapter: a grammY bot that turns updates into `UserInput`, runs them through the engine and
 * renders the replies. It knows no flow: a new flow needs no change here.
 */
import { autoRetry } from '@grammyjs/auto-retry';
import { type RunnerHandle, run, sequentialize } from '@grammyjs/runner';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Bot, type Context, GrammyError, HttpError, type Transformer, webhookCallback } from 'grammy';
import type { BotCommand } from 'grammy/types';
import {
  availableLocales,
  type Locale,
  type MessageKey,
  resolveLocale,
  t,
} from '../../src/catalog/catalog.ts';
import { chatTag, type UserInput } from '../../src/core/conversation.ts';
import { NO_OBSERVER, type Observer } from '../../src/core/observer.ts';
import { type Engine, GLOBAL_COMMANDS, type PushSender } from '../../src/engine/engine.ts';
import { describeError, type Logger } from '../../src/log.ts';
import { type ChannelPort, runTurn, SecretPromptMemory } from '../kit/run-turn.ts';
import { sendReplies } from './render.ts';
import { isUnsupportedMessage, parseChoice, toUserInput } from './to-user-input.ts';

/** The only update types the adapter reads; everything else is not even fetched. */
export const ALLOWED_UPDATES = ['message', 'edited_message', 'callback_query'] as const;

/** Where `mountTelegramWebhook` serves the webhook by default; the secret token, not the path, protects it. */
export const TELEGRAM_WEBHOOK_PATH = '/telegram/webhook';

const GLOBAL_COMMAND_LABELS: Record<(typeof GLOBAL_COMMANDS)[number], MessageKey> = {
  start: 'telegram.cmd.start',
  menu: 'telegram.cmd.menu',
  help: 'telegram.cmd.help',
  cancel: 'telegram.cmd.cancel',
  support: 'telegram.cmd.support',
};

/** Telegram's two-letter language codes (ISO 639-1) for `setMyCommands`, per language lockstep speaks. */
const TELEGRAM_LANGUAGE: Record<Exclude<Locale, 'en'>, 'zh' | 'es' | 'ru'> = {
  'zh-CN': 'zh',
  es: 'es',
  ru: 'ru',
};

// https://core.telegram.org/bots/api#botcommand
const BOT_COMMAND = /^[a-z0-9_]{1,32}$/;

export interface TelegramBotOptions {
  readonly token: string;
  readonly engine: Engine;
  readonly log: Logger;
  /** A self-hosted Bot API server (`TELEGRAM_API_ROOT`), without a trailing slash. */
  readonly apiRoot?: string;
  /** The bot's username; when absent it comes from `getMe` (`bot.init()`). */
  readonly username?: string;
  /** Retries of 429 and 5xx answers (@grammyjs/auto-retry). Defaults: 3 attempts, at most 30 s per wait. */
  readonly retry?: { readonly maxRetryAttempts?: number; readonly maxDelaySeconds?: number };
  /** Long-polling timeout of `getUpdates`, in seconds. Default 30. */
  readonly pollTimeoutSeconds?: number;
  /** A step slower than this shows "typing…"; repeated every `typingIntervalMs`. Defaults 300 ms and 4 s. */
  readonly typingDelayMs?: number;
  readonly typingIntervalMs?: number;
  /** After this long a webhook request is answered while its update goes on being handled. Default 10 s. */
  readonly webhookTimeoutMs?: number;
  /**
   * How long one Bot API call (one attempt) may take before it fails as "no answer in time", so an outage
   * is noticed; the long poll gets its own timeout plus 15 s. Default TELEGRAM_CALL_TIMEOUT_MS.
   */
  readonly callTimeoutMs?: number;
  /** Told the outcome of every Bot API call, each retry included (metrics). */
  readonly observer?: Observer;
}

/** The default time limit of one Bot API call other than the long poll (grammY's own is 500 s). */
export const TELEGRAM_CALL_TIMEOUT_MS = 10_000;

/** A route handler for fastify: `app.post(path, telegram.webhookHandler(secret))`. */
export type WebhookHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** Failures that say the API cannot serve this bot: unreachable, 5xx, or the token refused (401, 404). */
function isApiFailure(errorCode: number): boolean {
  return errorCode >= 500 || errorCode === 401 || errorCode === 404;
}

/**
 * Why a Bot API call failed, safe for a log: a network error's code (`ECONNREFUSED`), a timeout, or
 * Telegram's answer (`401: Unauthorized`). Never the request URL, which holds the bot token.
 */
export function telegramCause(error: unknown): string {
  if (error instanceof GrammyError) return `${error.error_code}: ${error.description}`;
  let inner: unknown = error instanceof HttpError ? error.error : error;
  for (let depth = 0; inner && typeof inner === 'object' && depth < 4; depth += 1) {
    const code = (inner as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z0-9_]+$/.test(code)) return code;
    const name = (inner as { name?: unknown }).name;
    if (name === 'AbortError' || name === 'TimeoutError') return 'no answer in time';
    const message = inner instanceof Error ? inner.message : '';
    if (/timed out/i.test(message)) return 'no answer in time';
    inner = (inner as { cause?: unknown }).cause;
  }
  return error instanceof Error ? error.name : 'unknown error';
}

/** The Bot API could not be reached, or refused the token; `message` never holds the token. */
export class TelegramUnreachable extends Error {
  override readonly name = 'TelegramUnreachable';
  constructor(
    /** Why (see `telegramCause`). */
    readonly reason: string,
    /** Telegram answered, refusing the token (401 or 404): retrying will not help. */
    readonly refused: boolean,
  ) {
    super(`the Telegram Bot API ${refused ? 'refused the bot token' : 'did not answer'} (${reason})`);
  }
}

/** What the adapter knows about its Bot API: the outcome of the latest call. */
export interface TelegramHealthState {
  /** The latest call got an answer (other than 5xx, 401, 404); false before the first call. */
  readonly reachable: boolean;
  /** When a call last got such an answer / last failed (ms since the epoch; 0 = never). */
  readonly lastSuccessAt: number;
  readonly lastFailureAt: number;
  /** Why the latest failure failed (see `telegramCause`). */
  readonly lastFailure: string | null;
}

export interface TelegramHealth {
  /** Cheap and synchronous: can this process reach Telegram, going by the latest call. */
  reachable(): boolean;
  state(): TelegramHealthState;
  /**
   * Calls `getMe` (which also initialises the bot), retrying network failures and 5xx for at most
   * `timeoutMs`; throws `TelegramUnreachable` when no call succeeded in time or the token was refused.
   * `signal` ends the wait early (then it throws too).
   */
  probe(timeoutMs: number, signal?: AbortSignal): Promise<void>;
}

export interface TelegramBot {
  readonly bot: Bot;
  /** Whether the Bot API answers (for readiness and for the expiry sweeper's push router). */
  readonly health: TelegramHealth;
  /** Sends replies to a Telegram chat outside of a turn (give it to `engine.setPushSender`). */
  readonly pushSender: PushSender;
  /** Long polling: drops a webhook if one is set (pending updates are kept), publishes the commands, polls. */
  start(): Promise<void>;
  /** Stops polling and resolves once every update being handled (polling or webhook) is finished. */
  stop(): Promise<void>;
  /** The webhook endpoint; requests without the right `X-Telegram-Bot-Api-Secret-Token` get 401. */
  webhookHandler(secretToken: string): WebhookHandler;
  /** Webhook mode: registers `url` with Telegram (with the secret token) and publishes the commands. */
  setWebhook(url: string, secretToken: string): Promise<void>;
}

/**
 * Serves a Telegram bot's webhook on a fastify instance.
 *
 * @example
 * mountTelegramWebhook(app, telegram, { secretToken });
 * await telegram.setWebhook(`${publicUrl}${TELEGRAM_WEBHOOK_PATH}`, secretToken);
 */
export function mountTelegramWebhook(
  app: FastifyInstance,
  telegram: TelegramBot,
  options: { readonly secretToken: string; readonly path?: string },
): void {
  app.post(options.path ?? TELEGRAM_WEBHOOK_PATH, telegram.webhookHandler(options.secretToken));
}

/**
 * Builds the Telegram adapter around an engine.
 *
 * @example
 * const telegram = createTelegramBot({ token, engine, log });
 * engine.setPushSender(telegram.pushSender);
 * await telegram.start();
 * process.once('SIGTERM', () => void telegram.stop());
 */
export function createTelegramBot(options: TelegramBotOptions): TelegramBot {
  const { engine, log } = options;
  const pollTimeoutSeconds = options.pollTimeoutSeconds ?? 30;
  const bot = new Bot(options.token, {
    client: {
      ...(options.apiRoot ? { apiRoot: options.apiRoot } : {}),
      // grammY's limit for every call, the long poll's included; `callTimeout` is the short one.
      timeoutSeconds: pollTimeoutSeconds + 15,
    },
  });
  const health = trackHealth(bot);
  bot.api.config.use(
    // Innermost: every attempt (autoRetry's too) gets its own deadline, which health counts as a failure.
    callTimeout(options.callTimeoutMs ?? TELEGRAM_CALL_TIMEOUT_MS),
    // Next, so it sees every attempt (autoRetry's too): a retried 500 followed by a success ends healthy.
    health.transformer,
    observeCalls(options.observer ?? NO_OBSERVER),
    autoRetry({
      maxRetryAttempts: options.retry?.maxRetryAttempts ?? 3,
      maxDelaySeconds: options.retry?.maxDelaySeconds ?? 30,
      // A network failure should fail the update, not hang it (and shutdown with it) for hours.
      rethrowHttpErrors: true,
    }),
    logPollingFailures(log),
  );
  const commands = new Set<string>([
    ...GLOBAL_COMMANDS,
    ...engine.flowDefinitions.map((flow) => flow.command.toLowerCase()),
  ]);
  const typingDelayMs = options.typingDelayMs ?? 300;
  const typingIntervalMs = options.typingIntervalMs ?? 4_000;
  const inFlight = new Set<Promise<void>>();
  let runner: RunnerHandle | null = null;
  let mode: 'idle' | 'polling' | 'webhook' = 'idle';

  const username = (): string | undefined =>
    options.username ?? (bot.isInited() ? bot.botInfo.username : undefined);

  const secrets = new SecretPromptMemory();
  const target = (locale: Locale, isPrivate: boolean) => ({ locale, isPrivate, botUsername: username() });

  /** The channel port of one update: what the kit may do in this chat. */
  function portFor(ctx: Context, input: UserInput, locale: Locale): ChannelPort {
    const chatId = input.chat.chatId;
    return {
      typing: () => ctx.api.sendChatAction(chatId, 'typing'),
      deleteSecret: async () =>
        input.isPrivate && input.messageId !== undefined
          ? ctx.api.deleteMessage(chatId, Number(input.messageId))
          : false,
      retirePrompt: async () => {
        // The buttons of a pressed message are spent; the engine repeats whatever is still open.
        if (input.messageId !== undefined)
          await ctx.api.editMessageReplyMarkup(chatId, Number(input.messageId));
      },
      send: (replies, chosen) =>
        sendReplies(ctx.api, chatId, replies, target(chosen ?? locale, input.isPrivate), log),
    };
  }

  async function handleUpdate(ctx: Context): Promise<void> {
    const update = ctx.update;
    const query = update.callback_query;
    const locale: Locale = resolveLocale(ctx.from?.language_code);
    let answering: Promise<unknown> | null = null;
    // Every press is answered exactly once, or the user's button keeps spinning.
    const answer = (text?: string): void => {
      if (!query || answering) return;
      answering = ctx.api.answerCallbackQuery(query.id, text ? { text } : {}).catch((error: unknown) => {
        log.debug(
          { update_id: update.update_id, err: describeError(error) },
          'could not answer a callback query',
        );
      });
    };
    try {
      if (query) {
        if (parseChoice(query.data) === null) {
          answer(t(locale, 'telegram.badButton'));
          return;
        }
        answer();
      }
      if (update.edited_message && ctx.chat) {
        await ctx.api.sendMessage(ctx.chat.id, t(locale, 'telegram.editedIgnored'));
        return;
      }
      const input = toUserInput(update, { botUsername: username(), commands });
      if (!input) {
        if (isUnsupportedMessage(update) && ctx.chat) {
          await ctx.api.sendMessage(ctx.chat.id, t(locale, 'telegram.unsupportedMessage'));
        }
        return;
      }
      await runTurn(engine, input, portFor(ctx, input, locale), secrets, {
        log,
        logFields: { update_id: update.update_id },
        typingDelayMs,
        typingIntervalMs,
        secretNotDeletedKey: 'telegram.secretNotDeleted',
        failedMessage: 'telegram update failed',
      });
    } catch (error) {
      const chat = ctx.chat ? chatTag({ channel: 'telegram', chatId: String(ctx.chat.id) }) : undefined;
      log.error({ update_id: update.update_id, chat, err: describeError(error) }, 'telegram update failed');
    } finally {
      answer();
      if (answering) await answering;
    }
  }

  // Tracks every update from the moment it enters, so `stop()` can wait for all of them.
  bot.use(async (_ctx, next) => {
    const task = next();
    inFlight.add(task);
    try {
      await task;
    } finally {
      inFlight.delete(task);
    }
  });
  // The Redis lock keeps a chat consistent across processes; within this process, updates of one chat are
  // also handled one after another so that their replies never interleave.
  bot.use(sequentialize((ctx: Context) => (ctx.chat ? String(ctx.chat.id) : undefined)));
  bot.use(handleUpdate);
  bot.catch((error) => {
    log.error(
      { update_id: error.ctx.update.update_id, err: describeError(error.error) },
      'telegram middleware failed',
    );
  });

  /** The command list in one language: the same commands everywhere, their descriptions translated. */
  function commandList(locale: Locale): BotCommand[] {
    const list: BotCommand[] = GLOBAL_COMMANDS.map((command) => ({
      command,
      description: t(locale, GLOBAL_COMMAND_LABELS[command]).slice(0, 256),
    }));
    for (const flow of engine.flowDefinitions) {
      const command = flow.command.toLowerCase();
      if (!BOT_COMMAND.test(command)) {
        if (locale === 'en')
          log.warn({ flow: flow.id }, 'flow command is not a valid Telegram command; not published');
        continue;
      }
      if (list.some((entry) => entry.command === command)) continue;
      list.push({ command, description: t(locale, flow.menuLabel ?? flow.title).slice(0, 256) });
    }
    return list;
  }

  /** Publishes the commands: English for everyone, and each other language for its users (`language_code`). */
  async function publishCommands(): Promise<void> {
    await bot.api.setMyCommands(commandList('en'));
    for (const locale of availableLocales()) {
      if (locale === 'en') continue;
      await bot.api.setMyCommands(commandList(locale), { language_code: TELEGRAM_LANGUAGE[locale] });
    }
  }

  const pushSender: PushSender = async (chat, replies, locale) => {
    if (chat.channel !== 'telegram')
      throw new Error(`the Telegram adapter cannot send to a ${chat.channel} chat`);
    // Telegram ids: users (private chats) are positive, groups and channels negative.
    const isPrivate = !chat.chatId.startsWith('-');
    secrets.saw(chat, replies);
    await sendReplies(bot.api, chat.chatId, replies, target(resolveLocale(locale), isPrivate), log);
  };

  return {
    bot,
    health: health.api,
    pushSender,
    async start() {
      if (mode === 'webhook') throw new Error('this bot serves a webhook; it cannot also poll');
      if (runner) return;
      mode = 'polling';
      await bot.init();
      await bot.api.deleteWebhook({ drop_pending_updates: false });
      await publishCommands();
      const handle = run(bot, {
        runner: {
          fetch: { timeout: pollTimeoutSeconds, allowed_updates: ALLOWED_UPDATES },
          // getUpdates failures are logged by `logPollingFailures`, through our logger.
          silent: true,
        },
      });
      runner = handle;
      handle.task()?.catch((error: unknown) => {
        log.error({ err: describeError(error) }, 'telegram polling stopped');
      });
    },
    async stop() {
      const handle = runner;
      runner = null;
      // Aborts the waiting getUpdates; a runner that already crashed was logged in `start`.
      await handle?.stop()?.catch(() => undefined);
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      if (mode === 'polling') mode = 'idle';
    },
    webhookHandler(secretToken) {
      if (mode === 'polling') throw new Error('this bot is polling; it cannot also serve a webhook');
      mode = 'webhook';
      return webhookCallback(bot, 'fastify', {
        secretToken,
        // Answer Telegram in time and go on handling: redeliveries are deduplicated by the engine anyway.
        onTimeout: 'return',
        timeoutMilliseconds: options.webhookTimeoutMs ?? 10_000,
      }) as WebhookHandler;
    },
    async setWebhook(url, secretToken) {
      await bot.api.setWebhook(url, { secret_token: secretToken, allowed_updates: ALLOWED_UPDATES });
      await publishCommands();
    },
  };
}

/** Tracks the outcome of every Bot API call, and probes with `getMe`. */
function trackHealth(bot: Bot): { transformer: Transformer; api: TelegramHealth } {
  let lastSuccessAt = 0;
  let lastFailureAt = 0;
  let lastFailure: string | null = null;
  const up = () => {
    lastSuccessAt = Date.now();
  };
  const down = (cause: string) => {
    lastFailureAt = Date.now();
    lastFailure = cause;
  };
  const transformer: Transformer = async (prev, method, payload, signal) => {
    try {
      const result = await prev(method, payload, signal);
      if (result.ok || !isApiFailure(result.error_code)) up();
      else down(`${result.error_code}: ${result.description}`);
      return result;
    } catch (error) {
      // Our own abort (stopping the poll, a probe's deadline) says nothing about Telegram.
      if (!signal?.aborted) down(telegramCause(error));
      throw error;
    }
  };
  const state = (): TelegramHealthState => ({
    reachable: lastSuccessAt > 0 && lastSuccessAt >= lastFailureAt,
    lastSuccessAt,
    lastFailureAt,
    lastFailure,
  });
  const api: TelegramHealth = {
    reachable: () => state().reachable,
    state,
    async probe(timeoutMs, signal) {
      const deadline = AbortSignal.timeout(timeoutMs);
      const stop = signal ? AbortSignal.any([signal, deadline]) : deadline;
      let cause = 'no answer in time';
      while (!stop.aborted) {
        try {
          // grammY types its signal with the abort-controller shim's type; Node's AbortSignal is the same thing.
          const me = await bot.api.getMe(stop as Parameters<typeof bot.api.getMe>[0]);
          if (!bot.isInited()) bot.botInfo = me;
          return;
        } catch (error) {
          if (stop.aborted) break;
          cause = telegramCause(error);
          if (error instanceof GrammyError && (error.error_code === 401 || error.error_code === 404))
            throw new TelegramUnreachable(cause, true);
          await new Promise<void>((resolve) => {
            const timer = setTimeout(done, 250);
            function done() {
              clearTimeout(timer);
              stop.removeEventListener('abort', done);
              resolve();
            }
            stop.addEventListener('abort', done, { once: true });
          });
        }
      }
      if (deadline.aborted && !signal?.aborted) down('no answer in time');
      throw new TelegramUnreachable(cause, false);
    },
  };
  return { transformer, api };
}

/** Each Bot API call but the long poll (`getUpdates`) fails when it gets no answer within `ms`. */
function callTimeout(ms: number): Transformer {
  return (prev, method, payload, signal) => {
    if (method === 'getUpdates') return prev(method, payload, signal);
    const deadline = AbortSignal.timeout(ms);
    // grammY types its signal with the abort-controller shim's type; Node's AbortSignal is the same thing.
    const limited = (signal ? AbortSignal.any([signal as AbortSignal, deadline]) : deadline) as typeof signal;
    return prev(method, payload, limited);
  };
}

/** Tells the observer how each Bot API call went: ok, a 429, or another failure (our own aborts aside). */
function observeCalls(observer: Observer): Transformer {
  return async (prev, method, payload, signal) => {
    try {
      const result = await prev(method, payload, signal);
      const outcome = result.ok ? 'ok' : result.error_code === 429 ? 'rateLimited' : 'error';
      observer.apiCall('telegram', method, outcome);
      return result;
    } catch (error) {
      if (!signal?.aborted) observer.apiCall('telegram', method, 'error');
      throw error;
    }
  };
}

/** Logs failed `getUpdates` calls through our logger (the runner is silenced). */
function logPollingFailures(log: Logger): Transformer {
  return async (prev, method, payload, signal) => {
    try {
      const result = await prev(method, payload, signal);
      if (method === 'getUpdates' && !result.ok) {
        log.warn({ error_code: result.error_code, err: result.description }, 'getUpdates failed');
      }
      return result;
    } catch (error) {
      if (method === 'getUpdates' && !signal?.aborted)
        log.warn({ err: describeError(error) }, 'getUpdates failed');
      throw error;
    }
  };
}

/**
 * The three bots the benchmark feeds, each a grammY `Bot` on its own ioredis client (counted), answering
 * through the stub Bot API:
 * - lockstep: the real Telegram adapter over the real engine, flows and services on Redis;
 * - floor: a bare grammY bot doing one GET and one SET per message and one sendMessage;
 * - conversations: the same swap-phone task written with @grammyjs/conversations 2 on @grammyjs/storage-redis.
 */
import { randomInt } from 'node:crypto';
import {
  type Conversation,
  type ConversationFlavor,
  conversations,
  createConversation,
} from '@grammyjs/conversations';
import { RedisAdapter } from '@grammyjs/storage-redis';
import { Bot, type Context } from 'grammy';
import type { InlineKeyboardMarkup } from 'grammy/types';
import { Redis } from 'ioredis';
import { createTelegramBot } from '../adapters/telegram/bot.ts';
import { formatPhone, parsePhone } from '../src/accounts/phone-number.ts';
import { systemClock } from '../src/clock.ts';
import { createEngine } from '../src/composition/engine.ts';
import type { OutgoingMessage } from '../src/delivery/delivery.ts';
import { renderOutgoing } from '../src/delivery/render.ts';
import type { PushSender } from '../src/engine/engine.ts';
import { RedisSessionFrame } from '../src/engine/redis-session-frame.ts';
import { MemoryKv } from '../src/kv/memory-kv.ts';
import { currentTurn } from '../src/kv/read-scope.ts';
import { createRedisClient } from '../src/kv/redis-client.ts';
import { RedisKv } from '../src/kv/redis-kv.ts';
import type { Logger } from '../src/log.ts';
import { createServices, type Services } from '../src/services.ts';
import { RecordingDelivery } from '../test/helpers/fake-delivery.ts';
import { RoundTripMeter } from './redis-meter.ts';
import { BOT_INFO, type StubApi } from './stub-api.ts';

export type BotName = 'floor' | 'conversations' | 'lockstep';
export const BOT_NAMES: readonly BotName[] = ['floor', 'conversations', 'lockstep'];

/** One simulated Telegram user with an account on the bot under test. */
export interface SimUser {
  readonly index: number;
  /** Telegram user id = private chat id. */
  readonly id: number;
  readonly phone: string;
  /** The number the user swaps to. */
  readonly newPhone: string;
}

/** A bot under test. */
export interface Subject {
  readonly name: BotName;
  // biome-ignore lint/suspicious/noExplicitAny: the three bots have different context flavours
  readonly bot: Bot<any>;
  readonly redis: Redis;
  readonly meter: RoundTripMeter;
  /**
   * False for the floor, which does no task: a press then refers to its last message (it draws no buttons)
   * and the codes typed are any 6 digits (it sends none).
   */
  readonly doesTask: boolean;
  /** Creates the users' accounts (before any measurement). */
  seed(users: readonly SimUser[]): Promise<void>;
  /** The account's phone now; null when the bot keeps no accounts (the floor). */
  phoneOf(user: SimUser): Promise<string | null>;
  /** The memory breakdown's category of a key. */
  category(key: string): string;
  /** The key holding the chat's conversation state (for its size in bytes). */
  stateKey(user: SimUser): string;
  /** Extra copies for `cloneKeys` that a key-name copy misses (lockstep's expiry schedule). */
  cloneExtra?(admin: Redis, template: SimUser, ids: readonly string[]): Promise<void>;
  /** Problems the bot logged (warnings and errors): a healthy run has none. */
  readonly problems: string[];
  close(): Promise<void>;
}

/** The fake SMS and email providers, with the latest code per destination at hand (no scanning). */
export class IndexedDelivery extends RecordingDelivery {
  private readonly latest = new Map<string, string>();

  override async send(message: OutgoingMessage): Promise<void> {
    await super.send(message);
    // This message's own text (other sends may have been recorded since, while this one awaited).
    const codes = renderOutgoing(message).text.match(/(?<!\d)\d{6}(?!\d)/g);
    const code = codes?.at(-1);
    if (code !== undefined) this.latest.set(message.to, code);
    // Keep the record small: the benchmark sends thousands of messages.
    if (this.sent.length > 1_000) this.sent.splice(0, this.sent.length - 100);
    if (this.keyed.length > 1_000) this.keyed.splice(0, this.keyed.length - 100);
  }

  /** The latest code sent to `to`; throws when none was. */
  code(to: string): string {
    const code = this.latest.get(to);
    if (code === undefined) throw new Error(`no code was sent to ${to}`);
    return code;
  }

  forget(to: string): void {
    this.latest.delete(to);
  }
}

/** A logger that keeps what a healthy run never logs. */
function problemLogger(problems: string[]): Logger {
  const keep = (level: string) => (obj: object, msg: string) => {
    if (problems.length < 50) problems.push(`${level}: ${msg} ${JSON.stringify(obj)}`);
    else problems.push('');
  };
  return { debug() {}, info() {}, warn: keep('warn'), error: keep('error') };
}

async function counted(url: string, production = false): Promise<{ redis: Redis; meter: RoundTripMeter }> {
  // lockstep's client is made as the process makes it (auto-pipelining on); the peers' as they come.
  const redis = production
    ? (createRedisClient({ url, options: { lazyConnect: true } }) as Redis)
    : new Redis(url, { lazyConnect: true });
  await redis.connect();
  await redis.ping();
  // lockstep's commands are grouped by the turn that sent them (its turn scope): what one turn sends side by
  // side into one auto-pipelined write is one round trip of it.
  return { redis, meter: RoundTripMeter.attach(redis, production ? { waiter: currentTurn } : {}) };
}

async function inBatches<T>(items: readonly T[], size: number, each: (item: T) => Promise<void>) {
  for (let start = 0; start < items.length; start += size) {
    await Promise.all(items.slice(start, start + size).map(each));
  }
}

// ---- lockstep ---------------------------------------------------------------------------------------

export interface LockstepSubject extends Subject {
  readonly services: Services;
}

/** As long as the account ids the store makes (`acc_` and 12 hex digits), so keys weigh what they would. */
const accountId = (user: SimUser) => `acc_${(0xbe0c_0000_0000 + user.index).toString(16)}`;

/** Where lockstep keeps its state in a run: Redis (what is measured) or memory (the diagnostic below). */
export type Storage = 'redis' | 'memory';

/**
 * `storage: 'memory'` is a diagnostic, not a peer: the same adapter, engine, flows and services with every
 * store in this process's memory (`MemoryKv`, the frame the Kv gives), so its Node CPU per message is what
 * lockstep costs before any Redis client work. Its client is still made (and sends nothing).
 */
export async function createLockstep(
  url: string,
  api: StubApi,
  delivery: IndexedDelivery,
  passwordHash: string,
  storage: Storage = 'redis',
): Promise<LockstepSubject> {
  const { redis, meter } = await counted(url, true);
  const problems: string[] = [];
  const log = problemLogger(problems);
  const services = createServices({
    kv: storage === 'memory' ? new MemoryKv(systemClock) : new RedisKv(redis),
    delivery,
    clock: systemClock,
    log,
    secretKey: 'b'.repeat(32),
    ...(storage === 'memory' ? {} : { sessionFrame: new RedisSessionFrame(redis) }),
  });
  let push: PushSender | null = null;
  const engine = createEngine(services, {
    push: (chat, replies) => (push ? push(chat, replies) : Promise.reject(new Error('no push sender yet'))),
  });
  const telegram = createTelegramBot({ token: '1:bench', engine, log, username: BOT_INFO.username });
  push = telegram.pushSender;
  telegram.bot.botInfo = BOT_INFO;
  telegram.bot.api.config.use(api.transformer);
  const prefix = 'ls:';
  return {
    name: 'lockstep',
    bot: telegram.bot,
    doesTask: true,
    redis,
    meter,
    services,
    problems,
    async seed(users) {
      await inBatches(users, 100, async (user) => {
        const now = Date.now();
        const created = await services.accounts.create({
          id: accountId(user),
          phone: user.phone,
          email: `user${user.index}@example.com`,
          passwordHash,
          now,
        });
        if (!created.ok)
          throw new Error(`could not create the account of user ${user.index}: ${created.reason}`);
        const linked = await services.accounts.link(accountId(user), 'telegram', String(user.id), now);
        if (!linked.ok) throw new Error(`could not link user ${user.index}: ${linked.reason}`);
      });
    },
    async phoneOf(user) {
      return (await services.accounts.get(accountId(user)))?.phone ?? null;
    },
    category(key) {
      if (key.startsWith(`${prefix}{tg:`)) return 'chat keys';
      if (key.startsWith(`${prefix}expiry`)) return 'expiry schedule';
      if (key.endsWith(':events')) return 'account log';
      if (key.endsWith(':account') || key.startsWith(`${prefix}idx:`)) return 'account';
      return 'codes, proofs & limits';
    },
    stateKey(user) {
      return services.sessions.sessionKey({ channel: 'telegram', chatId: String(user.id) });
    },
    async cloneExtra(admin, template, ids) {
      const member = (id: string) => JSON.stringify({ channel: 'telegram', chatId: id });
      const shardOf = (id: string) => services.sessions.expiryKey(member(id));
      const score = await admin.zscore(shardOf(String(template.id)), member(String(template.id)));
      if (score === null) return;
      for (let start = 0; start < ids.length; start += 1_000) {
        const pipeline = admin.pipeline();
        for (const id of ids.slice(start, start + 1_000))
          pipeline.zadd(shardOf(id), Number(score), member(id));
        await pipeline.exec();
      }
    },
    async close() {
      await telegram.stop();
      await redis.quit();
    },
  };
}

// ---- the floor ---------------------------------------------------------------------------------------

export async function createFloor(url: string, api: StubApi): Promise<Subject> {
  const { redis, meter } = await counted(url);
  const bot = new Bot('2:floor', { botInfo: BOT_INFO });
  bot.api.config.use(api.transformer);
  bot.use(async (ctx) => {
    const chatId = ctx.chat?.id;
    if (chatId === undefined) return;
    const key = `floor:${chatId}`;
    const raw = await redis.get(key);
    const seen = raw === null ? 0 : (JSON.parse(raw) as { n: number }).n;
    await redis.set(key, JSON.stringify({ n: seen + 1, at: Date.now() }));
    await ctx.api.sendMessage(chatId, `Message ${seen + 1} received.`);
  });
  const problems: string[] = [];
  bot.catch((error) => {
    problems.push(`error: ${String(error.error)}`);
  });
  return {
    name: 'floor',
    bot,
    doesTask: false,
    redis,
    meter,
    problems,
    async seed() {},
    async phoneOf() {
      return null;
    },
    category: () => 'chat keys',
    stateKey: (user) => `floor:${user.id}`,
    async close() {
      await redis.quit();
    },
  };
}

// ---- grammY conversations ----------------------------------------------------------------------------

type OuterContext = ConversationFlavor<Context>;
type SwapConversation = Conversation<OuterContext, Context>;

const MAX_WRONG = 5;

/** What a peer bot would keep elsewhere: accounts and codes, here in memory as the brief says. */
class PeerBackend {
  readonly phones = new Map<number, string>();
  private readonly codes = new Map<string, { code: string; wrong: number }>();

  constructor(private readonly delivery: IndexedDelivery) {}

  async sendCode(userId: number, purpose: string, to: string): Promise<void> {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    this.codes.set(`${userId}:${purpose}`, { code, wrong: 0 });
    await this.delivery.send({ channel: 'sms', to, text: `Your code is ${code}. It expires in 10 minutes.` });
  }

  checkCode(userId: number, purpose: string, typed: string): 'ok' | 'wrong' | 'exhausted' {
    const key = `${userId}:${purpose}`;
    const stored = this.codes.get(key);
    if (!stored) return 'exhausted';
    if (stored.code === typed.replace(/[\s-]/g, '')) {
      this.codes.delete(key);
      return 'ok';
    }
    stored.wrong += 1;
    if (stored.wrong >= MAX_WRONG) {
      this.codes.delete(key);
      return 'exhausted';
    }
    return 'wrong';
  }
}

const mask = (phone: string) => `${phone.slice(0, 6)}••••${phone.slice(-4)}`;

const MENU: InlineKeyboardMarkup = {
  inline_keyboard: [
    [{ text: 'Change password', callback_data: 'c:menu:password' }],
    [{ text: 'Change phone number', callback_data: 'c:menu:phone' }],
    [{ text: 'Change email', callback_data: 'c:menu:email' }],
  ],
};

/** Waits for a code and checks it; false when the tries are used up. */
async function askForCode(
  conversation: SwapConversation,
  ctx: Context,
  peer: PeerBackend,
  userId: number,
  purpose: string,
): Promise<boolean> {
  for (;;) {
    const answer = await conversation.waitFor('message:text', {
      otherwise: (other) => other.reply('Please type the 6-digit code.'),
    });
    const verdict = await conversation.external(() => peer.checkCode(userId, purpose, answer.message.text));
    if (verdict === 'ok') return true;
    if (verdict === 'exhausted') {
      await ctx.reply('Too many wrong codes. Nothing was changed; send /phone to start again.');
      return false;
    }
    await ctx.reply('That code is not right. Please try again.');
  }
}

function swapPhoneConversation(peer: PeerBackend) {
  return async function swapPhone(conversation: SwapConversation, ctx: Context): Promise<void> {
    const userId = ctx.from?.id ?? 0;
    const phone = await conversation.external(() => peer.phones.get(userId) ?? null);
    if (phone === null) {
      await ctx.reply('Link your account first.');
      return;
    }
    await ctx.reply(`Your number is ${mask(phone)}. To change it, first prove it is you.`, {
      reply_markup: {
        inline_keyboard: [
          [{ text: `Send a code to ${mask(phone)}`, callback_data: 'c:send' }],
          [{ text: 'I lost this phone', callback_data: 'c:lost' }],
        ],
      },
    });
    const press = await conversation.waitForCallbackQuery(['c:send', 'c:lost'], {
      otherwise: (other) => other.reply('Please pick one of the buttons.'),
    });
    await press.answerCallbackQuery();
    if (press.callbackQuery.data === 'c:lost') {
      await press.reply('Please contact support.');
      return;
    }
    await conversation.external(() => peer.sendCode(userId, 'phone-old', phone));
    await ctx.reply(`We sent a code to ${mask(phone)}. Type it here.`);
    if (!(await askForCode(conversation, ctx, peer, userId, 'phone-old'))) return;
    await ctx.reply('Which number do you want to use from now on?');
    let next: { e164: string; shown: string };
    for (;;) {
      const answer = await conversation.waitFor('message:text');
      const parsed = parsePhone(answer.message.text, { nationalIn: phone });
      if (parsed.ok && parsed.e164 !== phone) {
        next = parsed;
        break;
      }
      await ctx.reply('That is not a number we can use. Please type another one.');
    }
    await conversation.external(() => peer.sendCode(userId, 'phone-new', next.e164));
    await ctx.reply(`We sent a code to ${next.shown}. Type it here.`);
    if (!(await askForCode(conversation, ctx, peer, userId, 'phone-new'))) return;
    await conversation.external(() => {
      peer.phones.set(userId, next.e164);
    });
    await ctx.reply(`Done: your number is now ${formatPhone(next.e164)}.`);
  };
}

export async function createConversations(
  url: string,
  api: StubApi,
  delivery: IndexedDelivery,
): Promise<Subject> {
  const { redis, meter } = await counted(url);
  const peer = new PeerBackend(delivery);
  // The plugin builds a fresh Api per update inside a conversation from the token and the client options,
  // so the stub reaches those calls as `fetch`; calls outside a conversation go through the transformer.
  const bot = new Bot<OuterContext>('3:conversations', { botInfo: BOT_INFO, client: { fetch: api.fetch } });
  bot.api.config.use(api.transformer);
  bot.use(conversations({ storage: new RedisAdapter({ instance: redis }) }));
  bot.use(createConversation(swapPhoneConversation(peer), 'swap-phone'));
  const menu = (ctx: Context) => ctx.reply('What would you like to do?', { reply_markup: MENU });
  bot.command('start', menu);
  bot.command('menu', menu);
  bot.command('phone', (ctx) => ctx.conversation.enter('swap-phone'));
  bot.on('message', (ctx) => ctx.reply('Send /menu to see what I can do.'));
  const problems: string[] = [];
  bot.catch((error) => {
    problems.push(`error: ${String(error.error)}`);
  });
  return {
    name: 'conversations',
    bot,
    doesTask: true,
    redis,
    meter,
    problems,
    async seed(users) {
      for (const user of users) peer.phones.set(user.id, user.phone);
    },
    async phoneOf(user) {
      return peer.phones.get(user.id) ?? null;
    },
    category: () => 'chat keys',
    stateKey: (user) => String(user.id),
    async close() {
      await redis.quit();
    },
  };
}

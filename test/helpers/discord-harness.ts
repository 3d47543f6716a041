/**
 * The whole stack of a Discord test: the Discord stand-in (`FakeDiscord`), the real services on the test
 * Redis (a fresh key prefix), the real engine with every flow, and the real discord.js client built by the
 * project's own factory (`createDiscordBot`), connected through the stand-in. Only SMS and email are faked,
 * at the edge of the world (a recording provider the tests read codes from).
 *
 * The helpers play the users (`shows`, `openForm`, `submitForm`, `press`) and read what they see: the bot's
 * messages rendered from catalog keys, matched against `t('en', key, params)`.
 */
import type { Redis } from 'ioredis';
import { expect } from 'vitest';
import { createDiscordBot, type DiscordBot, type DiscordBotOptions } from '../../adapters/discord/bot.ts';
import type { Account } from '../../src/accounts/account.ts';
import { isMessageKey, type MessageKey, type MessageParams, t } from '../../src/catalog/catalog.ts';
import { en } from '../../src/catalog/en/index.ts';
import { systemClock } from '../../src/clock.ts';
import { createEngine } from '../../src/composition/engine.ts';
import type { Delivery } from '../../src/delivery/delivery.ts';
import type { Engine } from '../../src/engine/engine.ts';
import { PushRouter } from '../../src/engine/push.ts';
import type { FlowDefinition } from '../../src/engine/registry.ts';
import type { Kv } from '../../src/kv/kv.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import type { Logger } from '../../src/log.ts';
import { createServices, type Services } from '../../src/services.ts';
import {
  buttonsOf,
  CALLBACK,
  FakeDiscord,
  type FakeDiscordOptions,
  type FakeInteraction,
  type Guild,
  type Person,
  type StoredMessage,
  type Where,
} from './discord-api.ts';
import { RecordingDelivery } from './fake-delivery.ts';
import { deleteByPrefix, uniquePrefix } from './redis.ts';

export const SECRET_KEY = 'discord-flows-test-secret-key-0123456789';
export const PASSWORD = 'Sunflower-Lantern-42';
export const NEW_PASSWORD = 'Quiet-Harbour-Maple-77';
export const PHONE = '+8613800138000';
export const PHONE_TYPED = '+86 138 0013 8000';
export const PHONE_MASKED = '+86 138****8000';
export const NEW_PHONE = '+8613900139000';
export const NEW_PHONE_SHOWN = '+86 139 0013 9000';
export const EMAIL = 'alice@example.com';
export const NEW_EMAIL = 'alice.new@example.org';
/** How long to wait for one step: real argon2 and Redis are involved. */
export const STEP_MS = 10_000;

export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: object;
  readonly msg: string;
}

export interface World {
  readonly discord: FakeDiscord;
  readonly bot: DiscordBot;
  readonly services: Services;
  readonly engine: Engine;
  readonly delivery: RecordingDelivery;
  readonly push: PushRouter;
  readonly logs: LogEntry[];
  readonly accountId: string;
  readonly prefix: string;
  /** A server the bot is in. */
  readonly server: Guild;
  /** Linked to the account. */
  readonly alice: Person;
  /** Not linked to anything. */
  readonly bob: Person;
  /** Every password, code, key and recovery code of the test: none may reach a log line. */
  readonly secrets: Set<string>;
  account(): Promise<Account>;
  /** Stops the bot, closes the stand-in, deletes the test's keys. */
  close(): Promise<void>;
}

export interface WorldOptions {
  readonly bot?: Partial<Omit<DiscordBotOptions, 'engine' | 'kv' | 'log' | 'token' | 'applicationId'>>;
  readonly discord?: FakeDiscordOptions;
  /** Wraps the Kv the adapter uses (to make it fail). */
  readonly adapterKv?: (kv: Kv) => Kv;
  /** Wraps the SMS and email provider (to make it slow). */
  readonly delivery?: (recording: RecordingDelivery) => Delivery;
  readonly flowIdleMs?: number;
  readonly extraFlows?: readonly FlowDefinition[];
  readonly manageMessages?: boolean;
  /** Do not connect the bot (the test starts it). */
  readonly noStart?: boolean;
}

/**
 * Builds everything and connects the bot: an account with a password, a phone, an email and two signed-in
 * sessions, linked to alice's Discord user.
 */
export async function createWorld(redis: Redis, options: WorldOptions = {}): Promise<World> {
  const discord = await FakeDiscord.start(options.discord);
  const server = discord.guild('Test server', { manageMessages: options.manageMessages ?? true });
  const alice = discord.person('Alice');
  const bob = discord.person('Bob');
  const prefix = uniquePrefix();
  const logs: LogEntry[] = [];
  const capture =
    (level: LogEntry['level']) =>
    (obj: object, msg: string): void => {
      logs.push({ level, obj, msg });
    };
  const log: Logger = {
    debug: capture('debug'),
    info: capture('info'),
    warn: capture('warn'),
    error: capture('error'),
  };
  const recording = new RecordingDelivery();
  const kv = new RedisKv(redis);
  const services = createServices({
    kv,
    delivery: options.delivery ? options.delivery(recording) : recording,
    clock: systemClock,
    log,
    secretKey: SECRET_KEY,
    prefix,
    ...(options.flowIdleMs ? { flowIdleMs: options.flowIdleMs } : {}),
  });
  const push = new PushRouter();
  const engine = createEngine(
    services,
    { push: push.send, pushReady: () => push.ready() },
    options.extraFlows ?? [],
  );
  const created = await services.accounts.create({
    phone: PHONE,
    email: EMAIL,
    passwordHash: await services.hasher.hash(PASSWORD),
    now: Date.now(),
  });
  if (!created.ok) throw new Error(`could not seed the account: ${created.reason}`);
  const accountId = created.account.id;
  await services.accounts.update(accountId, (account) => ({
    ...account,
    sessions: [
      { id: 'sess_1', device: 'web', createdAt: Date.now(), lastSeenAt: Date.now() },
      { id: 'sess_2', device: 'phone app', createdAt: Date.now(), lastSeenAt: Date.now() },
    ],
  }));
  const linked = await services.accounts.link(accountId, 'discord', alice.user.id, Date.now());
  if (!linked.ok) throw new Error(`could not link alice: ${linked.reason}`);

  const bot = createDiscordBot({
    token: discord.token,
    applicationId: discord.applicationId,
    apiRoot: discord.apiRoot,
    engine,
    push,
    kv: options.adapterKv ? options.adapterKv(kv) : kv,
    prefix,
    log,
    ...options.bot,
  });
  if (!options.noStart) await bot.start();
  return {
    discord,
    bot,
    services,
    engine,
    delivery: recording,
    push,
    logs,
    accountId,
    prefix,
    server,
    alice,
    bob,
    secrets: new Set([PASSWORD, NEW_PASSWORD]),
    async account() {
      const account = await services.accounts.get(accountId);
      if (!account) throw new Error('the account is gone');
      return account;
    },
    async close() {
      await bot.stop().catch(() => undefined);
      await discord.close();
      await deleteByPrefix(redis, prefix);
    },
  };
}

// ---- reading what a user sees --------------------------------------------------------------------------

const TEMPLATES: [MessageKey, RegExp][] = (Object.keys(en) as MessageKey[]).map((key) => {
  const pattern = en[key].replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\{\w+\\\}/g, '[\\s\\S]*?');
  return [key, new RegExp(`^${pattern}(?:\\n\\n[\\s\\S]*)?$`)];
});

/** The catalog key a message was rendered from (the longest template that matches), for diagnostics. */
export function keyOf(content: string): string {
  let best: MessageKey | null = null;
  for (const [key, pattern] of TEMPLATES) {
    if (pattern.test(content) && (best === null || en[key].length > en[best].length)) best = key;
  }
  return best ?? `?${content.slice(0, 40)}`;
}

/** The keys of the messages a user saw, in order. */
export function keysSeen(w: World, person: Person, where: Where, since = 0): string[] {
  return w.discord.seenBy(person, where, since).map((message) => keyOf(message.content));
}

/** The message text of `key` exactly, or followed by the adapter's hint after a blank line. */
function renders(content: string, key: MessageKey, params?: MessageParams): boolean {
  const text = t('en', key, params);
  return content === text || content.startsWith(`${text}\n\n`);
}

/** Waits until `person` sees a message of `key` in `where` (at or after message position `since`). */
export async function shows(
  w: World,
  person: Person,
  where: Where,
  key: MessageKey,
  params?: MessageParams,
  since = 0,
): Promise<StoredMessage> {
  expect(isMessageKey(key), `${key} is not a catalog key`).toBe(true);
  try {
    return await w.discord.waitFor(
      () => w.discord.seenBy(person, where, since).find((message) => renders(message.content, key, params)),
      STEP_MS,
      `${key} for ${person.user.username}`,
    );
  } catch (error) {
    const seen = keysSeen(w, person, where, since);
    throw new Error(`${(error as Error).message}; seen since ${since}: ${seen.join(', ') || 'nothing'}`);
  }
}

/** The position of the next message, for `since`. */
export function mark(w: World): number {
  return w.discord.messages.length;
}

/** The custom id of the button labelled `label` under `message`. */
export function buttonId(message: StoredMessage, label: string): string {
  const found = buttonsOf(message).find((button) => button.label === label);
  if (!found?.custom_id) {
    throw new Error(`no button "${label}" under "${message.content}": ${JSON.stringify(buttonsOf(message))}`);
  }
  return found.custom_id;
}

/** Presses the button labelled with the rendered `key` under `message`. */
export function press(
  w: World,
  person: Person,
  message: StoredMessage,
  key: MessageKey,
  params?: MessageParams,
): FakeInteraction {
  return w.discord.press(person, message, buttonId(message, t('en', key, params)));
}

/** Waits until the interaction got its first answer. */
export function answered(w: World, interaction: FakeInteraction): Promise<FakeInteraction> {
  return w.discord.waitFor(
    () => (interaction.callback ? interaction : null),
    STEP_MS,
    `an answer to ${interaction.id}`,
  );
}

/** Presses "Continue" under a prompt and waits for its form. */
export async function openForm(w: World, person: Person, prompt: StoredMessage): Promise<FakeInteraction> {
  const opened = press(w, person, prompt, 'discord.formButton');
  await answered(w, opened);
  expect(opened.callback?.type, 'the button opens a form as its first answer').toBe(CALLBACK.Modal);
  return opened;
}

/**
 * Answers a prompt through its form: Continue, the form, the values; waits for `next`. Returns the next
 * prompt's message.
 */
export async function answerInForm(
  w: World,
  person: Person,
  where: Where,
  prompt: StoredMessage,
  values: readonly string[],
  next: MessageKey,
  params?: MessageParams,
): Promise<StoredMessage> {
  for (const value of values) w.secrets.add(value);
  const opened = await openForm(w, person, prompt);
  const since = mark(w);
  w.discord.submit(person, opened, values);
  return shows(w, person, where, next, params, since);
}

/** The latest one-time code sent to `to` (remembered as a secret). */
export function codeSentTo(w: World, to: string): string {
  const code = w.delivery.lastCodeTo(to);
  w.secrets.add(code);
  return code;
}

/** Digits-only secrets match as whole numbers, so a code is not "found" inside an id or a timestamp. */
function holds(haystack: string, secret: string): boolean {
  if (/^\d+$/.test(secret)) return new RegExp(`(?<!\\d)${secret}(?!\\d)`).test(haystack);
  return haystack.includes(secret);
}

export function expectNoSecretInLogs(w: World): void {
  const logged = JSON.stringify(w.logs);
  const leaked = [...w.secrets].filter((secret) => secret !== '' && holds(logged, secret));
  expect(leaked, `secrets in the logs: ${logged}`).toEqual([]);
}

/** What the bot sent Discord: typed passwords and codes are never echoed back. */
export function outbound(w: World): string {
  return JSON.stringify(w.discord.calls.map((call) => call.body));
}

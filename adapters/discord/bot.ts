/**
 * The Discord adapter: a discord.js 14 gateway client that turns interactions and DM messages into
 * `UserInput`, runs them through the engine (the shared kit's run-turn path) and renders the replies. It
 * knows no flow: commands come from `engine.flowDefinitions`, so a new flow needs no change here.
 *
 * Where a conversation lives: in a server channel each user has one of their own
 * (`{ chatId: <channel id>, userId }`, every reply ephemeral); the bot's DM with a user is one
 * (`{ chatId: <DM channel id> }`, plain replies). Secrets are only ever read from forms (modals); a
 * password or code typed as a message is never used.
 */
import {
  type ButtonInteraction,
  ChannelType,
  type ChatInputCommandInteraction,
  Client,
  DiscordAPIError,
  type DMChannel,
  Events,
  GatewayIntentBits,
  type Interaction,
  InteractionContextType,
  type Message,
  MessageFlags,
  type ModalSubmitInteraction,
  Partials,
  RESTJSONErrorCodes,
  Routes,
  Status,
} from 'discord.js';
import { type Locale, resolveLocale, t } from '../../src/catalog/catalog.ts';
import type { ChatRef, UserInput } from '../../src/core/conversation.ts';
import type { Observer } from '../../src/core/observer.ts';
import type { Reply } from '../../src/core/reply.ts';
import type { Engine, PushSender } from '../../src/engine/engine.ts';
import type { PushRouter } from '../../src/engine/push.ts';
import type { Kv } from '../../src/kv/kv.ts';
import { describeError, type Logger } from '../../src/log.ts';
import { type ChannelPort, runTurn, SecretPromptMemory } from '../kit/run-turn.ts';
import { buildCommands, type CommandTable, RECOVER_OPTION } from './commands.ts';
import { parseCustomId } from './custom-id.ts';
import { FORM_FIELDS, planForm, planMessages, privateCommandOf, promptOf } from './render.ts';
import {
  InteractionResponder,
  isAlreadyAnswered,
  type MessageSink,
  type MessageTarget,
  messageOptions,
  type TurnInteraction,
} from './responder.ts';
import { type Claim, type StepLookup, StepStore } from './steps.ts';

export interface DiscordBotOptions {
  readonly token: string;
  readonly applicationId: string;
  /** Register the commands in this server only (fast iteration); otherwise globally. */
  readonly guildId?: string;
  /** The REST API root, e.g. `https://discord.com/api` (`DISCORD_API_ROOT`, for proxies and tests). */
  readonly apiRoot?: string;
  readonly engine: Engine;
  /** The adapter registers itself here for out-of-turn replies. */
  readonly push?: PushRouter;
  /** Where the buttons' step tokens live (the shared Redis in production). */
  readonly kv: Kv;
  /** Key prefix (`REDIS_PREFIX`). Default `ls:`. */
  readonly prefix?: string;
  readonly log: Logger;
  /** A step slower than this is deferred (Discord needs an answer within 3 s). Default 1.5 s. */
  readonly deferAfterMs?: number;
  /** How long an interaction token lives (Discord: 15 minutes); later answers go to the DM. */
  readonly tokenLifetimeMs?: number;
  /**
   * Also read server messages (adds the non-privileged `GuildMessages` intent): a password or code a user
   * types into a channel while a form waits for it is deleted (Manage Messages) and the user told why.
   * Without the privileged Message Content intent Discord shows the bot only messages that mention it.
   */
  readonly readServerMessages?: boolean;
  /** How long a step's buttons stay known. Default: the engine's idle time plus a day. */
  readonly stepTtlMs?: number;
  /** How long `stop()` waits for interactions being handled. Default 10 s. */
  readonly drainMs?: number;
  /** Told the outcome of every REST call (metrics): by HTTP verb, never the route (it holds ids). */
  readonly observer?: Observer;
}

export interface DiscordBot {
  readonly client: Client;
  /** Sends replies to a Discord conversation outside of a turn (registered with `push`). */
  readonly pushSender: PushSender;
  /** The gateway connection is up. */
  healthy(): boolean;
  /** Logs in, waits until the client is ready and registers the commands. */
  start(): Promise<void>;
  /** Registers the slash commands (globally, or in `guildId`). */
  registerCommands(): Promise<void>;
  /** Finishes the interactions being handled, then destroys the client (closes the gateway). */
  stop(): Promise<void>;
}

/** Replies after which a pressed step is given back: the step failed and nothing moved on. */
const RETRYABLE: ReadonlySet<string> = new Set([
  'common.internalError',
  'common.unavailable',
  'common.timeout',
]);

// `/cancel` or `/recover CODE` typed as a plain DM message.
const TYPED_COMMAND = /^\/([A-Za-z0-9_-]{1,32})(?:\s+([\s\S]*))?$/;

/** Looks like a password (not a one-time code): one word of 8+ characters with a letter and something else. */
export function looksLikePassword(text: string): boolean {
  const word = text.trim();
  return /^\S{8,128}$/u.test(word) && /\p{L}/u.test(word) && /[^\p{L}]/u.test(word);
}

function isDmClosed(error: unknown): boolean {
  return (
    error instanceof DiscordAPIError &&
    (error.code === RESTJSONErrorCodes.CannotSendMessagesToThisUser ||
      error.code === RESTJSONErrorCodes.CannotSendMessagesToThisUserDueToHavingNoMutualGuilds)
  );
}

/** Runs tasks with the same key one after another (one user's interactions never interleave). */
class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run(key: string, task: () => Promise<void>): Promise<void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

interface Place {
  readonly chat: ChatRef;
  /** The bot's DM with the user (one-to-one); otherwise a shared place answered ephemerally. */
  readonly inDm: boolean;
}

/** Where an interaction happened, as a conversation of its user. */
function placeOf(interaction: Interaction): Place {
  const context = interaction.context;
  const inDm =
    context === InteractionContextType.BotDM ||
    (context === null && interaction.guildId === null && interaction.channel?.type === ChannelType.DM);
  const chatId = interaction.channelId ?? interaction.guildId ?? `user:${interaction.user.id}`;
  return inDm
    ? { chat: { channel: 'discord', chatId }, inDm: true }
    : { chat: { channel: 'discord', chatId, userId: interaction.user.id }, inDm: false };
}

/**
 * Builds the Discord adapter around an engine.
 *
 * @example
 * const discord = createDiscordBot({ token, applicationId, engine, push, kv, log });
 * await discord.start();
 * process.once('SIGTERM', () => void discord.stop());
 */
export function createDiscordBot(options: DiscordBotOptions): DiscordBot {
  const { engine, log } = options;
  const intents = [GatewayIntentBits.Guilds, GatewayIntentBits.DirectMessages];
  if (options.readServerMessages) intents.push(GatewayIntentBits.GuildMessages);
  const client = new Client({
    intents,
    // Without it, messages in DMs never arrive (their channel is not cached).
    partials: [Partials.Channel],
    allowedMentions: { parse: [] },
    ...(options.apiRoot ? { rest: { api: options.apiRoot } } : {}),
  });
  const steps = new StepStore(
    options.kv,
    options.prefix ?? 'ls:',
    options.stepTtlMs ?? engine.idleMs + 24 * 60 * 60_000,
  );
  const deferAfterMs = options.deferAfterMs ?? 1_500;
  const tokenLifetimeMs = options.tokenLifetimeMs ?? 15 * 60_000;
  const secrets = new SecretPromptMemory();
  const queue = new KeyedQueue();
  const inFlight = new Set<Promise<void>>();
  let stopping = false;
  let commands: CommandTable | null = null;
  const table = (): CommandTable => {
    commands ??= buildCommands(engine.flowDefinitions, options.guildId ? 'guild' : 'global', log);
    return commands;
  };

  const track = (task: Promise<void>): void => {
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  };

  // ---- sending ------------------------------------------------------------------------------------

  /** A DM channel (or the user's DM) as a target for planned messages. */
  const channelTarget = (sink: MessageSink): MessageTarget => ({
    async send(messages) {
      for (const message of messages) await sink.send(messageOptions(message));
    },
  });

  const userDm = (userId: string): Promise<DMChannel> => client.users.createDM(userId);

  /**
   * Sends the replies of one turn to `target`: opens the conversation's next step (every earlier button goes
   * stale) and draws the new prompt's buttons. When a pressed step failed without moving on, its step is
   * given back instead and its prompt drawn again, so the user can simply try again.
   */
  async function deliver(
    chat: ChatRef,
    userId: string,
    replies: readonly Reply[],
    target: MessageTarget,
    render: { readonly locale: Locale; readonly typingAnswers: boolean },
    claim: Claim | null,
  ): Promise<void> {
    let list: Reply[] = [...replies];
    if (chat.userId !== undefined) {
      // What could not reach the user's closed DMs is shown here, where only they see it.
      const undelivered = await steps.takeUndelivered(chat);
      if (undelivered.length > 0) list = [{ key: 'discord.dmClosed' }, ...undelivered, ...list];
    }
    const prompt = promptOf(list);
    let token: string;
    if (claim && !prompt && replies.length > 0 && replies.every((reply) => RETRYABLE.has(reply.key))) {
      await steps.release(claim);
      token = claim.record.token;
      if (claim.record.prompt) list.push(claim.record.prompt);
    } else {
      // Only a server conversation is offered to move to the DM.
      const privately = chat.userId !== undefined ? privateCommandOf(list) : undefined;
      token = await steps.open(chat, userId, prompt, privately);
    }
    secrets.saw(chat, list);
    await target.send(
      planMessages(list, {
        locale: render.locale,
        token,
        typingAnswers: render.typingAnswers,
        offerPrivately: chat.userId !== undefined,
      }),
    );
  }

  const pushSender: PushSender = async (chat, replies, chosen) => {
    // The chat's /language choice when the engine knows it; English otherwise (no interaction to ask).
    const locale = resolveLocale(chosen);
    if (chat.channel !== 'discord')
      throw new Error(`the Discord adapter cannot send to a ${chat.channel} chat`);
    if (chat.userId !== undefined) {
      // A server conversation: what comes outside of an interaction goes to the user's DM.
      try {
        const dm = await userDm(chat.userId);
        await deliver(chat, chat.userId, replies, channelTarget(dm), { locale, typingAnswers: false }, null);
      } catch (error) {
        if (!isDmClosed(error)) throw error;
        log.info({ chat: `discord:${chat.chatId}` }, 'the user does not take DMs; kept for the server');
        await steps.keepUndelivered(chat, replies);
      }
      return;
    }
    const channel = await client.channels.fetch(chat.chatId);
    if (!channel || channel.type !== ChannelType.DM) throw new Error('not a DM channel of the bot');
    await deliver(
      chat,
      channel.recipientId,
      replies,
      channelTarget(channel),
      { locale, typingAnswers: true },
      null,
    );
  };

  // ---- interactions -------------------------------------------------------------------------------

  function responderFor(
    interaction: TurnInteraction,
    place: Place,
    onMessage: boolean,
  ): InteractionResponder {
    return new InteractionResponder(interaction, {
      ephemeral: !place.inDm,
      onMessage,
      deferAfterMs,
      tokenLifetimeMs,
      locale: resolveLocale(interaction.locale),
      log,
      inDm: place.inDm,
      dm: async () =>
        place.inDm && interaction.channel?.isSendable() ? interaction.channel : userDm(interaction.user.id),
    });
  }

  /** Runs one input through the engine and answers through `responder`. */
  async function turn(
    input: UserInput,
    responder: InteractionResponder,
    claim: Claim | null,
    typingAnswers: boolean,
    extra: { readonly before?: readonly Reply[]; readonly logFields?: Record<string, unknown> } = {},
  ): Promise<void> {
    const locale = resolveLocale(input.locale);
    let delivered = false;
    const port: ChannelPort = {
      send: async (replies, chosen) => {
        delivered = true;
        try {
          await deliver(
            input.chat,
            input.userId,
            [...(extra.before ?? []), ...replies],
            responder,
            { locale: chosen ?? locale, typingAnswers },
            claim,
          );
        } catch (error) {
          // The turn is done and stored; showing it failed (the Kv or Discord): say so, without detail.
          log.error({ ...extra.logFields, err: describeError(error) }, 'could not show a discord turn');
          await responder
            .send(
              planMessages([{ key: 'common.internalError' }], { locale, token: null, typingAnswers: false }),
            )
            .catch(() => undefined);
        }
      },
    };
    await runTurn(engine, input, port, secrets, {
      log,
      logFields: extra.logFields ?? {},
      failedMessage: 'discord turn failed',
    });
    if (!delivered && claim) await steps.release(claim);
    await responder.finish();
  }

  async function onCommand(interaction: ChatInputCommandInteraction): Promise<void> {
    const place = placeOf(interaction);
    const responder = responderFor(interaction, place, false);
    const engineCommand = table().toEngine.get(interaction.commandName);
    await queue.run(interaction.user.id, async () => {
      if (engineCommand === undefined) {
        await responder.send(
          planMessages([{ key: 'common.unknownCommand', params: { command: interaction.commandName } }], {
            locale: resolveLocale(interaction.locale),
            token: null,
            typingAnswers: false,
          }),
        );
        return;
      }
      const args =
        engineCommand === 'start' ? (interaction.options.getString(RECOVER_OPTION) ?? '').trim() : '';
      const input: UserInput = {
        chat: place.chat,
        userId: interaction.user.id,
        updateId: interaction.id,
        locale: interaction.locale,
        isPrivate: place.inDm,
        confidential: true,
        action: { type: 'command', command: engineCommand, args },
      };
      await turn(input, responder, null, place.inDm, { logFields: { interaction: interaction.id } });
    });
  }

  /** Answers a press or form that is not (or no longer) the conversation's step: nothing changes. */
  async function answerStale(
    interaction: TurnInteraction,
    place: Place,
    lookup: Extract<StepLookup, { ok: false }>,
    responder: InteractionResponder,
  ): Promise<void> {
    const locale = resolveLocale(interaction.locale);
    // Someone else's (or an unknown) button: their message stays as it is.
    if (lookup.chat === null) responder.keepMessage();
    const current = lookup.chat ? lookup.current : await steps.current(place.chat);
    const chat = lookup.chat ?? place.chat;
    let replies: Reply[];
    let token: string | null = null;
    if (lookup.busy || (current?.claimed && current.userId === interaction.user.id)) {
      replies = [{ key: 'discord.stepBusy' }];
    } else if (current?.prompt && current.userId === interaction.user.id && !current.claimed) {
      replies = [{ key: 'discord.staleButton' }, current.prompt];
      token = current.token;
    } else {
      replies = [{ key: 'discord.staleNothing' }];
    }
    await responder.send(
      planMessages(replies, { locale, token, typingAnswers: place.inDm && chat.userId === undefined }),
    );
  }

  async function onButton(interaction: ButtonInteraction): Promise<void> {
    const place = placeOf(interaction);
    const parsed = parseCustomId(interaction.customId);
    const locale = resolveLocale(interaction.locale);
    if (parsed?.kind === 'f') {
      // A form must be the first answer: no deferral, no queue, only one Kv read.
      const lookup = await steps.lookup(parsed.token, interaction.user.id);
      const prompt = lookup.ok ? lookup.record.prompt : null;
      if (lookup.ok && prompt && (prompt.input === 'secret' || prompt.input === 'text')) {
        await interaction.showModal(planForm(prompt, parsed.token, locale));
        return;
      }
      const responder = responderFor(interaction, place, true);
      await answerStale(
        interaction,
        place,
        lookup.ok ? { ok: false, chat: lookup.chat, current: lookup.record, busy: false } : lookup,
        responder,
      );
      return;
    }
    const responder = responderFor(interaction, place, true);
    await queue.run(interaction.user.id, async () => {
      if (!parsed || (parsed.kind !== 'c' && parsed.kind !== 'dm')) {
        await answerStale(
          interaction,
          place,
          { ok: false, chat: null, current: null, busy: false },
          responder,
        );
        return;
      }
      const lookup = await steps.lookup(parsed.token, interaction.user.id);
      if (!lookup.ok) {
        await answerStale(interaction, place, lookup, responder);
        return;
      }
      if (parsed.kind === 'dm') {
        await continueInDm(interaction, lookup.record.privately, responder, locale);
        return;
      }
      const choice = lookup.record.prompt?.choices?.[parsed.index ?? -1];
      const claim = choice ? await steps.claim(lookup.chat, lookup.raw, lookup.record) : null;
      if (!choice || !claim) {
        await answerStale(
          interaction,
          place,
          { ok: false, chat: lookup.chat, current: lookup.record, busy: Boolean(choice) },
          responder,
        );
        return;
      }
      const input: UserInput = {
        chat: lookup.chat,
        userId: interaction.user.id,
        updateId: interaction.id,
        messageId: interaction.message.id,
        locale: interaction.locale,
        isPrivate: lookup.chat.userId === undefined,
        confidential: true,
        action: { type: 'choice', value: choice.value },
      };
      await turn(input, responder, claim, place.inDm && lookup.chat.userId === undefined, {
        logFields: { interaction: interaction.id },
      });
    });
  }

  /** "Continue in my DMs": starts the task in the user's DM (`engine.startIn`); closed DMs are said here. */
  async function continueInDm(
    interaction: TurnInteraction,
    command: string | undefined,
    responder: InteractionResponder,
    locale: Locale,
  ): Promise<void> {
    const flow = engine.flowDefinitions.find((definition) => definition.command.toLowerCase() === command);
    const say = (key: Reply['key']) =>
      responder.send(planMessages([{ key }], { locale, token: null, typingAnswers: false }));
    if (!flow) {
      await say('discord.staleNothing');
      return;
    }
    let dm: DMChannel;
    try {
      dm = await userDm(interaction.user.id);
      await dm.send({ content: t(locale, 'discord.dmHello'), allowedMentions: { parse: [] } });
    } catch (error) {
      if (!isDmClosed(error)) throw error;
      await say('discord.dmClosedStart');
      return;
    }
    const outcome = await engine.startIn({ channel: 'discord', chatId: dm.id }, interaction.user.id, flow.id);
    await say(outcome === 'started' || outcome === 'busy' ? 'discord.movedToDm' : 'common.timeout');
  }

  async function onModalSubmit(interaction: ModalSubmitInteraction): Promise<void> {
    const place = placeOf(interaction);
    const responder = responderFor(interaction, place, interaction.isFromMessage());
    await queue.run(interaction.user.id, async () => {
      const parsed = parseCustomId(interaction.customId);
      const lookup: StepLookup =
        parsed?.kind === 'm'
          ? await steps.lookup(parsed.token, interaction.user.id)
          : { ok: false, chat: null, current: null, busy: false };
      if (!lookup.ok) {
        // What was typed is dropped unread.
        await answerStale(interaction, place, lookup, responder);
        return;
      }
      const prompt = lookup.record.prompt;
      const claim = prompt ? await steps.claim(lookup.chat, lookup.raw, lookup.record) : null;
      if (!prompt || !claim) {
        await answerStale(
          interaction,
          place,
          { ok: false, chat: lookup.chat, current: lookup.record, busy: Boolean(prompt) },
          responder,
        );
        return;
      }
      const field = (id: string): string | null => {
        const component = interaction.fields.fields.get(id);
        return component && 'value' in component && typeof component.value === 'string'
          ? component.value
          : null;
      };
      const answer = field(FORM_FIELDS[0]) ?? '';
      const repeat = prompt.input === 'secret' && prompt.field?.repeatsNext ? field(FORM_FIELDS[1]) : null;
      const base = {
        chat: lookup.chat,
        userId: interaction.user.id,
        locale: interaction.locale,
        isPrivate: lookup.chat.userId === undefined,
        confidential: true,
      } as const;
      const typingAnswers = place.inDm && lookup.chat.userId === undefined;
      const logFields = { interaction: interaction.id };
      if (repeat === null) {
        await turn(
          { ...base, updateId: interaction.id, action: { type: 'text', text: answer } },
          responder,
          claim,
          typingAnswers,
          { logFields },
        );
        return;
      }
      // Both fields in one form: the first answer, then the repeat when the flow asks for it next.
      let first: readonly Reply[] | null = null;
      const capture: ChannelPort = {
        send: async (replies) => {
          first = replies;
        },
      };
      const firstResult = await runTurn(
        engine,
        { ...base, updateId: interaction.id, action: { type: 'text', text: answer } },
        capture,
        secrets,
        { log, logFields, failedMessage: 'discord turn failed' },
      );
      const firstReplies: readonly Reply[] = first ?? [];
      const asked = promptOf(firstReplies);
      if (!firstResult || firstResult.duplicate || asked?.input !== 'secret') {
        // The flow did not take the first answer as the new password: the repeat is dropped unread.
        let delivered = false;
        if (first !== null) {
          delivered = true;
          await deliver(
            lookup.chat,
            interaction.user.id,
            firstReplies,
            responder,
            { locale: resolveLocale(interaction.locale), typingAnswers },
            claim,
          );
        }
        if (!delivered) await steps.release(claim);
        await responder.finish();
        return;
      }
      const before = firstReplies.filter((reply) => reply !== asked);
      await turn(
        { ...base, updateId: `${interaction.id}:repeat`, action: { type: 'text', text: repeat } },
        responder,
        claim,
        typingAnswers,
        { before, logFields },
      );
    });
  }

  async function onInteraction(interaction: Interaction): Promise<void> {
    if (!interaction.isChatInputCommand() && !interaction.isButton() && !interaction.isModalSubmit()) return;
    const inDm = placeOf(interaction).inDm;
    try {
      if (stopping) {
        await interaction.reply({
          content: t(resolveLocale(interaction.locale), 'discord.stopping'),
          ...(inDm ? {} : { flags: MessageFlags.Ephemeral }),
        });
        return;
      }
      if (interaction.isChatInputCommand()) await onCommand(interaction);
      else if (interaction.isButton()) await onButton(interaction);
      else await onModalSubmit(interaction);
    } catch (error) {
      if (isAlreadyAnswered(error)) {
        // A redelivered interaction: its first delivery was answered.
        log.debug({ interaction: interaction.id }, 'discord interaction answered already');
        return;
      }
      // Logged without what the user typed; answered with a friendly message only they see.
      log.error(
        { interaction: interaction.id, type: interaction.type, err: describeError(error) },
        'discord interaction failed',
      );
      const payload = {
        content: t(resolveLocale(interaction.locale), 'common.internalError'),
        ...(inDm ? {} : { flags: MessageFlags.Ephemeral as const }),
      };
      try {
        if (interaction.replied || interaction.deferred) await interaction.followUp(payload);
        else await interaction.reply(payload);
      } catch (notAnswered) {
        log.debug({ interaction: interaction.id, err: describeError(notAnswered) }, 'could not say so');
      }
    }
  }

  // ---- messages -----------------------------------------------------------------------------------

  async function onDirectMessage(message: Message): Promise<void> {
    const chat: ChatRef = { channel: 'discord', chatId: message.channelId };
    const userId = message.author.id;
    const locale: Locale = 'en';
    const channel = message.channel;
    if (!channel.isSendable()) return;
    const target = channelTarget(channel);
    await queue.run(userId, async () => {
      const text = message.content;
      if (text.trim() === '') {
        await channel.send({
          content: t(locale, 'discord.unsupportedMessage'),
          allowedMentions: { parse: [] },
        });
        return;
      }
      const typed = TYPED_COMMAND.exec(text);
      const engineCommand = typed ? table().toEngine.get((typed[1] ?? '').toLowerCase()) : undefined;
      if (engineCommand === undefined) {
        const current = await steps.current(chat);
        if (current?.prompt?.input === 'secret') {
          // Never used, never logged; the bot cannot delete it in a DM, so the user is asked to.
          const replies: Reply[] = [{ key: 'discord.secretInDm' }];
          if (looksLikePassword(text)) replies.push({ key: 'discord.secretChangeIt' });
          replies.push(current.prompt);
          await target.send(
            planMessages(replies, {
              locale,
              token: current.claimed ? null : current.token,
              typingAnswers: true,
            }),
          );
          return;
        }
      }
      const input: UserInput = {
        chat,
        userId,
        updateId: message.id,
        messageId: message.id,
        isPrivate: true,
        confidential: true,
        action:
          engineCommand !== undefined
            ? {
                type: 'command',
                command: engineCommand,
                args: engineCommand === 'start' ? (typed?.[2] ?? '').trim() : '',
              }
            : { type: 'text', text },
      };
      const port: ChannelPort = {
        typing: () => channel.sendTyping(),
        // A bot cannot delete a user's message in a DM.
        deleteSecret: async () => false,
        send: (replies) => deliver(chat, userId, replies, target, { locale, typingAnswers: true }, null),
      };
      await runTurn(engine, input, port, secrets, {
        log,
        logFields: { message: message.id },
        typingDelayMs: 300,
        typingIntervalMs: 8_000,
        secretNotDeletedKey: 'discord.secretNotDeleted',
        failedMessage: 'discord message failed',
      });
    });
  }

  /** A server message (read only with `readServerMessages`): a secret typed into the channel is removed. */
  async function onServerMessage(message: Message): Promise<void> {
    const userId = message.author.id;
    const chat: ChatRef = { channel: 'discord', chatId: message.channelId, userId };
    // What the user typed, without the mention that let the bot read it.
    const text = message.content.replace(/<@!?\d+>/g, '').trim();
    if (text === '') return;
    const current = await steps.current(chat);
    if (current?.prompt?.input !== 'secret') return;
    let deleted = false;
    try {
      await message.delete();
      deleted = true;
    } catch (error) {
      log.warn(
        { message: message.id, err: describeError(error) },
        'could not delete a message that may hold a secret',
      );
    }
    const notices: Reply[] = [
      { key: deleted ? 'discord.secretDeletedServer' : 'discord.secretNotDeletedServer' },
    ];
    if (looksLikePassword(text)) notices.push({ key: 'discord.secretChangeIt' });
    // A message carries no user locale: the server's own language is the best guess (English otherwise).
    const locale = resolveLocale(message.guild?.preferredLocale);
    try {
      const dm = await userDm(userId);
      await channelTarget(dm).send(planMessages(notices, { locale, token: null, typingAnswers: false }));
    } catch (error) {
      if (!isDmClosed(error)) throw error;
      if (message.channel.isSendable()) {
        await message.channel.send({
          content: `<@${userId}> ${t(locale, 'discord.secretPublicNotice')}`,
          allowedMentions: { users: [userId] },
        });
      }
    }
  }

  async function onMessage(message: Message): Promise<void> {
    if (message.author.bot || message.system || stopping) return;
    try {
      if (message.guildId === null && message.channel.type === ChannelType.DM) await onDirectMessage(message);
      else if (message.guildId !== null && options.readServerMessages) await onServerMessage(message);
    } catch (error) {
      log.error({ message: message.id, err: describeError(error) }, 'discord message failed');
      if (message.guildId === null && message.channel.isSendable()) {
        await message.channel
          .send({ content: t('en', 'common.internalError'), allowedMentions: { parse: [] } })
          .catch(() => undefined);
      }
    }
  }

  client.on(Events.InteractionCreate, (interaction) => track(onInteraction(interaction)));
  client.on(Events.MessageCreate, (message) => track(onMessage(message)));
  client.on(Events.Error, (error) => log.error({ err: describeError(error) }, 'discord client error'));
  const observer = options.observer;
  if (observer) {
    client.rest.on('response', (request, response) => {
      const outcome = response.status === 429 ? 'rateLimited' : response.status >= 400 ? 'error' : 'ok';
      observer.apiCall('discord', request.method, outcome);
    });
  }
  client.on(Events.ShardError, (error, shard) =>
    log.warn({ shard, err: describeError(error) }, 'discord gateway error'),
  );
  client.on(Events.ShardDisconnect, (event, shard) =>
    log.warn({ shard, code: event.code }, 'discord gateway closed'),
  );
  client.on(Events.ShardResume, (shard, replayed) =>
    log.info({ shard, replayed }, 'discord gateway resumed'),
  );

  // The manager's own status stays Ready once it was; each shard's follows its connection.
  const healthy = (): boolean =>
    client.ws.status === Status.Ready &&
    client.ws.shards.size > 0 &&
    client.ws.shards.every((shard) => shard.status === Status.Ready);
  options.push?.register('discord', pushSender, healthy);

  async function registerCommands(): Promise<void> {
    const { body } = table();
    const route = options.guildId
      ? Routes.applicationGuildCommands(options.applicationId, options.guildId)
      : Routes.applicationCommands(options.applicationId);
    await client.rest.put(route, { body });
    log.info(
      { commands: body.length, scope: options.guildId ? 'guild' : 'global' },
      'discord commands registered',
    );
  }

  return {
    client,
    pushSender,
    healthy,
    registerCommands,
    async start() {
      const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
      await client.login(options.token);
      await ready;
      await registerCommands();
    },
    async stop() {
      stopping = true;
      const drained = Promise.allSettled([...inFlight]);
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, options.drainMs ?? 10_000);
      });
      await Promise.race([drained, limit]);
      clearTimeout(timer);
      await client.destroy();
    },
  };
}

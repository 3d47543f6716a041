/**
 * Answers one interaction within Discord's rules: the first answer within 3 seconds (a deferral,
 * ephemeral in servers, when the step is slow — never before a form, which must be the first answer), then
 * edits of the deferred answer and follow-ups; in servers every message is ephemeral. A press on one of our
 * messages removes that message's buttons when it is answered in time. After the interaction token's
 * lifetime (15 minutes) or when Discord no longer knows the token, the rest goes to the user's DM.
 */
import {
  type BaseMessageOptions,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  DiscordAPIError,
  type InteractionReplyOptions,
  MessageFlags,
  type ModalSubmitInteraction,
  RESTJSONErrorCodes,
} from 'discord.js';
import { type Locale, t } from '../../src/catalog/catalog.ts';
import { describeError, type Logger } from '../../src/log.ts';
import type { OutgoingMessage } from './render.ts';

export type TurnInteraction = ChatInputCommandInteraction | ButtonInteraction | ModalSubmitInteraction;

/** Where messages can be sent outside of an interaction (a DM channel). */
export interface MessageSink {
  send(options: BaseMessageOptions): Promise<unknown>;
}

/** Anything that sends planned messages: an interaction's responder or a channel. */
export interface MessageTarget {
  send(messages: readonly OutgoingMessage[]): Promise<void>;
}

export interface ResponderOptions {
  /** Only the user sees the answers (every answer outside the bot's DM). */
  readonly ephemeral: boolean;
  /** The interaction is a press or a form on one of our messages: answering retires its buttons. */
  readonly onMessage: boolean;
  readonly deferAfterMs: number;
  readonly tokenLifetimeMs: number;
  readonly locale: Locale;
  readonly log: Logger;
  /** The user's DM, for answers after the token's lifetime. */
  readonly dm: () => Promise<MessageSink>;
  /** The interaction itself happened in the user's DM with the bot. */
  readonly inDm: boolean;
}

/** Answers are sent this long before the token's end at the latest (at most); later ones go to the DM. */
const TOKEN_MARGIN_MS = 30_000;

/** The interaction was answered already (a redelivered event): there is nothing more to say to it. */
export function isAlreadyAnswered(error: unknown): boolean {
  return (
    error instanceof DiscordAPIError &&
    error.code === RESTJSONErrorCodes.InteractionHasAlreadyBeenAcknowledged
  );
}

/** Discord no longer takes this interaction token (expired, unknown, answered elsewhere). */
export function isTokenGone(error: unknown): boolean {
  return (
    error instanceof DiscordAPIError &&
    (error.code === RESTJSONErrorCodes.InvalidWebhookToken ||
      error.code === RESTJSONErrorCodes.UnknownWebhook ||
      error.code === RESTJSONErrorCodes.UnknownInteraction)
  );
}

/** The message options of a planned message; mentions never ping anyone. */
export function messageOptions(message: OutgoingMessage): BaseMessageOptions {
  return {
    content: message.content,
    components: message.components,
    files: message.files.map((file) => ({
      attachment: file.data,
      name: file.name,
      ...(file.description ? { description: file.description } : {}),
    })),
    allowedMentions: { parse: [] },
  };
}

export class InteractionResponder implements MessageTarget {
  private state: 'open' | 'deferred' | 'answered' | 'dm' | 'gone' = 'open';
  private tail: Promise<unknown> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private dmSink: MessageSink | null = null;
  private retire: boolean;

  constructor(
    private readonly interaction: TurnInteraction,
    private readonly options: ResponderOptions,
  ) {
    this.retire = options.onMessage;
    // Started on arrival: a press that waits behind another turn of the same user is still answered in time.
    this.timer = setTimeout(() => void this.defer(), options.deferAfterMs);
  }

  /** Something was sent for this interaction (an answer, a deferral). */
  get acknowledged(): boolean {
    return this.state !== 'open';
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => undefined);
    return next;
  }

  private get flags(): MessageFlags.Ephemeral | undefined {
    return this.options.ephemeral ? MessageFlags.Ephemeral : undefined;
  }

  private expired(): boolean {
    const lifetime = this.options.tokenLifetimeMs;
    return (
      Date.now() - this.interaction.createdTimestamp > lifetime - Math.min(TOKEN_MARGIN_MS, lifetime / 4)
    );
  }

  /** Defers the answer (ephemerally in servers) unless something was sent already. */
  defer(): Promise<void> {
    return this.serial(async () => {
      if (this.state !== 'open' || this.expired()) return;
      try {
        await this.interaction.deferReply(this.flags === undefined ? {} : { flags: this.flags });
        this.state = 'deferred';
      } catch (error) {
        this.options.log.warn(
          { interaction: this.interaction.id, err: describeError(error) },
          'could not defer a discord interaction',
        );
      }
    });
  }

  send(messages: readonly OutgoingMessage[]): Promise<void> {
    return this.serial(async () => {
      clearTimeout(this.timer);
      for (const message of messages) await this.sendOne(message);
    });
  }

  /** Makes sure the interaction was answered (a turn that said nothing, a redelivery). */
  finish(): Promise<void> {
    return this.serial(async () => {
      clearTimeout(this.timer);
      if (this.state !== 'open') return;
      const interaction = this.interaction;
      try {
        if (interaction.isButton() || (interaction.isModalSubmit() && interaction.isFromMessage())) {
          await interaction.deferUpdate();
        } else {
          await interaction.reply(this.replyOptions({ content: t(this.options.locale, 'discord.stepBusy') }));
        }
        this.state = 'answered';
      } catch (error) {
        this.options.log.debug(
          { interaction: interaction.id, err: describeError(error) },
          'could not acknowledge a discord interaction',
        );
      }
    });
  }

  /** Leaves the pressed message as it is (it is not the presser's conversation). */
  keepMessage(): void {
    this.retire = false;
  }

  /** Stops the deferral timer (the interaction was answered some other way, e.g. with a form). */
  cancel(): void {
    clearTimeout(this.timer);
  }

  private replyOptions(options: BaseMessageOptions): InteractionReplyOptions {
    const flags = this.flags;
    return flags === undefined ? options : { ...options, flags };
  }

  private async sendOne(message: OutgoingMessage): Promise<void> {
    if (this.state === 'gone') return;
    if (this.state === 'dm' || this.expired()) {
      await this.viaDm(message);
      return;
    }
    const interaction = this.interaction;
    const options = messageOptions(message);
    try {
      if (this.state === 'open') {
        const onMessage =
          this.retire &&
          (interaction.isButton() || (interaction.isModalSubmit() && interaction.isFromMessage()));
        if (onMessage) {
          // The pressed message's buttons are spent; the answer follows as a new message.
          await interaction.update({ components: [] });
          this.state = 'answered';
          await interaction.followUp(this.replyOptions(options));
          return;
        }
        await interaction.reply(this.replyOptions(options));
        this.state = 'answered';
        return;
      }
      if (this.state === 'deferred') {
        await interaction.editReply(options);
        this.state = 'answered';
        return;
      }
      await interaction.followUp(this.replyOptions(options));
    } catch (error) {
      if (isAlreadyAnswered(error)) {
        // Another delivery of this interaction was answered: this one says nothing.
        this.state = 'gone';
        this.options.log.debug({ interaction: interaction.id }, 'discord interaction answered already');
        return;
      }
      if (!isTokenGone(error)) throw error;
      this.options.log.warn(
        { interaction: interaction.id, err: describeError(error) },
        'discord no longer takes this interaction; answering in the DM',
      );
      await this.viaDm(message);
    }
  }

  private async viaDm(message: OutgoingMessage): Promise<void> {
    if (this.state !== 'dm') {
      this.state = 'dm';
      this.dmSink = await this.options.dm();
      if (!this.options.inDm)
        await this.dmSink.send({ content: t(this.options.locale, 'discord.lateReply') });
    }
    await this.dmSink?.send(messageOptions(message));
  }
}

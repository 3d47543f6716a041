/**
 * The adapter kit: the one path every channel runs a turn through. A channel only supplies a small port
 * (how to acknowledge, show typing, delete a secret message, retire old buttons, send replies) and
 * translates; what happens around a turn — typing for slow steps, deleting secrets (also when the engine
 * failed), the secret notices, the friendly error — is decided here once.
 */
import type { Locale } from '../../src/catalog/catalog.ts';
import { type ChatRef, chatTag, type UserInput } from '../../src/core/conversation.ts';
import type { MessageKey } from '../../src/core/messages.ts';
import type { Reply } from '../../src/core/reply.ts';
import type { Engine, TurnResult } from '../../src/engine/engine.ts';
import { StoreUnavailable } from '../../src/engine/transaction.ts';
import { describeError, type Logger } from '../../src/log.ts';

/** What a channel can do around one turn. Every method may fail; failures are logged, never thrown. */
export interface ChannelPort {
  /** Shows "typing…" (or a deferred reply) once; called only when a step is slow. */
  typing?(): Promise<unknown>;
  /** Deletes the user's message that held a secret; false when the platform refused. */
  deleteSecret?(): Promise<boolean>;
  /** Removes the buttons of the message whose button was pressed. */
  retirePrompt?(): Promise<unknown>;
  /** Sends replies in order. */
  /** `locale`: the language the engine chose for this turn (the chat's /language choice or the platform's). */
  send(replies: readonly Reply[], locale?: Locale): Promise<void>;
}

export interface RunTurnOptions {
  readonly log: Logger;
  /** Extra log fields (an update id); never user text. */
  readonly logFields?: Readonly<Record<string, unknown>>;
  /** A step slower than this shows typing; repeated every `typingIntervalMs`. Defaults 300 ms and 4 s. */
  readonly typingDelayMs?: number;
  readonly typingIntervalMs?: number;
  /** The key of the notice after a deleted secret, and after one the platform would not delete. */
  readonly secretDeletedKey?: MessageKey;
  readonly secretNotDeletedKey?: MessageKey;
  /** The log message of a failed turn. Default 'turn failed'. */
  readonly failedMessage?: string;
}

/**
 * Remembers, per conversation in this process, whether the last question asked was a secret, so that a
 * secret typed while the store is unreachable (and the session cannot be read) is still deleted.
 */
export class SecretPromptMemory {
  private readonly asked = new Map<string, number>();

  constructor(
    private readonly limit = 10_000,
    private readonly ttlMs = 30 * 60_000,
  ) {}

  /** Records what the replies sent to `chat` asked last. */
  saw(chat: ChatRef, replies: readonly Reply[], now = Date.now()): void {
    const last = replies.findLast((reply) => reply.input !== undefined);
    if (!last) return;
    const tag = chatTag(chat);
    this.asked.delete(tag);
    if (last.input !== 'secret') return;
    this.asked.set(tag, now + this.ttlMs);
    if (this.asked.size > this.limit) {
      const oldest = this.asked.keys().next().value;
      if (oldest !== undefined) this.asked.delete(oldest);
    }
  }

  has(chat: ChatRef, now = Date.now()): boolean {
    const until = this.asked.get(chatTag(chat));
    return until !== undefined && until > now;
  }
}

/** Runs one input through the engine and the channel port. Never throws. */
export async function runTurn(
  engine: Engine,
  input: UserInput,
  port: ChannelPort,
  memory: SecretPromptMemory,
  options: RunTurnOptions,
): Promise<TurnResult | null> {
  const { log } = options;
  const fields = { ...options.logFields, chat: chatTag(input.chat) };
  const quietly = (what: string, task: Promise<unknown> | undefined): Promise<unknown> =>
    (task ?? Promise.resolve()).catch((error: unknown) =>
      log.debug({ ...fields, err: describeError(error) }, what),
    );

  // Typing costs nothing when the step is fast: one timer, no request, no abort controller.
  const typingCalls: Promise<unknown>[] = [];
  let interval: NodeJS.Timeout | undefined;
  const typing = port.typing?.bind(port);
  const timer = typing
    ? setTimeout(() => {
        typingCalls.push(quietly('typing failed', typing()));
        interval = setInterval(
          () => typingCalls.push(quietly('typing failed', typing())),
          options.typingIntervalMs ?? 4_000,
        );
      }, options.typingDelayMs ?? 300)
    : undefined;

  const secretNotice = async (secret: boolean): Promise<Reply[]> => {
    if (!secret || input.action.type !== 'text' || !port.deleteSecret) return [];
    let deleted = false;
    try {
      deleted = await port.deleteSecret();
    } catch (error) {
      log.warn({ ...fields, err: describeError(error) }, 'could not delete a message that held a secret');
    }
    return [
      {
        key: deleted
          ? (options.secretDeletedKey ?? 'common.secretDeleted')
          : (options.secretNotDeletedKey ?? 'common.secretNotDeleted'),
      },
    ];
  };

  let result: TurnResult;
  try {
    result = await engine.handle(input);
  } catch (error) {
    clearTimeout(timer);
    clearInterval(interval);
    log.error({ ...fields, err: describeError(error) }, options.failedMessage ?? 'turn failed');
    const notices = await secretNotice(memory.has(input.chat));
    const key: MessageKey = error instanceof StoreUnavailable ? 'common.unavailable' : 'common.internalError';
    await quietly('could not send the error notice', port.send([...notices, { key }]));
    return null;
  } finally {
    clearTimeout(timer);
    clearInterval(interval);
  }
  if (typingCalls.length > 0) await Promise.allSettled(typingCalls);
  if (result.duplicate) return result;
  try {
    const notices = await secretNotice(result.inputWasSecret);
    if (input.action.type === 'choice') await quietly('could not remove a keyboard', port.retirePrompt?.());
    const replies = [...notices, ...result.replies];
    memory.saw(input.chat, replies);
    await port.send(replies, result.locale);
  } catch (error) {
    // The turn itself is done and stored; only showing it failed (the platform is down): nothing to undo.
    log.error({ ...fields, err: describeError(error) }, 'could not send the replies');
  }
  return result;
}

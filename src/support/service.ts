/**
 * What agents can do, for the API (and the console of a later issue): make a handoff for an account and
 * a task, and resolve an escalation (hand the chat back, send a message, start a new handoff there).
 * Every action is recorded in the audit log with the key that did it.
 */
import type { Channel, ChatRef } from '../core/conversation.ts';
import type { MessageKey } from '../core/messages.ts';
import type { Reply } from '../core/reply.ts';
import type { AuditActor, AuditLog } from './audit.ts';
import type { EscalationRecord, EscalationStore } from './escalations.ts';
import {
  COMPLETION_EVENTS,
  DEFAULT_EXPIRY_MINUTES,
  HANDOFF_FLOW_ID,
  type HandoffRecord,
  type HandoffService,
} from './handoffs.ts';

/** The part of the engine agents act through. */
export interface SupportEngine {
  release(chat: ChatRef, escalationId: string, replies?: readonly Reply[]): Promise<boolean>;
  startIn(
    chat: ChatRef,
    userId: string,
    flowId: string,
    args?: string,
  ): Promise<'started' | 'busy' | 'unknown' | 'locked'>;
  notify(chat: ChatRef, replies: readonly Reply[]): Promise<void>;
}

/** A task a user can be handed into. */
export interface HandoffTask {
  readonly id: string;
  readonly command: string;
  readonly title: MessageKey;
}

export interface HandoffLinks {
  /** `https://t.me/<bot>?start=<code>`; null while the bot's username is not known. */
  readonly telegramLink: string | null;
  readonly discordCommand: string;
  /** What to type in any chat with lockstep (Telegram, the console). */
  readonly startCommand: string;
}

export interface CreateHandoffInput {
  /** An account id, phone (E.164) or email. */
  readonly account: string;
  /** A task id (`change-phone`) or its command (`phone`). */
  readonly flow: string;
  readonly note?: string | undefined;
  readonly expiresInMinutes?: number | undefined;
}

export type CreateHandoffResult =
  | {
      readonly ok: true;
      readonly handoff: HandoffRecord;
      readonly code: string;
      readonly links: HandoffLinks;
    }
  | { readonly ok: false; readonly reason: 'accountNotFound' | 'unknownFlow' };

export type ResolveResult =
  | {
      readonly ok: true;
      readonly escalation: EscalationRecord;
      readonly handoff: Extract<CreateHandoffResult, { ok: true }> | null;
      /** The handoff was started in the user's chat right away. */
      readonly handoffStarted: boolean;
      /** The chat was handed back to the bot (false: it had already been, e.g. its session expired). */
      readonly released: boolean;
    }
  | {
      readonly ok: false;
      readonly reason: 'notFound' | 'notOpen' | 'noAccount' | 'unknownFlow' | 'accountNotFound';
    };

export interface SupportServiceOptions {
  readonly handoffs: HandoffService;
  readonly escalations: EscalationStore;
  readonly audit: AuditLog;
  readonly accounts: { find(ref: string): Promise<{ readonly id: string } | null> };
  readonly tasks: readonly HandoffTask[];
  /** The Telegram bot's username (without @), when known. */
  readonly telegramBotUsername?: () => string | undefined;
}

export class SupportService {
  private engine: SupportEngine | null = null;

  constructor(private readonly options: SupportServiceOptions) {}

  /** The engine is built after the desk (it takes the desk): attach it once it exists. */
  attach(engine: SupportEngine): void {
    this.engine = engine;
  }

  get tasks(): readonly HandoffTask[] {
    return this.options.tasks;
  }

  task(ref: string): HandoffTask | undefined {
    const wanted = ref.trim().toLowerCase();
    return this.options.tasks.find((task) => task.id === wanted || task.command === wanted);
  }

  links(code: string): HandoffLinks {
    const bot = this.options.telegramBotUsername?.();
    return {
      telegramLink: bot ? `https://t.me/${bot}?start=${code}` : null,
      discordCommand: `/recover code:${code}`,
      startCommand: `/start ${code}`,
    };
  }

  /** The command the user types on their channel to open a handoff. */
  commandFor(channel: Channel, links: HandoffLinks): string {
    if (channel === 'discord') return links.discordCommand;
    if (channel === 'telegram' && links.telegramLink) return links.telegramLink;
    return links.startCommand;
  }

  async createHandoff(
    actor: AuditActor,
    input: CreateHandoffInput & { readonly escalationId?: string },
  ): Promise<CreateHandoffResult> {
    const task = this.task(input.flow);
    if (!task) return { ok: false, reason: 'unknownFlow' };
    const account = await this.options.accounts.find(input.account.trim());
    if (!account) return { ok: false, reason: 'accountNotFound' };
    const note = input.note?.trim() ? input.note.trim() : null;
    const { handoff, code } = await this.options.handoffs.create({
      accountId: account.id,
      flowId: task.id,
      note,
      expiresInMinutes: input.expiresInMinutes ?? DEFAULT_EXPIRY_MINUTES,
      actor,
      ...(input.escalationId ? { escalationId: input.escalationId } : {}),
    });
    return { ok: true, handoff, code, links: this.links(code) };
  }

  /**
   * Resolves an open escalation: optionally makes a handoff for its account first, marks it resolved,
   * hands the chat back to the bot with the agent's message, then starts the handoff in that chat.
   */
  async resolveEscalation(
    actor: AuditActor,
    id: string,
    input: {
      readonly message?: string | undefined;
      readonly handoff?: Omit<CreateHandoffInput, 'account'> | undefined;
    },
  ): Promise<ResolveResult> {
    const engine = this.engine;
    if (!engine) throw new Error('the support service has no engine attached');
    const record = await this.options.escalations.get(id);
    if (!record) return { ok: false, reason: 'notFound' };
    if (record.status !== 'open') return { ok: false, reason: 'notOpen' };
    let handoff: Extract<CreateHandoffResult, { ok: true }> | null = null;
    if (input.handoff) {
      if (!record.accountId) return { ok: false, reason: 'noAccount' };
      if (!this.task(input.handoff.flow)) return { ok: false, reason: 'unknownFlow' };
      const made = await this.createHandoff(actor, {
        ...input.handoff,
        account: record.accountId,
        escalationId: record.id,
      });
      if (!made.ok) return made;
      handoff = made;
    }
    const message = input.message?.trim() ? input.message.trim() : null;
    const resolved = await this.options.escalations.resolve(id, actor, {
      message,
      handoffId: handoff?.handoff.id ?? null,
    });
    if (!resolved) return { ok: false, reason: 'notOpen' };
    const replies: Reply[] = [
      ...(message ? [{ key: 'support.agentMessage' as const, params: { message } }] : []),
      { key: handoff ? 'support.releasedWithHandoff' : 'support.released' },
    ];
    const released = await engine.release(record.chat, record.id, replies);
    let handoffStarted = false;
    if (handoff) {
      const started = await engine.startIn(record.chat, record.userId, HANDOFF_FLOW_ID, handoff.code);
      handoffStarted = started === 'started';
      if (!handoffStarted) {
        // The chat is busy (or locked for a moment): the user opens it when ready.
        await engine
          .notify(record.chat, [
            {
              key: 'support.handoffReady',
              params: { command: this.commandFor(record.chat.channel, handoff.links) },
            },
          ])
          .catch(() => {});
      }
    }
    return { ok: true, escalation: resolved, handoff, handoffStarted, released };
  }
}

/** The tasks a handoff can lead into: every registered task that reports its completion. */
export function handoffTasks(
  flows: readonly { readonly id: string; readonly command: string; readonly title: MessageKey }[],
): HandoffTask[] {
  return flows
    .filter((flow) => flow.id !== HANDOFF_FLOW_ID && Object.hasOwn(COMPLETION_EVENTS, flow.id))
    .map((flow) => ({ id: flow.id, command: flow.command, title: flow.title }));
}

import type { FlowDefinition, FlowEvent, FlowInput } from '../../flows/ports.ts';
import { COMMITTED } from '../../flows/ports.ts';
import { type FlowRun, type FlowStart, persistedTags, runFlowStep, StepTimeout } from './runner.ts';
import { type Locale, type MessageKey, resolveLocale, t } from '../catalog/catalog.ts';
import type { Clock } from '../clock.ts';
import { randomBytes } from 'node:crypto';
import { describeError, type Logger } from '../log.ts';
import { type ChatRef, chatTag, type UserInput } from './input.ts';
import type { Choice, Reply } from './reply.ts';
import type { LoadedSession, Session, SessionStore } from './session-store.ts';

/** Finds the account a platform identity is linked to. */
export interface IdentityResolver {
  accountIdFor(channel: ChatRef['channel'], userId: string): Promise<string | null>;
}

/** Sends replies to a chat outside of a turn (expiry notices, "your email is verified"). */
export type PushSender = (chat: ChatRef, replies: readonly Reply[]) => Promise<void>;

/** A handler for `/start <payload>` deep links whose payload starts with `prefix`. */
export interface DeepLinkHandler {
  readonly prefix: string;
  /** The flow to start; it receives the whole payload as `args`. */
  readonly flowId: string;
}

export interface EngineOptions {
  readonly flows: readonly FlowDefinition[];
  readonly sessions: SessionStore;
  readonly identities: IdentityResolver;
  readonly clock: Clock;
  readonly log: Logger;
  /** A flow with no answer for this long is dropped (and the user told). Default 15 minutes. */
  readonly idleTimeoutMs?: number;
  /** How long one step may run before the user is told to try again. Default 20 s. */
  readonly stepTimeoutMs?: number;
  /** How long a message waits for its chat's lock. Default 30 s. */
  readonly lockWaitMs?: number;
  readonly deepLinks?: readonly DeepLinkHandler[];
}

/** What one handled input produced. */
export interface TurnResult {
  readonly replies: readonly Reply[];
  /** The input answered a secret prompt (password, code): adapters delete the message where they can. */
  readonly inputWasSecret: boolean;
  /** The update was already handled (a redelivery) and was ignored. */
  readonly duplicate: boolean;
}

/** The commands the engine answers in every state, whatever flow is running. */
export const GLOBAL_COMMANDS = ['start', 'menu', 'help', 'cancel'] as const;

const SEEN_TTL_MS = 24 * 60 * 60_000;
const LOCK_TTL_MS = 60_000;

/**
 * The conversation engine: channel-neutral, stateless between messages (all state is in the session
 * store), safe with any number of processes serving the same chats.
 *
 * @example
 * const engine = new Engine({ flows, sessions, identities, clock, log });
 * const { replies } = await engine.handle(input);
 */
export class Engine {
  private readonly flows: ReadonlyMap<string, FlowDefinition>;
  private readonly byCommand: ReadonlyMap<string, FlowDefinition>;
  private readonly idleTimeoutMs: number;
  private readonly stepTimeoutMs: number;
  private readonly lockWaitMs: number;
  private push: PushSender | null = null;

  constructor(private readonly options: EngineOptions) {
    this.flows = new Map(options.flows.map((flow) => [flow.id, flow]));
    this.byCommand = new Map(options.flows.map((flow) => [flow.command, flow]));
    this.idleTimeoutMs = options.idleTimeoutMs ?? 15 * 60_000;
    this.stepTimeoutMs = options.stepTimeoutMs ?? 20_000;
    this.lockWaitMs = options.lockWaitMs ?? 30_000;
  }

  /** The flows this engine runs (adapters publish their commands). */
  get flowDefinitions(): readonly FlowDefinition[] {
    return this.options.flows;
  }

  /** Where out-of-turn replies go; set by the composition root once the adapters exist. */
  setPushSender(push: PushSender): void {
    this.push = push;
  }

  /** Handles one inbound message end to end. Never throws for user input; infrastructure faults propagate. */
  async handle(input: UserInput): Promise<TurnResult> {
    const { sessions, log } = this.options;
    const chat = input.chat;
    const token = await sessions.lock(chat, LOCK_TTL_MS, this.lockWaitMs);
    if (token === null) {
      log.warn({ chat: chatTag(chat) }, 'chat lock not acquired in time');
      return { replies: [{ key: 'common.timeout' }], inputWasSecret: false, duplicate: false };
    }
    try {
      // Checked under the lock, so a redelivery racing the first delivery is seen once it is done.
      if (input.updateId !== undefined && (await sessions.wasSeen(chat, input.updateId))) {
        return { replies: [], inputWasSecret: false, duplicate: true };
      }
      const loaded = await sessions.load(chat);
      const turn = new Turn(this, input, loaded, this.options.clock.now());
      await turn.run();
      const next = turn.nextSession();
      const saved = await sessions.save(chat, loaded?.raw ?? null, next, this.idleTimeoutMs + SEEN_TTL_MS);
      if (!saved) {
        // Only possible if our lock expired mid-step and another process moved on: drop our result.
        log.error({ chat: chatTag(chat) }, 'session changed under the lock; turn discarded');
        return { replies: [{ key: 'common.timeout' }], inputWasSecret: false, duplicate: false };
      }
      await this.trackExpiry(chat, loaded?.session ?? null, next);
      if (input.updateId !== undefined) await sessions.markSeen(chat, input.updateId, SEEN_TTL_MS);
      return { replies: turn.replies, inputWasSecret: turn.inputWasSecret, duplicate: false };
    } finally {
      await sessions.unlock(chat, token);
    }
  }

  /**
   * Ends flows that went idle and tells their users, instead of waiting for them to come back.
   * Safe to call from every process; each expiry is taken by exactly one.
   */
  async expireIdle(limit = 100): Promise<number> {
    const { sessions, clock, log } = this.options;
    const due = await sessions.takeExpired(clock.now(), limit);
    let expired = 0;
    for (const chat of due) {
      const token = await sessions.lock(chat, LOCK_TTL_MS, 1_000);
      if (token === null) {
        await sessions.scheduleExpiry(chat, clock.now() + 5_000);
        continue;
      }
      try {
        const loaded = await sessions.load(chat);
        const flow = loaded?.session.flow;
        if (!loaded || !flow) continue;
        const idleUntil = loaded.session.lastActiveAt + this.idleTimeoutMs;
        if (idleUntil > clock.now()) {
          await sessions.scheduleExpiry(chat, idleUntil);
          continue;
        }
        await sessions.save(chat, loaded.raw, null, 1);
        expired += 1;
        const notice = this.expiredReply(flow.id, this.isCommitted(flow));
        await this.push?.(chat, [notice]).catch((error: unknown) => {
          log.warn({ chat: chatTag(chat), err: describeError(error) }, 'could not send the expiry notice');
        });
      } finally {
        await sessions.unlock(chat, token);
      }
    }
    return expired;
  }

  /** Keeps the expiry schedule in step with the session; a turn without a flow before or after costs nothing. */
  private async trackExpiry(chat: ChatRef, before: Session | null, after: Session | null): Promise<void> {
    if (after?.flow) {
      await this.options.sessions.scheduleExpiry(chat, after.lastActiveAt + this.idleTimeoutMs);
    } else if (before?.flow) {
      await this.options.sessions.cancelExpiry(chat);
    }
  }

  /**
   * Delivers an out-of-chat event to the chat's active flow (under the chat's lock, persisted like any
   * step) and pushes the flow's replies to the chat. Returns false when no flow took the signal; the
   * caller then tells the user itself (with `notify`) if it needs to.
   *
   * With `options.taskId` the signal reaches only that run of the task: one that was cancelled, expired or
   * replaced takes nothing. `options.data` travels with the event.
   *
   * @example await engine.signal(chat, 'email.linkConfirmed', { taskId, data: { token } })
   */
  async signal(
    chat: ChatRef,
    name: string,
    options: { readonly taskId?: string; readonly data?: Readonly<Record<string, string>> } = {},
  ): Promise<boolean> {
    const { sessions, clock, log } = this.options;
    const token = await sessions.lock(chat, LOCK_TTL_MS, this.lockWaitMs);
    if (token === null) return false;
    let replies: Reply[] = [];
    try {
      const loaded = await sessions.load(chat);
      const active = loaded?.session.flow;
      const flow = active ? this.flows.get(active.id) : undefined;
      if (!loaded || !active || !flow || flow.version !== active.version) return false;
      if (options.taskId !== undefined && active.taskId !== options.taskId) return false;
      const now = clock.now();
      if (now - loaded.session.lastActiveAt > this.idleTimeoutMs) return false;
      const run = await this.runFlow(
        flow,
        { snapshot: active.snapshot },
        {
          type: 'signal',
          name,
          at: now,
          ...(options.data ? { data: options.data } : {}),
        },
      );
      if (run.replies.length === 0) return false;
      replies = run.replies;
      const next: Session | null = run.done
        ? null
        : {
            flow: { ...active, snapshot: run.snapshot },
            prompt: promptOf(run.replies) ?? loaded.session.prompt,
            lastActiveAt: loaded.session.lastActiveAt,
          };
      if (!(await sessions.save(chat, loaded.raw, next, this.idleTimeoutMs + SEEN_TTL_MS))) return false;
      await this.trackExpiry(chat, loaded.session, next);
    } catch (error) {
      log.error(
        { chat: chatTag(chat), signal: name, err: describeError(error) },
        'signal could not be delivered',
      );
      return false;
    } finally {
      await sessions.unlock(chat, token);
    }
    await this.push?.(chat, replies).catch((error: unknown) => {
      log.warn({ chat: chatTag(chat), err: describeError(error) }, 'could not push the signal replies');
    });
    return true;
  }

  /** Sends replies to a chat outside of a turn. */
  async notify(chat: ChatRef, replies: readonly Reply[]): Promise<void> {
    if (!this.push) throw new Error('no push sender is configured');
    await this.push(chat, replies);
  }

  // ---- used by Turn -----------------------------------------------------------------------------

  flow(id: string): FlowDefinition | undefined {
    return this.flows.get(id);
  }

  flowByCommand(command: string): FlowDefinition | undefined {
    return this.byCommand.get(command);
  }

  /** `/start <payload>`: a flow's own command (links from groups), or a registered deep-link prefix. */
  deepLink(payload: string): FlowDefinition | undefined {
    const byCommand = this.byCommand.get(payload);
    if (byCommand) return byCommand;
    const handler = this.options.deepLinks?.find((link) => payload.startsWith(link.prefix));
    return handler ? this.flows.get(handler.flowId) : undefined;
  }

  get identities(): IdentityResolver {
    return this.options.identities;
  }

  get log(): Logger {
    return this.options.log;
  }

  get idleMs(): number {
    return this.idleTimeoutMs;
  }

  /** True when the flow's persisted state is past its change (tagged COMMITTED anywhere in its tree). */
  isCommitted(active: Session['flow']): boolean {
    const flow = active ? this.flows.get(active.id) : undefined;
    if (!active || !flow || flow.version !== active.version) return false;
    return persistedTags(flow.machine, active.snapshot).has(COMMITTED);
  }

  expiredReply(flowId: string, committed = false): Reply {
    const flow = this.flows.get(flowId);
    return {
      key: committed ? 'common.expiredAfterChange' : 'common.expired',
      params: { flow: flow ? t('en', flow.title) : flowId, minutes: Math.round(this.idleTimeoutMs / 60_000) },
    };
  }

  /** Runs one step of a flow (see `runFlowStep`). */
  runFlow(flow: FlowDefinition, start: FlowStart, event: FlowEvent | null): Promise<FlowRun> {
    return runFlowStep(flow.machine, start, event, this.stepTimeoutMs);
  }
}

/** One input being handled: the rules for global commands, flow starts and flow steps. */
class Turn {
  readonly replies: Reply[] = [];
  inputWasSecret = false;
  private flow: Session['flow'];
  private prompt: Reply | null;
  private touched = true;
  private readonly locale: Locale;

  constructor(
    private readonly engine: Engine,
    private readonly input: UserInput,
    private readonly loaded: LoadedSession | null,
    private readonly now: number,
  ) {
    this.flow = loaded?.session.flow ?? null;
    this.prompt = loaded?.session.prompt ?? null;
    this.locale = resolveLocale(input.locale);
  }

  nextSession(): Session | null {
    if (this.flow === null && this.prompt === null) return null;
    const lastActiveAt = this.touched ? this.now : (this.loaded?.session.lastActiveAt ?? this.now);
    return { flow: this.flow, prompt: this.prompt, lastActiveAt };
  }

  private say(key: MessageKey, extra: Omit<Reply, 'key'> = {}): void {
    this.replies.push({ key, ...extra });
  }

  async run(): Promise<void> {
    const session = this.loaded?.session;
    // Judged on the question that was actually asked, even if the flow has expired since.
    if (session?.prompt?.input === 'secret' && this.input.action.type === 'text') this.inputWasSecret = true;
    if (this.flow && session && this.now - session.lastActiveAt > this.engine.idleMs) {
      this.replies.push(this.engine.expiredReply(this.flow.id, this.engine.isCommitted(this.flow)));
      this.flow = null;
      this.prompt = null;
    }
    // A flow that no longer exists, or whose version changed, cannot be restored safely.
    if (this.flow && this.engine.flow(this.flow.id)?.version !== this.flow.version) this.resetFlow();

    const action = this.input.action;
    if (action.type === 'command') return this.command(action.command.toLowerCase(), action.args.trim());
    if (!this.input.isPrivate) {
      // Groups: nothing but commands is read, and nothing sensitive happens there.
      this.touched = false;
      return;
    }
    const choice = action.type === 'choice' ? action.value : this.matchChoice(action.text);
    if (choice !== null && this.prompt?.choices && !this.prompt.choices.some((c) => c.value === choice)) {
      this.say('common.staleChoice');
      this.repeatPrompt();
      return;
    }
    if (choice?.startsWith('menu:') && !this.flow) {
      const flow = this.engine.flow(choice.slice('menu:'.length));
      if (flow) return this.startFlow(flow, '');
    }
    if (!this.flow) {
      this.say('common.notUnderstood');
      this.prompt = null;
      return;
    }
    const event: FlowEvent =
      choice !== null
        ? { type: 'user.choice', value: choice, at: this.now }
        : { type: 'user.text', text: action.type === 'text' ? action.text : '', at: this.now };
    await this.stepFlow(event);
  }

  /** Text that names one of the offered choices (its number or its label) counts as picking it. */
  private matchChoice(text: string): string | null {
    const choices = this.prompt?.choices;
    if (!choices?.length) return null;
    const typed = text.trim().toLowerCase();
    const number = /^\d{1,2}$/.test(typed) ? Number(typed) : Number.NaN;
    if (number >= 1 && number <= choices.length) return choices[number - 1]?.value ?? null;
    const byLabel = choices.find((c) => t(this.locale, c.label, c.params).toLowerCase() === typed);
    return byLabel?.value ?? null;
  }

  private resetFlow(): void {
    const flow = this.flow && this.engine.flow(this.flow.id);
    this.say('common.flowReset', {
      params: { flow: flow ? t(this.locale, flow.title) : (this.flow?.id ?? '') },
    });
    this.flow = null;
    this.prompt = null;
  }

  private async command(command: string, args: string): Promise<void> {
    const engine = this.engine;
    switch (command) {
      case 'cancel':
        if (this.flow) {
          const committed = this.engine.isCommitted(this.flow);
          this.flow = null;
          this.prompt = null;
          this.say(committed ? 'common.cancelledAfterChange' : 'common.cancelled');
        } else {
          this.prompt = null;
          this.say('common.nothingToCancel');
        }
        return;
      case 'help':
        this.say('common.help');
        this.repeatPrompt();
        return;
      case 'start':
        if (args !== '') {
          const flow = engine.deepLink(args);
          if (!flow) {
            this.say('common.startPayloadUnknown');
            return;
          }
          if (this.flow) return this.busy(this.flow.id);
          return this.startFlow(flow, flow.command === args ? '' : args);
        }
        if (this.flow) return this.busy(this.flow.id);
        return this.menu(true);
      case 'menu':
        if (this.flow) return this.busy(this.flow.id);
        return this.menu(false);
    }
    const flow = engine.flowByCommand(command);
    if (!flow) {
      this.say('common.unknownCommand', { params: { command } });
      this.repeatPrompt();
      return;
    }
    if (this.flow) {
      if (this.flow.id === flow.id) return this.repeatPrompt();
      return this.busy(this.flow.id);
    }
    return this.startFlow(flow, args);
  }

  private busy(flowId: string): void {
    const flow = this.engine.flow(flowId);
    this.say('common.busyInFlow', { params: { flow: flow ? t(this.locale, flow.title) : flowId } });
    this.repeatPrompt();
  }

  private repeatPrompt(): void {
    if (this.prompt) this.replies.push(this.prompt);
  }

  private async menu(welcome: boolean): Promise<void> {
    const accountId = await this.engine.identities.accountIdFor(this.input.chat.channel, this.input.userId);
    const audience = accountId === null ? 'unlinked' : 'linked';
    const choices: Choice[] = this.engine.flowDefinitions
      .filter((flow) => flow.menuLabel && (flow.audience === 'any' || flow.audience === audience))
      .map((flow) => ({ value: `menu:${flow.id}`, label: flow.menuLabel as MessageKey }));
    if (welcome) this.say(accountId === null ? 'common.welcomeUnlinked' : 'common.welcome');
    if (choices.length === 0) {
      this.say('common.needLinkNoFlow');
      this.prompt = null;
      return;
    }
    const prompt: Reply = { key: 'common.menu', choices, input: 'choice' };
    this.replies.push(prompt);
    this.prompt = prompt;
  }

  private async startFlow(flow: FlowDefinition, args: string): Promise<void> {
    if (flow.privateOnly && !this.input.isPrivate) {
      this.touched = false;
      this.say('common.privateOnly', { params: { command: flow.command }, continuePrivately: true });
      return;
    }
    const accountId = await this.engine.identities.accountIdFor(this.input.chat.channel, this.input.userId);
    if (flow.audience === 'linked' && accountId === null) {
      this.prompt = null;
      const canLink = this.engine.flowDefinitions.some((f) => f.audience === 'unlinked');
      this.say(canLink ? 'common.needLink' : 'common.needLinkNoFlow');
      return;
    }
    const input: FlowInput = {
      accountId,
      chat: this.input.chat,
      userId: this.input.userId,
      at: this.now,
      args,
      taskId: newTaskId(),
    };
    this.flow = {
      id: flow.id,
      version: flow.version,
      snapshot: null,
      startedAt: this.now,
      taskId: input.taskId,
    };
    await this.advance(flow, { input }, null);
  }

  private async stepFlow(event: FlowEvent): Promise<void> {
    const active = this.flow;
    const flow = active && this.engine.flow(active.id);
    if (!active || !flow) return;
    await this.advance(flow, { snapshot: active.snapshot }, event);
  }

  private async advance(
    flow: FlowDefinition,
    start: { snapshot: unknown } | { input: FlowInput },
    event: FlowEvent | null,
  ): Promise<void> {
    let run: FlowRun;
    const previous = this.flow;
    try {
      run = await this.engine.runFlow(flow, start, event);
    } catch (error) {
      // Keep the conversation where it was: the user can try again or /cancel.
      this.engine.log.error(
        { chat: chatTag(this.input.chat), flow: flow.id, err: describeError(error) },
        'flow step failed',
      );
      this.say(error instanceof StepTimeout ? 'common.timeout' : 'common.internalError');
      this.flow = 'snapshot' in start ? previous : null;
      if (!('snapshot' in start)) this.prompt = null;
      return;
    }
    if (event && run.replies.length === 0) {
      // The flow ignored the input (wrong kind of answer): say so and ask again.
      this.say(this.prompt?.choices?.length ? 'common.pickOne' : 'common.notUnderstood');
      this.repeatPrompt();
      return;
    }
    this.replies.push(...run.replies);
    if (run.done) {
      this.flow = null;
      this.prompt = null;
      const next = run.output?.next ? this.engine.flow(run.output.next) : undefined;
      if (next) await this.startFlow(next, '');
      return;
    }
    this.flow = {
      id: flow.id,
      version: flow.version,
      snapshot: run.snapshot,
      startedAt: previous?.startedAt ?? this.now,
      ...(previous?.taskId ? { taskId: previous.taskId } : {}),
    };
    this.prompt = promptOf(run.replies) ?? this.prompt;
  }
}

/** The question a flow asked last: the latest reply that expects input and shows no secret. */
function promptOf(replies: readonly Reply[]): Reply | null {
  return replies.findLast((reply) => reply.input !== undefined && !reply.sensitive) ?? null;
}

/** A task run's id: random, short, safe in keys and logs. */
function newTaskId(): string {
  return `task_${randomBytes(9).toString('base64url')}`;
}

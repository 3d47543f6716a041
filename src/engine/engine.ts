import { randomBytes } from 'node:crypto';
import { isLocale, type Locale, plainWordOf, resolveLocale, t } from '../catalog/catalog.ts';
import type { Clock } from '../clock.ts';
import { type ChatRef, chatTag, isConfidential, type UserInput } from '../core/conversation.ts';
import { COMMITTED, type FlowEvent, type FlowInput, type TranscriptEntry } from '../core/flow.ts';
import type { MessageKey, MessageParam } from '../core/messages.ts';
import { NO_OBSERVER, type Observer, type TaskEnd } from '../core/observer.ts';
import type { Choice, Reply } from '../core/reply.ts';
import type { TaskRun } from '../core/results.ts';
import { describeError, type Logger } from '../log.ts';
import type { PushSender } from './push.ts';
import { type DeepLinkHandler, type FlowDefinition, FlowRegistry } from './registry.ts';
import {
  type FlowRun,
  type FlowStart,
  persistedTags,
  persistedValue,
  runFlowStep,
  StepTimeout,
} from './runner.ts';
import type { Frame, FrameCommit, Session, SessionStore } from './session-store.ts';
import { readLine, storeLine, withSeen } from './session-store.ts';
import { ChatTransaction, LockLost } from './transaction.ts';
import { GLOBAL_COMMANDS, planTurn, type TurnDecision, type TurnFacts } from './turn-rules.ts';

export type { DeepLinkHandler, FlowDefinition } from './registry.ts';
export { GLOBAL_COMMANDS };

/** Finds the account a platform identity is linked to. */
export interface IdentityResolver {
  accountIdFor(channel: ChatRef['channel'], userId: string): Promise<string | null>;
  /**
   * The store key that holds that account id, when it is one plain key: the engine then reads it with the
   * turn's frame (same round trip) instead of asking `accountIdFor` later.
   */
  linkKey?(channel: ChatRef['channel'], userId: string): string;
  /**
   * The store key of an account, when it is one plain key: the engine reads it with the frame too when it
   * knows which account the sender was linked to last time (and uses it only when the link still says so),
   * so a turn's first account read costs no round trip of its own.
   */
  accountKey?(accountId: string): string;
  /**
   * Runs one turn (frame, step, commit) in a turn scope (`withTurnScope`): the services read each account
   * and link at most once in it, `seed` adds the link (and the account) read with the frame, and writes
   * nobody needs before the commit go in its round trip. Without it, every read asks and every write goes at once.
   */
  turnScope?<T>(work: (seed: (key: string, value: string | null) => void) => Promise<T>): Promise<T>;
}

export type { PushSender } from './push.ts';

export interface EngineOptions {
  readonly flows: readonly FlowDefinition[];
  readonly sessions: SessionStore;
  readonly identities: IdentityResolver;
  readonly clock: Clock;
  readonly log: Logger;
  /** Where out-of-turn replies go (a router over the adapters); without one, pushes fail. */
  readonly push?: PushSender;
  /** False while the platforms cannot be reached: the expiry sweeper then takes nothing. */
  readonly pushReady?: () => boolean;
  /** A flow with no answer for this long is dropped (and the user told). Default 15 minutes. */
  readonly idleTimeoutMs?: number;
  /** How long one step may run before the user is told to try again. Default 20 s. */
  readonly stepTimeoutMs?: number;
  /** How long a message waits for its chat's lock. Default 30 s. */
  readonly lockWaitMs?: number;
  /** The lock's time to live, renewed while a step runs. Default 5 s. */
  readonly lockTtlMs?: number;
  readonly deepLinks?: readonly DeepLinkHandler[];
  /** Where conversations go that need a person; without it the user is only told how to reach support. */
  readonly escalations?: EscalationDesk;
  /** How users reach support (SUPPORT_CONTACT): an address, a link, hours. */
  readonly supportContact?: string;
  /** Told about every message and every task's start and end (metrics); nothing by default. */
  readonly observer?: Observer;
  /** The server's records of a task (its proof, its commit): forgotten when the task ends. */
  readonly taskRecords?: TaskRecords;
}

/**
 * What the server keeps about one run of a task beyond its session: the proof of identity it made and the
 * record of its commit (both keyed by account and task). They only matter while the task runs; once a
 * commit has stored that the task ended, nothing can run in it again (a redelivered message is a
 * duplicate, an old step's snapshot is gone), so they are forgotten then instead of left to expire.
 */
export interface TaskRecords {
  forget(task: TaskRun): Promise<void>;
}

/** What an escalation to a person carries. Never a secret: the transcript was redacted at capture. */
export interface EscalationRequest {
  readonly chat: ChatRef;
  readonly userId: string;
  readonly accountId: string | null;
  /** The task and the step it was in, when there was one. */
  readonly flowId: string | null;
  readonly step: string | null;
  readonly reason: string;
  readonly transcript: readonly TranscriptEntry[];
  readonly at: number;
}

/** Opens escalations (the support desk); called under the chat's lock, so the hand-over is atomic. */
export interface EscalationDesk {
  open(request: EscalationRequest): Promise<{ readonly id: string }>;
}

/** What one handled input produced. */
export interface TurnResult {
  readonly replies: readonly Reply[];
  /** The input answered a secret prompt (password, code): adapters delete the message where they can. */
  readonly inputWasSecret: boolean;
  /** The update was already handled (a redelivery) and was ignored. */
  readonly duplicate: boolean;
  /** The language to render the replies in (the chat's /language choice, else its platform's); not on duplicates. */
  readonly locale?: Locale;
}

/** Senders whose last linked account the engine remembers, to read it with their next frame. */
const LINK_HINTS = 50_000;
/** How many transcript lines a running task keeps, and how much of each typed text. */
const TRANSCRIPT_KEPT = 10;
const TRANSCRIPT_TEXT_MAX = 60;
/** Redeliveries are recognised this long after a chat's last message. */
const SEEN_TTL_MS = 24 * 60 * 60_000;
/** A chat's language choice is remembered this long after its last message. */
const LOCALE_KEPT_MS = 400 * 24 * 60 * 60_000;
/** The secret-prompt mark outlives the idle timeout by this much, so a late secret is still recognised. */
const SECRET_MARK_EXTRA_MS = 10 * 60_000;
/** An expiry notice that could not be sent is tried again after this long, doubling, at most this often. */
const NOTICE_RETRY_MS = 30_000;
const NOTICE_TRIES = 6;

/** A task run's id: random, short, safe in keys and logs. */
function newTaskId(): string {
  return `task_${randomBytes(9).toString('base64url')}`;
}

/** The language a stored session chose (/language), if any. */
function localeOf(session: Session | null | undefined): Locale | undefined {
  return isLocale(session?.locale) ? session.locale : undefined;
}

/** The question a flow asked last: the latest reply that expects input and shows no secret. */
function promptOf(replies: readonly Reply[]): Reply | null {
  return replies.findLast((reply) => reply.input !== undefined && !reply.sensitive) ?? null;
}

/**
 * The conversation engine: channel-neutral, stateless between messages (all state is in the session
 * store), safe with any number of processes serving the same chats. It composes the per-chat transaction
 * (`ChatTransaction`), the turn rules (`planTurn`), the flow runner (`runFlowStep`) and the registry.
 *
 * @example
 * const engine = new Engine({ flows, sessions, identities, clock, log, push });
 * const { replies } = await engine.handle(input);
 */
export class Engine {
  readonly registry: FlowRegistry;
  private readonly transaction: ChatTransaction;
  private readonly idleTimeoutMs: number;
  private readonly stepTimeoutMs: number;
  private push: PushSender | null;
  readonly observer: Observer;

  constructor(private readonly options: EngineOptions) {
    this.registry = new FlowRegistry(options.flows, options.deepLinks);
    this.observer = options.observer ?? NO_OBSERVER;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 15 * 60_000;
    this.stepTimeoutMs = options.stepTimeoutMs ?? 20_000;
    this.push = options.push ?? null;
    const records = options.taskRecords;
    this.transaction = new ChatTransaction({
      sessions: options.sessions,
      lockTtlMs: options.lockTtlMs ?? 5_000,
      lockWaitMs: options.lockWaitMs ?? 30_000,
      ...(records ? { afterCommit: (frame, commit) => this.forgetEnded(records, frame, commit) } : {}),
    });
  }

  /**
   * After a commit that ended the chat's task (its session holds no flow or another run of one), has the
   * task's proof and commit records forgotten. Only after the commit: had it failed, the task would still
   * run, and its retried step would need them. A failure is logged; the records expire on their own.
   */
  private async forgetEnded(records: TaskRecords, frame: Frame, commit: FrameCommit): Promise<void> {
    const ended = frame.loaded?.session.flow;
    if (!ended?.taskId || !ended.accountId || commit.next?.flow?.taskId === ended.taskId) return;
    const purpose = this.registry.get(ended.id)?.proofPurpose;
    if (purpose === undefined) return;
    try {
      await records.forget({ accountId: ended.accountId, taskId: ended.taskId, purpose });
    } catch (error) {
      this.options.log.warn(
        { flow: ended.id, err: describeError(error) },
        'the records of an ended task could not be forgotten; they expire on their own',
      );
    }
  }

  /** The flows this engine runs (adapters publish their commands). */
  get flowDefinitions(): readonly FlowDefinition[] {
    return this.registry.all;
  }

  /**
   * Where out-of-turn replies go, for callers that build the adapters after the engine.
   * @deprecated pass `push` to the constructor (a router over the adapters).
   */
  setPushSender(push: PushSender): void {
    this.push = push;
  }

  get idleMs(): number {
    return this.idleTimeoutMs;
  }

  get log(): Logger {
    return this.options.log;
  }

  /** Handles one inbound message end to end. Never throws for user input; infrastructure faults propagate. */
  async handle(input: UserInput): Promise<TurnResult> {
    const { log, identities } = this.options;
    const chat = input.chat;
    const started = performance.now();
    const linkKey = identities.linkKey?.(chat.channel, input.userId);
    const sender = `${chat.channel}:${input.userId}`;
    const hinted = linkKey === undefined ? undefined : this.linkedBefore.get(sender);
    const accountKey = hinted === undefined ? undefined : identities.accountKey?.(hinted);
    const also =
      linkKey === undefined ? undefined : accountKey === undefined ? [linkKey] : [linkKey, accountKey];
    try {
      const result = await this.scoped((seed) =>
        this.transaction.run(
          chat,
          async (frame) => {
            if (input.updateId !== undefined && frame.seen.includes(input.updateId)) {
              const duplicate: TurnResult = { replies: [], inputWasSecret: false, duplicate: true };
              return { commit: null, value: duplicate };
            }
            if (linkKey !== undefined && frame.also !== undefined) {
              const linked = frame.also[0] ?? null;
              seed(linkKey, linked);
              // The account read beside the link counts only if the link still names it.
              if (accountKey !== undefined && linked === hinted) seed(accountKey, frame.also[1] ?? null);
              this.rememberLink(sender, linked);
            }
            const turn = new Turn(this, input, frame, this.options.clock.now());
            await turn.run();
            return { commit: turn.commit(), value: turn.result() };
          },
          undefined,
          also,
        ),
      );
      if (result === null) {
        log.warn({ chat: chatTag(chat) }, 'chat lock not acquired in time');
        return {
          replies: [{ key: 'common.timeout' }],
          inputWasSecret: false,
          duplicate: false,
          locale: resolveLocale(input.locale),
        };
      }
      return result.value;
    } catch (error) {
      if (!(error instanceof LockLost)) throw error;
      // Only possible if this process stalled past the lock's TTL and another one moved on.
      log.error({ chat: chatTag(chat) }, 'session changed under the lock; turn discarded');
      return {
        replies: [{ key: 'common.timeout' }],
        inputWasSecret: false,
        duplicate: false,
        locale: resolveLocale(input.locale),
      };
    } finally {
      this.observer.message(chat.channel, performance.now() - started);
    }
  }

  /**
   * Which account each recent sender was linked to (a hint only: the link read with the frame decides),
   * at most LINK_HINTS of them, the least recently seen forgotten first.
   */
  private readonly linkedBefore = new Map<string, string>();

  private rememberLink(sender: string, accountId: string | null): void {
    this.linkedBefore.delete(sender);
    if (accountId === null) return;
    this.linkedBefore.set(sender, accountId);
    if (this.linkedBefore.size > LINK_HINTS) {
      const oldest = this.linkedBefore.keys().next().value;
      if (oldest !== undefined) this.linkedBefore.delete(oldest);
    }
  }

  /** Runs a turn in the identities' turn scope, when there is one. */
  private scoped<T>(work: (seed: (key: string, value: string | null) => void) => Promise<T>): Promise<T> {
    const scope = this.options.identities.turnScope;
    return scope ? scope(work) : work(() => {});
  }

  /**
   * Starts a flow in another conversation (a slash command in a server continuing in the user's DM, a
   * support handoff opening in the chat that redeems it) and pushes its first replies there.
   * Returns 'busy' when that conversation is in another task.
   */
  async startIn(
    chat: ChatRef,
    userId: string,
    flowId: string,
    args = '',
  ): Promise<'started' | 'busy' | 'unknown' | 'locked'> {
    const flow = this.registry.get(flowId);
    if (!flow) return 'unknown';
    const input: UserInput = {
      chat,
      userId,
      isPrivate: true,
      confidential: true,
      action: { type: 'command', command: flow.command, args },
    };
    const result = await this.scoped(() =>
      this.transaction.run(chat, async (frame) => {
        const turn = new Turn(this, input, frame, this.options.clock.now());
        const started = await turn.startElsewhere(flow, args);
        const { replies, locale } = turn.result();
        return { commit: started ? turn.commit() : null, value: { started, replies, locale } };
      }),
    );
    if (result === null) return 'locked';
    if (!result.value.started) return 'busy';
    await this.pushTo(chat, result.value.replies, result.value.locale);
    return 'started';
  }

  /**
   * Ends flows that went idle and tells their users, instead of waiting for them to come back.
   * Safe to call from every process; each expiry is taken by exactly one. A notice that cannot be sent
   * stays with the session and is tried again later (and shown when the user comes back).
   */
  async expireIdle(limit = 100): Promise<number> {
    const { sessions, clock } = this.options;
    if (this.options.pushReady && !this.options.pushReady()) return 0;
    const due = await sessions.takeExpired(clock.now(), limit);
    let expired = 0;
    for (const chat of due) {
      const outcome = await this.transaction
        .run(chat, (frame) => this.expireOne(chat, frame), 1_000)
        .catch((error: unknown) => {
          this.options.log.warn({ chat: chatTag(chat), err: describeError(error) }, 'expiry failed');
          return null;
        });
      if (outcome === null) {
        await sessions.scheduleExpiry(chat, clock.now() + 5_000);
        continue;
      }
      if (outcome.value) expired += 1;
    }
    return expired;
  }

  private async expireOne(
    chat: ChatRef,
    frame: Frame,
  ): Promise<{ commit: FrameCommit | null; value: boolean }> {
    const now = this.options.clock.now();
    const session = frame.loaded?.session;
    if (!session) return { commit: null, value: false };
    const keepFor = this.idleTimeoutMs + SEEN_TTL_MS;
    let pending = session.pending ?? [];
    let expired = false;
    if (session.flow) {
      const idleUntil = session.lastActiveAt + this.idleTimeoutMs;
      if (idleUntil > now) {
        return { commit: this.plainCommit(session, keepFor, { dueAt: idleUntil }), value: false };
      }
      pending = [...pending, this.expiredReply(session.flow.id, this.isCommitted(session.flow))];
      expired = true;
      this.taskEnded(session.flow, 'expired');
    }
    if (pending.length === 0) return { commit: null, value: false };
    const sent = await this.pushTo(chat, pending, localeOf(session));
    const tries = (session.pendingTries ?? 0) + (sent ? 0 : 1);
    const done = sent || tries > NOTICE_TRIES;
    // A chat's language choice outlives its task.
    const language = session.locale === undefined ? {} : { locale: session.locale };
    const next: Session | null =
      done && session.locale === undefined
        ? null
        : {
            flow: null,
            prompt: null,
            lastActiveAt: session.lastActiveAt,
            ...language,
            ...(done ? {} : { pending, pendingTries: tries }),
          };
    const retry =
      sent || tries > NOTICE_TRIES ? 'cancel' : { dueAt: now + NOTICE_RETRY_MS * 2 ** (tries - 1) };
    return { commit: this.plainCommit(next, keepFor, retry), value: expired };
  }

  private plainCommit(next: Session | null, ttlMs: number, expiry: FrameCommit['expiry']): FrameCommit {
    return { next, ttlMs, secret: 'keep', secretTtlMs: 1, expiry, seen: null, seenTtlMs: 1 };
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
    const { clock, log } = this.options;
    let replies: Reply[] = [];
    let locale: Locale | undefined;
    try {
      const result = await this.scoped(() =>
        this.transaction.run(chat, async (frame) => {
          const session = frame.loaded?.session;
          const active = session?.flow;
          const flow = active ? this.registry.get(active.id) : undefined;
          if (!session || !active || !flow || flow.version !== active.version)
            return { commit: null, value: false };
          if (options.taskId !== undefined && active.taskId !== options.taskId)
            return { commit: null, value: false };
          const now = clock.now();
          if (now - session.lastActiveAt > this.idleTimeoutMs) return { commit: null, value: false };
          const event: FlowEvent = {
            type: 'signal',
            name,
            at: now,
            ...(options.data ? { data: options.data } : {}),
          };
          const run = await this.runFlow(flow, { snapshot: active.snapshot }, event);
          if (run.replies.length === 0) return { commit: null, value: false };
          replies = run.replies;
          if (run.done) this.taskEnded(active, run.output?.lockedOut ? 'lockedOut' : 'completed');
          const next: Session = {
            ...session,
            flow: run.done ? null : { ...active, snapshot: run.snapshot },
            prompt: run.done ? null : (promptOf(run.replies) ?? session.prompt),
          };
          locale = localeOf(session);
          const commit = this.plainCommit(
            next.flow === null && next.prompt === null && next.locale === undefined ? null : next,
            this.idleTimeoutMs + SEEN_TTL_MS,
            run.done ? 'cancel' : 'keep',
          );
          return { commit, value: true };
        }),
      );
      if (!result?.value) return false;
    } catch (error) {
      log.error(
        { chat: chatTag(chat), signal: name, err: describeError(error) },
        'signal could not be delivered',
      );
      return false;
    }
    await this.pushTo(chat, replies, locale);
    return true;
  }

  /** Sends replies to a chat outside of a turn (in `locale` when the chat's language is known). */
  async notify(chat: ChatRef, replies: readonly Reply[], locale?: Locale): Promise<void> {
    if (!this.push) throw new Error('no push sender is configured');
    await this.push(chat, replies, locale);
  }

  /** Pushes and reports whether it worked (failures are logged, never thrown). */
  private async pushTo(chat: ChatRef, replies: readonly Reply[], locale?: Locale): Promise<boolean> {
    if (replies.length === 0) return true;
    try {
      await this.notify(chat, replies, locale);
      return true;
    } catch (error) {
      this.options.log.warn({ chat: chatTag(chat), err: describeError(error) }, 'could not push replies');
      return false;
    }
  }

  /**
   * Hands a conversation back from a person to the bot (the escalation was resolved), then pushes
   * `replies` (the agent's message, a new handoff). False when that escalation does not own it.
   */
  async release(chat: ChatRef, escalationId: string, replies: readonly Reply[] = []): Promise<boolean> {
    const result = await this.transaction.run(chat, async (frame) => {
      const session = frame.loaded?.session;
      if (session?.owner?.escalationId !== escalationId) return { commit: null, value: false };
      const { owner: _owner, ...rest } = session;
      const next =
        rest.flow === null && rest.prompt === null && !rest.pending && rest.locale === undefined
          ? null
          : rest;
      return {
        commit: this.plainCommit(next, this.idleTimeoutMs + SEEN_TTL_MS, 'keep'),
        value: localeOf(session) ?? true,
      };
    });
    if (!result?.value) return false;
    await this.pushTo(chat, replies, result.value === true ? undefined : result.value);
    return true;
  }

  // ---- used by Turn -----------------------------------------------------------------------------

  get escalations(): EscalationDesk | undefined {
    return this.options.escalations;
  }

  /** SUPPORT_CONTACT, or the catalog's default contact in the reader's language. */
  get contact(): MessageParam {
    return this.options.supportContact ?? { key: 'support.defaultContact' };
  }

  /**
   * Tells the observer that a task ended; an abandoned one with the step it was in (`active`, the task as
   * it was persisted before this turn).
   */
  taskEnded(active: NonNullable<Session['flow']>, how: TaskEnd): void {
    const step = how === 'completed' || how === 'replaced' ? null : this.stepOf(active);
    this.observer.taskEnded(active.id, how, step);
  }

  /** The state a persisted flow is in, as text (for an escalation). */
  stepOf(active: NonNullable<Session['flow']>): string | null {
    const flow = this.registry.get(active.id);
    return flow ? persistedValue(flow.machine, active.snapshot) : null;
  }

  get identities(): IdentityResolver {
    return this.options.identities;
  }

  /** True when the flow's persisted state is past its change (tagged COMMITTED anywhere in its tree). */
  isCommitted(active: Session['flow']): boolean {
    const flow = active ? this.registry.get(active.id) : undefined;
    if (!active || !flow || flow.version !== active.version) return false;
    return active.afterChange === true || persistedTags(flow.machine, active.snapshot).has(COMMITTED);
  }

  expiredReply(flowId: string, committed = false): Reply {
    const flow = this.registry.get(flowId);
    return {
      key: committed ? 'common.expiredAfterChange' : 'common.expired',
      params: { flow: flow ? { key: flow.title } : flowId, minutes: Math.round(this.idleTimeoutMs / 60_000) },
    };
  }

  /** Runs one step of a flow (see `runFlowStep`). */
  runFlow(flow: FlowDefinition, start: FlowStart, event: FlowEvent | null): Promise<FlowRun> {
    return runFlowStep(flow.machine, start, event, this.stepTimeoutMs);
  }

  /** The frame's write for a session after a turn. */
  commitFor(
    before: Session | null,
    after: Session | null,
    secret: FrameCommit['secret'],
    seen: readonly string[] | null,
  ): FrameCommit {
    const expiry: FrameCommit['expiry'] = after?.flow
      ? { dueAt: after.lastActiveAt + this.idleTimeoutMs }
      : before?.flow
        ? 'cancel'
        : 'keep';
    const onlyLanguage = after !== null && after.locale !== undefined && !after.flow && !after.owner;
    return {
      next: after,
      ttlMs: onlyLanguage ? LOCALE_KEPT_MS : this.idleTimeoutMs + SEEN_TTL_MS,
      secret,
      secretTtlMs: this.idleTimeoutMs + SECRET_MARK_EXTRA_MS,
      expiry,
      seen,
      seenTtlMs: SEEN_TTL_MS,
    };
  }
}

/** One input being handled: carries out the turn rules' decision. */
class Turn {
  private readonly replies: Reply[] = [];
  private inputWasSecret = false;
  /** A flow step ran in this turn (the linked account read with the frame may be out of date). */
  private flowRan = false;
  private flow: Session['flow'];
  private prompt: Reply | null;
  private touched = true;
  private locale: Locale;
  /** The chat's own choice of language (kept in its session), if it made one. */
  private chosenLocale: Locale | undefined;
  private readonly session: Session | null;
  private transcript: TranscriptEntry[];
  private owner: Session['owner'];

  constructor(
    private readonly engine: Engine,
    private readonly input: UserInput,
    private readonly frame: Frame,
    private readonly now: number,
  ) {
    this.session = frame.loaded?.session ?? null;
    this.flow = this.session?.flow ?? null;
    this.prompt = this.session?.prompt ?? null;
    this.transcript = (this.session?.transcript ?? []).map(readLine);
    this.owner = this.session?.owner;
    const chosen = this.session?.locale;
    this.chosenLocale = isLocale(chosen) ? chosen : undefined;
    this.locale = this.chosenLocale ?? resolveLocale(input.locale);
  }

  result(): TurnResult {
    return {
      replies: this.replies,
      inputWasSecret: this.inputWasSecret,
      duplicate: false,
      locale: this.locale,
    };
  }

  /** The sender's linked account: read with the frame when the resolver allows it, else asked once. */
  private accountId(): Promise<string | null> {
    // A flow step may have linked or unlinked this chat: after one ran, ask again.
    if (this.frame.also !== undefined && !this.flowRan) return Promise.resolve(this.frame.also[0] ?? null);
    return this.engine.identities.accountIdFor(this.input.chat.channel, this.input.userId);
  }

  /** The session to store after this turn; null when nothing is left to remember. */
  private nextSession(): Session | null {
    if (this.flow === null && this.prompt === null && !this.owner && !this.chosenLocale) return null;
    const lastActiveAt = this.touched ? this.now : (this.session?.lastActiveAt ?? this.now);
    // The transcript is kept only while a task runs and only for an escalation from it (so only when a
    // support desk is set up), capped.
    const transcript =
      this.flow && this.engine.escalations
        ? this.transcriptWithTurn().slice(-TRANSCRIPT_KEPT).map(storeLine)
        : [];
    return {
      flow: this.flow,
      prompt: this.prompt,
      lastActiveAt,
      ...(this.owner ? { owner: this.owner } : {}),
      ...(transcript.length ? { transcript } : {}),
      ...(this.chosenLocale ? { locale: this.chosenLocale } : {}),
    };
  }

  /** The transcript with this turn's input and replies, the input redacted when it was a secret. */
  private transcriptWithTurn(): TranscriptEntry[] {
    const action = this.input.action;
    const said =
      action.type === 'text'
        ? this.inputWasSecret
          ? '[redacted]'
          : action.text.slice(0, TRANSCRIPT_TEXT_MAX)
        : action.type === 'choice'
          ? `choice:${action.value.slice(0, TRANSCRIPT_TEXT_MAX)}`
          : `/${action.command}`;
    return [
      ...this.transcript,
      { at: this.now, from: 'user', text: said },
      ...this.replies.map((reply) => ({ at: this.now, from: 'bot' as const, text: reply.key })),
    ];
  }

  /**
   * The secret-prompt mark: set while a secret is asked, cleared when the flow moves on to a typed question
   * that is not secret, is cancelled or completes; kept when the flow expires, fails or ends in a lock-out, so a
   * late password is still recognised and deleted.
   */
  private secretMark(): FrameCommit['secret'] {
    if (this.prompt?.input === 'secret') return 'set';
    // Only a question that asks to type something else (a phone number, an address) clears it: a choice
    // after a lock-out ("get a code instead?") keeps it, so a password typed there is still deleted.
    if (this.flow !== null && this.prompt?.input === 'text') return 'clear';
    return this.markOnEnd;
  }

  private markOnEnd: FrameCommit['secret'] = 'keep';

  commit(): FrameCommit {
    return this.engine.commitFor(
      this.session,
      this.nextSession(),
      this.secretMark(),
      withSeen(this.frame.seen, this.input.updateId),
    );
  }

  private say(key: MessageKey, extra: Omit<Reply, 'key'> = {}): void {
    this.replies.push({ key, ...extra });
  }

  private facts(): TurnFacts {
    return {
      now: this.now,
      idleMs: this.engine.idleMs,
      secretAsked: this.frame.secretAsked,
      registry: this.engine.registry,
      labelOf: (choice) => t(this.locale, choice.label, choice.params),
      plainWord: (text) => plainWordOf(this.locale, text),
    };
  }

  async run(): Promise<void> {
    if (this.session?.pending?.length) this.replies.push(...this.session.pending);
    const plan = planTurn(this.input, this.session, this.facts());
    this.inputWasSecret = plan.inputWasSecret;
    if (plan.expired && this.flow) {
      this.engine.taskEnded(this.flow, 'expired');
      this.replies.push(this.engine.expiredReply(this.flow.id, this.engine.isCommitted(this.flow)));
      this.flow = null;
      this.prompt = null;
    }
    if (plan.reset && this.flow) this.resetFlow();
    if (plan.dismissed && this.flow) {
      this.engine.taskEnded(this.flow, 'replaced');
      this.flow = null;
      this.prompt = null;
    }
    await this.carryOut(plan.decision);
  }

  private async carryOut(decision: TurnDecision): Promise<void> {
    const registry = this.engine.registry;
    switch (decision.kind) {
      case 'tooLong':
        this.say('common.tooLong');
        this.repeatPrompt();
        return;
      case 'ignore':
        this.touched = false;
        return;
      case 'cancel':
        if (this.flow) {
          const committed = this.engine.isCommitted(this.flow);
          this.engine.taskEnded(this.flow, 'cancelled');
          this.flow = null;
          this.prompt = null;
          this.markOnEnd = 'clear';
          this.say(committed ? 'common.cancelledAfterChange' : 'common.cancelled');
        } else {
          this.prompt = null;
          this.say('common.nothingToCancel');
        }
        return;
      case 'back':
        // Leaves the task like /cancel, then offers the menu.
        await this.carryOut({ kind: 'cancel' });
        return this.menu(false);
      case 'help':
        return this.help();
      case 'menu':
        return this.menu(decision.welcome);
      case 'busy':
        return this.busy(decision.flowId);
      case 'repeatPrompt':
        return this.repeatPrompt();
      case 'unknownCommand':
        this.say('common.unknownCommand', { params: { command: decision.command } });
        this.repeatPrompt();
        return;
      case 'startPayloadUnknown':
        this.say('common.startPayloadUnknown');
        // In the middle of a task, the user is asked its question again.
        this.repeatPrompt();
        return;
      case 'staleChoice':
        this.say('common.staleChoice');
        this.repeatPrompt();
        return;
      case 'withPerson':
        this.touched = false;
        this.say('support.withPerson', { params: { contact: this.engine.contact } });
        return;
      case 'escalate':
        return this.escalate(decision.reason);
      case 'notUnderstood':
        this.say('common.notUnderstood');
        this.prompt = null;
        return;
      case 'start': {
        const flow = registry.get(decision.flowId);
        if (flow) await this.startFlow(flow, decision.args);
        return;
      }
      case 'step':
        return this.stepFlow(decision.event);
    }
  }

  /** For `Engine.startIn`: starts the flow unless the conversation is in another task. */
  async startElsewhere(flow: FlowDefinition, args: string): Promise<boolean> {
    const plan = planTurn(this.input, this.session, this.facts());
    if (plan.expired || plan.reset || plan.dismissed) {
      this.flow = null;
      this.prompt = null;
    }
    if (this.flow) return false;
    await this.startFlow(flow, args);
    return true;
  }

  /** Hands the conversation to a person: the task stops here and the bot stays quiet until it is resolved. */
  private async escalate(reason: string): Promise<void> {
    const contact = this.engine.contact;
    const desk = this.engine.escalations;
    if (!desk) {
      this.say('support.contactOnly', { params: { contact } });
      this.repeatPrompt();
      return;
    }
    const accountId = await this.accountId();
    const { id } = await desk.open({
      chat: this.input.chat,
      userId: this.input.userId,
      accountId,
      flowId: this.flow?.id ?? null,
      step: this.flow ? this.engine.stepOf(this.flow) : null,
      reason,
      transcript: this.transcriptWithTurn().slice(-TRANSCRIPT_KEPT),
      at: this.now,
    });
    if (this.flow) this.engine.taskEnded(this.flow, 'escalated');
    this.flow = null;
    this.prompt = null;
    this.markOnEnd = 'keep';
    this.owner = { escalationId: id, since: this.now };
    this.say('support.escalated', { params: { contact } });
  }

  private resetFlow(): void {
    if (this.flow) this.engine.taskEnded(this.flow, 'replaced');
    const flow = this.flow && this.engine.registry.get(this.flow.id);
    this.say('common.flowReset', {
      params: { flow: flow ? { key: flow.title } : (this.flow?.id ?? '') },
    });
    this.flow = null;
    this.prompt = null;
  }

  private busy(flowId: string): void {
    const flow = this.engine.registry.get(flowId);
    this.say('common.busyInFlow', { params: { flow: flow ? { key: flow.title } : flowId } });
    this.repeatPrompt();
  }

  private repeatPrompt(): void {
    if (this.prompt) this.replies.push(this.prompt);
  }

  private async menu(welcome: boolean): Promise<void> {
    const accountId = await this.accountId();
    const choices = await this.menuChoices(accountId);
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

  /** The menu's tasks; a linked chat's labels say where the account stands where a flow can tell. */
  private async menuChoices(accountId: string | null): Promise<Choice[]> {
    const choices = this.engine.registry.menu(accountId !== null);
    if (accountId === null) return choices;
    return Promise.all(
      choices.map(async (choice) => {
        const status = this.engine.registry.get(choice.value.slice('menu:'.length))?.menuStatus;
        const label = status ? await status(accountId).catch(() => null) : null;
        return label ? { ...choice, label } : choice;
      }),
    );
  }

  /** /help outside a task: what it always says, then the tasks this chat can start, with their commands. */
  private async help(): Promise<void> {
    this.say('common.help');
    if (this.flow) return this.repeatPrompt();
    const accountId = await this.accountId();
    const registry = this.engine.registry;
    const lines = (await this.menuChoices(accountId)).flatMap((choice) => {
      const flow = registry.get(choice.value.slice('menu:'.length));
      return flow
        ? [
            {
              key: 'common.helpTask' as const,
              params: { command: flow.command, label: { key: choice.label } },
            },
          ]
        : [];
    });
    if (lines.length > 0) this.say('common.helpTasks', { params: { tasks: { lines } } });
  }

  private async startFlow(
    flow: FlowDefinition,
    args: string,
    returnTo?: string,
    afterChange = false,
  ): Promise<void> {
    if (flow.privateOnly && !isConfidential(this.input)) {
      this.touched = false;
      this.say('common.privateOnly', { params: { command: flow.command }, continuePrivately: true });
      return;
    }
    const accountId = await this.accountId();
    if (flow.audience === 'linked' && accountId === null) {
      this.prompt = null;
      this.say(this.engine.registry.canLink ? 'common.needLink' : 'common.needLinkNoFlow');
      return;
    }
    const input: FlowInput = {
      accountId,
      chat: this.input.chat,
      userId: this.input.userId,
      at: this.now,
      args,
      taskId: newTaskId(),
      locale: this.locale,
    };
    this.flow = {
      id: flow.id,
      version: flow.version,
      snapshot: null,
      startedAt: this.now,
      taskId: input.taskId,
      ...(returnTo ? { returnTo } : {}),
      ...(afterChange ? { afterChange } : {}),
      ...(accountId !== null && flow.proofPurpose !== undefined ? { accountId } : {}),
    };
    this.engine.observer.taskStarted(flow.id);
    await this.advance(flow, { input }, null);
  }

  private async stepFlow(event: FlowEvent): Promise<void> {
    const active = this.flow;
    const flow = active && this.engine.registry.get(active.id);
    if (!active || !flow) return;
    await this.advance(flow, { snapshot: active.snapshot }, event);
  }

  private async advance(flow: FlowDefinition, start: FlowStart, event: FlowEvent | null): Promise<void> {
    let run: FlowRun;
    const previous = this.flow;
    this.flowRan = true;
    try {
      run = await this.engine.runFlow(flow, start, event);
    } catch (error) {
      // Keep the conversation where it was: the user can try again or /cancel.
      this.engine.log.error(
        { chat: chatTag(this.input.chat), flow: flow.id, err: describeError(error) },
        'flow step failed',
      );
      this.say(error instanceof StepTimeout ? 'common.timeout' : 'common.internalError');
      if (!('snapshot' in start) && previous) this.engine.taskEnded(previous, 'failed');
      this.flow = 'snapshot' in start ? previous : null;
      if (!('snapshot' in start)) this.prompt = null;
      return;
    }
    if (event && run.replies.length === 0 && !run.done) {
      // The flow ignored the input (wrong kind of answer): say so and ask again.
      this.say(this.prompt?.choices?.length ? 'common.pickOne' : 'common.notUnderstood');
      this.repeatPrompt();
      return;
    }
    this.replies.push(...run.replies);
    if (run.done && isLocale(run.output?.locale)) {
      // The user chose a language: this turn's replies and every later one speak it.
      this.chosenLocale = run.output.locale;
      this.locale = run.output.locale;
    }
    if (run.done) {
      // An escalated task is counted where the escalation happens (`escalate`).
      if (previous && !run.output?.escalate)
        this.engine.taskEnded(previous, run.output?.lockedOut ? 'lockedOut' : 'completed');
      else if (previous && !this.engine.escalations) this.engine.taskEnded(previous, 'escalated');
      this.flow = null;
      this.prompt = null;
      this.markOnEnd = run.output?.lockedOut ? 'keep' : 'clear';
      if (run.output?.escalate) {
        if (!this.engine.escalations) {
          // No support desk: the task has ended at its dead end; say how to reach support.
          this.say('support.contactOnly', { params: { contact: this.engine.contact } });
          return;
        }
        // The task's transcript up to its dead end goes with it.
        this.flow = previous;
        await this.escalate(run.output.escalate.reason);
        return;
      }
      // A flow hands on to `next`; one that was started on behalf of another (`returnTo`) hands back.
      const returnTo = run.output?.returnTo ?? previous?.returnTo;
      const next = run.output?.next ? this.engine.registry.get(run.output.next) : undefined;
      if (next) {
        await this.startFlow(next, run.output?.nextArgs ?? '', returnTo, run.output?.changed === true);
        return;
      }
      const back = returnTo ? this.engine.registry.get(returnTo) : undefined;
      if (back && back.id !== flow.id) await this.startFlow(back, 'resume');
      return;
    }
    this.flow = {
      id: flow.id,
      version: flow.version,
      snapshot: run.snapshot,
      startedAt: previous?.startedAt ?? this.now,
      ...(previous?.taskId ? { taskId: previous.taskId } : {}),
      ...(previous?.returnTo ? { returnTo: previous.returnTo } : {}),
      ...(previous?.afterChange ? { afterChange: true } : {}),
      ...(previous?.accountId ? { accountId: previous.accountId } : {}),
    };
    this.prompt = promptOf(run.replies) ?? this.prompt;
  }
}

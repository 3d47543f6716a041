/**
 * The machine shared by the flows that change two-step verification itself (turn it off, new recovery
 * codes): the password (with lock-out), then a code from the authenticator app or a recovery code, a
 * re-auth freshness check, then one final effect `commit`. When `commit` gives new recovery codes they are
 * shown once and the user confirms they saved them before the closing reply.
 *
 * @example
 * ```ts
 * const machine = passwordAndCodeMachine({
 *   id: 'disable-2fa',
 *   replies: { notOn: 'twofa.notOn', askPassword: 'twofa.askPasswordOff', done: 'twofa.disabledDone' },
 * });
 * ```
 */
import { assertEvent, assign, emit, fromPromise, setup } from 'xstate';
import type { MessageKey } from '../src/catalog/catalog.ts';
import { failedWith, passwordLockedReply, secondFactorReply, wrongPasswordReply } from './outcomes.ts';
import {
  type AccountSummary,
  AWAITING_INPUT,
  COMMITTED,
  type CheckPasswordResult,
  type FlowEvent,
  type FlowInput,
  type FlowOutput,
  notProvided,
  REAUTH_MAX_AGE_MS,
  type ReplyEvent,
  type SecondFactorResult,
} from './ports.ts';

/** The result of the final effect: done, done with new recovery codes to show once, or 2FA is not on. */
export type CommitResult =
  | { readonly ok: true; readonly codes?: readonly string[] }
  | { readonly ok: false; readonly reason: 'notOn' };

export interface PasswordAndCodeOptions {
  readonly id: string;
  /** The replies that differ between the flows; the others are the shared `twofa.*` ones. */
  readonly replies: {
    /** 2FA is not on, at the start or when committing; the flow ends. */
    readonly notOn: MessageKey;
    /** The first password prompt, saying what it is for. */
    readonly askPassword: MessageKey;
    /** The closing reply: after the change, or after "I saved them" when the change gave codes. */
    readonly done: MessageKey;
  };
}

interface Context {
  readonly accountId: string;
  readonly channel: FlowInput['chat']['channel'];
  /** When the password was proven (ms); both proofs must be less than 5 minutes old at the change. */
  passwordAt: number | null;
  /** The latest user text, cleared as soon as the effect that needs it has started. */
  secret: string | null;
  lastAt: number;
  askedPassword: boolean;
}

function passwordIsFresh(context: Context): boolean {
  return context.passwordAt !== null && context.lastAt - context.passwordAt <= REAUTH_MAX_AGE_MS;
}

export function passwordAndCodeMachine({ id, replies }: PasswordAndCodeOptions) {
  return setup({
    types: {
      context: {} as Context,
      input: {} as FlowInput,
      events: {} as FlowEvent,
      emitted: {} as ReplyEvent,
      output: {} as FlowOutput,
    },
    actors: {
      loadAccount: fromPromise<AccountSummary, { accountId: string }>(notProvided('loadAccount')),
      checkPassword: fromPromise<
        CheckPasswordResult,
        { accountId: string; password: string; channel: string }
      >(notProvided('checkPassword')),
      checkSecondFactor: fromPromise<
        SecondFactorResult,
        { accountId: string; code: string; channel: string }
      >(notProvided('checkSecondFactor')),
      commit: fromPromise<CommitResult, { accountId: string; channel: string }>(notProvided('commit')),
    },
    actions: {
      takeText: assign(({ event }) => {
        assertEvent(event, 'user.text');
        return { secret: event.text, lastAt: event.at };
      }),
      forgetSecret: assign({ secret: null }),
      internalError: emit({ type: 'reply', key: 'common.internalError' } as const),
      notOn: emit({ type: 'reply' as const, key: replies.notOn }),
    },
  }).createMachine({
    id,
    context: ({ input }) => ({
      accountId: input.accountId ?? '',
      channel: input.chat.channel,
      passwordAt: null,
      secret: null,
      lastAt: input.at,
      askedPassword: false,
    }),
    initial: 'loading',
    output: () => ({}),
    states: {
      loading: {
        invoke: {
          src: 'loadAccount',
          input: ({ context }) => ({ accountId: context.accountId }),
          onDone: [
            { guard: ({ event }) => !event.output.twoFactor, target: 'done', actions: 'notOn' },
            {
              guard: ({ event }) => event.output.passwordLockedMs > 0,
              target: 'done',
              actions: emit(({ event }) => ({
                type: 'reply' as const,
                key: 'twofa.passwordLocked' as const,
                params: { minutes: Math.ceil(event.output.passwordLockedMs / 60_000) },
              })),
            },
            { target: 'askPassword' },
          ],
          onError: { target: 'done', actions: 'internalError' },
        },
      },
      askPassword: {
        tags: [AWAITING_INPUT],
        entry: [
          emit(({ context }) => ({
            type: 'reply' as const,
            key: context.askedPassword ? ('twofa.askPasswordAgainNoCode' as const) : replies.askPassword,
            input: 'secret' as const,
          })),
          assign({ askedPassword: true }),
        ],
        on: { 'user.text': { target: 'checkingPassword', actions: 'takeText' } },
      },
      checkingPassword: {
        invoke: {
          src: 'checkPassword',
          input: ({ context }) => ({
            accountId: context.accountId,
            password: context.secret ?? '',
            channel: context.channel,
          }),
          onDone: [
            {
              guard: ({ event }) => event.output.ok,
              target: 'askSecondFactor',
              actions: assign({ passwordAt: ({ context }) => context.lastAt }),
            },
            {
              guard: ({ event }) => failedWith(event.output, 'locked'),
              target: 'done',
              actions: emit(({ event }) => passwordLockedReply('twofa.passwordLocked', event.output)),
            },
            {
              target: 'askPassword',
              reenter: true,
              actions: emit(({ event }) => wrongPasswordReply('twofa.wrongPassword', event.output)),
            },
          ],
          onError: { target: 'askPassword', actions: 'internalError' },
        },
        exit: 'forgetSecret',
      },
      askSecondFactor: {
        tags: [AWAITING_INPUT],
        entry: emit({ type: 'reply', key: 'twofa.askCode', input: 'secret' } as const),
        on: { 'user.text': { target: 'checkingSecondFactor', actions: 'takeText' } },
      },
      checkingSecondFactor: {
        invoke: {
          src: 'checkSecondFactor',
          input: ({ context }) => ({
            accountId: context.accountId,
            code: context.secret ?? '',
            channel: context.channel,
          }),
          onDone: [
            {
              guard: ({ event, context }) => event.output.ok && passwordIsFresh(context),
              target: 'committing',
            },
            {
              guard: ({ event }) => event.output.ok,
              target: 'askPassword',
              actions: [
                assign({ passwordAt: null }),
                emit({ type: 'reply', key: 'twofa.reauthExpired' } as const),
              ],
            },
            {
              guard: ({ event }) => failedWith(event.output, 'tooMany'),
              target: 'done',
              actions: emit({ type: 'reply', key: 'twofa.tooMany' } as const),
            },
            {
              target: 'askSecondFactor',
              actions: emit(({ event }) => secondFactorReply(event.output)),
            },
          ],
          onError: { target: 'askSecondFactor', actions: 'internalError' },
        },
        exit: 'forgetSecret',
      },
      committing: {
        invoke: {
          src: 'commit',
          input: ({ context }) => ({ accountId: context.accountId, channel: context.channel }),
          onDone: [
            {
              guard: ({ event }) => event.output.ok && event.output.codes !== undefined,
              target: 'confirmSaved',
              // Sensitive: shown once, never stored as the remembered prompt.
              actions: emit(({ event }) => ({
                type: 'reply' as const,
                key: 'twofa.newCodes' as const,
                params: { codes: event.output.ok ? (event.output.codes ?? []).join('\n') : '' },
                sensitive: true,
              })),
            },
            {
              guard: ({ event }) => event.output.ok,
              target: 'done',
              actions: emit({ type: 'reply' as const, key: replies.done }),
            },
            { target: 'done', actions: 'notOn' },
          ],
          onError: { target: 'done', actions: 'internalError' },
        },
      },
      confirmSaved: {
        tags: [AWAITING_INPUT, COMMITTED],
        entry: emit({
          type: 'reply',
          key: 'twofa.askSaved',
          input: 'choice',
          choices: [{ value: 'saved', label: 'twofa.choiceSaved' }],
        } as const),
        on: {
          'user.choice': {
            guard: ({ event }) => event.value === 'saved',
            target: 'done',
            actions: emit({ type: 'reply' as const, key: replies.done }),
          },
        },
      },
      done: { type: 'final' },
    },
  });
}

/** The machine the factory builds, for the bindings. */
export type PasswordAndCodeMachine = ReturnType<typeof passwordAndCodeMachine>;

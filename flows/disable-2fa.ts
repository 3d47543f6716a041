/**
 * Turn off two-step verification: the password, then a code from the authenticator app or a recovery
 * code (which is used up), then 2FA is off and the owner is notified on phone and email.
 */
import { assertEvent, assign, emit, fromPromise, setup } from 'xstate';
import {
  type AccountSummary,
  AWAITING_INPUT,
  type CheckPasswordResult,
  type FlowDefinition,
  type FlowEvent,
  type FlowInput,
  type FlowOutput,
  notProvided,
  REAUTH_MAX_AGE_MS,
  type ReplyEvent,
  type SecondFactorResult,
} from './ports.ts';
import { failedWith, passwordLockedReply, secondFactorReply, wrongPasswordReply } from './outcomes.ts';

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

export const disable2faMachine = setup({
  types: {
    context: {} as Context,
    input: {} as FlowInput,
    events: {} as FlowEvent,
    emitted: {} as ReplyEvent,
    output: {} as FlowOutput,
  },
  actors: {
    loadAccount: fromPromise<AccountSummary, { accountId: string }>(notProvided('loadAccount')),
    checkPassword: fromPromise<CheckPasswordResult, { accountId: string; password: string; channel: string }>(
      notProvided('checkPassword'),
    ),
    checkSecondFactor: fromPromise<SecondFactorResult, { accountId: string; code: string; channel: string }>(
      notProvided('checkSecondFactor'),
    ),
    disable: fromPromise<void, { accountId: string; channel: string }>(notProvided('disable')),
  },
  actions: {
    takeText: assign(({ event }) => {
      assertEvent(event, 'user.text');
      return { secret: event.text, lastAt: event.at };
    }),
    forgetSecret: assign({ secret: null }),
    internalError: emit({ type: 'reply', key: 'common.internalError' } as const),
  },
}).createMachine({
  id: 'disable-2fa',
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
          {
            guard: ({ event }) => !event.output.twoFactor,
            target: 'done',
            actions: emit({ type: 'reply', key: 'twofa.notOn' } as const),
          },
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
          key: context.askedPassword
            ? ('twofa.askPasswordAgainNoCode' as const)
            : ('twofa.askPasswordOff' as const),
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
        src: 'disable',
        input: ({ context }) => ({ accountId: context.accountId, channel: context.channel }),
        onDone: { target: 'done', actions: emit({ type: 'reply', key: 'twofa.disabledDone' } as const) },
        onError: { target: 'done', actions: 'internalError' },
      },
    },
    done: { type: 'final' },
  },
});

export const disable2faFlow = {
  id: '2fa-off',
  version: 1,
  command: '2fa_off',
  title: 'twofa.titleOff',
  audience: 'linked',
  privateOnly: true,
  machine: disable2faMachine,
} as const satisfies FlowDefinition;

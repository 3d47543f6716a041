/**
 * Change password: prove identity (current password, or a one-time code to phone or email), then the
 * second factor when the account has 2FA, then the new password twice. Nothing changes before the last step.
 */
import { assertEvent, assign, emit, fromPromise, setup } from 'xstate';
import {
  AWAITING_INPUT,
  type AccountSummary,
  type CheckCodeResult,
  type CheckPasswordResult,
  type CodeVia,
  type FlowDefinition,
  type FlowEvent,
  type FlowInput,
  type FlowOutput,
  type NewPasswordResult,
  notProvided,
  REAUTH_MAX_AGE_MS,
  type ReplyEvent,
  type SecondFactorResult,
  type SendCodeResult,
} from './ports.ts';
import {
  askCodePrompt,
  codeCheckReply,
  codeDestinationChoices,
  codeSendFailedReply,
  codeSentReply,
  failedWith,
  passwordLockedReply,
  secondFactorReply,
  wrongPasswordReply,
} from './outcomes.ts';

export const CODE_PURPOSE = 'password-reset';

interface Context {
  readonly accountId: string;
  readonly channel: FlowInput['chat']['channel'];
  summary: AccountSummary | null;
  via: CodeVia | null;
  codeTo: string | null;
  /** When identity was last proven (ms); a change needs a proof no older than 5 minutes. */
  provedAt: number | null;
  /** argon2id hash of the new password; the password itself is never kept. */
  pendingHash: string | null;
  /** The latest user text, cleared as soon as the effect that needs it has started. */
  secret: string | null;
  lastAt: number;
  /** Prompts already shown once; a second time they are asked in a shorter form. */
  asked: { current: boolean; newPassword: boolean };
}

export const changePasswordMachine = setup({
  types: {
    context: {} as Context,
    input: {} as FlowInput,
    events: {} as FlowEvent,
    emitted: {} as ReplyEvent,
    output: {} as FlowOutput,
  },
  actors: {
    loadAccount: fromPromise<AccountSummary, { accountId: string }>(notProvided('loadAccount')),
    checkCurrentPassword: fromPromise<
      CheckPasswordResult,
      { accountId: string; password: string; channel: string }
    >(notProvided('checkCurrentPassword')),
    sendCode: fromPromise<SendCodeResult, { accountId: string; purpose: string; via: CodeVia }>(
      notProvided('sendCode'),
    ),
    checkCode: fromPromise<
      CheckCodeResult,
      { accountId: string; purpose: string; via: CodeVia; code: string }
    >(notProvided('checkCode')),
    checkSecondFactor: fromPromise<SecondFactorResult, { accountId: string; code: string; channel: string }>(
      notProvided('checkSecondFactor'),
    ),
    checkNewPassword: fromPromise<NewPasswordResult, { accountId: string; password: string }>(
      notProvided('checkNewPassword'),
    ),
    confirmNewPassword: fromPromise<boolean, { hash: string; password: string }>(
      notProvided('confirmNewPassword'),
    ),
    commitPassword: fromPromise<{ signedOut: number }, { accountId: string; hash: string; channel: string }>(
      notProvided('commitPassword'),
    ),
  },
  guards: {
    hasTwoFactor: ({ context }) => context.summary?.twoFactor === true,
    isLocked: ({ context }) => (context.summary?.passwordLockedMs ?? 0) > 0,
    proofIsFresh: ({ context }) =>
      context.provedAt !== null && context.lastAt - context.provedAt <= REAUTH_MAX_AGE_MS,
  },
  actions: {
    takeText: assign(({ event }) => {
      assertEvent(event, 'user.text');
      return { secret: event.text, lastAt: event.at };
    }),
    forgetSecret: assign({ secret: null }),
    markProved: assign(({ context }) => ({ provedAt: context.lastAt })),
    internalError: emit({ type: 'reply', key: 'common.internalError' } as const),
  },
}).createMachine({
  id: 'change-password',
  context: ({ input }) => ({
    accountId: input.accountId ?? '',
    channel: input.chat.channel,
    summary: null,
    via: null,
    codeTo: null,
    provedAt: null,
    pendingHash: null,
    secret: null,
    lastAt: input.at,
    asked: { current: false, newPassword: false },
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
            guard: ({ event }) => event.output.passwordLockedMs > 0,
            target: 'done',
            actions: emit(({ event }) => ({
              type: 'reply' as const,
              key: 'password.locked' as const,
              params: { minutes: Math.ceil(event.output.passwordLockedMs / 60_000) },
            })),
          },
          { target: 'askCurrent', actions: assign({ summary: ({ event }) => event.output }) },
        ],
        onError: { target: 'done', actions: 'internalError' },
      },
    },
    askCurrent: {
      tags: [AWAITING_INPUT],
      entry: [
        emit(({ context }) => ({
          type: 'reply' as const,
          key: context.asked.current
            ? ('password.askCurrentAgain' as const)
            : ('password.askCurrent' as const),
          input: 'secret' as const,
          choices: [{ value: 'forgot', label: 'password.choiceForgot' as const }],
        })),
        assign({ asked: ({ context }) => ({ ...context.asked, current: true }) }),
      ],
      on: {
        'user.text': { target: 'checkingCurrent', actions: 'takeText' },
        'user.choice': { guard: ({ event }) => event.value === 'forgot', target: 'pickDestination' },
      },
    },
    checkingCurrent: {
      invoke: {
        src: 'checkCurrentPassword',
        input: ({ context }) => ({
          accountId: context.accountId,
          password: context.secret ?? '',
          channel: context.channel,
        }),
        onDone: [
          { guard: ({ event }) => event.output.ok, target: 'proved', actions: 'markProved' },
          {
            guard: ({ event }) => failedWith(event.output, 'locked'),
            target: 'done',
            actions: emit(({ event }) => passwordLockedReply('password.locked', event.output)),
          },
          {
            target: 'askCurrent',
            reenter: true,
            actions: emit(({ event }) => wrongPasswordReply('password.wrongCurrent', event.output)),
          },
        ],
        onError: { target: 'askCurrent', actions: 'internalError' },
      },
      exit: 'forgetSecret',
    },
    pickDestination: {
      tags: [AWAITING_INPUT],
      entry: emit(({ context }) => ({
        type: 'reply' as const,
        key: 'password.pickDestination' as const,
        input: 'choice' as const,
        choices: codeDestinationChoices(context.summary),
      })),
      on: {
        'user.choice': [
          {
            guard: ({ event }) => event.value === 'phone',
            target: 'sendingCode',
            actions: assign({ via: 'phone' as const, lastAt: ({ event }) => event.at }),
          },
          {
            guard: ({ event, context }) => event.value === 'email' && context.summary?.emailMasked != null,
            target: 'sendingCode',
            actions: assign({ via: 'email' as const, lastAt: ({ event }) => event.at }),
          },
        ],
      },
    },
    sendingCode: {
      invoke: {
        src: 'sendCode',
        input: ({ context }) => ({
          accountId: context.accountId,
          purpose: CODE_PURPOSE,
          via: context.via ?? 'phone',
        }),
        onDone: [
          {
            guard: ({ event }) => event.output.ok,
            target: 'askCode',
            actions: [
              assign({ codeTo: ({ event }) => (event.output.ok ? event.output.to : null) }),
              emit(({ event }) => codeSentReply(event.output)),
            ],
          },
          {
            // A cool-down with a code already out: keep waiting for that code.
            guard: ({ event, context }) => failedWith(event.output, 'cooldown') && context.codeTo !== null,
            target: 'askCode',
            actions: emit(({ event }) => codeSendFailedReply(event.output)),
          },
          {
            target: 'pickDestination',
            actions: emit(({ event }) => codeSendFailedReply(event.output)),
          },
        ],
        onError: {
          target: 'pickDestination',
          actions: emit({ type: 'reply', key: 'codes.deliveryFailed' } as const),
        },
      },
    },
    askCode: {
      tags: [AWAITING_INPUT],
      entry: emit(({ context }) => askCodePrompt(context.codeTo)),
      on: {
        'user.text': { target: 'checkingCode', actions: 'takeText' },
        'user.choice': {
          guard: ({ event }) => event.value === 'resend',
          target: 'sendingCode',
          actions: assign({ lastAt: ({ event }) => event.at }),
        },
      },
    },
    checkingCode: {
      invoke: {
        src: 'checkCode',
        input: ({ context }) => ({
          accountId: context.accountId,
          purpose: CODE_PURPOSE,
          via: context.via ?? 'phone',
          code: context.secret ?? '',
        }),
        onDone: [
          { guard: ({ event }) => event.output.ok, target: 'proved', actions: 'markProved' },
          {
            guard: ({ event }) => failedWith(event.output, 'wrong'),
            target: 'askCode',
            reenter: true,
            actions: emit(({ event }) => codeCheckReply(event.output)),
          },
          {
            guard: ({ event }) => failedWith(event.output, 'format'),
            target: 'askCode',
            actions: emit(({ event }) => codeCheckReply(event.output)),
          },
          {
            target: 'pickDestination',
            actions: [assign({ codeTo: null }), emit(({ event }) => codeCheckReply(event.output))],
          },
        ],
        onError: { target: 'askCode', actions: 'internalError' },
      },
      exit: 'forgetSecret',
    },
    proved: {
      always: [{ guard: 'hasTwoFactor', target: 'askSecondFactor' }, { target: 'askNew' }],
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
          { guard: ({ event }) => event.output.ok, target: 'askNew', actions: 'markProved' },
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
    askNew: {
      tags: [AWAITING_INPUT],
      entry: [
        emit(({ context }) => ({
          type: 'reply' as const,
          key: context.asked.newPassword ? ('password.askNewAgain' as const) : ('password.askNew' as const),
          input: 'secret' as const,
        })),
        assign({ asked: ({ context }) => ({ ...context.asked, newPassword: true }) }),
      ],
      on: { 'user.text': { target: 'checkingNew', actions: 'takeText' } },
    },
    checkingNew: {
      invoke: {
        src: 'checkNewPassword',
        input: ({ context }) => ({ accountId: context.accountId, password: context.secret ?? '' }),
        onDone: [
          {
            guard: ({ event }) => event.output.ok,
            target: 'askRepeat',
            actions: assign({ pendingHash: ({ event }) => (event.output.ok ? event.output.hash : null) }),
          },
          {
            target: 'askNew',
            actions: emit(({ event }) => ({
              type: 'reply' as const,
              key: event.output.ok
                ? ('policy.tooShort' as const)
                : (`policy.${event.output.reason}` as const),
            })),
          },
        ],
        onError: { target: 'askNew', actions: 'internalError' },
      },
      exit: 'forgetSecret',
    },
    askRepeat: {
      tags: [AWAITING_INPUT],
      entry: emit({ type: 'reply', key: 'password.askRepeat', input: 'secret' } as const),
      on: { 'user.text': { target: 'checkingRepeat', actions: 'takeText' } },
    },
    checkingRepeat: {
      invoke: {
        src: 'confirmNewPassword',
        input: ({ context }) => ({ hash: context.pendingHash ?? '', password: context.secret ?? '' }),
        onDone: [
          {
            guard: ({ event }) => !event.output,
            target: 'askNew',
            actions: [
              assign({ pendingHash: null }),
              emit({ type: 'reply', key: 'password.mismatch' } as const),
            ],
          },
          { guard: 'proofIsFresh', target: 'committing' },
          {
            target: 'askCurrent',
            actions: [
              assign({ pendingHash: null, provedAt: null }),
              emit({ type: 'reply', key: 'password.reauthExpired' } as const),
            ],
          },
        ],
        onError: { target: 'askRepeat', actions: 'internalError' },
      },
      exit: 'forgetSecret',
    },
    committing: {
      invoke: {
        src: 'commitPassword',
        input: ({ context }) => ({
          accountId: context.accountId,
          hash: context.pendingHash ?? '',
          channel: context.channel,
        }),
        onDone: {
          target: 'done',
          actions: emit(({ event, context }) => ({
            type: 'reply' as const,
            key: context.summary?.emailMasked
              ? ('password.changed' as const)
              : ('password.changedNoEmail' as const),
            params: { signedOut: event.output.signedOut },
          })),
        },
        onError: { target: 'askRepeat', actions: 'internalError' },
      },
    },
    done: { type: 'final' },
  },
});

export const changePasswordFlow = {
  id: 'change-password',
  version: 1,
  command: 'password',
  title: 'password.title',
  menuLabel: 'menu.password',
  audience: 'linked',
  privateOnly: true,
  machine: changePasswordMachine,
} as const satisfies FlowDefinition;

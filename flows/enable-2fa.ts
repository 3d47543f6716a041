/**
 * Turn on two-step verification: prove identity (password, or a one-time code to phone or email), scan a
 * QR code of a new TOTP secret, type a code from the app, then save 10 recovery codes. Nothing changes
 * before the code from the app matches. When 2FA is already on, the flow offers to turn it off or to make
 * new recovery codes (those are their own flows, started next).
 *
 * The new secret is kept between turns only sealed (encrypted for this account by the `newSecret`
 * effect); recovery codes exist only in the reply that shows them.
 */
import { assertEvent, assign, emit, fromPromise, setup } from 'xstate';
import {
  type AccountSummary,
  AWAITING_INPUT,
  COMMITTED,
  type CheckCodeResult,
  type CheckPasswordResult,
  type CodeVia,
  type FlowDefinition,
  type FlowEvent,
  type FlowInput,
  type FlowOutput,
  notProvided,
  REAUTH_MAX_AGE_MS,
  type ReplyEvent,
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
  wrongPasswordReply,
} from './outcomes.ts';

export const CODE_PURPOSE = 'twofa-enable';

/** A new secret as the flow sees it: `sealed` may be kept; the rest is shown once. */
export interface NewSecretOutput {
  readonly sealed: string;
  readonly uri: string;
  readonly key: string;
  readonly png: string;
}

export type SetupCodeResult =
  | { readonly ok: true; readonly step: number }
  | { readonly ok: false; readonly reason: 'format' | 'wrong' };

export type EnableResult =
  | { readonly ok: true; readonly codes: readonly string[] }
  | { readonly ok: false; readonly reason: 'alreadyOn' };

interface Context {
  readonly accountId: string;
  readonly channel: FlowInput['chat']['channel'];
  summary: AccountSummary | null;
  via: CodeVia | null;
  codeTo: string | null;
  /** When identity was last proven (ms); turning 2FA on needs a proof no older than 5 minutes. */
  provedAt: number | null;
  /** The secret being set up, sealed for this account; never the secret itself. */
  pendingSealed: string | null;
  /** The time step of the matching set-up code (not a secret). */
  verifiedStep: number | null;
  /** The latest user text, cleared as soon as the effect that needs it has started. */
  secret: string | null;
  lastAt: number;
  askedPassword: boolean;
  /** The flow to start when this one ends (management choices when 2FA is already on). */
  next: string | null;
}

/** The proof of identity is recent enough (the time of the latest input counts as now). */
function proofIsFresh(context: Context): boolean {
  return context.provedAt !== null && context.lastAt - context.provedAt <= REAUTH_MAX_AGE_MS;
}

export const enable2faMachine = setup({
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
    sendCode: fromPromise<SendCodeResult, { accountId: string; purpose: string; via: CodeVia }>(
      notProvided('sendCode'),
    ),
    checkCode: fromPromise<
      CheckCodeResult,
      { accountId: string; purpose: string; via: CodeVia; code: string }
    >(notProvided('checkCode')),
    newSecret: fromPromise<NewSecretOutput, { accountId: string }>(notProvided('newSecret')),
    checkSetupCode: fromPromise<SetupCodeResult, { accountId: string; sealed: string; code: string }>(
      notProvided('checkSetupCode'),
    ),
    enable: fromPromise<EnableResult, { accountId: string; sealed: string; step: number; channel: string }>(
      notProvided('enable'),
    ),
  },
  guards: {
    hasPendingSecret: ({ context }) => context.pendingSealed !== null,
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
  id: 'enable-2fa',
  context: ({ input }) => ({
    accountId: input.accountId ?? '',
    channel: input.chat.channel,
    summary: null,
    via: null,
    codeTo: null,
    provedAt: null,
    pendingSealed: null,
    verifiedStep: null,
    secret: null,
    lastAt: input.at,
    askedPassword: false,
    next: null,
  }),
  initial: 'loading',
  output: ({ context }) => (context.next ? { next: context.next } : {}),
  states: {
    loading: {
      invoke: {
        src: 'loadAccount',
        input: ({ context }) => ({ accountId: context.accountId }),
        onDone: [
          { guard: ({ event }) => event.output.twoFactor, target: 'alreadyOn' },
          {
            guard: ({ event }) => event.output.passwordLockedMs > 0,
            target: 'done',
            actions: emit(({ event }) => ({
              type: 'reply' as const,
              key: 'twofa.passwordLocked' as const,
              params: { minutes: Math.ceil(event.output.passwordLockedMs / 60_000) },
            })),
          },
          { target: 'askPassword', actions: assign({ summary: ({ event }) => event.output }) },
        ],
        onError: { target: 'done', actions: 'internalError' },
      },
    },
    alreadyOn: {
      tags: [AWAITING_INPUT],
      entry: emit({
        type: 'reply',
        key: 'twofa.alreadyOn',
        input: 'choice',
        choices: [
          { value: 'off', label: 'twofa.choiceTurnOff' },
          { value: 'codes', label: 'twofa.choiceNewCodes' },
          { value: 'keep', label: 'twofa.choiceKeep' },
        ],
      } as const),
      on: {
        'user.choice': [
          {
            guard: ({ event }) => event.value === 'off',
            target: 'done',
            actions: [assign({ next: '2fa-off' }), emit({ type: 'reply', key: 'twofa.choseOff' } as const)],
          },
          {
            guard: ({ event }) => event.value === 'codes',
            target: 'done',
            actions: [
              assign({ next: 'recovery-codes' }),
              emit({ type: 'reply', key: 'twofa.choseNewCodes' } as const),
            ],
          },
          {
            guard: ({ event }) => event.value === 'keep',
            target: 'done',
            actions: emit({ type: 'reply', key: 'twofa.kept' } as const),
          },
        ],
      },
    },
    askPassword: {
      tags: [AWAITING_INPUT],
      entry: [
        emit(({ context }) => ({
          type: 'reply' as const,
          key: context.askedPassword ? ('twofa.askPasswordAgain' as const) : ('twofa.askPasswordOn' as const),
          input: 'secret' as const,
          choices: [{ value: 'code', label: 'twofa.choiceUseCode' as const }],
        })),
        assign({ askedPassword: true }),
      ],
      on: {
        'user.text': { target: 'checkingPassword', actions: 'takeText' },
        'user.choice': { guard: ({ event }) => event.value === 'code', target: 'pickDestination' },
      },
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
          { guard: ({ event }) => event.output.ok, target: 'proved', actions: 'markProved' },
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
    pickDestination: {
      tags: [AWAITING_INPUT],
      entry: emit(({ context }) => ({
        type: 'reply' as const,
        key: 'twofa.pickDestination' as const,
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
      // After a renewed proof the app is already set up with the pending secret: no second QR code.
      always: [{ guard: 'hasPendingSecret', target: 'askSetupCode' }, { target: 'creatingSecret' }],
    },
    creatingSecret: {
      invoke: {
        src: 'newSecret',
        input: ({ context }) => ({ accountId: context.accountId }),
        onDone: {
          target: 'askSetupCode',
          actions: [
            assign({ pendingSealed: ({ event }) => event.output.sealed }),
            // Sensitive: shown once, never stored as the remembered prompt.
            emit(({ event }) => ({
              type: 'reply' as const,
              key: 'twofa.scan' as const,
              params: { key: event.output.key },
              image: {
                mime: 'image/png' as const,
                base64: event.output.png,
                text: event.output.uri,
                alt: 'twofa.qrAlt' as const,
              },
              sensitive: true,
            })),
          ],
        },
        onError: { target: 'done', actions: 'internalError' },
      },
    },
    askSetupCode: {
      tags: [AWAITING_INPUT],
      entry: emit({ type: 'reply', key: 'twofa.askSetupCode', input: 'secret' } as const),
      on: { 'user.text': { target: 'checkingSetupCode', actions: 'takeText' } },
    },
    checkingSetupCode: {
      invoke: {
        src: 'checkSetupCode',
        input: ({ context }) => ({
          accountId: context.accountId,
          sealed: context.pendingSealed ?? '',
          code: context.secret ?? '',
        }),
        onDone: [
          {
            guard: ({ event, context }) => event.output.ok && proofIsFresh(context),
            target: 'committing',
            actions: assign({ verifiedStep: ({ event }) => (event.output.ok ? event.output.step : null) }),
          },
          {
            guard: ({ event }) => event.output.ok,
            target: 'askPassword',
            actions: [
              assign({ provedAt: null, codeTo: null }),
              emit({ type: 'reply', key: 'twofa.reauthExpired' } as const),
            ],
          },
          {
            guard: ({ event }) => failedWith(event.output, 'format'),
            target: 'askSetupCode',
            actions: emit({ type: 'reply', key: 'twofa.setupFormat', input: 'secret' } as const),
          },
          {
            target: 'askSetupCode',
            actions: emit({ type: 'reply', key: 'twofa.setupWrong', input: 'secret' } as const),
          },
        ],
        onError: { target: 'askSetupCode', actions: 'internalError' },
      },
      exit: 'forgetSecret',
    },
    committing: {
      invoke: {
        src: 'enable',
        input: ({ context }) => ({
          accountId: context.accountId,
          sealed: context.pendingSealed ?? '',
          step: context.verifiedStep ?? 0,
          channel: context.channel,
        }),
        onDone: [
          {
            guard: ({ event }) => event.output.ok,
            target: 'confirmSaved',
            actions: [
              assign({ pendingSealed: null, verifiedStep: null }),
              emit(({ event }) => ({
                type: 'reply' as const,
                key: 'twofa.recoveryCodes' as const,
                params: { codes: event.output.ok ? event.output.codes.join('\n') : '' },
                sensitive: true,
              })),
            ],
          },
          {
            target: 'done',
            actions: emit({ type: 'reply', key: 'twofa.enableRaced' } as const),
          },
        ],
        onError: {
          target: 'askSetupCode',
          actions: [assign({ verifiedStep: null }), 'internalError'],
        },
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
          actions: emit({ type: 'reply', key: 'twofa.enabledDone' } as const),
        },
      },
    },
    done: { type: 'final' },
  },
});

export const enable2faFlow = {
  id: '2fa',
  version: 1,
  command: '2fa',
  title: 'twofa.titleOn',
  menuLabel: 'menu.twofa',
  audience: 'linked',
  privateOnly: true,
  machine: enable2faMachine,
} as const satisfies FlowDefinition;

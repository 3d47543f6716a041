/**
 * Add or change the email: prove identity (current password, or a one-time code to the phone), then the
 * second factor when the account has 2FA, then the new address. A message to that address holds a
 * one-time link and a 6-digit code; either one completes the change. The link is opened outside the chat,
 * so its use reaches the flow as the `email.verified` signal, and the flow finishes on its own.
 */
import { assertEvent, assign, emit, fromPromise, setup } from 'xstate';
import {
  AWAITING_INPUT,
  type AccountSummary,
  type CheckCodeResult,
  type CheckPasswordResult,
  type FlowDefinition,
  type FlowEvent,
  type FlowInput,
  type FlowOutput,
  notProvided,
  REAUTH_MAX_AGE_MS,
  type ReplyEvent,
  type SecondFactorResult,
  type SendCodeResult,
} from './ports.ts';
import {
  askCodePrompt,
  codeCheckReply,
  codeSendFailedReply,
  codeSentReply,
  type CodeCheckReplies,
  failedWith,
  lockedMinutes,
  secondFactorReply,
  wrongPasswordReply,
} from './outcomes.ts';

/** Purpose of the re-authentication code sent to the phone. */
export const REAUTH_CODE_PURPOSE = 'email-reauth';
/** Purpose of the code sent to the new address (with the link). */
export const NEW_EMAIL_CODE_PURPOSE = 'email-new';
/** The signal the verification service sends to the chat when the link was used. */
export const EMAIL_VERIFIED_SIGNAL = 'email.verified';

export type CheckAddressResult =
  | { readonly ok: true; readonly email: string }
  | { readonly ok: false; readonly reason: 'invalid' | 'same' | 'taken' | 'tooMany' };

/** `link` is false when no public URL is configured and the message holds only the code. */
export type SendVerificationResult =
  | { readonly ok: true; readonly to: string; readonly link: boolean }
  | Exclude<SendCodeResult, { readonly ok: true }>;

export type CommitEmailResult =
  | { readonly ok: true; readonly replaced: boolean }
  | { readonly ok: false; readonly reason: 'taken' };

type Chat = FlowInput['chat'];

interface Context {
  readonly accountId: string;
  /** Where the link's use is announced; stored with the link by the verification service. */
  readonly chat: Chat;
  summary: AccountSummary | null;
  /** Masked phone a re-authentication code went to. */
  reauthCodeTo: string | null;
  /** How long the password step stays locked, for the prompt that offers the phone instead. */
  lockedMinutes: number;
  /** When identity was last proven (ms); the code path commits only with a proof no older than 5 minutes. */
  provedAt: number | null;
  /** The normalised new address once it passed the checks (not a secret). */
  newEmail: string | null;
  /** A verification message is out for `newEmail`; `link` tells whether it holds a link. */
  pending: { readonly to: string; readonly link: boolean } | null;
  /** The next code prompt follows a fresh send and says so. */
  justSent: boolean;
  /** The latest user text (password, code or address), cleared as soon as the effect that needs it ran. */
  answer: string | null;
  lastAt: number;
  /** Prompts already shown once; a second time they are asked in a shorter form. */
  asked: { password: boolean; address: boolean };
}

/** Code replies of this flow: "not a code" is no new prompt, and dead codes are worded for each step. */
const reauthCodeReplies: CodeCheckReplies = {
  formatPrompts: false,
  dead: {
    expired: 'email.reauthCodeExpired',
    exhausted: 'email.reauthCodeExhausted',
    missing: 'email.reauthCodeDead',
  },
};
const newCodeReplies: CodeCheckReplies = {
  formatPrompts: false,
  dead: { expired: 'email.codeExpired', exhausted: 'email.codeExhausted', missing: 'email.codeMissing' },
};

export const changeEmailMachine = setup({
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
    sendReauthCode: fromPromise<SendCodeResult, { accountId: string; purpose: string }>(
      notProvided('sendReauthCode'),
    ),
    checkReauthCode: fromPromise<CheckCodeResult, { accountId: string; purpose: string; code: string }>(
      notProvided('checkReauthCode'),
    ),
    checkSecondFactor: fromPromise<SecondFactorResult, { accountId: string; code: string; channel: string }>(
      notProvided('checkSecondFactor'),
    ),
    checkAddress: fromPromise<CheckAddressResult, { accountId: string; address: string }>(
      notProvided('checkAddress'),
    ),
    sendVerification: fromPromise<SendVerificationResult, { accountId: string; email: string; chat: Chat }>(
      notProvided('sendVerification'),
    ),
    checkNewCode: fromPromise<CheckCodeResult, { accountId: string; email: string; code: string }>(
      notProvided('checkNewCode'),
    ),
    commitEmail: fromPromise<CommitEmailResult, { accountId: string; email: string; channel: string }>(
      notProvided('commitEmail'),
    ),
  },
  guards: {
    hasTwoFactor: ({ context }) => context.summary?.twoFactor === true,
    hasPending: ({ context }) => context.pending !== null,
    /** Judged at the moment the code is typed, before it is spent. */
    proofIsStale: ({ context, event }) =>
      context.provedAt === null || ('at' in event && event.at - context.provedAt > REAUTH_MAX_AGE_MS),
  },
  actions: {
    takeText: assign(({ event }) => {
      assertEvent(event, 'user.text');
      return { answer: event.text, lastAt: event.at };
    }),
    forgetAnswer: assign({ answer: null }),
    markProved: assign(({ context }) => ({ provedAt: context.lastAt })),
    internalError: emit({ type: 'reply', key: 'common.internalError' } as const),
  },
}).createMachine({
  id: 'change-email',
  context: ({ input }) => ({
    accountId: input.accountId ?? '',
    chat: input.chat,
    summary: null,
    reauthCodeTo: null,
    lockedMinutes: 0,
    provedAt: null,
    newEmail: null,
    pending: null,
    justSent: false,
    answer: null,
    lastAt: input.at,
    asked: { password: false, address: false },
  }),
  initial: 'loading',
  output: () => ({}),
  on: {
    // The link was opened (possibly while the user is elsewhere in the flow): the change is already made.
    signal: {
      guard: ({ event }) => event.name === EMAIL_VERIFIED_SIGNAL,
      target: '.done',
      actions: emit({ type: 'reply', key: 'email.verified' } as const),
    },
  },
  states: {
    loading: {
      invoke: {
        src: 'loadAccount',
        input: ({ context }) => ({ accountId: context.accountId }),
        onDone: [
          {
            guard: ({ event }) => event.output.passwordLockedMs > 0,
            target: 'offerPhone',
            actions: assign({
              summary: ({ event }) => event.output,
              lockedMinutes: ({ event }) => Math.ceil(event.output.passwordLockedMs / 60_000),
            }),
          },
          { target: 'askPassword', actions: assign({ summary: ({ event }) => event.output }) },
        ],
        onError: { target: 'done', actions: 'internalError' },
      },
    },
    askPassword: {
      tags: [AWAITING_INPUT],
      entry: [
        emit(({ context }) => ({
          type: 'reply' as const,
          key: context.asked.password ? ('email.askPasswordAgain' as const) : ('email.askPassword' as const),
          input: 'secret' as const,
          choices: [
            {
              value: 'phone',
              label: 'email.choicePhoneCode' as const,
              params: { to: context.summary?.phoneMasked ?? '' },
            },
          ],
        })),
        assign({ asked: ({ context }) => ({ ...context.asked, password: true }) }),
      ],
      on: {
        'user.text': { target: 'checkingPassword', actions: 'takeText' },
        'user.choice': {
          guard: ({ event }) => event.value === 'phone',
          target: 'sendingReauthCode',
          actions: assign({ lastAt: ({ event }) => event.at }),
        },
      },
    },
    checkingPassword: {
      invoke: {
        src: 'checkCurrentPassword',
        input: ({ context }) => ({
          accountId: context.accountId,
          password: context.answer ?? '',
          channel: context.chat.channel,
        }),
        onDone: [
          { guard: ({ event }) => event.output.ok, target: 'proved', actions: 'markProved' },
          {
            guard: ({ event }) => failedWith(event.output, 'locked'),
            target: 'offerPhone',
            actions: assign({
              lockedMinutes: ({ event }) => lockedMinutes(event.output),
            }),
          },
          {
            target: 'askPassword',
            reenter: true,
            actions: emit(({ event }) => wrongPasswordReply('email.wrongPassword', event.output)),
          },
        ],
        onError: { target: 'askPassword', actions: 'internalError' },
      },
      exit: 'forgetAnswer',
    },
    /** The password step is locked: the phone code is the only way on. */
    offerPhone: {
      tags: [AWAITING_INPUT],
      entry: emit(({ context }) => ({
        type: 'reply' as const,
        key: 'email.passwordLocked' as const,
        params: { minutes: context.lockedMinutes },
        input: 'choice' as const,
        choices: [
          {
            value: 'phone',
            label: 'email.choicePhoneCode' as const,
            params: { to: context.summary?.phoneMasked ?? '' },
          },
        ],
      })),
      on: {
        'user.choice': {
          guard: ({ event }) => event.value === 'phone',
          target: 'sendingReauthCode',
          actions: assign({ lastAt: ({ event }) => event.at }),
        },
      },
    },
    sendingReauthCode: {
      invoke: {
        src: 'sendReauthCode',
        input: ({ context }) => ({ accountId: context.accountId, purpose: REAUTH_CODE_PURPOSE }),
        onDone: [
          {
            guard: ({ event }) => event.output.ok,
            target: 'askReauthCode',
            actions: [
              assign({ reauthCodeTo: ({ event }) => (event.output.ok ? event.output.to : null) }),
              emit(({ event }) => codeSentReply(event.output)),
            ],
          },
          {
            // A cool-down with a code already out: keep waiting for that code.
            guard: ({ event, context }) =>
              failedWith(event.output, 'cooldown') && context.reauthCodeTo !== null,
            target: 'askReauthCode',
            actions: emit(({ event }) => codeSendFailedReply(event.output)),
          },
          {
            target: 'askPassword',
            actions: emit(({ event }) => codeSendFailedReply(event.output)),
          },
        ],
        onError: {
          target: 'askPassword',
          actions: emit({ type: 'reply', key: 'codes.deliveryFailed' } as const),
        },
      },
    },
    askReauthCode: {
      tags: [AWAITING_INPUT],
      entry: emit(({ context }) => askCodePrompt(context.reauthCodeTo)),
      on: {
        'user.text': { target: 'checkingReauthCode', actions: 'takeText' },
        'user.choice': {
          guard: ({ event }) => event.value === 'resend',
          target: 'sendingReauthCode',
          actions: assign({ lastAt: ({ event }) => event.at }),
        },
      },
    },
    checkingReauthCode: {
      invoke: {
        src: 'checkReauthCode',
        input: ({ context }) => ({
          accountId: context.accountId,
          purpose: REAUTH_CODE_PURPOSE,
          code: context.answer ?? '',
        }),
        onDone: [
          { guard: ({ event }) => event.output.ok, target: 'proved', actions: 'markProved' },
          {
            guard: ({ event }) => failedWith(event.output, 'wrong'),
            target: 'askReauthCode',
            reenter: true,
            actions: emit(({ event }) => codeCheckReply(event.output, reauthCodeReplies)),
          },
          {
            guard: ({ event }) => failedWith(event.output, 'format'),
            target: 'askReauthCode',
            actions: emit(({ event }) => codeCheckReply(event.output, reauthCodeReplies)),
          },
          {
            // Expired, exhausted or gone: back to the choice between password and a new code.
            target: 'askPassword',
            actions: [
              assign({ reauthCodeTo: null }),
              emit(({ event }) => codeCheckReply(event.output, reauthCodeReplies)),
            ],
          },
        ],
        onError: { target: 'askReauthCode', actions: 'internalError' },
      },
      exit: 'forgetAnswer',
    },
    proved: {
      always: [{ guard: 'hasTwoFactor', target: 'askSecondFactor' }, { target: 'afterProof' }],
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
          code: context.answer ?? '',
          channel: context.chat.channel,
        }),
        onDone: [
          { guard: ({ event }) => event.output.ok, target: 'afterProof', actions: 'markProved' },
          {
            guard: ({ event }) => failedWith(event.output, 'tooMany'),
            target: 'done',
            actions: emit({ type: 'reply', key: 'twofa.tooMany' } as const),
          },
          {
            target: 'askSecondFactor',
            actions: emit(({ event }) => secondFactorReply(event.output, { prompts: false })),
          },
        ],
        onError: { target: 'askSecondFactor', actions: 'internalError' },
      },
      exit: 'forgetAnswer',
    },
    /** After a (re-)proof: back to the code when a message is already out, else ask for the address. */
    afterProof: {
      always: [{ guard: 'hasPending', target: 'askNewCode' }, { target: 'askAddress' }],
    },
    askAddress: {
      tags: [AWAITING_INPUT],
      entry: [
        emit(({ context }) =>
          context.asked.address
            ? { type: 'reply' as const, key: 'email.askAddressAgain' as const, input: 'text' as const }
            : context.summary?.emailMasked
              ? {
                  type: 'reply' as const,
                  key: 'email.askAddressChange' as const,
                  params: { current: context.summary.emailMasked },
                  input: 'text' as const,
                }
              : { type: 'reply' as const, key: 'email.askAddressAdd' as const, input: 'text' as const },
        ),
        assign({ asked: ({ context }) => ({ ...context.asked, address: true }) }),
      ],
      on: { 'user.text': { target: 'checkingAddress', actions: 'takeText' } },
    },
    checkingAddress: {
      invoke: {
        src: 'checkAddress',
        input: ({ context }) => ({ accountId: context.accountId, address: context.answer ?? '' }),
        onDone: [
          {
            guard: ({ event }) => event.output.ok,
            target: 'sendingVerification',
            actions: assign({ newEmail: ({ event }) => (event.output.ok ? event.output.email : null) }),
          },
          {
            guard: ({ event }) => failedWith(event.output, 'tooMany'),
            target: 'done',
            actions: emit({ type: 'reply', key: 'email.tooManyAddresses' } as const),
          },
          {
            target: 'askAddress',
            actions: emit(({ event }) => ({
              type: 'reply' as const,
              key: failedWith(event.output, 'same')
                ? ('email.same' as const)
                : failedWith(event.output, 'taken')
                  ? ('email.taken' as const)
                  : ('email.invalid' as const),
            })),
          },
        ],
        onError: { target: 'askAddress', actions: 'internalError' },
      },
      exit: 'forgetAnswer',
    },
    sendingVerification: {
      invoke: {
        src: 'sendVerification',
        input: ({ context }) => ({
          accountId: context.accountId,
          email: context.newEmail ?? '',
          chat: context.chat,
        }),
        onDone: [
          {
            guard: ({ event }) => event.output.ok,
            target: 'askNewCode',
            actions: assign({
              pending: ({ event }) =>
                event.output.ok ? { to: event.output.to, link: event.output.link } : null,
              justSent: true,
            }),
          },
          {
            // Nothing new went out, but the earlier message for this address still holds.
            guard: 'hasPending',
            target: 'askNewCode',
            actions: emit(({ event }) => codeSendFailedReply(event.output)),
          },
          {
            target: 'askAddress',
            actions: [assign({ newEmail: null }), emit(({ event }) => codeSendFailedReply(event.output))],
          },
        ],
        onError: [
          {
            guard: 'hasPending',
            target: 'askNewCode',
            actions: emit({ type: 'reply', key: 'codes.deliveryFailed' } as const),
          },
          {
            target: 'askAddress',
            actions: [
              assign({ newEmail: null }),
              emit({ type: 'reply', key: 'codes.deliveryFailed' } as const),
            ],
          },
        ],
      },
    },
    askNewCode: {
      tags: [AWAITING_INPUT],
      entry: [
        emit(({ context }) => ({
          type: 'reply' as const,
          key: context.justSent
            ? context.pending?.link
              ? ('email.sent' as const)
              : ('email.sentCodeOnly' as const)
            : context.pending?.link
              ? ('email.askCode' as const)
              : ('email.askCodeOnly' as const),
          params: { to: context.pending?.to ?? '' },
          input: 'secret' as const,
          choices: [
            { value: 'resend', label: 'email.choiceResend' as const },
            { value: 'other', label: 'email.choiceOther' as const },
          ],
        })),
        assign({ justSent: false }),
      ],
      on: {
        'user.text': [
          {
            guard: 'proofIsStale',
            target: 'askPassword',
            actions: [
              assign({ provedAt: null, lastAt: ({ event }) => event.at }),
              emit({ type: 'reply', key: 'email.reauthExpired' } as const),
            ],
          },
          { target: 'checkingNewCode', actions: 'takeText' },
        ],
        'user.choice': [
          {
            guard: ({ event }) => event.value === 'resend',
            target: 'sendingVerification',
            actions: assign({ lastAt: ({ event }) => event.at }),
          },
          {
            guard: ({ event }) => event.value === 'other',
            target: 'askAddress',
            actions: assign({ newEmail: null, pending: null, lastAt: ({ event }) => event.at }),
          },
        ],
      },
    },
    checkingNewCode: {
      invoke: {
        src: 'checkNewCode',
        input: ({ context }) => ({
          accountId: context.accountId,
          email: context.newEmail ?? '',
          code: context.answer ?? '',
        }),
        onDone: [
          { guard: ({ event }) => event.output.ok, target: 'committing' },
          {
            guard: ({ event }) => failedWith(event.output, 'wrong'),
            target: 'askNewCode',
            reenter: true,
            actions: emit(({ event }) => codeCheckReply(event.output, newCodeReplies)),
          },
          {
            guard: ({ event }) => failedWith(event.output, 'format'),
            target: 'askNewCode',
            actions: emit(({ event }) => codeCheckReply(event.output, newCodeReplies)),
          },
          {
            // The code is dead; the link may still work, and "Send a new message" gives both anew.
            target: 'askNewCode',
            reenter: true,
            actions: emit(({ event }) => codeCheckReply(event.output, newCodeReplies)),
          },
        ],
        onError: { target: 'askNewCode', actions: 'internalError' },
      },
      exit: 'forgetAnswer',
    },
    committing: {
      invoke: {
        src: 'commitEmail',
        input: ({ context }) => ({
          accountId: context.accountId,
          email: context.newEmail ?? '',
          channel: context.chat.channel,
        }),
        onDone: [
          {
            guard: ({ event }) => event.output.ok,
            target: 'done',
            actions: emit(({ event, context }) => ({
              type: 'reply' as const,
              key:
                event.output.ok && event.output.replaced
                  ? ('email.changed' as const)
                  : ('email.added' as const),
              params: { email: context.newEmail ?? '' },
            })),
          },
          {
            // Someone else took the address since it was checked.
            target: 'askAddress',
            actions: [
              assign({ newEmail: null, pending: null }),
              emit({ type: 'reply', key: 'email.taken' } as const),
            ],
          },
        ],
        onError: { target: 'askNewCode', actions: 'internalError' },
      },
    },
    done: { type: 'final' },
  },
});

export const changeEmailFlow = {
  id: 'change-email',
  version: 1,
  command: 'email',
  title: 'email.title',
  menuLabel: 'menu.email',
  audience: 'linked',
  privateOnly: true,
  machine: changeEmailMachine,
} as const satisfies FlowDefinition;

/**
 * Change the phone number: prove identity with a code to the current number (or, when that number is lost,
 * to the account's email), then the second factor when the account has 2FA, then the new number and a code
 * sent to it. Nothing changes before the last step.
 */
import { assertEvent, assign, emit, fromPromise, setup } from 'xstate';
import {
  AWAITING_INPUT,
  type AccountSummary,
  type CheckCodeResult,
  type CodeVia,
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
  codeCheckReply,
  codeSendFailedReply,
  codeSentReply,
  failedWith,
  reply,
  secondFactorReply,
} from './outcomes.ts';

/** The code that proves the user is the account owner (to the current number, or to the email). */
export const OLD_PHONE_PURPOSE = 'phone-old';
/** The code that proves the user receives texts at the new number. */
export const NEW_PHONE_PURPOSE = 'phone-new';
/**
 * When the number is lost and the account has no email, the bot cannot verify the user and a support agent
 * must help. The flow then ends with `{ next: SUPPORT_ESCALATION_FLOW_ID }`: once a flow with this id is
 * registered (the support issue), the engine starts it right away; until then nothing more happens.
 */
export const SUPPORT_ESCALATION_FLOW_ID = 'support-escalation';

export type NewPhoneResult =
  | { readonly ok: true; readonly phone: string /** international format */; readonly shown: string }
  /** `unavailable`: used by another account (never said so); `tooMany`: too many numbers tried this hour. */
  | { readonly ok: false; readonly reason: 'invalid' | 'same' | 'unavailable' | 'tooMany' };

export type CommitPhoneResult =
  | { readonly ok: true; readonly notifiedEmail: boolean }
  | { readonly ok: false; readonly reason: 'unavailable' };

interface Context {
  readonly accountId: string;
  readonly channel: FlowInput['chat']['channel'];
  summary: AccountSummary | null;
  /** Where the identity code goes: the current phone, or the email when the phone is lost. */
  via: CodeVia | null;
  codeTo: string | null;
  /** When identity was last proven (ms); the swap needs a proof no older than 5 minutes. */
  provedAt: number | null;
  /** The new number, E.164, and as shown to the user. Not a secret. */
  newPhone: string | null;
  newShown: string | null;
  /** A code to the new number is out and can still be typed. */
  newCodeOut: boolean;
  /** The latest user text, cleared as soon as the effect that needs it has started. */
  secret: string | null;
  lastAt: number;
  needsSupport: boolean;
  asked: { intro: boolean; newPhone: boolean };
}

export const changePhoneMachine = setup({
  types: {
    context: {} as Context,
    input: {} as FlowInput,
    events: {} as FlowEvent,
    emitted: {} as ReplyEvent,
    output: {} as FlowOutput,
  },
  actors: {
    loadAccount: fromPromise<AccountSummary, { accountId: string }>(notProvided('loadAccount')),
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
    checkNewPhone: fromPromise<NewPhoneResult, { accountId: string; text: string }>(
      notProvided('checkNewPhone'),
    ),
    sendNewCode: fromPromise<SendCodeResult, { accountId: string; phone: string }>(
      notProvided('sendNewCode'),
    ),
    checkNewCode: fromPromise<CheckCodeResult, { accountId: string; phone: string; code: string }>(
      notProvided('checkNewCode'),
    ),
    commitPhone: fromPromise<CommitPhoneResult, { accountId: string; phone: string; channel: string }>(
      notProvided('commitPhone'),
    ),
  },
  guards: {
    hasTwoFactor: ({ context }) => context.summary?.twoFactor === true,
    hasEmail: ({ context }) => context.summary?.emailMasked != null,
    proofIsFresh: ({ context }) =>
      context.provedAt !== null && context.lastAt - context.provedAt <= REAUTH_MAX_AGE_MS,
  },
  actions: {
    takeText: assign(({ event }) => {
      assertEvent(event, 'user.text');
      return { secret: event.text, lastAt: event.at };
    }),
    forgetSecret: assign({ secret: null }),
    forgetNewPhone: assign({ newPhone: null, newShown: null, newCodeOut: false }),
    markProved: assign(({ context }) => ({ provedAt: context.lastAt })),
    touch: assign({ lastAt: ({ event }) => event.at }),
    useEmail: assign({ via: 'email' as const, codeTo: null }),
    internalError: emit(reply('common.internalError')),
  },
}).createMachine({
  id: 'change-phone',
  context: ({ input }) => ({
    accountId: input.accountId ?? '',
    channel: input.chat.channel,
    summary: null,
    via: null,
    codeTo: null,
    provedAt: null,
    newPhone: null,
    newShown: null,
    newCodeOut: false,
    secret: null,
    lastAt: input.at,
    needsSupport: false,
    asked: { intro: false, newPhone: false },
  }),
  initial: 'loading',
  output: ({ context }) => (context.needsSupport ? { next: SUPPORT_ESCALATION_FLOW_ID } : {}),
  states: {
    loading: {
      invoke: {
        src: 'loadAccount',
        input: ({ context }) => ({ accountId: context.accountId }),
        onDone: { target: 'intro', actions: assign({ summary: ({ event }) => event.output }) },
        onError: { target: 'done', actions: 'internalError' },
      },
    },
    intro: {
      tags: [AWAITING_INPUT],
      entry: [
        emit(({ context }) => ({
          type: 'reply' as const,
          key: context.asked.intro ? ('phone.introAgain' as const) : ('phone.intro' as const),
          params: { phone: context.summary?.phoneMasked ?? '' },
          input: 'choice' as const,
          choices: [
            {
              value: 'send',
              label: 'phone.choiceSendOld' as const,
              params: { phone: context.summary?.phoneMasked ?? '' },
            },
            { value: 'lost', label: 'phone.choiceLost' as const },
          ],
        })),
        assign({ asked: ({ context }) => ({ ...context.asked, intro: true }) }),
      ],
      on: {
        'user.choice': [
          {
            guard: ({ event }) => event.value === 'send',
            target: 'sendingCode',
            actions: [assign({ via: 'phone' as const }), 'touch'],
          },
          { guard: ({ event }) => event.value === 'lost', target: 'lostPhone', actions: 'touch' },
        ],
      },
    },
    lostPhone: {
      always: [
        {
          guard: 'hasEmail',
          target: 'sendingCode',
          actions: [
            'useEmail',
            emit(({ context }) => ({
              type: 'reply' as const,
              key: 'phone.lostUseEmail' as const,
              params: { email: context.summary?.emailMasked ?? '' },
            })),
          ],
        },
        {
          target: 'done',
          actions: [assign({ needsSupport: true }), emit(reply('phone.needSupport'))],
        },
      ],
    },
    sendingCode: {
      invoke: {
        src: 'sendCode',
        input: ({ context }) => ({
          accountId: context.accountId,
          purpose: OLD_PHONE_PURPOSE,
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
            // A code went to this destination less than a minute ago and still works: wait for it.
            guard: ({ event, context }) => failedWith(event.output, 'cooldown') && context.codeTo !== null,
            target: 'askCode',
            actions: emit(({ event }) => codeSendFailedReply(event.output)),
          },
          {
            // Nothing new was sent; a code already out still works, so stay on it.
            guard: ({ context }) => context.codeTo !== null,
            target: 'askCode',
            actions: emit(({ event }) => codeSendFailedReply(event.output)),
          },
          {
            target: 'intro',
            actions: emit(({ event }) => codeSendFailedReply(event.output)),
          },
        ],
        onError: [
          {
            guard: ({ context }) => context.codeTo !== null,
            target: 'askCode',
            actions: emit(reply('codes.deliveryFailed')),
          },
          { target: 'intro', actions: emit(reply('codes.deliveryFailed')) },
        ],
      },
    },
    askCode: {
      tags: [AWAITING_INPUT],
      entry: emit(({ context }) => ({
        type: 'reply' as const,
        key: 'codes.askCode' as const,
        params: { to: context.codeTo ?? '' },
        input: 'secret' as const,
        choices: [
          { value: 'resend', label: 'codes.choiceResend' as const },
          ...(context.via === 'phone' ? [{ value: 'lost', label: 'phone.choiceLost' as const }] : []),
        ],
      })),
      on: {
        'user.text': { target: 'checkingCode', actions: 'takeText' },
        'user.choice': [
          { guard: ({ event }) => event.value === 'resend', target: 'sendingCode', actions: 'touch' },
          {
            guard: ({ event, context }) => event.value === 'lost' && context.via === 'phone',
            target: 'lostPhone',
            actions: 'touch',
          },
        ],
      },
    },
    checkingCode: {
      invoke: {
        src: 'checkCode',
        input: ({ context }) => ({
          accountId: context.accountId,
          purpose: OLD_PHONE_PURPOSE,
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
            target: 'intro',
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
            actions: emit(reply('twofa.tooMany')),
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
          key: context.asked.newPhone ? ('phone.askNewAgain' as const) : ('phone.askNew' as const),
          input: 'text' as const,
        })),
        assign({ asked: ({ context }) => ({ ...context.asked, newPhone: true }) }),
      ],
      on: { 'user.text': { target: 'checkingNew', actions: 'takeText' } },
    },
    checkingNew: {
      invoke: {
        src: 'checkNewPhone',
        input: ({ context }) => ({ accountId: context.accountId, text: context.secret ?? '' }),
        onDone: [
          {
            guard: ({ event }) => event.output.ok,
            target: 'sendingNewCode',
            actions: assign(({ event }) =>
              event.output.ok
                ? { newPhone: event.output.phone, newShown: event.output.shown, newCodeOut: false }
                : {},
            ),
          },
          {
            guard: ({ event }) => failedWith(event.output, 'tooMany'),
            target: 'done',
            actions: emit(reply('phone.tooManyNumbers')),
          },
          {
            target: 'askNew',
            actions: emit(({ event }) =>
              reply(
                failedWith(event.output, 'same')
                  ? 'phone.same'
                  : failedWith(event.output, 'unavailable')
                    ? 'phone.unavailable'
                    : 'phone.invalid',
              ),
            ),
          },
        ],
        onError: { target: 'askNew', actions: 'internalError' },
      },
      exit: 'forgetSecret',
    },
    sendingNewCode: {
      invoke: {
        src: 'sendNewCode',
        input: ({ context }) => ({ accountId: context.accountId, phone: context.newPhone ?? '' }),
        onDone: [
          {
            guard: ({ event }) => event.output.ok,
            target: 'askNewCode',
            actions: [
              assign({ newCodeOut: true }),
              emit(({ context }) => ({
                type: 'reply' as const,
                key: 'phone.newCodeSent' as const,
                params: { to: context.newShown ?? '' },
              })),
            ],
          },
          {
            // A code went to this number less than a minute ago and still works: wait for it.
            guard: ({ event }) => failedWith(event.output, 'cooldown'),
            target: 'askNewCode',
            actions: [assign({ newCodeOut: true }), emit(({ event }) => codeSendFailedReply(event.output))],
          },
          {
            guard: ({ context }) => context.newCodeOut,
            target: 'askNewCode',
            actions: emit(({ event }) => codeSendFailedReply(event.output)),
          },
          {
            target: 'askNew',
            actions: [
              'forgetNewPhone',
              emit(({ event }) => codeSendFailedReply(event.output, 'phone.newHourlyCap')),
            ],
          },
        ],
        onError: [
          {
            guard: ({ context }) => context.newCodeOut,
            target: 'askNewCode',
            actions: emit(reply('codes.deliveryFailed')),
          },
          { target: 'askNew', actions: ['forgetNewPhone', emit(reply('codes.deliveryFailed'))] },
        ],
      },
    },
    askNewCode: {
      tags: [AWAITING_INPUT],
      entry: emit(({ context }) => ({
        type: 'reply' as const,
        key: 'phone.askNewCode' as const,
        params: { to: context.newShown ?? '' },
        input: 'secret' as const,
        choices: [
          { value: 'resend', label: 'codes.choiceResend' as const },
          { value: 'other', label: 'phone.choiceOtherNumber' as const },
        ],
      })),
      on: {
        'user.text': { target: 'checkingNewCode', actions: 'takeText' },
        'user.choice': [
          { guard: ({ event }) => event.value === 'resend', target: 'sendingNewCode', actions: 'touch' },
          {
            guard: ({ event }) => event.value === 'other',
            target: 'askNew',
            actions: ['forgetNewPhone', 'touch'],
          },
        ],
      },
    },
    checkingNewCode: {
      invoke: {
        src: 'checkNewCode',
        input: ({ context }) => ({
          accountId: context.accountId,
          phone: context.newPhone ?? '',
          code: context.secret ?? '',
        }),
        onDone: [
          { guard: ({ event }) => event.output.ok, target: 'freshness' },
          {
            guard: ({ event }) => failedWith(event.output, 'wrong'),
            target: 'askNewCode',
            reenter: true,
            actions: emit(({ event }) => codeCheckReply(event.output)),
          },
          {
            guard: ({ event }) => failedWith(event.output, 'format'),
            target: 'askNewCode',
            actions: emit(({ event }) => codeCheckReply(event.output)),
          },
          {
            target: 'askNew',
            actions: ['forgetNewPhone', emit(({ event }) => codeCheckReply(event.output))],
          },
        ],
        onError: { target: 'askNewCode', actions: 'internalError' },
      },
      exit: 'forgetSecret',
    },
    freshness: {
      always: [
        { guard: 'proofIsFresh', target: 'committing' },
        {
          target: 'intro',
          actions: [
            'forgetNewPhone',
            assign({ provedAt: null, codeTo: null }),
            emit(reply('phone.reauthExpired')),
          ],
        },
      ],
    },
    committing: {
      invoke: {
        src: 'commitPhone',
        input: ({ context }) => ({
          accountId: context.accountId,
          phone: context.newPhone ?? '',
          channel: context.channel,
        }),
        onDone: [
          {
            guard: ({ event }) => event.output.ok,
            target: 'done',
            actions: emit(({ event, context }) => ({
              type: 'reply' as const,
              key:
                event.output.ok && event.output.notifiedEmail
                  ? ('phone.changed' as const)
                  : ('phone.changedNoEmail' as const),
              params: { phone: context.newShown ?? '' },
            })),
          },
          // Another account took the number in the meantime: same refusal as before, nothing changed.
          { target: 'askNew', actions: ['forgetNewPhone', emit(reply('phone.unavailable'))] },
        ],
        onError: { target: 'askNew', actions: ['forgetNewPhone', 'internalError'] },
      },
    },
    done: { type: 'final' },
  },
});

export const changePhoneFlow = {
  id: 'change-phone',
  version: 1,
  command: 'phone',
  title: 'phone.title',
  menuLabel: 'menu.phone',
  audience: 'linked',
  privateOnly: true,
  machine: changePhoneMachine,
} as const satisfies FlowDefinition;

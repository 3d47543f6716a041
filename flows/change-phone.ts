/**
 * Change the phone number: prove identity with a code to the current number (or, when that number is lost,
 * to the account's email), then the second factor when the account has 2FA, then the new number and a code
 * sent to it. Nothing changes before the last step.
 */
import { assertEvent, assign, emit, fromPromise, setup } from 'xstate';
import { CHECKUP_BEFORE_PHONE, PHONE_TIP_DONE } from './checkup.ts';
import {
  asCodeCheck,
  CODE_FIELD,
  codeCheckReply,
  codeSendFailedReply,
  failedWith,
  PHONE_FIELD,
  reply,
} from './outcomes.ts';
import {
  type AccountSummary,
  AWAITING_INPUT,
  type Channel,
  type CheckCodeResult,
  CODE_PURPOSES,
  type FlowDefinition,
  type FlowEvent,
  type FlowInput,
  type FlowOutput,
  notProvided,
  type ReplyEvent,
  type SendCodeResult,
  type StaleProof,
} from './ports.ts';
import {
  forwardToProof,
  PROVE_ID,
  type ProveInput,
  proofFailedOutput,
  proveIdentityMachine,
} from './steps/prove-identity.ts';

/** The code that proves the user is the account owner (to the current number, or to the email). */
export const OLD_PHONE_PURPOSE = CODE_PURPOSES.phoneOld;
/** The code that proves the user receives texts at the new number. */
export const NEW_PHONE_PURPOSE = CODE_PURPOSES.phoneNew;
/** The purpose of the proof this flow's commit needs. */
export const PROOF_PURPOSE = 'phone';
/**
 * When the number is lost and the account has no email, the bot cannot verify the user and a support agent
 * must help: "I cannot use any of these" ends the flow with `{ escalate: { reason: 'noAccess' } }`, and the
 * engine hands the chat to a person (with this task, its step and the redacted transcript).
 */
export { NO_ACCESS_REASON } from './steps/prove-identity.ts';

export type NewPhoneResult =
  | { readonly ok: true; readonly phone: string /** international format */; readonly shown: string }
  /** `unavailable`: used by another account (never said so); `tooMany`: too many numbers tried this hour. */
  | { readonly ok: false; readonly reason: 'invalid' | 'same' | 'unavailable' | 'tooMany' };

/**
 * The swap: the code typed for the new number is checked, then the proof (`reauth`: too old or not this
 * task's), then the swap (`unavailable`: another account took the number meanwhile).
 */
export type CommitPhoneResult =
  | { readonly ok: true; readonly notifiedEmail: boolean }
  | StaleProof
  | { readonly ok: false; readonly reason: 'unavailable' }
  | Exclude<CheckCodeResult, { readonly ok: true }>;

interface Task {
  readonly accountId: string;
  readonly taskId: string;
}

interface Context extends Task {
  readonly channel: Channel;
  summary: AccountSummary | null;
  /** The proof is asked again (the server refused a stale one): the step words its own prompt. */
  reproving: boolean;
  /** The new number, E.164, and as shown to the user. Not a secret. */
  newPhone: string | null;
  newShown: string | null;
  /** A code to the new number is out and can still be typed. */
  newCodeOut: boolean;
  /** The latest user text, cleared as soon as the effect that needs it has run. */
  secret: string | null;
  lastAt: number;
  /** The new number was asked once: the second time in a shorter form. */
  askedNew: boolean;
  /** The checkup already looked for an email (the help page's tip) before this run. */
  readonly tipShown: boolean;
  ended: FlowOutput;
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
    proveIdentity: proveIdentityMachine,
    /** Whether the account has no email (then the checkup's tip comes before anything is asked). */
    emailMissing: fromPromise<boolean, { accountId: string }>(notProvided('emailMissing')),
    checkNewPhone: fromPromise<NewPhoneResult, { accountId: string; text: string }>(
      notProvided('checkNewPhone'),
    ),
    sendNewCode: fromPromise<SendCodeResult, { accountId: string; phone: string }>(
      notProvided('sendNewCode'),
    ),
    commitPhone: fromPromise<CommitPhoneResult, Task & { phone: string; code: string; channel: Channel }>(
      notProvided('commitPhone'),
    ),
  },
  actions: {
    takeText: assign(({ event }) => {
      assertEvent(event, 'user.text');
      return { secret: event.text, lastAt: event.at };
    }),
    forgetSecret: assign({ secret: null }),
    forgetNewPhone: assign({ newPhone: null, newShown: null, newCodeOut: false }),
    touch: assign({ lastAt: ({ event }) => ('at' in event ? event.at : 0) }),
    internalError: emit(reply('common.internalError')),
  },
}).createMachine({
  id: 'change-phone',
  context: ({ input }) => ({
    accountId: input.accountId ?? '',
    taskId: input.taskId,
    channel: input.chat.channel,
    summary: null,
    reproving: false,
    newPhone: null,
    newShown: null,
    newCodeOut: false,
    secret: null,
    lastAt: input.at,
    askedNew: false,
    tipShown: input.args === PHONE_TIP_DONE,
    ended: {},
  }),
  initial: 'gate',
  output: ({ context }) => context.ended,
  states: {
    /**
     * The help page's tip comes first when the account has no email (the way back in when the old number is
     * lost): the checkup shows it and hands back with PHONE_TIP_DONE, or offers to add one first. With an
     * email the task goes straight on; so it does when the checkup already looked.
     */
    gate: {
      always: [
        { guard: ({ context }) => context.tipShown, target: 'proving' },
        { target: 'lookingForEmail' },
      ],
    },
    lookingForEmail: {
      invoke: {
        src: 'emailMissing',
        input: ({ context }) => ({ accountId: context.accountId }),
        onDone: [
          {
            guard: ({ event }) => event.output,
            target: 'done',
            actions: assign({ ended: CHECKUP_BEFORE_PHONE }),
          },
          { target: 'proving' },
        ],
        // The checkup looks again, and answers a failure as it always has.
        onError: { target: 'done', actions: assign({ ended: CHECKUP_BEFORE_PHONE }) },
      },
    },
    /**
     * A code to the current number, or (the number is lost) to the email; without an email a support
     * agent must help (the step says so, and the flow hands over to support).
     */
    proving: {
      invoke: {
        id: PROVE_ID,
        src: 'proveIdentity',
        input: ({ context }): ProveInput => ({
          accountId: context.accountId,
          channel: context.channel,
          taskId: context.taskId,
          at: context.lastAt,
          purpose: PROOF_PURPOSE,
          ways: ['phone', 'email'],
          secondFactor: 'ifEnabled',
          codePurpose: OLD_PHONE_PURPOSE,
          ...(context.reproving ? {} : { intro: 'phone.intro' as const }),
        }),
        onDone: [
          {
            guard: ({ event }) => event.output.ok,
            target: 'askNew',
            actions: assign({ summary: ({ event }) => (event.output.ok ? event.output.summary : null) }),
          },
          {
            guard: ({ event }) => failedWith(event.output, 'noWay'),
            target: 'done',
            actions: 'internalError',
          },
          { target: 'done', actions: assign({ ended: ({ event }) => proofFailedOutput(event.output) }) },
        ],
        onError: { target: 'done', actions: 'internalError' },
      },
      on: forwardToProof<Context>(),
    },
    askNew: {
      tags: [AWAITING_INPUT],
      entry: [
        emit(({ context }) => ({
          type: 'reply' as const,
          key: context.askedNew ? ('phone.askNewAgain' as const) : ('phone.askNew' as const),
          input: 'text' as const,
          field: PHONE_FIELD,
        })),
        assign({ askedNew: true }),
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
        field: CODE_FIELD,
        choices: [
          { value: 'resend', label: 'codes.choiceResend' as const },
          { value: 'other', label: 'phone.choiceOtherNumber' as const },
        ],
      })),
      on: {
        'user.text': { target: 'committing', actions: 'takeText' },
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
    /** The typed code: the server checks it, then the proof, then swaps. */
    committing: {
      invoke: {
        src: 'commitPhone',
        input: ({ context }) => ({
          accountId: context.accountId,
          taskId: context.taskId,
          phone: context.newPhone ?? '',
          code: context.secret ?? '',
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
          {
            // The proof is too old (or not this task's): prove it again, then the new number again.
            guard: ({ event }) => failedWith(event.output, 'reauth'),
            target: 'proving',
            actions: ['forgetNewPhone', assign({ reproving: true }), emit(reply('phone.reauthExpired'))],
          },
          // Another account took the number in the meantime: same refusal as before, nothing changed.
          {
            guard: ({ event }) => failedWith(event.output, 'unavailable'),
            target: 'askNew',
            actions: ['forgetNewPhone', emit(reply('phone.unavailable'))],
          },
          {
            guard: ({ event }) => failedWith(event.output, 'wrong') || failedWith(event.output, 'format'),
            target: 'askNewCode',
            actions: emit(({ event }) => codeCheckReply(asCodeCheck(event.output))),
          },
          {
            // Expired, used up or gone: the number again.
            target: 'askNew',
            actions: ['forgetNewPhone', emit(({ event }) => codeCheckReply(asCodeCheck(event.output)))],
          },
        ],
        onError: { target: 'askNew', actions: ['forgetNewPhone', 'internalError'] },
      },
      exit: 'forgetSecret',
    },
    done: { type: 'final' },
  },
});

export const changePhoneFlow = {
  id: 'change-phone',
  version: 2,
  command: 'phone',
  title: 'phone.title',
  menuLabel: 'menu.phone',
  audience: 'linked',
  proofPurpose: PROOF_PURPOSE,
  privateOnly: true,
  machine: changePhoneMachine,
} as const satisfies FlowDefinition;

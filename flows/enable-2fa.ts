/**
 * Turn on two-step verification: prove it is you (the prove-identity step: the password, or a one-time
 * code to the phone or email), scan a QR code of a new TOTP secret, type a code from the app, then save
 * 10 recovery codes. Nothing changes before the code from the app matches. When 2FA is already on, the flow offers to turn it off or to make
 * new recovery codes (those are their own flows, started next).
 *
 * The new secret is kept between turns only sealed (encrypted for this account by the `newSecret`
 * effect); recovery codes exist only in the reply that shows them.
 */
import { assertEvent, assign, emit, enqueueActions, fromPromise, setup } from 'xstate';
import { CHECKUP_OFFER } from './checkup.ts';
import { CODE_FIELD, failedWith, reply } from './outcomes.ts';
import {
  type AccountSummary,
  AWAITING_INPUT,
  type Channel,
  COMMITTED,
  type EnableResult,
  type FlowDefinition,
  type FlowEvent,
  type FlowInput,
  type FlowOutput,
  type NewSecretOutput,
  notProvided,
  type ReplyEvent,
  type SetupCodeResult,
  SUPPORT_CHOICE,
} from './ports.ts';

export type { EnableResult, NewSecretOutput, SetupCodeResult } from './ports.ts';

import {
  forwardToProof,
  PROVE_ID,
  type ProveInput,
  proofFailedOutput,
  proveIdentityMachine,
} from './steps/prove-identity.ts';

/** The purpose of the one-time codes that prove identity here. */
export const CODE_PURPOSE = 'twofa-enable';
/** The purpose of the proof turning 2FA on needs. */
export const PROOF_PURPOSE = '2fa-on';

/** Beside the code prompt: the same QR code once more, or what to do without an authenticator app. */
const SETUP_CHOICES = [
  { value: 'showAgain', label: 'twofa.choiceShowAgain' },
  { value: 'noApp', label: 'twofa.choiceNoApp' },
] as const;

/** The key and its QR code. Sensitive: never stored as the remembered prompt, never kept in history. */
function scanReply(output: NewSecretOutput): ReplyEvent {
  return {
    type: 'reply',
    key: 'twofa.scan',
    params: { key: output.key },
    image: { mime: 'image/png', base64: output.png, text: output.uri, alt: 'twofa.qrAlt' },
    sensitive: true,
  };
}

/** A new secret as the flow sees it: `sealed` may be kept; the rest is shown once. */
interface Context {
  readonly accountId: string;
  readonly taskId: string;
  readonly channel: Channel;
  summary: AccountSummary | null;
  /** The proof is asked again (after the server refused a stale one): the step words its own prompt. */
  reproving: boolean;
  /** The secret being set up, sealed for this account; never the secret itself. */
  pendingSealed: string | null;
  /** The time step of the matching set-up code (not a secret). */
  verifiedStep: number | null;
  /** The last set-up code was refused, and the refusal asked for the next one. */
  codeRefused: boolean;
  /** The latest user text, cleared as soon as the effect that needs it has started. */
  secret: string | null;
  lastAt: number;
  /** How the flow ends: the flow to start next (management choices when 2FA is already on), a lock-out. */
  ended: FlowOutput;
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
    proveIdentity: proveIdentityMachine,
    newSecret: fromPromise<NewSecretOutput, { accountId: string }>(notProvided('newSecret')),
    showSecret: fromPromise<NewSecretOutput, { accountId: string; sealed: string }>(
      notProvided('showSecret'),
    ),
    checkSetupCode: fromPromise<SetupCodeResult, { accountId: string; sealed: string; code: string }>(
      notProvided('checkSetupCode'),
    ),
    enable: fromPromise<
      EnableResult,
      { accountId: string; taskId: string; sealed: string; step: number; channel: Channel }
    >(notProvided('enable')),
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
    internalError: emit(reply('common.internalError')),
  },
}).createMachine({
  id: 'enable-2fa',
  context: ({ input }) => ({
    accountId: input.accountId ?? '',
    taskId: input.taskId,
    channel: input.chat.channel,
    summary: null,
    reproving: false,
    pendingSealed: null,
    verifiedStep: null,
    codeRefused: false,
    secret: null,
    lastAt: input.at,
    ended: {},
  }),
  initial: 'loading',
  output: ({ context }) => context.ended,
  states: {
    loading: {
      invoke: {
        src: 'loadAccount',
        input: ({ context }) => ({ accountId: context.accountId }),
        onDone: [
          { guard: ({ event }) => event.output.twoFactor, target: 'alreadyOn' },
          { target: 'proving', actions: assign({ summary: ({ event }) => event.output }) },
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
          // Turning it off needs a code from the app or a recovery code: without either, a person helps.
          { value: SUPPORT_CHOICE, label: 'support.choiceLostApp' },
          { value: 'keep', label: 'twofa.choiceKeep' },
        ],
      } as const),
      on: {
        'user.choice': [
          {
            guard: ({ event }) => event.value === 'off',
            target: 'done',
            actions: [assign({ ended: { next: '2fa-off' } }), emit(reply('twofa.choseOff'))],
          },
          {
            guard: ({ event }) => event.value === 'codes',
            target: 'done',
            actions: [assign({ ended: { next: 'recovery-codes' } }), emit(reply('twofa.choseNewCodes'))],
          },
          {
            guard: ({ event }) => event.value === 'keep',
            target: 'done',
            actions: emit(reply('twofa.kept')),
          },
        ],
      },
    },
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
          ways: ['password', 'phone', 'email'],
          secondFactor: 'never',
          codePurpose: CODE_PURPOSE,
          // A re-proof loads the account again: its lock-out may have changed since.
          ...(context.reproving
            ? {}
            : {
                intro: 'twofa.askPasswordOn' as const,
                ...(context.summary ? { summary: context.summary } : {}),
              }),
        }),
        onDone: [
          // After a renewed proof the app is already set up with the pending secret: no second QR code.
          {
            guard: ({ event, context }) => event.output.ok && context.pendingSealed !== null,
            target: 'askSetupCode',
          },
          { guard: ({ event }) => event.output.ok, target: 'creatingSecret' },
          { target: 'done', actions: assign({ ended: ({ event }) => proofFailedOutput(event.output) }) },
        ],
        onError: { target: 'done', actions: 'internalError' },
      },
      on: forwardToProof<Context>(),
    },
    creatingSecret: {
      invoke: {
        src: 'newSecret',
        input: ({ context }) => ({ accountId: context.accountId }),
        onDone: {
          target: 'askSetupCode',
          actions: [
            assign({ pendingSealed: ({ event }) => event.output.sealed }),
            emit(({ event }) => scanReply(event.output)),
          ],
        },
        onError: { target: 'done', actions: 'internalError' },
      },
    },
    askSetupCode: {
      tags: [AWAITING_INPUT],
      // After a refused code the refusal was the prompt: the question is not asked a second time.
      entry: enqueueActions(({ context, enqueue }) => {
        if (context.codeRefused) {
          enqueue.assign({ codeRefused: false });
          return;
        }
        enqueue.emit({
          type: 'reply',
          key: 'twofa.askSetupCode',
          input: 'secret',
          field: CODE_FIELD,
          choices: SETUP_CHOICES,
        } as const);
      }),
      on: {
        'user.text': { target: 'checkingSetupCode', actions: 'takeText' },
        'user.choice': [
          { guard: ({ event }) => event.value === 'showAgain', target: 'showingSecret' },
          {
            guard: ({ event }) => event.value === 'noApp',
            target: 'done',
            actions: emit(reply('twofa.noApp')),
          },
        ],
      },
    },
    /** The same key and QR code once more (nothing new is made, so an app that already scanned it works). */
    showingSecret: {
      invoke: {
        src: 'showSecret',
        input: ({ context }) => ({ accountId: context.accountId, sealed: context.pendingSealed ?? '' }),
        onDone: { target: 'askSetupCode', actions: emit(({ event }) => scanReply(event.output)) },
        onError: { target: 'askSetupCode', actions: 'internalError' },
      },
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
            guard: ({ event }) => event.output.ok,
            target: 'committing',
            actions: assign({ verifiedStep: ({ event }) => (event.output.ok ? event.output.step : null) }),
          },
          {
            guard: ({ event }) => failedWith(event.output, 'format'),
            target: 'askSetupCode',
            actions: [
              assign({ codeRefused: true }),
              emit({
                type: 'reply',
                key: 'twofa.setupFormat',
                input: 'secret',
                field: CODE_FIELD,
                choices: SETUP_CHOICES,
              } as const),
            ],
          },
          {
            target: 'askSetupCode',
            actions: [
              assign({ codeRefused: true }),
              emit({
                type: 'reply',
                key: 'twofa.setupWrong',
                input: 'secret',
                field: CODE_FIELD,
                choices: SETUP_CHOICES,
              } as const),
            ],
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
          taskId: context.taskId,
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
            // The server holds no fresh proof of this task: prove it again, then a new code from the app.
            guard: ({ event }) => failedWith(event.output, 'reauth'),
            target: 'proving',
            actions: [assign({ reproving: true, verifiedStep: null }), emit(reply('twofa.reauthExpired'))],
          },
          { target: 'done', actions: emit(reply('twofa.enableRaced')) },
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
          // Inside a checkup sitting this goes on down the list; otherwise the checkup offers itself.
          actions: [assign({ ended: CHECKUP_OFFER }), emit(reply('twofa.enabledDone'))],
        },
      },
    },
    done: { type: 'final' },
  },
});

export const enable2faFlow = {
  id: '2fa',
  version: 2,
  command: '2fa',
  title: 'twofa.titleOn',
  menuLabel: 'menu.twofa',
  audience: 'linked',
  proofPurpose: PROOF_PURPOSE,
  privateOnly: true,
  machine: enable2faMachine,
} as const satisfies FlowDefinition;

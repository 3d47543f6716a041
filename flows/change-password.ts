/**
 * Change password: prove it is you (the prove-identity step: the current password, or a one-time code to
 * the phone or email, then the second factor when the account has 2FA), then the new password twice, then
 * the change. Nothing changes before the last step.
 *
 * The new password's hash waits for the repeat on the server, keyed by the task (`checkNewPassword` keeps
 * it, `confirmNewPassword` compares against it, `commitPassword` applies it): the session holds none of it.
 */
import { assertEvent, assign, emit, fromPromise, setup } from 'xstate';
import { NEW_PASSWORD_FIELD, REPEAT_PASSWORD_FIELD, reply } from './outcomes.ts';
import {
  type AccountSummary,
  AWAITING_INPUT,
  type Channel,
  type FlowDefinition,
  type FlowEvent,
  type FlowInput,
  type FlowOutput,
  notProvided,
  type PolicyReason,
  type ReplyEvent,
  type StaleProof,
} from './ports.ts';
import {
  forwardToProof,
  PROVE_ID,
  type ProveInput,
  proofFailedOutput,
  proveIdentityMachine,
} from './steps/prove-identity.ts';

/** The purpose of the one-time codes that prove identity here. */
export const CODE_PURPOSE = 'password-reset';
/** The purpose of the proof this flow's commit needs. */
export const PROOF_PURPOSE = 'password';

/** The new password passed the policy; its hash is kept on the server for this task. */
export type NewPasswordCheck = { readonly ok: true } | { readonly ok: false; readonly reason: PolicyReason };

/**
 * `reauth`: the proof is too old or from another task (ask for it again); `noPending`: no new password is
 * waiting for this task any more (ask for it again).
 */
export type CommitPasswordResult =
  | { readonly ok: true; readonly signedOut: number }
  | StaleProof
  | { readonly ok: false; readonly reason: 'noPending' };

interface Task {
  readonly accountId: string;
  readonly taskId: string;
}

interface Context extends Task {
  readonly channel: Channel;
  summary: AccountSummary | null;
  /** The proof is asked again (after the server refused a stale one): the step words its own prompt. */
  reproving: boolean;
  /** The latest user text, cleared as soon as the effect that needs it has started. */
  secret: string | null;
  lastAt: number;
  /** The new password was asked once: the second time in a shorter form. */
  askedNew: boolean;
  ended: FlowOutput;
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
    proveIdentity: proveIdentityMachine,
    checkNewPassword: fromPromise<NewPasswordCheck, Task & { password: string }>(
      notProvided('checkNewPassword'),
    ),
    confirmNewPassword: fromPromise<boolean, Task & { password: string }>(notProvided('confirmNewPassword')),
    commitPassword: fromPromise<CommitPasswordResult, Task & { channel: Channel }>(
      notProvided('commitPassword'),
    ),
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
  id: 'change-password',
  context: ({ input }) => ({
    accountId: input.accountId ?? '',
    taskId: input.taskId,
    channel: input.chat.channel,
    summary: null,
    reproving: false,
    secret: null,
    lastAt: input.at,
    askedNew: false,
    ended: {},
  }),
  initial: 'proving',
  output: ({ context }) => context.ended,
  states: {
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
          secondFactor: 'ifEnabled',
          codePurpose: CODE_PURPOSE,
          ...(context.reproving ? {} : { intro: 'password.askCurrent' as const }),
        }),
        onDone: [
          {
            guard: ({ event }) => event.output.ok,
            target: 'askNew',
            actions: assign({ summary: ({ event }) => (event.output.ok ? event.output.summary : null) }),
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
          key: context.askedNew ? ('password.askNewAgain' as const) : ('password.askNew' as const),
          input: 'secret' as const,
          field: NEW_PASSWORD_FIELD,
        })),
        assign({ askedNew: true }),
      ],
      on: { 'user.text': { target: 'checkingNew', actions: 'takeText' } },
    },
    checkingNew: {
      invoke: {
        src: 'checkNewPassword',
        input: ({ context }) => ({
          accountId: context.accountId,
          taskId: context.taskId,
          password: context.secret ?? '',
        }),
        onDone: [
          { guard: ({ event }) => event.output.ok, target: 'askRepeat' },
          {
            target: 'askNew',
            actions: emit(({ event }) =>
              reply(event.output.ok ? 'policy.tooShort' : (`policy.${event.output.reason}` as const)),
            ),
          },
        ],
        onError: { target: 'askNew', actions: 'internalError' },
      },
      exit: 'forgetSecret',
    },
    askRepeat: {
      tags: [AWAITING_INPUT],
      entry: emit({
        type: 'reply',
        key: 'password.askRepeat',
        input: 'secret',
        field: REPEAT_PASSWORD_FIELD,
      } as const),
      on: { 'user.text': { target: 'checkingRepeat', actions: 'takeText' } },
    },
    checkingRepeat: {
      invoke: {
        src: 'confirmNewPassword',
        input: ({ context }) => ({
          accountId: context.accountId,
          taskId: context.taskId,
          password: context.secret ?? '',
        }),
        onDone: [
          { guard: ({ event }) => event.output, target: 'committing' },
          { target: 'askNew', actions: emit(reply('password.mismatch')) },
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
          taskId: context.taskId,
          channel: context.channel,
        }),
        onDone: [
          {
            guard: ({ event }) => event.output.ok,
            target: 'done',
            actions: emit(({ event, context }) => ({
              type: 'reply' as const,
              key: context.summary?.emailMasked
                ? ('password.changed' as const)
                : ('password.changedNoEmail' as const),
              params: { signedOut: event.output.ok ? event.output.signedOut : 0 },
            })),
          },
          {
            // The server holds no fresh proof of this task: prove it again, then the new password again.
            guard: ({ event }) => !event.output.ok && event.output.reason === 'reauth',
            target: 'proving',
            actions: [assign({ reproving: true }), emit(reply('password.reauthExpired'))],
          },
          { target: 'askNew', actions: 'internalError' },
        ],
        onError: { target: 'askRepeat', actions: 'internalError' },
      },
    },
    done: { type: 'final' },
  },
});

export const changePasswordFlow = {
  id: 'change-password',
  version: 2,
  command: 'password',
  title: 'password.title',
  menuLabel: 'menu.password',
  audience: 'linked',
  proofPurpose: PROOF_PURPOSE,
  privateOnly: true,
  machine: changePasswordMachine,
} as const satisfies FlowDefinition;

/**
 * The machine shared by the flows that change two-step verification itself (turn it off, new recovery
 * codes): prove it is you with the password and then a code from the authenticator app or a recovery code
 * (the prove-identity step, second factor `always`), then one final effect `commit`. When `commit` gives
 * new recovery codes they are shown once and the user confirms they saved them before the closing reply.
 *
 * @example
 * ```ts
 * const machine = passwordAndCodeMachine({
 *   id: 'disable-2fa',
 *   purpose: '2fa-off',
 *   replies: { notOn: 'twofa.notOn', askPassword: 'twofa.askPasswordOff', done: 'twofa.disabledDone' },
 * });
 * ```
 */
import { assign, emit, fromPromise, setup } from 'xstate';
import { reply } from './outcomes.ts';
import {
  AWAITING_INPUT,
  type Channel,
  COMMITTED,
  type FlowEvent,
  type FlowInput,
  type FlowOutput,
  type MessageKey,
  notProvided,
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

/**
 * The result of the final effect: done, done with new recovery codes to show once, 2FA is not on, or the
 * server holds no fresh proof of this task (`reauth`: the proof is asked again).
 */
export type CommitResult =
  | { readonly ok: true; readonly codes?: readonly string[] }
  | { readonly ok: false; readonly reason: 'notOn' }
  | StaleProof;

export interface PasswordAndCodeOptions {
  readonly id: string;
  /** What the proof is for; the commit's binding checks a fresh proof of this purpose. */
  readonly purpose: string;
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
  readonly taskId: string;
  readonly channel: Channel;
  /** When the task started (ms); the step takes the time of each answer from the answer itself. */
  readonly at: number;
  /** The proof is asked again (after the server refused a stale one): the step words its own prompt. */
  reproving: boolean;
  ended: FlowOutput;
}

export function passwordAndCodeMachine({ id, purpose, replies }: PasswordAndCodeOptions) {
  return setup({
    types: {
      context: {} as Context,
      input: {} as FlowInput,
      events: {} as FlowEvent,
      emitted: {} as ReplyEvent,
      output: {} as FlowOutput,
    },
    actors: {
      proveIdentity: proveIdentityMachine,
      commit: fromPromise<CommitResult, { accountId: string; taskId: string; channel: Channel }>(
        notProvided('commit'),
      ),
    },
    actions: {
      internalError: emit(reply('common.internalError')),
      notOn: emit({ type: 'reply' as const, key: replies.notOn }),
    },
  }).createMachine({
    id,
    context: ({ input }) => ({
      accountId: input.accountId ?? '',
      taskId: input.taskId,
      channel: input.chat.channel,
      at: input.at,
      reproving: false,
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
            at: context.at,
            purpose,
            ways: ['password'],
            secondFactor: 'always',
            ...(context.reproving ? {} : { intro: replies.askPassword }),
          }),
          onDone: [
            { guard: ({ event }) => event.output.ok, target: 'committing' },
            // `noWay`: the account has no two-step verification to ask for.
            {
              guard: ({ event }) => !event.output.ok && event.output.reason === 'noWay',
              target: 'done',
              actions: 'notOn',
            },
            { target: 'done', actions: assign({ ended: ({ event }) => proofFailedOutput(event.output) }) },
          ],
          onError: { target: 'done', actions: 'internalError' },
        },
        on: forwardToProof<Context>(),
      },
      committing: {
        invoke: {
          src: 'commit',
          input: ({ context }) => ({
            accountId: context.accountId,
            taskId: context.taskId,
            channel: context.channel,
          }),
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
            {
              // The server holds no fresh proof of this task: prove it again.
              guard: ({ event }) => !event.output.ok && event.output.reason === 'reauth',
              target: 'proving',
              actions: [assign({ reproving: true }), emit(reply('twofa.reauthExpired'))],
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

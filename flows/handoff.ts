/**
 * A handoff from a support agent: started by a deep link (`/start ho-...`, Telegram's
 * `t.me/<bot>?start=ho-...`, Discord's `/recover code:ho-...`) or `/recover ho-...`. It redeems the code
 * (single use, expiring, bound to one account and one task, attempt-limited per chat), then:
 * - a chat already linked to that account hands on to the task at once (the task proves identity itself,
 *   as always);
 * - a chat not linked yet first proves a channel of that account (a code to its phone or, when the phone
 *   is lost, its email; then the second factor when the account has one: the prove-identity step), is
 *   linked to it, then hands on to the task.
 * The task is started with `returnTo: 'handoff'`, so when it completes the engine starts this flow again
 * with args `resume`: the handoff is then marked completed (or abandoned when the task ended without its
 * change). Nothing here shows the agent a secret: they see statuses only.
 */
import { assign, emit, fromPromise, setup } from 'xstate';
import { failedWith, reply } from './outcomes.ts';
import {
  type ChatIdentity,
  type ChatRef,
  type FlowDefinition,
  type FlowEvent,
  type FlowInput,
  type FlowOutput,
  type LinkChatResult,
  type MessageParam,
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

export const HANDOFF_FLOW_ID = 'handoff';
/** The args the engine starts this flow with when the handed-off task completes. */
export const HANDOFF_RESUME = 'resume';
/** The purpose of the proof (and of its one-time codes) of a chat that is not linked yet. */
export const PROOF_PURPOSE = 'handoff';

export type RedeemHandoffResult =
  | {
      readonly ok: true;
      readonly handoffId: string;
      readonly accountId: string;
      readonly flowId: string;
      /** The task as said in a sentence ("changing your phone number"): its title, rendered by the adapter. */
      readonly task: MessageParam;
    }
  | {
      readonly ok: false;
      readonly reason: 'invalid' | 'used' | 'expired' | 'otherAccount' | 'tooMany';
      readonly minutes?: number;
    };

export type FinishHandoffResult = 'completed' | 'abandoned' | 'none';

interface Context {
  readonly chat: ChatRef;
  readonly userId: string;
  readonly taskId: string;
  readonly args: string;
  readonly linkedAccountId: string | null;
  handoff: { readonly id: string; readonly accountId: string; readonly flowId: string } | null;
  reproving: boolean;
  lastAt: number;
  abandonReason: string;
  ended: FlowOutput;
}

export const handoffMachine = setup({
  types: {
    context: {} as Context,
    input: {} as FlowInput,
    events: {} as FlowEvent,
    emitted: {} as ReplyEvent,
    output: {} as FlowOutput,
  },
  actors: {
    redeemHandoff: fromPromise<
      RedeemHandoffResult,
      { code: string; chat: ChatRef; userId: string; linkedAccountId: string | null }
    >(notProvided('redeemHandoff')),
    proveIdentity: proveIdentityMachine,
    linkChat: fromPromise<
      LinkChatResult | StaleProof,
      { accountId: string; taskId: string; identity: ChatIdentity }
    >(notProvided('linkChat')),
    abandonHandoff: fromPromise<void, { chat: ChatRef; reason: string }>(notProvided('abandonHandoff')),
    finishHandoff: fromPromise<FinishHandoffResult, { chat: ChatRef }>(notProvided('finishHandoff')),
  },
  actions: {
    internalError: emit(reply('common.internalError')),
  },
}).createMachine({
  id: 'handoff',
  context: ({ input }) => ({
    chat: input.chat,
    userId: input.userId,
    taskId: input.taskId,
    args: input.args.trim(),
    linkedAccountId: input.accountId,
    handoff: null,
    reproving: false,
    lastAt: input.at,
    abandonReason: 'proof failed',
    ended: {},
  }),
  initial: 'start',
  output: ({ context }) => context.ended,
  states: {
    start: {
      always: [
        { guard: ({ context }) => context.args === HANDOFF_RESUME, target: 'finishing' },
        { target: 'redeeming' },
      ],
    },
    redeeming: {
      invoke: {
        src: 'redeemHandoff',
        input: ({ context }) => ({
          code: context.args,
          chat: context.chat,
          userId: context.userId,
          linkedAccountId: context.linkedAccountId,
        }),
        onDone: [
          {
            guard: ({ event, context }) =>
              event.output.ok && event.output.accountId === context.linkedAccountId,
            target: 'handingOn',
            actions: [
              assign({
                handoff: ({ event }) =>
                  event.output.ok
                    ? {
                        id: event.output.handoffId,
                        accountId: event.output.accountId,
                        flowId: event.output.flowId,
                      }
                    : null,
              }),
              emit(({ event }) => ({
                type: 'reply' as const,
                key: 'handoff.openedLinked' as const,
                params: { task: event.output.ok ? event.output.task : '' },
              })),
            ],
          },
          {
            guard: ({ event }) => event.output.ok,
            target: 'proving',
            actions: [
              assign({
                handoff: ({ event }) =>
                  event.output.ok
                    ? {
                        id: event.output.handoffId,
                        accountId: event.output.accountId,
                        flowId: event.output.flowId,
                      }
                    : null,
              }),
              emit(({ event }) => ({
                type: 'reply' as const,
                key: 'handoff.opened' as const,
                params: { task: event.output.ok ? event.output.task : '' },
              })),
            ],
          },
          {
            guard: ({ event }) => failedWith(event.output, 'tooMany'),
            target: 'done',
            actions: [
              emit(({ event }) => ({
                type: 'reply' as const,
                key: 'handoff.tooMany' as const,
                params: { minutes: event.output.ok ? 0 : (event.output.minutes ?? 60) },
              })),
              // Guesses typed here are still deleted.
              assign({ ended: { lockedOut: true } }),
            ],
          },
          {
            guard: ({ event }) => failedWith(event.output, 'used'),
            target: 'done',
            actions: emit(reply('handoff.used')),
          },
          {
            guard: ({ event }) => failedWith(event.output, 'expired'),
            target: 'done',
            actions: emit(reply('handoff.expired')),
          },
          {
            guard: ({ event }) => failedWith(event.output, 'otherAccount'),
            target: 'done',
            actions: emit(reply('handoff.otherAccount')),
          },
          { target: 'done', actions: emit(reply('handoff.invalid')) },
        ],
        onError: { target: 'done', actions: 'internalError' },
      },
    },
    /** A chat that is not linked yet proves a channel of the handoff's account. */
    proving: {
      invoke: {
        id: PROVE_ID,
        src: 'proveIdentity',
        input: ({ context }): ProveInput => ({
          accountId: context.handoff?.accountId ?? '',
          channel: context.chat.channel,
          taskId: context.taskId,
          at: context.lastAt,
          purpose: PROOF_PURPOSE,
          ways: ['phone', 'email'],
          secondFactor: 'ifEnabled',
          codePurpose: PROOF_PURPOSE,
          ...(context.reproving ? {} : { intro: 'handoff.pickDestination' as const }),
        }),
        onDone: [
          { guard: ({ event }) => event.output.ok, target: 'linking' },
          {
            guard: ({ event }) => failedWith(event.output, 'noWay'),
            target: 'abandoning',
            actions: ['internalError', assign({ abandonReason: 'no way to prove it' })],
          },
          {
            target: 'abandoning',
            actions: assign({
              ended: ({ event }) => proofFailedOutput(event.output),
              abandonReason: ({ event }) =>
                failedWith(event.output, 'needsSupport') ? 'handed to a person' : 'proof failed',
            }),
          },
        ],
        onError: { target: 'abandoning', actions: 'internalError' },
      },
      on: forwardToProof<Context>(),
    },
    linking: {
      invoke: {
        src: 'linkChat',
        input: ({ context }) => ({
          accountId: context.handoff?.accountId ?? '',
          taskId: context.taskId,
          identity: { channel: context.chat.channel, userId: context.userId },
        }),
        onDone: [
          {
            guard: ({ event }) => event.output.ok,
            target: 'handingOn',
            actions: emit(reply('handoff.linked')),
          },
          {
            guard: ({ event }) => failedWith(event.output, 'reauth'),
            target: 'proving',
            actions: [assign({ reproving: true }), emit(reply('prove.reauthExpired'))],
          },
          {
            guard: ({ event }) => failedWith(event.output, 'linkedElsewhere'),
            target: 'abandoning',
            actions: [emit(reply('link.alreadyLinked')), assign({ abandonReason: 'chat linked elsewhere' })],
          },
          { target: 'abandoning', actions: ['internalError', assign({ abandonReason: 'could not link' })] },
        ],
        onError: {
          target: 'abandoning',
          actions: ['internalError', assign({ abandonReason: 'could not link' })],
        },
      },
    },
    abandoning: {
      invoke: {
        src: 'abandonHandoff',
        input: ({ context }) => ({ chat: context.chat, reason: context.abandonReason }),
        onDone: { target: 'done' },
        onError: { target: 'done' },
      },
    },
    handingOn: {
      always: {
        target: 'done',
        actions: assign({
          ended: ({ context }) => ({ next: context.handoff?.flowId ?? '', returnTo: HANDOFF_FLOW_ID }),
        }),
      },
    },
    /** The handed-off task came back: the handoff is completed (or abandoned without its change). */
    finishing: {
      invoke: {
        src: 'finishHandoff',
        input: ({ context }) => ({ chat: context.chat }),
        onDone: [
          {
            guard: ({ event }) => event.output === 'completed',
            target: 'done',
            actions: emit(reply('handoff.completed')),
          },
          { target: 'done' },
        ],
        onError: { target: 'done' },
      },
    },
    done: { type: 'final' },
  },
});

export const handoffFlow = {
  id: HANDOFF_FLOW_ID,
  version: 1,
  command: 'recover',
  title: 'handoff.title',
  audience: 'any',
  proofPurpose: PROOF_PURPOSE,
  privateOnly: true,
  machine: handoffMachine,
} as const satisfies FlowDefinition;

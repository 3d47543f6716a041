/**
 * Link an account: a chat that is not linked yet proves it owns an account with a one-time code sent to the
 * account's phone or email (then the second factor when the account has 2FA: the prove-identity step with
 * `secondFactor: 'only'`), and this chat identity is linked to it. The answers never depend on whether an account uses what was typed, so nobody can find out
 * which numbers or addresses are registered.
 */
import { assertEvent, assign, emit, fromPromise, setup } from 'xstate';
import { CHECKUP_OFFER } from './checkup.ts';
import {
  CODE_FIELD,
  codeCheckReply,
  codeSendFailedReply,
  codeSentReply,
  failedWith,
  reply,
} from './outcomes.ts';
import {
  AWAITING_INPUT,
  type ChatIdentity,
  CODE_PURPOSES,
  type DestinationResult,
  FIELD_MAX,
  type FlowDefinition,
  type FlowEvent,
  type FlowInput,
  type FlowOutput,
  type LinkChatResult,
  type LinkCheckResult,
  type LinkDestination,
  type LinkSendResult,
  notProvided,
  type PromptField,
  type ReplyEvent,
} from './ports.ts';
import {
  forwardToProof,
  PROVE_ID,
  type ProveInput,
  proofFailedOutput,
  proveIdentityMachine,
} from './steps/prove-identity.ts';

export type {
  ChatIdentity,
  DestinationResult,
  LinkChatResult,
  LinkCheckResult,
  LinkDestination,
  LinkSendResult,
} from './ports.ts';

export const LINK_CODE_PURPOSE = CODE_PURPOSES.link;
/** The purpose of the second-factor proof recorded for this task. */
export const PROOF_PURPOSE = 'link';

/** The field of the "phone number or email address" prompt. */
const DESTINATION_FIELD: PromptField = { label: 'link.field', maxLength: FIELD_MAX.email };

interface Context {
  readonly identity: ChatIdentity;
  readonly taskId: string;
  /** The chat was already linked when the flow started (the engine lets anybody start it by command). */
  readonly alreadyLinked: boolean;
  destination: LinkDestination | null;
  /** How the destination is shown back ("If an account uses +86 139 0013 9000, ..."). */
  shownAs: string | null;
  /** A code was sent (or pretended to be sent) for the current destination and can still be typed. */
  codeOut: boolean;
  /** Known only once the code proved it; never derived from the destination before that. */
  accountId: string | null;
  twoFactor: boolean;
  /** The latest user text, cleared as soon as the effect that needs it has started. */
  secret: string | null;
  lastAt: number;
  askedDestination: boolean;
  ended: FlowOutput;
}

export const linkAccountMachine = setup({
  types: {
    context: {} as Context,
    input: {} as FlowInput,
    events: {} as FlowEvent,
    emitted: {} as ReplyEvent,
    output: {} as FlowOutput,
  },
  actors: {
    checkDestination: fromPromise<DestinationResult, { text: string }>(notProvided('checkDestination')),
    requestCode: fromPromise<LinkSendResult, { identity: ChatIdentity; destination: LinkDestination }>(
      notProvided('requestCode'),
    ),
    checkCode: fromPromise<
      LinkCheckResult,
      { identity: ChatIdentity; destination: LinkDestination; code: string }
    >(notProvided('checkCode')),
    proveIdentity: proveIdentityMachine,
    linkChat: fromPromise<LinkChatResult, { accountId: string; identity: ChatIdentity }>(
      notProvided('linkChat'),
    ),
  },
  guards: {
    hasTwoFactor: ({ context }) => context.twoFactor,
  },
  actions: {
    takeText: assign(({ event }) => {
      assertEvent(event, 'user.text');
      return { secret: event.text, lastAt: event.at };
    }),
    forgetSecret: assign({ secret: null }),
    forgetDestination: assign({ destination: null, shownAs: null, codeOut: false }),
    internalError: emit(reply('common.internalError')),
    tooMany: emit(reply('link.tooMany')),
  },
}).createMachine({
  id: 'link-account',
  context: ({ input }) => ({
    identity: { channel: input.chat.channel, userId: input.userId },
    taskId: input.taskId,
    alreadyLinked: input.accountId !== null,
    destination: null,
    shownAs: null,
    codeOut: false,
    accountId: null,
    twoFactor: false,
    secret: null,
    lastAt: input.at,
    askedDestination: false,
    ended: {},
  }),
  initial: 'start',
  output: ({ context }) => context.ended,
  states: {
    start: {
      always: [
        {
          guard: ({ context }) => context.alreadyLinked,
          target: 'done',
          actions: emit(reply('link.alreadyLinked')),
        },
        { target: 'askDestination' },
      ],
    },
    askDestination: {
      tags: [AWAITING_INPUT],
      entry: [
        emit(({ context }) => ({
          type: 'reply' as const,
          key: context.askedDestination
            ? ('link.askDestinationAgain' as const)
            : ('link.askDestination' as const),
          input: 'text' as const,
          field: DESTINATION_FIELD,
        })),
        assign({ askedDestination: true }),
      ],
      on: { 'user.text': { target: 'checkingDestination', actions: 'takeText' } },
    },
    checkingDestination: {
      invoke: {
        src: 'checkDestination',
        input: ({ context }) => ({ text: context.secret ?? '' }),
        onDone: [
          {
            guard: ({ event }) => event.output.ok,
            target: 'sendingCode',
            actions: assign({
              destination: ({ event }) => (event.output.ok ? event.output.destination : null),
              shownAs: null,
              codeOut: false,
            }),
          },
          {
            target: 'askDestination',
            actions: emit(({ event }) =>
              reply(
                failedWith(event.output, 'needCountryCode') ? 'link.needCountryCode' : 'link.badDestination',
              ),
            ),
          },
        ],
        onError: { target: 'askDestination', actions: 'internalError' },
      },
      exit: 'forgetSecret',
    },
    sendingCode: {
      invoke: {
        src: 'requestCode',
        input: ({ context }) => ({
          identity: context.identity,
          destination: context.destination ?? { kind: 'phone', value: '' },
        }),
        onDone: [
          {
            guard: ({ event }) => event.output.ok,
            target: 'askCode',
            actions: [
              assign({
                shownAs: ({ event }) => (event.output.ok ? event.output.to : null),
                codeOut: true,
              }),
              emit(({ event }) => codeSentReply(event.output, 'link.codeSent')),
            ],
          },
          {
            guard: ({ event }) => failedWith(event.output, 'tooMany'),
            target: 'done',
            actions: 'tooMany',
          },
          {
            // A code went to this destination less than a minute ago and still works: wait for it.
            guard: ({ event }) => failedWith(event.output, 'cooldown'),
            target: 'askCode',
            actions: [assign({ codeOut: true }), emit(({ event }) => codeSendFailedReply(event.output))],
          },
          {
            // Nothing new was sent: stay where we were (the code already out, if any, still works).
            guard: ({ context }) => context.codeOut,
            target: 'askCode',
            actions: emit(({ event }) => codeSendFailedReply(event.output)),
          },
          {
            target: 'askDestination',
            actions: ['forgetDestination', emit(({ event }) => codeSendFailedReply(event.output))],
          },
        ],
        onError: [
          {
            guard: ({ context }) => context.codeOut,
            target: 'askCode',
            actions: emit(reply('codes.deliveryFailed')),
          },
          {
            target: 'askDestination',
            actions: ['forgetDestination', emit(reply('codes.deliveryFailed'))],
          },
        ],
      },
    },
    askCode: {
      tags: [AWAITING_INPUT],
      entry: emit(({ context }) => ({
        type: 'reply' as const,
        key: 'link.askCode' as const,
        params: { to: context.shownAs ?? '' },
        input: 'secret' as const,
        field: CODE_FIELD,
        choices: [
          { value: 'resend', label: 'codes.choiceResend' as const },
          { value: 'other', label: 'link.choiceOther' as const },
        ],
      })),
      on: {
        'user.text': { target: 'checkingCode', actions: 'takeText' },
        'user.choice': [
          {
            guard: ({ event }) => event.value === 'resend',
            target: 'sendingCode',
            actions: assign({ lastAt: ({ event }) => event.at }),
          },
          {
            guard: ({ event }) => event.value === 'other',
            target: 'askDestination',
            actions: ['forgetDestination', assign({ lastAt: ({ event }) => event.at })],
          },
        ],
      },
    },
    checkingCode: {
      invoke: {
        src: 'checkCode',
        input: ({ context }) => ({
          identity: context.identity,
          destination: context.destination ?? { kind: 'phone', value: '' },
          code: context.secret ?? '',
        }),
        onDone: [
          {
            guard: ({ event }) => event.output.ok,
            target: 'proved',
            actions: assign(({ event }) =>
              event.output.ok ? { accountId: event.output.accountId, twoFactor: event.output.twoFactor } : {},
            ),
          },
          {
            guard: ({ event }) => failedWith(event.output, 'tooMany'),
            target: 'done',
            actions: 'tooMany',
          },
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
            target: 'askDestination',
            actions: ['forgetDestination', emit(({ event }) => codeCheckReply(event.output))],
          },
        ],
        onError: { target: 'askCode', actions: 'internalError' },
      },
      exit: 'forgetSecret',
    },
    proved: {
      always: [{ guard: 'hasTwoFactor', target: 'provingSecondFactor' }, { target: 'linking' }],
    },
    /** The code proved the first factor; the step asks only for the app code or a recovery code. */
    provingSecondFactor: {
      invoke: {
        id: PROVE_ID,
        src: 'proveIdentity',
        input: ({ context }): ProveInput => ({
          accountId: context.accountId ?? '',
          channel: context.identity.channel,
          taskId: context.taskId,
          at: context.lastAt,
          purpose: PROOF_PURPOSE,
          ways: [context.destination?.kind ?? 'phone'],
          secondFactor: 'only',
        }),
        onDone: [
          { guard: ({ event }) => event.output.ok, target: 'linking' },
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
    linking: {
      invoke: {
        src: 'linkChat',
        input: ({ context }) => ({ accountId: context.accountId ?? '', identity: context.identity }),
        onDone: [
          {
            guard: ({ event }) => event.output.ok,
            target: 'done',
            // A new link is a good moment for the checkup: it offers itself when there is something to fix.
            actions: [assign({ ended: CHECKUP_OFFER }), emit(reply('link.done'))],
          },
          {
            guard: ({ event }) => failedWith(event.output, 'linkedElsewhere'),
            target: 'done',
            actions: emit(reply('link.alreadyLinked')),
          },
          { target: 'done', actions: 'internalError' },
        ],
        // The code is spent, so there is nothing to retry in place: the user starts again with /link.
        onError: { target: 'done', actions: 'internalError' },
      },
    },
    done: { type: 'final' },
  },
});

export const linkAccountFlow = {
  id: 'link-account',
  version: 2,
  command: 'link',
  title: 'link.title',
  menuLabel: 'menu.link',
  audience: 'unlinked',
  proofPurpose: PROOF_PURPOSE,
  privateOnly: true,
  machine: linkAccountMachine,
} as const satisfies FlowDefinition;

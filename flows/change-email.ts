/**
 * Add or change the email: prove it is you (the prove-identity step: the current password, or a one-time
 * code to the phone, then the second factor when the account has 2FA), then the new address. A message to
 * that address holds a one-time link and a 6-digit code; either one completes the change, within this
 * task only. The link is confirmed outside the chat, so its use reaches this task as the
 * `email.linkConfirmed` signal (bound to the task id, with the link's token); the task then commits it
 * like the code, and the server checks that the proof is still fresh. Nothing changes before that.
 */
import { assertEvent, assign, emit, fromPromise, setup } from 'xstate';
import type { CodeCheckReplies } from './outcomes.ts';
import {
  asCodeCheck,
  CODE_FIELD,
  codeCheckReply,
  codeSendFailedReply,
  EMAIL_FIELD,
  failedWith,
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
  SIGNALS,
  type StaleProof,
} from './ports.ts';
import {
  forwardToProof,
  PROVE_ID,
  type ProveInput,
  proofFailedOutput,
  proveIdentityMachine,
} from './steps/prove-identity.ts';

/** Purpose of the re-authentication code sent to the phone. */
export const REAUTH_CODE_PURPOSE = CODE_PURPOSES.emailReauth;
/** The purpose of the proof this flow's commits need. */
export const PROOF_PURPOSE = 'email';

export type CheckAddressResult =
  | { readonly ok: true; readonly email: string }
  | { readonly ok: false; readonly reason: 'invalid' | 'same' | 'taken' | 'tooMany' };

/** `link` is false when no public URL is configured and the message holds only the code. */
export type SendVerificationResult =
  | { readonly ok: true; readonly to: string; readonly link: boolean }
  | Exclude<SendCodeResult, { readonly ok: true }>;

/**
 * The code path's commit: the proof is checked first (a stale one leaves the code unspent), then the
 * code, then the change (`taken`: another account took the address since it was checked).
 */
export type CommitEmailResult =
  | { readonly ok: true; readonly replaced: boolean }
  | StaleProof
  | { readonly ok: false; readonly reason: 'taken' }
  | Exclude<CheckCodeResult, { readonly ok: true }>;

/**
 * The link path's commit: the proof is checked first (a stale one leaves the link unspent), then the
 * token is spent (`used`, `expired`, `invalid`: it cannot be), then the change.
 */
export type CommitLinkResult =
  | { readonly ok: true; readonly replaced: boolean }
  | StaleProof
  | { readonly ok: false; readonly reason: 'taken' | 'used' | 'expired' | 'invalid' };

type Chat = FlowInput['chat'];

interface Task {
  readonly accountId: string;
  readonly taskId: string;
}

interface Context extends Task {
  /** Where the link's use is announced; stored with the link by the verification service. */
  readonly chat: Chat;
  summary: AccountSummary | null;
  /** The proof is asked again (the server refused a stale one): the step words its own prompt. */
  reproving: boolean;
  /** The normalised new address once it passed the checks (not a secret). */
  newEmail: string | null;
  /** A verification message is out for `newEmail`; `link` tells whether it holds a link. */
  pending: { readonly to: string; readonly link: boolean } | null;
  /** The next code prompt follows a fresh send and says so. */
  justSent: boolean;
  /** The latest user text (code or address), cleared as soon as the effect that needs it ran. */
  answer: string | null;
  /** The confirmed link's token, only while the commit that spends it runs. */
  linkToken: string | null;
  lastAt: number;
  /** The address was asked once: the second time in a shorter form. */
  askedAddress: boolean;
  ended: FlowOutput;
}

/** Code replies of this flow: "not a code" is no new prompt, and dead codes say how to get a new one. */
const newCodeReplies: CodeCheckReplies = {
  formatPrompts: false,
  dead: { expired: 'email.codeExpired', exhausted: 'email.codeExhausted', missing: 'email.codeMissing' },
};

const isLinkConfirmed = (event: FlowEvent): boolean =>
  event.type === 'signal' && event.name === SIGNALS.emailLinkConfirmed && Boolean(event.data?.token);

export const changeEmailMachine = setup({
  types: {
    context: {} as Context,
    input: {} as FlowInput,
    events: {} as FlowEvent,
    emitted: {} as ReplyEvent,
    output: {} as FlowOutput,
  },
  actors: {
    proveIdentity: proveIdentityMachine,
    checkAddress: fromPromise<CheckAddressResult, { accountId: string; address: string }>(
      notProvided('checkAddress'),
    ),
    sendVerification: fromPromise<SendVerificationResult, Task & { email: string; chat: Chat }>(
      notProvided('sendVerification'),
    ),
    commitEmail: fromPromise<CommitEmailResult, Task & { email: string; code: string; channel: Channel }>(
      notProvided('commitEmail'),
    ),
    commitLink: fromPromise<CommitLinkResult, Task & { token: string }>(notProvided('commitLink')),
  },
  guards: {
    hasPending: ({ context }) => context.pending !== null,
  },
  actions: {
    takeText: assign(({ event }) => {
      assertEvent(event, 'user.text');
      return { answer: event.text, lastAt: event.at };
    }),
    touch: assign({ lastAt: ({ event }) => ('at' in event ? event.at : 0) }),
    forgetAnswer: assign({ answer: null }),
    forgetAddress: assign({ newEmail: null, pending: null }),
    reprove: assign({ reproving: true }),
    internalError: emit(reply('common.internalError')),
  },
}).createMachine({
  id: 'change-email',
  context: ({ input }) => ({
    accountId: input.accountId ?? '',
    taskId: input.taskId,
    chat: input.chat,
    summary: null,
    reproving: false,
    newEmail: null,
    pending: null,
    justSent: false,
    answer: null,
    linkToken: null,
    lastAt: input.at,
    askedAddress: false,
    ended: {},
  }),
  initial: 'proving',
  output: ({ context }) => context.ended,
  on: {
    // The link was confirmed on the web page (possibly while the user is elsewhere in the flow).
    signal: {
      guard: ({ event }) => isLinkConfirmed(event),
      target: '.committingLink',
      actions: assign(({ event }) => ({
        linkToken: event.type === 'signal' ? (event.data?.token ?? null) : null,
        lastAt: event.at,
      })),
    },
  },
  states: {
    proving: {
      invoke: {
        id: PROVE_ID,
        src: 'proveIdentity',
        input: ({ context }): ProveInput => ({
          accountId: context.accountId,
          channel: context.chat.channel,
          taskId: context.taskId,
          at: context.lastAt,
          purpose: PROOF_PURPOSE,
          ways: ['password', 'phone'],
          secondFactor: 'ifEnabled',
          codePurpose: REAUTH_CODE_PURPOSE,
          ...(context.reproving ? {} : { intro: 'email.askPassword' as const }),
        }),
        onDone: [
          {
            guard: ({ event }) => event.output.ok,
            target: 'afterProof',
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
    /** After a (re-)proof: back to the code when a message is already out, else ask for the address. */
    afterProof: {
      always: [{ guard: 'hasPending', target: 'askNewCode' }, { target: 'askAddress' }],
    },
    askAddress: {
      tags: [AWAITING_INPUT],
      entry: [
        emit(({ context }) => {
          const ask = { type: 'reply', input: 'text', field: EMAIL_FIELD } as const;
          if (context.askedAddress) return { ...ask, key: 'email.askAddressAgain' as const };
          return context.summary?.emailMasked
            ? {
                ...ask,
                key: 'email.askAddressChange' as const,
                params: { current: context.summary.emailMasked },
              }
            : { ...ask, key: 'email.askAddressAdd' as const };
        }),
        assign({ askedAddress: true }),
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
            actions: emit(reply('email.tooManyAddresses')),
          },
          {
            target: 'askAddress',
            actions: emit(({ event }) =>
              reply(
                failedWith(event.output, 'same')
                  ? 'email.same'
                  : failedWith(event.output, 'taken')
                    ? 'email.taken'
                    : 'email.invalid',
              ),
            ),
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
          taskId: context.taskId,
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
            actions: ['forgetAddress', emit(({ event }) => codeSendFailedReply(event.output))],
          },
        ],
        onError: [
          { guard: 'hasPending', target: 'askNewCode', actions: emit(reply('codes.deliveryFailed')) },
          { target: 'askAddress', actions: ['forgetAddress', emit(reply('codes.deliveryFailed'))] },
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
          field: CODE_FIELD,
          choices: [
            { value: 'resend', label: 'email.choiceResend' as const },
            { value: 'other', label: 'email.choiceOther' as const },
          ],
        })),
        assign({ justSent: false }),
      ],
      on: {
        'user.text': { target: 'committing', actions: 'takeText' },
        'user.choice': [
          { guard: ({ event }) => event.value === 'resend', target: 'sendingVerification', actions: 'touch' },
          {
            guard: ({ event }) => event.value === 'other',
            target: 'askAddress',
            actions: ['forgetAddress', 'touch'],
          },
        ],
      },
    },
    /** The typed code: the server checks the proof, then the code, then makes the change. */
    committing: {
      invoke: {
        src: 'commitEmail',
        input: ({ context }) => ({
          accountId: context.accountId,
          taskId: context.taskId,
          email: context.newEmail ?? '',
          code: context.answer ?? '',
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
            // The proof is too old: prove it again; the message (and the unspent code) stays valid.
            guard: ({ event }) => failedWith(event.output, 'reauth'),
            target: 'proving',
            actions: ['reprove', emit(reply('email.reauthExpired'))],
          },
          {
            // Someone else took the address since it was checked.
            guard: ({ event }) => failedWith(event.output, 'taken'),
            target: 'askAddress',
            actions: ['forgetAddress', emit(reply('email.taken'))],
          },
          {
            // Wrong, not a code, or dead (the link may still work; "Send a new message" gives both anew).
            target: 'askNewCode',
            actions: emit(({ event }) => codeCheckReply(asCodeCheck(event.output), newCodeReplies)),
          },
        ],
        onError: { target: 'askNewCode', actions: 'internalError' },
      },
      exit: 'forgetAnswer',
    },
    /** The link was confirmed: the server checks the proof, spends the token and makes the change. */
    committingLink: {
      invoke: {
        src: 'commitLink',
        input: ({ context }) => ({
          accountId: context.accountId,
          taskId: context.taskId,
          token: context.linkToken ?? '',
        }),
        onDone: [
          { guard: ({ event }) => event.output.ok, target: 'done', actions: emit(reply('email.verified')) },
          {
            // The proof is too old: prove it again, then the same link (or the code) completes the change.
            guard: ({ event }) => failedWith(event.output, 'reauth'),
            target: 'proving',
            actions: ['reprove', emit(reply('email.linkReauth'))],
          },
          {
            guard: ({ event }) => failedWith(event.output, 'taken'),
            target: 'done',
            actions: emit(reply('email.linkTaken')),
          },
          // The link cannot be used (any more): carry on with the code, or the address after "other".
          { target: 'afterProof', actions: emit(reply('email.linkDead')) },
        ],
        onError: { target: 'afterProof', actions: 'internalError' },
      },
      exit: assign({ linkToken: null }),
    },
    done: { type: 'final' },
  },
});

export const changeEmailFlow = {
  id: 'change-email',
  version: 2,
  command: 'email',
  title: 'email.title',
  menuLabel: 'menu.email',
  audience: 'linked',
  proofPurpose: PROOF_PURPOSE,
  privateOnly: true,
  machine: changeEmailMachine,
} as const satisfies FlowDefinition;

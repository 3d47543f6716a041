/**
 * "Prove it is you": the one step every task that needs a proof invokes as a child machine. It holds the
 * whole sequence: the account summary, the current password (with the account's lock-out and an "I forgot
 * my password" way out), a one-time code to the phone or the email (cool-down, hourly cap, failed delivery,
 * resend; wrong, malformed, expired, used-up or missing codes), then the second factor (a code from the
 * authenticator app or a recovery code). A success is recorded on the server (`recordProof`), where every
 * commit checks it; the step then finishes with how the user proved it.
 *
 * Dead ends are not dead ends: a locked password step says when it opens again and offers a code when
 * `ways` allows one; "I cannot use any of these" ends with `needsSupport` (the parent escalates to a person).
 *
 * Secrets: a typed password or code is in the context only while the effect that checks it runs (cleared
 * when that state exits), never in the output.
 *
 * @example
 * ```ts
 * // in a parent's setup: actors: { proveIdentity: proveIdentityMachine, ... }
 * proving: {
 *   invoke: {
 *     id: PROVE_ID,
 *     src: 'proveIdentity',
 *     input: ({ context }) => ({
 *       accountId: context.accountId, channel: context.channel, taskId: context.taskId, at: context.lastAt,
 *       purpose: 'password', ways: ['password', 'phone', 'email'], secondFactor: 'ifEnabled',
 *       codePurpose: 'password-reset', intro: 'password.askCurrent',
 *     }),
 *     onDone: [
 *       { guard: ({ event }) => event.output.ok, target: 'askNew' },
 *       { target: 'done', actions: assign({ ended: ({ event }) => proofFailedOutput(event.output) }) },
 *     ],
 *   },
 *   on: forwardToProof<Context>(),
 * },
 * ```
 */
import {
  type AnyActorRef,
  assertEvent,
  assign,
  emit,
  fromPromise,
  type MachineContext,
  sendTo,
  setup,
} from 'xstate';
import {
  askCodePrompt,
  codeCheckReply,
  codeDestinationChoices,
  codeSendFailedReply,
  codeSentReply,
  failedWith,
  lockedMinutes,
  PASSWORD_FIELD,
  reply,
  SECOND_FACTOR_FIELD,
  secondFactorReply,
  wrongPasswordReply,
} from '../outcomes.ts';
import {
  type AccountSummary,
  AWAITING_INPUT,
  type Channel,
  type CheckCodeResult,
  type CheckPasswordResult,
  type Choice,
  CODE_PURPOSES,
  type CodeVia,
  type FlowEvent,
  type FlowOutput,
  type MessageKey,
  notProvided,
  type ProofVia,
  type ProofWay,
  REAUTH_MAX_AGE_MS,
  type ReplyEvent,
  type SecondFactorResult,
  type SendCodeResult,
  SUPPORT_CHOICE,
} from '../ports.ts';

/** The id a parent gives the invocation, so it can forward the user's events to it. */
export const PROVE_ID = 'prove';

/** On the second-factor prompt: no app and no recovery code left; the engine escalates to a person. */
export const LOST_APP_CHOICE = { value: SUPPORT_CHOICE, label: 'support.choiceLostApp' } as const;

/** On a lock-out that ends the task: a button to ask for a person (the engine escalates on it). */
export const TALK_TO_SUPPORT = {
  input: 'choice',
  choices: [{ value: SUPPORT_CHOICE, label: 'support.choiceTalk' }],
} as const;

/**
 * When the user has no way left to prove it is them (no access to any destination), a support agent must
 * help: a parent then ends with `{ escalate: { reason: NO_ACCESS_REASON } }` and the engine hands the
 * conversation to a person (the escalation desk), with the task, its step and the redacted transcript.
 */
export const NO_ACCESS_REASON = 'noAccess';

/**
 * When the second factor is asked:
 * - `ifEnabled`: after the first factor, when the account has two-step verification;
 * - `always`: after the first factor; an account without two-step verification has `noWay`;
 * - `only`: no first factor (the parent proved it itself, `ways[0]` names how), just the second factor;
 *   an account without two-step verification has `noWay`;
 * - `never`: not at all.
 */
export type SecondFactorMode = 'ifEnabled' | 'always' | 'only' | 'never';

export interface ProveInput {
  readonly accountId: string;
  readonly channel: Channel;
  /** The parent's task; the proof is recorded for it and no other. */
  readonly taskId: string;
  /** The engine clock when the step starts (ms). */
  readonly at: number;
  /** What the proof is for ('password', 'phone', ...); a commit checks a proof of its own purpose. */
  readonly purpose: string;
  /** The ways the user may use, in the order they are offered; the first one is asked first. */
  readonly ways: readonly ProofWay[];
  readonly secondFactor: SecondFactorMode;
  /** The purpose of the one-time codes sent (codes are bound to it); default `reauth`. */
  readonly codePurpose?: string;
  /**
   * The first question, worded by the parent (it says what the task is): the password prompt when the
   * first way is the password, else the destination choice (with params `phone` and `email`).
   */
  readonly intro?: MessageKey;
  /** The account summary when the parent has loaded it already (saves a read). */
  readonly summary?: AccountSummary;
}

/**
 * Why a proof did not happen. The step has told the user already, except for `noWay` (no way in `ways`
 * exists for this account, or two-step verification is needed and off), which the parent words itself.
 * - `locked`: the password step is locked and no code way is offered (`minutes` until it opens);
 * - `tooMany`: too many wrong second-factor codes;
 * - `needsSupport`: the user cannot use any of the offered ways;
 * - `error`: the store or a provider failed where nothing can be retried in place.
 */
export type ProveFailure = 'locked' | 'tooMany' | 'needsSupport' | 'noWay' | 'error';

export type ProveOutput =
  | { readonly ok: true; readonly via: ProofVia; readonly summary: AccountSummary }
  | { readonly ok: false; readonly reason: ProveFailure; readonly minutes?: number };

/** What `recordProof` is given: the proof, for the server to keep for this task and purpose. */
export interface ProofRecord {
  readonly accountId: string;
  readonly taskId: string;
  readonly purpose: string;
  readonly via: ProofVia;
  readonly at: number;
}

interface Context {
  readonly accountId: string;
  readonly channel: Channel;
  readonly taskId: string;
  readonly purpose: string;
  readonly ways: readonly ProofWay[];
  readonly secondFactor: SecondFactorMode;
  readonly codePurpose: string;
  readonly intro: MessageKey | null;
  summary: AccountSummary | null;
  /** Minutes the password step stays locked; 0 when it is open. */
  lockedMinutes: number;
  /** The next destination prompt says that the password step just locked. */
  lockNotice: boolean;
  /** The user said they forgot the password: it is not offered again. */
  forgot: boolean;
  /** The first factor, once proven, and when (the second must follow within 5 minutes). */
  first: ProofWay | null;
  firstAt: number | null;
  second: ProofVia['second'];
  /** Where the current one-time code goes, and how it is shown. */
  via: CodeVia | null;
  codeTo: string | null;
  /** The latest user text, cleared as soon as the effect that needs it has run. */
  secret: string | null;
  lastAt: number;
  /** A question was asked already (the intro is used once, then the step's own wording). */
  asked: boolean;
  askedPassword: boolean;
  failure: { readonly reason: ProveFailure; readonly minutes?: number } | null;
}

/** The code ways of `ways` this account has, in order. */
function codeWays(context: Context): CodeVia[] {
  return context.ways.filter(
    (way): way is CodeVia =>
      way === 'phone' ||
      (way === 'email' && context.summary !== null && context.summary.emailMasked !== null),
  );
}

function passwordOpen(context: Context): boolean {
  return context.ways.includes('password') && context.lockedMinutes === 0;
}

/** The password may be offered as a choice next to the codes. */
function passwordOffered(context: Context): boolean {
  return passwordOpen(context) && !context.forgot;
}

function needsSecondFactor(context: Context): boolean {
  return (
    context.secondFactor === 'always' ||
    context.secondFactor === 'only' ||
    (context.secondFactor === 'ifEnabled' && context.summary?.twoFactor === true)
  );
}

function destinationChoices(context: Context): Choice[] {
  const ways = codeWays(context);
  return [
    ...codeDestinationChoices(context.summary).filter((choice) => ways.includes(choice.value as CodeVia)),
    ...(passwordOffered(context) ? [{ value: 'password', label: 'prove.choicePassword' } as const] : []),
    // The user may be able to use none of them (a lost phone, no email): then support helps.
    { value: 'noAccess', label: 'prove.choiceNoAccess' },
  ];
}

function destinationPrompt(context: Context): ReplyEvent {
  const ask = { input: 'choice', choices: destinationChoices(context) } as const;
  if (context.lockNotice) {
    const params = { minutes: context.lockedMinutes };
    return { type: 'reply', key: 'prove.lockedPickDestination', params, ...ask };
  }
  if (!context.asked && context.intro) {
    const params = { phone: context.summary?.phoneMasked ?? '', email: context.summary?.emailMasked ?? '' };
    return { type: 'reply', key: context.intro, params, ...ask };
  }
  return { type: 'reply', key: 'prove.pickDestination', ...ask };
}

function passwordPrompt(context: Context): ReplyEvent {
  const codes = codeWays(context).length > 0;
  const key: MessageKey = context.askedPassword
    ? codes
      ? 'prove.askPasswordAgain'
      : 'prove.askPasswordAgainOnly'
    : !context.asked && context.intro
      ? context.intro
      : 'prove.askPassword';
  return {
    type: 'reply',
    key,
    input: 'secret',
    field: PASSWORD_FIELD,
    ...(codes ? { choices: [{ value: 'forgot', label: 'prove.choiceForgot' } as const] } : {}),
  };
}

/**
 * The code prompt. When the step started with the codes (not as the way out of a forgotten or locked
 * password), the user may find they cannot get this one: "Use another way" goes back to the choice.
 */
function codePrompt(context: Context): ReplyEvent {
  const prompt = askCodePrompt(context.codeTo);
  if (context.ways[0] === 'password') return prompt;
  return {
    ...prompt,
    choices: [...(prompt.choices ?? []), { value: 'other', label: 'prove.choiceOtherWay' }],
  };
}

/** What the step ended with. */
function outputOf(context: Context): ProveOutput {
  if (context.failure) return { ok: false, ...context.failure };
  return {
    ok: true,
    via: { first: context.first ?? context.ways[0] ?? 'password', second: context.second },
    summary: context.summary as AccountSummary,
  };
}

export const proveIdentityMachine = setup({
  types: {
    context: {} as Context,
    input: {} as ProveInput,
    events: {} as FlowEvent,
    emitted: {} as ReplyEvent,
    output: {} as ProveOutput,
  },
  actors: {
    loadAccount: fromPromise<AccountSummary, { accountId: string }>(notProvided('loadAccount')),
    checkPassword: fromPromise<
      CheckPasswordResult,
      { accountId: string; password: string; channel: Channel }
    >(notProvided('checkPassword')),
    sendCode: fromPromise<SendCodeResult, { accountId: string; purpose: string; via: CodeVia }>(
      notProvided('sendCode'),
    ),
    checkCode: fromPromise<
      CheckCodeResult,
      { accountId: string; purpose: string; via: CodeVia; code: string }
    >(notProvided('checkCode')),
    checkSecondFactor: fromPromise<SecondFactorResult, { accountId: string; code: string; channel: Channel }>(
      notProvided('checkSecondFactor'),
    ),
    recordProof: fromPromise<void, ProofRecord>(notProvided('recordProof')),
  },
  guards: {
    noSecondFactorAvailable: ({ context }) =>
      (context.secondFactor === 'always' || context.secondFactor === 'only') &&
      context.summary?.twoFactor !== true,
    onlySecondFactor: ({ context }) => context.secondFactor === 'only',
    passwordFirst: ({ context }) => context.ways[0] === 'password',
    passwordOpen: ({ context }) => passwordOpen(context),
    hasCodeWay: ({ context }) => codeWays(context).length > 0,
    needsSecondFactor: ({ context }) => needsSecondFactor(context),
    /** The first factor was proven more than 5 minutes before this answer: the proof must be whole. */
    firstFactorStale: ({ context, event }) =>
      context.firstAt !== null && 'at' in event && event.at - context.firstAt > REAUTH_MAX_AGE_MS,
  },
  actions: {
    takeText: assign(({ event }) => {
      assertEvent(event, 'user.text');
      return { secret: event.text, lastAt: event.at };
    }),
    touch: assign({ lastAt: ({ event }) => ('at' in event ? event.at : 0) }),
    forgetSecret: assign({ secret: null }),
    markAsked: assign({ asked: true }),
    internalError: emit(reply('common.internalError')),
  },
}).createMachine({
  id: 'prove-identity',
  context: ({ input }) => ({
    accountId: input.accountId,
    channel: input.channel,
    taskId: input.taskId,
    purpose: input.purpose,
    ways: input.ways,
    secondFactor: input.secondFactor,
    codePurpose: input.codePurpose ?? CODE_PURPOSES.reauth,
    intro: input.intro ?? null,
    summary: input.summary ?? null,
    lockedMinutes: input.summary ? Math.ceil(input.summary.passwordLockedMs / 60_000) : 0,
    lockNotice: false,
    forgot: false,
    first: null,
    firstAt: null,
    second: null,
    via: null,
    codeTo: null,
    secret: null,
    lastAt: input.at,
    asked: false,
    askedPassword: false,
    failure: null,
  }),
  initial: 'start',
  output: ({ context }) => outputOf(context),
  states: {
    start: {
      always: [{ guard: ({ context }) => context.summary !== null, target: 'route' }, { target: 'loading' }],
    },
    loading: {
      invoke: {
        src: 'loadAccount',
        input: ({ context }) => ({ accountId: context.accountId }),
        onDone: {
          target: 'route',
          actions: assign({
            summary: ({ event }) => event.output,
            lockedMinutes: ({ event }) => Math.ceil(event.output.passwordLockedMs / 60_000),
          }),
        },
        onError: { target: 'failed', actions: ['internalError', assign({ failure: { reason: 'error' } })] },
      },
    },
    /** Which question comes first. */
    route: {
      always: [
        {
          guard: 'noSecondFactorAvailable',
          target: 'failed',
          actions: assign({ failure: { reason: 'noWay' } }),
        },
        {
          guard: 'onlySecondFactor',
          target: 'askSecondFactor',
          actions: assign({ first: ({ context }) => context.ways[0] ?? 'password' }),
        },
        {
          guard: ({ context }) => context.ways[0] === 'password' && context.lockedMinutes > 0,
          target: 'firstFactor',
          actions: assign({ lockNotice: true }),
        },
        { target: 'firstFactor' },
      ],
    },
    /** The first factor (again): the password, or a code, or the end when neither can be had. */
    firstFactor: {
      always: [
        {
          guard: ({ context }) => context.ways[0] === 'password' && passwordOpen(context),
          target: 'askPassword',
        },
        { guard: 'hasCodeWay', target: 'pickDestination' },
        { guard: 'passwordOpen', target: 'askPassword' },
        {
          guard: ({ context }) => context.lockedMinutes > 0,
          target: 'failed',
          actions: [
            emit(({ context }) => ({
              type: 'reply' as const,
              key: 'prove.locked' as const,
              params: { minutes: context.lockedMinutes },
              ...TALK_TO_SUPPORT,
            })),
            assign({
              failure: ({ context }) => ({ reason: 'locked' as const, minutes: context.lockedMinutes }),
            }),
          ],
        },
        { target: 'failed', actions: assign({ failure: { reason: 'noWay' } }) },
      ],
    },
    askPassword: {
      tags: [AWAITING_INPUT],
      entry: [emit(({ context }) => passwordPrompt(context)), 'markAsked', assign({ askedPassword: true })],
      on: {
        'user.text': { target: 'checkingPassword', actions: 'takeText' },
        'user.choice': {
          guard: ({ context, event }) => event.value === 'forgot' && codeWays(context).length > 0,
          target: 'pickDestination',
          actions: [assign({ forgot: true }), 'touch'],
        },
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
          {
            guard: ({ event }) => event.output.ok,
            target: 'firstProved',
            actions: assign({ first: 'password' as const, firstAt: ({ context }) => context.lastAt }),
          },
          {
            guard: ({ event }) => failedWith(event.output, 'locked'),
            target: 'firstFactor',
            actions: assign({
              lockedMinutes: ({ event }) => lockedMinutes(event.output),
              lockNotice: true,
            }),
          },
          {
            target: 'askPassword',
            reenter: true,
            actions: emit(({ event }) => wrongPasswordReply('prove.wrongPassword', event.output)),
          },
        ],
        onError: { target: 'askPassword', actions: 'internalError' },
      },
      exit: 'forgetSecret',
    },
    pickDestination: {
      tags: [AWAITING_INPUT],
      entry: [emit(({ context }) => destinationPrompt(context)), 'markAsked', assign({ lockNotice: false })],
      on: {
        'user.choice': [
          {
            guard: ({ context, event }) => event.value === 'phone' && codeWays(context).includes('phone'),
            target: 'sendingCode',
            actions: [assign({ via: 'phone' as const, codeTo: null }), 'touch'],
          },
          {
            guard: ({ context, event }) => event.value === 'email' && codeWays(context).includes('email'),
            target: 'sendingCode',
            actions: [assign({ via: 'email' as const, codeTo: null }), 'touch'],
          },
          {
            guard: ({ context, event }) => event.value === 'password' && passwordOffered(context),
            target: 'askPassword',
            actions: 'touch',
          },
          {
            guard: ({ event }) => event.value === 'noAccess',
            target: 'failed',
            actions: [
              emit(reply('prove.needSupport')),
              assign({ failure: { reason: 'needsSupport' } }),
              'touch',
            ],
          },
        ],
      },
    },
    sendingCode: {
      invoke: {
        src: 'sendCode',
        input: ({ context }) => ({
          accountId: context.accountId,
          purpose: context.codePurpose,
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
            // A cool-down with a code already out: keep waiting for that code.
            guard: ({ event, context }) => failedWith(event.output, 'cooldown') && context.codeTo !== null,
            target: 'askCode',
            actions: emit(({ event }) => codeSendFailedReply(event.output)),
          },
          {
            target: 'pickDestination',
            actions: [assign({ codeTo: null }), emit(({ event }) => codeSendFailedReply(event.output))],
          },
        ],
        onError: {
          target: 'pickDestination',
          actions: [assign({ codeTo: null }), emit(reply('codes.deliveryFailed'))],
        },
      },
    },
    askCode: {
      tags: [AWAITING_INPUT],
      entry: emit(({ context }) => codePrompt(context)),
      on: {
        'user.text': { target: 'checkingCode', actions: 'takeText' },
        'user.choice': [
          { guard: ({ event }) => event.value === 'resend', target: 'sendingCode', actions: 'touch' },
          {
            guard: ({ context, event }) => event.value === 'other' && context.ways[0] !== 'password',
            target: 'pickDestination',
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
          purpose: context.codePurpose,
          via: context.via ?? 'phone',
          code: context.secret ?? '',
        }),
        onDone: [
          {
            guard: ({ event }) => event.output.ok,
            target: 'firstProved',
            actions: assign({
              first: ({ context }) => context.via ?? 'phone',
              firstAt: ({ context }) => context.lastAt,
              codeTo: null,
            }),
          },
          {
            guard: ({ event }) => failedWith(event.output, 'wrong'),
            target: 'askCode',
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
    firstProved: {
      always: [{ guard: 'needsSecondFactor', target: 'askSecondFactor' }, { target: 'recording' }],
    },
    askSecondFactor: {
      tags: [AWAITING_INPUT],
      // "I lost my app and my recovery codes": the engine hands the chat to a person, with this step.
      entry: emit({
        type: 'reply',
        key: 'twofa.askCode',
        input: 'secret',
        field: SECOND_FACTOR_FIELD,
        choices: [LOST_APP_CHOICE],
      } as const),
      on: {
        'user.text': [
          {
            // Checked before the code is spent: a proof is whole only when its parts are 5 minutes apart at most.
            guard: 'firstFactorStale',
            target: 'firstFactor',
            actions: [
              assign({ first: null, firstAt: null, lastAt: ({ event }) => event.at }),
              emit(reply('prove.reauthExpired')),
            ],
          },
          { target: 'checkingSecondFactor', actions: 'takeText' },
        ],
      },
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
          {
            guard: ({ event }) => event.output.ok,
            target: 'recording',
            actions: assign({ second: ({ event }) => (event.output.ok ? event.output.method : null) }),
          },
          {
            guard: ({ event }) => failedWith(event.output, 'tooMany'),
            target: 'failed',
            actions: [
              emit({ type: 'reply', key: 'twofa.tooMany', ...TALK_TO_SUPPORT } as const),
              assign({ failure: { reason: 'tooMany' } }),
            ],
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
    recording: {
      invoke: {
        src: 'recordProof',
        input: ({ context }) => ({
          accountId: context.accountId,
          taskId: context.taskId,
          purpose: context.purpose,
          via: { first: context.first ?? context.ways[0] ?? 'password', second: context.second },
          at: context.lastAt,
        }),
        onDone: { target: 'proved' },
        onError: { target: 'failed', actions: ['internalError', assign({ failure: { reason: 'error' } })] },
      },
    },
    proved: { type: 'final' },
    failed: { type: 'final' },
  },
});

/**
 * A parent's `on` while the step runs: the engine sends every user event to the root, and the parent
 * hands it to the step.
 */
export function forwardToProof<TContext extends MachineContext>() {
  const forward = sendTo<TContext, FlowEvent, undefined, AnyActorRef, FlowEvent>(
    PROVE_ID,
    ({ event }: { event: FlowEvent }) => event,
  );
  return { 'user.text': { actions: forward }, 'user.choice': { actions: forward } } as const;
}

/**
 * How a parent ends after a failed proof: a lock-out keeps the chat's secret-prompt mark, and a user
 * with no way left is handed to a person (an escalation, with the task's transcript).
 */
export function proofFailedOutput(output: ProveOutput): FlowOutput {
  if (output.ok) return {};
  if (output.reason === 'locked' || output.reason === 'tooMany') return { lockedOut: true };
  if (output.reason === 'needsSupport') return { escalate: { reason: NO_ACCESS_REASON } };
  return {};
}

/**
 * The security checkup: the help page's recommendations as one guided review. It reads the linked account
 * (nothing is changed here), shows each finding in one short line, worst first, and offers one button per
 * fixing task. A button hands on to that task with `returnTo: 'checkup'`, so when the task completes the
 * engine starts the checkup again with args `resume`: it looks at the account again and goes on with the
 * findings whose task was not opened yet in this sitting (the sitting is a short-lived list of the tasks
 * opened, kept by the `visit` effect). A /cancel inside a fix ends everything.
 *
 * Other flows start it with args too:
 * - `offer` (after /link, after enabling 2FA): inside a sitting it goes on like `resume`; otherwise it says
 *   nothing when all is good, and offers to show the findings when there are some;
 * - `resume` without a sitting (a flow that handed on with `returnTo: 'checkup'` on its own, e.g. "This was
 *   not me" then the password change): the same offer;
 * - `before-phone` (the phone task, before it asks anything): without an email on the account, the help
 *   page's tip with a button to add an email first; else straight on to the phone task.
 */
import { assign, emit, enqueueActions, fromPromise, setup } from 'xstate';
import { reply } from './outcomes.ts';
import {
  AWAITING_INPUT,
  type ChatRef,
  type Choice,
  type FlowDefinition,
  type FlowEvent,
  type FlowInput,
  type FlowOutput,
  type MessageKey,
  type MessageParam,
  type MessageParams,
  notProvided,
  type ReplyEvent,
} from './ports.ts';

export const CHECKUP_FLOW_ID = 'checkup';

/** The args the checkup is started with by the engine or by other flows. */
export const CHECKUP_ARGS = {
  /** The engine, when a task the checkup (or another flow) handed on to completes. */
  resume: 'resume',
  /** After a task that makes a checkup timely (/link, 2FA on): offer it, or go on with a sitting. */
  offer: 'offer',
  /** The phone task, before it asks anything: the "add an email first" tip. */
  beforePhone: 'before-phone',
} as const;

/** What a task ends with to offer the checkup (after /link, after enabling 2FA). */
export const CHECKUP_OFFER = {
  next: CHECKUP_FLOW_ID,
  nextArgs: CHECKUP_ARGS.offer,
} as const satisfies FlowOutput;

/** What the phone task ends with before it asks anything: the checkup shows the tip when there is no email. */
export const CHECKUP_BEFORE_PHONE = {
  next: CHECKUP_FLOW_ID,
  nextArgs: CHECKUP_ARGS.beforePhone,
} as const satisfies FlowOutput;

/** The args the checkup hands the phone task once the tip was shown or not needed (the task goes straight on). */
export const PHONE_TIP_DONE = 'email-checked';

/** The findings, worst first: the order is the order of this list. */
export const FINDING_ORDER = [
  'failedAttempts',
  'noEmail',
  'noPhone',
  'twoFactorOff',
  'fewRecoveryCodes',
  'passwordBelowPolicy',
  'passwordOld',
  'passwordWeakHash',
  'staleDevices',
] as const;
export type FindingKind = (typeof FINDING_ORDER)[number];

/** One finding: what it is, and the values of its sentence (no secret; dates already written out). */
export interface Finding {
  readonly kind: FindingKind;
  readonly params?: MessageParams;
}

/** The task that fixes each finding: a button starts it. */
export const FIX_FLOW: Record<FindingKind, string> = {
  failedAttempts: 'activity',
  noEmail: 'change-email',
  noPhone: 'change-phone',
  twoFactorOff: '2fa',
  fewRecoveryCodes: 'recovery-codes',
  passwordBelowPolicy: 'change-password',
  passwordOld: 'change-password',
  passwordWeakHash: 'change-password',
  staleDevices: 'activity',
};

/** The button of each fixing task (findings fixed by the same task share one button). */
const FIX_LABEL: Record<string, MessageKey> = {
  activity: 'checkup.fix.activity',
  'change-email': 'checkup.fix.email',
  'change-phone': 'checkup.fix.phone',
  '2fa': 'checkup.fix.twoFactor',
  'recovery-codes': 'checkup.fix.recoveryCodes',
  'change-password': 'checkup.fix.password',
};

const FIX_PREFIX = 'fix:';
const LATER = 'later';

/** What the `load` effect answers: the account's findings now, and this chat's sitting. */
export interface CheckupView {
  /** Worst first (`FINDING_ORDER`). */
  readonly findings: readonly Finding[];
  /** When a next checkup makes sense (`{ day }`: rendered in the reader's language at the edge). */
  readonly nextCheck: MessageParam;
  /** The fixing tasks opened in this chat's sitting, or null when no sitting is going on. */
  readonly visited: readonly string[] | null;
}

export interface SittingInput {
  readonly accountId: string;
  readonly chat: ChatRef;
}

type Mode = 'fresh' | 'return' | 'beforePhone';

interface Context {
  readonly accountId: string;
  readonly chat: ChatRef;
  /** How it was started; an accepted offer lists like a fresh checkup. */
  mode: Mode;
  /** The findings still to offer in this sitting. */
  findings: readonly Finding[];
  /** Some findings are left whose task was already opened in this sitting. */
  stillOpen: boolean;
  nextCheck: MessageParam;
  /** The fixing task picked. */
  fix: string | null;
  ended: FlowOutput;
}

function modeOf(args: string): Mode {
  const arg = args.trim().toLowerCase();
  if (arg === CHECKUP_ARGS.resume || arg === CHECKUP_ARGS.offer) return 'return';
  if (arg === CHECKUP_ARGS.beforePhone) return 'beforePhone';
  return 'fresh';
}

/** The findings worst first, without those whose task was opened in the sitting. */
export function remainingFindings(
  findings: readonly Finding[],
  visited: readonly string[] | null,
): Finding[] {
  const opened = new Set(visited ?? []);
  return [...findings]
    .filter((finding) => !opened.has(FIX_FLOW[finding.kind]))
    .sort((a, b) => FINDING_ORDER.indexOf(a.kind) - FINDING_ORDER.indexOf(b.kind));
}

/** One button per fixing task, in the order of the findings, then "Not now". */
export function fixChoices(findings: readonly Finding[]): Choice[] {
  const fixes = [...new Set(findings.map((finding) => FIX_FLOW[finding.kind]))];
  return [
    ...fixes.map((fix) => ({
      value: `${FIX_PREFIX}${fix}`,
      label: FIX_LABEL[fix] ?? 'checkup.fix.activity',
    })),
    { value: LATER, label: 'checkup.choiceLater' },
  ];
}

function findingReply(finding: Finding): ReplyEvent {
  return {
    type: 'reply',
    key: `checkup.finding.${finding.kind}`,
    ...(finding.params ? { params: finding.params } : {}),
  };
}

const hasNoEmail = (findings: readonly Finding[]) => findings.some((f) => f.kind === 'noEmail');

export const checkupMachine = setup({
  types: {
    context: {} as Context,
    input: {} as FlowInput,
    events: {} as FlowEvent,
    emitted: {} as ReplyEvent,
    output: {} as FlowOutput,
  },
  actors: {
    /** Looks at the account; with `fresh` a new sitting starts (the old one is forgotten). */
    /** The review; `emailOnly` (before the phone task) needs only whether the account has an email. */
    load: fromPromise<CheckupView, SittingInput & { fresh: boolean; emailOnly: boolean }>(
      notProvided('load'),
    ),
    /** Records that the sitting opened this fixing task. */
    visit: fromPromise<void, SittingInput & { fix: string }>(notProvided('visit')),
    /** Ends the sitting. */
    close: fromPromise<void, SittingInput>(notProvided('close')),
  },
  guards: {
    nothingLeft: ({ context }) => context.findings.length === 0,
  },
  actions: {
    /** The list (one short line per finding, each its own catalog key with values), then the buttons. */
    showFindings: enqueueActions(({ context, enqueue }) => {
      enqueue.emit(reply(context.mode === 'return' ? 'checkup.remaining' : 'checkup.found'));
      for (const finding of context.findings) enqueue.emit(findingReply(finding));
      enqueue.emit({
        type: 'reply',
        key: 'checkup.ask',
        input: 'choice',
        choices: fixChoices(context.findings),
      });
    }),
    internalError: emit(reply('common.internalError')),
  },
}).createMachine({
  id: 'checkup',
  context: ({ input }) => ({
    accountId: input.accountId ?? '',
    chat: input.chat,
    mode: modeOf(input.args),
    findings: [],
    stillOpen: false,
    nextCheck: '',
    fix: null,
    ended: {},
  }),
  initial: 'loading',
  output: ({ context }) => context.ended,
  states: {
    loading: {
      invoke: {
        src: 'load',
        input: ({ context }) => ({
          accountId: context.accountId,
          chat: context.chat,
          fresh: context.mode === 'fresh',
          emailOnly: context.mode === 'beforePhone',
        }),
        onDone: [
          // Before the phone task: the tip only when there is no email to fall back on.
          {
            guard: ({ context, event }) =>
              context.mode === 'beforePhone' && hasNoEmail(event.output.findings),
            target: 'phoneTip',
          },
          {
            guard: ({ context }) => context.mode === 'beforePhone',
            target: 'done',
            actions: assign({ ended: { next: 'change-phone', nextArgs: PHONE_TIP_DONE } }),
          },
          // Back from a task (or offered) without a sitting: offer the checkup when there is something.
          {
            guard: ({ context, event }) =>
              context.mode === 'return' &&
              event.output.visited === null &&
              event.output.findings.length === 0,
            target: 'done',
          },
          {
            guard: ({ context, event }) => context.mode === 'return' && event.output.visited === null,
            target: 'offer',
            actions: assign({
              mode: 'fresh',
              findings: ({ event }) => remainingFindings(event.output.findings, null),
              nextCheck: ({ event }) => event.output.nextCheck,
            }),
          },
          // A fresh checkup, or the sitting going on.
          {
            target: 'reviewing',
            actions: [
              assign({
                findings: ({ event }) => remainingFindings(event.output.findings, event.output.visited),
                stillOpen: ({ event }) =>
                  remainingFindings(event.output.findings, event.output.visited).length <
                  event.output.findings.length,
                nextCheck: ({ event }) => event.output.nextCheck,
              }),
              enqueueActions(({ context, enqueue }) => {
                if (context.mode === 'return') enqueue.emit(reply('checkup.resumed'));
              }),
            ],
          },
        ],
        onError: { target: 'done', actions: 'internalError' },
      },
    },
    reviewing: {
      always: [
        {
          guard: 'nothingLeft',
          target: 'closing',
          actions: emit(({ context }) =>
            context.stillOpen
              ? reply('checkup.endOfList')
              : {
                  type: 'reply' as const,
                  key: 'checkup.allGood' as const,
                  params: { next: context.nextCheck },
                },
          ),
        },
        { target: 'ask' },
      ],
    },
    offer: {
      tags: [AWAITING_INPUT],
      entry: emit({
        type: 'reply',
        key: 'checkup.offer',
        input: 'choice',
        dismissible: true,
        choices: [
          { value: 'show', label: 'checkup.choiceShow' },
          { value: LATER, label: 'checkup.choiceLater' },
        ],
      } as const),
      on: {
        'user.choice': [
          { guard: ({ event }) => event.value === 'show', target: 'ask' },
          {
            guard: ({ event }) => event.value === LATER,
            target: 'closing',
            actions: emit(reply('checkup.later')),
          },
        ],
      },
    },
    ask: {
      tags: [AWAITING_INPUT],
      entry: 'showFindings',
      on: {
        'user.choice': [
          {
            guard: ({ context, event }) =>
              event.value.startsWith(FIX_PREFIX) &&
              fixChoices(context.findings).some((choice) => choice.value === event.value),
            target: 'visiting',
            actions: assign({ fix: ({ event }) => event.value.slice(FIX_PREFIX.length) }),
          },
          {
            guard: ({ event }) => event.value === LATER,
            target: 'closing',
            actions: emit(reply('checkup.later')),
          },
        ],
      },
    },
    visiting: {
      invoke: {
        src: 'visit',
        input: ({ context }) => ({
          accountId: context.accountId,
          chat: context.chat,
          fix: context.fix ?? '',
        }),
        onDone: { target: 'handingOn' },
        // Not remembering the sitting only means the checkup may offer this task again: go on anyway.
        onError: { target: 'handingOn' },
      },
    },
    handingOn: {
      always: {
        target: 'done',
        actions: [
          emit(reply('checkup.willReturn')),
          assign({ ended: ({ context }) => ({ next: context.fix ?? '', returnTo: CHECKUP_FLOW_ID }) }),
        ],
      },
    },
    closing: {
      invoke: {
        src: 'close',
        input: ({ context }) => ({ accountId: context.accountId, chat: context.chat }),
        onDone: { target: 'done' },
        onError: { target: 'done' },
      },
    },
    phoneTip: {
      tags: [AWAITING_INPUT],
      entry: emit({
        type: 'reply',
        key: 'checkup.phoneTip',
        input: 'choice',
        choices: [
          { value: 'email', label: 'checkup.choiceAddEmailFirst' },
          { value: 'phone', label: 'checkup.choicePhoneAnyway' },
        ],
      } as const),
      on: {
        'user.choice': [
          {
            guard: ({ event }) => event.value === 'email',
            target: 'done',
            actions: assign({ ended: { next: 'change-email', returnTo: 'change-phone' } }),
          },
          {
            guard: ({ event }) => event.value === 'phone',
            target: 'done',
            actions: assign({ ended: { next: 'change-phone', nextArgs: PHONE_TIP_DONE } }),
          },
        ],
      },
    },
    done: { type: 'final' },
  },
});

export const checkupFlow = {
  id: CHECKUP_FLOW_ID,
  // 2: the next checkup's day is a timestamp ({ day }), rendered in the reader's language.
  version: 2,
  command: 'checkup',
  title: 'checkup.title',
  menuLabel: 'menu.checkup',
  audience: 'linked',
  privateOnly: true,
  machine: checkupMachine,
} as const satisfies FlowDefinition;

/**
 * Recent security activity: the last 10 security events of the account and its signed-in devices. "This
 * was not me" signs out every device and goes straight on to changing the password; "Talk to support"
 * hands the chat to a person (the engine's escalation, with what was shown).
 */
import { assign, emit, fromPromise, setup } from 'xstate';
import { CHECKUP_FLOW_ID } from './checkup.ts';
import {
  type ActivityView,
  AWAITING_INPUT,
  type FlowDefinition,
  type FlowEvent,
  type FlowInput,
  type FlowOutput,
  notProvided,
  type ReplyEvent,
  SUPPORT_CHOICE,
} from './ports.ts';

export type { ActivityView } from './ports.ts';

/** The activity as the flow shows it: rendered lines (no secrets) and how many there are. */
/** The flow started after "This was not me". */
export const AFTER_NOT_ME = 'change-password';

interface Context {
  readonly accountId: string;
  readonly channel: FlowInput['chat']['channel'];
  next: string | null;
}

export const activityMachine = setup({
  types: {
    context: {} as Context,
    input: {} as FlowInput,
    events: {} as FlowEvent,
    emitted: {} as ReplyEvent,
    output: {} as FlowOutput,
  },
  actors: {
    loadActivity: fromPromise<ActivityView, { accountId: string }>(notProvided('loadActivity')),
    signOutEverywhere: fromPromise<{ signedOut: number }, { accountId: string; channel: string }>(
      notProvided('signOutEverywhere'),
    ),
  },
  actions: {
    internalError: emit({ type: 'reply', key: 'common.internalError' } as const),
  },
}).createMachine({
  id: 'activity',
  context: ({ input }) => ({ accountId: input.accountId ?? '', channel: input.chat.channel, next: null }),
  initial: 'loading',
  // After "This was not me" the password change hands back to the checkup, which offers itself.
  // Only "This was not me" hands on, after signing every device out: a change the next task keeps.
  output: ({ context }) =>
    context.next ? { next: context.next, returnTo: CHECKUP_FLOW_ID, changed: true } : {},
  states: {
    loading: {
      invoke: {
        src: 'loadActivity',
        input: ({ context }) => ({ accountId: context.accountId }),
        onDone: {
          target: 'ask',
          actions: [
            emit(({ event }) =>
              event.output.eventCount > 0
                ? {
                    type: 'reply' as const,
                    key: 'activity.events' as const,
                    params: { lines: event.output.events },
                  }
                : { type: 'reply' as const, key: 'activity.noEvents' as const },
            ),
            emit(({ event }) =>
              event.output.sessionCount > 0
                ? {
                    type: 'reply' as const,
                    key: 'activity.sessions' as const,
                    params: { lines: event.output.sessions },
                  }
                : { type: 'reply' as const, key: 'activity.noSessions' as const },
            ),
          ],
        },
        onError: { target: 'done', actions: 'internalError' },
      },
    },
    ask: {
      tags: [AWAITING_INPUT],
      entry: emit({
        type: 'reply',
        key: 'activity.ask',
        input: 'choice',
        choices: [
          { value: 'notMe', label: 'activity.choiceNotMe' },
          // The engine hands the chat to a person, with the activity shown so far.
          { value: SUPPORT_CHOICE, label: 'support.choiceTalk' },
          { value: 'close', label: 'activity.choiceClose' },
        ],
      } as const),
      on: {
        'user.choice': [
          { guard: ({ event }) => event.value === 'notMe', target: 'signingOut' },
          {
            guard: ({ event }) => event.value === 'close',
            target: 'done',
            actions: emit({ type: 'reply', key: 'activity.closed' } as const),
          },
        ],
      },
    },
    signingOut: {
      invoke: {
        src: 'signOutEverywhere',
        input: ({ context }) => ({ accountId: context.accountId, channel: context.channel }),
        onDone: {
          target: 'done',
          actions: [
            emit(({ event }) => ({
              type: 'reply' as const,
              key: 'activity.signedOut' as const,
              params: { count: event.output.signedOut },
            })),
            assign({ next: AFTER_NOT_ME }),
          ],
        },
        onError: { target: 'ask', actions: 'internalError' },
      },
    },
    done: { type: 'final' },
  },
});

export const activityFlow = {
  id: 'activity',
  version: 1,
  command: 'activity',
  title: 'activity.title',
  menuLabel: 'menu.activity',
  audience: 'linked',
  privateOnly: true,
  machine: activityMachine,
} as const satisfies FlowDefinition;

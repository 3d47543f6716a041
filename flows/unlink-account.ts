/**
 * Unlink this chat: after a Yes, the chat identity is no longer linked to the account (the account itself
 * is untouched), and the account's phone and email are told.
 */
import { emit, fromPromise, setup } from 'xstate';
import {
  AWAITING_INPUT,
  type ChatIdentity,
  type FlowDefinition,
  type FlowEvent,
  type FlowInput,
  type FlowOutput,
  notProvided,
  type ReplyEvent,
  type UnlinkResult,
} from './ports.ts';

export type { UnlinkResult } from './ports.ts';

interface Context {
  readonly identity: ChatIdentity;
}

export const unlinkAccountMachine = setup({
  types: {
    context: {} as Context,
    input: {} as FlowInput,
    events: {} as FlowEvent,
    emitted: {} as ReplyEvent,
    output: {} as FlowOutput,
  },
  actors: {
    unlinkChat: fromPromise<UnlinkResult, { identity: ChatIdentity }>(notProvided('unlinkChat')),
  },
}).createMachine({
  id: 'unlink-account',
  context: ({ input }) => ({ identity: { channel: input.chat.channel, userId: input.userId } }),
  initial: 'confirm',
  output: () => ({}),
  states: {
    confirm: {
      tags: [AWAITING_INPUT],
      entry: emit({
        type: 'reply',
        key: 'unlink.confirm',
        input: 'choice',
        choices: [
          { value: 'yes', label: 'common.choiceYes' },
          { value: 'no', label: 'common.choiceNo' },
        ],
      } as const),
      on: {
        'user.choice': [
          { guard: ({ event }) => event.value === 'yes', target: 'unlinking' },
          {
            guard: ({ event }) => event.value === 'no',
            target: 'done',
            actions: emit({ type: 'reply', key: 'unlink.kept' } as const),
          },
        ],
      },
    },
    unlinking: {
      invoke: {
        src: 'unlinkChat',
        input: ({ context }) => ({ identity: context.identity }),
        onDone: {
          target: 'done',
          actions: emit(({ event }) => ({
            type: 'reply' as const,
            key: event.output.ok ? ('unlink.done' as const) : ('unlink.notLinked' as const),
          })),
        },
        onError: {
          target: 'confirm',
          actions: emit({ type: 'reply', key: 'common.internalError' } as const),
        },
      },
    },
    done: { type: 'final' },
  },
});

export const unlinkAccountFlow = {
  id: 'unlink-account',
  version: 1,
  command: 'unlink',
  title: 'unlink.title',
  menuLabel: 'menu.unlink',
  audience: 'linked',
  // Buttons are not read in groups, and a chat's link should not be dropped from a group by accident.
  privateOnly: true,
  machine: unlinkAccountMachine,
} as const satisfies FlowDefinition;

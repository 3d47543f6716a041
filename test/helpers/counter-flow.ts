/**
 * A tiny flow for engine tests: every text adds one to a counter (through an invoked promise, so there
 * is an asynchronous gap in which a racing handler could interfere), "end" ends it, "boom" crashes an
 * action, "slow" hangs longer than the step timeout.
 */
import { assign, emit, fromPromise, setup } from 'xstate';
import {
  AWAITING_INPUT,
  type FlowDefinition,
  type FlowEvent,
  type FlowInput,
  type ReplyEvent,
} from '../../flows/ports.ts';

export function counterMachine(delayMs = 5) {
  return setup({
    types: {
      context: {} as { count: number; pending: string },
      input: {} as FlowInput,
      events: {} as FlowEvent,
      emitted: {} as ReplyEvent,
    },
    actors: {
      add: fromPromise<number, { count: number; text: string }>(async ({ input }) => {
        await new Promise((resolve) => setTimeout(resolve, input.text === 'slow' ? 60_000 : delayMs));
        return input.count + 1;
      }),
    },
  }).createMachine({
    id: 'counter',
    context: { count: 0, pending: '' },
    initial: 'waiting',
    states: {
      waiting: {
        tags: [AWAITING_INPUT],
        entry: emit(({ context }) => ({
          type: 'reply' as const,
          key: 'codes.wrong' as const,
          params: { remaining: context.count },
          input: 'text' as const,
          choices: [
            { value: 'plus', label: 'common.choiceYes' as const },
            { value: 'stop', label: 'common.choiceNo' as const },
          ],
        })),
        on: {
          'user.text': [
            // "end" (not "stop": a plain word, which the engine reads as /cancel at every step).
            { guard: ({ event }) => event.text === 'end', target: 'done' },
            {
              guard: ({ event }) => event.text === 'boom',
              actions: () => {
                throw new Error('kaboom');
              },
            },
            { target: 'adding', actions: assign({ pending: ({ event }) => event.text }) },
          ],
          signal: {
            guard: ({ event }) => event.name === 'finish',
            target: 'done',
          },
          'user.choice': [
            { guard: ({ event }) => event.value === 'stop', target: 'done' },
            { target: 'adding', actions: assign({ pending: 'plus' }) },
          ],
        },
      },
      adding: {
        invoke: {
          src: 'add',
          input: ({ context }) => ({ count: context.count, text: context.pending }),
          onDone: { target: 'waiting', actions: assign({ count: ({ event }) => event.output, pending: '' }) },
        },
      },
      done: {
        type: 'final',
        entry: emit(({ context }) => ({
          type: 'reply' as const,
          key: 'codes.wrong' as const,
          params: { remaining: -context.count },
        })),
      },
    },
  });
}

export function counterFlow(
  options: { version?: number; delayMs?: number; privateOnly?: boolean } = {},
): FlowDefinition {
  return {
    id: 'counter',
    version: options.version ?? 1,
    command: 'count',
    title: 'password.title',
    menuLabel: 'menu.password',
    audience: 'any',
    privateOnly: options.privateOnly ?? false,
    machine: counterMachine(options.delayMs),
  };
}

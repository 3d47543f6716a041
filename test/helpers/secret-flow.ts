/**
 * A tiny flow that asks for a secret, for engine tests: "right" completes it, "lock" ends it in a
 * lock-out (`lockedOut`), "plain" moves on to a question that is not secret, "wait:<ms>" makes the check
 * take that long, anything else is wrong and asks again.
 */
import { assign, emit, fromPromise, setup } from 'xstate';
import {
  AWAITING_INPUT,
  type FlowDefinition,
  type FlowEvent,
  type FlowInput,
  type FlowOutput,
  type ReplyEvent,
} from '../../flows/ports.ts';

export function secretMachine() {
  return setup({
    types: {
      context: {} as { secret: string | null; outcome: FlowOutput },
      input: {} as FlowInput,
      events: {} as FlowEvent,
      emitted: {} as ReplyEvent,
      output: {} as FlowOutput,
    },
    actors: {
      check: fromPromise<string, { text: string }>(async ({ input }) => {
        const wait = /^wait:(\d+)$/.exec(input.text);
        if (wait) await new Promise((resolve) => setTimeout(resolve, Number(wait[1])));
        return input.text;
      }),
    },
  }).createMachine({
    id: 'secret-test',
    context: { secret: null, outcome: {} },
    initial: 'ask',
    output: ({ context }) => context.outcome,
    states: {
      ask: {
        tags: [AWAITING_INPUT],
        entry: emit({ type: 'reply', key: 'password.askCurrent', input: 'secret' } as const),
        on: { 'user.text': { target: 'checking', actions: assign({ secret: ({ event }) => event.text }) } },
      },
      checking: {
        invoke: {
          src: 'check',
          input: ({ context }) => ({ text: context.secret ?? '' }),
          onDone: [
            {
              guard: ({ event }) => event.output === 'right',
              target: 'done',
              actions: emit({ type: 'reply', key: 'password.changed', params: { signedOut: 0 } } as const),
            },
            {
              guard: ({ event }) => event.output === 'lock',
              target: 'done',
              actions: [
                assign({ outcome: { lockedOut: true } }),
                emit({ type: 'reply', key: 'password.locked', params: { minutes: 15 } } as const),
              ],
            },
            { guard: ({ event }) => event.output === 'plain', target: 'askPlain' },
            {
              target: 'ask',
              reenter: true,
              actions: emit({ type: 'reply', key: 'codes.wrong', params: { remaining: 1 } } as const),
            },
          ],
        },
        exit: assign({ secret: null }),
      },
      askPlain: {
        tags: [AWAITING_INPUT],
        entry: emit({ type: 'reply', key: 'phone.askNew', input: 'text' } as const),
        on: { 'user.text': { target: 'done' } },
      },
      done: { type: 'final' },
    },
  });
}

export function secretFlow(): FlowDefinition {
  return {
    id: 'secret-test',
    version: 1,
    command: 'secret',
    title: 'password.title',
    audience: 'any',
    privateOnly: true,
    machine: secretMachine(),
  };
}

/**
 * The vocabulary shared by every flow: events in, replies out, and the result types of the named
 * effects (actors) a flow invokes. Flows import only `xstate` and the core module (through here); the
 * composition root binds the effects to real services with `machine.provide({ actors })`.
 */
import type { AnyStateMachine } from 'xstate';
import type { FlowDefinition as CoreFlowDefinition } from '../src/core/index.ts';

export * from '../src/core/index.ts';

/** A guided task whose machine is an XState machine. */
export type FlowDefinition = CoreFlowDefinition<AnyStateMachine>;

/** Placeholder body of an effect that the composition root must provide. */
export function notProvided(name: string): () => never {
  return () => {
    throw new Error(`effect "${name}" was not provided to the flow`);
  };
}

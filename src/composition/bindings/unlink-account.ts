import { fromPromise } from 'xstate';
import type { FlowDefinition } from '../../../flows/ports.ts';
import { unlinkAccountFlow, unlinkAccountMachine } from '../../../flows/unlink-account.ts';
import type { Services } from '../../services.ts';

/** Binds the unlink-account flow's named effects to the real services. */
export function bindUnlinkAccount(services: Services): FlowDefinition {
  const { linking } = services;
  return {
    ...unlinkAccountFlow,
    machine: unlinkAccountMachine.provide({
      actors: {
        unlinkChat: fromPromise(({ input }) => linking.unlink(input.identity)),
      },
    }),
  };
}

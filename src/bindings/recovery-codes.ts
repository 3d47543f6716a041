import { fromPromise } from 'xstate';
import type { FlowDefinition } from '../../flows/ports.ts';
import { recoveryCodesFlow, recoveryCodesMachine } from '../../flows/recovery-codes.ts';
import type { Channel } from '../engine/input.ts';
import type { Services } from '../services.ts';
import { bindPasswordProof } from './password-proof.ts';

/** Binds the new-recovery-codes flow's named effects to the real services. */
export function bindRecoveryCodes(services: Services): FlowDefinition {
  const { twoFactor } = services;
  return {
    ...recoveryCodesFlow,
    machine: recoveryCodesMachine.provide({
      actors: {
        ...bindPasswordProof(services),
        regenerate: fromPromise(({ input }) =>
          twoFactor.regenerateRecoveryCodes(input.accountId, input.channel as Channel),
        ),
      },
    }),
  };
}

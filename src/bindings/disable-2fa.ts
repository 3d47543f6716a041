import { fromPromise } from 'xstate';
import { disable2faFlow, disable2faMachine } from '../../flows/disable-2fa.ts';
import type { FlowDefinition } from '../../flows/ports.ts';
import type { Channel } from '../engine/input.ts';
import type { Services } from '../services.ts';
import { bindPasswordProof } from './password-proof.ts';

/** Binds the turn-off-2FA flow's named effects to the real services. */
export function bindDisable2fa(services: Services): FlowDefinition {
  const { twoFactor } = services;
  return {
    ...disable2faFlow,
    machine: disable2faMachine.provide({
      actors: {
        ...bindPasswordProof(services),
        disable: fromPromise(({ input }) => twoFactor.disable(input.accountId, input.channel as Channel)),
      },
    }),
  };
}

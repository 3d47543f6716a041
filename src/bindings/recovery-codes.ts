import { fromPromise } from 'xstate';
import type { FlowDefinition } from '../../flows/ports.ts';
import { recoveryCodesFlow, recoveryCodesMachine } from '../../flows/recovery-codes.ts';
import type { Channel } from '../engine/input.ts';
import type { Services } from '../services.ts';

/** Binds the new-recovery-codes flow's named effects to the real services. */
export function bindRecoveryCodes(services: Services): FlowDefinition {
  const { passwords, secondFactor, twoFactor } = services;
  return {
    ...recoveryCodesFlow,
    machine: recoveryCodesMachine.provide({
      actors: {
        loadAccount: fromPromise(({ input }) => passwords.summary(input.accountId)),
        checkPassword: fromPromise(({ input }) =>
          passwords.checkCurrent(input.accountId, input.password, input.channel as Channel),
        ),
        checkSecondFactor: fromPromise(({ input }) =>
          secondFactor.check(input.accountId, input.code, input.channel as Channel),
        ),
        regenerate: fromPromise(({ input }) =>
          twoFactor.regenerateRecoveryCodes(input.accountId, input.channel as Channel),
        ),
      },
    }),
  };
}

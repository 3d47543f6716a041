import { fromPromise } from 'xstate';
import { disable2faFlow, disable2faMachine } from '../../flows/disable-2fa.ts';
import type { FlowDefinition } from '../../flows/ports.ts';
import type { Channel } from '../engine/input.ts';
import type { Services } from '../services.ts';

/** Binds the turn-off-2FA flow's named effects to the real services. */
export function bindDisable2fa(services: Services): FlowDefinition {
  const { passwords, secondFactor, twoFactor } = services;
  return {
    ...disable2faFlow,
    machine: disable2faMachine.provide({
      actors: {
        loadAccount: fromPromise(({ input }) => passwords.summary(input.accountId)),
        checkPassword: fromPromise(({ input }) =>
          passwords.checkCurrent(input.accountId, input.password, input.channel as Channel),
        ),
        checkSecondFactor: fromPromise(({ input }) =>
          secondFactor.check(input.accountId, input.code, input.channel as Channel),
        ),
        disable: fromPromise(({ input }) => twoFactor.disable(input.accountId, input.channel as Channel)),
      },
    }),
  };
}

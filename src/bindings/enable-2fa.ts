import { fromPromise } from 'xstate';
import { enable2faFlow, enable2faMachine } from '../../flows/enable-2fa.ts';
import type { FlowDefinition } from '../../flows/ports.ts';
import type { Channel } from '../engine/input.ts';
import type { Services } from '../services.ts';

/** Binds the turn-on-2FA flow's named effects to the real services. */
export function bindEnable2fa(services: Services): FlowDefinition {
  const { passwords, twoFactor } = services;
  return {
    ...enable2faFlow,
    machine: enable2faMachine.provide({
      actors: {
        loadAccount: fromPromise(({ input }) => passwords.summary(input.accountId)),
        checkPassword: fromPromise(({ input }) =>
          passwords.checkCurrent(input.accountId, input.password, input.channel as Channel),
        ),
        sendCode: fromPromise(({ input }) => passwords.sendCode(input.accountId, input.purpose, input.via)),
        checkCode: fromPromise(({ input }) =>
          passwords.checkCode(input.accountId, input.purpose, input.via, input.code),
        ),
        newSecret: fromPromise(({ input }) => twoFactor.newSecret(input.accountId)),
        checkSetupCode: fromPromise(({ input }) =>
          twoFactor.checkSetupCode(input.accountId, input.sealed, input.code),
        ),
        enable: fromPromise(({ input }) =>
          twoFactor.enable(input.accountId, input.sealed, input.step, input.channel as Channel),
        ),
      },
    }),
  };
}

import { fromPromise } from 'xstate';
import { changePasswordFlow, changePasswordMachine } from '../../flows/change-password.ts';
import type { FlowDefinition } from '../../flows/ports.ts';
import type { Channel } from '../engine/input.ts';
import type { Services } from '../services.ts';

/** Binds the change-password flow's named effects to the real services. */
export function bindChangePassword(services: Services): FlowDefinition {
  const { passwords, secondFactor } = services;
  return {
    ...changePasswordFlow,
    machine: changePasswordMachine.provide({
      actors: {
        loadAccount: fromPromise(({ input }) => passwords.summary(input.accountId)),
        checkCurrentPassword: fromPromise(({ input }) =>
          passwords.checkCurrent(input.accountId, input.password, input.channel as Channel),
        ),
        sendCode: fromPromise(({ input }) => passwords.sendCode(input.accountId, input.purpose, input.via)),
        checkCode: fromPromise(({ input }) =>
          passwords.checkCode(input.accountId, input.purpose, input.via, input.code),
        ),
        checkSecondFactor: fromPromise(({ input }) =>
          secondFactor.check(input.accountId, input.code, input.channel as Channel),
        ),
        checkNewPassword: fromPromise(({ input }) => passwords.checkNew(input.accountId, input.password)),
        confirmNewPassword: fromPromise(({ input }) => passwords.confirm(input.hash, input.password)),
        commitPassword: fromPromise(({ input }) =>
          passwords.commit(input.accountId, input.hash, input.channel as Channel),
        ),
      },
    }),
  };
}

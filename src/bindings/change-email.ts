import { fromPromise } from 'xstate';
import { changeEmailFlow, changeEmailMachine } from '../../flows/change-email.ts';
import type { FlowDefinition } from '../../flows/ports.ts';
import type { Channel } from '../engine/input.ts';
import type { Services } from '../services.ts';

/** Binds the add-or-change-email flow's named effects to the real services. */
export function bindChangeEmail(services: Services): FlowDefinition {
  const { passwords, secondFactor, emailVerification } = services;
  return {
    ...changeEmailFlow,
    machine: changeEmailMachine.provide({
      actors: {
        loadAccount: fromPromise(({ input }) => passwords.summary(input.accountId)),
        checkCurrentPassword: fromPromise(({ input }) =>
          passwords.checkCurrent(input.accountId, input.password, input.channel as Channel),
        ),
        sendReauthCode: fromPromise(({ input }) =>
          passwords.sendCode(input.accountId, input.purpose, 'phone'),
        ),
        checkReauthCode: fromPromise(({ input }) =>
          passwords.checkCode(input.accountId, input.purpose, 'phone', input.code),
        ),
        checkSecondFactor: fromPromise(({ input }) =>
          secondFactor.check(input.accountId, input.code, input.channel as Channel),
        ),
        checkAddress: fromPromise(({ input }) =>
          emailVerification.checkAddress(input.accountId, input.address),
        ),
        sendVerification: fromPromise(({ input }) =>
          emailVerification.sendVerification(input.accountId, input.email, input.chat),
        ),
        checkNewCode: fromPromise(({ input }) =>
          emailVerification.checkCode(input.accountId, input.email, input.code),
        ),
        commitEmail: fromPromise(({ input }) =>
          emailVerification.commitWithCode(input.accountId, input.email, input.channel as Channel),
        ),
      },
    }),
  };
}

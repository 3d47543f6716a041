import { fromPromise } from 'xstate';
import { changePhoneFlow, changePhoneMachine } from '../../flows/change-phone.ts';
import type { FlowDefinition } from '../../flows/ports.ts';
import type { Channel } from '../engine/input.ts';
import type { Services } from '../services.ts';

/** Binds the change-phone flow's named effects to the real services. */
export function bindChangePhone(services: Services): FlowDefinition {
  const { passwords, phones, secondFactor } = services;
  return {
    ...changePhoneFlow,
    machine: changePhoneMachine.provide({
      actors: {
        loadAccount: fromPromise(({ input }) => passwords.summary(input.accountId)),
        sendCode: fromPromise(({ input }) => passwords.sendCode(input.accountId, input.purpose, input.via)),
        checkCode: fromPromise(({ input }) =>
          passwords.checkCode(input.accountId, input.purpose, input.via, input.code),
        ),
        checkSecondFactor: fromPromise(({ input }) =>
          secondFactor.check(input.accountId, input.code, input.channel as Channel),
        ),
        checkNewPhone: fromPromise(({ input }) => phones.checkNew(input.accountId, input.text)),
        sendNewCode: fromPromise(({ input }) => phones.sendNewCode(input.accountId, input.phone)),
        checkNewCode: fromPromise(({ input }) =>
          phones.checkNewCode(input.accountId, input.phone, input.code),
        ),
        commitPhone: fromPromise(({ input }) =>
          phones.commit(input.accountId, input.phone, input.channel as Channel),
        ),
      },
    }),
  };
}

import { fromPromise } from 'xstate';
import { enable2faFlow, enable2faMachine, PROOF_PURPOSE } from '../../../flows/enable-2fa.ts';
import type { FlowDefinition } from '../../../flows/ports.ts';
import type { Services } from '../../services.ts';
import { bindProveIdentity, withFreshProof } from './prove-identity.ts';

/** Binds the turn-on-2FA flow's named effects to the real services. */
export function bindEnable2fa(services: Services): FlowDefinition {
  const { passwords, twoFactor } = services;
  return {
    ...enable2faFlow,
    // When it is on, the menu says so (the task then offers to turn it off or make new recovery codes).
    // (The account alone: the menu needs no lock-out state.)
    menuStatus: async (accountId) =>
      (await services.accounts.get(accountId))?.twoFactor.enabled ? 'menu.twofaOn' : null,
    machine: enable2faMachine.provide({
      actors: {
        loadAccount: fromPromise(({ input }) => passwords.summary(input.accountId)),
        proveIdentity: bindProveIdentity(services),
        newSecret: fromPromise(({ input }) => twoFactor.newSecret(input.accountId)),
        showSecret: fromPromise(({ input }) => twoFactor.showSecret(input.accountId, input.sealed)),
        checkSetupCode: fromPromise(({ input }) =>
          twoFactor.checkSetupCode(input.accountId, input.sealed, input.code),
        ),
        enable: fromPromise(({ input }) =>
          // Not kept for a repeat: the result holds the recovery codes (a repeat answers "already on").
          withFreshProof(
            services,
            input,
            PROOF_PURPOSE,
            () => twoFactor.enable(input.accountId, input.sealed, input.step, input.channel),
            { once: false },
          ),
        ),
      },
    }),
  };
}

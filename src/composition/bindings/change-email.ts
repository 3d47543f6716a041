import { fromPromise } from 'xstate';
import { changeEmailFlow, changeEmailMachine, PROOF_PURPOSE } from '../../../flows/change-email.ts';
import type { FlowDefinition } from '../../../flows/ports.ts';
import type { Services } from '../../services.ts';
import { bindProveIdentity, withFreshProof } from './prove-identity.ts';

/**
 * Binds the add-or-change-email flow's named effects to the real services. Both commits (the code typed
 * in the chat, the link confirmed on the web page) first check that this task holds a fresh proof; the
 * code or the token is spent only after that.
 */
export function bindChangeEmail(services: Services): FlowDefinition {
  const { emailVerification } = services;
  return {
    ...changeEmailFlow,
    machine: changeEmailMachine.provide({
      actors: {
        proveIdentity: bindProveIdentity(services),
        checkAddress: fromPromise(({ input }) =>
          emailVerification.checkAddress(input.accountId, input.address),
        ),
        sendVerification: fromPromise(({ input }) =>
          emailVerification.sendVerification(input.accountId, input.email, input.chat, input.taskId),
        ),
        commitEmail: fromPromise(({ input }) =>
          withFreshProof(services, input, PROOF_PURPOSE, async () => {
            const checked = await emailVerification.checkCode(
              input.accountId,
              input.taskId,
              input.email,
              input.code,
            );
            if (!checked.ok) return checked;
            return emailVerification.commitWithCode(input.accountId, input.email, input.channel);
          }),
        ),
        commitLink: fromPromise(({ input }) =>
          withFreshProof(services, input, PROOF_PURPOSE, () =>
            emailVerification.commitWithLink(input.accountId, input.taskId, input.token),
          ),
        ),
      },
    }),
  };
}

import { fromPromise } from 'xstate';
import { changePhoneFlow, changePhoneMachine, PROOF_PURPOSE } from '../../../flows/change-phone.ts';
import type { FlowDefinition } from '../../../flows/ports.ts';
import type { Services } from '../../services.ts';
import { bindProveIdentity, withFreshProof } from './prove-identity.ts';

/**
 * Binds the change-phone flow's named effects to the real services. The code typed for the new number is
 * checked first (a wrong or dead one is answered as such), then the swap runs only when this task holds a
 * fresh proof (else `reauth`: the flow asks for the proof, then the new number, again).
 */
export function bindChangePhone(services: Services): FlowDefinition {
  const { phones, checkup } = services;
  return {
    ...changePhoneFlow,
    machine: changePhoneMachine.provide({
      actors: {
        proveIdentity: bindProveIdentity(services),
        emailMissing: fromPromise(({ input }) => checkup.emailMissing(input.accountId)),
        checkNewPhone: fromPromise(({ input }) => phones.checkNew(input.accountId, input.text)),
        sendNewCode: fromPromise(({ input }) => phones.sendNewCode(input.accountId, input.phone)),
        commitPhone: fromPromise(async ({ input }) => {
          const checked = await phones.checkNewCode(input.accountId, input.phone, input.code);
          if (!checked.ok) return checked;
          return withFreshProof(services, input, PROOF_PURPOSE, () =>
            phones.commit(input.accountId, input.phone, input.channel),
          );
        }),
      },
    }),
  };
}

import { fromPromise } from 'xstate';
import type { CommitResult, PasswordAndCodeMachine } from '../../../flows/password-and-code.ts';
import type { FlowDefinition } from '../../../flows/ports.ts';
import type { Channel } from '../../engine/input.ts';
import type { Services } from '../../services.ts';
import { bindProveIdentity, withFreshProof } from './prove-identity.ts';

/**
 * Binds a flow built by `passwordAndCodeMachine` (turn off 2FA, new recovery codes): the proof step to
 * the real services, and its final effect to `commit`, which runs only while the task holds a fresh
 * proof of `purpose`.
 *
 * @example `bindPasswordAndCode(recoveryCodesFlow, services, PROOF_PURPOSE, (id, channel) => twoFactor.regenerateRecoveryCodes(id, channel))`
 */
export function bindPasswordAndCode(
  flow: Omit<FlowDefinition, 'machine'> & { readonly machine: PasswordAndCodeMachine },
  services: Services,
  purpose: string,
  commit: (accountId: string, channel: Channel) => Promise<CommitResult>,
  /** False when the result holds a secret (new recovery codes), which must not be kept for a repeat. */
  once = true,
): FlowDefinition {
  return {
    ...flow,
    machine: flow.machine.provide({
      actors: {
        proveIdentity: bindProveIdentity(services),
        commit: fromPromise(({ input }) =>
          withFreshProof(services, input, purpose, () => commit(input.accountId, input.channel), { once }),
        ),
      },
    }),
  };
}

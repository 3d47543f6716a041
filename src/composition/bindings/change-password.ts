import { fromPromise } from 'xstate';
import { changePasswordFlow, changePasswordMachine, PROOF_PURPOSE } from '../../../flows/change-password.ts';
import type { FlowDefinition } from '../../../flows/ports.ts';
import type { Services } from '../../services.ts';
import { bindProveIdentity, withFreshProof } from './prove-identity.ts';

/**
 * Binds the change-password flow's named effects to the real services. The new password's hash waits
 * for its repeat in `pendingPasswords` (keyed by the task), never in the session.
 */
export function bindChangePassword(services: Services): FlowDefinition {
  const { passwords, pendingPasswords } = services;
  return {
    ...changePasswordFlow,
    machine: changePasswordMachine.provide({
      actors: {
        proveIdentity: bindProveIdentity(services),
        checkNewPassword: fromPromise(async ({ input }) => {
          const checked = await passwords.checkNew(input.accountId, input.password);
          if (!checked.ok) return checked;
          await pendingPasswords.put(input.accountId, input.taskId, checked.hash);
          return { ok: true } as const;
        }),
        confirmNewPassword: fromPromise(async ({ input }) => {
          const hash = await pendingPasswords.get(input.accountId, input.taskId);
          if (hash !== null && (await passwords.confirm(hash, input.password))) return true;
          await pendingPasswords.drop(input.accountId, input.taskId);
          return false;
        }),
        commitPassword: fromPromise(({ input }) =>
          withFreshProof(services, input, PROOF_PURPOSE, async () => {
            const hash = await pendingPasswords.get(input.accountId, input.taskId);
            if (hash === null) return { ok: false, reason: 'noPending' } as const;
            const { signedOut } = await passwords.commit(input.accountId, hash, input.channel);
            await pendingPasswords.drop(input.accountId, input.taskId);
            return { ok: true, signedOut } as const;
          }),
        ),
      },
    }),
  };
}

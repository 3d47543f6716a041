import { fromPromise } from 'xstate';
import type { CommitResult, PasswordAndCodeMachine } from '../../flows/password-and-code.ts';
import type { FlowDefinition } from '../../flows/ports.ts';
import type { Channel } from '../engine/input.ts';
import type { Services } from '../services.ts';

/**
 * Binds a flow built by `passwordAndCodeMachine` (turn off 2FA, new recovery codes): the shared
 * "password, then the second factor" proof to the real services, and its final effect to `commit`.
 *
 * @example `bindPasswordAndCode(recoveryCodesFlow, services, (id, channel) => twoFactor.regenerateRecoveryCodes(id, channel))`
 */
export function bindPasswordAndCode(
  flow: Omit<FlowDefinition, 'machine'> & { readonly machine: PasswordAndCodeMachine },
  { passwords, secondFactor }: Services,
  commit: (accountId: string, channel: Channel) => Promise<CommitResult>,
): FlowDefinition {
  return {
    ...flow,
    machine: flow.machine.provide({
      actors: {
        loadAccount: fromPromise(({ input }) => passwords.summary(input.accountId)),
        checkPassword: fromPromise(({ input }) =>
          passwords.checkCurrent(input.accountId, input.password, input.channel as Channel),
        ),
        checkSecondFactor: fromPromise(({ input }) =>
          secondFactor.check(input.accountId, input.code, input.channel as Channel),
        ),
        commit: fromPromise(({ input }) => commit(input.accountId, input.channel as Channel)),
      },
    }),
  };
}

import { fromPromise } from 'xstate';
import { linkAccountFlow, linkAccountMachine } from '../../../flows/link-account.ts';
import type { FlowDefinition } from '../../../flows/ports.ts';
import type { Services } from '../../services.ts';
import { bindProveIdentity } from './prove-identity.ts';

/** Binds the link-account flow's named effects to the real services. */
export function bindLinkAccount(services: Services): FlowDefinition {
  const { linking } = services;
  return {
    ...linkAccountFlow,
    machine: linkAccountMachine.provide({
      actors: {
        checkDestination: fromPromise(async ({ input }) => linking.parse(input.text)),
        requestCode: fromPromise(({ input }) => linking.requestCode(input.identity, input.destination)),
        checkCode: fromPromise(({ input }) =>
          linking.checkCode(input.identity, input.destination, input.code),
        ),
        proveIdentity: bindProveIdentity(services),
        linkChat: fromPromise(({ input }) => linking.link(input.accountId, input.identity)),
      },
    }),
  };
}

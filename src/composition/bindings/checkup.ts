import { fromPromise } from 'xstate';
import { type CheckupView, checkupFlow, checkupMachine } from '../../../flows/checkup.ts';
import type { FlowDefinition } from '../../../flows/ports.ts';
import type { CheckupService } from '../../accounts/checkup.ts';

/**
 * Binds the security checkup's named effects to the checkup service. It takes only the service it needs (not
 * `Services`), so it imports nothing from the composition root.
 */
export function bindCheckup(services: { readonly checkup: CheckupService }): FlowDefinition {
  const { checkup } = services;
  return {
    ...checkupFlow,
    machine: checkupMachine.provide({
      actors: {
        load: fromPromise(async ({ input }): Promise<CheckupView> => {
          // Before the phone task one read is enough: the tip is shown only without an email.
          if (input.emailOnly) {
            const missing = await checkup.emailMissing(input.accountId);
            return { findings: missing ? [{ kind: 'noEmail' }] : [], nextCheck: '', visited: null };
          }
          if (input.fresh) await checkup.close(input.accountId, input.chat);
          const [review, visited] = await Promise.all([
            checkup.review(input.accountId),
            input.fresh ? Promise.resolve(null) : checkup.visited(input.accountId, input.chat),
          ]);
          return { findings: review.findings, nextCheck: review.nextCheck, visited };
        }),
        visit: fromPromise(({ input }) => checkup.visit(input.accountId, input.chat, input.fix)),
        close: fromPromise(({ input }) => checkup.close(input.accountId, input.chat)),
      },
    }),
  };
}

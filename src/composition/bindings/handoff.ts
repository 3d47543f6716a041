import { fromPromise } from 'xstate';
import {
  handoffFlow,
  handoffMachine,
  PROOF_PURPOSE,
  type RedeemHandoffResult,
} from '../../../flows/handoff.ts';
import type { FlowDefinition } from '../../../flows/ports.ts';
import type { MessageKey } from '../../core/messages.ts';
import type { Services } from '../../services.ts';
import type { HandoffService } from '../../support/handoffs.ts';
import { bindProveIdentity, withFreshProof } from './prove-identity.ts';

/**
 * Binds the handoff flow to the handoff store and the services: redeeming a code, the proof of a chat
 * that is not linked yet (the prove-identity step), linking it only with this task's fresh proof, and
 * marking the handoff abandoned or completed.
 */
export function bindHandoff(
  services: Services,
  handoffs: HandoffService,
  /** The title of every task a handoff can lead into, by flow id. */
  titles: ReadonlyMap<string, MessageKey>,
): FlowDefinition {
  const { linking } = services;
  return {
    ...handoffFlow,
    machine: handoffMachine.provide({
      actors: {
        redeemHandoff: fromPromise(async ({ input }): Promise<RedeemHandoffResult> => {
          const result = await handoffs.redeem(input);
          if (!result.ok) return result;
          const { handoff } = result;
          const title = titles.get(handoff.flowId);
          return {
            ok: true,
            handoffId: handoff.id,
            accountId: handoff.accountId,
            flowId: handoff.flowId,
            task: title ? { key: title } : handoff.flowId,
          };
        }),
        proveIdentity: bindProveIdentity(services),
        linkChat: fromPromise(({ input }) =>
          withFreshProof(services, input, PROOF_PURPOSE, () => linking.link(input.accountId, input.identity)),
        ),
        abandonHandoff: fromPromise(async ({ input }) => {
          await handoffs.abandon(input.chat, input.reason);
        }),
        finishHandoff: fromPromise(async ({ input }) => {
          const record = await handoffs.finish(input.chat);
          return record ? (record.status === 'completed' ? 'completed' : 'abandoned') : 'none';
        }),
      },
    }),
  };
}

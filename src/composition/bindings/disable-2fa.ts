import { disable2faFlow, PROOF_PURPOSE } from '../../../flows/disable-2fa.ts';
import type { FlowDefinition } from '../../../flows/ports.ts';
import type { Services } from '../../services.ts';
import { bindPasswordAndCode } from './password-proof.ts';

/** Binds the turn-off-2FA flow's named effects to the real services. */
export function bindDisable2fa(services: Services): FlowDefinition {
  return bindPasswordAndCode(disable2faFlow, services, PROOF_PURPOSE, async (accountId, channel) => {
    await services.twoFactor.disable(accountId, channel);
    return { ok: true };
  });
}

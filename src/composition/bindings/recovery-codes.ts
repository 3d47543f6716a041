import type { FlowDefinition } from '../../../flows/ports.ts';
import { PROOF_PURPOSE, recoveryCodesFlow } from '../../../flows/recovery-codes.ts';
import type { Services } from '../../services.ts';
import { bindPasswordAndCode } from './password-proof.ts';

/** Binds the new-recovery-codes flow's named effects to the real services. */
export function bindRecoveryCodes(services: Services): FlowDefinition {
  // Not kept for a repeat: the result holds the new codes (a repeat makes a fresh set, voiding this one).
  return bindPasswordAndCode(
    recoveryCodesFlow,
    services,
    PROOF_PURPOSE,
    (accountId, channel) => services.twoFactor.regenerateRecoveryCodes(accountId, channel),
    false,
  );
}

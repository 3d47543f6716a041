/**
 * New recovery codes: the password, then a code from the authenticator app or a recovery code, then 10
 * new codes are shown once (the old set stops working) and the user confirms they saved them.
 */
import { passwordAndCodeMachine } from './password-and-code.ts';
import type { FlowDefinition } from './ports.ts';

export type { RegenerateResult } from './ports.ts';

/** The purpose of the proof new recovery codes need. */
export const PROOF_PURPOSE = 'recovery-codes';

/** Its `commit` replaces the recovery codes and answers with a `RegenerateResult`. */
export const recoveryCodesMachine = passwordAndCodeMachine({
  id: 'recovery-codes',
  purpose: PROOF_PURPOSE,
  replies: {
    notOn: 'twofa.notOnRecovery',
    askPassword: 'twofa.askPasswordRecovery',
    done: 'twofa.newCodesDone',
  },
});

export const recoveryCodesFlow = {
  id: 'recovery-codes',
  version: 2,
  command: 'recovery_codes',
  title: 'twofa.titleRecovery',
  audience: 'linked',
  proofPurpose: PROOF_PURPOSE,
  privateOnly: true,
  machine: recoveryCodesMachine,
} as const satisfies FlowDefinition;

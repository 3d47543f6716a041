/**
 * Turn off two-step verification: the password, then a code from the authenticator app or a recovery
 * code (which is used up), then 2FA is off and the owner is notified on phone and email.
 */
import { passwordAndCodeMachine } from './password-and-code.ts';
import type { FlowDefinition } from './ports.ts';

/** The purpose of the proof turning 2FA off needs. */
export const PROOF_PURPOSE = '2fa-off';

/** Its `commit` turns 2FA off and answers `{ ok: true }`. */
export const disable2faMachine = passwordAndCodeMachine({
  id: 'disable-2fa',
  purpose: PROOF_PURPOSE,
  replies: { notOn: 'twofa.notOn', askPassword: 'twofa.askPasswordOff', done: 'twofa.disabledDone' },
});

export const disable2faFlow = {
  id: '2fa-off',
  version: 2,
  command: '2fa_off',
  title: 'twofa.titleOff',
  audience: 'linked',
  proofPurpose: PROOF_PURPOSE,
  privateOnly: true,
  machine: disable2faMachine,
} as const satisfies FlowDefinition;

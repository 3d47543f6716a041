import { fromPromise } from 'xstate';
import type { AccountSummary, CheckPasswordResult, SecondFactorResult } from '../../flows/ports.ts';
import type { Channel } from '../engine/input.ts';
import type { Services } from '../services.ts';

/**
 * The effects of the "password, then the second factor" proof that the turn-off-2FA and new-recovery-codes
 * flows share, bound to the real services; each flow adds its own final effect.
 */
export function bindPasswordProof({ passwords, secondFactor }: Services) {
  return {
    loadAccount: fromPromise<AccountSummary, { accountId: string }>(({ input }) =>
      passwords.summary(input.accountId),
    ),
    checkPassword: fromPromise<CheckPasswordResult, { accountId: string; password: string; channel: string }>(
      ({ input }) => passwords.checkCurrent(input.accountId, input.password, input.channel as Channel),
    ),
    checkSecondFactor: fromPromise<SecondFactorResult, { accountId: string; code: string; channel: string }>(
      ({ input }) => secondFactor.check(input.accountId, input.code, input.channel as Channel),
    ),
  };
}

import { fromPromise } from 'xstate';
import { proveIdentityMachine } from '../../../flows/steps/prove-identity.ts';
import type { InProgress } from '../../accounts/commit-ledger.ts';
import { ProofStore } from '../../accounts/proofs.ts';
import type { Services } from '../../services.ts';

/**
 * The prove-identity step bound to the real services. A parent's binding puts it among its own actors,
 * so the child is built (and restored from a snapshot) with real effects:
 *
 * @example
 * ```ts
 * changePasswordMachine.provide({ actors: { proveIdentity: bindProveIdentity(services), commitPassword: ... } })
 * ```
 */
export function bindProveIdentity(services: Services): typeof proveIdentityMachine {
  const { passwords, secondFactor, proofs } = services;
  return proveIdentityMachine.provide({
    actors: {
      loadAccount: fromPromise(({ input }) => passwords.summary(input.accountId)),
      checkPassword: fromPromise(({ input }) =>
        passwords.checkCurrent(input.accountId, input.password, input.channel),
      ),
      sendCode: fromPromise(({ input }) => passwords.sendCode(input.accountId, input.purpose, input.via)),
      checkCode: fromPromise(({ input }) =>
        passwords.checkCode(input.accountId, input.purpose, input.via, input.code),
      ),
      checkSecondFactor: fromPromise(({ input }) =>
        secondFactor.check(input.accountId, input.code, input.channel),
      ),
      recordProof: fromPromise(({ input }) =>
        proofs.record(input.accountId, input.taskId, input.purpose, input.at),
      ),
    },
  });
}

/** A commit refused because the proof is stale or belongs to another task: the flow asks for it again. */
export const STALE_PROOF = { ok: false, reason: 'reauth' } as const;

/**
 * Runs `commit` only when this task holds a fresh proof for `purpose` (checked at the server's clock);
 * otherwise answers `{ ok: false, reason: 'reauth' }` and changes nothing.
 *
 * @example `withFreshProof(services, input, 'password', () => passwords.commit(...))`
 */
export async function withFreshProof<R>(
  { proofs, clock, commits }: Pick<Services, 'proofs' | 'clock' | 'commits'>,
  task: { readonly accountId: string; readonly taskId: string },
  purpose: string,
  commit: () => Promise<R>,
  { once = true }: { readonly once?: boolean } = {},
): Promise<R | typeof STALE_PROOF> {
  if (!once) {
    if (!(await proofs.isFresh(task.accountId, task.taskId, purpose, clock.now()))) return STALE_PROOF;
    return commit();
  }
  // Applied once per task: a retried step gets the first result back instead of a second change. The
  // proof is read with the ledger's claim (one round trip) and checked first.
  const result = await commits.once(task.accountId, task.taskId, purpose, commit, {
    key: proofs.key(task.accountId, task.taskId, purpose),
    refusal: (raw) => (ProofStore.holds(raw, task.taskId, clock.now()) ? null : STALE_PROOF),
  });
  if (isInProgress(result)) throw new Error('the change of this task is still being applied');
  return result;
}

function isInProgress(result: unknown): result is InProgress {
  return (
    typeof result === 'object' &&
    result !== null &&
    (result as { ok?: unknown }).ok === false &&
    (result as { reason?: unknown }).reason === 'inProgress'
  );
}

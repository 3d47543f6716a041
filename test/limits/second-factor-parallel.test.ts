/**
 * Issue 16: the second-factor limit must hold when codes arrive together. Twelve checks for one account,
 * started at once through two service instances on two connections, with the right code last: at most five
 * codes may be looked at, and the right one is refused once five wrong ones have used up the window.
 */
import { describe, expect, it } from 'vitest';
import type { SecondFactorResult } from '../../flows/ports.ts';
import { AccountStore } from '../../src/accounts/account-store.ts';
import { MAX_WRONG_SECOND_FACTOR } from '../../src/twofa/second-factor.ts';
import { backends } from '../helpers/backends.ts';
import { authenticator } from '../helpers/two-factor.ts';
import {
  type CheckCounter,
  createAccount,
  enableTwoFactor,
  secondFactorServiceOn,
  TOTP_SECRET,
} from './fixtures.ts';

const outcome = (r: SecondFactorResult) => (r.ok ? 'ok' : r.reason);

describe.each(backends)('second-factor limit under parallel guesses on $name', (backend) => {
  const store = backend.use();

  async function setup() {
    const looked: CheckCounter = { count: 0 };
    const accountId = await createAccount(store.kv, store.clock, store.prefix);
    const recoveryCodes = await enableTwoFactor(store.kv, store.clock, store.prefix, accountId);
    const here = secondFactorServiceOn(store.kv, store.clock, store.prefix, looked);
    const there = secondFactorServiceOn(store.peer, store.clock, store.prefix, looked);
    const app = authenticator(TOTP_SECRET, store.clock);
    // Six-digit codes that are right for none of the accepted steps (previous, current, next).
    const accepted = new Set([await app.code(-1), await app.code(), await app.code(1)]);
    const wrongCodes = Array.from({ length: 40 }, (_, i) => String(100_000 + i * 7_919))
      .filter((code) => !accepted.has(code))
      .slice(0, 11);
    const accounts = new AccountStore(store.kv, store.prefix);
    return { looked, accountId, recoveryCodes, here, there, app, wrongCodes, accounts };
  }

  it('looks at most at five of twelve TOTP codes started together, and refuses the right one among them', async () => {
    const { looked, accountId, here, there, app, wrongCodes, accounts } = await setup();
    const guesses = [...wrongCodes, await app.code()];
    const results = await Promise.all(
      guesses.map((code, i) => (i % 2 === 0 ? here : there).check(accountId, code, 'telegram')),
    );

    expect(looked.count).toBeLessThanOrEqual(MAX_WRONG_SECOND_FACTOR);
    expect(results.at(-1)).toEqual({ ok: false, reason: 'tooMany' });
    expect(results.filter((r) => r.ok)).toEqual([]);
    expect(results.map(outcome).filter((o) => o === 'wrong')).toHaveLength(MAX_WRONG_SECOND_FACTOR - 1);
    expect((await accounts.get(accountId))?.twoFactor.lastUsedStep).toBeNull();
    const events = (await accounts.events(accountId)).map((e) => e.type);
    expect(events.filter((type) => type === 'twofa.wrong')).toHaveLength(MAX_WRONG_SECOND_FACTOR);

    // Used up for everybody: the right code and a recovery code are refused without being looked at.
    const before = looked.count;
    expect(await here.check(accountId, await app.code(), 'console')).toEqual({
      ok: false,
      reason: 'tooMany',
    });
    expect(await there.check(accountId, await app.code(), 'console')).toEqual({
      ok: false,
      reason: 'tooMany',
    });
    expect(looked.count).toBe(before);
  });

  it('refuses a right recovery code that comes after five wrong ones started together, and keeps it', async () => {
    const { accountId, recoveryCodes, here, there, accounts } = await setup();
    const wrong = Array.from({ length: 11 }, (_, i) => `abcd-efgh-${'jkmnpqrstuvw'[i]}x`);
    const guesses = [...wrong, recoveryCodes[0] ?? ''];
    const results = await Promise.all(
      guesses.map((code, i) => (i % 2 === 0 ? here : there).check(accountId, code, 'telegram')),
    );
    expect(results.at(-1)).toEqual({ ok: false, reason: 'tooMany' });
    expect(results.filter((r) => r.ok)).toEqual([]);
    expect(results.map(outcome).filter((o) => o === 'wrong')).toHaveLength(MAX_WRONG_SECOND_FACTOR - 1);
    expect((await accounts.get(accountId))?.twoFactor.recoveryHashes).toHaveLength(10);
  });

  it('gives back the attempts of malformed and replayed codes, so they never lock anybody out', async () => {
    const { accountId, here, there, app } = await setup();
    const code = await app.code();
    expect(await here.check(accountId, code, 'telegram')).toEqual({ ok: true, method: 'totp' });
    for (let i = 0; i < 12; i += 1) {
      const service = i % 2 === 0 ? here : there;
      expect(await service.check(accountId, code, 'telegram')).toEqual({ ok: false, reason: 'replay' });
      expect(await service.check(accountId, '12 34', 'telegram')).toEqual({ ok: false, reason: 'format' });
    }
    // Started together, those beyond the limit wait their turn as `tooMany` (the limit counts checks in
    // flight), but once they are done nothing is left counted.
    const together = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? here : there).check(accountId, code, 'telegram')),
    );
    expect(new Set(together.map(outcome))).toEqual(new Set(['replay', 'tooMany']));
    expect(together.map(outcome).filter((o) => o === 'replay')).toHaveLength(MAX_WRONG_SECOND_FACTOR);
    expect(await here.check(accountId, '000000', 'telegram')).toEqual({
      ok: false,
      reason: 'wrong',
      remaining: MAX_WRONG_SECOND_FACTOR - 1,
    });
  });
});

/**
 * Issue 16: the password lock-out must hold when guesses arrive together. Twelve `checkCurrent` calls for
 * one account, started at once through two service instances on two connections (two processes, as far as
 * the store can tell), with the right password last: at most five passwords may be verified, and the right
 * one must be refused once the five wrong ones have locked the step.
 */
import { describe, expect, it } from 'vitest';
import type { CheckPasswordResult } from '../../flows/ports.ts';
import { AccountStore } from '../../src/accounts/account-store.ts';
import { MAX_WRONG_PASSWORDS, PASSWORD_LOCK_MS } from '../../src/accounts/password-service.ts';
import { backends } from '../helpers/backends.ts';
import { type CheckCounter, createAccount, passwordServiceOn, RIGHT_PASSWORD } from './fixtures.ts';

const outcome = (r: CheckPasswordResult) => (r.ok ? 'ok' : r.reason);

describe.each(backends)('password lock-out under parallel guesses on $name', (backend) => {
  const store = backend.use();

  async function setup() {
    const verified: CheckCounter = { count: 0 };
    const accountId = await createAccount(store.kv, store.clock, store.prefix);
    const here = passwordServiceOn(store.kv, store.clock, store.prefix, verified);
    const there = passwordServiceOn(store.peer, store.clock, store.prefix, verified);
    return { verified, accountId, here, there };
  }

  it('verifies at most five of twelve passwords started together, and refuses the right one among them', async () => {
    const { verified, accountId, here, there } = await setup();
    const guesses = [...Array.from({ length: 11 }, (_, i) => `Wrong-Guess-${i + 1}`), RIGHT_PASSWORD];
    const results = await Promise.all(
      guesses.map((guess, i) => (i % 2 === 0 ? here : there).checkCurrent(accountId, guess, 'telegram')),
    );

    expect(verified.count).toBeLessThanOrEqual(MAX_WRONG_PASSWORDS);
    expect(results.at(-1)).toEqual({ ok: false, reason: 'locked', minutes: PASSWORD_LOCK_MS / 60_000 });
    expect(results.filter((r) => r.ok)).toEqual([]);
    // Five were checked and wrong (the fifth locked the step); the other seven never got to argon2.
    expect(results.map(outcome).filter((o) => o === 'wrong')).toHaveLength(MAX_WRONG_PASSWORDS - 1);
    expect(results.map(outcome).filter((o) => o === 'locked')).toHaveLength(12 - (MAX_WRONG_PASSWORDS - 1));
    const events = (await new AccountStore(store.kv, store.prefix).events(accountId)).map((e) => e.type);
    expect(events.filter((type) => type === 'password.wrong')).toHaveLength(MAX_WRONG_PASSWORDS);
    expect(events.filter((type) => type === 'password.locked')).toHaveLength(1);

    // Locked for everybody now, the right password too, and nothing more is verified.
    const before = verified.count;
    for (const service of [here, there]) {
      expect(await service.checkCurrent(accountId, RIGHT_PASSWORD, 'console')).toMatchObject({
        ok: false,
        reason: 'locked',
      });
    }
    expect(verified.count).toBe(before);
    expect(await here.lockedForMs(accountId)).toBeGreaterThan(PASSWORD_LOCK_MS - 60_000);
  });

  it('still counts down one by one when the guesses come one after another', async () => {
    const { verified, accountId, here, there } = await setup();
    const results = [];
    for (let i = 1; i <= MAX_WRONG_PASSWORDS; i += 1) {
      results.push(await (i % 2 ? here : there).checkCurrent(accountId, `Wrong-Guess-${i}`, 'telegram'));
    }
    expect(results).toEqual([
      { ok: false, reason: 'wrong', remaining: 4 },
      { ok: false, reason: 'wrong', remaining: 3 },
      { ok: false, reason: 'wrong', remaining: 2 },
      { ok: false, reason: 'wrong', remaining: 1 },
      { ok: false, reason: 'locked', minutes: 15 },
    ]);
    expect(verified.count).toBe(MAX_WRONG_PASSWORDS);
  });

  it('lets the right password through when it is among the first five, and then starts the count again', async () => {
    const { verified, accountId, here, there } = await setup();
    const results = await Promise.all([
      here.checkCurrent(accountId, RIGHT_PASSWORD, 'telegram'),
      there.checkCurrent(accountId, 'Wrong-Guess-1', 'telegram'),
    ]);
    expect(results[0]).toEqual({ ok: true });
    expect(verified.count).toBe(2);
    expect(await here.lockedForMs(accountId)).toBe(0);
  });
});

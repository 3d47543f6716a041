import { beforeEach, describe, expect, it } from 'vitest';
import { AccountStore } from '../../src/accounts/account-store.ts';
import { ManualClock } from '../../src/clock.ts';
import type { Kv } from '../../src/kv/kv.ts';
import { MemoryKv } from '../../src/kv/memory-kv.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import { silentLogger } from '../../src/log.ts';
import { RecoveryCodes } from '../../src/twofa/recovery-codes.ts';
import {
  MAX_WRONG_SECOND_FACTOR,
  SECOND_FACTOR_WINDOW_MS,
  SecondFactorService,
} from '../../src/twofa/second-factor.ts';
import { SecretBox } from '../../src/twofa/secret-box.ts';
import { TotpService } from '../../src/twofa/totp.ts';
import { connectRedis, uniquePrefix } from '../helpers/redis.ts';
import { authenticator, STEP_MS } from '../helpers/two-factor.ts';

const SECRET_KEY = 's'.repeat(32);
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

interface Fixture {
  readonly clock: ManualClock;
  readonly accounts: AccountStore;
  readonly service: SecondFactorService;
  readonly accountId: string;
  readonly recoveryCodes: string[];
  readonly app: ReturnType<typeof authenticator>;
  /** Another process on the same store (its own service objects). */
  another(kv?: Kv): SecondFactorService;
}

function serviceOn(kv: Kv, clock: ManualClock, prefix: string): SecondFactorService {
  return new SecondFactorService({
    accounts: new AccountStore(kv, prefix),
    kv,
    clock,
    log: silentLogger,
    totp: new TotpService({ clock, issuer: 'lockstep' }),
    box: new SecretBox({ secretKey: SECRET_KEY }),
    recovery: new RecoveryCodes({ secretKey: SECRET_KEY }),
    prefix,
  });
}

/** An account with 2FA on: the secret sealed as the enable flow stores it, and 10 recovery codes. */
async function fixture(
  kvFor: (clock: ManualClock) => Kv = (clock) => new MemoryKv(clock),
  prefix = 'ls:',
): Promise<Fixture> {
  // 10 s into a step, so "one step off" is not an artefact of a step boundary.
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 10));
  const kv = kvFor(clock);
  const accounts = new AccountStore(kv, prefix);
  const created = await accounts.create({
    phone: '+8613800138000',
    email: 'alice@example.com',
    passwordHash: 'x',
    now: clock.now(),
  });
  if (!created.ok) throw new Error(created.reason);
  const accountId = created.account.id;
  const recovery = new RecoveryCodes({ secretKey: SECRET_KEY }).generate(10);
  await accounts.update(accountId, (account) => ({
    ...account,
    twoFactor: {
      enabled: true,
      secretEnc: new SecretBox({ secretKey: SECRET_KEY }).seal(SECRET, accountId),
      lastUsedStep: null,
      recoveryHashes: recovery.hashes,
      enabledAt: clock.now(),
    },
  }));
  return {
    clock,
    accounts,
    service: serviceOn(kv, clock, prefix),
    accountId,
    recoveryCodes: recovery.codes,
    app: authenticator(SECRET, clock),
    another: (other = kv) => serviceOn(other, clock, prefix),
  };
}

const eventTypes = async (f: Fixture) => (await f.accounts.events(f.accountId)).map((e) => e.type);

describe('SecondFactorService: TOTP with a controllable clock', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture();
  });

  it('accepts the code of the current step and stores that step as used', async () => {
    expect(await f.service.check(f.accountId, await f.app.code(), 'telegram')).toEqual({
      ok: true,
      method: 'totp',
    });
    expect((await f.accounts.get(f.accountId))?.twoFactor.lastUsedStep).toBe(
      Math.floor(f.clock.now() / STEP_MS),
    );
  });

  it('accepts the code of the step before (an app running a little late)', async () => {
    expect(await f.service.check(f.accountId, await f.app.code(-1), 'telegram')).toMatchObject({ ok: true });
  });

  it('accepts the code of the step after (an app running a little early)', async () => {
    expect(await f.service.check(f.accountId, await f.app.code(1), 'telegram')).toMatchObject({ ok: true });
  });

  it('refuses codes two steps off, either way, as wrong', async () => {
    expect(await f.service.check(f.accountId, await f.app.code(-2), 'telegram')).toEqual({
      ok: false,
      reason: 'wrong',
      remaining: MAX_WRONG_SECOND_FACTOR - 1,
    });
    expect(await f.service.check(f.accountId, await f.app.code(2), 'telegram')).toEqual({
      ok: false,
      reason: 'wrong',
      remaining: MAX_WRONG_SECOND_FACTOR - 2,
    });
    expect((await f.accounts.get(f.accountId))?.twoFactor.lastUsedStep).toBeNull();
    expect(await eventTypes(f)).toEqual(['twofa.wrong', 'twofa.wrong', 'account.created']);
  });

  it('rejects a reused TOTP code and records the attempt as a security event', async () => {
    const code = await f.app.code();
    expect(await f.service.check(f.accountId, code, 'telegram')).toMatchObject({ ok: true });
    expect(await f.service.check(f.accountId, code, 'discord')).toEqual({ ok: false, reason: 'replay' });
    const [latest] = await f.accounts.events(f.accountId, 1);
    expect(latest).toMatchObject({ type: 'twofa.replayRejected', channel: 'discord' });
  });

  it('rejects the code of an earlier step once a later step was used', async () => {
    expect(await f.service.check(f.accountId, await f.app.code(1), 'telegram')).toMatchObject({ ok: true });
    expect(await f.service.check(f.accountId, await f.app.code(), 'telegram')).toEqual({
      ok: false,
      reason: 'replay',
    });
  });

  it('accepts the next code once time moved on to the next step', async () => {
    expect(await f.service.check(f.accountId, await f.app.code(), 'telegram')).toMatchObject({ ok: true });
    f.clock.advance(STEP_MS);
    expect(await f.service.check(f.accountId, await f.app.code(), 'telegram')).toMatchObject({ ok: true });
  });

  it('treats text that is neither a code nor a recovery code as a format problem that costs no try', async () => {
    for (const text of ['12345', 'hello', '1234567', '']) {
      expect(await f.service.check(f.accountId, text, 'telegram')).toEqual({ ok: false, reason: 'format' });
    }
    expect(await f.service.check(f.accountId, '000000', 'telegram')).toMatchObject({
      reason: 'wrong',
      remaining: MAX_WRONG_SECOND_FACTOR - 1,
    });
  });

  it('accepts a code typed with a space in the middle', async () => {
    const code = await f.app.code();
    expect(
      await f.service.check(f.accountId, `${code.slice(0, 3)} ${code.slice(3)}`, 'telegram'),
    ).toMatchObject({ ok: true });
  });

  it('refuses every code after five wrong ones, the right one too, until the 15-minute window is over', async () => {
    const results = [];
    for (let i = 0; i < MAX_WRONG_SECOND_FACTOR; i += 1) {
      results.push(await f.service.check(f.accountId, '000000', 'telegram'));
    }
    expect(results.map((r) => (r.ok ? 'ok' : r.reason))).toEqual([
      'wrong',
      'wrong',
      'wrong',
      'wrong',
      'tooMany',
    ]);
    expect(await f.service.check(f.accountId, await f.app.code(), 'telegram')).toEqual({
      ok: false,
      reason: 'tooMany',
    });
    // Another process sees the same counter.
    expect(await f.another().check(f.accountId, f.recoveryCodes[0] ?? '', 'telegram')).toEqual({
      ok: false,
      reason: 'tooMany',
    });
    f.clock.advance(SECOND_FACTOR_WINDOW_MS);
    expect(await f.service.check(f.accountId, await f.app.code(), 'telegram')).toMatchObject({ ok: true });
  });

  it('forgives earlier wrong codes once a right one is typed', async () => {
    await f.service.check(f.accountId, '000000', 'telegram');
    await f.service.check(f.accountId, '000000', 'telegram');
    expect(await f.service.check(f.accountId, await f.app.code(), 'telegram')).toMatchObject({ ok: true });
    expect(await f.service.check(f.accountId, '000000', 'telegram')).toMatchObject({
      remaining: MAX_WRONG_SECOND_FACTOR - 1,
    });
  });

  it('refuses to check anything for an account without two-step verification', async () => {
    await f.accounts.update(f.accountId, (account) => ({
      ...account,
      twoFactor: { ...account.twoFactor, enabled: false, secretEnc: null },
    }));
    await expect(f.service.check(f.accountId, await f.app.code(), 'telegram')).rejects.toThrow(
      /no two-step verification/,
    );
  });

  it('does not accept a secret sealed for another account (copied database field)', async () => {
    const other = await f.accounts.create({
      phone: '+8613800138001',
      email: null,
      passwordHash: 'x',
      now: 0,
    });
    if (!other.ok) throw new Error(other.reason);
    const stolen = (await f.accounts.get(f.accountId))?.twoFactor;
    await f.accounts.update(other.account.id, (account) => ({
      ...account,
      twoFactor: stolen ?? account.twoFactor,
    }));
    await expect(f.service.check(other.account.id, await f.app.code(), 'telegram')).rejects.toThrow(
      /did not authenticate/,
    );
  });
});

describe('SecondFactorService: recovery codes', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture();
  });

  it('accepts a recovery code once, removes its hash and records its use', async () => {
    const code = f.recoveryCodes[3] ?? '';
    expect(await f.service.check(f.accountId, code, 'telegram')).toEqual({ ok: true, method: 'recovery' });
    expect((await f.accounts.get(f.accountId))?.twoFactor.recoveryHashes).toHaveLength(9);
    const [latest] = await f.accounts.events(f.accountId, 1);
    expect(latest).toMatchObject({ type: 'twofa.recoveryUsed', detail: { remaining: 9 } });
    expect(await f.service.check(f.accountId, code, 'telegram')).toEqual({
      ok: false,
      reason: 'wrong',
      remaining: MAX_WRONG_SECOND_FACTOR - 1,
    });
    expect((await f.accounts.get(f.accountId))?.twoFactor.recoveryHashes).toHaveLength(9);
  });

  it('accepts a recovery code in capitals, with spaces instead of dashes', async () => {
    const typed = (f.recoveryCodes[0] ?? '').toUpperCase().replaceAll('-', ' ');
    expect(await f.service.check(f.accountId, typed, 'telegram')).toEqual({ ok: true, method: 'recovery' });
  });

  it('counts a made-up recovery code as a wrong try', async () => {
    expect(await f.service.check(f.accountId, 'abcd-efgh-jk', 'telegram')).toMatchObject({
      ok: false,
      reason: 'wrong',
    });
    expect(await eventTypes(f)).toContain('twofa.wrong');
  });

  it('lets only one of two racing checks use the same recovery code', async () => {
    const code = f.recoveryCodes[5] ?? '';
    const results = await Promise.all([
      f.service.check(f.accountId, code, 'telegram'),
      f.another().check(f.accountId, code, 'discord'),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect((await f.accounts.get(f.accountId))?.twoFactor.recoveryHashes).toHaveLength(9);
  });
});

describe('SecondFactorService on Redis, two processes', () => {
  it('accepts one TOTP code once when two processes race with it through two connections', async () => {
    const prefix = uniquePrefix();
    const f = await fixture(() => new RedisKv(connectRedis()), prefix);
    const other = f.another(new RedisKv(connectRedis()));
    const code = await f.app.code();
    const results = await Promise.all([
      f.service.check(f.accountId, code, 'telegram'),
      other.check(f.accountId, code, 'discord'),
      f.service.check(f.accountId, code, 'console'),
      other.check(f.accountId, code, 'telegram'),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'replay')).toHaveLength(3);
    expect((await eventTypes(f)).filter((type) => type === 'twofa.replayRejected')).toHaveLength(3);
  });
});

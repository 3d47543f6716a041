/**
 * Shared pieces of the attempt-limit tests: services built on one store the way a process builds them, with
 * the checks that cost something (argon2, TOTP) counted across every instance.
 */
import type { Redis } from 'ioredis';
import { AccountStore } from '../../src/accounts/account-store.ts';
import { type HashParams, OWASP_MINIMUM, PasswordHasher } from '../../src/accounts/password-hasher.ts';
import { PasswordService } from '../../src/accounts/password-service.ts';
import type { Clock, ManualClock } from '../../src/clock.ts';
import { CodeService } from '../../src/codes/code-service.ts';
import type { Kv } from '../../src/kv/kv.ts';
import { silentLogger } from '../../src/log.ts';
import { RecoveryCodes } from '../../src/twofa/recovery-codes.ts';
import { SecondFactorService } from '../../src/twofa/second-factor.ts';
import { SecretBox } from '../../src/twofa/secret-box.ts';
import { TotpService } from '../../src/twofa/totp.ts';

export const SECRET_KEY = 's'.repeat(32);
export const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
export const RIGHT_PASSWORD = 'Sunny-Right-2024';

/** How many passwords or codes were really checked, by every instance that shares it. */
export interface CheckCounter {
  count: number;
}

/** The real argon2 hasher, counting every verification. */
export class CountingHasher extends PasswordHasher {
  constructor(
    readonly counter: CheckCounter,
    params: HashParams = OWASP_MINIMUM,
  ) {
    super(params, 2);
  }

  override verify(hash: string, password: string): Promise<boolean> {
    this.counter.count += 1;
    return super.verify(hash, password);
  }
}

/** The real TOTP check, counting every code looked at. */
export class CountingTotp extends TotpService {
  constructor(
    readonly counter: CheckCounter,
    clock: Clock,
  ) {
    super({ clock, issuer: 'lockstep' });
  }

  override check(secret: string, code: string, lastUsedStep: number | null) {
    this.counter.count += 1;
    return super.check(secret, code, lastUsedStep);
  }
}

/** A password service as one process builds it on `kv` (codes are not used here, so they go nowhere). */
export function passwordServiceOn(
  kv: Kv,
  clock: Clock,
  prefix: string,
  counter: CheckCounter,
): PasswordService {
  const delivery = { send: async () => {} };
  return new PasswordService({
    accounts: new AccountStore(kv, prefix),
    hasher: new CountingHasher(counter),
    codes: new CodeService({ kv, delivery, clock, secretKey: SECRET_KEY, log: silentLogger, prefix }),
    delivery,
    kv,
    clock,
    log: silentLogger,
    prefix,
  });
}

/** A second-factor service as one process builds it on `kv`. */
export function secondFactorServiceOn(
  kv: Kv,
  clock: Clock,
  prefix: string,
  counter: CheckCounter,
): SecondFactorService {
  return new SecondFactorService({
    accounts: new AccountStore(kv, prefix),
    kv,
    clock,
    log: silentLogger,
    totp: new CountingTotp(counter, clock),
    box: new SecretBox({ secretKey: SECRET_KEY }),
    recovery: new RecoveryCodes({ secretKey: SECRET_KEY }),
    prefix,
  });
}

/** Creates an account whose password is RIGHT_PASSWORD; returns its id. */
export async function createAccount(kv: Kv, clock: Clock, prefix: string, phone = '+8613800138000') {
  const accounts = new AccountStore(kv, prefix);
  const created = await accounts.create({
    phone,
    email: 'alice@example.com',
    passwordHash: await new PasswordHasher().hash(RIGHT_PASSWORD),
    now: clock.now(),
  });
  if (!created.ok) throw new Error(created.reason);
  return created.account.id;
}

/** Turns two-step verification on for the account (TOTP_SECRET, 10 recovery codes); returns the codes. */
export async function enableTwoFactor(
  kv: Kv,
  clock: Clock,
  prefix: string,
  accountId: string,
): Promise<string[]> {
  const recovery = new RecoveryCodes({ secretKey: SECRET_KEY }).generate(10);
  await new AccountStore(kv, prefix).update(accountId, (account) => ({
    ...account,
    twoFactor: {
      enabled: true,
      secretEnc: new SecretBox({ secretKey: SECRET_KEY }).seal(TOTP_SECRET, accountId),
      lastUsedStep: null,
      recoveryHashes: recovery.hashes,
      enabledAt: clock.now(),
    },
  }));
  return recovery.codes;
}

/**
 * Lets `ms` pass on Redis without waiting: every key under `prefix` that expires within `ms` is deleted,
 * every other expiry is brought forward by `ms`, and the clock moves on.
 */
export async function fastForward(redis: Redis, prefix: string, clock: ManualClock, ms: number) {
  const stream = redis.scanStream({ match: `${prefix}*`, count: 500 });
  for await (const keys of stream as AsyncIterable<string[]>) {
    for (const key of keys) {
      const left = await redis.pttl(key);
      if (left < 0) continue;
      if (left <= ms) await redis.del(key);
      else await redis.pexpire(key, left - ms);
    }
  }
  clock.advance(ms);
}

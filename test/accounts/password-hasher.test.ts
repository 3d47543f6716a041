import argon2 from 'argon2';
import { describe, expect, it } from 'vitest';
import { OWASP_MINIMUM, PasswordHasher } from '../../src/accounts/password-hasher.ts';
import { ManualClock } from '../../src/clock.ts';
import { MemoryKv } from '../../src/kv/memory-kv.ts';
import { silentLogger } from '../../src/log.ts';
import { createServices } from '../../src/services.ts';
import { RecordingDelivery } from '../helpers/fake-delivery.ts';

/** The cost parameters encoded in an argon2 PHC string, e.g. `{ m: 19456, t: 2, p: 1 }`. */
function params(hash: string): Record<string, number> {
  const field = hash.split('$')[3] ?? '';
  return Object.fromEntries(
    field
      .split(',')
      .map((pair) => pair.split('='))
      .map(([k, v]) => [k, Number(v)]),
  );
}

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();

  it('hashes with argon2id at the OWASP minimum (19 MiB, t=2, p=1)', async () => {
    const hash = await hasher.hash('Sunflower-Lantern-42');
    expect(hash.startsWith('$argon2id$v=19$')).toBe(true);
    expect(params(hash)).toEqual({ m: 19_456, t: 2, p: 1 });
    expect(OWASP_MINIMUM).toEqual({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });
  });

  it('salts every hash, so the same password never hashes the same twice', async () => {
    const [a, b] = await Promise.all([hasher.hash('same password 1'), hasher.hash('same password 1')]);
    expect(a).not.toBe(b);
  });

  it('verifies the right password and rejects a wrong one', async () => {
    const hash = await hasher.hash('Sunflower-Lantern-42');
    expect(await hasher.verify(hash, 'Sunflower-Lantern-42')).toBe(true);
    expect(await hasher.verify(hash, 'sunflower-lantern-42')).toBe(false);
    expect(await hasher.verify(hash, '')).toBe(false);
  });

  it('does not truncate: a 128-character password differing only in its last character is rejected', async () => {
    const long = `${'a1'.repeat(63)}xy`;
    const hash = await hasher.hash(long);
    expect(await hasher.verify(hash, long)).toBe(true);
    expect(await hasher.verify(hash, `${long.slice(0, -1)}z`)).toBe(false);
  });

  it('handles full Unicode passwords', async () => {
    const hash = await hasher.hash('密码安全很重要12👨‍👩‍👧‍👦');
    expect(await hasher.verify(hash, '密码安全很重要12👨‍👩‍👧‍👦')).toBe(true);
    expect(await hasher.verify(hash, '密码安全很重要12')).toBe(false);
  });

  it('answers false, without throwing, for a malformed stored hash', async () => {
    await expect(hasher.verify('not-a-hash', 'anything')).resolves.toBe(false);
    await expect(hasher.verify('', 'anything')).resolves.toBe(false);
    await expect(hasher.verify('$argon2id$v=19$m=19456,t=2,p=1$broken', 'anything')).resolves.toBe(false);
  });

  it('says a hash made with weaker parameters needs a rehash, and a current one does not', async () => {
    const weak = await argon2.hash('Sunflower-Lantern-42', {
      type: argon2.argon2id,
      memoryCost: 4_096,
      timeCost: 1,
      parallelism: 1,
    });
    expect(hasher.needsRehash(weak)).toBe(true);
    expect(hasher.needsRehash(await hasher.hash('Sunflower-Lantern-42'))).toBe(false);
    // A hash from a process with even higher parameters is not "weaker".
    const stronger = new PasswordHasher({ memoryCost: 19_456, timeCost: 3, parallelism: 1 });
    expect(stronger.needsRehash(await hasher.hash('x1x1x1x1'))).toBe(true);
  });

  it('treats a malformed hash as needing a rehash instead of throwing', () => {
    expect(hasher.needsRehash('not-a-hash')).toBe(true);
  });

  it('runs at most maxConcurrent hashes at once and queues the rest', async () => {
    const single = new PasswordHasher(OWASP_MINIMUM, 1);
    expect(single.queued).toBe(0);
    const work = [single.hash('one 1 one'), single.hash('two 2 two'), single.verify('not-a-hash', 'x')];
    expect(single.queued).toBe(2);
    const hashes = await Promise.all(work);
    expect(single.queued).toBe(0);
    expect(hashes[2]).toBe(false);
    // Queued work still completes correctly.
    expect(await single.verify(hashes[1] as string, 'two 2 two')).toBe(true);
  });

  it('lets as many run as allowed before queueing', async () => {
    const pair = new PasswordHasher(OWASP_MINIMUM, 2);
    const work = Array.from({ length: 5 }, (_, i) => pair.hash(`password ${i}`));
    expect(pair.queued).toBe(3);
    await Promise.all(work);
    expect(pair.queued).toBe(0);
  });

  it('frees its slot when the work fails, so later work is not stuck behind it', async () => {
    // argon2 refuses these parameters, so every hash throws inside the slot.
    const broken = new PasswordHasher({ memoryCost: 1, timeCost: 0, parallelism: 0 }, 1);
    await expect(broken.hash('x')).rejects.toThrow();
    await expect(broken.hash('x')).rejects.toThrow();
    expect(broken.queued).toBe(0);
    await expect(broken.verify('not-a-hash', 'x')).resolves.toBe(false);
  });
});

describe('PasswordService rehash on verify', () => {
  async function seeded(passwordHash: string) {
    const clock = new ManualClock();
    const services = createServices({
      kv: new MemoryKv(clock),
      delivery: new RecordingDelivery(),
      clock,
      log: silentLogger,
      secretKey: 'x'.repeat(32),
    });
    const created = await services.accounts.create({
      phone: '+8613800138000',
      email: null,
      passwordHash,
      now: clock.now(),
    });
    if (!created.ok) throw new Error(created.reason);
    return { services, id: created.account.id };
  }

  const weakHash = (password: string) =>
    argon2.hash(password, { type: argon2.argon2id, memoryCost: 4_096, timeCost: 1, parallelism: 1 });

  it('rehashes a weaker stored hash with the current parameters after the right password', async () => {
    const weak = await weakHash('Sunflower-Lantern-42');
    const { services, id } = await seeded(weak);
    expect(await services.passwords.checkCurrent(id, 'Sunflower-Lantern-42', 'console')).toEqual({
      ok: true,
    });
    const stored = (await services.accounts.get(id))?.passwordHash ?? '';
    expect(stored).not.toBe(weak);
    expect(params(stored)).toEqual({ m: 19_456, t: 2, p: 1 });
    expect(await services.hasher.verify(stored, 'Sunflower-Lantern-42')).toBe(true);
    expect(await services.passwords.checkCurrent(id, 'Sunflower-Lantern-42', 'console')).toEqual({
      ok: true,
    });
  });

  it('keeps the weaker hash when the password is wrong', async () => {
    const weak = await weakHash('Sunflower-Lantern-42');
    const { services, id } = await seeded(weak);
    expect(await services.passwords.checkCurrent(id, 'Wrong-Guess-1', 'console')).toMatchObject({
      ok: false,
      reason: 'wrong',
    });
    expect((await services.accounts.get(id))?.passwordHash).toBe(weak);
  });

  it('leaves a current hash untouched after the right password', async () => {
    const { services: probe } = await seeded('unused');
    const current = await probe.hasher.hash('Sunflower-Lantern-42');
    const { services, id } = await seeded(current);
    expect(await services.passwords.checkCurrent(id, 'Sunflower-Lantern-42', 'console')).toEqual({
      ok: true,
    });
    expect((await services.accounts.get(id))?.passwordHash).toBe(current);
  });
});

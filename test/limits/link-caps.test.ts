/**
 * Issue 9, part 3: caps that cannot be turned against the owner. Anybody can start /link with anybody's
 * number, so a stranger pressing "resend" on /link with the owner's number must use up the stranger's budget
 * and the /link budget of that number, never the codes the owner's own flows (/password, /phone) need.
 * On the real Redis, with the services wired as the composition root wires them; time is moved by bringing
 * every expiry in Redis forward (no real waiting).
 */
import { describe, expect, it } from 'vitest';
import type { LinkDestination } from '../../flows/link-account.ts';
import type { SendCodeResult } from '../../flows/ports.ts';
import { ManualClock } from '../../src/clock.ts';
import { HOURLY_CAP, LINK_HOURLY_CAP, RESEND_COOLDOWN_MS } from '../../src/codes/code-service.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import { LINK_ATTEMPTS_PER_CHAT } from '../../src/linking/link-service.ts';
import { silentLogger } from '../../src/log.ts';
import { createServices } from '../../src/services.ts';
import { RecordingDelivery } from '../helpers/fake-delivery.ts';
import { connectRedis, uniquePrefix } from '../helpers/redis.ts';
import { fastForward, SECRET_KEY } from './fixtures.ts';

const PHONE = '+8613800138000';
const EMAIL = 'alice@example.com';
const RESEND_EVERY_MS = RESEND_COOLDOWN_MS + 1_000;
const outcome = (r: { ok: boolean; reason?: string }) => (r.ok ? 'sent' : (r.reason ?? '?'));

describe('link caps on Redis: a stranger hammering /link with the owner’s number', () => {
  const redis = connectRedis();
  const kv = new RedisKv(redis);

  async function setup() {
    const prefix = uniquePrefix();
    const clock = new ManualClock();
    const delivery = new RecordingDelivery();
    const services = createServices({
      kv,
      delivery,
      clock,
      log: silentLogger,
      secretKey: SECRET_KEY,
      prefix,
    });
    const created = await services.accounts.create({
      phone: PHONE,
      email: EMAIL,
      passwordHash: 'not-used-here',
      now: clock.now(),
    });
    if (!created.ok) throw new Error(created.reason);
    const accountId = created.account.id;
    // The owner's own chat is linked; the strangers' chats are not.
    await services.accounts.link(accountId, 'telegram', 'owner', clock.now());
    const elapse = (ms: number) => fastForward(redis, prefix, clock, ms);
    const phone: LinkDestination = { kind: 'phone', value: PHONE };
    return { services, delivery, accountId, elapse, phone };
  }

  it('uses up the stranger’s budget while the owner’s password-reset codes still send', async () => {
    const { services, delivery, accountId, elapse, phone } = await setup();
    const stranger = { channel: 'telegram', userId: 'stranger' } as const;

    // The stranger types the owner's number and presses "resend" every 61 s, for a quarter of an hour.
    const attempts: string[] = [];
    for (let i = 0; i < 15; i += 1) {
      attempts.push(outcome(await services.linking.requestCode(stranger, phone)));
      await elapse(RESEND_EVERY_MS);
    }
    const linkCodes = delivery.to(PHONE).length;
    expect(linkCodes).toBeGreaterThan(0);
    expect(linkCodes).toBeLessThanOrEqual(LINK_HOURLY_CAP);
    // The waits grow after each code, and then the stranger's attempts are used up.
    expect(attempts).toContain('cooldown');
    expect(attempts.slice(LINK_ATTEMPTS_PER_CHAT)).toEqual(
      Array.from({ length: 15 - LINK_ATTEMPTS_PER_CHAT }, () => 'tooMany'),
    );

    // Meanwhile the owner, from the linked chat, forgot the password: the code comes, and so does every
    // code of the owner's own hourly budget.
    const owner: SendCodeResult[] = [];
    for (let i = 0; i < HOURLY_CAP; i += 1) {
      owner.push(await services.passwords.sendCode(accountId, 'password-reset', 'phone'));
      await elapse(RESEND_EVERY_MS);
    }
    expect(owner.map(outcome)).toEqual(Array.from({ length: HOURLY_CAP }, () => 'sent'));
    const code = delivery.lastCodeTo(PHONE);
    expect(delivery.to(PHONE)).toHaveLength(linkCodes + HOURLY_CAP);
    expect(await services.passwords.checkCode(accountId, 'password-reset', 'phone', code)).toEqual({
      ok: true,
    });
    // The owner's budget itself is still a cap.
    expect(await services.passwords.sendCode(accountId, 'password-reset', 'phone')).toEqual({
      ok: false,
      reason: 'hourlyCap',
    });
  });

  it('keeps /link codes to one number within their own small cap, however many strangers ask', async () => {
    const { services, delivery, accountId, elapse, phone } = await setup();
    const strangers = Array.from(
      { length: 12 },
      (_, i) => ({ channel: 'discord', userId: `s${i}` }) as const,
    );
    for (let round = 0; round < 10; round += 1) {
      const results = await Promise.all(strangers.map((s) => services.linking.requestCode(s, phone)));
      // At most one /link code to the number at a time, whoever asks.
      expect(results.filter((r) => r.ok).length).toBeLessThanOrEqual(1);
      await elapse(RESEND_EVERY_MS);
    }
    expect(delivery.to(PHONE).length).toBeLessThanOrEqual(LINK_HOURLY_CAP);
    // The owner is not affected, on the phone or the email.
    expect(await services.passwords.sendCode(accountId, 'password-reset', 'phone')).toMatchObject({
      ok: true,
    });
    expect(await services.passwords.sendCode(accountId, 'password-reset', 'email')).toMatchObject({
      ok: true,
    });
  });

  it('gives every chat its own /link code: a stranger’s wrong tries cannot kill the owner’s', async () => {
    const { services, delivery, elapse, phone } = await setup();
    const ownerNewPhone = { channel: 'discord', userId: 'owner-new-device' } as const;
    const stranger = { channel: 'telegram', userId: 'stranger' } as const;
    expect(await services.linking.requestCode(ownerNewPhone, phone)).toMatchObject({ ok: true });
    const ownersCode = delivery.lastCodeTo(PHONE);
    await elapse(RESEND_EVERY_MS);
    expect(await services.linking.requestCode(stranger, phone)).toMatchObject({ ok: true });
    const strangersCode = delivery.lastCodeTo(PHONE);
    const wrong = ['111111', '222222', '333333'].find((c) => c !== ownersCode && c !== strangersCode) ?? '';
    // The owner's code, typed in the stranger's chat, is just wrong there.
    const tries = [outcome(await services.linking.checkCode(stranger, phone, ownersCode))];
    for (let i = 0; i < 4; i += 1)
      tries.push(outcome(await services.linking.checkCode(stranger, phone, wrong)));
    expect(tries).toEqual(['wrong', 'wrong', 'wrong', 'wrong', 'exhausted']);
    expect(await services.linking.checkCode(ownerNewPhone, phone, ownersCode)).toMatchObject({ ok: true });
  });
});

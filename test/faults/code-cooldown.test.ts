/**
 * Issue 9's refinement of the resend cool-down: a code whose sender died while sending it (the code was
 * never stored, so it can never be used) must not hold the destination's 60 s cool-down. Two code
 * services on one real Redis play two processes; "dying" is the Redis connection of one of them going
 * away (its renewals stop), while its SMS gateway call never returns.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { CodeService, RESEND_COOLDOWN_MS, SENDING_CLAIM_MS } from '../../src/codes/code-service.ts';
import type { Delivery, OutgoingMessage } from '../../src/delivery/delivery.ts';
import type { Kv } from '../../src/kv/kv.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import { silentLogger } from '../../src/log.ts';
import { RecordingDelivery } from '../helpers/fake-delivery.ts';
import { connectRedis, deleteByPrefix, uniquePrefix } from '../helpers/redis.ts';

const redis = connectRedis();
const prefix = uniquePrefix();
afterAll(() => deleteByPrefix(redis, prefix));

const PHONE = '+8613800138000';
const SECRET = 'faults-code-cooldown-secret-key-0123456789';

/** A process's view of Redis that stops answering once the process "dies". */
function mortal(inner: Kv): { kv: Kv; die(): void } {
  let dead = false;
  const kv = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        dead ? Promise.reject(new Error('the process is gone')) : value.apply(target, args);
    },
  });
  return { kv, die: () => (dead = true) };
}

/** An SMS gateway whose answer the test releases (or never does). */
function gateway(): Delivery & { readonly sent: OutgoingMessage[]; release(): void; called: Promise<void> } {
  const sent: OutgoingMessage[] = [];
  let release: () => void = () => {};
  let called: () => void = () => {};
  const state = {
    sent,
    called: new Promise<void>((resolve) => {
      called = resolve;
    }),
    release: () => release(),
    send: (message: OutgoingMessage) =>
      new Promise<void>((resolve) => {
        sent.push(message);
        release = resolve;
        called();
      }),
  };
  return state;
}

const service = (kv: Kv, delivery: Delivery) =>
  new CodeService({ kv, delivery, clock: systemClock, secretKey: SECRET, log: silentLogger, prefix });

let subjects = 0;
const request = () => {
  subjects += 1;
  return {
    subject: `acc_cooldown_${subjects}`,
    purpose: 'password-reset',
    channel: 'sms' as const,
    to: PHONE,
    shownAs: '+86 138****8000',
  };
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the resend cool-down when the sender dies mid-send', { timeout: 30_000 }, () => {
  it('holds the destination only for the short sending claim; then another process sends a code that works', async () => {
    const ask = request();
    const a = mortal(new RedisKv(redis));
    const hanging = gateway();
    const b = new RecordingDelivery();
    const inA = service(a.kv, hanging);
    const inB = service(new RedisKv(redis), b);

    // (Once released, A's own writes fail: it is gone.)
    const inFlight = inA.send(ask).catch((error: unknown) => error);
    await hanging.called;
    // While A is sending, B does not send a second code.
    const during = await inB.send(ask);
    expect(during).toMatchObject({ ok: false, reason: 'cooldown' });
    expect(during.ok === false && during.reason === 'cooldown' && during.seconds).toBeLessThanOrEqual(
      Math.ceil(SENDING_CLAIM_MS / 1000),
    );

    // A dies without a word: its claim lapses within SENDING_CLAIM_MS, not RESEND_COOLDOWN_MS.
    const died = Date.now();
    a.die();
    let sent = await inB.send(ask);
    while (!sent.ok && Date.now() - died < SENDING_CLAIM_MS + 2_000) {
      await sleep(100);
      sent = await inB.send(ask);
    }
    expect(sent).toEqual({ ok: true, to: '+86 138****8000' });
    expect(Date.now() - died).toBeLessThan(SENDING_CLAIM_MS + 1_000);
    const code = b.lastCodeTo(PHONE);

    // A code that went out holds the full cool-down.
    const again = await inB.send(ask);
    expect(again).toMatchObject({ ok: false, reason: 'cooldown' });
    expect(again.ok === false && again.reason === 'cooldown' && again.seconds).toBeGreaterThanOrEqual(
      RESEND_COOLDOWN_MS / 1000 - 2,
    );
    // The code works; once it has been typed right, its cool-down ends (the code reached whoever asked).
    expect(await inB.check(ask.subject, ask.purpose, PHONE, code)).toEqual({ ok: true });
    expect(await inB.send(ask)).toEqual({ ok: true, to: '+86 138****8000' });
    hanging.release();
    expect(await inFlight).toBeInstanceOf(Error);
  });

  it('a slow send that is still alive keeps its claim past SENDING_CLAIM_MS, and then starts the full cool-down', async () => {
    const ask = request();
    const slow = gateway();
    const inA = service(new RedisKv(redis), slow);
    const inB = service(new RedisKv(redis), new RecordingDelivery());

    const first = inA.send(ask);
    await slow.called;
    await sleep(SENDING_CLAIM_MS + 1_000);
    expect(await inB.send(ask)).toMatchObject({ ok: false, reason: 'cooldown' });
    slow.release();
    expect(await first).toEqual({ ok: true, to: '+86 138****8000' });
    const after = await inB.send(ask);
    expect(after.ok === false && after.reason === 'cooldown' && after.seconds).toBeGreaterThanOrEqual(
      RESEND_COOLDOWN_MS / 1000 - 2,
    );
  });
});

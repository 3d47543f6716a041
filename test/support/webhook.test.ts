/**
 * The support webhook on its own: a real receiver on loopback checks each delivery as a receiver would
 * (HMAC-SHA256 over "<timestamp>.<body>", either secret during a rotation, the timestamp window), and
 * failures are retried with back-off under the same delivery id; 4xx answers are final.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { signatureHeader, signWebhook, verifyWebhookSignature } from '../../src/delivery/signed-webhook.ts';
import { verifyWebhookSignature as smsVerify } from '../../src/delivery/sms-webhook.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import type { Logger } from '../../src/log.ts';
import { SupportWebhook } from '../../src/support/webhook.ts';
import { connectRedis, deleteByPrefix, uniquePrefix } from '../helpers/redis.ts';
import { OLD_WEBHOOK_SECRET, Receiver, WEBHOOK_SECRET } from './world.ts';

const redis = connectRedis();
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function setUp(secrets: readonly string[] = [WEBHOOK_SECRET]) {
  const receiver = await Receiver.start();
  cleanups.push(() => receiver.close());
  const prefix = uniquePrefix();
  cleanups.push(() => deleteByPrefix(redis, prefix));
  const warnings: object[] = [];
  const log: Logger = { debug() {}, info() {}, warn: (obj) => void warnings.push(obj), error() {} };
  const webhook = new SupportWebhook({
    kv: new RedisKv(redis),
    clock: systemClock,
    log,
    prefix,
    url: receiver.url,
    secrets,
    attempts: 4,
    baseDelayMs: 30,
    maxDelayMs: 1_500,
  });
  cleanups.push(() => webhook.close());
  return { receiver, webhook, warnings };
}

const check = (secret: string | readonly string[], d: Receiver['deliveries'][number], nowMs = Date.now()) =>
  verifyWebhookSignature(
    secret,
    d.headers['x-lockstep-timestamp'] as string,
    d.raw,
    d.headers['x-lockstep-signature'] as string,
    { nowMs },
  );

describe('the support webhook', () => {
  it('signs each delivery so a receiver can check it, and retries a 503 with the same delivery id', async () => {
    const { receiver, webhook } = await setUp();
    receiver.failNext(503);
    receiver.failNext(500);
    const event = await webhook.emit('handoff.status', { handoffId: 'hof_1', status: 'opened' });
    const accepted = await receiver.waitFor((d) => d.body.id === event?.id);
    expect(receiver.deliveries.map((d) => d.status)).toEqual([503, 500, 204]);
    expect(new Set(receiver.deliveries.map((d) => d.headers['idempotency-key']))).toEqual(
      new Set([event?.id]),
    );
    expect(new Set(receiver.deliveries.map((d) => d.body.id))).toEqual(new Set([event?.id]));
    expect(accepted.body).toEqual({
      id: event?.id,
      type: 'handoff.status',
      at: expect.any(String),
      data: { handoffId: 'hof_1', status: 'opened' },
    });
    expect(check(WEBHOOK_SECRET, accepted)).toBe(true);
    // A tampered body, another secret, or an old timestamp is refused.
    expect(check(WEBHOOK_SECRET, { ...accepted, raw: accepted.raw.replace('opened', 'completed') })).toBe(
      false,
    );
    expect(check('another-secret-0123456789-0123456789', accepted)).toBe(false);
    expect(check(WEBHOOK_SECRET, accepted, Date.now() + 6 * 60_000)).toBe(false);
    // The SMS webhook checks with the same shared signer.
    expect(
      smsVerify(
        WEBHOOK_SECRET,
        accepted.headers['x-lockstep-timestamp'] as string,
        accepted.raw,
        accepted.headers['x-lockstep-signature'] as string,
      ),
    ).toBe(true);
  });

  it('signs with both secrets during a rotation: receivers holding either one accept it', async () => {
    const { receiver, webhook } = await setUp([WEBHOOK_SECRET, OLD_WEBHOOK_SECRET]);
    const event = await webhook.emit('escalation.opened', { escalationId: 'esc_1' });
    const d = await receiver.waitFor((x) => x.body.id === event?.id);
    expect(String(d.headers['x-lockstep-signature']).split(',')).toHaveLength(2);
    expect(check(WEBHOOK_SECRET, d)).toBe(true);
    expect(check(OLD_WEBHOOK_SECRET, d)).toBe(true);
    expect(check([OLD_WEBHOOK_SECRET, WEBHOOK_SECRET], d)).toBe(true);
    expect(check('neither-of-them-0123456789-0123456789', d)).toBe(false);
    const ts = '1700000000';
    expect(signatureHeader([WEBHOOK_SECRET, OLD_WEBHOOK_SECRET], ts, '{}')).toBe(
      `${signWebhook(WEBHOOK_SECRET, ts, '{}')},${signWebhook(OLD_WEBHOOK_SECRET, ts, '{}')}`,
    );
  });

  it('waits as long as Retry-After says (up to its cap) before the next attempt', async () => {
    const { receiver, webhook } = await setUp();
    receiver.failNext(429, '1');
    const started = Date.now();
    const event = await webhook.emit('handoff.status', { handoffId: 'hof_2', status: 'completed' });
    await receiver.waitFor((d) => d.body.id === event?.id);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(receiver.deliveries.map((d) => d.status)).toEqual([429, 204]);
  });

  it('does not retry a 4xx answer, and gives up after the last attempt', async () => {
    const { receiver, webhook, warnings } = await setUp();
    receiver.failNext(400);
    await webhook.emit('handoff.status', { handoffId: 'hof_3', status: 'opened' });
    await webhook.idle();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(receiver.deliveries.map((d) => d.status)).toEqual([400]);
    for (let i = 0; i < 4; i += 1) receiver.failNext(503);
    await webhook.emit('handoff.status', { handoffId: 'hof_4', status: 'opened' });
    const deadline = Date.now() + 5_000;
    while (receiver.deliveries.length < 5 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    await new Promise((resolve) => setTimeout(resolve, 400));
    await webhook.idle();
    expect(receiver.deliveries.map((d) => d.status)).toEqual([400, 503, 503, 503, 503]);
    expect(warnings.at(-1)).toMatchObject({ attempt: 4, of: 4, willRetry: false });
    expect(JSON.stringify(warnings)).not.toContain('hof_4');
  });

  it('sends nothing and queues nothing without a URL', async () => {
    const prefix = uniquePrefix();
    const webhook = new SupportWebhook({ kv: new RedisKv(redis), clock: systemClock, log: console, prefix });
    expect(await webhook.emit('handoff.status', { handoffId: 'hof_5' })).toBeNull();
    expect(await redis.keys(`${prefix}*`)).toEqual([]);
    expect(
      () =>
        new SupportWebhook({
          kv: new RedisKv(redis),
          clock: systemClock,
          log: console,
          url: 'https://x.example/h',
          secrets: ['short'],
        }),
    ).toThrow(/32 characters/);
  });
});

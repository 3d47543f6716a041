/**
 * Seeds, under `prefix` of a test Redis, an account with a phone, an email and a password, linked to a
 * Telegram user: what the tests that start `src/main.ts` as a process need before the first message.
 */
import type { Redis } from 'ioredis';
import { systemClock } from '../../src/clock.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import { silentLogger } from '../../src/log.ts';
import { createServices, type Services } from '../../src/services.ts';
import { RecordingDelivery } from './fake-delivery.ts';

export interface SeedOptions {
  readonly prefix: string;
  /** The process's SECRET_KEY: the services that seed must hash codes and seal secrets the same way. */
  readonly secretKey: string;
  readonly telegramUserId: number;
  readonly phone?: string;
  readonly email?: string;
  readonly password?: string;
}

export async function seedLinkedAccount(
  redis: Redis,
  options: SeedOptions,
): Promise<{ readonly accountId: string; readonly services: Services }> {
  const services = createServices({
    kv: new RedisKv(redis),
    delivery: new RecordingDelivery(),
    clock: systemClock,
    log: silentLogger,
    secretKey: options.secretKey,
    prefix: options.prefix,
  });
  const created = await services.accounts.create({
    phone: options.phone ?? '+8613800138000',
    email: options.email ?? 'alice@example.com',
    passwordHash: await services.hasher.hash(options.password ?? 'Harbour-Lantern-93'),
    now: Date.now(),
  });
  if (!created.ok) throw new Error(created.reason);
  const accountId = created.account.id;
  const linked = await services.accounts.link(
    accountId,
    'telegram',
    String(options.telegramUserId),
    Date.now(),
  );
  if (!linked.ok) throw new Error(linked.reason);
  return { accountId, services };
}

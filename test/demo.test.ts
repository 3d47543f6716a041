/**
 * The console demo's account: created once and linked to the console, re-used across runs on Redis, and
 * never taking the console away from an account an operator linked it to (`admin account link <id>
 * --console`); no demo account at all when a bot token is set.
 */
import argon2 from 'argon2';
import { afterAll, describe, expect, it } from 'vitest';
import { runAdmin } from '../src/admin/cli.ts';
import { systemClock } from '../src/clock.ts';
import { parseConfig } from '../src/config.ts';
import { OutboxDelivery } from '../src/delivery/outbox.ts';
import {
  CONSOLE_USER_ID,
  DEMO_ACCOUNT_ID,
  DEMO_EMAIL,
  DEMO_PHONE,
  demoWanted,
  seedDemoAccount,
} from '../src/demo.ts';
import type { Kv } from '../src/kv/kv.ts';
import { MemoryKv } from '../src/kv/memory-kv.ts';
import { RedisKv } from '../src/kv/redis-kv.ts';
import { silentLogger } from '../src/log.ts';
import { createServices, type Services } from '../src/services.ts';
import { connectRedis, deleteByPrefix, uniquePrefix } from './helpers/redis.ts';

const PASSWORD = 'Sunny-Demo-2024';
const OTHER_PASSWORD = 'Another-Demo-77';
const TOKEN = `123456:${'A'.repeat(35)}`;
const KEY = 'k'.repeat(32);

const redis = connectRedis();
const prefixes: string[] = [];
afterAll(async () => {
  for (const prefix of prefixes) await deleteByPrefix(redis, prefix);
});

/** One process's services on a store; call it again with the same store for the next run. */
function processOn(kv: Kv, prefix: string): Services {
  return createServices({
    kv,
    delivery: new OutboxDelivery({ clock: systemClock }),
    clock: systemClock,
    log: silentLogger,
    secretKey: KEY,
    prefix,
  });
}

/** A fresh shared store: a Redis prefix of its own, opened as a new process each time it is called. */
function sharedRedis(): () => Services {
  const prefix = uniquePrefix();
  prefixes.push(prefix);
  return () => processOn(new RedisKv(redis), prefix);
}

/** An operator's account, made and linked to the console with the admin CLI. */
async function operatorLinksConsole(services: Services, phone: string): Promise<string> {
  const created = (await runAdmin(
    ['account', 'create', '--phone', phone, '--password', 'Operator-choice-9'],
    services,
  )) as { id: string };
  await runAdmin(['account', 'link', created.id, '--console'], services);
  return created.id;
}

describe('seedDemoAccount', () => {
  it('creates the demo account linked to the console, with two signed-in sessions', async () => {
    const services = processOn(new MemoryKv(), 'ls:');
    const result = await seedDemoAccount(services, PASSWORD);
    expect(result.status).toBe('created');
    expect(result.created).toBe(true);
    const account = await services.accounts.get(DEMO_ACCOUNT_ID);
    expect(account).toMatchObject({ phone: DEMO_PHONE, email: DEMO_EMAIL });
    expect(account?.sessions).toHaveLength(2);
    expect(await argon2.verify(account?.passwordHash ?? '', PASSWORD)).toBe(true);
    expect(await services.accounts.linkedId('console', CONSOLE_USER_ID)).toBe(DEMO_ACCOUNT_ID);
  });

  it('re-uses the demo account on Redis across runs and keeps its password', async () => {
    const run = sharedRedis();
    expect((await seedDemoAccount(run(), PASSWORD)).status).toBe('created');
    const second = run();
    const again = await seedDemoAccount(second, OTHER_PASSWORD);
    expect(again).toMatchObject({ status: 'existing', created: false });
    const account = await second.accounts.get(DEMO_ACCOUNT_ID);
    expect(await argon2.verify(account?.passwordHash ?? '', PASSWORD)).toBe(true);
    expect(await second.accounts.linkedId('console', CONSOLE_USER_ID)).toBe(DEMO_ACCOUNT_ID);
  });

  it('keeps the console on the account an operator linked it to, and creates no demo account', async () => {
    const run = sharedRedis();
    const operatorId = await operatorLinksConsole(run(), '+4915112345678');
    const next = run();
    const result = await seedDemoAccount(next, PASSWORD);
    expect(result).toEqual({
      status: 'linkedElsewhere',
      created: false,
      account: null,
      linkedTo: operatorId,
    });
    expect(await next.accounts.linkedId('console', CONSOLE_USER_ID)).toBe(operatorId);
    expect(await next.accounts.get(DEMO_ACCOUNT_ID)).toBeNull();
    // The demo's phone is still free: nothing was claimed for it.
    expect(await next.accounts.findByPhone(DEMO_PHONE)).toBeNull();
  });

  it('never relinks the console to the demo account after an operator moved it to another account', async () => {
    const run = sharedRedis();
    expect((await seedDemoAccount(run(), PASSWORD)).status).toBe('created');
    const operator = run();
    await runAdmin(['account', 'unlink', '--console'], operator);
    const operatorId = await operatorLinksConsole(operator, '+4915112345678');

    for (let restart = 0; restart < 2; restart += 1) {
      const next = run();
      const result = await seedDemoAccount(next, PASSWORD);
      expect(result.status).toBe('linkedElsewhere');
      expect(result.status === 'linkedElsewhere' && result.linkedTo).toBe(operatorId);
      expect(result.account?.id).toBe(DEMO_ACCOUNT_ID);
      expect(await next.accounts.linkedId('console', CONSOLE_USER_ID)).toBe(operatorId);
      const demo = await next.accounts.get(DEMO_ACCOUNT_ID);
      expect(demo?.links.some((l) => l.channel === 'console')).toBe(false);
    }
  });

  it('leaves an unlinked console unlinked when the demo account already exists', async () => {
    const run = sharedRedis();
    expect((await seedDemoAccount(run(), PASSWORD)).status).toBe('created');
    await runAdmin(['account', 'unlink', '--console'], run());
    const next = run();
    expect(await seedDemoAccount(next, PASSWORD)).toMatchObject({ status: 'unlinked', created: false });
    expect(await next.accounts.linkedId('console', CONSOLE_USER_ID)).toBeNull();
  });

  it('creates and links nothing when a bot token is set', async () => {
    const run = sharedRedis();
    const services = run();
    const config = parseConfig({ TELEGRAM_BOT_TOKEN: TOKEN, SECRET_KEY: KEY });
    if (!config.ok) throw new Error(config.problems.join('\n'));
    expect(demoWanted(config.config)).toBe(false);
    const result = await seedDemoAccount(services, PASSWORD, { botConfigured: !demoWanted(config.config) });
    expect(result).toEqual({ status: 'skipped', created: false, account: null });
    expect(await services.accounts.get(DEMO_ACCOUNT_ID)).toBeNull();
    expect(await services.accounts.linkedId('console', CONSOLE_USER_ID)).toBeNull();
  });

  it('wants the demo only without a bot', () => {
    const plain = parseConfig({});
    const redisOnly = parseConfig({ REDIS_URL: 'redis://127.0.0.1:6379', SECRET_KEY: KEY });
    if (!plain.ok || !redisOnly.ok) throw new Error('invalid configuration');
    expect(demoWanted(plain.config)).toBe(true);
    expect(demoWanted(redisOnly.config)).toBe(true);
  });
});

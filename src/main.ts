/**
 * The composition root: config -> Redis (or memory) -> stores -> services -> flows -> engine -> adapters.
 * What runs depends on configuration: no bot token = the console demo; TELEGRAM_BOT_TOKEN = Telegram.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { consolePushSender, renderOutbox, runConsole } from '../adapters/console/console-adapter.ts';
import { t } from './catalog/catalog.ts';
import { systemClock } from './clock.ts';
import { type Config, parseConfig } from './config.ts';
import { DEMO_ACCOUNT_ID, DEMO_EMAIL, DEMO_PHONE, randomDemoPassword, seedDemoAccount } from './demo.ts';
import type { Delivery } from './delivery/delivery.ts';
import { OutboxDelivery } from './delivery/outbox.ts';
import type { Kv } from './kv/kv.ts';
import { MemoryKv } from './kv/memory-kv.ts';
import { RedisKv } from './kv/redis-kv.ts';
import { createLogger, type Logger } from './log.ts';
import { createEngine, createServices } from './services.ts';

/** Exit code for bad configuration (sysexits EX_CONFIG). */
export const EXIT_CONFIG = 78;

function buildDelivery(config: Config, print: ((line: string) => void) | undefined): Delivery {
  return new OutboxDelivery({
    file: config.outboxFile,
    clock: systemClock,
    print: print ? (message) => print(renderOutbox(message)) : undefined,
  });
}

async function main(): Promise<number> {
  const parsed = parseConfig(process.env);
  if (!parsed.ok) {
    process.stderr.write(
      `lockstep cannot start: the configuration has ${parsed.problems.length} problem(s):\n`,
    );
    for (const problem of parsed.problems) process.stderr.write(`  - ${problem}\n`);
    process.stderr.write('See the Configuration section of README.md.\n');
    return EXIT_CONFIG;
  }
  const config = parsed.config;
  const consoleMode = !config.telegram && !config.discord;
  // In the console demo, logs go to a quiet level so they do not drown the conversation.
  const log: Logger = createLogger(consoleMode && config.logLevel === 'info' ? 'warn' : config.logLevel);

  let redis: Redis | null = null;
  let kv: Kv;
  if (config.redisUrl) {
    redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3, enableOfflineQueue: true });
    redis.on('error', (error) => log.warn({ err: error.name }, 'redis connection problem'));
    kv = new RedisKv(redis);
  } else {
    kv = new MemoryKv(systemClock);
  }
  const secretKey = config.secretKey ?? randomBytes(32).toString('hex');
  const out = process.stdout;
  const delivery = buildDelivery(config, consoleMode ? (line) => out.write(`${line}\n`) : undefined);
  const services = createServices({
    kv,
    delivery,
    clock: systemClock,
    log,
    secretKey,
    prefix: config.redisPrefix,
    flowIdleMs: config.flowIdleMs,
    hashing: config.hashing,
    totpIssuer: config.totpIssuer,
    publicUrl: config.http.publicUrl,
  });
  const engine = createEngine(services);
  const sweeper = setInterval(() => {
    engine.expireIdle().catch((error: unknown) => log.warn({ err: String(error) }, 'expiry sweep failed'));
  }, 15_000);
  sweeper.unref();

  const shutdown = async () => {
    clearInterval(sweeper);
    await redis?.quit().catch(() => redis?.disconnect());
  };

  if (consoleMode) {
    const password = config.demoPassword ?? randomDemoPassword();
    await seedDemoAccount(services, password);
    engine.setPushSender(consolePushSender(out));
    out.write(`${t('en', 'console.banner')}\n`);
    out.write(
      `${
        config.redisUrl && !config.demoPassword
          ? t('en', 'console.demoAccountRedis', { url: config.redisUrl, id: DEMO_ACCOUNT_ID })
          : t('en', 'console.demoAccount', {
              id: DEMO_ACCOUNT_ID,
              phone: DEMO_PHONE,
              email: DEMO_EMAIL,
              password,
            })
      }\n\n`,
    );
    await runConsole({ engine, input: process.stdin, output: out });
    await shutdown();
    return 0;
  }
  await shutdown();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `lockstep stopped: ${error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error'}\n`,
    );
    process.exitCode = 1;
  },
);

/**
 * The composition root: config -> Redis (or memory) -> stores -> services -> flows -> engine -> adapters.
 * What runs depends on configuration: no bot token = the console demo; TELEGRAM_BOT_TOKEN = Telegram.
 */
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import { consolePushSender, renderOutbox, runConsole } from '../adapters/console/console-adapter.ts';
import {
  createTelegramBot,
  mountTelegramWebhook,
  TELEGRAM_WEBHOOK_PATH,
  type TelegramBot,
} from '../adapters/telegram/bot.ts';
import { t } from './catalog/catalog.ts';
import { systemClock } from './clock.ts';
import { type Config, parseConfig } from './config.ts';
import { type BuiltDelivery, buildDelivery } from './delivery/select-delivery.ts';
import {
  DEMO_ACCOUNT_ID,
  DEMO_EMAIL,
  DEMO_PHONE,
  demoWanted,
  randomDemoPassword,
  seedDemoAccount,
} from './demo.ts';
import { PushRouter } from './engine/push.ts';
import { RedisSessionFrame } from './engine/redis-session-frame.ts';
import { startHttp } from './http/start-http.ts';
import type { Kv } from './kv/kv.ts';
import { MemoryKv } from './kv/memory-kv.ts';
import { RedisKv } from './kv/redis-kv.ts';
import { createLogger, describeError, type Logger } from './log.ts';
import { createEngine } from './composition/engine.ts';
import { createServices } from './services.ts';
import { qrTerminal } from './twofa/qr.ts';

/** Exit code for bad configuration (sysexits EX_CONFIG). */
export const EXIT_CONFIG = 78;

// ---- delivery and HTTP ---------------------------------------------------------------------------

/** SMS and email providers from the config; the console demo also prints what goes to the outbox. */
function selectDelivery(
  config: Config,
  log: Logger,
  secretKey: string,
  print: ((line: string) => void) | undefined,
): BuiltDelivery {
  const built = buildDelivery(config, {
    clock: systemClock,
    log,
    fallbackSecret: secretKey,
    print: print ? (message) => print(renderOutbox(message)) : undefined,
  });
  if (!print) {
    // A deployed bot whose codes go nowhere is a configuration mistake worth a line in the log.
    if (built.routes.sms === 'outbox') log.warn({}, 'SMS_WEBHOOK_URL is not set: SMS go to the outbox only');
    if (built.routes.email === 'outbox') log.warn({}, 'SMTP_URL is not set: emails go to the outbox only');
  }
  return built;
}

/**
 * Resolves on the first SIGINT or SIGTERM; from then on the default handlers are back, so a second
 * signal ends the process at once if the graceful shutdown hangs.
 */
function stopSignals(log: Logger): { readonly stopped: Promise<void>; dispose(): void } {
  let resolveStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    dispose();
    log.info({ signal }, 'shutting down');
    resolveStopped();
  };
  const dispose = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { stopped, dispose };
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
  const providers = selectDelivery(
    config,
    log,
    secretKey,
    consoleMode ? (line) => out.write(`${line}\n`) : undefined,
  );
  const delivery = providers.delivery;
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
    ...(redis ? { sessionFrame: new RedisSessionFrame(redis) } : {}),
  });
  // Out-of-turn replies go through one router; each adapter registers itself below.
  const push = new PushRouter();
  const engine = createEngine(services, { push: push.send, pushReady: () => push.ready() });
  const sweeper = setInterval(() => {
    engine
      .expireIdle()
      .catch((error: unknown) => log.warn({ err: describeError(error) }, 'expiry sweep failed'));
  }, 15_000);
  sweeper.unref();

  const signals = stopSignals(log);
  let http: Awaited<ReturnType<typeof startHttp>> = null;
  const telegram: TelegramBot | null = config.telegram
    ? createTelegramBot({ token: config.telegram.token, engine, log, apiRoot: config.telegram.apiRoot })
    : null;
  if (telegram) push.register('telegram', telegram.pushSender);
  const shutdown = async () => {
    signals.dispose();
    clearInterval(sweeper);
    // Adapters first (they finish in-flight updates), then the HTTP server they may be served by.
    await telegram
      ?.stop()
      .catch((error: unknown) => log.warn({ err: describeError(error) }, 'telegram stop failed'));
    await http?.close();
    providers.close();
    await redis?.quit().catch(() => redis?.disconnect());
  };
  const webhook = config.telegram?.webhookUrl && config.telegram.webhookSecret ? config.telegram : null;
  http = await startHttp({
    config,
    services,
    engine,
    redis,
    log,
    ...(telegram && webhook
      ? {
          extraRoutes: (app) =>
            mountTelegramWebhook(app, telegram, {
              secretToken: webhook.webhookSecret as string,
              path: new URL(webhook.webhookUrl as string).pathname || TELEGRAM_WEBHOOK_PATH,
            }),
        }
      : {}),
  }).catch(async (error: unknown) => {
    await shutdown();
    throw error;
  });

  if (consoleMode) {
    const password = config.demoPassword ?? randomDemoPassword();
    const demo = await seedDemoAccount(services, password, { botConfigured: !demoWanted(config) });
    push.register('console', consolePushSender(out, 'en', qrTerminal));
    out.write(`${t('en', 'console.banner')}\n`);
    const banner =
      demo.status === 'created'
        ? t('en', 'console.demoAccount', {
            id: DEMO_ACCOUNT_ID,
            phone: DEMO_PHONE,
            email: DEMO_EMAIL,
            password,
          })
        : demo.status === 'linkedElsewhere'
          ? t('en', 'console.linkedElsewhere', { id: demo.linkedTo })
          : demo.status === 'unlinked'
            ? t('en', 'console.demoUnlinked', { id: DEMO_ACCOUNT_ID })
            : t('en', 'console.demoAccountRedis', { id: DEMO_ACCOUNT_ID });
    out.write(`${banner}\n\n`);
    // A signal ends the input: lines already typed are answered, then goodbye, then everything closes.
    const input = new PassThrough();
    process.stdin.pipe(input);
    void signals.stopped.then(() => {
      process.stdin.unpipe(input);
      process.stdin.destroy();
      input.end();
    });
    await runConsole({ engine, input, output: out, qr: qrTerminal });
    await shutdown();
    return 0;
  }
  try {
    if (telegram && webhook) {
      await telegram.setWebhook(webhook.webhookUrl as string, webhook.webhookSecret as string);
      log.info({}, 'telegram: webhook set');
    } else if (telegram) {
      await telegram.start();
      log.info({}, 'telegram: long polling');
    }
  } catch (error) {
    await shutdown();
    throw error;
  }
  // The process now serves until SIGINT or SIGTERM.
  await signals.stopped;
  await shutdown();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`lockstep stopped: ${describeError(error)}\n`);
    process.exitCode = 1;
  },
);

/**
 * The composition root: config -> Redis (or memory) -> stores -> services -> flows -> engine -> adapters.
 * What runs depends on configuration: no bot token = the console demo; TELEGRAM_BOT_TOKEN = Telegram.
 */
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { Redis } from 'ioredis';
import { consolePushSender, renderOutbox, runConsole } from '../adapters/console/console-adapter.ts';
import { type DiscordBot, startDiscord } from '../adapters/discord/index.ts';
import {
  createTelegramBot,
  mountTelegramWebhook,
  TELEGRAM_WEBHOOK_PATH,
  type TelegramBot,
  TelegramUnreachable,
} from '../adapters/telegram/bot.ts';
import { setMessageDefaults, t } from './catalog/catalog.ts';
import { systemClock } from './clock.ts';
import { createEngine } from './composition/engine.ts';
import { type Config, DEFAULT_TELEGRAM_API_ROOT, describeSetting, maskUrl, parseConfig } from './config.ts';
import { type BuiltDelivery, buildDelivery } from './delivery/select-delivery.ts';
import {
  DEMO_ACCOUNT_ID,
  DEMO_EMAIL,
  DEMO_PHONE,
  demoWanted,
  randomDemoPassword,
  seedDemoAccount,
} from './demo.ts';
import { Election, RedisLease } from './engine/lease.ts';
import { PushRouter } from './engine/push.ts';
import { RedisSessionFrame } from './engine/redis-session-frame.ts';
import {
  DependencyUnreachable,
  REDIS_CLIENT_OPTIONS,
  Readiness,
  START_WAIT_MS,
  waitForRedis,
  watchRedis,
} from './http/readiness.ts';
import { startHttp } from './http/start-http.ts';
import type { Kv } from './kv/kv.ts';
import { MemoryKv } from './kv/memory-kv.ts';
import { createRedisClient } from './kv/redis-client.ts';
import { RedisKv } from './kv/redis-kv.ts';
import { createLogger, describeError, type Logger } from './log.ts';
import { observeAccounts, observeCodes, observeRedis, observeSupport } from './metrics/instrument.ts';
import { createMetrics, mountMetrics } from './metrics/metrics.ts';
import { createServices } from './services.ts';
import { createSupport } from './support/index.ts';
import { qrTerminal } from './twofa/qr.ts';

/** Exit code for bad configuration (sysexits EX_CONFIG). */
export const EXIT_CONFIG = 78;
/** Exit code when Redis or the Telegram Bot API cannot be reached at start (sysexits EX_UNAVAILABLE). */
export const EXIT_UNAVAILABLE = 69;
/** Exit code when the graceful shutdown did not finish within HARD_STOP_MS of the first signal. */
export const EXIT_HARD_STOP = 70;
/** The first SIGINT/SIGTERM ends the process within this long, even if the graceful shutdown hangs. */
const HARD_STOP_MS = 8_000;
/** A second SIGINT/SIGTERM this soon after the first is taken for a relay of it and ignored. */
const DUPLICATE_SIGNAL_MS = 1_000;
/** After main() returned, a handle left open cannot keep the process alive longer than this. */
const EXIT_GRACE_MS = 500;
/**
 * How often idle tasks are expired (and their users told): every 15 s, or a sixth of FLOW_IDLE_MINUTES
 * when that is shorter, so a notice comes at most about a sixth of the idle time late.
 */
const SWEEP_MS = 15_000;
const sweepEveryMs = (flowIdleMs: number): number => Math.max(1_000, Math.min(SWEEP_MS, flowIdleMs / 6));
/** A getMe to see whether Telegram is back: its time limit, how often /readyz may ask, when health is stale. */
const TELEGRAM_PROBE_MS = 3_000;
const TELEGRAM_RECHECK_MS = 5_000;
const TELEGRAM_STALE_MS = 60_000;
/**
 * With Redis, exactly one process long-polls Telegram: the one holding this lease (renewed every third of
 * it). When it dies, another process takes over within about this long.
 */
const TELEGRAM_POLL_LEASE_MS = 5_000;

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
    print: print ? (message) => print(renderOutbox(message, config.locale)) : undefined,
  });
  if (!print) {
    // A deployed bot whose codes go nowhere is a configuration mistake worth a line in the log.
    if (built.routes.sms === 'outbox') log.warn({}, 'SMS_WEBHOOK_URL is not set: SMS go to the outbox only');
    if (built.routes.email === 'outbox') log.warn({}, 'SMTP_URL is not set: emails go to the outbox only');
  }
  return built;
}

/**
 * Resolves on the first SIGINT or SIGTERM (and aborts `signal`, which ends a start-up still waiting for
 * Redis or Telegram); from then on a second signal ends the process at once, unless it comes within
 * DUPLICATE_SIGNAL_MS (a relay of the first). A hard timer also ends it HARD_STOP_MS after the first
 * signal if the graceful shutdown hangs.
 */
function stopSignals(log: Logger): {
  readonly stopped: Promise<void>;
  readonly signal: AbortSignal;
  dispose(): void;
} {
  let resolveStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });
  const abort = new AbortController();
  let firstAt = 0;
  // The same signal again within a second is a relay of the first (tsx, an init, a process group
  // signalled as a whole), not an operator insisting: it is ignored. A later one ends the process at once.
  const onRepeat = (signal: NodeJS.Signals) => {
    if (Date.now() - firstAt < DUPLICATE_SIGNAL_MS) return;
    process.off('SIGINT', onRepeat);
    process.off('SIGTERM', onRepeat);
    process.kill(process.pid, signal);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    dispose();
    firstAt = Date.now();
    process.on('SIGINT', onRepeat);
    process.on('SIGTERM', onRepeat);
    log.info({ signal }, 'shutting down');
    const hard = setTimeout(() => {
      log.error({ signal, ms: HARD_STOP_MS }, 'shutdown did not finish in time; exiting now');
      process.exit(EXIT_HARD_STOP);
    }, HARD_STOP_MS);
    hard.unref();
    abort.abort();
    resolveStopped();
  };
  const dispose = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { stopped, signal: abort.signal, dispose };
}

/** Closes the Redis connection: politely (QUIT) when it is up, at once when it is not. */
/** How the Redis in use is named in logs (credentials masked). */
function redisShown(config: Config): string {
  const nodes = config.redisClusterNodes;
  if (nodes) return `cluster ${nodes.map((node) => `${node.host}:${node.port}`).join(',')}`;
  return maskUrl(config.redisUrl ?? '');
}

async function closeRedis(redis: Redis | null): Promise<void> {
  if (!redis) return;
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    redis.quit().catch(() => undefined),
    new Promise((resolve) => {
      timer = setTimeout(resolve, 1_000);
    }),
  ]).finally(() => clearTimeout(timer));
  redis.disconnect();
}

/** A start-up problem of the Telegram adapter, naming the setting to look at (never the token itself). */
function telegramProblem(error: unknown, apiRoot: string | undefined): unknown {
  if (!(error instanceof TelegramUnreachable)) return error;
  const root = describeSetting('TELEGRAM_API_ROOT', apiRoot ?? DEFAULT_TELEGRAM_API_ROOT, !apiRoot);
  return error.refused
    ? new DependencyUnreachable(
        'TELEGRAM_BOT_TOKEN',
        `the Telegram Bot API at ${root} refused TELEGRAM_BOT_TOKEN (${error.reason})`,
      )
    : new DependencyUnreachable(
        'TELEGRAM_API_ROOT',
        `cannot reach the Telegram Bot API at ${root} (${error.reason})`,
      );
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
  // Nothing printed may hold the bot token, whatever an error message quotes.
  const tokens = [config.telegram?.token, config.discord?.token].filter((v): v is string => Boolean(v));
  const scrub = (text: string): string =>
    tokens.reduce((scrubbed, token) => scrubbed.split(token).join('<bot token>'), text);
  const signals = stopSignals(log);
  // The first line of every start (operators see when a process began; tests time the start-up from it).
  log.info({ node: process.version, mode: consoleMode ? 'console' : 'bot' }, 'starting');
  try {
    return await serve(config, log, signals, consoleMode);
  } catch (error) {
    process.stderr.write(`lockstep stopped: ${scrub(describeError(error))}\n`);
    return 1;
  } finally {
    signals.dispose();
  }
}

async function serve(
  config: Config,
  log: Logger,
  signals: ReturnType<typeof stopSignals>,
  consoleMode: boolean,
): Promise<number> {
  let redis: Redis | null = null;
  let kv: Kv;
  // GET /metrics: this process's registry, fed by the engine, the adapters and the instruments below.
  const metrics = createMetrics();
  // Connects in the background and reconnects for as long as the process runs; see REDIS_CLIENT_OPTIONS.
  // A cluster (REDIS_CLUSTER_NODES) answers PING, reports its status and emits the connection events the
  // health checks use, like a single server; the stores take either.
  const client = createRedisClient({
    url: config.redisUrl,
    clusterNodes: config.redisClusterNodes,
    options: REDIS_CLIENT_OPTIONS,
  });
  if (client) {
    redis = client as Redis;
    watchRedis(redis, log, redisShown(config));
    observeRedis(redis, metrics.observer);
    kv = new RedisKv(client);
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
    checkup: config.checkup,
    hashing: config.hashing,
    totpIssuer: config.totpIssuer,
    publicUrl: config.http.publicUrl,
    ...(client ? { sessionFrame: new RedisSessionFrame(client) } : {}),
  });
  observeCodes(services.codes, metrics.observer);
  observeAccounts(services.accounts, metrics.observer);
  // Out-of-turn replies go through one router; each adapter registers itself below. The expiry sweeper
  // takes nothing while a registered adapter cannot reach its platform (`pushReady`).
  const push = new PushRouter();
  // "contact support" everywhere (chat, SMS, email) shows SUPPORT_CONTACT.
  setMessageDefaults({ contact: config.support.contact });
  // Notices are sent after each change from the durable outbox; this retries what failed.
  const stopNotices = services.notices.start();
  let telegramRef: TelegramBot | null = null;
  const support = createSupport({
    services,
    config: {
      contact: config.support.contact,
      webhookUrl: config.support.webhookUrl,
      webhookSecrets: config.support.webhookSecrets,
      telegramBotUsername: () => {
        try {
          return telegramRef?.bot.botInfo.username;
        } catch {
          return undefined;
        }
      },
    },
  });
  observeSupport(support.webhook, metrics.observer);
  const engine = createEngine(services, { push: push.send, pushReady: () => push.ready() }, [support.flow], {
    ...support.engineOptions,
    observer: metrics.observer,
  });
  support.attach(engine);
  let discord: DiscordBot | null = null;
  const readiness = new Readiness(redis);

  const telegram: TelegramBot | null = config.telegram
    ? createTelegramBot({
        token: config.telegram.token,
        engine,
        log,
        apiRoot: config.telegram.apiRoot,
        observer: metrics.observer,
      })
    : null;
  telegramRef = telegram;
  // While Telegram looks unreachable, /readyz asks again in the background (at most every few seconds),
  // so a process whose webhook gets no traffic still notices when Telegram is back.
  let probing: Promise<void> | null = null;
  let probedAt = 0;
  const recheckTelegram = (): void => {
    if (!telegram || probing || Date.now() - probedAt < TELEGRAM_RECHECK_MS) return;
    probedAt = Date.now();
    probing = telegram.health
      .probe(TELEGRAM_PROBE_MS)
      .catch(() => undefined)
      .finally(() => {
        probing = null;
      });
  };
  if (telegram) {
    push.register('telegram', telegram.pushSender, () => telegram.health.reachable());
    readiness.platform('telegram', () => {
      const up = telegram.health.reachable();
      if (!up && readiness.phase === 'serving') recheckTelegram();
      return up;
    });
  }

  if (config.discord) {
    // Not ready until the Discord gateway is (the push router gates the sweeper the same way).
    readiness.platform('discord', () => discord?.healthy() ?? false);
  }

  let sweeper: NodeJS.Timeout | undefined;
  let sweeping = false;
  const sweep = async (): Promise<void> => {
    if (sweeping) return;
    sweeping = true;
    try {
      if (telegram) {
        // Polling keeps the health fresh; a quiet webhook process checks now and then before it takes
        // expiries, and whenever Telegram looked unreachable.
        const state = telegram.health.state();
        const latest = Math.max(state.lastSuccessAt, state.lastFailureAt);
        if (!state.reachable || Date.now() - latest > TELEGRAM_STALE_MS) {
          await telegram.health.probe(TELEGRAM_PROBE_MS).catch(() => undefined);
        }
      }
      await engine
        .expireIdle()
        .catch((error: unknown) => log.warn({ err: describeError(error) }, 'expiry sweep failed'));
      await support
        .tick()
        .catch((error: unknown) => log.warn({ err: describeError(error) }, 'support tick failed'));
    } finally {
      sweeping = false;
    }
  };

  let http: Awaited<ReturnType<typeof startHttp>> = null;
  // Long polling with Redis: the elected poller (see TELEGRAM_POLL_LEASE_MS).
  let poller: Election | null = null;
  const shutdown = async () => {
    readiness.draining();
    signals.dispose();
    clearInterval(sweeper);
    stopNotices();
    support.close();
    // The poller stops and frees its lease, so another process polls at once.
    await poller
      ?.stop()
      .catch((error: unknown) => log.warn({ err: describeError(error) }, 'poller stop failed'));
    // Adapters first (they finish in-flight updates), then the HTTP server they may be served by.
    await telegram
      ?.stop()
      .catch((error: unknown) => log.warn({ err: describeError(error) }, 'telegram stop failed'));
    await discord
      ?.stop()
      .catch((error: unknown) => log.warn({ err: describeError(error) }, 'discord stop failed'));
    await http?.close();
    providers.close();
    await closeRedis(redis);
  };
  const webhook = config.telegram?.webhookUrl && config.telegram.webhookSecret ? config.telegram : null;
  // The support console's cookies are Secure when it is reached over https.
  const consoleSecure = config.http.publicUrl?.startsWith('https:') ?? false;
  // The HTTP server comes first, so /livez answers and /readyz says "starting" while Redis and Telegram
  // are checked.
  http = await startHttp({
    config,
    services,
    engine,
    redis,
    log,
    readiness: () => readiness.report(),
    server: { trustProxy: config.http.trustProxy },
    ...(telegram && webhook
      ? {
          extraRoutes: (app) => {
            mountMetrics(app, metrics);
            support.mountApi(app);
            support.mountConsole(app, { secureCookies: consoleSecure });
            // Updates are taken only while serving: while starting or draining Telegram gets 503 and
            // delivers the update again later (to this process or, behind a load balancer, another one).
            // Only the webhook: /livez, /readyz and the support API answer as usual while draining.
            app.register(async (hook) => {
              hook.addHook('onRequest', async (_request, reply) => {
                if (readiness.phase === 'serving') return;
                return reply
                  .code(503)
                  .header('retry-after', '5')
                  .header('cache-control', 'no-store')
                  .type('text/plain; charset=utf-8')
                  .send('Not ready\n');
              });
              mountTelegramWebhook(hook, telegram, {
                secretToken: webhook.webhookSecret as string,
                path: new URL(webhook.webhookUrl as string).pathname || TELEGRAM_WEBHOOK_PATH,
              });
            });
          },
        }
      : {
          extraRoutes: (app) => {
            mountMetrics(app, metrics);
            support.mountApi(app);
            support.mountConsole(app, { secureCookies: consoleSecure });
          },
        }),
  }).catch(async (error: unknown) => {
    await shutdown();
    throw error;
  });

  // Fail fast: Redis and the Bot API must answer within START_WAIT_MS (checked together), else the
  // process says which setting points at what, and why, and exits. A signal ends the wait at once.
  const startChecks: Promise<void>[] = [];
  if (redis) {
    const cluster = config.redisClusterNodes?.[0];
    const setting = cluster
      ? { setting: 'REDIS_CLUSTER_NODES', url: `redis://${cluster.host}:${cluster.port}` }
      : { setting: 'REDIS_URL', url: config.redisUrl ?? '' };
    startChecks.push(waitForRedis(redis, { ...setting, signal: signals.signal }));
  }
  if (telegram) {
    startChecks.push(
      telegram.health.probe(START_WAIT_MS, signals.signal).catch((error: unknown) => {
        if (signals.signal.aborted) return;
        throw telegramProblem(error, config.telegram?.apiRoot);
      }),
    );
  }
  const checked = await Promise.allSettled(startChecks);
  if (signals.signal.aborted) {
    log.info({}, 'stopped before start-up finished');
    await shutdown();
    return 0;
  }
  const problems = checked.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
  if (problems.length > 0) {
    const unexpected = problems.find((problem) => !(problem instanceof DependencyUnreachable));
    for (const problem of problems) {
      if (!(problem instanceof DependencyUnreachable)) continue;
      log.error({ setting: problem.setting }, problem.message);
      process.stderr.write(`lockstep cannot start: ${problem.message}\n`);
    }
    await shutdown();
    if (unexpected) throw unexpected;
    return EXIT_UNAVAILABLE;
  }

  if (consoleMode) {
    const password = config.demoPassword ?? randomDemoPassword();
    const demo = await seedDemoAccount(services, password, { botConfigured: !demoWanted(config) }).catch(
      async (error: unknown) => {
        await shutdown();
        throw error;
      },
    );
    const locale = config.locale;
    // The demo account speaks the console's language, so its SMS and emails in the outbox do too.
    if (demo.status === 'created' && locale !== 'en')
      await services.accounts.update(DEMO_ACCOUNT_ID, (account) => ({ ...account, locale }));
    push.register('console', consolePushSender(out, locale, qrTerminal));
    out.write(`${t(locale, 'console.banner')}\n`);
    const banner =
      demo.status === 'created'
        ? t(locale, 'console.demoAccount', {
            id: DEMO_ACCOUNT_ID,
            phone: DEMO_PHONE,
            email: DEMO_EMAIL,
            password,
          })
        : demo.status === 'linkedElsewhere'
          ? t(locale, 'console.linkedElsewhere', { id: demo.linkedTo })
          : demo.status === 'unlinked'
            ? t(locale, 'console.demoUnlinked', { id: DEMO_ACCOUNT_ID })
            : t(locale, 'console.demoAccountRedis', { id: DEMO_ACCOUNT_ID });
    out.write(`${banner}\n\n`);
    readiness.serving();
    sweeper = setInterval(() => void sweep(), sweepEveryMs(config.flowIdleMs));
    sweeper.unref();
    // A signal ends the input: lines already typed are answered, then goodbye, then everything closes.
    const input = new PassThrough();
    process.stdin.pipe(input);
    void signals.stopped.then(() => {
      process.stdin.unpipe(input);
      process.stdin.destroy();
      input.end();
    });
    await runConsole({ engine, input, output: out, qr: qrTerminal, locale });
    await shutdown();
    return 0;
  }
  // Serving from here: webhook updates are taken (see the hook above) as soon as Telegram sends them.
  readiness.serving();
  try {
    if (telegram && webhook) {
      await telegram.setWebhook(webhook.webhookUrl as string, webhook.webhookSecret as string);
      log.info({}, 'telegram: webhook set');
    } else if (telegram && redis) {
      // Several processes may share this Redis: only the lease holder polls, the others stand by (they
      // still send pushes and take expiries) and take over when it goes.
      const botId = (config.telegram?.token ?? '').split(':')[0] ?? '';
      const leaseKey = `${config.redisPrefix}{lease}:telegram-poller:${botId}`;
      const lease = new RedisLease(redis, leaseKey, TELEGRAM_POLL_LEASE_MS);
      poller = new Election({
        lease,
        log,
        name: 'telegram poller',
        onElected: async () => {
          await telegram.start();
          log.info({}, 'telegram: long polling (elected poller)');
        },
        onDeposed: async () => {
          await telegram.stop();
          log.info({}, 'telegram: polling stopped; on standby');
        },
      });
      await poller.start();
      if (!poller.elected) log.info({}, 'telegram: on standby, another process polls');
    } else if (telegram) {
      await telegram.start();
      log.info({}, 'telegram: long polling');
    }
    if (config.discord) {
      discord = await startDiscord({
        token: config.discord.token,
        applicationId: config.discord.applicationId,
        ...(config.discord.guildId ? { guildId: config.discord.guildId } : {}),
        ...(config.discord.apiRoot ? { apiRoot: config.discord.apiRoot } : {}),
        engine,
        push,
        kv,
        prefix: config.redisPrefix,
        log,
        observer: metrics.observer,
      });
    }
  } catch (error) {
    await shutdown();
    throw error;
  }
  sweeper = setInterval(() => void sweep(), sweepEveryMs(config.flowIdleMs));
  sweeper.unref();
  // The process now serves until SIGINT or SIGTERM.
  await signals.stopped;
  await shutdown();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Everything is closed by now, so the process ends by itself; should a stray handle keep it alive,
    // it still ends (this timer does not hold it open).
    setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
  },
  (error: unknown) => {
    process.stderr.write(`lockstep stopped: ${describeError(error)}\n`);
    process.exitCode = 1;
    setTimeout(() => process.exit(1), EXIT_GRACE_MS).unref();
  },
);

import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const optionalUrl = (protocols: readonly string[], what: string) =>
  optionalString.refine(
    (value) => {
      if (value === undefined) return true;
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a ${what} URL (${protocols.map((p) => `${p}//`).join(' or ')}...)` },
  );

/** A Redis Cluster node to start from (ioredis discovers the rest). */
export interface ClusterNode {
  readonly host: string;
  readonly port: number;
}

/** `host:port,host:port,...` (an IPv6 host in brackets, `[::1]:7000`); empty or unset: no cluster. */
const clusterNodes = optionalString
  .refine(
    (value) =>
      value === undefined ||
      value.split(',').every((node) => /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+):([0-9]{1,5})$/i.test(node.trim())),
    { message: 'must be host:port pairs separated by commas (e.g. redis-1:6379,redis-2:6379)' },
  )
  .transform((value): ClusterNode[] | undefined =>
    value?.split(',').map((node) => {
      const pair = node.trim();
      const at = pair.lastIndexOf(':');
      return { host: pair.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(pair.slice(at + 1)) };
    }),
  )
  .refine((nodes) => nodes === undefined || nodes.every((node) => node.port >= 1 && node.port <= 65_535), {
    message: 'has a port outside 1-65535',
  });

/** `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`), any case; empty or unset is the default. */
const boolean = (fallback: boolean) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .optional()
    .refine((value) => value === undefined || value === '' || BOOLEAN_WORDS.has(value), {
      message: 'must be true or false',
    })
    .transform((value) =>
      value === undefined || value === '' ? fallback : BOOLEAN_WORDS.get(value) === true,
    );

const BOOLEAN_WORDS = new Map([
  ['true', true],
  ['1', true],
  ['yes', true],
  ['on', true],
  ['false', false],
  ['0', false],
  ['no', false],
  ['off', false],
]);

const integer = (fallback: number, min: number, max: number) =>
  z.coerce
    .number({ message: 'must be a whole number' })
    .int({ message: 'must be a whole number' })
    .min(min, { message: `must be at least ${min}` })
    .max(max, { message: `must be at most ${max}` })
    .default(fallback);

/**
 * Every setting lockstep reads, from the environment. Parsed once at start-up (nothing else reads
 * process.env); the README's configuration table mirrors this schema.
 */
export const configSchema = z
  .object({
    NODE_ENV: optionalString,
    LOG_LEVEL: z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
    REDIS_URL: optionalUrl(['redis:', 'rediss:'], 'Redis'),
    REDIS_CLUSTER_NODES: clusterNodes,
    REDIS_PREFIX: z
      .string()
      .regex(/^[a-z0-9:_-]{1,32}$/i, { message: 'must be 1-32 letters, digits, : _ -' })
      .default('ls:'),
    SECRET_KEY: optionalString.refine((value) => value === undefined || value.length >= 32, {
      message: 'must be at least 32 characters (e.g. `openssl rand -hex 32`)',
    }),
    OUTBOX_FILE: optionalString,
    DEMO_PASSWORD: optionalString,
    FLOW_IDLE_MINUTES: integer(15, 1, 24 * 60),
    CHECKUP_PASSWORD_MAX_AGE_DAYS: integer(365, 30, 3650),
    CHECKUP_STALE_DEVICE_DAYS: integer(90, 7, 3650),
    CHECKUP_RECENT_EVENTS_DAYS: integer(30, 1, 365),
    ARGON2_MEMORY_KIB: integer(19_456, 19_456, 1_048_576),
    ARGON2_TIME_COST: integer(2, 2, 20),
    ARGON2_PARALLELISM: integer(1, 1, 16),
    HASH_CONCURRENCY: integer(2, 1, 64),
    TOTP_ISSUER: z.string().trim().min(1).max(64).default('lockstep'),
    HTTP_PORT: integer(8080, 0, 65_535),
    HTTP_HOST: z.string().trim().min(1).default('0.0.0.0'),
    HTTP_TRUST_PROXY: boolean(false),
    PUBLIC_URL: optionalUrl(['http:', 'https:'], 'http(s)'),
    SMTP_URL: optionalUrl(['smtp:', 'smtps:'], 'SMTP'),
    MAIL_FROM: optionalString,
    SMS_WEBHOOK_URL: optionalUrl(['http:', 'https:'], 'http(s)'),
    SMS_WEBHOOK_SECRET: optionalString.refine((value) => value === undefined || value.length >= 32, {
      message: 'must be at least 32 characters (e.g. `openssl rand -hex 32`)',
    }),
    TELEGRAM_BOT_TOKEN: optionalString.refine((v) => v === undefined || /^\d+:[A-Za-z0-9_-]{20,}$/.test(v), {
      message: 'does not look like a BotFather token (123456:ABC...)',
    }),
    TELEGRAM_WEBHOOK_URL: optionalUrl(['https:', 'http:'], 'https'),
    TELEGRAM_WEBHOOK_SECRET: optionalString.refine(
      (v) => v === undefined || /^[A-Za-z0-9_-]{16,256}$/.test(v),
      {
        message: 'must be 16-256 characters of A-Z a-z 0-9 _ -',
      },
    ),
    TELEGRAM_API_ROOT: optionalUrl(['http:', 'https:'], 'http(s)'),
    DISCORD_TOKEN: optionalString,
    DISCORD_APPLICATION_ID: optionalString,
    DISCORD_GUILD_ID: optionalString.refine((v) => v === undefined || /^\d{17,20}$/.test(v), {
      message: 'must be a server id (17-20 digits)',
    }),
    DISCORD_API_ROOT: optionalUrl(['http:', 'https:'], 'http(s)'),
    LOCALE: z
      .enum(['en', 'zh-CN', 'es', 'ru'], { message: 'must be one of en, zh-CN, es, ru' })
      .default('en'),
    SUPPORT_CONTACT: optionalString.refine((v) => v === undefined || v.length <= 300, {
      message: 'must be at most 300 characters',
    }),
    SUPPORT_WEBHOOK_URL: optionalUrl(['http:', 'https:'], 'http(s)'),
    SUPPORT_WEBHOOK_SECRET: optionalString.refine((v) => v === undefined || v.length >= 32, {
      message: 'must be at least 32 characters',
    }),
    SUPPORT_WEBHOOK_SECRET_PREVIOUS: optionalString.refine((v) => v === undefined || v.length >= 32, {
      message: 'must be at least 32 characters',
    }),
  })
  .superRefine((env, ctx) => {
    const production = env.REDIS_URL || env.TELEGRAM_BOT_TOKEN || env.DISCORD_TOKEN;
    if (production && !env.SECRET_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['SECRET_KEY'],
        message:
          'is required with REDIS_URL, TELEGRAM_BOT_TOKEN or DISCORD_TOKEN (codes and 2FA secrets depend on it)',
      });
    }
    if (env.TELEGRAM_WEBHOOK_URL && !env.TELEGRAM_BOT_TOKEN) {
      ctx.addIssue({ code: 'custom', path: ['TELEGRAM_WEBHOOK_URL'], message: 'needs TELEGRAM_BOT_TOKEN' });
    }
    if (env.TELEGRAM_WEBHOOK_URL && !env.TELEGRAM_WEBHOOK_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['TELEGRAM_WEBHOOK_SECRET'],
        message: 'is required with TELEGRAM_WEBHOOK_URL (Telegram sends it with every update)',
      });
    }
    if (env.SMTP_URL && !env.MAIL_FROM) {
      ctx.addIssue({ code: 'custom', path: ['MAIL_FROM'], message: 'is required with SMTP_URL' });
    }
    if (env.SMS_WEBHOOK_URL && !env.SMS_WEBHOOK_SECRET && !env.SECRET_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['SMS_WEBHOOK_SECRET'],
        message: 'or SECRET_KEY is required with SMS_WEBHOOK_URL (the gateway checks the signature with it)',
      });
    }
    if (env.SUPPORT_WEBHOOK_URL && !env.SUPPORT_WEBHOOK_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['SUPPORT_WEBHOOK_SECRET'],
        message: 'is required with SUPPORT_WEBHOOK_URL',
      });
    }
    if (env.DISCORD_TOKEN && !env.DISCORD_APPLICATION_ID) {
      ctx.addIssue({
        code: 'custom',
        path: ['DISCORD_APPLICATION_ID'],
        message: 'is required with DISCORD_TOKEN',
      });
    }
  });

export type Env = z.output<typeof configSchema>;

export interface Config {
  readonly env: Env;
  readonly logLevel: Env['LOG_LEVEL'];
  readonly redisUrl: string | undefined;
  /**
   * Redis Cluster start-up nodes: every store then runs on an ioredis `Cluster` (REDIS_URL, when also set,
   * gives only the credentials and TLS).
   */
  readonly redisClusterNodes: readonly ClusterNode[] | undefined;
  readonly redisPrefix: string;
  /** Present whenever real state is kept; the console demo may run with a random one. */
  readonly secretKey: string | undefined;
  readonly outboxFile: string | undefined;
  readonly demoPassword: string | undefined;
  readonly flowIdleMs: number;
  /** The security checkup's thresholds (CHECKUP_*_DAYS). */
  readonly checkup: {
    readonly passwordMaxAgeDays: number;
    readonly staleSessionDays: number;
    readonly recentEventsDays: number;
  };
  /** The console's language (LOCALE): en, zh-CN, es or ru. Chats choose their own (platform, /language). */
  readonly locale: 'en' | 'zh-CN' | 'es' | 'ru';
  readonly hashing: { memoryCost: number; timeCost: number; parallelism: number; concurrency: number };
  readonly totpIssuer: string;
  readonly http: {
    port: number;
    host: string;
    publicUrl: string | undefined;
    /** Believe `X-Forwarded-For` (HTTP_TRUST_PROXY): only behind a proxy that sets it. */
    trustProxy: boolean;
  };
  readonly smtp: { url: string; from: string } | undefined;
  readonly smsWebhookUrl: string | undefined;
  /** The key that signs SMS webhook requests: SMS_WEBHOOK_SECRET, else SECRET_KEY. */
  readonly smsWebhookSecret: string | undefined;
  readonly telegram:
    | {
        token: string;
        webhookUrl: string | undefined;
        webhookSecret: string | undefined;
        apiRoot: string | undefined;
      }
    | undefined;
  readonly discord:
    | { token: string; applicationId: string; guildId: string | undefined; apiRoot: string | undefined }
    | undefined;
  /** How users reach support, and the support webhook (SUPPORT_*). */
  readonly support: {
    readonly contact: string | undefined;
    readonly webhookUrl: string | undefined;
    readonly webhookSecrets: readonly string[];
  };
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

/** Parses the environment; on failure returns every problem in plain words, one per line. */
export function parseConfig(source: Record<string, string | undefined>): ConfigResult {
  const parsed = configSchema.safeParse(source);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map(
        (issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`,
      ),
    };
  }
  const env = parsed.data;
  return {
    ok: true,
    config: {
      env,
      logLevel: env.LOG_LEVEL,
      redisUrl: env.REDIS_URL,
      redisClusterNodes: env.REDIS_CLUSTER_NODES,
      redisPrefix: env.REDIS_PREFIX,
      secretKey: env.SECRET_KEY,
      outboxFile: env.OUTBOX_FILE,
      demoPassword: env.DEMO_PASSWORD,
      flowIdleMs: env.FLOW_IDLE_MINUTES * 60_000,
      checkup: {
        passwordMaxAgeDays: env.CHECKUP_PASSWORD_MAX_AGE_DAYS,
        staleSessionDays: env.CHECKUP_STALE_DEVICE_DAYS,
        recentEventsDays: env.CHECKUP_RECENT_EVENTS_DAYS,
      },
      hashing: {
        memoryCost: env.ARGON2_MEMORY_KIB,
        timeCost: env.ARGON2_TIME_COST,
        parallelism: env.ARGON2_PARALLELISM,
        concurrency: env.HASH_CONCURRENCY,
      },
      totpIssuer: env.TOTP_ISSUER,
      locale: env.LOCALE,
      http: {
        port: env.HTTP_PORT,
        host: env.HTTP_HOST,
        publicUrl: env.PUBLIC_URL,
        trustProxy: env.HTTP_TRUST_PROXY,
      },
      smtp: env.SMTP_URL && env.MAIL_FROM ? { url: env.SMTP_URL, from: env.MAIL_FROM } : undefined,
      smsWebhookUrl: env.SMS_WEBHOOK_URL,
      smsWebhookSecret: env.SMS_WEBHOOK_SECRET ?? env.SECRET_KEY,
      telegram: env.TELEGRAM_BOT_TOKEN
        ? {
            token: env.TELEGRAM_BOT_TOKEN,
            webhookUrl: env.TELEGRAM_WEBHOOK_URL,
            webhookSecret: env.TELEGRAM_WEBHOOK_SECRET,
            apiRoot: env.TELEGRAM_API_ROOT,
          }
        : undefined,
      discord:
        env.DISCORD_TOKEN && env.DISCORD_APPLICATION_ID
          ? {
              token: env.DISCORD_TOKEN,
              applicationId: env.DISCORD_APPLICATION_ID,
              guildId: env.DISCORD_GUILD_ID,
              apiRoot: env.DISCORD_API_ROOT,
            }
          : undefined,
      support: {
        contact: env.SUPPORT_CONTACT,
        webhookUrl: env.SUPPORT_WEBHOOK_URL,
        webhookSecrets: [env.SUPPORT_WEBHOOK_SECRET, env.SUPPORT_WEBHOOK_SECRET_PREVIOUS].filter(
          (v): v is string => v !== undefined,
        ),
      },
    },
  };
}

/** The Bot API root lockstep talks to when TELEGRAM_API_ROOT is not set. */
export const DEFAULT_TELEGRAM_API_ROOT = 'https://api.telegram.org';

/**
 * A URL as it may appear in a log or an error message: a password in it becomes `***` (the user name
 * stays, it helps finding the account); a query string and fragment are dropped, as they may hold keys.
 * Something that does not parse as a URL is not shown at all.
 *
 * @example maskUrl('redis://:hunter2@cache:6379/0') // 'redis://:***@cache:6379/0'
 */
export function maskUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return '(not a URL)';
  }
  if (url.password) url.password = '***';
  url.search = '';
  url.hash = '';
  return url.toString().replace(/\/$/, value.endsWith('/') ? '/' : '');
}

/** `NAME=<masked value>`: how start-up problems name the setting that points at a dependency. */
export function describeSetting(name: string, value: string, isDefault = false): string {
  return `${name}=${maskUrl(value)}${isDefault ? ' (the default)' : ''}`;
}

/**
 * The deployment files, read as compose and docker would: docker-compose.yml (Redis, two bot processes in
 * webhook mode, an nginx proxy), deploy/nginx.conf, the Dockerfile and tsconfig.build.json, checked against
 * the config schema (src/config.ts). No Docker engine runs here; test/deploy/build.test.ts compiles the
 * build and starts the compiled entry point.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSchema, parseConfig } from '../../src/config.ts';
import { ROOT } from '../helpers/run-process.ts';

interface ComposeService {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  command?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; interval?: string; timeout?: string; retries?: number };
}

// Compose reads YAML merge keys (`<<: *lockstep`): the two bot services share one definition.
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
};
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const nginx = readFileSync(join(ROOT, 'deploy/nginx.conf'), 'utf8');
const schemaKeys = Object.keys(configSchema.shape ?? {});
const BOTS = ['lockstep-1', 'lockstep-2'] as const;

/**
 * Resolves `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}` and `${VAR?message}` the way
 * compose does: with a colon, an empty value counts as unset.
 */
function resolve(value: string, shell: Record<string, string>): string {
  return value.replace(
    /\$\{(\w+)(?:(:?)([-?])([^}]*))?\}/g,
    (_all, name: string, colon?: string, op?: string, rest?: string) => {
      const set = shell[name];
      const missing = set === undefined || (colon === ':' && set === '');
      if (!missing) return set;
      if (op === '?') throw new Error(`${name}: ${rest}`);
      return rest ?? '';
    },
  );
}

/** The variables a compose value reads, with the operator after each (`:-`, `-`, `:?`, `?`, or ''). */
function references(value: string): Array<{ name: string; op: string }> {
  return [...value.matchAll(/\$\{(\w+)(:?[-?])?/g)].map((m) => ({ name: m[1] ?? '', op: m[2] ?? '' }));
}

const TELEGRAM_TOKEN = `123456:${'A'.repeat(35)}`;
/** What an operator must set (each `:?` in compose). */
const REQUIRED = {
  SECRET_KEY: 'x'.repeat(64),
  TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
  TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/telegram/webhook',
  TELEGRAM_WEBHOOK_SECRET: 'w'.repeat(40),
};

function bot(name: (typeof BOTS)[number] = 'lockstep-1'): ComposeService {
  const service = compose.services[name];
  if (!service) throw new Error(`no service ${name}`);
  return service;
}

function resolvedEnv(shell: Record<string, string>, name: (typeof BOTS)[number] = 'lockstep-1') {
  return Object.fromEntries(
    Object.entries(bot(name).environment ?? {}).map(([k, v]) => [k, resolve(v, shell)]),
  );
}

/** The `server host:port` lines of nginx's `upstream lockstep { ... }` block. */
function upstreams(): Array<{ host: string; port: number }> {
  const block = /upstream\s+lockstep\s*\{([^}]*)\}/.exec(nginx)?.[1] ?? '';
  return [...block.matchAll(/^\s*server\s+([\w.-]+):(\d+)\b/gm)].map((m) => ({
    host: m[1] ?? '',
    port: Number(m[2]),
  }));
}

describe('docker-compose.yml', () => {
  it('declares a persistent Redis, two bot processes and a proxy, with pinned image tags', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['lockstep-1', 'lockstep-2', 'proxy', 'redis']);
    const redis = compose.services.redis;
    expect(redis?.image).toMatch(/^redis:7(\.\d+)*-alpine$/);
    expect(redis?.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
    expect(redis?.volumes).toEqual(['redis-data:/data']);
    expect(Object.keys(compose.volumes ?? {})).toContain('redis-data');
    expect(compose.services.proxy?.image).toMatch(/^nginx:1\.\d+(\.\d+)?-alpine$/);
    for (const name of BOTS) {
      expect(bot(name).build).toBe('.');
      expect(bot(name).depends_on?.redis?.condition).toBe('service_healthy');
    }
  });

  it('runs both bot processes with the same settings', () => {
    expect(bot('lockstep-2').environment).toEqual(bot('lockstep-1').environment);
    expect(bot('lockstep-2').healthcheck).toEqual(bot('lockstep-1').healthcheck);
  });

  it('passes every setting of the config schema, each read from the variable of the same name', () => {
    for (const name of BOTS) {
      const environment = bot(name).environment ?? {};
      expect(Object.keys(environment).sort()).toEqual([...schemaKeys].sort());
      for (const [key, value] of Object.entries(environment)) {
        // A literal (HTTP_PORT, which the proxy's upstreams and the health checks must match) or
        // `${KEY...}`, never a typo.
        for (const ref of references(value)) expect(ref.name, key).toBe(key);
      }
    }
  });

  it('produces a valid webhook-mode configuration once the required settings are given', () => {
    const result = parseConfig(resolvedEnv(REQUIRED));
    expect(result.ok ? [] : result.problems).toEqual([]);
    if (!result.ok) return;
    expect(result.config.redisUrl).toBe('redis://redis:6379');
    expect(result.config.telegram).toMatchObject({
      token: TELEGRAM_TOKEN,
      webhookUrl: REQUIRED.TELEGRAM_WEBHOOK_URL,
      webhookSecret: REQUIRED.TELEGRAM_WEBHOOK_SECRET,
    });
    // Behind the proxy: X-Forwarded-For is believed, so rate limits count per client.
    expect(result.config.http.trustProxy).toBe(true);
    expect(dockerfile).toContain(`EXPOSE ${result.config.http.port}`);
  });

  it('requires SECRET_KEY, a bot token and the webhook with `:?`, so no container falls back to the console demo or to polling', () => {
    for (const key of Object.keys(REQUIRED) as Array<keyof typeof REQUIRED>) {
      const value = bot().environment?.[key] ?? '';
      expect(references(value), key).toEqual([{ name: key, op: ':?' }]);
      const without: Record<string, string> = { ...REQUIRED };
      delete without[key];
      expect(() => resolve(value, without)).toThrow(new RegExp(key));
      expect(() => resolve(value, { ...without, [key]: '' })).toThrow(new RegExp(key));
      expect(resolve(value, REQUIRED)).toBe(REQUIRED[key]);
    }
  });

  it('has defaults that are the schema defaults (plus production mode, the Redis service and the proxy)', () => {
    const fromCompose = parseConfig(resolvedEnv(REQUIRED));
    const plain = parseConfig({
      ...REQUIRED,
      NODE_ENV: 'production',
      REDIS_URL: 'redis://redis:6379',
      HTTP_TRUST_PROXY: 'true',
    });
    if (!fromCompose.ok || !plain.ok) throw new Error('invalid configuration');
    expect(fromCompose.config).toEqual(plain.config);
  });

  it('lets every optional setting be set from the shell or .env', () => {
    const shell: Record<string, string> = {
      ...REQUIRED,
      SMS_WEBHOOK_URL: 'https://sms.example.com/send',
      SMS_WEBHOOK_SECRET: 's'.repeat(40),
      FLOW_IDLE_MINUTES: '30',
      REDIS_PREFIX: 'prod:',
      HASH_CONCURRENCY: '4',
      ARGON2_MEMORY_KIB: '65536',
      ARGON2_TIME_COST: '3',
      ARGON2_PARALLELISM: '2',
      TELEGRAM_API_ROOT: 'https://tg-api.internal',
      HTTP_HOST: '127.0.0.1',
      HTTP_TRUST_PROXY: 'false',
    };
    const result = parseConfig(resolvedEnv(shell));
    expect(result.ok ? [] : result.problems).toEqual([]);
    if (!result.ok) return;
    expect(result.config).toMatchObject({
      smsWebhookUrl: 'https://sms.example.com/send',
      smsWebhookSecret: 's'.repeat(40),
      flowIdleMs: 30 * 60_000,
      redisPrefix: 'prod:',
      hashing: { memoryCost: 65_536, timeCost: 3, parallelism: 2, concurrency: 4 },
      telegram: { apiRoot: 'https://tg-api.internal' },
      http: { host: '127.0.0.1', trustProxy: false },
    });
  });

  it('checks each bot process on /readyz at its HTTP_PORT; Redis with a ping; the proxy through to /readyz', () => {
    const port = Number(bot().environment?.HTTP_PORT);
    for (const name of BOTS) {
      const test = bot(name).healthcheck?.test ?? [];
      expect(test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
      expect(test.join(' ')).toContain(`http://127.0.0.1:${port}/readyz`);
      // A non-2xx answer (503 while starting, draining or cut off from Redis or Telegram) is unhealthy.
      expect(test.join(' ')).toContain('r.ok?0:1');
    }
    expect(compose.services.redis?.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    const proxyCheck = compose.services.proxy?.healthcheck?.test ?? [];
    expect(proxyCheck[0]).toBe('CMD');
    expect(proxyCheck.join(' ')).toMatch(/http:\/\/127\.0\.0\.1(:80)?\/readyz/);
  });

  it('publishes only the proxy; its upstreams are exactly the bot services at HTTP_PORT', () => {
    const port = Number(bot().environment?.HTTP_PORT);
    for (const name of BOTS) expect(bot(name).ports).toBeUndefined();
    expect(compose.services.redis?.ports).toBeUndefined();
    const proxy = compose.services.proxy;
    expect(proxy?.volumes).toEqual(['./deploy/nginx.conf:/etc/nginx/nginx.conf:ro']);
    const listen = Number(/^\s*listen\s+(\d+);/m.exec(nginx)?.[1]);
    expect(proxy?.ports).toHaveLength(1);
    expect(proxy?.ports?.[0]).toMatch(new RegExp(`^\\d+:${listen}$`));
    expect(upstreams()).toEqual(BOTS.map((host) => ({ host, port })));
    for (const name of BOTS) expect(proxy?.depends_on?.[name]).toBeDefined();
    expect(nginx).toMatch(/proxy_pass\s+http:\/\/lockstep;/);
    // A draining process's webhook answers 503: the proxy hands the update to the other process.
    const next = /proxy_next_upstream\s+([^;]+);/.exec(nginx)?.[1]?.split(/\s+/) ?? [];
    expect(next).toEqual(expect.arrayContaining(['error', 'timeout', 'http_503', 'non_idempotent']));
    expect(nginx).toMatch(/proxy_set_header\s+X-Forwarded-For\s+\$proxy_add_x_forwarded_for;/);
  });
});

describe('Dockerfile and the build', () => {
  const stages = [...dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/gm)].map((m) => ({
    image: m[1],
    name: m[2],
  }));
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  it('builds in one stage and runs Node 24 (the current LTS) in another', () => {
    expect(stages).toHaveLength(2);
    for (const stage of stages) expect(stage.image).toBe('node:24-bookworm-slim');
    const build = dockerfile.slice(0, dockerfile.lastIndexOf('\nFROM '));
    // The build stage installs every dependency (tsc is a dev dependency), compiles, then drops the dev ones.
    expect(build).toMatch(/RUN npm ci\b(?![^\n]*--omit=dev)/);
    expect(build).toContain('npx tsc -p tsconfig.build.json');
    expect(build).toContain('npm prune --omit=dev');
    expect(runtime).toContain(
      `COPY --from=${stages[0]?.name} --chown=root:root /app/node_modules ./node_modules`,
    );
    expect(runtime).toContain(`COPY --from=${stages[0]?.name} --chown=root:root /app/dist ./dist`);
  });

  it('runs the compiled JavaScript with node as PID 1, as a non-root user, checked on /readyz', () => {
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toContain('CMD ["node", "dist/src/main.js"]');
    const instructions = runtime.replace(/^\s*#.*$/gm, '');
    expect(instructions).not.toMatch(/tsx/);
    expect(instructions).not.toMatch(/^COPY (src|flows|adapters) /m);
    expect(runtime).toMatch(/^HEALTHCHECK [^\n]*\\\n\s+CMD \["node", "-e", "fetch\([^\n]*\/readyz/m);
  });

  it('compiles with tsconfig.build.json: the entry points to dist/, `.ts` imports rewritten to `.js`', () => {
    const text = readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '');
    const tsconfig = JSON.parse(text) as {
      extends: string;
      compilerOptions: Record<string, unknown>;
      include: string[];
    };
    expect(tsconfig.extends).toBe('./tsconfig.json');
    expect(tsconfig.compilerOptions).toMatchObject({
      noEmit: false,
      outDir: 'dist',
      rootDir: '.',
      rewriteRelativeImportExtensions: true,
    });
    expect(tsconfig.include.sort()).toEqual(['adapters', 'flows', 'src']);
    for (const folder of tsconfig.include) expect(existsSync(join(ROOT, folder))).toBe(true);
    // dist/src/main.js is where `rootDir: "."` puts src/main.ts.
    expect(existsSync(join(ROOT, 'src/main.ts'))).toBe(true);
  });
});

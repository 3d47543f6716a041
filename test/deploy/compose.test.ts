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
  command?: string[];
  depends_on?: Record<string, { condition: string }>;
}

const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>;
};
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const schemaKeys = Object.keys(configSchema.shape ?? {});

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

describe('deployment files', () => {
  const app = compose.services.lockstep as ComposeService;

  it('declares the bot and a persistent Redis with pinned image tags', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['lockstep', 'redis']);
    expect(compose.services.redis?.image).toMatch(/^redis:7(\.\d+)*-alpine$/);
    expect(compose.services.redis?.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
    expect(app.build).toBe('.');
    expect(app.depends_on?.redis?.condition).toBe('service_healthy');
    expect(dockerfile).toMatch(/^FROM node:20\.\d+-bookworm-slim/m);
  });

  it('passes only settings the config schema knows', () => {
    for (const key of Object.keys(app.environment ?? {})) expect(schemaKeys).toContain(key);
  });

  it('produces a valid configuration once SECRET_KEY and a token are given', () => {
    const shell = { SECRET_KEY: 'x'.repeat(64), TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN };
    const env = Object.fromEntries(
      Object.entries(app.environment ?? {}).map(([k, v]) => [k, resolve(v, shell)]),
    );
    const result = parseConfig(env);
    expect(result.ok ? [] : result.problems).toEqual([]);
    if (!result.ok) return;
    expect(result.config.redisUrl).toBe('redis://redis:6379');
    // The published port is the one the app listens on and the image exposes.
    expect(app.ports).toEqual([`${result.config.http.port}:${result.config.http.port}`]);
    expect(dockerfile).toContain(`EXPOSE ${result.config.http.port}`);
  });

  it('refuses to start without SECRET_KEY', () => {
    expect(() => resolve(app.environment?.SECRET_KEY ?? '', {})).toThrow(/SECRET_KEY/);
  });

  it('passes every setting of the config schema, each read from the variable of the same name', () => {
    const environment = app.environment ?? {};
    expect(Object.keys(environment).sort()).toEqual([...schemaKeys].sort());
    for (const [key, value] of Object.entries(environment)) {
      // A literal (HTTP_PORT, which the published port and EXPOSE must match) or `${KEY...}`, never a typo.
      for (const ref of references(value)) expect(ref.name, key).toBe(key);
    }
  });

  it('requires a bot token with `:?`, so the container never falls back to the console demo', () => {
    const token = app.environment?.TELEGRAM_BOT_TOKEN ?? '';
    expect(references(token)).toEqual([{ name: 'TELEGRAM_BOT_TOKEN', op: ':?' }]);
    const key = { SECRET_KEY: 'x'.repeat(64) };
    expect(() => resolve(token, key)).toThrow(/TELEGRAM_BOT_TOKEN/);
    expect(() => resolve(token, { ...key, TELEGRAM_BOT_TOKEN: '' })).toThrow(/TELEGRAM_BOT_TOKEN/);
    expect(resolve(token, { ...key, TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN })).toBe(TELEGRAM_TOKEN);
  });

  it('has defaults that are the schema defaults (plus production mode and the Redis service)', () => {
    const shell = { SECRET_KEY: 'x'.repeat(64), TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN };
    const env = Object.fromEntries(
      Object.entries(app.environment ?? {}).map(([k, v]) => [k, resolve(v, shell)]),
    );
    const fromCompose = parseConfig(env);
    const plain = parseConfig({ ...shell, NODE_ENV: 'production', REDIS_URL: 'redis://redis:6379' });
    if (!fromCompose.ok || !plain.ok) throw new Error('invalid configuration');
    expect(fromCompose.config).toEqual(plain.config);
    expect(fromCompose.config.telegram?.token).toBe(TELEGRAM_TOKEN);
  });

  it('lets every optional setting be set from the shell or .env', () => {
    const shell: Record<string, string> = {
      SECRET_KEY: 'x'.repeat(64),
      TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
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
    };
    const env = Object.fromEntries(
      Object.entries(app.environment ?? {}).map(([k, v]) => [k, resolve(v, shell)]),
    );
    const result = parseConfig(env);
    expect(result.ok ? [] : result.problems).toEqual([]);
    if (!result.ok) return;
    expect(result.config).toMatchObject({
      smsWebhookUrl: 'https://sms.example.com/send',
      smsWebhookSecret: 's'.repeat(40),
      flowIdleMs: 30 * 60_000,
      redisPrefix: 'prod:',
      hashing: { memoryCost: 65_536, timeCost: 3, parallelism: 2, concurrency: 4 },
      telegram: { apiRoot: 'https://tg-api.internal' },
      http: { host: '127.0.0.1' },
    });
  });

  it('copies every source folder the entry point needs and runs as a non-root user', () => {
    for (const folder of ['src', 'flows', 'adapters']) {
      expect(dockerfile).toContain(`COPY ${folder} ./${folder}`);
      expect(existsSync(join(ROOT, folder))).toBe(true);
    }
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toContain('CMD ["node_modules/.bin/tsx", "src/main.ts"]');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.dependencies)).toContain('tsx');
  });
});

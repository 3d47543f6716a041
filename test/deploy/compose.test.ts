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

/** Resolves `${VAR:-default}` / `${VAR:?message}` the way compose would with an empty shell environment. */
function resolve(value: string, shell: Record<string, string>): string {
  return value.replace(
    /\$\{(\w+)(?::([-?])([^}]*))?\}/g,
    (_all, name: string, op?: string, rest?: string) => {
      const set = shell[name];
      if (set) return set;
      if (op === '?') throw new Error(`${name}: ${rest}`);
      return rest ?? '';
    },
  );
}

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
    const shell = { SECRET_KEY: 'x'.repeat(64), TELEGRAM_BOT_TOKEN: `123456:${'A'.repeat(35)}` };
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

/**
 * The console as the composition root serves it: `src/main.ts` as a process (console channel, real Redis,
 * PUBLIC_URL on https), an API key made in the same store the admin CLI writes, and the sign-in exchange
 * over real HTTP: the cookies are Secure because PUBLIC_URL is https, and the signed-in list answers.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import { ApiKeyStore } from '../../src/support/api-keys.ts';
import { CONSOLE_CSP, consoleTexts as T } from '../../src/support/console/index.ts';
import { freePort } from '../helpers/ports.ts';
import { connectRedis, deleteByPrefix, uniquePrefix } from '../helpers/redis.ts';
import { type RunningScript, startScript } from '../helpers/run-process.ts';
import { ALL_SCOPES, CookieClient, signIn } from './console-world.ts';

const redis = connectRedis();
const running: RunningScript[] = [];
const prefixes: string[] = [];
afterEach(async () => {
  for (const main of running.splice(0)) await main.kill();
  for (const prefix of prefixes.splice(0)) await deleteByPrefix(redis, prefix);
});

async function until<T>(probe: () => Promise<T | null>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the console in the running process', () => {
  it('is mounted by src/main.ts, with Secure cookies when PUBLIC_URL is https', async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const port = await freePort();
    const main = startScript('src/main.ts', {
      env: {
        LOG_LEVEL: 'warn',
        REDIS_URL: inject('redisUrl'),
        REDIS_PREFIX: prefix,
        SECRET_KEY: 'console-process-test-secret-key-0123456789',
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(port),
        PUBLIC_URL: 'https://lockstep.example.com',
      },
    });
    running.push(main);
    const base = `http://127.0.0.1:${port}`;
    const page = await until(async () => {
      const answer = await fetch(`${base}/console/sign-in`);
      return answer.status === 200 ? answer : null;
    }, 20_000);
    expect(page.headers.get('content-security-policy')).toBe(CONSOLE_CSP);

    const client = new Redis(inject('redisUrl'));
    const { key } = await new ApiKeyStore(new RedisKv(client), systemClock, prefix).create(
      'Agent Ada',
      ALL_SCOPES,
    );
    await client.quit();
    const agent = new CookieClient(base);
    const signedIn = await signIn(agent, key);
    expect(signedIn.status).toBe(303);
    const cookie = signedIn.setCookies.find((line) => line.startsWith('__Secure-ls_console='));
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    const list = await agent.get('/console');
    expect(list.status).toBe(200);
    expect(list.text).toContain(T.escalations.empty);
    expect(list.text).not.toContain(key);
  }, 40_000);
});

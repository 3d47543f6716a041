/**
 * The HTTP part of the composition root: when the server runs, what `/healthz` checks (a real Redis from
 * the test setup, and one that is down), and that `/verify-email` reaches the email-verification service.
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createEngine } from '../../src/composition/engine.ts';
import { parseConfig } from '../../src/config.ts';
import { healthCheck, httpWanted, startHttp } from '../../src/http/start-http.ts';
import { MemoryKv } from '../../src/kv/memory-kv.ts';
import { silentLogger } from '../../src/log.ts';
import { createServices } from '../../src/services.ts';
import { RecordingDelivery } from '../helpers/fake-delivery.ts';
import { connectRedis } from '../helpers/redis.ts';

const TOKEN = `123456:${'A'.repeat(35)}`;
const KEY = 'k'.repeat(32);

function config(env: Record<string, string>) {
  const parsed = parseConfig(env);
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.config;
}

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

describe('HTTP server in the composition root', () => {
  it('runs only when links point at it (PUBLIC_URL) or a bot is deployed', () => {
    expect(httpWanted(config({}))).toBe(false);
    expect(httpWanted(config({ PUBLIC_URL: 'https://lockstep.example.com' }))).toBe(true);
    expect(httpWanted(config({ TELEGRAM_BOT_TOKEN: TOKEN, SECRET_KEY: KEY }))).toBe(true);
  });

  it('reports ready without Redis, and checks Redis with a ping when it is used', async () => {
    expect(await healthCheck(null)()).toEqual({ ok: true, checks: {} });
    expect(await healthCheck(connectRedis())()).toEqual({ ok: true, checks: { redis: true } });
  });

  it('reports not ready, quickly, when Redis is down', async () => {
    const down = new Redis({
      host: '127.0.0.1',
      port: await closedPort(),
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    down.on('error', () => {});
    closers.push(async () => down.disconnect());
    const started = Date.now();
    expect(await healthCheck(down)()).toEqual({ ok: false, checks: { redis: false } });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('listens on HTTP_HOST:HTTP_PORT with /healthz and /verify-email wired to the services', async () => {
    const clock = new ManualClock();
    const services = createServices({
      kv: new MemoryKv(clock),
      delivery: new RecordingDelivery(),
      clock,
      log: silentLogger,
      secretKey: KEY,
      publicUrl: 'https://lockstep.example.com',
    });
    const app = await startHttp({
      config: config({ PUBLIC_URL: 'https://lockstep.example.com', HTTP_HOST: '127.0.0.1', HTTP_PORT: '0' }),
      services,
      engine: createEngine(services),
      redis: null,
      log: silentLogger,
    });
    if (!app) throw new Error('the server did not start');
    closers.push(() => app.close());
    const address = app.server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no address');
    expect(address.address).toBe('127.0.0.1');
    const base = `http://127.0.0.1:${address.port}`;
    const health = await fetch(`${base}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok', checks: {} }]);
    // A well-formed token the verification service never issued: opening it shows the confirm page
    // (no lookup on GET); confirming it reaches the service, which does not know it.
    const token = 'Z'.repeat(43);
    const opened = await fetch(`${base}/verify-email?token=${token}`);
    expect(opened.status).toBe(200);
    expect(await opened.text()).toContain(`<input type="hidden" name="token" value="${token}">`);
    const confirmed = await fetch(`${base}/verify-email`, {
      method: 'POST',
      body: new URLSearchParams({ token }),
    });
    expect(confirmed.status).toBe(400);
  });

  it('passes the timeouts and the /verify-email rate limit on to the server', async () => {
    const clock = new ManualClock();
    const services = createServices({
      kv: new MemoryKv(clock),
      delivery: new RecordingDelivery(),
      clock,
      log: silentLogger,
      secretKey: KEY,
      publicUrl: 'https://lockstep.example.com',
    });
    const app = await startHttp({
      config: config({ PUBLIC_URL: 'https://lockstep.example.com', HTTP_HOST: '127.0.0.1', HTTP_PORT: '0' }),
      services,
      engine: createEngine(services),
      redis: null,
      log: silentLogger,
      server: { timeouts: { requestMs: 1_500 }, verifyEmailRateLimit: { max: 1, windowMs: 60_000 } },
    });
    if (!app) throw new Error('the server did not start');
    closers.push(() => app.close());
    expect(app.server.requestTimeout).toBe(1_500);
    expect(app.server.headersTimeout).toBe(1_500);
    const address = app.server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no address');
    const link = `http://127.0.0.1:${address.port}/verify-email?token=${'Z'.repeat(43)}`;
    expect((await fetch(link)).status).toBe(200);
    const limited = await fetch(link);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('does not start without PUBLIC_URL or a bot', async () => {
    const clock = new ManualClock();
    const services = createServices({
      kv: new MemoryKv(clock),
      delivery: new RecordingDelivery(),
      clock,
      log: silentLogger,
      secretKey: KEY,
    });
    const app = await startHttp({
      config: config({}),
      services,
      engine: createEngine(services),
      redis: null,
      log: silentLogger,
    });
    expect(app).toBeNull();
  });
});

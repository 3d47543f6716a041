/**
 * The HTTP server under hostile or broken clients, all through real HTTP on 127.0.0.1: methods a route
 * does not serve (405 with `Allow`), JSON bodies that are not an update (400, on the real Telegram webhook),
 * clients that send half a request (closed within the request timeout) and clients that open the
 * verification link too often (429 with `Retry-After` and a friendly page).
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { mountTelegramWebhook, TELEGRAM_WEBHOOK_PATH } from '../../adapters/telegram/bot.ts';
import { t } from '../../src/catalog/catalog.ts';
import { escapeHtml, PAGE_CSP } from '../../src/http/pages.ts';
import {
  createHttpServer,
  DEFAULT_TIMEOUTS,
  DEFAULT_VERIFY_EMAIL_RATE_LIMIT,
  type HttpServerOptions,
} from '../../src/http/server.ts';
import { silentLogger } from '../../src/log.ts';
import { createHarness, type Harness } from '../helpers/telegram-harness.ts';

const TOKEN = 'tok_Secret-0123456789abcdefXYZ';
const SECRET = 'webhook_Secret-123';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

/** A server listening on a free loopback port; returns its base URL and port. */
async function serve(
  overrides: Partial<HttpServerOptions> = {},
): Promise<{ app: FastifyInstance; url: string; port: number; redeemed: string[] }> {
  const redeemed: string[] = [];
  const app = createHttpServer({
    log: silentLogger,
    health: async () => ({ ok: true, checks: {} }),
    verifyEmail: async (token) => {
      redeemed.push(token);
      return 'verified';
    },
    ...overrides,
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  closers.push(() => app.close());
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return { app, url, port: address.port, redeemed };
}

/** The raw answer to bytes written on a fresh socket: what came back, and after how long it closed. */
async function rawExchange(
  port: number,
  bytes: string,
  giveUpMs: number,
): Promise<{ response: string; closedAfterMs: number | null }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const started = Date.now();
  let response = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    response += chunk;
  });
  socket.on('error', () => {});
  socket.write(bytes);
  const closed = await Promise.race([
    once(socket, 'close').then(() => true),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), giveUpMs)),
  ]);
  const closedAfterMs = closed ? Date.now() - started : null;
  socket.destroy();
  return { response, closedAfterMs };
}

describe('methods a route does not serve', () => {
  it('answers 405 with Allow on known paths and 404 on unknown ones (today PUT and DELETE gave 404)', async () => {
    const { url, redeemed } = await serve({
      extraRoutes(app) {
        app.post('/hook', async () => ({ ok: true }));
      },
    });
    const cases: Array<[string, string, string]> = [
      ['PUT', '/healthz', 'GET, HEAD'],
      ['DELETE', '/healthz', 'GET, HEAD'],
      ['POST', '/healthz', 'GET, HEAD'],
      ['PUT', '/verify-email', 'GET, POST'],
      ['DELETE', `/verify-email?token=${TOKEN}`, 'GET, POST'],
      ['PATCH', '/verify-email', 'GET, POST'],
      ['OPTIONS', '/verify-email', 'GET, POST'],
      ['HEAD', `/verify-email?token=${TOKEN}`, 'GET, POST'],
      ['GET', '/hook', 'POST'],
      ['DELETE', '/hook', 'POST'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await fetch(`${url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow'), `${method} ${path}`).toBe(allow);
      expect(res.headers.get('cache-control')).toBe('no-store');
      if (method !== 'HEAD') expect(await res.text()).toBe('Method not allowed\n');
    }
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await fetch(`${url}/nowhere`, { method });
      expect(res.status).toBe(404);
      expect(res.headers.get('allow')).toBeNull();
    }
    expect(redeemed).toEqual([]);
  });

  it('still serves the methods it has: GET and HEAD /healthz, GET and POST /verify-email', async () => {
    const { url, redeemed } = await serve();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/healthz`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${url}/verify-email?token=${TOKEN}`)).status).toBe(200);
    const post = await fetch(`${url}/verify-email`, {
      method: 'POST',
      body: new URLSearchParams({ token: TOKEN }),
    });
    expect(post.status).toBe(200);
    expect(redeemed).toEqual([TOKEN]);
  });
});

describe('JSON bodies on the Telegram webhook', () => {
  async function webhookServer(): Promise<{ url: string; harness: Harness }> {
    const harness = await createHarness();
    closers.push(() => harness.close());
    const { url } = await serve({
      extraRoutes: (app) => mountTelegramWebhook(app, harness.telegram, { secretToken: SECRET }),
    });
    return { url, harness };
  }

  const post = (url: string, body: string | undefined, contentType: string | null = 'application/json') =>
    fetch(`${url}${TELEGRAM_WEBHOOK_PATH}`, {
      method: 'POST',
      headers: {
        'x-telegram-bot-api-secret-token': SECRET,
        ...(contentType === null ? {} : { 'content-type': contentType }),
      },
      ...(body === undefined ? {} : { body }),
    });

  it('answers 400, not 500, to a null, malformed, empty or non-object JSON body', async () => {
    const { url, harness } = await webhookServer();
    for (const body of [
      'null',
      '{"update_id": 1, "message":',
      'not json',
      '',
      '[]',
      '42',
      '"text"',
      'true',
    ]) {
      const res = await post(url, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await res.text()).toBe('Bad request\n');
    }
    // Prototype poisoning is refused as well.
    expect((await post(url, '{"update_id": 5, "__proto__": {"admin": true}}')).status).toBe(400);
    expect(harness.logs.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('refuses other content types without a crash, and still handles a real update', async () => {
    const { url, harness } = await webhookServer();
    expect((await post(url, 'null', 'text/plain')).status).toBe(415);
    expect((await post(url, 'update_id=1', 'application/x-www-form-urlencoded')).status).toBe(415);
    expect((await post(url, undefined, null)).status).toBe(400);
    const { api, alice } = harness;
    const update = api.messageUpdate(alice.chat, alice.user, '/help');
    const ok = await post(url, JSON.stringify(update));
    expect(ok.status).toBe(200);
    // /help, then the tasks this chat can start.
    await api.waitFor(() => api.textsTo(alice.chat.id).length === 2);
    const tasksStart = t('en', 'common.helpTasks', { tasks: '\u0000' }).split('\u0000')[0] ?? '';
    expect(api.textsTo(alice.chat.id)).toEqual([
      t('en', 'common.help'),
      expect.stringMatching(`^${tasksStart}`),
    ]);
  });
});

describe('slow and half-sent requests', () => {
  const requestMs = 400;
  const timeouts = { requestMs, idleMs: 3_000, keepAliveMs: 300 };

  it('has ~10 s defaults (before: a half-sent request was kept open past 100 s)', () => {
    expect(DEFAULT_TIMEOUTS).toEqual({ requestMs: 10_000, idleMs: 30_000, keepAliveMs: 10_000 });
  });

  it('refuses a timeout of 0 or less, which Node would read as no limit at all', () => {
    const base = { log: silentLogger, health: async () => ({ ok: true, checks: {} }) };
    expect(() => createHttpServer({ ...base, timeouts: { requestMs: 0 } })).toThrow(/requestMs/);
    expect(() => createHttpServer({ ...base, timeouts: { idleMs: -1 } })).toThrow(/idleMs/);
    expect(() => createHttpServer({ ...base, timeouts: { keepAliveMs: Number.NaN } })).toThrow(/keepAliveMs/);
  });

  it('answers 408 and closes a connection whose headers never finish, within the request timeout', async () => {
    const { port } = await serve({ timeouts });
    const { response, closedAfterMs } = await rawExchange(
      port,
      'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ',
      requestMs * 10,
    );
    expect(closedAfterMs).not.toBeNull();
    expect(closedAfterMs ?? Infinity).toBeGreaterThanOrEqual(requestMs - 50);
    expect(closedAfterMs ?? Infinity).toBeLessThan(requestMs * 4);
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a connection whose body stops half-way, and never calls the handler', async () => {
    const { port, redeemed } = await serve({ timeouts });
    const body = `token=${TOKEN}`;
    const { response, closedAfterMs } = await rawExchange(
      port,
      [
        'POST /verify-email HTTP/1.1',
        'Host: 127.0.0.1',
        'Content-Type: application/x-www-form-urlencoded',
        `Content-Length: ${body.length}`,
        '',
        body.slice(0, 10),
      ].join('\r\n'),
      requestMs * 10,
    );
    expect(closedAfterMs).not.toBeNull();
    expect(closedAfterMs ?? Infinity).toBeLessThan(requestMs * 4);
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    expect(redeemed).toEqual([]);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const { port } = await serve({ timeouts });
    const { response, closedAfterMs } = await rawExchange(
      port,
      'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
      requestMs * 10,
    );
    expect(response).toMatch(/^HTTP\/1\.1 200 /);
    expect(closedAfterMs).not.toBeNull();
    expect(closedAfterMs ?? Infinity).toBeLessThan(timeouts.keepAliveMs * 4 + requestMs);
  });

  it('does not cut off a handler that takes longer than the request timeout once the request is in', async () => {
    const { url } = await serve({
      timeouts,
      extraRoutes(app) {
        app.post('/slow', async () => {
          await new Promise((resolve) => setTimeout(resolve, requestMs * 2));
          return { done: true };
        });
      },
    });
    const res = await fetch(`${url}/slow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"update_id":1}',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: true });
  });
});

describe('rate limit of /verify-email', () => {
  const form = () => ({ method: 'POST', body: new URLSearchParams({ token: TOKEN }) });

  it('allows 30 requests a minute per client IP by default', () => {
    expect(DEFAULT_VERIFY_EMAIL_RATE_LIMIT).toEqual({ max: 30, windowMs: 60_000 });
  });

  it('answers 429 with Retry-After and a friendly page past the limit, GET and POST sharing one budget', async () => {
    const { url, redeemed } = await serve({ verifyEmailRateLimit: { max: 3, windowMs: 60_000 } });
    expect((await fetch(`${url}/verify-email?token=${TOKEN}`)).status).toBe(200);
    expect((await fetch(`${url}/verify-email?token=${TOKEN}`)).status).toBe(200);
    expect((await fetch(`${url}/verify-email`, form())).status).toBe(200);
    expect(redeemed).toEqual([TOKEN]);

    for (const res of [
      await fetch(`${url}/verify-email?token=${TOKEN}`),
      await fetch(`${url}/verify-email`, form()),
    ]) {
      expect(res.status).toBe(429);
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('content-security-policy')).toBe(PAGE_CSP);
      const html = await res.text();
      expect(html).toContain(escapeHtml(t('en', 'web.tooMany.title')));
      for (const line of t('en', 'web.tooMany.body').split('\n')) expect(html).toContain(escapeHtml(line));
      expect(html).not.toContain(TOKEN);
      expect(html).not.toContain('<form');
    }
    // The refused POST never reached the verification.
    expect(redeemed).toEqual([TOKEN]);
    // Other routes are not limited.
    for (let i = 0; i < 5; i += 1) expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('limits the 31st request of a minute with the default settings', async () => {
    const { url } = await serve();
    const statuses: number[] = [];
    for (let i = 0; i < 31; i += 1) statuses.push((await fetch(`${url}/verify-email?token=${TOKEN}`)).status);
    expect(statuses.slice(0, 30).every((s) => s === 200)).toBe(true);
    expect(statuses[30]).toBe(429);
  });

  it('counts per client IP: behind a trusted proxy each forwarded address has its own budget', async () => {
    const { url } = await serve({
      verifyEmailRateLimit: { max: 1, windowMs: 60_000 },
      trustProxy: '127.0.0.1',
    });
    const from = (ip: string) =>
      fetch(`${url}/verify-email?token=${TOKEN}`, { headers: { 'x-forwarded-for': ip } });
    expect((await from('203.0.113.7')).status).toBe(200);
    expect((await from('203.0.113.7')).status).toBe(429);
    expect((await from('198.51.100.9')).status).toBe(200);
  });

  it('ignores X-Forwarded-For from an untrusted peer, so a client cannot dodge the limit with it', async () => {
    const { url } = await serve({ verifyEmailRateLimit: { max: 1, windowMs: 60_000 } });
    const from = (ip: string) =>
      fetch(`${url}/verify-email?token=${TOKEN}`, { headers: { 'x-forwarded-for': ip } });
    expect((await from('203.0.113.7')).status).toBe(200);
    expect((await from('198.51.100.9')).status).toBe(429);
  });
});

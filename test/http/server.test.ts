import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { t } from '../../src/catalog/catalog.ts';
import { escapeHtml, PAGE_CSP, renderConfirmPage, renderPage } from '../../src/http/pages.ts';
import { createHttpServer, type HttpServerOptions, type VerifyEmailOutcome } from '../../src/http/server.ts';
import type { Logger } from '../../src/log.ts';

const TOKEN = 'tok_Secret-0123456789abcdefXYZ';

interface LogLine {
  readonly level: string;
  readonly obj: Record<string, unknown>;
  readonly msg: string;
}

function captureLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (obj: object, msg: string): void => {
      lines.push({ level, obj: { ...obj }, msg });
    };
  return { log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

function build(overrides: Partial<HttpServerOptions> = {}) {
  const { log, lines } = captureLogger();
  const tokens: string[] = [];
  const app = createHttpServer({
    log,
    health: async () => ({ ok: true, checks: { redis: true } }),
    verifyEmail: async (token) => {
      tokens.push(token);
      return 'verified';
    },
    ...overrides,
  });
  apps.push(app);
  return { app, lines, tokens };
}

function expectPageHeaders(headers: Record<string, unknown>): void {
  expect(headers['content-type']).toBe('text/html; charset=utf-8');
  expect(headers['cache-control']).toBe('no-store');
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['content-security-policy']).toBe(PAGE_CSP);
  expect(PAGE_CSP).toContain("default-src 'none'");
  expect(PAGE_CSP).not.toContain('unsafe-inline');
}

describe('GET /healthz', () => {
  it('answers 200 with the checks when healthy', async () => {
    const { app } = build();
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', checks: { redis: true } });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('answers 503 with the failing check when unhealthy', async () => {
    const { app } = build({ health: async () => ({ ok: false, checks: { redis: false, telegram: true } }) });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'unavailable', checks: { redis: false, telegram: true } });
  });

  it('answers 503 when the health probe itself throws', async () => {
    const { app, lines } = build({
      health: async () => {
        throw new Error('redis connection lost');
      },
    });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'unavailable', checks: {} });
    expect(lines.some((l) => l.level === 'error')).toBe(true);
  });
});

/** The body the confirm page's form sends. */
function form(token: string): { headers: Record<string, string>; payload: string } {
  return {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ token }).toString(),
  };
}

/** The hidden token field of a confirm page, or null when there is no such form. */
function confirmForm(html: string): { token: string | null; button: string | null } {
  const formHtml = /<form method="post" action="\/verify-email"[^>]*>([\s\S]*?)<\/form>/.exec(html)?.[1];
  if (formHtml === undefined) return { token: null, button: null };
  return {
    token: /<input type="hidden" name="token" value="([^"]*)">/.exec(formHtml)?.[1] ?? null,
    button: /<button type="submit">([^<]*)<\/button>/.exec(formHtml)?.[1] ?? null,
  };
}

const BAD_TOKENS = [
  '',
  'short',
  'a'.repeat(129),
  '<script>alert(1)</script>abcdef',
  'abcdefghijklmnop ',
  'abcdefghijkl.mnop',
];

describe('GET /verify-email (opening the link)', () => {
  it('shows the confirm page with one button and the token in a hidden field, without redeeming', async () => {
    const { app, tokens } = build();
    const res = await app.inject({ method: 'GET', url: `/verify-email?token=${TOKEN}` });
    expect(res.statusCode).toBe(200);
    expectPageHeaders(res.headers);
    expect(res.body).toContain(escapeHtml(t('en', 'web.confirm.title')));
    expect(res.body).toContain(escapeHtml(t('en', 'web.confirm.body')));
    expect(confirmForm(res.body)).toEqual({ token: TOKEN, button: t('en', 'web.confirm.button') });
    expect(res.body.match(/<button/g)).toHaveLength(1);
    expect(tokens).toEqual([]);
  });

  it('never redeems on GET, as a mail scanner would open it: the token still works with a POST afterwards', async () => {
    const { app, tokens } = build();
    for (let i = 0; i < 3; i += 1) {
      const scan = await app.inject({ method: 'GET', url: `/verify-email?token=${TOKEN}` });
      expect(scan.statusCode).toBe(200);
    }
    expect(tokens).toEqual([]);
    const res = await app.inject({ method: 'POST', url: '/verify-email', ...form(TOKEN) });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(escapeHtml(t('en', 'web.verified.title')));
    expect(tokens).toEqual([TOKEN]);
  });

  it('shows the same confirm page for any well-formed token, so it does not tell whether one exists', async () => {
    const { app } = build();
    const a = await app.inject({ method: 'GET', url: `/verify-email?token=${TOKEN}` });
    const b = await app.inject({ method: 'GET', url: `/verify-email?token=${'B'.repeat(43)}` });
    expect(a.statusCode).toBe(b.statusCode);
    expect(a.body.replace(TOKEN, 'X')).toBe(b.body.replace('B'.repeat(43), 'X'));
  });

  it('answers 400 with the invalid page and never calls verifyEmail for a missing or malformed token', async () => {
    const { app, tokens } = build();
    const bad = [
      '/verify-email',
      ...BAD_TOKENS.map((token) => `/verify-email?token=${encodeURIComponent(token)}`),
      `/verify-email?token=${TOKEN}&token=${TOKEN}`,
    ];
    for (const url of bad) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(400);
      expectPageHeaders(res.headers);
      expect(res.body).toContain(escapeHtml(t('en', 'web.invalid.title')));
      expect(res.body).not.toContain('<script>');
      expect(res.body).not.toContain('<form');
    }
    expect(tokens).toEqual([]);
  });

  it('accepts tokens of 16 and 128 characters', async () => {
    const { app } = build();
    for (const token of ['A'.repeat(16), `${'-_'.repeat(63)}z9`]) {
      const res = await app.inject({ method: 'GET', url: `/verify-email?token=${token}` });
      expect(res.statusCode).toBe(200);
      expect(confirmForm(res.body).token).toBe(token);
    }
  });

  it('does not redeem the token on HEAD, which link checkers send', async () => {
    const { app, tokens } = build();
    const res = await app.inject({ method: 'HEAD', url: `/verify-email?token=${TOKEN}` });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET, POST');
    expect(tokens).toEqual([]);
  });

  it('is not served when no verifyEmail is configured', async () => {
    const { app } = build({ verifyEmail: undefined });
    const res = await app.inject({ method: 'GET', url: `/verify-email?token=${TOKEN}` });
    expect(res.statusCode).toBe(404);
    const post = await app.inject({ method: 'POST', url: '/verify-email', ...form(TOKEN) });
    expect(post.statusCode).toBe(404);
  });
});

describe("the email pages speak the browser's language", () => {
  it('answers in the most preferred language lockstep speaks (Accept-Language), English otherwise', async () => {
    const { app } = build();
    const page = async (acceptLanguage: string) =>
      (
        await app.inject({
          method: 'GET',
          url: `/verify-email?token=${TOKEN}`,
          headers: { 'accept-language': acceptLanguage },
        })
      ).body;
    const spanish = await page('es-MX,es;q=0.9,en;q=0.8');
    expect(spanish).toContain('<html lang="es">');
    expect(spanish).toContain(escapeHtml(t('es', 'web.confirm.title')));
    expect(confirmForm(spanish)).toEqual({ token: TOKEN, button: t('es', 'web.confirm.button') });
    expect(await page('de-DE,ru;q=0.7,en;q=0.5')).toContain(escapeHtml(t('ru', 'web.confirm.title')));
    expect(await page('zh-CN')).toContain(escapeHtml(t('zh-CN', 'web.confirm.title')));
    // Traditional Chinese and unknown languages read the English page.
    expect(await page('zh-TW,fr;q=0.8')).toContain('<html lang="en">');
    expect(await page('en;q=0.9,ru;q=0.2')).toContain('<html lang="en">');
    const outcome = await app.inject({
      method: 'POST',
      url: '/verify-email',
      ...form(TOKEN),
      headers: { ...form(TOKEN).headers, 'accept-language': 'ru' },
    });
    expect(outcome.body).toContain(escapeHtml(t('ru', 'web.verified.title')));
  });
});

describe('POST /verify-email (the confirm button)', () => {
  const cases: Array<{ outcome: VerifyEmailOutcome; status: number }> = [
    { outcome: 'verified', status: 200 },
    { outcome: 'expired', status: 410 },
    { outcome: 'used', status: 410 },
    { outcome: 'invalid', status: 400 },
  ];

  for (const { outcome, status } of cases) {
    it(`redeems the token and shows the ${outcome} page with ${status} and the security headers`, async () => {
      const { app, tokens } = build({
        verifyEmail: async (token) => {
          tokens.push(token);
          return outcome;
        },
      });
      const res = await app.inject({ method: 'POST', url: '/verify-email', ...form(TOKEN) });
      expect(tokens).toEqual([TOKEN]);
      expect(res.statusCode).toBe(status);
      expectPageHeaders(res.headers);
      expect(res.body).toContain(escapeHtml(t('en', `web.${outcome}.title`)));
      expect(res.body).toContain(escapeHtml(t('en', 'web.closeHint')));
      expect(res.body).not.toContain(TOKEN);
      expect(res.body).not.toContain('<form');
    });
  }

  it('tells the user an expired link lasts 30 minutes and to ask the bot for a new one', async () => {
    const { app } = build({ verifyEmail: async () => 'expired' });
    const res = await app.inject({ method: 'POST', url: '/verify-email', ...form(TOKEN) });
    expect(res.body).toContain('30 minutes');
    expect(res.body).toMatch(/ask the lockstep bot for a new link/);
  });

  it('answers 400 with the invalid page and never calls verifyEmail for a missing or malformed token', async () => {
    const { app, tokens } = build();
    const formType = { 'content-type': 'application/x-www-form-urlencoded' };
    const requests: Array<{ headers?: Record<string, string>; payload?: string }> = [
      {},
      { headers: formType, payload: '' },
      { headers: formType, payload: 'other=1' },
      ...BAD_TOKENS.map((token) => form(token)),
      { headers: formType, payload: `token=${TOKEN}&token=${TOKEN}` },
      // Only the form encoding is accepted.
      { headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ token: TOKEN }) },
    ];
    for (const request of requests) {
      // The token in the query string does not count: only the form field is redeemed.
      const res = await app.inject({ method: 'POST', url: `/verify-email?token=${TOKEN}`, ...request });
      expect(res.statusCode, JSON.stringify(request)).toBe(400);
      expectPageHeaders(res.headers);
      expect(res.body).toContain(escapeHtml(t('en', 'web.invalid.title')));
      expect(res.body).not.toContain('<script>');
    }
    expect(tokens).toEqual([]);
  });

  it('refuses a body larger than the small form limit without calling verifyEmail', async () => {
    const { app, tokens } = build();
    const res = await app.inject({
      method: 'POST',
      url: '/verify-email',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${TOKEN}&pad=${'x'.repeat(4096)}`,
    });
    expect(res.statusCode).toBe(413);
    expect(tokens).toEqual([]);
  });

  it('answers 410 "already used" when the same token is posted twice (real single-use redemption)', async () => {
    const spent = new Set<string>();
    const { app } = build({
      verifyEmail: async (token) => {
        if (spent.has(token)) return 'used';
        spent.add(token);
        return 'verified';
      },
    });
    const first = await app.inject({ method: 'POST', url: '/verify-email', ...form(TOKEN) });
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain(escapeHtml(t('en', 'web.verified.title')));
    const second = await app.inject({ method: 'POST', url: '/verify-email', ...form(TOKEN) });
    expect(second.statusCode).toBe(410);
    expect(second.body).toContain(escapeHtml(t('en', 'web.used.title')));
  });

  it('shows an error page with 500 when verification throws, and logs no token', async () => {
    const { app, lines } = build({
      verifyEmail: async (token) => {
        throw new Error(`store down while reading ${token}`);
      },
    });
    const res = await app.inject({ method: 'POST', url: '/verify-email', ...form(TOKEN) });
    expect(res.statusCode).toBe(500);
    expectPageHeaders(res.headers);
    expect(res.body).toContain(escapeHtml(t('en', 'web.error.title')));
    expect(lines.some((l) => l.level === 'error')).toBe(true);
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
  });

  it('logs method, route pattern and status of every request, never the token or the query', async () => {
    const { app, lines } = build();
    await app.inject({ method: 'GET', url: `/verify-email?token=${TOKEN}` });
    await app.inject({ method: 'POST', url: '/verify-email', ...form(TOKEN) });
    await app.inject({ method: 'GET', url: '/verify-email?token=bad' });
    await app.inject({ method: 'POST', url: '/verify-email', ...form('bad') });
    await app.inject({ method: 'GET', url: `/nowhere/${TOKEN}?token=${TOKEN}` });

    const requests = lines.filter((l) => l.msg === 'http request');
    expect(requests.map((l) => [l.obj.method, l.obj.route, l.obj.status])).toEqual([
      ['GET', '/verify-email', 200],
      ['POST', '/verify-email', 200],
      ['GET', '/verify-email', 400],
      ['POST', '/verify-email', 400],
      ['GET', '(no route)', 404],
    ]);
    const everything = JSON.stringify(lines);
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain('token=');
    expect(everything).not.toContain('/nowhere');
  });
});

describe('the page security policy', () => {
  it('allows the confirm form to post only to this server and forbids framing, scripts and other sources', () => {
    const directives = PAGE_CSP.split(';').map((d) => d.trim());
    expect(directives).toContain("default-src 'none'");
    expect(directives).toContain("form-action 'self'");
    expect(directives).toContain("frame-ancestors 'none'");
    expect(directives.some((d) => d.startsWith('script-src'))).toBe(false);
    expect(PAGE_CSP).not.toContain('unsafe-inline');
  });

  it('is sent with the confirm page and with the outcome pages, alongside X-Frame-Options DENY', async () => {
    const { app } = build();
    const pages = [
      await app.inject({ method: 'GET', url: `/verify-email?token=${TOKEN}` }),
      await app.inject({ method: 'POST', url: '/verify-email', ...form(TOKEN) }),
    ];
    for (const res of pages) {
      expect(res.headers['content-security-policy']).toBe(PAGE_CSP);
      expect(res.headers['content-security-policy']).toContain("form-action 'self'");
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
    }
  });
});

describe('the rest of the server', () => {
  it('answers unknown routes with a plain 404', async () => {
    const { app } = build();
    const res = await app.inject({ method: 'GET', url: '/admin' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toBe('Not found\n');
  });

  it('serves extra routes and hides the message of errors they throw', async () => {
    const { app, lines } = build({
      extraRoutes(server) {
        server.get('/hello', async () => ({ hello: 'world' }));
        server.get('/boom', async () => {
          throw new Error(`exploded with ${TOKEN}`);
        });
      },
    });
    expect((await app.inject({ method: 'GET', url: '/hello' })).json()).toEqual({ hello: 'world' });
    const boom = await app.inject({ method: 'GET', url: '/boom' });
    expect(boom.statusCode).toBe(500);
    expect(boom.body).toBe('Internal server error\n');
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
  });

  it('serves the pages and the health probe over a real socket', async () => {
    const { app, lines } = build();
    const address = await app.listen({ port: 0, host: '127.0.0.1' });

    const health = await fetch(`${address}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', checks: { redis: true } });

    const page = await fetch(`${address}/verify-email?token=${TOKEN}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-security-policy')).toBe(PAGE_CSP);
    const hidden = confirmForm(await page.text()).token;
    expect(hidden).toBe(TOKEN);

    // What the browser sends when the button is pressed.
    const done = await fetch(`${address}/verify-email`, {
      method: 'POST',
      body: new URLSearchParams({ token: hidden ?? '' }),
    });
    expect(done.status).toBe(200);
    expect(done.headers.get('content-security-policy')).toBe(PAGE_CSP);
    expect(await done.text()).toContain(escapeHtml(t('en', 'web.verified.title')));

    expect((await fetch(`${address}/missing`)).status).toBe(404);
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
  });
});

describe('pages', () => {
  it('are self-contained: no script, no external resource, and the CSP allows exactly the inline style', () => {
    const pages = [
      ...(['verified', 'expired', 'used', 'invalid', 'error', 'tooMany'] as const).map((kind) =>
        renderPage(kind),
      ),
      renderConfirmPage(TOKEN),
    ];
    for (const html of pages) {
      expect(html).toMatch(/^<!doctype html>/);
      expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
      expect(html).not.toMatch(/<script|<link|<img|src=|href=|url\(/i);
      const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
      const hash = createHash('sha256').update(style, 'utf8').digest('base64');
      expect(PAGE_CSP).toContain(`style-src 'sha256-${hash}'`);
    }
  });

  it('escapes HTML in text', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});

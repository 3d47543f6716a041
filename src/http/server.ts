import rateLimit from '@fastify/rate-limit';
import {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  fastify,
  LogController,
} from 'fastify';
import { z } from 'zod';
import { localeFromAcceptLanguage } from '../catalog/catalog.ts';
import type { Logger } from '../log.ts';
import { PAGE_CSP, type PageKind, renderConfirmPage, renderPage } from './pages.ts';
import type { ReadinessReport } from './readiness.ts';

/** What a health probe reports: overall readiness plus one flag per dependency (`redis`, ...). */
export interface HealthReport {
  readonly ok: boolean;
  readonly checks: Readonly<Record<string, boolean>>;
}

/** The result of redeeming an email-verification token. */
export type VerifyEmailOutcome = 'verified' | 'expired' | 'used' | 'invalid';

export interface HttpServerOptions {
  readonly log: Logger;
  readonly health: () => Promise<HealthReport>;
  /**
   * `/readyz`: whether this process should get traffic (serving, and every dependency answers). Without
   * it, `/readyz` answers what `health` says.
   */
  readonly readiness?: () => Promise<ReadinessReport>;
  /** Redeems an email-verification token; without it, `/verify-email` is not served (404). */
  readonly verifyEmail?: (token: string) => Promise<VerifyEmailOutcome>;
  /**
   * Adds more routes (e.g. a Telegram webhook) to the same server, in their own scope: a POST, PUT or
   * PATCH there must carry a JSON object (anything else gets 400, or 415 for another content type).
   */
  readonly extraRoutes?: (app: FastifyInstance) => void;
  /** How long a client may take; see `HttpTimeouts` for the defaults. */
  readonly timeouts?: HttpTimeouts;
  /** The per-client-IP limit of `/verify-email` (GET and POST together). Default 30 requests a minute. */
  readonly verifyEmailRateLimit?: RateLimitOptions;
  /**
   * Which proxies to believe about the client address (`X-Forwarded-For`), as Fastify's `trustProxy`:
   * `true` (any), a hop count, or addresses/CIDRs (`'10.0.0.0/8'`). Default false: the socket's peer is
   * the client. Set it behind a TLS-terminating proxy, or every visitor shares the proxy's rate limit.
   */
  readonly trustProxy?: boolean | number | string | readonly string[];
}

/** Time limits on a client; values in milliseconds. */
export interface HttpTimeouts {
  /**
   * The whole request, headers and body, must arrive within this; a half-sent request is answered 408
   * and its connection closed. Default 10 s (a Telegram update or the confirm form is a few KB).
   */
  readonly requestMs?: number;
  /**
   * A connection on which no byte moves either way for this long is closed (a client that stops reading
   * its answer). Longer than the slowest handler: the Telegram webhook answers within 10 s. Default 30 s.
   */
  readonly idleMs?: number;
  /** An idle keep-alive connection is closed after this long between two requests. Default 10 s. */
  readonly keepAliveMs?: number;
}

export const DEFAULT_TIMEOUTS: Required<HttpTimeouts> = {
  requestMs: 10_000,
  idleMs: 30_000,
  keepAliveMs: 10_000,
};

export interface RateLimitOptions {
  /** Requests per window and client IP. Default 30. */
  readonly max?: number;
  /** The window, in milliseconds. Default 60 s. */
  readonly windowMs?: number;
}

export const DEFAULT_VERIFY_EMAIL_RATE_LIMIT: Required<RateLimitOptions> = { max: 30, windowMs: 60_000 };

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The client error of a JSON body that is not an object (`null`, a number, a list): 400. */
class JsonBodyNotObjectError extends Error {
  readonly statusCode = 400;
  readonly code = 'LS_JSON_BODY_NOT_OBJECT';
  constructor() {
    super('the JSON body must be an object');
    this.name = 'JsonBodyNotObjectError';
  }
}

/** What the rate limiter throws when a client is over its limit: 429, shown as a friendly page. */
class RateLimitedError extends Error {
  readonly statusCode = 429;
  readonly code = 'LS_RATE_LIMITED';
  constructor() {
    super('too many requests');
    this.name = 'RateLimitedError';
  }
}

/**
 * Tokens we hand out are URL-safe base64 of a random value; anything else is rejected before lookup.
 * The same schema checks the query of the link (GET) and the form that confirms it (POST).
 */
const verifyEmailToken = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/) });

const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
/** The confirm form sends only `token=<at most 128 characters>`; anything much larger is refused (413). */
const FORM_BODY_LIMIT = 1024;

/** A parsed form body; a field sent more than once becomes an array, so the schema rejects it. */
function parseForm(body: string): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(body)) {
    const seen = fields[name];
    fields[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return fields;
}

const pageHeaders = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'content-security-policy': PAGE_CSP,
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
} as const;

const pageStatus: Record<PageKind, number> = {
  verified: 200,
  expired: 410,
  used: 410,
  invalid: 400,
  error: 500,
  tooMany: 429,
};

/** The order in which an `Allow` header lists methods. */
const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

function byMethodOrder(a: string, b: string): number {
  const rank = (m: string) => (METHOD_ORDER.includes(m) ? METHOD_ORDER.indexOf(m) : METHOD_ORDER.length);
  return rank(a) - rank(b) || a.localeCompare(b);
}

/** The pages speak the browser's language (its `Accept-Language`) when lockstep speaks it. */
function pageLocale(request: FastifyRequest) {
  return localeFromAcceptLanguage(request.headers['accept-language']);
}

function statusOf(error: unknown): number {
  return typeof error === 'object' &&
    error !== null &&
    'statusCode' in error &&
    typeof error.statusCode === 'number'
    ? error.statusCode
    : 500;
}

/**
 * Builds the HTTP server: a health probe for the orchestrator and the pages that confirm an email
 * address. It is returned ready to `listen`, not listening.
 *
 * Mail-security scanners (Outlook Safe Links, corporate proxies) open links by themselves, so opening
 * the link (`GET /verify-email?token=...`) changes nothing: it only checks the token's format and shows
 * a page with one button, which POSTs the token back to `/verify-email`; only that POST redeems it.
 *
 * The verification URL carries a secret token, so nothing here logs a URL or query string: Fastify's
 * own logger is off, and one line per request (method, route pattern, status, duration) goes to `log`.
 *
 * Hostile or broken clients: a known path asked with a method it does not serve gets 405 with `Allow`;
 * a JSON body that is not an object gets 400; a request must arrive whole within `timeouts.requestMs`
 * (else 408 and the connection is closed); `/verify-email` allows `verifyEmailRateLimit` requests per
 * client IP (429 with `Retry-After` and a friendly page past it).
 *
 * @example
 * const app = createHttpServer({ log, health: async () => ({ ok: true, checks: { redis: true } }) });
 * await app.listen({ port: config.httpPort, host: '0.0.0.0' });
 */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const { log } = options;
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  for (const [name, ms] of Object.entries(timeouts)) {
    // Node reads 0 as "no limit": a typo must not switch the protection off.
    if (!Number.isInteger(ms) || ms <= 0)
      throw new RangeError(`timeouts.${name} must be a positive whole number`);
  }
  const app = fastify({
    logger: false,
    logController: new LogController({ disableRequestLogging: true }),
    // Without a proxy in front, a client that sends its request slowly must not hold a socket forever:
    // the headers and the body must both arrive within `requestMs` (then 408 and the socket is closed).
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.idleMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    http: {
      requestTimeout: timeouts.requestMs,
      headersTimeout: timeouts.requestMs,
      // Node looks for expired requests only this often (30 s by default, which would triple the limit).
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(timeouts.requestMs / 4))),
    },
    trustProxy: (options.trustProxy ?? false) as FastifyServerOptions['trustProxy'],
    // Request ids are not used; never take one from a client header.
    requestIdHeader: false,
  });

  // Every route's methods by path, so a known path asked with another method gets 405 and `Allow`.
  const methodsByPath = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const methods = methodsByPath.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method.toUpperCase());
    methodsByPath.set(route.url, methods);
  });

  // JSON bodies (the Telegram webhook) are parsed as usual, prototype poisoning refused, and must be an
  // object: `null`, a bare number or a list is a client error (400), not a crash in the handler (500).
  // Nothing here reads plain text: a text body is refused (415) instead of reaching a handler as a string.
  app.removeContentTypeParser('text/plain');
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    parseJson(request, String(body), (error: Error | null, value?: unknown) => {
      if (error) return done(error, undefined);
      if (!isJsonObject(value)) return done(new JsonBodyNotObjectError(), undefined);
      return done(null, value);
    });
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    log.info(
      {
        method: request.method,
        // The route pattern (`/verify-email`), never `request.url`, which holds the query string.
        route: request.routeOptions.url ?? '(no route)',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'http request',
    );
  });

  const sendPage = (reply: FastifyReply, status: number, html: string) =>
    reply.code(status).type('text/html; charset=utf-8').headers(pageHeaders).send(html);

  app.setErrorHandler(async (error, request, reply) => {
    const status = statusOf(error);
    if (error instanceof RateLimitedError) {
      log.warn(
        { method: request.method, route: request.routeOptions.url ?? '(no route)' },
        'http rate limited',
      );
      // `Retry-After` and the `x-ratelimit-*` headers are already set by the limiter.
      return sendPage(reply, pageStatus.tooMany, renderPage('tooMany', pageLocale(request)));
    }
    const clientError = status >= 400 && status < 500;
    log[clientError ? 'warn' : 'error'](
      {
        // Name and code only: an error message may quote the URL it failed on.
        err: {
          name: error instanceof Error ? error.name : typeof error,
          code:
            typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined,
        },
        method: request.method,
        route: request.routeOptions.url ?? '(no route)',
      },
      'http request failed',
    );
    return reply
      .code(clientError ? status : 500)
      .type('text/plain; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(clientError ? 'Bad request\n' : 'Internal server error\n');
  });

  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?', 1)[0] ?? '';
    const methods = methodsByPath.get(path);
    if (methods && methods.size > 0) {
      return reply
        .code(405)
        .header('allow', [...methods].sort(byMethodOrder).join(', '))
        .header('cache-control', 'no-store')
        .type('text/plain; charset=utf-8')
        .send(request.method === 'HEAD' ? undefined : 'Method not allowed\n');
    }
    return reply.code(404).type('text/plain; charset=utf-8').send('Not found\n');
  });

  // Liveness: the process runs and its event loop answers. No dependency is checked, so an orchestrator
  // never restarts a process only because Redis or Telegram is away (that is what /readyz is for).
  app.get('/livez', async (_request, reply) =>
    reply.code(200).header('cache-control', 'no-store').send({ status: 'alive' }),
  );

  // Readiness: 200 only while serving with every dependency reachable; 503 while starting, while draining
  // after SIGTERM, and while Redis or a platform does not answer.
  app.get('/readyz', async (_request, reply) => {
    let report: ReadinessReport;
    try {
      if (options.readiness) report = await options.readiness();
      else {
        const health = await options.health();
        report = { ok: health.ok, status: health.ok ? 'ready' : 'unavailable', checks: health.checks };
      }
    } catch (error) {
      log.error({ err: error instanceof Error ? error.name : typeof error }, 'readiness check threw');
      report = { ok: false, status: 'unavailable', checks: {} };
    }
    return reply
      .code(report.ok ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ status: report.status, checks: report.checks });
  });

  app.get('/healthz', async (_request, reply) => {
    let report: HealthReport;
    try {
      report = await options.health();
    } catch (error) {
      log.error({ err: error instanceof Error ? error.name : typeof error }, 'health check threw');
      report = { ok: false, checks: {} };
    }
    return reply
      .code(report.ok ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ status: report.ok ? 'ok' : 'unavailable', checks: report.checks });
  });

  const { verifyEmail } = options;
  if (verifyEmail) {
    const limit = { ...DEFAULT_VERIFY_EMAIL_RATE_LIMIT, ...options.verifyEmailRateLimit };
    // Only the routes that ask for it are limited (not the health probe, nor the Telegram webhook).
    app.register(rateLimit, { global: false });
    app.register(async (scope) => {
      // One budget per client IP for opening the link and pressing the button, counted before the body
      // is read. A link is opened once or twice; a client past the limit is guessing or stuck in a loop.
      const limited = scope.rateLimit({
        max: limit.max,
        timeWindow: limit.windowMs,
        errorResponseBuilder: () => new RateLimitedError(),
      });
      // Forms are read on these routes only: elsewhere (the Telegram webhook) a form body is refused (415).
      scope.addContentTypeParser(
        FORM_CONTENT_TYPE,
        { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT },
        (_request, body, done) => done(null, parseForm(String(body))),
      );

      // Opening the link: format check only, no lookup, nothing redeemed. Every well-formed token gets the
      // same confirm page, so this page does not tell whether a token exists. HEAD (sent by link checkers
      // and previews) is not served: it gets 405 with `Allow: GET, POST`, and no page at all.
      scope.get('/verify-email', { exposeHeadRoute: false, onRequest: limited }, async (request, reply) => {
        const query = verifyEmailToken.safeParse(request.query);
        if (!query.success)
          return sendPage(reply, pageStatus.invalid, renderPage('invalid', pageLocale(request)));
        return sendPage(reply, 200, renderConfirmPage(query.data.token, pageLocale(request)));
      });

      // Pressing the button on the confirm page: redeems the token and shows the outcome.
      scope.post(
        '/verify-email',
        { bodyLimit: FORM_BODY_LIMIT, onRequest: limited },
        async (request, reply) => {
          const isForm = (request.headers['content-type'] ?? '').toLowerCase().startsWith(FORM_CONTENT_TYPE);
          const form = verifyEmailToken.safeParse(isForm ? request.body : undefined);
          let kind: PageKind = 'invalid';
          if (form.success) {
            try {
              kind = pageFor(await verifyEmail(form.data.token));
            } catch (error) {
              log.error(
                { err: error instanceof Error ? error.name : typeof error },
                'email verification failed',
              );
              kind = 'error';
            }
          }
          return sendPage(reply, pageStatus[kind], renderPage(kind, pageLocale(request)));
        },
      );
    });
  }

  const { extraRoutes } = options;
  if (extraRoutes) {
    app.register(async (scope) => {
      // The extra routes (the Telegram webhook) take JSON objects: a POST without one (no body, or no
      // content type) is a client error here, not a crash in the handler.
      scope.addHook('preValidation', async (request) => {
        if (BODY_METHODS.has(request.method) && !isJsonObject(request.body))
          throw new JsonBodyNotObjectError();
      });
      extraRoutes(scope);
    });
  }
  return app;
}

function pageFor(outcome: VerifyEmailOutcome): PageKind {
  switch (outcome) {
    case 'verified':
    case 'expired':
    case 'used':
    case 'invalid':
      return outcome;
    default:
      // A value outside the declared union is a bug in the caller; show the generic error page.
      return 'error';
  }
}

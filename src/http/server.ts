import { type FastifyInstance, fastify, LogController } from 'fastify';
import { z } from 'zod';
import type { Logger } from '../log.ts';
import { PAGE_CSP, type PageKind, renderPage } from './pages.ts';

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
  /** Redeems an email-verification token; without it, `/verify-email` is not served (404). */
  readonly verifyEmail?: (token: string) => Promise<VerifyEmailOutcome>;
  /** Adds more routes (e.g. a Telegram webhook) to the same server. */
  readonly extraRoutes?: (app: FastifyInstance) => void;
}

/** Tokens we hand out are URL-safe base64 of a random value; anything else is rejected before lookup. */
const verifyEmailQuery = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/) });

const pageStatus: Record<PageKind, number> = {
  verified: 200,
  expired: 410,
  used: 410,
  invalid: 400,
  error: 500,
};

/**
 * Builds the HTTP server: a health probe for the orchestrator and the page that confirms an email
 * address. It is returned ready to `listen`, not listening.
 *
 * The verification URL carries a secret token, so nothing here logs a URL or query string: Fastify's
 * own logger is off, and one line per request (method, route pattern, status, duration) goes to `log`.
 *
 * @example
 * const app = createHttpServer({ log, health: async () => ({ ok: true, checks: { redis: true } }) });
 * await app.listen({ port: config.httpPort, host: '0.0.0.0' });
 */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const { log } = options;
  const app = fastify({
    logger: false,
    logController: new LogController({ disableRequestLogging: true }),
    // Without a proxy in front, a client that sends its request slowly must not hold a socket forever.
    requestTimeout: 30_000,
    // Request ids are not used; never take one from a client header.
    requestIdHeader: false,
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

  app.setErrorHandler(async (error, request, reply) => {
    const status =
      typeof error === 'object' &&
      error !== null &&
      'statusCode' in error &&
      typeof error.statusCode === 'number'
        ? error.statusCode
        : 500;
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

  app.setNotFoundHandler(async (_request, reply) =>
    reply.code(404).type('text/plain; charset=utf-8').send('Not found\n'),
  );

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
    // Redeeming is a side effect, so HEAD (sent by link checkers and previews) must not do it.
    app.head('/verify-email', async (_request, reply) =>
      reply.code(405).header('allow', 'GET').header('cache-control', 'no-store').send(),
    );
    app.get('/verify-email', { exposeHeadRoute: false }, async (request, reply) => {
      const query = verifyEmailQuery.safeParse(request.query);
      let kind: PageKind = 'invalid';
      if (query.success) {
        try {
          kind = pageFor(await verifyEmail(query.data.token));
        } catch (error) {
          log.error({ err: error instanceof Error ? error.name : typeof error }, 'email verification failed');
          kind = 'error';
        }
      }
      return reply
        .code(pageStatus[kind])
        .type('text/html; charset=utf-8')
        .headers({
          'cache-control': 'no-store',
          'referrer-policy': 'no-referrer',
          'content-security-policy': PAGE_CSP,
          'x-frame-options': 'DENY',
          'cross-origin-opener-policy': 'same-origin',
        })
        .send(renderPage(kind));
    });
  }

  options.extraRoutes?.(app);
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

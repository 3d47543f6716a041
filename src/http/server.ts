import { type FastifyInstance, type FastifyReply, fastify, LogController } from 'fastify';
import { z } from 'zod';
import type { Logger } from '../log.ts';
import { PAGE_CSP, type PageKind, renderConfirmPage, renderPage } from './pages.ts';

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
};

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
    const sendPage = (reply: FastifyReply, status: number, html: string) =>
      reply.code(status).type('text/html; charset=utf-8').headers(pageHeaders).send(html);

    app.addContentTypeParser(
      FORM_CONTENT_TYPE,
      { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT },
      (_request, body, done) => done(null, parseForm(String(body))),
    );

    // HEAD (sent by link checkers and previews) gets no page at all.
    app.head('/verify-email', async (_request, reply) =>
      reply.code(405).header('allow', 'GET, POST').header('cache-control', 'no-store').send(),
    );

    // Opening the link: format check only, no lookup, nothing redeemed. Every well-formed token gets the
    // same confirm page, so this page does not tell whether a token exists.
    app.get('/verify-email', { exposeHeadRoute: false }, async (request, reply) => {
      const query = verifyEmailToken.safeParse(request.query);
      if (!query.success) return sendPage(reply, pageStatus.invalid, renderPage('invalid'));
      return sendPage(reply, 200, renderConfirmPage(query.data.token));
    });

    // Pressing the button on the confirm page: redeems the token and shows the outcome.
    app.post('/verify-email', { bodyLimit: FORM_BODY_LIMIT }, async (request, reply) => {
      const isForm = (request.headers['content-type'] ?? '').toLowerCase().startsWith(FORM_CONTENT_TYPE);
      const form = verifyEmailToken.safeParse(isForm ? request.body : undefined);
      let kind: PageKind = 'invalid';
      if (form.success) {
        try {
          kind = pageFor(await verifyEmail(form.data.token));
        } catch (error) {
          log.error({ err: error instanceof Error ? error.name : typeof error }, 'email verification failed');
          kind = 'error';
        }
      }
      return sendPage(reply, pageStatus[kind], renderPage(kind));
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

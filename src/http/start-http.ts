import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import type { Engine } from '../engine/engine.ts';
import type { Logger } from '../log.ts';
import type { Services } from '../services.ts';
import { pingRedis, type ReadinessReport } from './readiness.ts';
import { createHttpServer, type HealthReport, type HttpServerOptions } from './server.ts';

const PING_TIMEOUT_MS = 1_000;

/** The settings `startHttp` reads (`trustProxy` is optional for callers that build the config by hand). */
export interface HttpConfig {
  readonly http: Omit<Config['http'], 'trustProxy'> & { readonly trustProxy?: boolean };
  readonly telegram: Config['telegram'];
  readonly discord: Config['discord'];
}

/** The HTTP server runs when links can point at it (PUBLIC_URL) or a bot is deployed (health probes). */
export function httpWanted(config: HttpConfig): boolean {
  return Boolean(config.http.publicUrl || config.telegram || config.discord);
}

/** `/healthz`: Redis answers a ping within a second when Redis is used; always ready otherwise. */
export function healthCheck(redis: Redis | null): () => Promise<HealthReport> {
  return async (): Promise<HealthReport> => {
    if (!redis) return { ok: true, checks: {} };
    const up = await pingRedis(redis, PING_TIMEOUT_MS);
    return { ok: up, checks: { redis: up } };
  };
}

/**
 * Starts the HTTP server (`/livez`, `/readyz`, `/healthz`, and `/verify-email` wired to the email-verification service and
 * the engine) on HTTP_HOST:HTTP_PORT when `httpWanted`; returns null otherwise. Close it with `close()`.
 */
export async function startHttp(deps: {
  readonly config: HttpConfig;
  readonly services: Services;
  readonly engine: Engine;
  readonly redis: Redis | null;
  readonly log: Logger;
  /** `/readyz` (the process's phase and every dependency); `/healthz`'s Redis ping without it. */
  readonly readiness?: () => Promise<ReadinessReport>;
  /** More routes on the same server (e.g. a Telegram webhook). */
  readonly extraRoutes?: (app: FastifyInstance) => void;
  /**
   * Timeouts, the `/verify-email` rate limit and the trusted proxies; the server's defaults otherwise.
   * `trustProxy` defaults to the config's HTTP_TRUST_PROXY.
   */
  readonly server?: Pick<HttpServerOptions, 'timeouts' | 'verifyEmailRateLimit' | 'trustProxy'>;
}): Promise<FastifyInstance | null> {
  const { config, services, engine, log } = deps;
  if (!httpWanted(config)) return null;
  const app = createHttpServer({
    log,
    health: healthCheck(deps.redis),
    ...(deps.readiness ? { readiness: deps.readiness } : {}),
    trustProxy: config.http.trustProxy ?? false,
    verifyEmail: (token) => services.emailVerification.redeemLink(token, engine),
    ...(deps.extraRoutes ? { extraRoutes: deps.extraRoutes } : {}),
    ...deps.server,
  });
  await app.listen({ host: config.http.host, port: config.http.port });
  const address = app.server.address();
  log.info(
    {
      host: config.http.host,
      port: typeof address === 'object' && address ? address.port : config.http.port,
    },
    'http server listening',
  );
  return app;
}

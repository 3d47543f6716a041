/**
 * The support console on top of the support world (`world.ts`): the composition root's HTTP server with
 * the agent API and the console among its extra routes, on loopback, and a small cookie-keeping HTTP
 * client that behaves like a browser about cookies (no redirects followed, so each answer is seen).
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { createHttpServer } from '../../src/http/server.ts';
import type { SupportConsoleDeps } from '../../src/support/console/index.ts';
import { createWorld, type World } from './world.ts';

export interface ConsoleWorld extends World {
  readonly consoleUrl: string;
  readonly consoleApp: FastifyInstance;
}

export async function createConsoleWorld(
  redis: Redis,
  options: Parameters<typeof createWorld>[1] & {
    readonly console?: Pick<SupportConsoleDeps, 'secureCookies' | 'sessionMs' | 'signInRateLimit'>;
  } = {},
): Promise<ConsoleWorld> {
  const w = await createWorld(redis, options);
  const consoleApp = createHttpServer({
    log: { debug() {}, info() {}, warn() {}, error() {} },
    health: async () => ({ ok: true, checks: {} }),
    extraRoutes: (scope) => {
      w.support.mountApi(scope);
      w.support.mountConsole(scope, options.console ?? {});
    },
  });
  await consoleApp.listen({ host: '127.0.0.1', port: 0 });
  const consoleUrl = `http://127.0.0.1:${(consoleApp.server.address() as AddressInfo).port}`;
  return {
    ...w,
    consoleUrl,
    consoleApp,
    async close() {
      await consoleApp.close();
      await w.close();
    },
  };
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly setCookies: string[];
}

/** A client that keeps cookies by name, like a browser on one site. */
export class CookieClient {
  readonly jar = new Map<string, string>();
  /** Every HTML body this client received. */
  readonly pages: string[] = [];

  constructor(private readonly base: string) {}

  async request(
    method: 'GET' | 'POST',
    path: string,
    form?: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const cookie = [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(`${this.base}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...headers,
      },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const expired = attributes.some(
        (a) => /^\s*max-age=0\s*$/i.test(a) || /expires=thu, 01 jan 1970/i.test(a),
      );
      if (expired || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
    const text = await response.text();
    if ((response.headers.get('content-type') ?? '').startsWith('text/html')) this.pages.push(text);
    return { status: response.status, headers: response.headers, text, setCookies };
  }

  get(path: string): Promise<Answer> {
    return this.request('GET', path);
  }

  post(path: string, form: Record<string, string>, headers?: Record<string, string>): Promise<Answer> {
    return this.request('POST', path, form, headers);
  }
}

/** The CSRF token of the first form on a page. */
export function csrfOf(page: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(page);
  if (!match?.[1]) throw new Error('no CSRF field on the page');
  return match[1];
}

/** Signs in with `key` (GET the page for its token, POST the form); returns the POST's answer. */
export async function signIn(client: CookieClient, key: string): Promise<Answer> {
  const page = await client.get('/console/sign-in');
  return client.post('/console/sign-in', { csrf: csrfOf(page.text), key });
}

export const ALL_SCOPES = ['escalation:read', 'escalation:write', 'handoff:write', 'handoff:read'] as const;

/**
 * The support console: server-rendered pages under `/console` for agents who do not want to script the
 * API. Sign in with an API key (exchanged for a server-side session: the browser gets only an HttpOnly,
 * SameSite=Strict cookie, Secure when PUBLIC_URL is https), see the open escalations, read one (redacted
 * transcript, masked phone and email, recent security events, open handoffs), resolve it (with a message,
 * with a new handoff), and hand a user into a task for an account found by id, phone or email (Telegram
 * link and its QR code, the Discord command); a handoff's status updates while its page is open.
 *
 * Safety: a CSRF synchronizer token tied to the session on every form (a double-submit cookie before
 * sign-in), a strict CSP (`script-src 'self'`, nothing inline, nothing from elsewhere) and the other
 * security headers on every answer, everything escaped, every action in the audit log with the key's
 * name, the API's scopes and per-key rate limit.
 *
 * @example support.mountConsole(app, { secureCookies: publicUrl?.startsWith('https:') })
 */
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { z } from 'zod';
import { maskEmail, maskPhone } from '../../accounts/mask.ts';
import type { Clock } from '../../clock.ts';
import type { Kv } from '../../kv/kv.ts';
import { describeError, type Logger } from '../../log.ts';
import type { ApiKeyIdentity, ApiKeyStore, Scope } from '../api-keys.ts';
import { type AuditActor, type AuditLog, keyActor } from '../audit.ts';
import type { EscalationStore } from '../escalations.ts';
import { type HandoffRecord, type HandoffService, MAX_EXPIRY_MINUTES } from '../handoffs.ts';
import type { SupportService } from '../service.ts';
import { CONSOLE_CSS, CONSOLE_JS } from './assets.ts';
import { raw, type SafeHtml } from './html.ts';
import {
  type AccountSummary,
  createdBlock,
  escalationPage,
  escalationsPage,
  messagePage,
  newHandoffPage,
  type PageSession,
  signInPage,
  statusLabel,
} from './pages.ts';
import { type ConsoleSession, ConsoleSessionStore, newToken, sameToken } from './sessions.ts';
import { consoleTexts as T } from './texts.ts';

export { ConsoleSessionStore } from './sessions.ts';
export { consoleTexts } from './texts.ts';

/** The scopes a key needs to sign in (the console's views); actions check their own, as the API does. */
export const SIGN_IN_SCOPES: readonly Scope[] = ['escalation:read', 'handoff:read'];

/**
 * The Content-Security-Policy of every console answer: only lockstep's own stylesheet and script, fetches
 * and forms back to lockstep, no images from anywhere (the QR code is inline SVG), no frames, no framing.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
} as const;

export interface ConsoleAccounts {
  get(
    id: string,
  ): Promise<{ readonly id: string; readonly phone: string; readonly email: string | null } | null>;
  find(
    ref: string,
  ): Promise<{ readonly id: string; readonly phone: string; readonly email: string | null } | null>;
  events(
    id: string,
    limit?: number,
  ): Promise<ReadonlyArray<{ readonly at: number; readonly type: string; readonly channel: string }>>;
}

export interface SupportConsoleDeps {
  readonly kv: Kv;
  readonly clock: Clock;
  readonly prefix?: string;
  readonly log: Logger;
  readonly keys: ApiKeyStore;
  readonly handoffs: HandoffService;
  readonly escalations: EscalationStore;
  readonly audit: AuditLog;
  readonly service: SupportService;
  readonly accounts: ConsoleAccounts;
  /** Requests per key (or per address before sign-in) and window: the API's limit. Default 120 a minute. */
  readonly rateLimit?: { readonly max: number; readonly windowMs: number };
  /** Sign-in attempts per client address and window. Default 10 a minute. */
  readonly signInRateLimit?: { readonly max: number; readonly windowMs: number };
  /** Mark the cookies Secure (PUBLIC_URL is https). */
  readonly secureCookies?: boolean;
  /** How long a session lasts from sign-in. Default 8 hours. */
  readonly sessionMs?: number;
}

interface Agent {
  readonly sessionId: string;
  readonly session: ConsoleSession;
  readonly key: ApiKeyIdentity;
}

declare module 'fastify' {
  interface FastifyRequest {
    consoleAgent?: Agent | null;
  }
}

/** A console answer that is a page with a status (errors included). */
class ConsolePageError extends Error {
  constructor(
    readonly statusCode: number,
    readonly title: string,
    readonly text: string,
  ) {
    super(title);
    this.name = 'ConsolePageError';
  }
}

const FormText = (max: number) => z.string().max(max);
const SignInForm = z.object({ csrf: FormText(200), key: FormText(200) });
const CsrfOnly = z.object({ csrf: FormText(200) }).passthrough();
const ResolveForm = z
  .object({ csrf: FormText(200), message: FormText(1000).optional(), flow: FormText(64).optional() })
  .strict();
const HandoffForm = z
  .object({
    csrf: FormText(200),
    account: z.string().min(1).max(254),
    flow: z.string().min(1).max(64),
    note: FormText(500).optional(),
    expiresInMinutes: z
      .union([z.literal(''), z.coerce.number().int().min(1).max(MAX_EXPIRY_MINUTES)])
      .optional(),
  })
  .strict();
const IdParam = z.object({ id: z.string().min(1).max(64) });
const SearchQuery = z.object({ q: z.string().max(254).optional() }).strict();

function masked(account: { id: string; phone: string; email: string | null }): AccountSummary {
  return {
    id: account.id,
    phone: maskPhone(account.phone),
    email: account.email ? maskEmail(account.email) : null,
  };
}

async function qrSvg(text: string): Promise<SafeHtml> {
  // Our own markup (qrcode draws paths only); the text is a URL we made.
  return raw(await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }));
}

/** Mounts the console under `/console` on `app`, in its own scope (its own parsers, hooks and handlers). */
export function mountSupportConsole(app: FastifyInstance, deps: SupportConsoleDeps): void {
  const { keys, handoffs, escalations, audit, service, accounts, clock, log } = deps;
  const sessions = new ConsoleSessionStore(deps.kv, clock, deps.prefix, deps.sessionMs);
  const limit = deps.rateLimit ?? { max: 120, windowMs: 60_000 };
  const signInLimit = deps.signInRateLimit ?? { max: 10, windowMs: 60_000 };
  const secure = deps.secureCookies ?? false;
  const SESSION_COOKIE = secure ? '__Secure-ls_console' : 'ls_console';
  const PRE_COOKIE = secure ? '__Secure-ls_console_pre' : 'ls_console_pre';
  const cookieOptions = { httpOnly: true, sameSite: 'strict' as const, secure, path: '/console' };

  app.register(
    async (scope) => {
      await scope.register(cookie);
      await scope.register(formbody, { bodyLimit: 16 * 1024 });
      if (!scope.hasDecorator('rateLimit')) await scope.register(rateLimit, { global: false });

      scope.addHook('onSend', async (_request, reply, payload) => {
        reply.headers(SECURITY_HEADERS);
        if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
        return payload;
      });

      const sendPage = (reply: FastifyReply, status: number, page: string) =>
        reply.code(status).type('text/html; charset=utf-8').send(page);
      const pageSession = (request: FastifyRequest): PageSession | undefined => {
        const agent = request.consoleAgent;
        return agent ? { name: agent.key.name, csrf: agent.session.csrf } : undefined;
      };

      scope.setErrorHandler(async (error, request, reply) => {
        const session = pageSession(request);
        if (error instanceof ConsolePageError) {
          return sendPage(
            reply,
            error.statusCode,
            messagePage({ title: error.title, text: error.text, ...(session ? { session } : {}) }),
          );
        }
        const status =
          typeof error === 'object' && error !== null && 'statusCode' in error
            ? Number((error as { statusCode: unknown }).statusCode)
            : 500;
        if (status === 429)
          return sendPage(reply, 429, messagePage({ title: T.errors.tooManyTitle, text: T.errors.tooMany }));
        if (status >= 400 && status < 500)
          return sendPage(
            reply,
            status,
            messagePage({
              title: T.errors.badRequestTitle,
              text: T.errors.badRequest,
              ...(session ? { session } : {}),
            }),
          );
        log.error(
          { route: request.routeOptions.url ?? '(no route)', err: describeError(error) },
          'support console request failed',
        );
        return sendPage(reply, 500, messagePage({ title: T.errors.errorTitle, text: T.errors.error }));
      });

      scope.setNotFoundHandler(async (_request, reply) =>
        sendPage(reply, 404, messagePage({ title: T.errors.notFoundTitle, text: T.errors.notFound })),
      );

      // Who is asking: the session in the cookie, and its key looked up again (revoked: signed out).
      const identify = async (request: FastifyRequest) => {
        request.consoleAgent = null;
        const sessionId = request.cookies[SESSION_COOKIE];
        const session = await sessions.get(sessionId);
        if (!session || !sessionId) return;
        const record = await keys.get(session.keyId);
        if (!record || record.revokedAt !== undefined) return;
        request.consoleAgent = {
          sessionId,
          session,
          key: { id: record.id, name: record.name, scopes: record.scopes },
        };
      };
      const limited = scope.rateLimit({
        max: limit.max,
        timeWindow: limit.windowMs,
        keyGenerator: (request: FastifyRequest) =>
          request.consoleAgent ? `key:${request.consoleAgent.key.id}` : `ip:${request.ip}`,
        errorResponseBuilder: () => new ConsolePageError(429, T.errors.tooManyTitle, T.errors.tooMany),
      });
      const signInLimited = scope.rateLimit({
        max: signInLimit.max,
        timeWindow: signInLimit.windowMs,
        keyGenerator: (request: FastifyRequest) => `sign-in:${request.ip}`,
        errorResponseBuilder: () => new ConsolePageError(429, T.errors.tooManyTitle, T.errors.tooMany),
      });

      const agentOf = (request: FastifyRequest): Agent => request.consoleAgent as Agent;
      const actorOf = (request: FastifyRequest): AuditActor => keyActor(agentOf(request).key);
      const has = (request: FastifyRequest, ...needed: Scope[]) =>
        needed.every((name) => agentOf(request).key.scopes.includes(name));

      const denyScopes = async (request: FastifyRequest, missing: readonly Scope[]) => {
        await audit.record({
          actor: actorOf(request),
          action: 'auth.denied',
          detail: { route: request.routeOptions.url ?? '', missing: missing.join(','), via: 'console' },
        });
        throw new ConsolePageError(403, T.errors.forbiddenTitle, T.errors.forbidden(missing.join(', ')));
      };
      const requireScopes = async (request: FastifyRequest, ...needed: Scope[]) => {
        const missing = needed.filter((name) => !agentOf(request).key.scopes.includes(name));
        if (missing.length > 0) await denyScopes(request, missing);
      };

      /** A page for signed-in agents; everyone else goes to the sign-in page. */
      const page = (...needed: Scope[]) => ({
        onRequest: [identify, limited],
        preHandler: async (request: FastifyRequest, reply: FastifyReply) => {
          if (!request.consoleAgent) return reply.redirect('/console/sign-in', 303);
          await requireScopes(request, ...needed);
        },
      });
      /** A form post: a session, the session's CSRF token in the form, the scopes. */
      const action = (...needed: Scope[]) => ({
        onRequest: [identify, limited],
        preHandler: async (request: FastifyRequest) => {
          const form = CsrfOnly.safeParse(request.body);
          const agent = request.consoleAgent;
          if (!agent || !form.success || !sameToken(form.data.csrf, agent.session.csrf)) {
            if (agent)
              await audit.record({
                actor: keyActor(agent.key),
                action: 'console.csrfRefused',
                detail: { route: request.routeOptions.url ?? '' },
              });
            throw new ConsolePageError(403, T.errors.csrfTitle, T.errors.csrf);
          }
          await requireScopes(request, ...needed);
        },
      });

      // ---- assets ---------------------------------------------------------------------------------
      scope.get('/assets/console.css', async (_request, reply) =>
        reply
          .header('cache-control', 'public, max-age=300')
          .type('text/css; charset=utf-8')
          .send(CONSOLE_CSS),
      );
      scope.get('/assets/console.js', async (_request, reply) =>
        reply
          .header('cache-control', 'public, max-age=300')
          .type('text/javascript; charset=utf-8')
          .send(CONSOLE_JS),
      );

      // ---- signing in and out ---------------------------------------------------------------------
      const showSignIn = (
        reply: FastifyReply,
        status: number,
        notice?: { tone: 'bad' | 'info'; text: string },
      ) => {
        const token = newToken();
        reply.setCookie(PRE_COOKIE, token, { ...cookieOptions, maxAge: 60 * 60 });
        return sendPage(reply, status, signInPage(token, notice));
      };

      scope.get('/sign-in', { onRequest: [identify, limited] }, async (request, reply) => {
        if (request.consoleAgent) return reply.redirect('/console', 303);
        return showSignIn(reply, 200);
      });

      scope.post('/sign-in', { onRequest: [signInLimited] }, async (request, reply) => {
        const form = SignInForm.safeParse(request.body);
        if (!form.success || !sameToken(form.data.csrf, request.cookies[PRE_COOKIE]))
          throw new ConsolePageError(403, T.errors.csrfTitle, T.errors.csrf);
        const key = await keys.authenticate(form.data.key.trim());
        if (!key) {
          await audit.record({
            actor: { kind: 'system' },
            action: 'console.signInRefused',
            detail: { reason: 'invalidKey' },
          });
          return showSignIn(reply, 401, { tone: 'bad', text: T.signIn.wrongKey });
        }
        const missing = SIGN_IN_SCOPES.filter((name) => !key.scopes.includes(name));
        if (missing.length > 0) {
          await audit.record({
            actor: keyActor(key),
            action: 'console.signInRefused',
            detail: { reason: 'scopes', missing: missing.join(',') },
          });
          return showSignIn(reply, 403, { tone: 'bad', text: T.signIn.missingScopes(missing.join(', ')) });
        }
        // A fresh session id on every sign-in; one this browser held before ends now.
        await sessions.end(request.cookies[SESSION_COOKIE]);
        const made = await sessions.create(key.id);
        await audit.record({ actor: keyActor(key), action: 'console.signedIn' });
        reply.clearCookie(PRE_COOKIE, cookieOptions);
        reply.setCookie(SESSION_COOKIE, made.id, {
          ...cookieOptions,
          maxAge: Math.floor(sessions.lifetimeMs / 1000),
        });
        return reply.redirect('/console', 303);
      });

      scope.post('/sign-out', action(), async (request, reply) => {
        const agent = agentOf(request);
        await sessions.end(agent.sessionId);
        await audit.record({ actor: keyActor(agent.key), action: 'console.signedOut' });
        reply.clearCookie(SESSION_COOKIE, cookieOptions);
        request.consoleAgent = null;
        return showSignIn(reply, 200, { tone: 'info', text: T.signIn.signedOut });
      });

      // ---- escalations ----------------------------------------------------------------------------
      scope.get('/', page('escalation:read'), async (request, reply) => {
        const list = await escalations.list({ status: 'open', limit: 200 });
        return sendPage(
          reply,
          200,
          escalationsPage({
            session: pageSession(request) as PageSession,
            list,
            now: clock.now(),
            tasks: service.tasks,
          }),
        );
      });

      const accountOf = async (accountId: string | null) => {
        if (!accountId) return { account: null, events: [], open: [] as HandoffRecord[] };
        const account = await accounts.get(accountId);
        if (!account) return { account: null, events: [], open: [] as HandoffRecord[] };
        const [events, list] = await Promise.all([
          accounts.events(accountId, 10),
          handoffs.list({ accountId, limit: 20 }),
        ]);
        return {
          account: masked(account),
          events: events.map((e) => ({ at: e.at, type: e.type, channel: e.channel })),
          open: list.filter((one) => one.status === 'pending' || one.status === 'opened'),
        };
      };

      const showEscalation = async (
        request: FastifyRequest,
        reply: FastifyReply,
        id: string,
        extra: { status?: number; notice?: { tone: 'ok' | 'bad'; text: string }; created?: SafeHtml } = {},
      ) => {
        const record = await escalations.get(id);
        if (!record) throw new ConsolePageError(404, T.errors.notFoundTitle, T.escalation.notFound);
        const { account, events, open } = await accountOf(record.accountId);
        return sendPage(
          reply,
          extra.status ?? 200,
          escalationPage({
            session: pageSession(request) as PageSession,
            record,
            now: clock.now(),
            account,
            events,
            handoffs: open,
            tasks: service.tasks,
            canResolve: has(request, 'escalation:write'),
            canHandOff: has(request, 'handoff:write'),
            ...(extra.notice ? { notice: extra.notice } : {}),
            ...(extra.created ? { created: extra.created } : {}),
          }),
        );
      };

      scope.get('/escalations/:id', page('escalation:read'), async (request, reply) => {
        const { id } = IdParam.parse(request.params);
        if (!(await escalations.get(id)))
          throw new ConsolePageError(404, T.errors.notFoundTitle, T.escalation.notFound);
        await audit.record({
          actor: actorOf(request),
          action: 'escalation.read',
          target: id,
          detail: { via: 'console' },
        });
        return showEscalation(request, reply, id);
      });

      scope.post('/escalations/:id/resolve', action('escalation:write'), async (request, reply) => {
        const { id } = IdParam.parse(request.params);
        const form = ResolveForm.safeParse(request.body);
        if (!form.success) throw new ConsolePageError(400, T.errors.badRequestTitle, T.errors.badRequest);
        const flow = form.data.flow?.trim() ? form.data.flow.trim() : undefined;
        if (flow) await requireScopes(request, 'handoff:write');
        const result = await service.resolveEscalation(actorOf(request), id, {
          message: form.data.message,
          ...(flow ? { handoff: { flow } } : {}),
        });
        if (!result.ok) {
          if (result.reason === 'notFound')
            throw new ConsolePageError(404, T.errors.notFoundTitle, T.escalation.notFound);
          const text =
            result.reason === 'notOpen'
              ? T.escalation.notOpen
              : result.reason === 'noAccount'
                ? T.escalation.noAccount
                : result.reason === 'unknownFlow'
                  ? T.handoff.invalid
                  : T.handoff.notFound;
          return showEscalation(request, reply, id, { status: 409, notice: { tone: 'bad', text } });
        }
        let created: SafeHtml | undefined;
        if (result.handoff) {
          const latest = (await handoffs.get(result.handoff.handoff.id)) ?? result.handoff.handoff;
          created = createdBlock({
            handoff: latest,
            links: result.handoff.links,
            qrSvg: result.handoff.links.telegramLink ? await qrSvg(result.handoff.links.telegramLink) : null,
            tasks: service.tasks,
          });
        }
        return showEscalation(request, reply, id, {
          notice: { tone: 'ok', text: T.escalation.resolved },
          ...(created ? { created } : {}),
        });
      });

      // ---- handoffs -------------------------------------------------------------------------------
      scope.get('/handoffs/new', page('handoff:write'), async (request, reply) => {
        const query = SearchQuery.safeParse(request.query);
        if (!query.success) throw new ConsolePageError(400, T.errors.badRequestTitle, T.errors.badRequest);
        const q = query.data.q?.trim();
        const session = pageSession(request) as PageSession;
        if (!q) return sendPage(reply, 200, newHandoffPage({ session, tasks: service.tasks }));
        const account = await accounts.find(q);
        // The query may be a phone number or an address: only whether it matched, and the id, are kept.
        await audit.record({
          actor: actorOf(request),
          action: 'account.searched',
          ...(account ? { target: account.id } : {}),
          detail: { found: account !== null, via: 'console' },
        });
        return sendPage(
          reply,
          account ? 200 : 404,
          newHandoffPage({
            session,
            tasks: service.tasks,
            query: q,
            found: account ? masked(account) : null,
          }),
        );
      });

      scope.post('/handoffs', action('handoff:write'), async (request, reply) => {
        const session = pageSession(request) as PageSession;
        const form = HandoffForm.safeParse(request.body);
        if (!form.success)
          return sendPage(
            reply,
            400,
            newHandoffPage({
              session,
              tasks: service.tasks,
              notice: { tone: 'bad', text: T.handoff.invalid },
            }),
          );
        const { account, flow, note, expiresInMinutes } = form.data;
        const made = await service.createHandoff(actorOf(request), {
          account,
          flow,
          note,
          ...(typeof expiresInMinutes === 'number' ? { expiresInMinutes } : {}),
        });
        if (!made.ok)
          return sendPage(
            reply,
            made.reason === 'unknownFlow' ? 400 : 404,
            newHandoffPage({
              session,
              tasks: service.tasks,
              notice: {
                tone: 'bad',
                text: made.reason === 'unknownFlow' ? T.handoff.invalid : T.handoff.notFound,
              },
            }),
          );
        const created = createdBlock({
          handoff: made.handoff,
          links: made.links,
          qrSvg: made.links.telegramLink ? await qrSvg(made.links.telegramLink) : null,
          tasks: service.tasks,
        });
        return sendPage(reply, 201, newHandoffPage({ session, tasks: service.tasks, created }));
      });

      scope.get('/handoffs/:id/status', { onRequest: [identify, limited] }, async (request, reply) => {
        if (!request.consoleAgent)
          return reply.code(401).send({ error: { code: 'unauthorized', message: T.signIn.expired } });
        const missing = (['handoff:read'] as const).filter((name) => !has(request, name));
        if (missing.length > 0)
          return reply
            .code(403)
            .send({ error: { code: 'forbidden', message: T.errors.forbidden(missing.join(', ')) } });
        const { id } = IdParam.parse(request.params);
        const record = await handoffs.get(id);
        if (!record)
          return reply.code(404).send({ error: { code: 'not_found', message: T.errors.notFound } });
        return reply.send({ id: record.id, status: record.status, label: statusLabel(record.status) });
      });
    },
    { prefix: '/console' },
  );
}

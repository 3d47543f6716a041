/**
 * The agent API, a fastify plugin under `/api`: JSON in and out, every body validated with zod, errors as
 * `{ "error": { "code", "message" } }`, the OpenAPI document at `/api/openapi.json`. Authentication by
 * API key (`Authorization: Bearer <key>`: none or a bad one 401, a missing scope 403), a rate limit per
 * key (429 with `Retry-After`).
 *
 * - `POST /api/handoffs` (handoff:write) `{ account, flow, note?, expiresInMinutes? }` -> 201
 *   `{ id, code, telegramLink, discordCommand, startCommand, expiresAt, status }`
 * - `GET /api/handoffs/:id` (handoff:read) -> the status and its timeline
 * - `GET /api/escalations?status=open|resolved&limit=` (escalation:read) -> `{ escalations }`
 * - `GET /api/escalations/:id` (escalation:read) -> one, with its redacted transcript
 * - `POST /api/escalations/:id/resolve` (escalation:write; handoff:write too with `handoff`)
 *   `{ message?, handoff?: { flow, note?, expiresInMinutes? } }` -> `{ escalation, handoff }`
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { describeError, type Logger } from '../log.ts';
import type { ApiKeyIdentity, ApiKeyStore, Scope } from './api-keys.ts';
import { type AuditLog, keyActor } from './audit.ts';
import { type EscalationStore, escalationView } from './escalations.ts';
import { type HandoffService, handoffView, MAX_EXPIRY_MINUTES } from './handoffs.ts';
import type { CreateHandoffResult, SupportService } from './service.ts';

export interface SupportApiDeps {
  readonly keys: ApiKeyStore;
  readonly handoffs: HandoffService;
  readonly escalations: EscalationStore;
  readonly audit: AuditLog;
  readonly service: SupportService;
  readonly log: Logger;
  /** Requests per key (or per client address without a valid key) and window. Default 120 a minute. */
  readonly rateLimit?: { readonly max: number; readonly windowMs: number };
}

/** An API error: the status and the `{ error: { code, message } }` body. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

// ---- request and response schemas ---------------------------------------------------------------

const flowField = z
  .string()
  .min(1)
  .max(64)
  .describe('The task: its id (`change-phone`) or command (`phone`); see `x-lockstep-tasks`.');

const handoffOptions = z.object({
  flow: flowField,
  note: z
    .string()
    .max(500)
    .optional()
    .describe('For the audit log and the console; never shown to the user.'),
  expiresInMinutes: z
    .number()
    .int()
    .min(1)
    .max(MAX_EXPIRY_MINUTES)
    .optional()
    .describe('How long the code works. Default 30.'),
});

export const CreateHandoffBody = handoffOptions
  .extend({ account: z.string().min(1).max(254).describe('An account id, phone number (E.164) or email.') })
  .strict();

export const ResolveBody = z
  .object({
    message: z.string().min(1).max(1000).optional().describe('Sent to the user in their chat.'),
    handoff: handoffOptions
      .strict()
      .optional()
      .describe('A new handoff for the escalation’s account, opened in that chat.'),
  })
  .strict();

const ListQuery = z
  .object({
    status: z.enum(['open', 'resolved']).optional(),
    limit: z.coerce.number().int().min(1).max(200).optional(),
  })
  .strict();

const IdParam = z.object({ id: z.string().min(1).max(64) });

const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

const Status = z.enum(['pending', 'opened', 'completed', 'abandoned', 'expired']);

const HandoffCreated = z.object({
  id: z.string(),
  code: z.string().describe('Works once; shown only in this answer.'),
  telegramLink: z.string().nullable(),
  discordCommand: z.string(),
  startCommand: z.string(),
  expiresAt: z.string(),
  status: Status,
});

const HandoffShown = z.object({
  id: z.string(),
  status: Status,
  accountId: z.string(),
  flow: z.string(),
  note: z.string().nullable(),
  createdAt: z.string(),
  expiresAt: z.string(),
  createdBy: z.string(),
  escalationId: z.string().nullable(),
  openedIn: z.string().nullable(),
  timeline: z.array(z.object({ at: z.string(), status: Status, detail: z.string().optional() })),
});

const EscalationShown = z.object({
  id: z.string(),
  status: z.enum(['open', 'resolved']),
  channel: z.string(),
  accountId: z.string().nullable(),
  flow: z.string().nullable(),
  step: z.string().nullable(),
  reason: z.string(),
  openedAt: z.string(),
  resolvedAt: z.string().nullable(),
  resolvedBy: z.string().nullable(),
  resolution: z.object({ message: z.string().nullable(), handoffId: z.string().nullable() }).nullable(),
  transcript: z
    .array(z.object({ at: z.string(), from: z.enum(['user', 'bot']), text: z.string() }))
    .optional()
    .describe('Bot lines are message keys; secrets typed by the user are `[redacted]`.'),
});

// ---- the OpenAPI document -------------------------------------------------------------------------

const json = (schema: z.ZodType) => ({
  'application/json': { schema: z.toJSONSchema(schema, { io: 'input' }) },
});

function openApiDocument(tasks: readonly string[]) {
  const errors = (...statuses: number[]) =>
    Object.fromEntries(
      statuses.map((status) => [
        String(status),
        { description: ERROR_TEXT[status] ?? 'Error', content: json(ErrorBody) },
      ]),
    );
  const secured = (scope: Scope) => ({ security: [{ apiKey: [] }], 'x-lockstep-scope': scope });
  const idParam = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }];
  return {
    openapi: '3.1.0',
    info: {
      title: 'lockstep support API',
      version: '1.0.0',
      description:
        'Hand users into verified guided tasks, and take over conversations the bot escalated. Keys come from `npm run admin -- apikey create`.',
    },
    'x-lockstep-tasks': tasks,
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'lsk_... (an API key)' } },
    },
    paths: {
      '/api/handoffs': {
        post: {
          summary: 'Make a handoff into a task for an account',
          ...secured('handoff:write'),
          requestBody: { required: true, content: json(CreateHandoffBody) },
          responses: {
            '201': { description: 'Made', content: json(HandoffCreated) },
            ...errors(400, 401, 403, 404, 429),
          },
        },
      },
      '/api/handoffs/{id}': {
        get: {
          summary: 'A handoff’s status and timeline',
          ...secured('handoff:read'),
          parameters: idParam,
          responses: {
            '200': { description: 'Found', content: json(HandoffShown) },
            ...errors(401, 403, 404, 429),
          },
        },
      },
      '/api/escalations': {
        get: {
          summary: 'Escalations, newest first',
          ...secured('escalation:read'),
          parameters: [
            { name: 'status', in: 'query', schema: { type: 'string', enum: ['open', 'resolved'] } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200 } },
          ],
          responses: {
            '200': {
              description: 'Found',
              content: json(z.object({ escalations: z.array(EscalationShown.omit({ transcript: true })) })),
            },
            ...errors(400, 401, 403, 429),
          },
        },
      },
      '/api/escalations/{id}': {
        get: {
          summary: 'One escalation with its redacted transcript',
          ...secured('escalation:read'),
          parameters: idParam,
          responses: {
            '200': { description: 'Found', content: json(EscalationShown) },
            ...errors(401, 403, 404, 429),
          },
        },
      },
      '/api/escalations/{id}/resolve': {
        post: {
          summary: 'Resolve: hand the chat back, optionally with a message and a new handoff',
          description: 'With `handoff`, the key needs `handoff:write` as well.',
          ...secured('escalation:write'),
          parameters: idParam,
          requestBody: { required: true, content: json(ResolveBody) },
          responses: {
            '200': {
              description: 'Resolved',
              content: json(z.object({ escalation: EscalationShown, handoff: HandoffCreated.nullable() })),
            },
            ...errors(400, 401, 403, 404, 409, 429),
          },
        },
      },
    },
  };
}

const ERROR_TEXT: Record<number, string> = {
  400: 'The request is not valid',
  401: 'No API key, or not a valid one',
  403: 'The key lacks the scope',
  404: 'Not found',
  409: 'Not in a state that allows this',
  429: 'Too many requests for this key; see Retry-After',
};

// ---- the plugin -----------------------------------------------------------------------------------

declare module 'fastify' {
  interface FastifyRequest {
    supportKey?: ApiKeyIdentity | null;
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new ApiError(400, 'invalid_request', `${where}${issue?.message ?? 'invalid request'}`);
}

function createdBody(made: Extract<CreateHandoffResult, { ok: true }>) {
  return {
    id: made.handoff.id,
    code: made.code,
    telegramLink: made.links.telegramLink,
    discordCommand: made.links.discordCommand,
    startCommand: made.links.startCommand,
    expiresAt: new Date(made.handoff.expiresAt).toISOString(),
    status: made.handoff.status,
  };
}

function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S{1,200})$/i.exec(header.trim());
  return match?.[1] ?? null;
}

/**
 * Mounts the agent API on `app` (under `/api`, in its own scope: its own error and not-found handlers).
 *
 * @example app.register(...) is done for you: `mountSupportApi(app, deps)`.
 */
export function mountSupportApi(app: FastifyInstance, deps: SupportApiDeps): void {
  const { keys, handoffs, escalations, service, log } = deps;
  const limit = deps.rateLimit ?? { max: 120, windowMs: 60_000 };
  app.register(
    async (scope) => {
      if (!scope.hasDecorator('rateLimit')) await scope.register(rateLimit, { global: false });

      const methodsByPath = new Map<string, Set<string>>();
      scope.addHook('onRoute', (route) => {
        const methods = methodsByPath.get(route.url) ?? new Set<string>();
        for (const method of [route.method].flat()) methods.add(method.toUpperCase());
        methodsByPath.set(route.url, methods);
      });

      const sendError = (reply: FastifyReply, status: number, code: string, message: string) =>
        reply.code(status).header('cache-control', 'no-store').send({ error: { code, message } });

      scope.setErrorHandler(async (error, request, reply) => {
        if (error instanceof ApiError) {
          if (error.statusCode === 401) reply.header('www-authenticate', 'Bearer realm="lockstep"');
          return sendError(reply, error.statusCode, error.code, error.message);
        }
        const status =
          typeof error === 'object' && error !== null && 'statusCode' in error
            ? Number((error as { statusCode: unknown }).statusCode)
            : 500;
        if (status === 429)
          return sendError(reply, 429, 'rate_limited', 'Too many requests: wait and try again.');
        if (status >= 400 && status < 500) {
          const code =
            status === 413 ? 'too_large' : status === 415 ? 'unsupported_media_type' : 'invalid_request';
          return sendError(reply, status, code, 'The request body must be a JSON object.');
        }
        log.error(
          { route: request.routeOptions.url ?? '(no route)', err: describeError(error) },
          'support api request failed',
        );
        return sendError(reply, 500, 'internal', 'Something went wrong on our side.');
      });

      scope.setNotFoundHandler(async (request, reply) => {
        const path = request.url.split('?', 1)[0] ?? '';
        const known = [...methodsByPath.entries()].find(([pattern]) =>
          new RegExp(`^${pattern.replace(/:[^/]+/g, '[^/]+')}$`).test(path),
        );
        if (known) {
          reply.header('allow', [...known[1]].sort().join(', '));
          return sendError(reply, 405, 'method_not_allowed', `${request.method} is not allowed here.`);
        }
        return sendError(reply, 404, 'not_found', 'No such endpoint.');
      });

      // Who is asking (no answer yet: the limiter counts unauthenticated requests by address).
      const identify = async (request: FastifyRequest) => {
        const presented = bearer(request);
        request.supportKey = presented ? await keys.authenticate(presented) : null;
      };
      const limited = scope.rateLimit({
        max: limit.max,
        timeWindow: limit.windowMs,
        keyGenerator: (request: FastifyRequest) =>
          request.supportKey ? `key:${request.supportKey.id}` : `ip:${request.ip}`,
        errorResponseBuilder: () =>
          new ApiError(429, 'rate_limited', 'Too many requests: wait and try again.'),
      });
      const requireScope =
        (...needed: Scope[]) =>
        async (request: FastifyRequest) => {
          const key = request.supportKey;
          if (!key)
            throw new ApiError(401, 'unauthorized', 'Send a valid API key: Authorization: Bearer <key>.');
          const missing = needed.filter((scopeName) => !key.scopes.includes(scopeName));
          if (missing.length > 0) {
            await deps.audit.record({
              actor: keyActor(key),
              action: 'auth.denied',
              detail: { route: request.routeOptions.url ?? '', missing: missing.join(',') },
            });
            throw new ApiError(403, 'forbidden', `This key lacks the scope ${missing.join(', ')}.`);
          }
        };
      const guarded = (...needed: Scope[]) => ({
        onRequest: [identify, limited],
        preHandler: requireScope(...needed),
      });
      const who = (request: FastifyRequest) => keyActor(request.supportKey as ApiKeyIdentity);

      const document = openApiDocument(service.tasks.map((task) => task.id));
      scope.get('/openapi.json', { onRequest: [identify, limited] }, async (_request, reply) =>
        reply.header('cache-control', 'no-store').send(document),
      );

      scope.post('/handoffs', guarded('handoff:write'), async (request, reply) => {
        const body = parse(CreateHandoffBody, request.body);
        const made = await service.createHandoff(who(request), body);
        if (!made.ok) {
          if (made.reason === 'unknownFlow')
            throw new ApiError(
              400,
              'unknown_flow',
              `flow: not a task a user can be handed into (${body.flow}).`,
            );
          throw new ApiError(404, 'account_not_found', 'No account has that id, phone number or email.');
        }
        return reply.code(201).header('cache-control', 'no-store').send(createdBody(made));
      });

      scope.get('/handoffs/:id', guarded('handoff:read'), async (request, reply) => {
        const { id } = parse(IdParam, request.params);
        const record = await handoffs.get(id);
        if (!record) throw new ApiError(404, 'not_found', 'No handoff has that id.');
        return reply.header('cache-control', 'no-store').send(handoffView(record));
      });

      scope.get('/escalations', guarded('escalation:read'), async (request, reply) => {
        const query = parse(ListQuery, request.query);
        const list = await escalations.list({
          ...(query.status ? { status: query.status } : {}),
          ...(query.limit ? { limit: query.limit } : {}),
        });
        return reply
          .header('cache-control', 'no-store')
          .send({ escalations: list.map((record) => escalationView(record)) });
      });

      scope.get('/escalations/:id', guarded('escalation:read'), async (request, reply) => {
        const { id } = parse(IdParam, request.params);
        const record = await escalations.get(id);
        if (!record) throw new ApiError(404, 'not_found', 'No escalation has that id.');
        await deps.audit.record({ actor: who(request), action: 'escalation.read', target: id });
        return reply.header('cache-control', 'no-store').send(escalationView(record, { transcript: true }));
      });

      scope.post('/escalations/:id/resolve', guarded('escalation:write'), async (request, reply) => {
        const { id } = parse(IdParam, request.params);
        const body = parse(ResolveBody, request.body);
        const key = request.supportKey as ApiKeyIdentity;
        if (body.handoff && !key.scopes.includes('handoff:write'))
          throw new ApiError(403, 'forbidden', 'A handoff needs the scope handoff:write as well.');
        const result = await service.resolveEscalation(who(request), id, body);
        if (!result.ok) {
          switch (result.reason) {
            case 'notFound':
              throw new ApiError(404, 'not_found', 'No escalation has that id.');
            case 'notOpen':
              throw new ApiError(409, 'not_open', 'This escalation is already resolved.');
            case 'noAccount':
              throw new ApiError(
                409,
                'no_account',
                'This chat is not linked to an account: a handoff needs one.',
              );
            case 'unknownFlow':
              throw new ApiError(400, 'unknown_flow', 'handoff.flow: not a task a user can be handed into.');
            default:
              throw new ApiError(404, 'account_not_found', 'The escalation’s account no longer exists.');
          }
        }
        return reply.header('cache-control', 'no-store').send({
          escalation: escalationView(result.escalation, { transcript: true }),
          handoff: result.handoff
            ? {
                ...createdBody(result.handoff),
                status:
                  (await handoffs.get(result.handoff.handoff.id))?.status ?? result.handoff.handoff.status,
              }
            : null,
        });
      });
    },
    { prefix: '/api' },
  );
}

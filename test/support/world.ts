/**
 * The whole support stack of one test, for real: services on the test Redis (a fresh key prefix, the real
 * two-round-trip frame), `createSupport`, the real engine with the handoff flow and the escalation desk,
 * the HTTP server of the composition root (`createHttpServer` with the agent API among its extra routes)
 * listening on loopback, and a webhook receiver on loopback that records every delivery as received.
 * Only SMS and email are faked, at the edge (a recording provider the tests read codes from).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { expect } from 'vitest';
import type { Account } from '../../src/accounts/account.ts';
import type { Clock } from '../../src/clock.ts';
import { createEngine } from '../../src/composition/engine.ts';
import type { ChatRef, Reply } from '../../src/core/index.ts';
import type { Engine } from '../../src/engine/engine.ts';
import { RedisSessionFrame } from '../../src/engine/redis-session-frame.ts';
import { createHttpServer } from '../../src/http/server.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import type { Logger } from '../../src/log.ts';
import { createServices, type Services } from '../../src/services.ts';
import type { Scope } from '../../src/support/api-keys.ts';
import { createSupport, type Support, type SupportConfig } from '../../src/support/index.ts';
import { RecordingDelivery } from '../helpers/fake-delivery.ts';
import { deleteByPrefix, uniquePrefix } from '../helpers/redis.ts';

export const SECRET_KEY = 'support-tests-secret-key-0123456789abcdef';
export const WEBHOOK_SECRET = 'whsec-support-tests-0123456789abcdefghij';
export const OLD_WEBHOOK_SECRET = 'whsec-the-old-one-0123456789abcdefghijkl';
export const CONTACT = 'help@example.com (Mon-Fri 9-17)';
export const BOT_USERNAME = 'lockstep_support_bot';
export const PASSWORD = 'Sunflower-Lantern-42';
export const PHONE = '+8613800138000';
export const EMAIL = 'alice@example.com';

/** The system clock, moved forward on demand (Redis TTLs stay real; expiries in records follow this). */
export class OffsetClock implements Clock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}

export interface Delivery {
  readonly headers: IncomingHttpHeaders;
  readonly raw: string;
  readonly body: { id: string; type: string; at: string; data: Record<string, unknown> };
  readonly status: number;
}

/** A webhook receiver on loopback: records every request as received; `failNext` answers 503 first. */
export class Receiver {
  readonly deliveries: Delivery[] = [];
  private failures: Array<{ status: number; retryAfter?: string }> = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<Receiver> {
    let receiver: Receiver | null = null;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const failure = receiver?.failures.shift();
        const status = failure?.status ?? 204;
        receiver?.deliveries.push({ headers: request.headers, raw, body: JSON.parse(raw), status });
        response.writeHead(status, failure?.retryAfter ? { 'retry-after': failure.retryAfter } : {});
        response.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    receiver = new Receiver(server, `http://127.0.0.1:${port}/lockstep-events`);
    return receiver;
  }

  failNext(status: number, retryAfter?: string): void {
    this.failures.push({ status, ...(retryAfter ? { retryAfter } : {}) });
  }

  /** Accepted deliveries (2xx), in order. */
  accepted(): Delivery[] {
    return this.deliveries.filter((d) => d.status >= 200 && d.status < 300);
  }

  /** The statuses a handoff went through, as the webhook told them. */
  handoffStatuses(handoffId: string): string[] {
    return this.accepted()
      .filter((d) => d.body.type === 'handoff.status' && d.body.data.handoffId === handoffId)
      .map((d) => String(d.body.data.status));
  }

  async waitFor(predicate: (delivery: Delivery) => boolean, timeoutMs = 10_000): Promise<Delivery> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.accepted().find(predicate);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`no such webhook delivery: ${JSON.stringify(this.deliveries.map((d) => d.body))}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export interface ApiAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test answers are read freely
  readonly json: any;
}

export interface Process {
  readonly services: Services;
  readonly support: Support;
  readonly engine: Engine;
}

export interface World extends Process {
  readonly prefix: string;
  readonly clock: OffsetClock;
  readonly delivery: RecordingDelivery;
  readonly receiver: Receiver;
  readonly baseUrl: string;
  readonly app: FastifyInstance;
  readonly accountId: string;
  /** Replies pushed out of turn, per chat tag (`console:c1`). */
  readonly pushed: Map<string, Reply[][]>;
  /** Every secret typed or sent in this test. */
  readonly secrets: Set<string>;
  /** Routes pushes of a channel (the Telegram bot registers itself). */
  routePush(
    channel: ChatRef['channel'],
    send: (chat: ChatRef, replies: readonly Reply[]) => Promise<void>,
  ): void;
  api(
    method: 'GET' | 'POST',
    path: string,
    options?: { key?: string; body?: unknown; raw?: string },
  ): Promise<ApiAnswer>;
  key(scopes: readonly Scope[], name?: string): Promise<string>;
  /** Another process: its own services, support and engine on the same store and providers. */
  anotherProcess(): Process;
  account(): Promise<Account>;
  close(): Promise<void>;
}

export async function createWorld(
  redis: Redis,
  options: {
    readonly config?: Partial<SupportConfig>;
    readonly email?: string | null;
    readonly log?: Logger;
    /** Serve `/verify-email` too (the server then registers its own rate limiter first, as in production). */
    readonly verifyEmail?: boolean;
  } = {},
): Promise<World> {
  const prefix = uniquePrefix();
  const clock = new OffsetClock();
  const delivery = new RecordingDelivery();
  const receiver = await Receiver.start();
  const log: Logger = options.log ?? { debug() {}, info() {}, warn() {}, error() {} };
  const pushed = new Map<string, Reply[][]>();
  const routes = new Map<ChatRef['channel'], (chat: ChatRef, replies: readonly Reply[]) => Promise<void>>();
  const push = async (chat: ChatRef, replies: readonly Reply[]) => {
    const tag = `${chat.channel}:${chat.chatId}`;
    pushed.set(tag, [...(pushed.get(tag) ?? []), [...replies]]);
    await routes.get(chat.channel)?.(chat, replies);
  };
  const build = (): Process => {
    const services = createServices({
      kv: new RedisKv(redis),
      delivery,
      clock,
      log,
      secretKey: SECRET_KEY,
      prefix,
      sessionFrame: new RedisSessionFrame(redis),
    });
    const support = createSupport({
      services,
      config: {
        contact: CONTACT,
        webhookUrl: receiver.url,
        webhookSecrets: [WEBHOOK_SECRET, OLD_WEBHOOK_SECRET],
        telegramBotUsername: () => BOT_USERNAME,
        webhook: { baseDelayMs: 20, maxDelayMs: 200 },
        ...options.config,
      },
    });
    const engine = createEngine(services, { push }, [support.flow], support.engineOptions);
    support.attach(engine);
    return { services, support, engine };
  };
  const main = build();
  const { services, support } = main;
  const created = await services.accounts.create({
    phone: PHONE,
    email: options.email === undefined ? EMAIL : options.email,
    passwordHash: await services.hasher.hash(PASSWORD),
    now: clock.now(),
  });
  if (!created.ok) throw new Error(`could not seed the account: ${created.reason}`);
  const accountId = created.account.id;

  const app = createHttpServer({
    log,
    health: async () => ({ ok: true, checks: {} }),
    ...(options.verifyEmail ? { verifyEmail: async () => 'invalid' as const } : {}),
    extraRoutes: (scope) => support.mountApi(scope),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const others: Process[] = [];

  return {
    ...main,
    prefix,
    clock,
    delivery,
    receiver,
    baseUrl,
    app,
    accountId,
    pushed,
    secrets: new Set([PASSWORD]),
    routePush(channel, send) {
      routes.set(channel, send);
    },
    async api(method, path, { key, body, raw } = {}) {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      let json: unknown = null;
      try {
        json = JSON.parse(text);
      } catch {}
      return { status: response.status, headers: response.headers, text, json };
    },
    async key(scopes, name = 'Agent Smith') {
      return (await support.keys.create(name, scopes)).key;
    },
    anotherProcess() {
      const process = build();
      others.push(process);
      return process;
    },
    async account() {
      const account = await services.accounts.get(accountId);
      if (!account) throw new Error('the seeded account is gone');
      return account;
    },
    async close() {
      await app.close();
      for (const p of [main, ...others]) {
        await p.support.webhook.idle();
        p.support.close();
      }
      await receiver.close();
      await deleteByPrefix(redis, prefix);
    },
  };
}

/** Digits-only secrets match as whole numbers, so a code is not "found" inside a timestamp. */
export function holds(haystack: string, secret: string): boolean {
  if (/^\d+$/.test(secret)) return new RegExp(`(?<!\\d)${secret}(?!\\d)`).test(haystack);
  return haystack.includes(secret);
}

export function expectNoSecrets(what: string, haystack: string, secrets: Iterable<string>): void {
  const leaked = [...secrets].filter((secret) => secret !== '' && holds(haystack, secret));
  expect(leaked, `${what} holds secrets`).toEqual([]);
}

export const keysOf = (replies: readonly Reply[]) => replies.map((reply) => reply.key);

/** A chat driven straight through the engine, like an adapter does (console channel by default). */
export function chatOf(engine: Engine, ref: ChatRef, userId = ref.chatId) {
  let n = 0;
  const send = async (action: Parameters<Engine['handle']>[0]['action']) => {
    n += 1;
    const result = await engine.handle({
      chat: ref,
      userId,
      updateId: `${ref.chatId}-${n}-${Math.random()}`,
      isPrivate: true,
      action,
    });
    return [...result.replies];
  };
  return {
    ref,
    userId,
    command: (command: string, args = '') => send({ type: 'command', command, args }),
    text: (text: string) => send({ type: 'text', text }),
    choose: (value: string) => send({ type: 'choice', value }),
    /** Another engine (process) for the same chat. */
    via: (other: Engine) => chatOf(other, ref, userId),
  };
}

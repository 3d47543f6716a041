/**
 * Support teams, wired: API keys, the audit log, the signed webhook, handoffs, the escalation desk, the
 * handoff flow and the agent API. The composition root builds it once per process:
 *
 * @example
 * const support = createSupport({ services, config: { contact: config.supportContact,
 *   webhookUrl: config.supportWebhookUrl, webhookSecrets: config.supportWebhookSecrets,
 *   telegramBotUsername: () => telegram?.username } });
 * const engine = createEngine(services, { push }, [support.flow], support.engineOptions);
 * support.attach(engine);
 * startHttp({ ..., extraRoutes: (app) => support.mountApi(app) });
 * setInterval(() => void support.tick(), 15_000);   // expiries, abandoned handoffs, webhook retries
 */

import type { FastifyInstance } from 'fastify';
import type { FlowDefinition } from '../../flows/ports.ts';
import { bindHandoff } from '../composition/bindings/handoff.ts';
import { createFlows } from '../composition/engine.ts';
import type { ChatRef } from '../core/conversation.ts';
import type { MessageKey } from '../core/messages.ts';
import type { DeepLinkHandler, EngineOptions } from '../engine/engine.ts';
import { describeError } from '../log.ts';
import type { Services } from '../services.ts';
import { mountSupportApi } from './api.ts';
import { ApiKeyStore } from './api-keys.ts';
import { AuditLog } from './audit.ts';
import { mountSupportConsole, type SupportConsoleDeps } from './console/index.ts';
import { EscalationStore } from './escalations.ts';
import { type ChatActivity, HANDOFF_CODE_PREFIX, HANDOFF_FLOW_ID, HandoffService } from './handoffs.ts';
import { handoffTasks, type SupportEngine, SupportService } from './service.ts';
import { SupportWebhook, type SupportWebhookOptions } from './webhook.ts';

export { ApiKeyStore, SCOPES, type Scope } from './api-keys.ts';
export { AuditLog } from './audit.ts';
export { EscalationStore } from './escalations.ts';
export { HANDOFF_CODE_PREFIX, HANDOFF_FLOW_ID, HandoffService } from './handoffs.ts';
export { SupportService } from './service.ts';
export { SupportWebhook } from './webhook.ts';

export interface SupportConfig {
  /** SUPPORT_CONTACT: how users reach a person (an address, a link, hours). */
  readonly contact?: string | undefined;
  /** SUPPORT_WEBHOOK_URL. */
  readonly webhookUrl?: string | undefined;
  /** SUPPORT_WEBHOOK_SECRET (and the previous one during a rotation), the newest first. */
  readonly webhookSecrets?: readonly string[] | undefined;
  /** The Telegram bot's username (for `telegramLink`), once the bot knows it. */
  readonly telegramBotUsername?: (() => string | undefined) | undefined;
  /** API requests per key and window. Default 120 a minute. */
  readonly rateLimit?: { readonly max: number; readonly windowMs: number } | undefined;
  /** How often an opened handoff is looked at while its task may still run. Default 16 minutes. */
  readonly handoffCheckEveryMs?: number | undefined;
  /** Webhook retry tuning (tests). */
  readonly webhook?: Pick<SupportWebhookOptions, 'attempts' | 'baseDelayMs' | 'maxDelayMs' | 'timeoutMs'>;
}

export interface Support {
  readonly keys: ApiKeyStore;
  readonly audit: AuditLog;
  readonly webhook: SupportWebhook;
  readonly handoffs: HandoffService;
  readonly escalations: EscalationStore;
  readonly service: SupportService;
  /** The handoff flow, bound: pass it to `createEngine` among the extra flows. */
  readonly flow: FlowDefinition;
  /** For `createEngine(..., support.engineOptions)`: the escalation desk, the contact, the deep link. */
  readonly engineOptions: {
    readonly escalations: EscalationStore;
    readonly supportContact?: string;
    readonly deepLinks: readonly DeepLinkHandler[];
  } & Pick<EngineOptions, 'escalations' | 'supportContact' | 'deepLinks'>;
  /** Gives the API the engine (built after the desk, since it takes the desk). */
  attach(engine: SupportEngine): void;
  /** Mounts the agent API under `/api` on a fastify app (after `attach`). */
  mountApi(app: FastifyInstance): void;
  /** Mounts the support console under `/console` (after `attach`); `secureCookies` when PUBLIC_URL is https. */
  mountConsole(
    app: FastifyInstance,
    options?: Pick<SupportConsoleDeps, 'secureCookies' | 'sessionMs' | 'signInRateLimit'>,
  ): void;
  /** Expires and abandons due handoffs and sends due webhook deliveries; call every few seconds. */
  tick(): Promise<void>;
  /** Stops the webhook's in-process retry timers. */
  close(): void;
}

export function createSupport(deps: {
  readonly services: Services;
  readonly config?: SupportConfig;
}): Support {
  const { services } = deps;
  const config = deps.config ?? {};
  const { kv, clock, log, accounts } = services;
  const prefix = services.options.prefix ?? 'ls:';
  const idleMs = services.options.flowIdleMs ?? 15 * 60_000;
  const keys = new ApiKeyStore(kv, clock, prefix);
  const audit = new AuditLog(kv, clock, prefix);
  const webhook = new SupportWebhook({
    kv,
    clock,
    log,
    prefix,
    ...(config.webhookUrl ? { url: config.webhookUrl, secrets: config.webhookSecrets ?? [] } : {}),
    ...config.webhook,
  });
  const activityOf = async (chat: ChatRef): Promise<ChatActivity | null> => {
    const loaded = await services.sessions.load(chat);
    if (!loaded) return null;
    const { session } = loaded;
    const running = session.flow !== null && clock.now() - session.lastActiveAt <= idleMs;
    return {
      flowId: running ? (session.flow?.id ?? null) : null,
      ...(running && session.flow?.returnTo ? { returnTo: session.flow.returnTo } : {}),
      withPerson: session.owner !== undefined,
    };
  };
  const handoffs = new HandoffService({
    kv,
    clock,
    prefix,
    audit,
    webhook,
    accounts,
    activityOf,
    ...(config.handoffCheckEveryMs ? { checkEveryMs: config.handoffCheckEveryMs } : {}),
  });
  const escalations = new EscalationStore({ kv, clock, log, prefix, audit, webhook, accounts });
  const tasks = handoffTasks(createFlows(services));
  const service = new SupportService({
    handoffs,
    escalations,
    audit,
    accounts,
    tasks,
    ...(config.telegramBotUsername ? { telegramBotUsername: config.telegramBotUsername } : {}),
  });
  const titles = new Map<string, MessageKey>(tasks.map((task) => [task.id, task.title]));
  const flow = bindHandoff(services, handoffs, titles);
  let attached = false;
  return {
    keys,
    audit,
    webhook,
    handoffs,
    escalations,
    service,
    flow,
    engineOptions: {
      escalations,
      ...(config.contact ? { supportContact: config.contact } : {}),
      deepLinks: [{ prefix: HANDOFF_CODE_PREFIX, flowId: HANDOFF_FLOW_ID }],
    },
    attach(engine) {
      service.attach(engine);
      attached = true;
    },
    mountApi(app) {
      if (!attached) throw new Error('createSupport: attach(engine) before mountApi(app)');
      mountSupportApi(app, {
        keys,
        handoffs,
        escalations,
        audit,
        service,
        log,
        ...(config.rateLimit ? { rateLimit: config.rateLimit } : {}),
      });
    },
    mountConsole(app, options = {}) {
      if (!attached) throw new Error('createSupport: attach(engine) before mountConsole(app)');
      mountSupportConsole(app, {
        kv,
        clock,
        prefix,
        log,
        keys,
        handoffs,
        escalations,
        audit,
        service,
        accounts,
        ...(config.rateLimit ? { rateLimit: config.rateLimit } : {}),
        ...options,
      });
    },
    async tick() {
      try {
        await handoffs.sweep();
        await webhook.drain();
      } catch (error) {
        log.warn({ err: describeError(error) }, 'support sweep failed');
      }
    },
    close() {
      webhook.close();
    },
  };
}

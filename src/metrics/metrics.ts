/**
 * Prometheus metrics: an `Observer` (src/core/observer.ts) that counts into a registry of its own, and
 * `GET /metrics` on the HTTP server. A registry per instance (never prom-client's global one), so a test
 * can build several. Labels hold only values from small, fixed sets (channels, flow ids, steps of a flow,
 * API methods): never a user, chat or account id.
 *
 * @example
 * const metrics = createMetrics();
 * const engine = new Engine({ ..., observer: metrics.observer });
 * app.register(async (scope) => mountMetrics(scope, metrics));   // GET /metrics
 */
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { Observer } from '../core/observer.ts';

/** Every metric lockstep exports besides prom-client's default process metrics (README, Operations). */
export const METRIC_NAMES = {
  messages: 'lockstep_messages_total',
  messageDuration: 'lockstep_message_duration_seconds',
  tasksStarted: 'lockstep_tasks_started_total',
  tasksCompleted: 'lockstep_tasks_completed_total',
  tasksAbandoned: 'lockstep_tasks_abandoned_total',
  codesSent: 'lockstep_codes_sent_total',
  lockouts: 'lockstep_lockouts_total',
  apiErrors: 'lockstep_platform_api_errors_total',
  apiRateLimited: 'lockstep_platform_api_rate_limited_total',
  redisErrors: 'lockstep_redis_errors_total',
  handoffs: 'lockstep_handoffs_total',
  escalations: 'lockstep_escalations_total',
} as const;

/** Seconds; a turn is a few milliseconds to a slow SMS gateway's seconds. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20];

/** Longest label value kept; a state path of a flow fits easily. */
const LABEL_MAX = 100;

/** lockstep's own ids: accounts, task runs, handoffs, escalations, webhook deliveries, API keys. */
const OWN_ID = /^(acc|task|hof|esc|whd|lsk)_/;

/**
 * A label value from a fixed set, made safe: anything that looks like an id (one of lockstep's, or a run
 * of 5 or more digits, as Telegram and Discord ids and phone numbers are), or is long or oddly shaped
 * (an address), becomes `other`, so a bug elsewhere can never make one time series per user.
 */
export function boundedLabel(value: string | null | undefined): string {
  if (!value) return 'none';
  if (value.length > LABEL_MAX || OWN_ID.test(value) || /\d{5,}/.test(value)) return 'other';
  return /^[\w.:>, -]+$/.test(value) ? value : 'other';
}

/**
 * A flow's state as the engine describes it (`{"proving":"askPassword"} > askPassword`), as a label:
 * `proving.askPassword > askPassword`.
 */
export function stepLabel(step: string | null): string {
  if (step === null) return 'none';
  return boundedLabel(step.replace(/[{}"]/g, '').replace(/:/g, '.'));
}

export interface Metrics {
  readonly registry: Registry;
  /** Give it to the engine, the adapters and the composition root's instruments. */
  readonly observer: Observer;
  /** The exposition text (`text/plain; version=0.0.4`). */
  render(): Promise<string>;
  readonly contentType: string;
}

/** A fresh registry with lockstep's metrics and the default process metrics (CPU, memory, event loop). */
export function createMetrics(options: { readonly defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const messages = new Counter({
    name: METRIC_NAMES.messages,
    help: 'Inbound messages handled, by channel.',
    labelNames: ['channel'] as const,
    registers,
  });
  const duration = new Histogram({
    name: METRIC_NAMES.messageDuration,
    help: 'Time to handle one inbound message (lock, load, flow step, save), by channel.',
    labelNames: ['channel'] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const started = new Counter({
    name: METRIC_NAMES.tasksStarted,
    help: 'Tasks started, by flow.',
    labelNames: ['flow'] as const,
    registers,
  });
  const completed = new Counter({
    name: METRIC_NAMES.tasksCompleted,
    help: 'Tasks that reached their end, by flow.',
    labelNames: ['flow'] as const,
    registers,
  });
  const abandoned = new Counter({
    name: METRIC_NAMES.tasksAbandoned,
    help:
      'Tasks that ended before their end, by flow, reason (cancelled, expired, replaced, lockedOut, ' +
      'escalated, failed) and the step they were in.',
    labelNames: ['flow', 'reason', 'step'] as const,
    registers,
  });
  const codes = new Counter({
    name: METRIC_NAMES.codesSent,
    help: 'One-time codes sent, by channel (sms, email).',
    labelNames: ['channel'] as const,
    registers,
  });
  const lockouts = new Counter({
    name: METRIC_NAMES.lockouts,
    help: 'Lock-outs after too many wrong tries, by what locked (password).',
    labelNames: ['what'] as const,
    registers,
  });
  const apiErrors = new Counter({
    name: METRIC_NAMES.apiErrors,
    help: 'Failed platform API calls (429s included), by platform and method (Telegram) or verb (Discord).',
    labelNames: ['platform', 'method'] as const,
    registers,
  });
  const rateLimited = new Counter({
    name: METRIC_NAMES.apiRateLimited,
    help: 'Platform API calls answered 429 Too Many Requests, by platform and method.',
    labelNames: ['platform', 'method'] as const,
    registers,
  });
  const redisErrors = new Counter({
    name: METRIC_NAMES.redisErrors,
    help: 'Errors reported by the Redis client (lost connections, refused commands).',
    registers,
  });
  const handoffs = new Counter({
    name: METRIC_NAMES.handoffs,
    help: 'Support handoff status changes, by the new status.',
    labelNames: ['status'] as const,
    registers,
  });
  const escalations = new Counter({
    name: METRIC_NAMES.escalations,
    help: 'Escalations to a person, by event (opened, resolved).',
    labelNames: ['event'] as const,
    registers,
  });

  const observer: Observer = {
    message(channel, ms) {
      messages.inc({ channel });
      duration.observe({ channel }, ms / 1000);
    },
    taskStarted(flowId) {
      started.inc({ flow: boundedLabel(flowId) });
    },
    taskEnded(flowId, how, step) {
      const flow = boundedLabel(flowId);
      if (how === 'completed') completed.inc({ flow });
      else abandoned.inc({ flow, reason: how, step: stepLabel(step) });
    },
    codeSent(channel) {
      codes.inc({ channel });
    },
    lockout(what) {
      lockouts.inc({ what: boundedLabel(what) });
    },
    apiCall(platform, method, outcome) {
      if (outcome === 'ok') return;
      const labels = { platform, method: boundedLabel(method) };
      apiErrors.inc(labels);
      if (outcome === 'rateLimited') rateLimited.inc(labels);
    },
    redisError() {
      redisErrors.inc();
    },
    handoff(status) {
      handoffs.inc({ status: boundedLabel(status) });
    },
    escalation(event) {
      escalations.inc({ event });
    },
  };
  return {
    registry,
    observer,
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

/** Serves `GET /metrics` (Prometheus text format) on a fastify instance. */
export function mountMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.get('/metrics', async (_request, reply) => {
    const body = await metrics.render();
    return reply.header('cache-control', 'no-store').type(metrics.contentType).send(body);
  });
}

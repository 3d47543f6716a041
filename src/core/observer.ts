/**
 * What an operator may watch: the engine, the adapters and the composition root report events here, and
 * the composition root wires an implementation (Prometheus metrics, `src/metrics/`). Nothing that reports
 * knows where the events go. Every argument is from a small, fixed set (a channel, a flow id, a step of a
 * flow, an API method): never a user, chat or account id, so each can be a metric label.
 */
import type { Channel } from './conversation.ts';

/**
 * How a task ended. `completed`: it reached its end. Otherwise it was abandoned: `cancelled` (/cancel),
 * `expired` (no answer for FLOW_IDLE_MINUTES), `replaced` (a new version of the flow was deployed),
 * `lockedOut` (too many wrong passwords or codes), `escalated` (handed to a person), `failed` (its first
 * step threw).
 */
export type TaskEnd =
  | 'completed'
  | 'cancelled'
  | 'expired'
  | 'replaced'
  | 'lockedOut'
  | 'escalated'
  | 'failed';

/** The outcome of one call to a platform's API, as far as an operator cares. */
export type ApiOutcome = 'ok' | 'error' | 'rateLimited';

export interface Observer {
  /** One inbound message was handled (or failed) after `ms` milliseconds. */
  message(channel: Channel, ms: number): void;
  taskStarted(flowId: string): void;
  /** `step`: where an abandoned task was (the state of its machine), null when unknown or completed. */
  taskEnded(flowId: string, how: TaskEnd, step: string | null): void;
  /** A one-time code went out. */
  codeSent(channel: 'sms' | 'email'): void;
  /**
   * Something locked after too many wrong tries: `password` (five wrong passwords lock the account's
   * password step for 15 minutes). A task that ends because of a lock ends `lockedOut`.
   */
  lockout(what: string): void;
  /** A call to a platform API; `method` is an API method name (Telegram) or an HTTP verb (Discord). */
  apiCall(platform: 'telegram' | 'discord', method: string, outcome: ApiOutcome): void;
  /** The Redis client reported an error (a lost connection, a refused command). */
  redisError(): void;
  /** A support handoff changed status (`pending`, `opened`, `completed`, `abandoned`, `expired`). */
  handoff(status: string): void;
  /** An escalation to a person was opened or resolved. */
  escalation(event: 'opened' | 'resolved'): void;
}

/** Watches nothing: the default where no observer is given. */
export const NO_OBSERVER: Observer = {
  message() {},
  taskStarted() {},
  taskEnded() {},
  codeSent() {},
  lockout() {},
  apiCall() {},
  redisError() {},
  handoff() {},
  escalation() {},
};

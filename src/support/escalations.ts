/**
 * The escalation desk: where the engine hands a conversation to a person (`/support`, the "Talk to
 * support" choice, a task's dead end). Each escalation keeps the account when known, the task and step,
 * and the transcript the engine captured (secrets already redacted there). Agents list, read and resolve
 * escalations through the API; resolving hands the chat back to the bot (`Engine.release`).
 */
import { randomBytes } from 'node:crypto';
import type { SecurityEventType } from '../accounts/account.ts';
import type { Clock } from '../clock.ts';
import type { ChatRef } from '../core/conversation.ts';
import type { TranscriptEntry } from '../core/flow.ts';
import type { EscalationDesk, EscalationRequest } from '../engine/engine.ts';
import type { Kv } from '../kv/kv.ts';
import type { Logger } from '../log.ts';
import { describeError } from '../log.ts';
import type { AuditActor, AuditLog } from './audit.ts';
import type { SupportWebhook } from './webhook.ts';

export type EscalationStatus = 'open' | 'resolved';

export interface EscalationRecord {
  readonly id: string;
  readonly status: EscalationStatus;
  readonly chat: ChatRef;
  readonly userId: string;
  readonly accountId: string | null;
  readonly flowId: string | null;
  readonly step: string | null;
  readonly reason: string;
  readonly transcript: readonly TranscriptEntry[];
  readonly openedAt: number;
  readonly resolvedAt?: number;
  readonly resolvedBy?: AuditActor;
  readonly resolution?: { readonly message: string | null; readonly handoffId: string | null };
}

/** How long an escalation is kept. */
const KEEP_MS = 90 * 24 * 60 * 60_000;
const INDEX_READ = 2000;

export interface EscalationStoreOptions {
  readonly kv: Kv;
  readonly clock: Clock;
  readonly log: Logger;
  readonly prefix?: string;
  readonly audit: AuditLog;
  readonly webhook: SupportWebhook;
  readonly accounts?: {
    appendEvent(
      id: string,
      event: { at: number; type: SecurityEventType; channel: ChatRef['channel'] },
    ): Promise<void>;
  };
}

export class EscalationStore implements EscalationDesk {
  private readonly prefix: string;

  constructor(private readonly options: EscalationStoreOptions) {
    this.prefix = options.prefix ?? 'ls:';
  }

  private key(id: string): string {
    return `${this.prefix}support:escalation:${id}`;
  }
  private get indexKey(): string {
    return `${this.prefix}support:escalations`;
  }

  /** Called by the engine under the chat's lock: stores the escalation, then tells the webhook. */
  async open(request: EscalationRequest): Promise<{ readonly id: string }> {
    const { kv, audit, webhook, log } = this.options;
    const id = `esc_${randomBytes(8).toString('hex')}`;
    const record: EscalationRecord = {
      id,
      status: 'open',
      chat: request.chat,
      userId: request.userId,
      accountId: request.accountId,
      flowId: request.flowId,
      step: request.step,
      reason: request.reason,
      transcript: request.transcript,
      openedAt: request.at,
    };
    await kv.set(this.key(id), JSON.stringify(record), KEEP_MS);
    await kv.append(this.indexKey, id);
    // What follows tells others; a failure there must not undo the hand-over.
    try {
      await audit.record({
        actor: { kind: 'bot' },
        action: 'escalation.opened',
        target: id,
        detail: {
          account: request.accountId,
          flow: request.flowId,
          step: request.step,
          reason: request.reason,
          channel: request.chat.channel,
        },
      });
      if (request.accountId)
        await this.options.accounts?.appendEvent(request.accountId, {
          at: request.at,
          type: 'support.escalated',
          channel: request.chat.channel,
        });
      await webhook.emit('escalation.opened', {
        escalationId: id,
        accountId: request.accountId,
        flow: request.flowId,
        step: request.step,
        reason: request.reason,
        channel: request.chat.channel,
      });
    } catch (error) {
      log.warn({ escalation: id, err: describeError(error) }, 'escalation opened, but not announced');
    }
    return { id };
  }

  async get(id: string): Promise<EscalationRecord | null> {
    if (!/^esc_[a-f0-9]{16}$/.test(id)) return null;
    const raw = await this.options.kv.get(this.key(id));
    return raw === null ? null : (JSON.parse(raw) as EscalationRecord);
  }

  /** Newest first; optionally only open or resolved ones. */
  async list(
    options: { readonly status?: EscalationStatus; readonly limit?: number } = {},
  ): Promise<EscalationRecord[]> {
    const ids = [...new Set(await this.options.kv.tail(this.indexKey, INDEX_READ))].reverse();
    const out: EscalationRecord[] = [];
    for (const id of ids) {
      const record = await this.get(id);
      if (!record || (options.status && record.status !== options.status)) continue;
      out.push(record);
      if (out.length >= (options.limit ?? 50)) break;
    }
    return out;
  }

  /** Marks it resolved (once: null when it is not open any more). */
  async resolve(
    id: string,
    actor: AuditActor,
    resolution: { readonly message: string | null; readonly handoffId: string | null },
  ): Promise<EscalationRecord | null> {
    const { kv, clock } = this.options;
    for (let round = 0; round < 20; round += 1) {
      const raw = await kv.get(this.key(id));
      if (raw === null) return null;
      const record = JSON.parse(raw) as EscalationRecord;
      if (record.status !== 'open') return null;
      const next: EscalationRecord = {
        ...record,
        status: 'resolved',
        resolvedAt: clock.now(),
        resolvedBy: actor,
        resolution,
      };
      if (!(await kv.compareAndSet(this.key(id), raw, JSON.stringify(next), KEEP_MS))) continue;
      await this.options.audit.record({
        actor,
        action: 'escalation.resolved',
        target: id,
        detail: { message: resolution.message !== null, handoff: resolution.handoffId },
      });
      await this.options.webhook.emit('escalation.resolved', {
        escalationId: id,
        accountId: record.accountId,
        handoffId: resolution.handoffId,
      });
      return next;
    }
    throw new Error('the escalation kept changing');
  }
}

export function escalationView(record: EscalationRecord, options: { readonly transcript?: boolean } = {}) {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    id: record.id,
    status: record.status,
    channel: record.chat.channel,
    accountId: record.accountId,
    flow: record.flowId,
    step: record.step,
    reason: record.reason,
    openedAt: iso(record.openedAt),
    resolvedAt: record.resolvedAt === undefined ? null : iso(record.resolvedAt),
    resolvedBy:
      record.resolvedBy === undefined
        ? null
        : record.resolvedBy.kind === 'key'
          ? record.resolvedBy.name
          : record.resolvedBy.kind,
    resolution: record.resolution ?? null,
    ...(options.transcript
      ? {
          transcript: record.transcript.map((line) => ({
            at: iso(line.at),
            from: line.from,
            text: line.text,
          })),
        }
      : {}),
  };
}
export type EscalationView = ReturnType<typeof escalationView>;

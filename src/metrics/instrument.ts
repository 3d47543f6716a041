/**
 * The composition root's instruments: they tell an `Observer` what services report only through their
 * results (a code sent, a support event, a Redis error), so the services themselves stay unaware of it.
 * None of them imports prom-client.
 */
import type { Observer } from '../core/observer.ts';

/** The part of the code service that sends codes. */
interface CodeSender {
  send(request: { readonly channel: 'sms' | 'email' }): Promise<{ readonly ok: boolean }>;
}

/**
 * Counts every code that went out (`ok` results of `send`), on this instance: every service holding it
 * (passwords, phones, linking, email) is counted.
 */
export function observeCodes<C extends CodeSender>(codes: C, observer: Observer): C {
  const send = codes.send.bind(codes);
  codes.send = (async (request: Parameters<C['send']>[0]) => {
    const result = await send(request);
    if (result.ok) observer.codeSent(request.channel);
    return result;
  }) as C['send'];
  return codes;
}

/** The part of the account store that records security events. */
interface SecurityEvents {
  appendEvent(id: string, event: { readonly type: string }): Promise<void>;
}

/** Counts lock-outs as the services record them (`password.locked`: five wrong passwords). */
export function observeAccounts<A extends SecurityEvents>(accounts: A, observer: Observer): A {
  const append = accounts.appendEvent.bind(accounts);
  accounts.appendEvent = (async (id: string, event: { readonly type: string }) => {
    await append(id, event);
    if (event.type.endsWith('.locked')) observer.lockout(event.type.slice(0, -'.locked'.length));
  }) as A['appendEvent'];
  return accounts;
}

/** The support webhook's event queue: every handoff status change and escalation passes through it. */
interface SupportEvents {
  emit(type: string, data: Readonly<Record<string, unknown>>): Promise<unknown>;
}

/** Counts handoff status changes and escalations as the support desk announces them (with or without a URL). */
export function observeSupport<W extends SupportEvents>(webhook: W, observer: Observer): W {
  const emit = webhook.emit.bind(webhook);
  webhook.emit = ((type: string, data: Readonly<Record<string, unknown>>) => {
    if (type === 'handoff.status' && typeof data.status === 'string') observer.handoff(data.status);
    else if (type === 'escalation.opened') observer.escalation('opened');
    else if (type === 'escalation.resolved') observer.escalation('resolved');
    return emit(type, data);
  }) as W['emit'];
  return webhook;
}

/** Counts the Redis client's `error` events. */
export function observeRedis(
  redis: { on(event: 'error', listener: (error: Error) => void): unknown },
  observer: Observer,
): void {
  redis.on('error', () => observer.redisError());
}

/**
 * Recent security activity of an account, as catalog keys and times (rendered by the adapter in the
 * reader's language: "2 hours ago", or a local date), and the "this was not me" reaction: every signed-in
 * session is signed out.
 */

import type { Clock } from '../clock.ts';
import type { Channel } from '../core/conversation.ts';
import type { MessageKey, MessageParams, MessageRef } from '../core/messages.ts';
import type { ActivityView } from '../core/results.ts';
import type { SecurityEvent } from './account.ts';
import type { AccountStore } from './account-store.ts';

export const ACTIVITY_EVENTS_SHOWN = 10;

/** Events that come in bursts (codes, wrong tries): consecutive ones of the same kind are one line. */
const GROUPED: ReadonlySet<SecurityEvent['type']> = new Set([
  'code.sent',
  'code.failed',
  'password.wrong',
  'twofa.wrong',
  'twofa.replayRejected',
]);

/** What happened, with the masked destination of a code when it is known. */
function whatOf(event: SecurityEvent): MessageRef {
  const to = event.detail?.to;
  if (typeof to === 'string' && (event.type === 'code.sent' || event.type === 'code.failed')) {
    const key: MessageKey =
      event.type === 'code.sent' ? 'activity.event.code.sentTo' : 'activity.event.code.failedTo';
    return { key, params: { to } };
  }
  return { key: `activity.event.${event.type}` };
}

/**
 * One event (or a run of `count` alike) as a line: what happened, when and where. `now` makes recent
 * times read "3 minutes ago"; without it the time is a date. Automatic events name no place.
 */
export function describeEvent(event: SecurityEvent, now?: number, count = 1): MessageRef {
  const params: MessageParams = {
    when: now === undefined ? { at: event.at } : { at: event.at, now },
    what: whatOf(event),
    ...(event.channel === 'system' ? {} : { where: { key: `activity.where.${event.channel}` } }),
    ...(count > 1 ? { count } : {}),
  };
  const key: MessageKey =
    event.channel === 'system'
      ? count > 1
        ? 'activity.eventLineRepeatedNoPlace'
        : 'activity.eventLineNoPlace'
      : count > 1
        ? 'activity.eventLineRepeated'
        : 'activity.eventLine';
  return { key, params };
}

/** Newest first; consecutive events of a bursty kind with the same detail become one line with a count. */
function grouped(events: readonly SecurityEvent[], now: number): MessageRef[] {
  const lines: MessageRef[] = [];
  let index = 0;
  while (index < events.length) {
    const first = events[index] as SecurityEvent;
    let count = 1;
    while (GROUPED.has(first.type)) {
      const next = events[index + count];
      if (
        !next ||
        next.type !== first.type ||
        next.channel !== first.channel ||
        next.detail?.to !== first.detail?.to
      )
        break;
      count += 1;
    }
    lines.push(describeEvent(first, now, count));
    index += count;
  }
  return lines;
}

/**
 * Reads an account's recent activity, and signs every session out on request.
 *
 * @example
 * const view = await activity.recent(accountId); // view.events: { lines: [{ key: 'activity.eventLine', ... }] }
 */
export class ActivityService {
  constructor(private readonly deps: { readonly accounts: AccountStore; readonly clock: Clock }) {}

  /** The last 10 security events (newest first, bursts grouped) and the signed-in sessions (most recently seen first). */
  async recent(accountId: string): Promise<ActivityView> {
    const { accounts, clock } = this.deps;
    const now = clock.now();
    const account = await accounts.require(accountId);
    const events = await accounts.events(accountId, ACTIVITY_EVENTS_SHOWN);
    const sessions = [...account.sessions].sort((a, b) => b.lastSeenAt - a.lastSeenAt);
    return {
      eventCount: events.length,
      events: { lines: grouped(events, now) },
      sessionCount: sessions.length,
      sessions: {
        lines: sessions.map((session) => ({
          key: 'activity.sessionLine',
          params: { device: session.device, when: { at: session.lastSeenAt, now } },
        })),
      },
    };
  }

  /** Signs out every signed-in session of the account and records it. */
  async signOutEverywhere(accountId: string, channel: Channel): Promise<{ signedOut: number }> {
    const { accounts, clock } = this.deps;
    let signedOut = 0;
    const updated = await accounts.update(accountId, (account) => {
      signedOut = account.sessions.length;
      return { ...account, sessions: [] };
    });
    if (!updated) throw new Error('account not found');
    await accounts.appendEvent(accountId, {
      at: clock.now(),
      type: 'sessions.signedOut',
      channel,
      detail: { count: signedOut, reason: 'notMe' },
    });
    return { signedOut };
  }
}

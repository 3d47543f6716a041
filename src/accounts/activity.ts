/**
 * Recent security activity of an account, in plain language, and the "this was not me" reaction:
 * every signed-in session is signed out.
 */

import { type Locale, t } from '../catalog/catalog.ts';
import type { Clock } from '../clock.ts';
import type { Channel } from '../core/conversation.ts';
import type { ActivityView } from '../core/results.ts';
import type { SecurityEvent } from './account.ts';
import type { AccountStore } from './account-store.ts';

export const ACTIVITY_EVENTS_SHOWN = 10;

const WHEN = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZone: 'UTC',
});

/** `27 Nov 2026, 14:05 UTC`: an absolute time, because chat users sit in every time zone. */
export function formatWhen(ms: number, locale: Locale = 'en'): string {
  return t(locale, 'activity.when', { time: WHEN.format(ms) });
}

/** One event as a sentence: what happened, when, and where. */
export function describeEvent(event: SecurityEvent, locale: Locale = 'en'): string {
  return t(locale, 'activity.eventLine', {
    when: formatWhen(event.at, locale),
    what: t(locale, `activity.event.${event.type}`),
    where: t(locale, `activity.where.${event.channel}`),
  });
}

/**
 * Reads and renders an account's recent activity, and signs every session out on request.
 *
 * @example
 * const view = await activity.recent(accountId); // view.events: "• 27 Nov 2026, 14:05 UTC: ..."
 */
export class ActivityService {
  constructor(private readonly deps: { readonly accounts: AccountStore; readonly clock: Clock }) {}

  /** The last 10 security events (newest first) and the signed-in sessions (most recently seen first). */
  async recent(accountId: string, locale: Locale = 'en'): Promise<ActivityView> {
    const { accounts } = this.deps;
    const account = await accounts.require(accountId);
    const events = await accounts.events(accountId, ACTIVITY_EVENTS_SHOWN);
    const sessions = [...account.sessions].sort((a, b) => b.lastSeenAt - a.lastSeenAt);
    return {
      eventCount: events.length,
      events: events.map((event) => describeEvent(event, locale)).join('\n'),
      sessionCount: sessions.length,
      sessions: sessions
        .map((session) =>
          t(locale, 'activity.sessionLine', {
            device: session.device,
            when: formatWhen(session.lastSeenAt, locale),
          }),
        )
        .join('\n'),
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

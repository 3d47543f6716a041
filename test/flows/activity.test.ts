import { describe, expect, it } from 'vitest';
import type { SecurityEvent, SecurityEventType } from '../../src/accounts/account.ts';
import { describeEvent } from '../../src/accounts/activity.ts';
import { formatTime, t } from '../../src/catalog/catalog.ts';
import { createFlowHarness, keys } from '../helpers/flow-harness.ts';
import { replyWith } from '../helpers/two-factor.ts';

const MINUTE = 60_000;

describe('recent security activity (/activity)', () => {
  it('formats times in UTC, day first, and recent ones relative to now', () => {
    expect(formatTime('en', Date.UTC(2026, 10, 27, 14, 5))).toBe('27 Nov 2026, 14:05 UTC');
    expect(formatTime('en', Date.UTC(2026, 0, 3, 9, 7))).toBe('3 Jan 2026, 09:07 UTC');
    const now = Date.UTC(2026, 10, 27, 16, 5);
    expect(formatTime('en', Date.UTC(2026, 10, 27, 14, 5), now)).toBe('2 hours ago');
    expect(formatTime('en', Date.UTC(2026, 10, 27, 16, 2), now)).toBe('3 minutes ago');
    expect(formatTime('en', Date.UTC(2026, 10, 1, 16, 5), now)).toBe('1 Nov 2026, 16:05 UTC');
  });

  it('lists the security events, newest first, in plain language with when and where, and the signed-in devices', async () => {
    const h = await createFlowHarness();
    h.clock.set(Date.UTC(2026, 10, 27, 14, 5));
    const chat = h.chat();
    await chat.command('password');
    await chat.text('Wrong-Password-1');
    await chat.command('cancel');
    h.clock.advance(3 * MINUTE);
    await h.services.accounts.update(h.accountId, (account) => ({
      ...account,
      sessions: [
        { id: 's1', device: 'Firefox on Windows', createdAt: 0, lastSeenAt: Date.UTC(2026, 10, 26, 8, 0) },
        {
          id: 's2',
          device: 'lockstep app on Android',
          createdAt: 0,
          lastSeenAt: Date.UTC(2026, 10, 27, 14, 0),
        },
      ],
    }));

    const replies = await chat.command('activity');
    expect(keys(replies)).toEqual(['activity.events', 'activity.sessions', 'activity.ask']);
    // Lines are keys and times; the adapter renders them (recent times relative to now: 14:08).
    const events = replyWith(replies, 'activity.events');
    expect(t('en', events.key, events.params)).toBe(
      [
        'Here is what happened on your account recently, newest first:',
        '• 3 minutes ago: A wrong password was typed (console)',
        '• 1 Jan 2026, 12:00 UTC: Your account was created (by an administrator)',
      ].join('\n'),
    );
    const sessions = replyWith(replies, 'activity.sessions');
    expect(t('en', sessions.key, sessions.params)).toBe(
      [
        'You are signed in on these devices:',
        '• lockstep app on Android: last seen 8 minutes ago',
        '• Firefox on Windows: last seen yesterday',
      ].join('\n'),
    );
    expect(replyWith(replies, 'activity.ask')).toEqual({
      key: 'activity.ask',
      input: 'choice',
      choices: [
        { value: 'notMe', label: 'activity.choiceNotMe' },
        { value: 'support', label: 'support.choiceTalk' },
        { value: 'close', label: 'activity.choiceClose' },
      ],
    });
  });

  it('shows only the last 10 events', async () => {
    const h = await createFlowHarness();
    for (let i = 0; i < 12; i += 1) {
      h.clock.advance(MINUTE);
      await h.services.accounts.appendEvent(h.accountId, {
        at: h.clock.now(),
        type: i % 2 === 0 ? 'code.sent' : 'twofa.wrong',
        channel: i % 2 === 0 ? 'system' : 'telegram',
      });
    }
    const replies = await h.chat().command('activity');
    const events = replyWith(replies, 'activity.events');
    const lines = t('en', events.key, events.params).split('\n').slice(1);
    expect(lines).toHaveLength(10);
    expect(lines[0]).toBe('• now: A wrong authenticator or recovery code was typed (Telegram)');
    // An automatic event names no place (no "(automatic)").
    expect(lines[9]).toBe('• 9 minutes ago: A one-time code was sent to your phone or email');
  });

  it('names every kind of security event and every place in plain language', () => {
    // A Record over the union: adding an event type without listing it here fails the type check.
    const every: Record<SecurityEventType, true> = {
      'account.created': true,
      'password.changed': true,
      'password.wrong': true,
      'password.locked': true,
      'sessions.signedOut': true,
      'chat.linked': true,
      'chat.unlinked': true,
      'phone.changed': true,
      'email.changed': true,
      'twofa.enabled': true,
      'twofa.disabled': true,
      'twofa.recoveryRegenerated': true,
      'twofa.recoveryUsed': true,
      'twofa.replayRejected': true,
      'twofa.wrong': true,
      'code.sent': true,
      'code.failed': true,
      'support.handoff': true,
      'support.escalated': true,
    };
    const places: SecurityEvent['channel'][] = ['telegram', 'discord', 'console', 'admin', 'web', 'system'];
    const lines = new Set<string>();
    for (const type of Object.keys(every) as SecurityEventType[]) {
      for (const channel of places) {
        const event = describeEvent({ at: Date.UTC(2026, 10, 27, 14, 5), type, channel });
        const line = t('en', event.key, event.params);
        expect(line).toMatch(
          channel === 'system'
            ? /^• 27 Nov 2026, 14:05 UTC: [A-Z][^{}()]+$/
            : /^• 27 Nov 2026, 14:05 UTC: [A-Z][^{}]+ \([^{}]+\)$/,
        );
        lines.add(line);
      }
    }
    expect(lines.size).toBe(19 * places.length);
  });

  it('says so when there are no signed-in devices', async () => {
    const h = await createFlowHarness({ signedInSessions: 0 });
    expect(keys(await h.chat().command('activity'))).toEqual([
      'activity.events',
      'activity.noSessions',
      'activity.ask',
    ]);
  });

  it('"This was not me" signs out every device, records it and goes on to change the password', async () => {
    const h = await createFlowHarness({ signedInSessions: 3 });
    const chat = h.chat();
    await chat.command('activity');
    const replies = await chat.choose('notMe');
    expect(replies.map((r) => [r.key, r.params])).toEqual([
      ['activity.signedOut', { count: 3 }],
      ['password.askCurrent', undefined],
    ]);
    expect((await h.account()).sessions).toEqual([]);
    const [latest] = await h.services.accounts.events(h.accountId, 1);
    expect(latest).toMatchObject({ type: 'sessions.signedOut', channel: 'console', detail: { count: 3 } });
    const stored = JSON.parse((await chat.storedSession()) ?? '{}');
    expect(stored.flow.id).toBe('change-password');
    // The change-password flow runs on: the current password leads to the new-password step.
    expect(keys(await chat.text(h.password))).toEqual(['password.askNew']);
  });

  it('"This was not me", then /cancel at the password prompt: says the sign-out stays, never "nothing was changed"', async () => {
    const h = await createFlowHarness({ signedInSessions: 2 });
    const chat = h.chat();
    await chat.command('activity');
    expect(keys(await chat.choose('notMe'))).toEqual(['activity.signedOut', 'password.askCurrent']);
    expect(keys(await chat.command('cancel'))).toEqual(['common.cancelledAfterChange']);
    expect((await h.account()).sessions).toEqual([]);
    // A password change started on its own still says nothing was changed when stopped.
    await chat.command('password');
    expect(keys(await chat.command('cancel'))).toEqual(['common.cancelled']);
  });

  it('"This was not me", then the password task goes idle: the expiry notice says the sign-out stays', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('activity');
    await chat.choose('notMe');
    h.clock.advance(16 * 60_000);
    const replies = await chat.command('menu');
    expect(replies[0]?.key).toBe('common.expiredAfterChange');
  });

  it('"This was not me" leads to a password change that works even while the password step is locked', async () => {
    const h = await createFlowHarness();
    const intruder = h.chat('c-intruder');
    await intruder.command('password');
    for (let i = 1; i <= 5; i += 1) await intruder.text(`Wrong-Guess-${i}`);
    await intruder.command('cancel');

    const chat = h.chat();
    await chat.command('activity');
    const replies = await chat.choose('notMe');
    expect(replies.map((r) => [r.key, r.params])).toEqual([
      ['activity.signedOut', { count: 2 }],
      ['prove.lockedPickDestination', { minutes: 15 }],
    ]);
    expect(keys(await chat.choose('phone'))).toEqual(['codes.sent', 'codes.askCode']);
    expect(keys(await chat.text(h.delivery.lastCodeTo(h.phone)))).toEqual(['password.askNew']);
    expect(keys(await chat.text('Harbor-Kettle-73'))).toEqual(['password.askRepeat']);
    // Then the checkup offers itself (the account still has two-step verification off).
    expect(keys(await chat.text('Harbor-Kettle-73'))).toEqual(['password.changed', 'checkup.offer']);
    expect(await h.services.hasher.verify((await h.account()).passwordHash, 'Harbor-Kettle-73')).toBe(true);
  });

  it('"Close" ends the review and changes nothing', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('activity');
    expect(keys(await chat.choose('close'))).toEqual(['activity.closed']);
    expect(await chat.storedSession()).toBeNull();
    expect((await h.account()).sessions).toHaveLength(2);
  });

  it('accepts the choice typed as its label, and asks again for anything else', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('activity');
    expect(keys(await chat.text('what?'))).toEqual(['common.pickOne', 'activity.ask']);
    expect(keys(await chat.text('this was not me'))).toEqual(['activity.signedOut', 'password.askCurrent']);
  });

  it('is in the menu under "Recent security activity"', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    const [menu] = await chat.command('menu');
    expect(menu?.choices).toContainEqual({ value: 'menu:activity', label: 'menu.activity' });
    expect(keys(await chat.choose('menu:activity'))).toEqual([
      'activity.events',
      'activity.sessions',
      'activity.ask',
    ]);
  });
});

describe('activity lines a person can read', () => {
  it('groups a burst of alike events into one line with a count, and names the masked destination', async () => {
    const h = await createFlowHarness();
    for (let i = 0; i < 3; i += 1) {
      h.clock.advance(MINUTE);
      await h.services.accounts.appendEvent(h.accountId, {
        at: h.clock.now(),
        type: 'code.sent',
        channel: 'system',
        detail: { purpose: 'password-reset', via: 'phone', to: '+86 ••• 8000' },
      });
    }
    h.clock.advance(2 * 60 * MINUTE);
    const replies = await h.chat().command('activity');
    const events = replyWith(replies, 'activity.events');
    const lines = t('en', events.key, events.params).split('\n').slice(1);
    expect(lines[0]).toBe('• 2 hours ago: A one-time code was sent to +86 ••• 8000, 3 times');
    expect(lines).toHaveLength(2);
  });

  it("renders the same lines in another language with that language's relative times", async () => {
    const h = await createFlowHarness();
    h.clock.advance(90 * MINUTE);
    const replies = await h.chat().command('activity');
    const events = replyWith(replies, 'activity.events');
    expect(t('es', events.key, events.params)).not.toBe(t('en', events.key, events.params));
  });
});

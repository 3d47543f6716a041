import argon2 from 'argon2';
import { t } from '../../src/catalog/catalog.ts';
import { silentLogger } from '../../src/log.ts';
import { createServices } from '../../src/services.ts';
import { describe, expect, it } from 'vitest';
import { emit, setup } from 'xstate';
import { CHECKUP_ARGS, FINDING_ORDER, type FindingKind, PHONE_TIP_DONE } from '../../flows/checkup.ts';
import type { FlowDefinition, FlowEvent, FlowInput, FlowOutput, ReplyEvent } from '../../flows/ports.ts';
import type { Account } from '../../src/accounts/account.ts';
import { CheckupService, hashIsWeaker, passwordSetAt } from '../../src/accounts/checkup.ts';
import { OWASP_MINIMUM, PasswordHasher } from '../../src/accounts/password-hasher.ts';
import type { Reply } from '../../src/engine/reply.ts';
import {
  type ChatDriver,
  createFlowHarness,
  type FlowHarness,
  type HarnessOptions,
  keys,
} from '../helpers/flow-harness.ts';
import { authenticator, replyWith, shownKey, turnOnTwoFactor } from '../helpers/two-factor.ts';

/** A `{ day }` value (rendered at the edge in the reader's language) that falls on the UTC day `iso`. */
function onDay(iso: string) {
  return {
    day: {
      asymmetricMatch: (ms: unknown) =>
        typeof ms === 'number' && new Date(ms).toISOString().slice(0, 10) === iso,
      toString: () => `a time on ${iso}`,
    },
  };
}

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1, 12, 0, 0);

/** Two-step verification on with all 10 recovery codes: with a phone and an email, nothing to find. */
async function wellKept(h: FlowHarness, recoveryCodes = 10): Promise<void> {
  await h.services.accounts.update(h.accountId, (account) => ({
    ...account,
    twoFactor: {
      ...account.twoFactor,
      enabled: true,
      secretEnc: 'v1:fake:fake:fake',
      enabledAt: h.clock.now(),
      recoveryHashes: Array.from({ length: recoveryCodes }, (_, i) => `hash-${i}`),
    },
  }));
}

async function change(h: FlowHarness, edit: (account: Account) => Account): Promise<void> {
  await h.services.accounts.update(h.accountId, edit);
}

/** A hash of the harness password with settings below today's (4 MiB). */
async function weakHash(password: string): Promise<string> {
  return new PasswordHasher({ memoryCost: 4096, timeCost: 2, parallelism: 1 }).hash(password);
}

/** The finding lines of a checkup answer, as their kinds. */
function findingsOf(replies: readonly Reply[]): string[] {
  return replies
    .map((reply) => reply.key)
    .filter((key) => key.startsWith('checkup.finding.'))
    .map((key) => key.slice('checkup.finding.'.length));
}

function choicesOf(replies: readonly Reply[]): string[] {
  return (replyWith(replies, 'checkup.ask').choices ?? []).map((choice) => choice.value);
}

async function storedFlow(chat: ChatDriver): Promise<{ id?: string; returnTo?: string } | null> {
  const raw = await chat.storedSession();
  return raw === null ? null : (JSON.parse(raw).flow ?? null);
}

/** Each finding on its own, on an account that is otherwise well kept. */
const ALONE: ReadonlyArray<{
  kind: FindingKind;
  fix: string;
  harness?: HarnessOptions;
  arrange: (h: FlowHarness) => Promise<void>;
  params?: Record<string, unknown>;
}> = [
  {
    kind: 'failedAttempts',
    fix: 'activity',
    arrange: async (h) => {
      await wellKept(h);
      for (const type of ['password.wrong', 'twofa.wrong', 'twofa.replayRejected'] as const) {
        h.clock.advance(60_000);
        await h.services.accounts.appendEvent(h.accountId, { at: h.clock.now(), type, channel: 'telegram' });
      }
    },
    params: { count: 3, days: 30 },
  },
  { kind: 'noEmail', fix: 'change-email', harness: { email: null }, arrange: (h) => wellKept(h) },
  {
    kind: 'noPhone',
    fix: 'change-phone',
    arrange: async (h) => {
      await wellKept(h);
      await change(h, (account) => ({ ...account, phone: '' }));
    },
  },
  { kind: 'twoFactorOff', fix: '2fa', arrange: async () => undefined },
  { kind: 'fewRecoveryCodes', fix: 'recovery-codes', arrange: (h) => wellKept(h, 3), params: { left: 3 } },
  {
    kind: 'passwordOld',
    fix: 'change-password',
    arrange: async (h) => {
      await wellKept(h);
      await change(h, (account) => ({ ...account, passwordChangedAt: START - 400 * DAY }));
    },
    params: { since: onDay('2024-11-27') },
  },
  {
    kind: 'passwordBelowPolicy',
    fix: 'change-password',
    arrange: async (h) => {
      await wellKept(h);
      await change(h, (account) => ({ ...account, passwordBelowPolicy: true }));
    },
  },
  {
    kind: 'passwordWeakHash',
    fix: 'change-password',
    arrange: async (h) => {
      await wellKept(h);
      const hash = await weakHash(h.password);
      await change(h, (account) => ({ ...account, passwordHash: hash }));
    },
  },
  {
    kind: 'staleDevices',
    fix: 'activity',
    arrange: async (h) => {
      await wellKept(h);
      await change(h, (account) => ({
        ...account,
        sessions: [
          ...account.sessions,
          {
            id: 'old',
            device: 'Chrome on a laptop',
            createdAt: START - 200 * DAY,
            lastSeenAt: START - 91 * DAY,
          },
        ],
      }));
    },
    params: { count: 1, days: 90 },
  },
];

describe('the security checkup (/checkup)', () => {
  it('says in one line that all is good, and when a next checkup makes sense', async () => {
    const h = await createFlowHarness();
    await wellKept(h);
    const chat = h.chat();
    const replies = await chat.command('checkup');
    expect(replies).toEqual([{ key: 'checkup.allGood', params: { next: onDay('2026-04-01') } }]);
    expect(await chat.storedSession()).toBeNull();
  });

  it('suggests the next checkup sooner when the password turns a year old before that', async () => {
    const h = await createFlowHarness();
    await wellKept(h);
    await change(h, (account) => ({ ...account, passwordChangedAt: START - 335 * DAY }));
    expect(await h.chat().command('checkup')).toEqual([
      { key: 'checkup.allGood', params: { next: onDay('2026-01-31') } },
    ]);
  });

  for (const { kind, fix, harness, arrange, params } of ALONE) {
    it(`finds ${kind} alone, with a button that starts ${fix}`, async () => {
      const h = await createFlowHarness(harness);
      await arrange(h);
      const replies = await h.chat().command('checkup');
      expect(keys(replies)).toEqual(['checkup.found', `checkup.finding.${kind}`, 'checkup.ask']);
      expect(replyWith(replies, `checkup.finding.${kind}`).params).toEqual(params);
      expect(replyWith(replies, 'checkup.ask')).toMatchObject({
        input: 'choice',
        choices: [
          { value: `fix:${fix}`, label: expect.stringMatching(/^checkup\.fix\./) },
          { value: 'later', label: 'checkup.choiceLater' },
        ],
      });
    });
  }

  it('lists every finding together, worst first, with one button per fixing task', async () => {
    const h = await createFlowHarness({ email: null });
    const hash = await weakHash(h.password);
    await change(h, (account) => ({
      ...account,
      phone: '',
      passwordHash: hash,
      passwordChangedAt: START - 400 * DAY,
      passwordBelowPolicy: true,
      sessions: [{ id: 'old', device: 'web', createdAt: 0, lastSeenAt: START - 100 * DAY }],
    }));
    await h.services.accounts.appendEvent(h.accountId, {
      at: START - DAY,
      type: 'password.wrong',
      channel: 'web',
    });
    const replies = await h.chat().command('checkup');
    expect(replies[0]?.key).toBe('checkup.found');
    expect(findingsOf(replies)).toEqual([
      'failedAttempts',
      'noEmail',
      'noPhone',
      'twoFactorOff',
      'passwordBelowPolicy',
      'passwordOld',
      'passwordWeakHash',
      'staleDevices',
    ]);
    expect(choicesOf(replies)).toEqual([
      'fix:activity',
      'fix:change-email',
      'fix:change-phone',
      'fix:2fa',
      'fix:change-password',
      'later',
    ]);
    expect(replies.at(-1)?.key).toBe('checkup.ask');
  });

  it('puts few recovery codes where two-step verification off would be, and the order is FINDING_ORDER', async () => {
    const h = await createFlowHarness();
    await wellKept(h, 1);
    await change(h, (account) => ({
      ...account,
      passwordChangedAt: START - 366 * DAY,
      sessions: [{ id: 'old', device: 'web', createdAt: 0, lastSeenAt: START - 90 * DAY }],
    }));
    const replies = await h.chat().command('checkup');
    expect(findingsOf(replies)).toEqual(['fewRecoveryCodes', 'passwordOld', 'staleDevices']);
    const order = findingsOf(replies).map((kind) => FINDING_ORDER.indexOf(kind as FindingKind));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('holds its thresholds at the edges: 4 recovery codes, 364 days, 89 days, 31 days ago are fine', async () => {
    const h = await createFlowHarness();
    await wellKept(h, 4);
    await change(h, (account) => ({
      ...account,
      passwordChangedAt: START - 364 * DAY,
      sessions: [{ id: 's', device: 'web', createdAt: 0, lastSeenAt: START - 89 * DAY }],
    }));
    await h.services.accounts.appendEvent(h.accountId, {
      at: START - 31 * DAY,
      type: 'password.wrong',
      channel: 'web',
    });
    expect(keys(await h.chat().command('checkup'))).toEqual(['checkup.allGood']);
  });

  it('does not count wrong passwords typed before the password was last changed', async () => {
    const h = await createFlowHarness();
    await wellKept(h);
    await h.services.accounts.appendEvent(h.accountId, {
      at: START - DAY,
      type: 'password.wrong',
      channel: 'web',
    });
    await change(h, (account) => ({ ...account, passwordChangedAt: START - DAY + 1 }));
    expect(keys(await h.chat().command('checkup'))).toEqual(['checkup.allGood']);
  });

  it('takes its thresholds from options', async () => {
    const h = await createFlowHarness();
    await wellKept(h, 5);
    await change(h, (account) => ({
      ...account,
      passwordChangedAt: START - 40 * DAY,
      sessions: [{ id: 's', device: 'web', createdAt: 0, lastSeenAt: START - 10 * DAY }],
    }));
    const strict = new CheckupService({
      accounts: h.services.accounts,
      kv: h.kv,
      clock: h.clock,
      options: { passwordMaxAgeDays: 30, staleSessionDays: 7, fewRecoveryCodes: 5, recheckDays: 10 },
    });
    const review = await strict.review(h.accountId);
    expect(review.findings.map((f) => f.kind)).toEqual(['fewRecoveryCodes', 'passwordOld', 'staleDevices']);
    expect(review.findings.find((f) => f.kind === 'staleDevices')?.params).toEqual({ count: 1, days: 7 });
    expect((await h.services.checkup.review(h.accountId)).findings).toEqual([]);
    const next = (await h.services.checkup.review(h.accountId)).nextCheck;
    expect(new Date(next.day).toISOString().slice(0, 10)).toBe('2026-04-01');
    // Rendered at the edge, in the reader's language (not written out in English by the service).
    expect(t('en', 'checkup.allGood', { next })).toContain('1 Apr 2026');
    expect(t('zh-CN', 'checkup.allGood', { next })).toContain('2026年4月1日');
    expect(t('es', 'checkup.allGood', { next })).toContain('1 abr 2026');
    expect(t('ru', 'checkup.allGood', { next })).toContain('1 апр. 2026');
  });

  it('takes its thresholds from the services’ options (CHECKUP_*_DAYS in the configuration)', async () => {
    const h = await createFlowHarness();
    await wellKept(h);
    await change(h, (account) => ({ ...account, passwordChangedAt: START - 40 * DAY }));
    expect((await h.services.checkup.review(h.accountId)).findings.map((f) => f.kind)).toEqual([]);
    const strict = createServices({
      kv: h.kv,
      delivery: h.delivery,
      clock: h.clock,
      log: silentLogger,
      secretKey: 'checkup-thresholds-secret-key-0123456789',
      checkup: { passwordMaxAgeDays: 30 },
    });
    expect((await strict.checkup.review(h.accountId)).findings.map((f) => f.kind)).toEqual(['passwordOld']);
  });

  it('tells weaker hash settings from today’s by the parameters the hash encodes', async () => {
    const today = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };
    const made = (m: number, t: number, p: number, type: 'argon2id' | 'argon2i' = 'argon2id') =>
      `$${type}$v=19$m=${m},t=${t},p=${p}$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA`;
    expect(hashIsWeaker(made(19_456, 2, 1), today)).toBe(false);
    expect(hashIsWeaker(made(65_536, 3, 4), today)).toBe(false);
    expect(hashIsWeaker(made(4_096, 2, 1), today)).toBe(true);
    expect(hashIsWeaker(made(19_456, 1, 1), today)).toBe(true);
    expect(hashIsWeaker(made(19_456, 2, 1), { ...today, parallelism: 2 })).toBe(true);
    expect(hashIsWeaker(made(19_456, 2, 1, 'argon2i'), today)).toBe(true);
    expect(hashIsWeaker('$argon2id$v=16$m=19456,t=2,p=1$c2FsdA$aGFzaA', today)).toBe(true);
    expect(hashIsWeaker('not a hash', today)).toBe(true);
    // A real hash made today is not weaker; one made with 4 MiB is.
    expect(hashIsWeaker(await argon2.hash('x', { type: argon2.argon2id, ...OWASP_MINIMUM }), today)).toBe(
      false,
    );
    expect(hashIsWeaker(await weakHash('x'), today)).toBe(true);
  });

  it('dates the password by passwordChangedAt, else the latest change in the log, else the account’s creation', () => {
    const account = { createdAt: 100, passwordChangedAt: null } as unknown as Account;
    expect(passwordSetAt(account, [])).toBe(100);
    expect(
      passwordSetAt(account, [
        { at: 500, type: 'password.wrong', channel: 'web' },
        { at: 400, type: 'password.changed', channel: 'web' },
        { at: 300, type: 'password.changed', channel: 'web' },
      ]),
    ).toBe(400);
    expect(passwordSetAt({ ...account, passwordChangedAt: 700 }, [])).toBe(700);
  });

  it('is in the menu as "Security checkup"', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    const [menu] = await chat.command('menu');
    expect(menu?.choices).toContainEqual({ value: 'menu:checkup', label: 'menu.checkup' });
    expect(keys(await chat.choose('menu:checkup'))).toEqual([
      'checkup.found',
      'checkup.finding.twoFactorOff',
      'checkup.ask',
    ]);
  });

  it('asks again for anything but a button, and accepts a button typed as its label', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('checkup');
    expect(keys(await chat.text('what?'))).toEqual(['common.pickOne', 'checkup.ask']);
    // A button of another list (no email finding here) is not taken.
    expect(keys(await chat.choose('fix:change-email'))).toEqual(['common.staleChoice', 'checkup.ask']);
    expect(keys(await chat.text('turn on two-step verification'))).toEqual([
      'checkup.willReturn',
      'twofa.askPasswordOn',
    ]);
  });

  it('"Not now" ends it and changes nothing', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    const before = await h.account();
    await chat.command('checkup');
    expect(keys(await chat.choose('later'))).toEqual(['checkup.later']);
    expect(await chat.storedSession()).toBeNull();
    expect(await h.account()).toEqual(before);
  });
});

describe('fixing from the checkup', () => {
  const FIRST_PROMPT: Record<string, string> = {
    activity: 'activity.ask',
    'change-email': 'email.askPassword',
    'change-phone': 'phone.intro',
    '2fa': 'twofa.askPasswordOn',
    'recovery-codes': 'twofa.askPasswordRecovery',
    'change-password': 'password.askCurrent',
  };

  for (const { kind, fix, harness, arrange } of ALONE) {
    it(`the ${kind} button starts ${fix}, which hands back to the checkup`, async () => {
      const h = await createFlowHarness(harness);
      await arrange(h);
      const chat = h.chat();
      await chat.command('checkup');
      const replies = await chat.choose(`fix:${fix}`);
      expect(replies[0]?.key).toBe('checkup.willReturn');
      expect(keys(replies)).toContain(FIRST_PROMPT[fix]);
      expect(await storedFlow(chat)).toMatchObject({ id: fix, returnTo: 'checkup' });
    });
  }

  it('learns that a password today’s policy would refuse is in use only when it is typed as a proof, keeping only that answer', async () => {
    // "Password1": a letter and a digit, but among the most common passwords.
    const h = await createFlowHarness({ password: 'Password1' });
    const chat = h.chat();
    expect(findingsOf(await chat.command('checkup'))).toEqual(['twoFactorOff']);
    await chat.command('cancel');
    await chat.command('password');
    expect(keys(await chat.text('Password1'))).toEqual(['password.askNew']);
    await chat.command('cancel');
    expect((await h.account()).passwordBelowPolicy).toBe(true);
    expect(h.kv.writesContaining('Password1')).toEqual([]);
    expect(findingsOf(await chat.command('checkup'))).toEqual(['twoFactorOff', 'passwordBelowPolicy']);
    // Its fix: a new password (which passes the policy) clears it.
    const replies = await chat.choose('fix:change-password');
    expect(keys(replies)).toContain('password.askCurrent');
    expect(keys(await chat.text('Password1'))).toEqual(['password.askNew']);
    expect(keys(await chat.text('Harbor-Kettle-73'))).toEqual(['password.askRepeat']);
    const back = await chat.text('Harbor-Kettle-73');
    expect(keys(back)).toContain('password.changed');
    expect((await h.account()).passwordBelowPolicy).toBeUndefined();
  });

  it('forgets the finding when the password proven next passes today’s policy', async () => {
    const h = await createFlowHarness();
    await change(h, (account) => ({ ...account, passwordBelowPolicy: true }));
    const chat = h.chat();
    await chat.command('password');
    expect(keys(await chat.text(h.password))).toEqual(['password.askNew']);
    expect((await h.account()).passwordBelowPolicy).toBeUndefined();
  });

  it('turns on two-step verification end to end (a code from the shown key) and comes back: all good', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    expect(findingsOf(await chat.command('checkup'))).toEqual(['twoFactorOff']);
    expect(keys(await chat.choose('fix:2fa'))).toEqual(['checkup.willReturn', 'twofa.askPasswordOn']);
    const shown = await chat.text(h.password);
    const code = await authenticator(shownKey(shown), h.clock).code();
    expect(keys(await chat.text(code))).toEqual(['twofa.recoveryCodes', 'twofa.askSaved']);
    const back = await chat.choose('saved');
    expect(keys(back)).toEqual(['twofa.enabledDone', 'checkup.resumed', 'checkup.allGood']);
    expect(replyWith(back, 'checkup.allGood').params).toEqual({ next: onDay('2026-04-01') });
    expect((await h.account()).twoFactor.enabled).toBe(true);
    expect(await chat.storedSession()).toBeNull();
  });

  it('goes down the list in one sitting: a password change fixes both password findings, then the next one', async () => {
    const h = await createFlowHarness();
    const hash = await weakHash(h.password);
    await change(h, (account) => ({ ...account, passwordHash: hash, passwordChangedAt: START - 500 * DAY }));
    const chat = h.chat();
    expect(findingsOf(await chat.command('checkup'))).toEqual([
      'twoFactorOff',
      'passwordOld',
      'passwordWeakHash',
    ]);
    await chat.choose('fix:change-password');
    await chat.text(h.password);
    await chat.text('Brand-New-Pass-42');
    const back = await chat.text('Brand-New-Pass-42');
    expect(keys(back)).toEqual([
      'password.changed',
      'checkup.resumed',
      'checkup.remaining',
      'checkup.finding.twoFactorOff',
      'checkup.ask',
    ]);
    expect(choicesOf(back)).toEqual(['fix:2fa', 'later']);
    // Then 2FA, end to end: the list is done.
    await chat.choose('fix:2fa');
    const shown = await chat.text('Brand-New-Pass-42');
    await chat.text(await authenticator(shownKey(shown), h.clock).code());
    expect(keys(await chat.choose('saved'))).toEqual([
      'twofa.enabledDone',
      'checkup.resumed',
      'checkup.allGood',
    ]);
  });

  it('does not offer a fix again in the same sitting when the task ended without fixing it', async () => {
    const h = await createFlowHarness();
    await change(h, (account) => ({
      ...account,
      sessions: [{ id: 'old', device: 'web', createdAt: 0, lastSeenAt: START - 100 * DAY }],
    }));
    const chat = h.chat();
    expect(findingsOf(await chat.command('checkup'))).toEqual(['twoFactorOff', 'staleDevices']);
    await chat.choose('fix:activity');
    // "Close": the user knows these devices. The checkup goes on with what is left.
    const back = await chat.choose('close');
    expect(keys(back)).toEqual([
      'activity.closed',
      'checkup.resumed',
      'checkup.remaining',
      'checkup.finding.twoFactorOff',
      'checkup.ask',
    ]);
    // "Not now" ends the sitting; a new /checkup starts from the top again.
    expect(keys(await chat.choose('later'))).toEqual(['checkup.later']);
    expect(findingsOf(await chat.command('checkup'))).toEqual(['twoFactorOff', 'staleDevices']);
  });

  it('says the list is done but not everything is fixed when the only findings left were opened already', async () => {
    const h = await createFlowHarness();
    await wellKept(h);
    await change(h, (account) => ({
      ...account,
      sessions: [{ id: 'old', device: 'web', createdAt: 0, lastSeenAt: START - 100 * DAY }],
    }));
    const chat = h.chat();
    await chat.command('checkup');
    await chat.choose('fix:activity');
    expect(keys(await chat.choose('close'))).toEqual([
      'activity.closed',
      'checkup.resumed',
      'checkup.endOfList',
    ]);
    expect(await chat.storedSession()).toBeNull();
    // The sitting is over: a new checkup shows the finding again.
    expect(findingsOf(await chat.command('checkup'))).toEqual(['staleDevices']);
  });

  it('ends everything on /cancel inside a fix: the checkup does not come back', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('checkup');
    await chat.choose('fix:2fa');
    expect(keys(await chat.command('cancel'))).toEqual(['common.cancelled']);
    expect(await chat.storedSession()).toBeNull();
    expect(keys(await chat.text('hello'))).toEqual(['common.notUnderstood']);
  });

  it('new recovery codes from the checkup, end to end, and back', async () => {
    const h = await createFlowHarness();
    const { secret } = await turnOnTwoFactor(h);
    await change(h, (account) => ({
      ...account,
      twoFactor: { ...account.twoFactor, recoveryHashes: account.twoFactor.recoveryHashes.slice(0, 2) },
    }));
    const chat = h.chat();
    const found = await chat.command('checkup');
    expect(findingsOf(found)).toEqual(['fewRecoveryCodes']);
    expect(replyWith(found, 'checkup.finding.fewRecoveryCodes').params).toEqual({ left: 2 });
    await chat.choose('fix:recovery-codes');
    await chat.text(h.password);
    const shown = await chat.text(await authenticator(secret, h.clock).code());
    expect(keys(shown)).toContain('twofa.newCodes');
    const back = await chat.choose('saved');
    expect(keys(back).slice(-2)).toEqual(['checkup.resumed', 'checkup.allGood']);
  });

  it('keeps nothing but the ids of the tasks opened, and forgets them after an hour', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('checkup');
    await chat.choose('fix:2fa');
    expect(await h.services.checkup.visited(h.accountId, chat.ref)).toEqual(['2fa']);
    h.clock.advance(61 * 60_000);
    expect(await h.services.checkup.visited(h.accountId, chat.ref)).toBeNull();
  });
});

/** A flow that ends at once, handing on to the checkup with `args` (what /link, /2fa and /phone will do). */
function handsOnFlow(id: string, output: FlowOutput): FlowDefinition {
  const machine = setup({
    types: {
      input: {} as FlowInput,
      events: {} as FlowEvent,
      emitted: {} as ReplyEvent,
      output: {} as FlowOutput,
    },
  }).createMachine({
    id,
    initial: 'done',
    output,
    states: { done: { type: 'final', entry: emit({ type: 'reply', key: 'link.done' } as const) } },
  });
  return {
    id,
    version: 1,
    command: id,
    title: 'link.title',
    audience: 'linked',
    privateOnly: true,
    machine,
  };
}

describe('the checkup offered by other tasks', () => {
  const offering = (options: HarnessOptions = {}) =>
    createFlowHarness({
      ...options,
      extraFlows: () => [
        handsOnFlow('offers', { next: 'checkup', nextArgs: CHECKUP_ARGS.offer }),
        handsOnFlow('returns', { next: 'unlink-account', returnTo: 'checkup' }),
        handsOnFlow('phoneish', { next: 'checkup', nextArgs: CHECKUP_ARGS.beforePhone }),
      ],
    });

  it('offers the checkup after a task when there is something to find, and shows the list on "Show me"', async () => {
    const h = await offering();
    const chat = h.chat();
    const replies = await chat.command('offers');
    expect(keys(replies)).toEqual(['link.done', 'checkup.offer']);
    expect(replyWith(replies, 'checkup.offer').choices?.map((c) => c.value)).toEqual(['show', 'later']);
    expect(keys(await chat.choose('show'))).toEqual([
      'checkup.found',
      'checkup.finding.twoFactorOff',
      'checkup.ask',
    ]);
    expect(keys(await chat.choose('fix:2fa'))).toEqual(['checkup.willReturn', 'twofa.askPasswordOn']);
  });

  it('says nothing more after a task when all is good', async () => {
    const h = await offering();
    await wellKept(h);
    const chat = h.chat();
    expect(keys(await chat.command('offers'))).toEqual(['link.done']);
    expect(await chat.storedSession()).toBeNull();
  });

  it('"Not now" on the offer changes nothing', async () => {
    const h = await offering();
    const chat = h.chat();
    await chat.command('offers');
    expect(keys(await chat.choose('later'))).toEqual(['checkup.later']);
    expect(await chat.storedSession()).toBeNull();
  });

  it('inside a sitting, an offer goes on with the checkup instead', async () => {
    const h = await offering();
    await change(h, (account) => ({ ...account, email: null }));
    const chat = h.chat();
    await chat.command('checkup');
    await h.services.checkup.visit(h.accountId, chat.ref, '2fa');
    await chat.command('cancel');
    expect(keys(await chat.command('offers'))).toEqual([
      'link.done',
      'checkup.resumed',
      'checkup.remaining',
      'checkup.finding.noEmail',
      'checkup.ask',
    ]);
  });

  it('a task handed back to the checkup without a sitting ("This was not me", then the password) gets the offer', async () => {
    const h = await offering();
    const chat = h.chat();
    await chat.command('returns');
    expect(keys(await chat.choose('no'))).toEqual(['unlink.kept', 'checkup.offer']);
  });

  it('before /phone without an email: the tip, and "Add an email first" starts the email task, then the phone task', async () => {
    const h = await offering({ email: null });
    const chat = h.chat();
    const replies = await chat.command('phoneish');
    expect(keys(replies)).toEqual(['link.done', 'checkup.phoneTip']);
    expect(replyWith(replies, 'checkup.phoneTip').choices?.map((c) => c.value)).toEqual(['email', 'phone']);
    const email = await chat.choose('email');
    expect(keys(email)).toContain('email.askPassword');
    expect(await storedFlow(chat)).toMatchObject({ id: 'change-email', returnTo: 'change-phone' });
  });

  it('before /phone without an email, "Change the phone number now" goes on to the phone task', async () => {
    const h = await offering({ email: null });
    const chat = h.chat();
    await chat.command('phoneish');
    expect(keys(await chat.choose('phone'))).toContain('phone.intro');
    expect(await storedFlow(chat)).toMatchObject({ id: 'change-phone' });
  });

  it('before /phone with an email: straight on to the phone task, no tip', async () => {
    const h = await offering();
    const chat = h.chat();
    const replies = await chat.command('phoneish');
    expect(keys(replies)).not.toContain('checkup.phoneTip');
    expect(keys(replies)).toContain('phone.intro');
    expect(PHONE_TIP_DONE).toBe('email-checked');
  });
});

/** The offers inside the real tasks: after /link, after enabling 2FA, after "This was not me", before /phone. */
describe('the checkup offered by the real tasks (link, 2FA, activity, phone)', () => {
  it('after /link succeeds', async () => {
    const h = await createFlowHarness();
    const chat = h.chat('chat-u2', { userId: 'u2' });
    await chat.command('link');
    await chat.text(h.phone);
    const linked = await chat.text(h.delivery.lastCodeTo(h.phone));
    expect(keys(linked)).toEqual(['link.done', 'checkup.offer']);
    expect(keys(await chat.choose('show'))).toEqual([
      'checkup.found',
      'checkup.finding.twoFactorOff',
      'checkup.ask',
    ]);
  });

  it('after "This was not me", once the password is changed', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('activity');
    expect(keys(await chat.choose('notMe'))).toEqual(['activity.signedOut', 'password.askCurrent']);
    await chat.text(h.password);
    await chat.text('Brand-New-Pass-42');
    expect(keys(await chat.text('Brand-New-Pass-42'))).toEqual(['password.changed', 'checkup.offer']);
  });

  it('after enabling 2FA: an offer when something is left, nothing when all is good', async () => {
    const h = await createFlowHarness({ email: null });
    const chat = h.chat();
    await chat.command('2fa');
    const shown = await chat.text(h.password);
    await chat.text(await authenticator(shownKey(shown), h.clock).code());
    expect(keys(await chat.choose('saved'))).toEqual(['twofa.enabledDone', 'checkup.offer']);

    const clean = await createFlowHarness();
    const other = clean.chat();
    await other.command('2fa');
    const key = shownKey(await other.text(clean.password));
    await other.text(await authenticator(key, clean.clock).code());
    expect(keys(await other.choose('saved'))).toEqual(['twofa.enabledDone']);
  });

  it('2FA turned on from the checkup goes on with the checkup (no second offer)', async () => {
    const h = await createFlowHarness({ email: null });
    const chat = h.chat();
    await chat.command('checkup');
    await chat.choose('fix:2fa');
    const shown = await chat.text(h.password);
    await chat.text(await authenticator(shownKey(shown), h.clock).code());
    expect(keys(await chat.choose('saved'))).toEqual([
      'twofa.enabledDone',
      'checkup.resumed',
      'checkup.remaining',
      'checkup.finding.noEmail',
      'checkup.ask',
    ]);
  });

  it('/phone without an email shows the tip first; "Add an email first" runs the email task, then the phone task', async () => {
    const h = await createFlowHarness({ email: null });
    const chat = h.chat();
    expect(keys(await chat.command('phone'))).toEqual(['checkup.phoneTip']);
    expect(keys(await chat.choose('email'))).toContain('email.askPassword');
    expect(await storedFlow(chat)).toMatchObject({ id: 'change-email', returnTo: 'change-phone' });
    await chat.command('cancel');
    expect(keys(await chat.command('phone'))).toEqual(['checkup.phoneTip']);
    expect(keys(await chat.choose('phone'))).toContain('phone.intro');
    expect(await storedFlow(chat)).toMatchObject({ id: 'change-phone' });
  });

  it('/phone with an email goes straight on', async () => {
    const h = await createFlowHarness();
    const replies = await h.chat().command('phone');
    expect(keys(replies)).not.toContain('checkup.phoneTip');
    expect(keys(replies)).toContain('phone.intro');
  });
});

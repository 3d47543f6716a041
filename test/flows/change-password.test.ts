/**
 * The change-password flow end to end: the real Engine, real services (argon2 included) on an in-memory
 * store with a manual clock, and a recording SMS/email provider. Every step goes through the engine, which
 * persists the settled snapshot as JSON and restores it for the next message.
 */
import {
  type AdjacencyMap,
  type AdjacencyValue,
  getAdjacencyMap,
  getShortestPaths,
  type StatePath,
} from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import {
  type AnyEventObject,
  type AnyStateMachine,
  createActor,
  fromPromise,
  type SnapshotFrom,
} from 'xstate';
import { changePasswordMachine } from '../../flows/change-password.ts';
import {
  type AccountSummary,
  AWAITING_INPUT,
  type FlowEvent,
  type FlowInput,
  type ReplyEvent,
  type SecondFactorResult,
} from '../../flows/ports.ts';
import { MAX_WRONG_PASSWORDS, PASSWORD_LOCK_MS } from '../../src/accounts/password-service.ts';
import { isMessageKey, t } from '../../src/catalog/catalog.ts';
import {
  CODE_TTL_MS,
  HOURLY_CAP,
  MAX_WRONG_TRIES,
  RESEND_COOLDOWN_MS,
} from '../../src/codes/code-service.ts';
import type { SecondFactorChecker } from '../../src/services.ts';
import { type ChatDriver, createFlowHarness, type FlowHarness, keys } from '../helpers/flow-harness.ts';

const NEW_PASSWORD = 'Harbor-Kettle-73';
const MINUTE = 60_000;

/** The form fields of the secret prompts. */
const PASSWORD_FIELD = { label: 'field.password', maxLength: 128 };
const NEW_FIELD = { label: 'field.newPassword', maxLength: 128, repeatsNext: true };
const REPEAT_FIELD = { label: 'field.newPassword', maxLength: 128 };
const CODE_FIELD = { label: 'field.code', maxLength: 32 };
const APP_CODE_FIELD = { label: 'field.appCode', maxLength: 32 };
const FORGOT = { value: 'forgot', label: 'prove.choiceForgot' };
/** The destination choice when the account has a phone and an email. */
const DESTINATIONS = [
  { value: 'phone', label: 'codes.choicePhone', params: { to: '+86 138****8000' } },
  { value: 'email', label: 'codes.choiceEmail', params: { to: 'a***@example.com' } },
  { value: 'noAccess', label: 'prove.choiceNoAccess' },
];

/** Another 6-digit code than `code`. */
function wrongCode(code: string, offset = 1): string {
  return String((Number(code) + offset) % 1_000_000).padStart(6, '0');
}

async function verifies(h: FlowHarness, password: string): Promise<boolean> {
  return h.services.hasher.verify((await h.account()).passwordHash, password);
}

/** /password, then the current password: ends at the new-password prompt (no 2FA). */
async function proveWithPassword(h: FlowHarness, chat: ChatDriver): Promise<void> {
  expect(keys(await chat.command('password'))).toEqual(['password.askCurrent']);
  expect(keys(await chat.text(h.password))).toEqual(['password.askNew']);
}

/** /password, "I forgot", a code by `via`: ends at the code prompt; returns the code that was sent. */
async function requestCode(
  h: FlowHarness,
  chat: ChatDriver,
  via: 'phone' | 'email' = 'phone',
): Promise<string> {
  expect(keys(await chat.command('password'))).toEqual(['password.askCurrent']);
  expect(keys(await chat.choose('forgot'))).toEqual(['prove.pickDestination']);
  expect(keys(await chat.choose(via))).toEqual(['codes.sent', 'codes.askCode']);
  return h.delivery.lastCodeTo(via === 'phone' ? h.phone : (h.email ?? ''));
}

async function setNewPassword(chat: ChatDriver, password = NEW_PASSWORD) {
  expect(keys(await chat.text(password))).toEqual(['password.askRepeat']);
  return chat.text(password);
}

async function expectUnchanged(h: FlowHarness): Promise<void> {
  const account = await h.account();
  expect(await verifies(h, h.password)).toBe(true);
  expect(account.sessions).toHaveLength(2);
  expect(account.passwordChangedAt).toBeNull();
  expect((await h.services.accounts.events(h.accountId)).map((e) => e.type)).not.toContain(
    'password.changed',
  );
  expect(h.delivery.sent.filter((m) => m.text === t('en', 'password.noticeSms'))).toEqual([]);
}

describe('change password: with the current password', () => {
  it('changes the password, signs every session out, records the events and notifies phone and email', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();

    expect(await chat.command('password')).toEqual([
      {
        key: 'password.askCurrent',
        input: 'secret',
        field: PASSWORD_FIELD,
        choices: [FORGOT],
      },
    ]);
    expect(await chat.text(h.password)).toEqual([
      { key: 'password.askNew', input: 'secret', field: NEW_FIELD },
    ]);
    expect(await chat.text(NEW_PASSWORD)).toEqual([
      { key: 'password.askRepeat', input: 'secret', field: REPEAT_FIELD },
    ]);
    expect(await chat.text(NEW_PASSWORD)).toEqual([{ key: 'password.changed', params: { signedOut: 2 } }]);

    const account = await h.account();
    expect(await verifies(h, NEW_PASSWORD)).toBe(true);
    expect(await verifies(h, h.password)).toBe(false);
    expect(account.passwordHash.startsWith('$argon2id$')).toBe(true);
    expect(account.sessions).toEqual([]);
    expect(account.passwordChangedAt).toBe(h.clock.now());

    const events = await h.services.accounts.events(h.accountId, 2);
    expect(events).toEqual([
      { at: h.clock.now(), type: 'sessions.signedOut', channel: 'console', detail: { count: 2 } },
      { at: h.clock.now(), type: 'password.changed', channel: 'console' },
    ]);

    expect(h.delivery.sent).toEqual([
      { channel: 'sms', to: h.phone, text: t('en', 'password.noticeSms') },
      {
        channel: 'email',
        to: h.email,
        subject: t('en', 'password.noticeEmailSubject'),
        text: t('en', 'password.noticeEmailText'),
      },
    ]);

    // The flow is over: nothing is left in the chat's session.
    expect(await chat.storedSession()).toBeNull();
  });

  it('sends the notice only by SMS when the account has no email', async () => {
    const h = await createFlowHarness({ email: null });
    const chat = h.chat();
    await proveWithPassword(h, chat);
    expect(keys(await setNewPassword(chat))).toEqual(['password.changedNoEmail']);
    expect(h.delivery.sent.map((m) => [m.channel, m.to])).toEqual([['sms', h.phone]]);
  });

  it('still changes the password when a notice cannot be delivered', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await proveWithPassword(h, chat);
    expect(keys(await chat.text(NEW_PASSWORD))).toEqual(['password.askRepeat']);
    h.delivery.failNext();
    expect(keys(await chat.text(NEW_PASSWORD))).toEqual(['password.changed']);
    expect(await verifies(h, NEW_PASSWORD)).toBe(true);
    expect(h.delivery.sent.map((m) => m.channel)).toEqual(['email']);
  });

  it('asks again after a wrong current password, counting the tries down', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('password');
    expect(await chat.text('Not-My-Password-1')).toEqual([
      { key: 'prove.wrongPassword', params: { remaining: 4 } },
      {
        key: 'prove.askPasswordAgain',
        input: 'secret',
        field: PASSWORD_FIELD,
        choices: [FORGOT],
      },
    ]);
    expect(keys(await chat.text(h.password))).toEqual(['password.askNew']);
    expect((await h.services.accounts.events(h.accountId, 1))[0]?.type).toBe('password.wrong');
  });

  it('asks for the new password again when the repeat does not match', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await proveWithPassword(h, chat);
    expect(keys(await chat.text(NEW_PASSWORD))).toEqual(['password.askRepeat']);
    expect(keys(await chat.text(`${NEW_PASSWORD}x`))).toEqual(['password.mismatch', 'password.askNewAgain']);
    await expectUnchanged(h);
    expect(keys(await setNewPassword(chat, 'Second-Choice-88'))).toEqual(['password.changed']);
    expect(await verifies(h, 'Second-Choice-88')).toBe(true);
    expect(await verifies(h, NEW_PASSWORD)).toBe(false);
  });
});

describe('change password: the policy, rule by rule', () => {
  const rejected: Array<[string, string]> = [
    ['policy.tooShort', 'Tulip47'],
    ['policy.tooLong', `Zq7${'x'.repeat(126)}`],
    ['policy.noLetter', '93847561'],
    ['policy.noDigit', 'Sunflower-Lantern'],
    ['policy.common', 'password1'],
    ['policy.containsPhone', 'Call13800138000'],
    ['policy.containsEmail', 'alice2026!'],
  ];

  it.each(rejected)('rejects with %s, asks again, then accepts a good password', async (key, candidate) => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await proveWithPassword(h, chat);
    expect(await chat.text(candidate)).toEqual([
      { key },
      { key: 'password.askNewAgain', input: 'secret', field: NEW_FIELD },
    ]);
    await expectUnchanged(h);
    expect(keys(await setNewPassword(chat))).toEqual(['password.changed']);
  });

  it('rejects the current password as the new one with policy.sameAsCurrent', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await proveWithPassword(h, chat);
    expect(keys(await chat.text(h.password))).toEqual(['policy.sameAsCurrent', 'password.askNewAgain']);
    expect(keys(await setNewPassword(chat))).toEqual(['password.changed']);
  });

  it('keeps rejecting one rule after another until a password passes them all', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await proveWithPassword(h, chat);
    for (const [key, candidate] of rejected) {
      expect(keys(await chat.text(candidate))).toEqual([key, 'password.askNewAgain']);
    }
    expect(keys(await setNewPassword(chat))).toEqual(['password.changed']);
  });
});

describe('change password: forgot the current password', () => {
  it('proves identity with a code sent by SMS', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('password');
    expect(await chat.choose('forgot')).toEqual([
      {
        key: 'prove.pickDestination',
        input: 'choice',
        choices: DESTINATIONS,
      },
    ]);
    expect(await chat.choose('phone')).toEqual([
      { key: 'codes.sent', params: { to: '+86 138****8000' } },
      {
        key: 'codes.askCode',
        params: { to: '+86 138****8000' },
        input: 'secret',
        field: CODE_FIELD,
        choices: [{ value: 'resend', label: 'codes.choiceResend' }],
      },
    ]);
    const [sms] = h.delivery.to(h.phone);
    expect(sms?.channel).toBe('sms');
    expect(keys(await chat.text(h.delivery.lastCodeTo(h.phone)))).toEqual(['password.askNew']);
    expect(keys(await setNewPassword(chat))).toEqual(['password.changed']);
    expect(await verifies(h, NEW_PASSWORD)).toBe(true);
    const types = (await h.services.accounts.events(h.accountId)).map((e) => e.type);
    expect(types).toContain('code.sent');
  });

  it('proves identity with a code sent by email', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    const code = await requestCode(h, chat, 'email');
    expect(h.delivery.to(h.email ?? '')[0]).toMatchObject({
      channel: 'email',
      subject: 'Your lockstep code',
    });
    expect(h.delivery.to(h.phone)).toEqual([]);
    expect(keys(await chat.text(code))).toEqual(['password.askNew']);
    expect(keys(await setNewPassword(chat))).toEqual(['password.changed']);
  });

  it('offers only the phone when the account has no email, and refuses an email pick', async () => {
    const h = await createFlowHarness({ email: null });
    const chat = h.chat();
    await chat.command('password');
    const [pick] = await chat.choose('forgot');
    expect(pick?.choices?.map((c) => c.value)).toEqual(['phone', 'noAccess']);
    expect(keys(await chat.choose('email'))).toEqual(['common.staleChoice', 'prove.pickDestination']);
    expect(h.delivery.sent).toEqual([]);
  });

  it('asks again after a wrong code, and the right code still works', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    const code = await requestCode(h, chat);
    expect(await chat.text(wrongCode(code))).toEqual([
      { key: 'codes.wrong', params: { remaining: MAX_WRONG_TRIES - 1 } },
      expect.objectContaining({ key: 'codes.askCode' }),
    ]);
    expect(keys(await chat.text(code))).toEqual(['password.askNew']);
  });

  it('answers a malformed code with the format hint and charges no try for it', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    const code = await requestCode(h, chat);
    expect(keys(await chat.text('12 34'))).toEqual(['codes.format', 'codes.askCode']);
    expect(keys(await chat.text('my code'))).toEqual(['codes.format', 'codes.askCode']);
    expect(await chat.text(wrongCode(code))).toContainEqual({
      key: 'codes.wrong',
      params: { remaining: MAX_WRONG_TRIES - 1 },
    });
  });

  it('refuses a resend within the cool-down, keeps the code valid, and resends after it', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    const first = await requestCode(h, chat);
    h.clock.advance(15_000);
    expect(await chat.choose('resend')).toEqual([
      { key: 'codes.cooldown', params: { seconds: 45 } },
      expect.objectContaining({ key: 'codes.askCode' }),
    ]);
    expect(h.delivery.codesTo(h.phone)).toEqual([first]);

    h.clock.advance(RESEND_COOLDOWN_MS);
    expect(keys(await chat.choose('resend'))).toEqual(['codes.sent', 'codes.askCode']);
    const second = h.delivery.lastCodeTo(h.phone);
    expect(h.delivery.codesTo(h.phone)).toHaveLength(2);
    if (second !== first) {
      expect(keys(await chat.text(first))).toEqual(['codes.wrong', 'codes.askCode']);
    }
    expect(keys(await chat.text(second))).toEqual(['password.askNew']);
  });

  it('goes back to the destination choice when the code has expired, and a new code works', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    const code = await requestCode(h, chat);
    h.clock.advance(CODE_TTL_MS + 1);
    expect(keys(await chat.text(code))).toEqual(['codes.expired', 'prove.pickDestination']);
    expect(keys(await chat.choose('phone'))).toEqual(['codes.sent', 'codes.askCode']);
    expect(keys(await chat.text(h.delivery.lastCodeTo(h.phone)))).toEqual(['password.askNew']);
  });

  it('kills the code after 5 wrong tries and goes back to the destination choice', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    const code = await requestCode(h, chat);
    for (let i = 1; i < MAX_WRONG_TRIES; i += 1) {
      expect(await chat.text(wrongCode(code, i))).toContainEqual({
        key: 'codes.wrong',
        params: { remaining: MAX_WRONG_TRIES - i },
      });
    }
    expect(keys(await chat.text(wrongCode(code, 99)))).toEqual(['codes.exhausted', 'prove.pickDestination']);
    await expectUnchanged(h);
    h.clock.advance(RESEND_COOLDOWN_MS);
    expect(keys(await chat.choose('phone'))).toEqual(['codes.sent', 'codes.askCode']);
    const fresh = h.delivery.lastCodeTo(h.phone);
    expect(keys(await chat.text(fresh))).toEqual(['password.askNew']);
  });

  it('goes back to the destination choice when the provider refuses the code', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('password');
    await chat.choose('forgot');
    h.delivery.failNext();
    expect(keys(await chat.choose('phone'))).toEqual(['codes.deliveryFailed', 'prove.pickDestination']);
    expect(keys(await chat.choose('email'))).toEqual(['codes.sent', 'codes.askCode']);
  });

  it(`stops sending after ${HOURLY_CAP} codes to one destination in an hour`, async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await requestCode(h, chat);
    for (let i = 1; i < HOURLY_CAP; i += 1) {
      h.clock.advance(RESEND_COOLDOWN_MS);
      expect(keys(await chat.choose('resend'))).toEqual(['codes.sent', 'codes.askCode']);
    }
    h.clock.advance(RESEND_COOLDOWN_MS);
    expect(keys(await chat.choose('resend'))).toEqual(['codes.hourlyCap', 'prove.pickDestination']);
    expect(h.delivery.codesTo(h.phone)).toHaveLength(HOURLY_CAP);
    // Email is another destination, with its own cap.
    expect(keys(await chat.choose('email'))).toEqual(['codes.sent', 'codes.askCode']);
  });

  it('does not accept the code of this flow for a code of another purpose', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    const code = await requestCode(h, chat);
    expect(await h.services.codes.check(h.accountId, 'phone-new', h.phone, code)).toEqual({
      ok: false,
      reason: 'missing',
    });
    expect(keys(await chat.text(code))).toEqual(['password.askNew']);
  });
});

describe('change password: re-authentication', () => {
  it('asks to prove identity again when the proof is older than 5 minutes at the last step', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await proveWithPassword(h, chat);
    h.clock.advance(3 * MINUTE);
    expect(keys(await chat.text(NEW_PASSWORD))).toEqual(['password.askRepeat']);
    h.clock.advance(2 * MINUTE + 1);
    expect(keys(await chat.text(NEW_PASSWORD))).toEqual(['password.reauthExpired', 'prove.askPassword']);
    await expectUnchanged(h);

    // Proving again leads straight back to the new password (asked the second time in its short form).
    expect(keys(await chat.text(h.password))).toEqual(['password.askNewAgain']);
    expect(keys(await setNewPassword(chat))).toEqual(['password.changed']);
    expect(await verifies(h, NEW_PASSWORD)).toBe(true);
  });

  it('accepts a proof that is exactly 5 minutes old', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await proveWithPassword(h, chat);
    h.clock.advance(4 * MINUTE);
    expect(keys(await chat.text(NEW_PASSWORD))).toEqual(['password.askRepeat']);
    h.clock.advance(MINUTE);
    expect(keys(await chat.text(NEW_PASSWORD))).toEqual(['password.changed']);
  });

  it('applies the same rule after a code proof', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    const code = await requestCode(h, chat);
    expect(keys(await chat.text(code))).toEqual(['password.askNew']);
    h.clock.advance(6 * MINUTE);
    expect(keys(await setNewPassword(chat))).toEqual(['password.reauthExpired', 'prove.askPassword']);
    await expectUnchanged(h);
  });
});

describe('change password: lock-out after 5 wrong current passwords', () => {
  async function lockOut(chat: ChatDriver) {
    await chat.command('password');
    for (let i = 1; i < MAX_WRONG_PASSWORDS; i += 1) {
      expect(await chat.text(`Wrong-Guess-${i}`)).toContainEqual({
        key: 'prove.wrongPassword',
        params: { remaining: MAX_WRONG_PASSWORDS - i },
      });
    }
    return chat.text('Wrong-Guess-5');
  }

  /** The question after a lock-out: how long it lasts, and a code instead. */
  const lockedFor = (minutes: number) => ({
    key: 'prove.lockedPickDestination',
    params: { minutes },
    input: 'choice',
    choices: DESTINATIONS,
  });

  it('says on the 5th wrong password how long the password step is locked, offers a code instead, and changes nothing', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    expect(await lockOut(chat)).toEqual([lockedFor(15)]);
    // The password is not asked any more: the right password now is no answer to the question.
    expect(keys(await chat.text(h.password))).toEqual(['common.pickOne', 'prove.lockedPickDestination']);
    await expectUnchanged(h);
    const types = (await h.services.accounts.events(h.accountId)).map((e) => e.type);
    expect(types.filter((t) => t === 'password.wrong')).toHaveLength(5);
    expect(types[0]).toBe('password.locked');
    // Not a dead end: a code still proves it is you.
    expect(keys(await chat.choose('phone'))).toEqual(['codes.sent', 'codes.askCode']);
    expect(keys(await chat.text(h.delivery.lastCodeTo(h.phone)))).toEqual(['password.askNew']);
    expect(keys(await setNewPassword(chat))).toEqual(['password.changed']);
    expect(await verifies(h, NEW_PASSWORD)).toBe(true);
  });

  it('locks the password step in other chats and other processes too, for 15 minutes', async () => {
    const h = await createFlowHarness();
    await lockOut(h.chat('c1'));

    const otherChat = h.chat('c2');
    expect(await otherChat.command('password')).toEqual([lockedFor(15)]);

    const otherProcess = h.anotherProcess();
    h.clock.advance(5 * MINUTE);
    expect(await h.chat('c3', { engine: otherProcess.engine }).command('password')).toEqual([lockedFor(10)]);
    expect(
      await otherProcess.services.passwords.checkCurrent(h.accountId, h.password, 'console'),
    ).toMatchObject({
      ok: false,
      reason: 'locked',
    });

    h.clock.advance(PASSWORD_LOCK_MS - 5 * MINUTE);
    // That chat is still at the lock's question; started again, the task asks for the password.
    expect(keys(await otherChat.command('cancel'))).toEqual(['common.cancelled']);
    expect(keys(await otherChat.command('password'))).toEqual(['password.askCurrent']);
    expect(keys(await otherChat.text(h.password))).toEqual(['password.askNew']);
  });

  it('counts wrong passwords from every chat of the account together', async () => {
    const h = await createFlowHarness();
    const first = h.chat('c1');
    await first.command('password');
    for (let i = 1; i <= 3; i += 1) await first.text(`Wrong-Guess-${i}`);
    expect(keys(await first.command('cancel'))).toEqual(['common.cancelled']);

    const second = h.chat('c2');
    await second.command('password');
    expect(await second.text('Wrong-Guess-4')).toContainEqual({
      key: 'prove.wrongPassword',
      params: { remaining: 1 },
    });
    expect(await second.text('Wrong-Guess-5')).toEqual([lockedFor(15)]);
  });

  it('forgives earlier wrong passwords after a right one', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('password');
    for (let i = 1; i <= 4; i += 1) await chat.text(`Wrong-Guess-${i}`);
    expect(keys(await chat.text(h.password))).toEqual(['password.askNew']);
    await chat.command('cancel');
    await chat.command('password');
    expect(await chat.text('Wrong-Guess-5')).toContainEqual({
      key: 'prove.wrongPassword',
      params: { remaining: 4 },
    });
  });
});

describe('change password: second factor', () => {
  function fakeSecondFactor(outcomes: Record<string, SecondFactorResult>) {
    const calls: Array<{ accountId: string; code: string; channel: string }> = [];
    const checker: SecondFactorChecker = {
      async check(accountId, code, channel) {
        calls.push({ accountId, code, channel });
        return outcomes[code] ?? { ok: false, reason: 'format' };
      },
    };
    return { checker, calls };
  }

  const outcomes: Record<string, SecondFactorResult> = {
    '111111': { ok: false, reason: 'wrong', remaining: 4 },
    '222222': { ok: false, reason: 'replay' },
    '333333': { ok: true, method: 'totp' },
    '999999': { ok: false, reason: 'tooMany' },
  };

  it('asks for the second factor after the password and handles wrong, replayed and malformed codes', async () => {
    const fake = fakeSecondFactor(outcomes);
    const h = await createFlowHarness({ twoFactor: true, secondFactor: fake.checker });
    const chat = h.chat();
    await chat.command('password');
    expect(await chat.text(h.password)).toEqual([
      {
        key: 'twofa.askCode',
        input: 'secret',
        field: APP_CODE_FIELD,
        choices: [{ value: 'support', label: 'support.choiceLostApp' }],
      },
    ]);
    expect(await chat.text('111111')).toEqual([
      { key: 'twofa.wrong', params: { remaining: 4 }, input: 'secret', field: APP_CODE_FIELD },
      {
        key: 'twofa.askCode',
        input: 'secret',
        field: APP_CODE_FIELD,
        choices: [{ value: 'support', label: 'support.choiceLostApp' }],
      },
    ]);
    expect(keys(await chat.text('222222'))).toEqual(['twofa.replay', 'twofa.askCode']);
    expect(keys(await chat.text('not a code'))).toEqual(['twofa.format', 'twofa.askCode']);
    await expectUnchanged(h);
    expect(keys(await chat.text('333333'))).toEqual(['password.askNew']);
    expect(keys(await setNewPassword(chat))).toEqual(['password.changed']);
    expect(fake.calls).toEqual(
      ['111111', '222222', 'not a code', '333333'].map((code) => ({
        accountId: h.accountId,
        code,
        channel: 'console',
      })),
    );
  });

  it('asks for the second factor after a code proof too', async () => {
    const fake = fakeSecondFactor(outcomes);
    const h = await createFlowHarness({ twoFactor: true, secondFactor: fake.checker });
    const chat = h.chat();
    const code = await requestCode(h, chat);
    expect(keys(await chat.text(code))).toEqual(['twofa.askCode']);
    expect(keys(await chat.text('333333'))).toEqual(['password.askNew']);
  });

  it('ends the flow without a change after too many wrong second-factor codes', async () => {
    const fake = fakeSecondFactor(outcomes);
    const h = await createFlowHarness({ twoFactor: true, secondFactor: fake.checker });
    const chat = h.chat();
    await chat.command('password');
    await chat.text(h.password);
    expect(await chat.text('999999')).toEqual([
      { key: 'twofa.tooMany', input: 'choice', choices: [{ value: 'support', label: 'support.choiceTalk' }] },
    ]);
    expect(await chat.storedSession()).toBeNull();
    await expectUnchanged(h);
  });

  it('does not ask for a second factor when the account has none', async () => {
    const fake = fakeSecondFactor(outcomes);
    const h = await createFlowHarness({ secondFactor: fake.checker });
    await proveWithPassword(h, h.chat());
    expect(fake.calls).toEqual([]);
  });

  it('counts the second factor as the latest proof for the 5-minute rule', async () => {
    const fake = fakeSecondFactor(outcomes);
    const h = await createFlowHarness({ twoFactor: true, secondFactor: fake.checker });
    const chat = h.chat();
    await chat.command('password');
    await chat.text(h.password);
    h.clock.advance(4 * MINUTE);
    expect(keys(await chat.text('333333'))).toEqual(['password.askNew']);
    h.clock.advance(4 * MINUTE);
    expect(keys(await setNewPassword(chat))).toEqual(['password.changed']);
  });
});

describe('change password: cancelling and leaving', () => {
  it('changes nothing when cancelled right before the last step', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await proveWithPassword(h, chat);
    expect(keys(await chat.text(NEW_PASSWORD))).toEqual(['password.askRepeat']);
    expect(await chat.command('cancel')).toEqual([{ key: 'common.cancelled' }]);
    expect(await chat.storedSession()).toBeNull();
    await expectUnchanged(h);
    // The typed new password is not waiting anywhere: typing it again is just a stray message.
    expect(keys(await chat.text(NEW_PASSWORD))).toEqual(['common.notUnderstood']);
    await expectUnchanged(h);
  });

  it('starts from the beginning after a cancel', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await requestCode(h, chat);
    await chat.command('cancel');
    expect(keys(await chat.command('password'))).toEqual(['password.askCurrent']);
  });

  it('repeats the current question when /password is sent in the middle of the flow', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await proveWithPassword(h, chat);
    expect(keys(await chat.command('password'))).toEqual(['password.askNew']);
  });

  it('ends the flow after 15 minutes without an answer and tells the user', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await proveWithPassword(h, chat);
    h.clock.advance(15 * MINUTE + 1);
    expect(keys(await chat.text(NEW_PASSWORD))).toEqual(['common.expired', 'common.notUnderstood']);
    await expectUnchanged(h);
  });

  it('refuses to start for a chat that is not linked to an account', async () => {
    const h = await createFlowHarness();
    const stranger = h.chat('c9', { userId: 'someone-else' });
    const [reply, ...rest] = await stranger.command('password');
    expect(['common.needLink', 'common.needLinkNoFlow']).toContain(reply?.key);
    expect(rest).toEqual([]);
    expect(await stranger.storedSession()).toBeNull();
  });
});

describe('change password: nothing secret is ever stored', () => {
  it('keeps the new password hash on the server for this task only, never in the session, and drops it after the change', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await proveWithPassword(h, chat);
    expect(keys(await chat.text(NEW_PASSWORD))).toEqual(['password.askRepeat']);
    const session = (await chat.storedSession()) ?? '';
    expect(session).not.toContain('$argon2');
    const { taskId } = JSON.parse(session).flow as { taskId: string };
    const pendingKey = h.services.pendingPasswords.key(h.accountId, taskId);
    const pending = (await h.kv.get(pendingKey)) ?? '';
    expect(pending.startsWith('$argon2id$')).toBe(true);
    expect(await h.services.hasher.verify(pending, NEW_PASSWORD)).toBe(true);
    expect(await h.kv.ttl(pendingKey)).toBeLessThanOrEqual(15 * MINUTE);
    // No session write ever held a hash.
    const sessionKey = h.services.sessions.sessionKey(chat.ref);
    expect(h.kv.writes.filter((w) => w.key === sessionKey && w.value.includes('$argon2'))).toEqual([]);

    expect(keys(await chat.text(NEW_PASSWORD))).toEqual(['password.changed']);
    expect(await h.kv.get(pendingKey)).toBeNull();
    expect(h.kv.writes.filter((w) => w.key === sessionKey && w.value.includes('$argon2'))).toEqual([]);
  });

  it('drops the waiting hash when the repeat does not match', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await proveWithPassword(h, chat);
    await chat.text(NEW_PASSWORD);
    const { taskId } = JSON.parse((await chat.storedSession()) ?? '{}').flow as { taskId: string };
    expect(keys(await chat.text('Other-Password-99'))).toEqual(['password.mismatch', 'password.askNewAgain']);
    expect(await h.kv.get(h.services.pendingPasswords.key(h.accountId, taskId))).toBeNull();
  });

  it('never writes a typed password or code into the store, at any step', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    // A 6-digit code counts only as a whole number: timestamps are longer runs of digits.
    const pattern = (typed: string) =>
      /^\d{6}$/.test(typed) ? new RegExp(`(?<!\\d)${typed}(?!\\d)`) : typed;
    const step = async (action: Promise<unknown>) => {
      await action;
      const stored = (await chat.storedSession()) ?? '';
      const held = h.typed.filter((typed) => {
        const p = pattern(typed);
        return typeof p === 'string' ? stored.includes(p) : p.test(stored);
      });
      expect(held).toEqual([]);
    };

    await step(chat.command('password'));
    await step(chat.text('Wrong-Guess-1'));
    await step(chat.choose('forgot'));
    await step(chat.choose('phone'));
    const code = h.delivery.lastCodeTo(h.phone);
    await step(chat.text(wrongCode(code)));
    await step(chat.text('12 34'));
    await step(chat.text(code));
    await step(chat.text('Tulip47'));
    await step(chat.text('password1'));
    await step(chat.text(NEW_PASSWORD));
    // Mid-flow the session holds a prompt and a snapshot, but none of the typed secrets.
    expect(await chat.storedSession()).not.toBeNull();
    await step(chat.text('Harbor-Kettle-74'));
    await step(chat.text(NEW_PASSWORD));
    await step(chat.text(NEW_PASSWORD));
    expect(await verifies(h, NEW_PASSWORD)).toBe(true);

    // And no write to any key, at any time, held one.
    for (const typed of h.typed) expect(h.kv.writesContaining(pattern(typed)), typed).toEqual([]);
  });
});

describe('change password: model-based paths over the machine', () => {
  /*
   * The machine's own graph, explored with @xstate/graph: every user event a state accepts and every
   * outcome each named effect can have (including an infrastructure error). The proof is one effect here
   * (the prove-identity step, with a model of its own in prove-identity.test.ts). Each edge of that graph
   * is then replayed on a real actor whose effects are scripted fakes (`.provide()`), persisting the
   * settled snapshot through JSON and restoring it before every user message, as the engine does.
   */
  const machine = changePasswordMachine;
  const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
  const typedSecrets = { fresh: 'Typed-New-Pw-77' };
  const summary: AccountSummary = {
    phoneMasked: '+86 138****8000',
    emailMasked: 'a***@example.com',
    twoFactor: false,
    passwordLockedMs: 0,
  };
  const input: FlowInput = {
    accountId: 'acc_000000000001',
    chat: { channel: 'console', chatId: 'c1' },
    userId: 'u1',
    at: T0,
    args: '',
    taskId: 'task_1',
  };

  const invocation = (state: string): { id: string; src: string } => {
    const invoke = machine.states[state]?.invoke[0];
    if (!invoke) throw new Error(`${state} invokes nothing`);
    return { id: invoke.id, src: String(invoke.src) };
  };
  const invokingStates = Object.keys(machine.states).filter(
    (s) => (machine.states[s]?.invoke.length ?? 0) > 0,
  );

  const outcomes: Record<string, readonly unknown[]> = {
    proving: [
      { ok: true, via: { first: 'password', second: null }, summary },
      { ok: true, via: { first: 'phone', second: 'totp' }, summary: { ...summary, emailMasked: null } },
      ...(['tooMany', 'needsSupport', 'noWay', 'error'] as const).map((reason) => ({ ok: false, reason })),
      { ok: false, reason: 'locked', minutes: 15 },
    ],
    checkingNew: [
      { ok: true },
      ...(
        [
          'tooShort',
          'tooLong',
          'noLetter',
          'noDigit',
          'common',
          'containsPhone',
          'containsEmail',
          'containsAccountId',
          'sameAsCurrent',
        ] as const
      ).map((reason) => ({ ok: false, reason })),
    ],
    checkingRepeat: [true, false],
    committing: [
      { ok: true, signedOut: 2 },
      { ok: false, reason: 'reauth' },
      { ok: false, reason: 'noPending' },
    ],
  };

  const userEvents: Record<string, readonly FlowEvent[]> = {
    askNew: [{ type: 'user.text', text: typedSecrets.fresh, at: T0 }],
    askRepeat: [{ type: 'user.text', text: typedSecrets.fresh, at: T0 }],
  };

  type ModelEvent = AnyEventObject;
  type Snap = SnapshotFrom<typeof machine>;

  const events = (snapshot: Snap): ModelEvent[] => {
    const state = String(snapshot.value);
    if (state in outcomes) {
      const { id } = invocation(state);
      return [
        ...(outcomes[state] ?? []).map((output) => ({ type: `xstate.done.actor.${id}`, output })),
        { type: `xstate.error.actor.${id}`, error: new Error('the store is down') },
      ];
    }
    return [...(userEvents[state] ?? [])];
  };

  /** What decides the future of a state: its value and the few facts of context the guards read. */
  const serializeState = (snapshot: Snap): string => {
    const c = snapshot.context;
    return JSON.stringify({
      value: snapshot.value,
      email: c.summary?.emailMasked != null,
      reproving: c.reproving,
      askedNew: c.askedNew,
      ended: c.ended,
    });
  };

  // biome-ignore lint/suspicious/noExplicitAny: the graph's events include the machine's internal done events
  const options = { events, input, serializeState } as any;
  const paths = getShortestPaths(machine, options) as Array<StatePath<Snap, ModelEvent>>;
  const adjacency = getAdjacencyMap(machine as AnyStateMachine, options) as AdjacencyMap<Snap, ModelEvent>;
  const pathTo = new Map(paths.map((path) => [serializeState(path.state), path]));
  const edges = (Object.entries(adjacency) as Array<[string, AdjacencyValue<Snap, ModelEvent>]>).flatMap(
    ([from, node]) =>
      (Object.values(node.transitions) as Array<{ event: ModelEvent; state: Snap }>).map((edge) => ({
        from,
        event: edge.event,
        to: edge.state,
      })),
  );

  interface Replay {
    readonly final: Snap;
    readonly persisted: string[];
    readonly replies: Array<{ step: number; reply: ReplyEvent }>;
    readonly settledPrompts: Array<{ step: number; state: string }>;
    /** The effects invoked, in order, with what each returned (or `error`). */
    readonly calls: Array<{ src: string; output: unknown }>;
  }

  /** Replays model events on a real actor with scripted effects and a JSON round trip between messages. */
  async function replay(steps: readonly ModelEvent[]): Promise<Replay> {
    const script = steps.filter(
      (e) => e.type.startsWith('xstate.done.actor.') || e.type.startsWith('xstate.error.actor.'),
    );
    const user = steps.filter((e) => e.type.startsWith('user.')) as FlowEvent[];
    const calls: Replay['calls'] = [];
    let blocked = false;
    const scripted = (src: string) =>
      fromPromise<unknown, unknown>(async () => {
        const next = script.shift();
        if (!next) {
          blocked = true;
          return new Promise(() => {});
        }
        const state = invokingStates.find((s) => next.type.endsWith(`.${invocation(s).id}`));
        expect(state && invocation(state).src).toBe(src);
        const failed = next.type.startsWith('xstate.error.actor.');
        calls.push({ src, output: failed ? 'error' : next.output });
        if (failed) throw next.error;
        return next.output;
      });
    const provided = machine.provide({
      actors: {
        proveIdentity: scripted('proveIdentity'),
        checkNewPassword: scripted('checkNewPassword'),
        confirmNewPassword: scripted('confirmNewPassword'),
        commitPassword: scripted('commitPassword'),
      } as never,
    });
    const replies: Replay['replies'] = [];
    const persisted: string[] = [];
    const settledPrompts: Replay['settledPrompts'] = [];
    let step = 0;
    const run = async (start: { snapshot: unknown } | { input: FlowInput }, event: FlowEvent | null) => {
      const actor =
        'snapshot' in start
          ? createActor(provided, { snapshot: start.snapshot as Snap, input })
          : createActor(provided, { input: start.input });
      actor.on('reply', (reply) => replies.push({ step, reply }));
      actor.start();
      if (event) actor.send(event);
      for (let tick = 0; tick < 100; tick += 1) {
        const s = actor.getSnapshot();
        if (s.status !== 'active' || s.hasTag(AWAITING_INPUT) || blocked) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      const settled = actor.getSnapshot();
      if (settled.status === 'active' && settled.hasTag(AWAITING_INPUT))
        settledPrompts.push({ step, state: String(settled.value) });
      const json = JSON.stringify(actor.getPersistedSnapshot());
      actor.stop();
      persisted.push(json);
      return { settled, json };
    };
    let { settled, json } = await run({ input }, null);
    for (const event of user) {
      step += 1;
      ({ settled, json } = await run({ snapshot: JSON.parse(json) }, event));
    }
    return { final: settled, persisted, replies, settledPrompts, calls };
  }

  type Edge = (typeof edges)[number];
  const replays = new Map<Edge, Promise<Replay>>();
  /** The shortest path to the edge's source, then the edge; replayed once and shared by the tests below. */
  const replayEdge = (edge: Edge): Promise<Replay> => {
    let replayed = replays.get(edge);
    if (!replayed) {
      const head = pathTo.get(edge.from);
      if (!head) throw new Error(`no path to ${edge.from}`);
      replayed = replay([...head.steps.map((s) => s.event), edge.event]);
      replays.set(edge, replayed);
    }
    return replayed;
  };
  const label = (edge: Edge) => `${edge.from} --${edge.event.type}-->`;

  it('reaches every state of the machine', () => {
    const reached = new Set(paths.map((path) => String(path.state.value)));
    expect([...reached].sort()).toEqual(Object.keys(machine.states).sort());
    expect(edges.length).toBeGreaterThan(40);
  });

  it('behaves the same with a JSON round trip before every message, along every edge', async () => {
    for (const edge of edges) {
      const { final } = await replayEdge(edge);
      expect(serializeState(final), label(edge)).toBe(serializeState(edge.to));
    }
  });

  it('asks a question with an input mode whenever it waits for the user, and every secret prompt has a field', async () => {
    for (const edge of edges) {
      const { replies, settledPrompts } = await replayEdge(edge);
      for (const { step } of settledPrompts) {
        const said = replies.filter((r) => r.step === step).map((r) => r.reply);
        // A step that changed nothing says nothing (the engine answers it); any other ends with a prompt.
        if (said.length > 0) expect(said.at(-1)?.input, label(edge)).toBeDefined();
      }
      for (const { reply } of replies) {
        expect(isMessageKey(reply.key), reply.key).toBe(true);
        if (reply.input === 'secret' || reply.input === 'text') {
          expect(reply.field, `${label(edge)} ${reply.key}`).toBeDefined();
          expect(isMessageKey(reply.field?.label ?? ''), reply.key).toBe(true);
        }
      }
    }
  });

  it('never persists a typed secret, a hash or an effect in flight, along every edge', async () => {
    for (const edge of edges) {
      const { persisted, final } = await replayEdge(edge);
      const settledJson =
        final.status === 'active' && !final.hasTag(AWAITING_INPUT) ? persisted.slice(0, -1) : persisted;
      for (const json of settledJson) {
        for (const secret of Object.values(typedSecrets)) expect(json).not.toContain(secret);
        expect(json).not.toContain('$argon2');
        const children = (JSON.parse(json) as { children?: Record<string, unknown> }).children ?? {};
        expect(Object.keys(children), label(edge)).toEqual([]);
      }
    }
  });

  it('commits only right after a repeat that matched, applies at most once, and asks for the proof again after a refused commit', async () => {
    let committed = 0;
    let refused = 0;
    for (const edge of edges) {
      const { calls } = await replayEdge(edge);
      const commits = calls.flatMap((call, i) => (call.src === 'commitPassword' ? [i] : []));
      const applied = commits.filter((i) => (calls[i]?.output as { ok?: boolean } | undefined)?.ok === true);
      expect(applied.length, label(edge)).toBeLessThanOrEqual(1);
      for (const i of commits) {
        expect(calls[i - 1], label(edge)).toEqual({ src: 'confirmNewPassword', output: true });
        // Nothing runs after an applied change.
        if (applied.includes(i)) expect(calls.slice(i + 1), label(edge)).toEqual([]);
        // A refused commit (stale proof) is followed by a new proof before anything else.
        const output = calls[i]?.output as { reason?: string } | undefined;
        if (output?.reason === 'reauth' && calls[i + 1]) {
          expect(calls[i + 1]?.src, label(edge)).toBe('proveIdentity');
          refused += 1;
        }
      }
      committed += applied.length;
    }
    expect(committed).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});

/**
 * The change-phone flow end to end: the real Engine and services on an in-memory store with a manual clock,
 * a recording SMS/email provider, and a fake second-factor checker where 2FA matters.
 */
import { describe, expect, it } from 'vitest';
import { FIELD_MAX, REAUTH_MAX_AGE_MS, type Reply, type SecondFactorResult } from '../../flows/ports.ts';
import { NEW_NUMBERS_PER_HOUR } from '../../src/accounts/phone-service.ts';
import { t } from '../../src/catalog/catalog.ts';
import { CODE_TTL_MS, MAX_WRONG_TRIES } from '../../src/codes/code-service.ts';
import { createEngine, createFlows } from '../../src/composition/engine.ts';
import { NO_OBSERVER } from '../../src/core/observer.ts';
import { Engine, type EscalationRequest } from '../../src/engine/engine.ts';
import { silentLogger } from '../../src/log.ts';
import type { SecondFactorChecker } from '../../src/services.ts';
import { type ChatDriver, createFlowHarness, type FlowHarness, keys } from '../helpers/flow-harness.ts';

const MINUTE = 60_000;
const NEW_PHONE = '+8613900139000';
const NEW_PHONE_SHOWN = '+86 139 0013 9000';
const OTHER_ACCOUNT_PHONE = '+8613700137000';
const CODE_FIELD = { label: 'field.code', maxLength: FIELD_MAX.code };
const PHONE_FIELD = { label: 'field.phone', maxLength: FIELD_MAX.phone };

function wrongCode(code: string, offset = 1): string {
  return String((Number(code) + offset) % 1_000_000).padStart(6, '0');
}

function fakeSecondFactor(): SecondFactorChecker & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async check(accountId, code): Promise<SecondFactorResult> {
      calls.push(accountId);
      if (code === '111111') return { ok: true, method: 'totp' };
      if (code === '999999') return { ok: false, reason: 'tooMany' };
      return { ok: false, reason: 'wrong', remaining: 3 };
    },
  };
}

/** /phone, a code to the current number, typed: ends at the new-number prompt (no 2FA). */
/** `/phone`; without an email on the account the checkup's tip comes first, and "Change the phone number now" goes on. */
async function startPhone(h: FlowHarness, chat: ChatDriver): Promise<Reply[]> {
  const replies = await chat.command('phone');
  if ((await h.account()).email !== null) return replies;
  expect(keys(replies)).toEqual(['checkup.phoneTip']);
  return chat.choose('phone');
}

async function proveWithOldPhone(h: FlowHarness, chat: ChatDriver): Promise<void> {
  expect(keys(await startPhone(h, chat))).toEqual(['phone.intro']);
  expect(keys(await chat.choose('phone'))).toEqual(['codes.sent', 'codes.askCode']);
  expect(keys(await chat.text(h.delivery.lastCodeTo(h.phone)))).toEqual(['phone.askNew']);
}

async function createOtherAccount(h: FlowHarness, phone = OTHER_ACCOUNT_PHONE) {
  const created = await h.services.accounts.create({
    phone,
    email: 'bob@example.net',
    passwordHash: 'x',
    now: h.clock.now(),
  });
  if (!created.ok) throw new Error(created.reason);
  return created.account;
}

async function expectUnchanged(h: FlowHarness): Promise<void> {
  expect((await h.account()).phone).toBe(h.phone);
  expect((await h.services.accounts.findByPhone(h.phone))?.id).toBe(h.accountId);
  expect((await h.services.accounts.events(h.accountId)).map((e) => e.type)).not.toContain('phone.changed');
}

describe('change phone: the whole way', () => {
  it('swaps the number, moves the phone index, records the event and notifies the old number and the email', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();

    expect(await chat.command('phone')).toEqual([
      {
        key: 'phone.intro',
        params: { phone: '+86 138****8000', email: 'a***@example.com' },
        input: 'choice',
        choices: [
          { value: 'phone', label: 'codes.choicePhone', params: { to: '+86 138****8000' } },
          { value: 'email', label: 'codes.choiceEmail', params: { to: 'a***@example.com' } },
          { value: 'noAccess', label: 'prove.choiceNoAccess' },
        ],
      },
    ]);
    expect(await chat.choose('phone')).toEqual([
      { key: 'codes.sent', params: { to: '+86 138****8000' } },
      {
        key: 'codes.askCode',
        params: { to: '+86 138****8000' },
        input: 'secret',
        field: CODE_FIELD,
        choices: [
          { value: 'resend', label: 'codes.choiceResend' },
          { value: 'other', label: 'prove.choiceOtherWay' },
        ],
      },
    ]);
    const oldCode = h.delivery.lastCodeTo(h.phone);
    expect(await chat.text(oldCode)).toEqual([{ key: 'phone.askNew', input: 'text', field: PHONE_FIELD }]);
    expect(await chat.text('+86 139-0013-9000')).toEqual([
      { key: 'phone.newCodeSent', params: { to: NEW_PHONE_SHOWN } },
      {
        key: 'phone.askNewCode',
        params: { to: NEW_PHONE_SHOWN },
        input: 'secret',
        field: CODE_FIELD,
        choices: [
          { value: 'resend', label: 'codes.choiceResend' },
          { value: 'other', label: 'phone.choiceOtherNumber' },
        ],
      },
    ]);
    // Nothing has changed before the last step.
    await expectUnchanged(h);
    const [newCodeMessage] = h.delivery.to(NEW_PHONE);
    expect(newCodeMessage?.text).toContain('your code to make this the phone number of your account is');
    const sentBefore = h.delivery.sent.length;

    expect(await chat.text(h.delivery.lastCodeTo(NEW_PHONE))).toEqual([
      { key: 'phone.changed', params: { phone: NEW_PHONE_SHOWN } },
    ]);
    expect((await h.account()).phone).toBe(NEW_PHONE);
    expect(await h.services.accounts.findByPhone(h.phone)).toBeNull();
    expect((await h.services.accounts.findByPhone(NEW_PHONE))?.id).toBe(h.accountId);
    expect((await h.services.accounts.events(h.accountId))[0]).toMatchObject({
      type: 'phone.changed',
      channel: 'console',
      detail: { from: '+86 138****8000', to: '+86 139****9000' },
    });
    const notices = h.delivery.sent.slice(sentBefore);
    expect(notices.map((m) => [m.channel, m.to])).toEqual([
      ['sms', h.phone],
      ['email', h.email],
    ]);
    expect(notices[0]?.text).toBe(t('en', 'phone.noticeOldSms', { to: '+86 139****9000' }));
    expect(notices[1]?.subject).toBe('Your phone number was changed');
    expect(notices[1]?.text).toContain('from +86 138****8000 to +86 139****9000');
    expect(await chat.storedSession()).toBeNull();
    // Codes typed along the way never reached the store.
    expect(h.kv.writesContaining(`"${oldCode}"`)).toEqual([]);
  });

  it('reads a number without + in the country of the current number', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await proveWithOldPhone(h, chat);
    expect(await chat.text('139 0013 9000')).toMatchObject([
      { key: 'phone.newCodeSent', params: { to: NEW_PHONE_SHOWN } },
      { key: 'phone.askNewCode' },
    ]);
    expect(keys(await chat.text(h.delivery.lastCodeTo(NEW_PHONE)))).toEqual(['phone.changed']);
    expect((await h.account()).phone).toBe(NEW_PHONE);
  });

  it('says the email was not notified when the account has none', async () => {
    const h = await createFlowHarness({ email: null });
    const chat = h.chat();
    await proveWithOldPhone(h, chat);
    await chat.text(NEW_PHONE);
    expect(await chat.text(h.delivery.lastCodeTo(NEW_PHONE))).toEqual([
      { key: 'phone.changedNoEmail', params: { phone: NEW_PHONE_SHOWN } },
    ]);
    expect(h.delivery.sent.filter((m) => m.channel === 'email')).toEqual([]);
  });
});

describe('change phone: the email tip before it starts', () => {
  /** An engine over the harness's services that lists every task it starts. */
  function counting(h: FlowHarness): { chat: ChatDriver; started: string[] } {
    const started: string[] = [];
    const observer = { ...NO_OBSERVER, taskStarted: (flowId: string) => void started.push(flowId) };
    const engine = createEngine(h.services, {}, [], { observer });
    return { chat: h.chat('c1', { engine }), started };
  }

  it('with an email on the account, /phone starts only its own task: the checkup is not run to look', async () => {
    const h = await createFlowHarness();
    const { chat, started } = counting(h);
    expect(keys(await chat.command('phone'))).toEqual(['phone.intro']);
    expect(started).toEqual(['change-phone']);
  });

  it('without an email the checkup shows its tip, and "change it now" goes back to the phone task', async () => {
    const h = await createFlowHarness({ email: null });
    const { chat, started } = counting(h);
    expect(keys(await chat.command('phone'))).toEqual(['checkup.phoneTip']);
    expect(keys(await chat.choose('phone'))).toEqual(['phone.intro']);
    expect(started).toEqual(['change-phone', 'checkup', 'change-phone']);
  });

  it('when looking for an email fails, the checkup looks again itself and the task goes on once it can', async () => {
    const h = await createFlowHarness();
    const { chat } = counting(h);
    const { checkup } = h.services;
    const emailMissing = checkup.emailMissing.bind(checkup);
    let failures = 1;
    checkup.emailMissing = async (accountId) => {
      if (failures-- > 0) throw new Error('store down');
      return emailMissing(accountId);
    };
    expect(keys(await chat.command('phone'))).toEqual(['phone.intro']);
  });
});

describe('change phone: the new number is refused with a clear reason', () => {
  it('refuses text that is not a valid number', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await proveWithOldPhone(h, chat);
    for (const typed of ['12345', '+86 123 4567 8901', 'call me', '+8613900139000 ext']) {
      expect(keys(await chat.text(typed))).toEqual(['phone.invalid', 'phone.askNewAgain']);
    }
    expect(h.delivery.to(NEW_PHONE)).toEqual([]);
    await expectUnchanged(h);
  });

  it('refuses the current number', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await proveWithOldPhone(h, chat);
    expect(keys(await chat.text('+86 138 0013 8000'))).toEqual(['phone.same', 'phone.askNewAgain']);
    expect(keys(await chat.text('13800138000'))).toEqual(['phone.same', 'phone.askNewAgain']);
  });

  it("refuses another account's number without revealing anything about that account", async () => {
    const h = await createFlowHarness();
    const other = await createOtherAccount(h);
    const chat = h.chat();
    await proveWithOldPhone(h, chat);
    const replies = await chat.text(OTHER_ACCOUNT_PHONE);
    expect(keys(replies)).toEqual(['phone.unavailable', 'phone.askNewAgain']);
    const text = replies.map((r) => t('en', r.key, r.params)).join('\n');
    expect(text).toContain('This number cannot be used. Please use another one.');
    for (const secret of [other.id, 'bob', 'account']) expect(text).not.toContain(secret);
    expect(h.delivery.to(OTHER_ACCOUNT_PHONE)).toEqual([]);
    expect((await h.services.accounts.findByPhone(OTHER_ACCOUNT_PHONE))?.id).toBe(other.id);
    await expectUnchanged(h);
  });

  it('refuses, in the same words, a number another account took while the code was on its way', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await proveWithOldPhone(h, chat);
    await chat.text(NEW_PHONE);
    const other = await createOtherAccount(h, NEW_PHONE);
    expect(keys(await chat.text(h.delivery.lastCodeTo(NEW_PHONE)))).toEqual([
      'phone.unavailable',
      'phone.askNewAgain',
    ]);
    expect((await h.services.accounts.findByPhone(NEW_PHONE))?.id).toBe(other.id);
    await expectUnchanged(h);
  });

  it(`stops after ${NEW_NUMBERS_PER_HOUR} numbers tried in an hour`, async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await proveWithOldPhone(h, chat);
    for (let i = 0; i < NEW_NUMBERS_PER_HOUR; i += 1) {
      const number = `+86139001390${String(10 + i)}`;
      expect(keys(await chat.text(number))).toEqual(['phone.newCodeSent', 'phone.askNewCode']);
      expect(keys(await chat.choose('other'))).toEqual(['phone.askNewAgain']);
    }
    expect(await chat.text('+8613900139099')).toEqual([{ key: 'phone.tooManyNumbers' }]);
    expect(await chat.storedSession()).toBeNull();
    await expectUnchanged(h);
  });
});

describe('change phone: codes', () => {
  it('rejects a wrong code and an expired code for the current number', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('phone');
    await chat.choose('phone');
    const code = h.delivery.lastCodeTo(h.phone);
    expect(await chat.text(wrongCode(code))).toMatchObject([
      { key: 'codes.wrong', params: { remaining: MAX_WRONG_TRIES - 1 } },
      { key: 'codes.askCode' },
    ]);
    h.clock.advance(CODE_TTL_MS + 1);
    expect(keys(await chat.text(code))).toEqual(['codes.expired', 'prove.pickDestination']);
    await expectUnchanged(h);
  });

  it('kills the code after five wrong tries', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('phone');
    await chat.choose('phone');
    const code = h.delivery.lastCodeTo(h.phone);
    for (let i = 1; i < MAX_WRONG_TRIES; i += 1) await chat.text(wrongCode(code, i));
    expect(keys(await chat.text(wrongCode(code, 99)))).toEqual(['codes.exhausted', 'prove.pickDestination']);
    expect(await chat.choose('phone')).toMatchObject([
      { key: 'codes.cooldown' },
      { key: 'prove.pickDestination' },
    ]);
    h.clock.advance(MINUTE + 1);
    expect(keys(await chat.choose('phone'))).toEqual(['codes.sent', 'codes.askCode']);
    expect(keys(await chat.text(h.delivery.lastCodeTo(h.phone)))).toEqual(['phone.askNew']);
  });

  it('rejects a wrong and an expired code for the new number, and lets the user fix the number', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await proveWithOldPhone(h, chat);
    await chat.text(NEW_PHONE);
    const code = h.delivery.lastCodeTo(NEW_PHONE);
    expect(keys(await chat.text(wrongCode(code)))).toEqual(['codes.wrong', 'phone.askNewCode']);
    expect(keys(await chat.text('abc'))).toEqual(['codes.format', 'phone.askNewCode']);
    expect(keys(await chat.choose('resend'))).toEqual(['codes.cooldown', 'phone.askNewCode']);
    h.clock.advance(CODE_TTL_MS + 1);
    expect(keys(await chat.text(code))).toEqual(['codes.expired', 'phone.askNewAgain']);
    await expectUnchanged(h);
  });

  it('takes a fresh proof again when the first one is more than 5 minutes old at the swap', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await proveWithOldPhone(h, chat);
    h.clock.advance(REAUTH_MAX_AGE_MS - MINUTE);
    await chat.text(NEW_PHONE);
    h.clock.advance(2 * MINUTE);
    expect(keys(await chat.text(h.delivery.lastCodeTo(NEW_PHONE)))).toEqual([
      'phone.reauthExpired',
      'prove.pickDestination',
    ]);
    await expectUnchanged(h);
    // Proving it again leads to the new number again.
    expect(keys(await chat.choose('phone'))).toEqual(['codes.sent', 'codes.askCode']);
    expect(keys(await chat.text(h.delivery.lastCodeTo(h.phone)))).toEqual(['phone.askNewAgain']);
    h.clock.advance(MINUTE + 1);
    await chat.text(NEW_PHONE);
    expect(keys(await chat.text(h.delivery.lastCodeTo(NEW_PHONE)))).toEqual(['phone.changed']);
  });
});

describe('change phone: delivery failures', () => {
  it('stays at the new-number step when the code to the new number cannot be sent, with nothing changed', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await proveWithOldPhone(h, chat);
    h.delivery.failNext();
    expect(keys(await chat.text(NEW_PHONE))).toEqual(['codes.deliveryFailed', 'phone.askNewAgain']);
    expect(t('en', 'codes.deliveryFailed')).toContain('we could not send the code');
    await expectUnchanged(h);
    expect(keys(await chat.text(NEW_PHONE))).toEqual(['phone.newCodeSent', 'phone.askNewCode']);
    expect(keys(await chat.text(h.delivery.lastCodeTo(NEW_PHONE)))).toEqual(['phone.changed']);
  });

  it('stays where it was when the code to the current number cannot be sent', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('phone');
    h.delivery.failNext();
    expect(keys(await chat.choose('phone'))).toEqual(['codes.deliveryFailed', 'prove.pickDestination']);
    expect(keys(await chat.choose('phone'))).toEqual(['codes.sent', 'codes.askCode']);
    const code = h.delivery.lastCodeTo(h.phone);
    h.clock.advance(MINUTE + 1);
    h.delivery.failNext();
    // A failed resend goes back to the choice (the prove-identity step's rule; the old flow stayed on the
    // code already out). Nothing new was stored, so the code already out is still the valid one.
    expect(keys(await chat.choose('resend'))).toEqual(['codes.deliveryFailed', 'prove.pickDestination']);
    expect(await h.services.codes.check(h.accountId, 'phone-old', h.phone, code)).toEqual({ ok: true });
  });

  it('keeps the swap when a notice cannot be delivered', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await proveWithOldPhone(h, chat);
    await chat.text(NEW_PHONE);
    const code = h.delivery.lastCodeTo(NEW_PHONE);
    h.delivery.failNext();
    expect(keys(await chat.text(code))).toEqual(['phone.changed']);
    expect((await h.account()).phone).toBe(NEW_PHONE);
  });
});

describe('change phone: "I no longer have this number"', () => {
  it('proves identity with a code to the email instead', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('phone');
    expect(await chat.choose('email')).toEqual([
      { key: 'codes.sent', params: { to: 'a***@example.com' } },
      {
        key: 'codes.askCode',
        params: { to: 'a***@example.com' },
        input: 'secret',
        field: CODE_FIELD,
        choices: [
          { value: 'resend', label: 'codes.choiceResend' },
          { value: 'other', label: 'prove.choiceOtherWay' },
        ],
      },
    ]);
    expect(h.delivery.to(h.phone)).toEqual([]);
    expect(keys(await chat.text(h.delivery.lastCodeTo(h.email ?? '')))).toEqual(['phone.askNew']);
    await chat.text(NEW_PHONE);
    expect(keys(await chat.text(h.delivery.lastCodeTo(NEW_PHONE)))).toEqual(['phone.changed']);
    expect((await h.account()).phone).toBe(NEW_PHONE);
    // The old number is still told, in case it was not lost but stolen.
    expect(h.delivery.to(h.phone).map((m) => m.text)).toEqual([
      t('en', 'phone.noticeOldSms', { to: '+86 139****9000' }),
    ]);
  });

  it('can switch to the email after a code to the phone was sent; the phone code then no longer works', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('phone');
    await chat.choose('phone');
    const phoneCode = h.delivery.lastCodeTo(h.phone);
    expect(keys(await chat.choose('other'))).toEqual(['prove.pickDestination']);
    expect(keys(await chat.choose('email'))).toEqual(['codes.sent', 'codes.askCode']);
    const emailCode = h.delivery.lastCodeTo(h.email ?? '');
    if (phoneCode !== emailCode) {
      expect(keys(await chat.text(phoneCode))).toEqual(['codes.wrong', 'codes.askCode']);
    }
    expect(keys(await chat.text(emailCode))).toEqual(['phone.askNew']);
  });

  it('says plainly that a support agent must help when the account has no email, and changes nothing', async () => {
    const h = await createFlowHarness({ email: null });
    const chat = h.chat();
    expect(await startPhone(h, chat)).toMatchObject([
      { key: 'phone.intro', choices: [{ value: 'phone' }, { value: 'noAccess' }] },
    ]);
    // Without a support desk set up, the user is told how to reach support.
    expect(await chat.choose('noAccess')).toEqual([
      { key: 'prove.needSupport' },
      // The default contact is a key: rendered in the reader's language.
      { key: 'support.contactOnly', params: { contact: { key: 'support.defaultContact' } } },
    ]);
    expect(t('en', 'prove.needSupport')).toContain('Please contact support');
    expect(h.delivery.sent).toEqual([]);
    await expectUnchanged(h);
  });

  // A flow that ends with `escalate` while no support desk is set up ends, and says how to reach support.
  it('ends the task after "I cannot use any of these" also when no support desk is set up', async () => {
    const h = await createFlowHarness({ email: null });
    const chat = h.chat();
    await startPhone(h, chat);
    await chat.choose('noAccess');
    expect(await chat.storedSession()).toBeNull();
  });

  it('hands the chat to a person when a support desk is set up: the task, its step and the transcript go with it', async () => {
    const h = await createFlowHarness({ email: null });
    const opened: EscalationRequest[] = [];
    const engine = new Engine({
      flows: createFlows(h.services),
      sessions: h.services.sessions,
      identities: {
        accountIdFor: async (channel, userId) =>
          (await h.services.accounts.findByLink(channel, userId))?.id ?? null,
      },
      clock: h.clock,
      log: silentLogger,
      escalations: {
        async open(request) {
          opened.push(request);
          return { id: 'esc_1' };
        },
      },
      supportContact: 'help@example.com',
    });
    const chat = h.chat('c1', { engine });
    await startPhone(h, chat);
    expect(keys(await chat.choose('noAccess'))).toEqual(['prove.needSupport', 'support.escalated']);
    expect(opened).toEqual([
      expect.objectContaining({
        flowId: 'change-phone',
        reason: 'noAccess',
        accountId: h.accountId,
        transcript: expect.arrayContaining([
          { at: expect.any(Number), from: 'user', text: 'choice:noAccess' },
        ]),
      }),
    ]);
    expect(JSON.parse((await chat.storedSession()) ?? '{}')).toMatchObject({
      flow: null,
      owner: { escalationId: 'esc_1' },
    });
    expect(keys(await chat.command('phone'))).toEqual(['support.withPerson']);
    await expectUnchanged(h);
  });
});

describe('change phone: two-step verification', () => {
  it('asks for the authenticator code after the code to the phone when the account has 2FA', async () => {
    const secondFactor = fakeSecondFactor();
    const h = await createFlowHarness({ twoFactor: true, secondFactor });
    const chat = h.chat();
    await chat.command('phone');
    await chat.choose('phone');
    expect(await chat.text(h.delivery.lastCodeTo(h.phone))).toEqual([
      {
        key: 'twofa.askCode',
        input: 'secret',
        field: { label: 'field.appCode', maxLength: FIELD_MAX.code },
        choices: [{ value: 'support', label: 'support.choiceLostApp' }],
      },
    ]);
    expect(keys(await chat.text('222222'))).toEqual(['twofa.wrong', 'twofa.askCode']);
    expect(keys(await chat.text('111111'))).toEqual(['phone.askNew']);
    expect(secondFactor.calls).toEqual([h.accountId, h.accountId]);
    await chat.text(NEW_PHONE);
    expect(keys(await chat.text(h.delivery.lastCodeTo(NEW_PHONE)))).toEqual(['phone.changed']);
  });

  it('asks for it on the lost-phone path too, and stops after too many wrong codes', async () => {
    const h = await createFlowHarness({ twoFactor: true, secondFactor: fakeSecondFactor() });
    const chat = h.chat();
    await chat.command('phone');
    await chat.choose('email');
    expect(keys(await chat.text(h.delivery.lastCodeTo(h.email ?? '')))).toEqual(['twofa.askCode']);
    expect(await chat.text('999999')).toEqual([
      { key: 'twofa.tooMany', input: 'choice', choices: [{ value: 'support', label: 'support.choiceTalk' }] },
    ]);
    expect(await chat.storedSession()).toBeNull();
    await expectUnchanged(h);
  });

  it('does not ask for a second factor when the account has none', async () => {
    const secondFactor = fakeSecondFactor();
    const h = await createFlowHarness({ secondFactor });
    await proveWithOldPhone(h, h.chat());
    expect(secondFactor.calls).toEqual([]);
  });
});

describe('change phone: who may use it', () => {
  it('is in the linked menu as "Change my phone number" and refused to chats that are not linked', async () => {
    const h = await createFlowHarness();
    const [menu] = await h.chat().command('menu');
    const entry = menu?.choices?.find((c) => c.value === 'menu:change-phone');
    expect(t('en', entry?.label ?? 'common.menu')).toBe('Change my phone number');
    expect(await h.chat('c2', { userId: 'u2' }).command('phone')).toEqual([{ key: 'common.needLink' }]);
  });
});

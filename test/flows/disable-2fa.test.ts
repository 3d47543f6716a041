import { describe, expect, it } from 'vitest';
import { NO_TWO_FACTOR } from '../../src/accounts/account.ts';
import { createFlowHarness, keys } from '../helpers/flow-harness.ts';
import { authenticator, STEP_MS, turnOnTwoFactor } from '../helpers/two-factor.ts';

const MINUTE = 60_000;

async function withTwoFactor() {
  const h = await createFlowHarness();
  const { secret, codes } = await turnOnTwoFactor(h);
  h.delivery.clear();
  return { h, app: authenticator(secret, h.clock), codes, chat: h.chat() };
}

describe('turning off two-step verification (/2fa_off)', () => {
  it('needs the password and a code from the app, then turns 2FA off and tells phone and email', async () => {
    const { h, app, chat } = await withTwoFactor();
    expect(await chat.command('2fa_off')).toEqual([
      { key: 'twofa.askPasswordOff', input: 'secret', field: { label: 'field.password', maxLength: 128 } },
    ]);
    expect(await chat.text(h.password)).toEqual([
      {
        key: 'twofa.askCode',
        input: 'secret',
        field: { label: 'field.appCode', maxLength: 32 },
        choices: [{ value: 'support', label: 'support.choiceLostApp' }],
      },
    ]);
    expect((await h.account()).twoFactor.enabled).toBe(true);
    expect(keys(await chat.text(await app.code()))).toEqual(['twofa.disabledDone']);
    expect(await chat.storedSession()).toBeNull();

    expect((await h.account()).twoFactor).toEqual(NO_TWO_FACTOR);
    const [latest] = await h.services.accounts.events(h.accountId, 1);
    expect(latest).toMatchObject({ type: 'twofa.disabled', channel: 'console' });
    expect(h.delivery.sent.map((m) => [m.channel, m.to, m.subject ?? m.text])).toEqual([
      ['sms', h.phone, expect.stringContaining('two-step verification was turned off')],
      ['email', h.email, 'Two-step verification was turned off'],
    ]);
    // Changing the password no longer asks for a second factor.
    await chat.command('password');
    expect(keys(await chat.text(h.password))).toEqual(['password.askNew']);
  });

  it('refuses a wrong password and keeps 2FA on', async () => {
    const { h, chat } = await withTwoFactor();
    await chat.command('2fa_off');
    const replies = await chat.text('Not-The-Password-1');
    expect(replies.map((r) => [r.key, r.params])).toEqual([
      ['prove.wrongPassword', { remaining: 4 }],
      ['prove.askPasswordAgainOnly', undefined],
    ]);
    for (let i = 0; i < 3; i += 1) await chat.text('Not-The-Password-1');
    // The password is the only way here: the lock says when it ends, and the task ends.
    expect(await chat.text('Not-The-Password-1')).toEqual([
      {
        key: 'prove.locked',
        params: { minutes: 15 },
        input: 'choice',
        choices: [{ value: 'support', label: 'support.choiceTalk' }],
      },
    ]);
    // Locked: even the right password is not asked for any more.
    expect(keys(await chat.command('2fa_off'))).toEqual(['prove.locked']);
    expect((await h.account()).twoFactor.enabled).toBe(true);
    expect(h.delivery.sent).toEqual([]);
  });

  it('turns 2FA off with a recovery code instead of a code from the app', async () => {
    const { h, chat, codes } = await withTwoFactor();
    await chat.command('2fa_off');
    await chat.text(h.password);
    expect(keys(await chat.text((codes[4] ?? '').toUpperCase()))).toEqual(['twofa.disabledDone']);
    expect((await h.account()).twoFactor.enabled).toBe(false);
    const types = (await h.services.accounts.events(h.accountId, 2)).map((e) => e.type);
    expect(types).toEqual(['twofa.disabled', 'twofa.recoveryUsed']);
  });

  it('does not accept a recovery code that was already used', async () => {
    const { h, chat, codes } = await withTwoFactor();
    await chat.command('password');
    await chat.text(h.password);
    expect(keys(await chat.text(codes[0] ?? ''))).toEqual(['password.askNew']);
    await chat.command('cancel');

    await chat.command('2fa_off');
    await chat.text(h.password);
    expect(keys(await chat.text(codes[0] ?? ''))).toEqual(['twofa.wrong', 'twofa.askCode']);
    expect((await h.account()).twoFactor.enabled).toBe(true);
    expect(keys(await chat.text(codes[1] ?? ''))).toEqual(['twofa.disabledDone']);
  });

  it('refuses a code from the app that was already used, and says to wait for the next one', async () => {
    const { h, app, chat } = await withTwoFactor();
    const code = await app.code();
    await chat.command('password');
    await chat.text(h.password);
    await chat.text(code);
    await chat.command('cancel');

    await chat.command('2fa_off');
    await chat.text(h.password);
    expect(keys(await chat.text(code))).toEqual(['twofa.replay', 'twofa.askCode']);
    expect((await h.account()).twoFactor.enabled).toBe(true);
    h.clock.advance(STEP_MS);
    expect(keys(await chat.text(await app.code()))).toEqual(['twofa.disabledDone']);
  });

  it('stops after five wrong codes and keeps 2FA on', async () => {
    const { h, chat } = await withTwoFactor();
    await chat.command('2fa_off');
    await chat.text(h.password);
    for (let i = 0; i < 4; i += 1) await chat.text('000000');
    expect(keys(await chat.text('000000'))).toEqual(['twofa.tooMany']);
    expect(await chat.storedSession()).toBeNull();
    expect((await h.account()).twoFactor.enabled).toBe(true);
  });

  it('asks for the password again when it was typed more than 5 minutes before the code', async () => {
    const { h, app, chat } = await withTwoFactor();
    await chat.command('2fa_off');
    await chat.text(h.password);
    h.clock.advance(6 * MINUTE);
    expect(keys(await chat.text(await app.code()))).toEqual([
      'prove.reauthExpired',
      'prove.askPasswordAgainOnly',
    ]);
    expect((await h.account()).twoFactor.enabled).toBe(true);
    await chat.text(h.password);
    h.clock.advance(STEP_MS);
    expect(keys(await chat.text(await app.code()))).toEqual(['twofa.disabledDone']);
  });

  it('asks for the proof again when the server holds no fresh proof of this task at the change', async () => {
    const { h, app, chat } = await withTwoFactor();
    const record = h.services.proofs.record.bind(h.services.proofs);
    h.services.proofs.record = async () => {};
    await chat.command('2fa_off');
    await chat.text(h.password);
    expect(await chat.text(await app.code())).toEqual([
      { key: 'twofa.reauthExpired' },
      expect.objectContaining({ key: 'prove.askPassword', input: 'secret' }),
    ]);
    expect((await h.account()).twoFactor.enabled).toBe(true);
    h.services.proofs.record = record;
    expect(keys(await chat.text(h.password))).toEqual(['twofa.askCode']);
    h.clock.advance(STEP_MS);
    expect(keys(await chat.text(await app.code()))).toEqual(['twofa.disabledDone']);
    expect((await h.account()).twoFactor.enabled).toBe(false);
  });

  it('leaves 2FA on when the user cancels at the code step', async () => {
    const { h, chat } = await withTwoFactor();
    await chat.command('2fa_off');
    await chat.text(h.password);
    expect(keys(await chat.command('cancel'))).toEqual(['common.cancelled']);
    expect((await h.account()).twoFactor.enabled).toBe(true);
  });

  it('says there is nothing to turn off when 2FA is not on', async () => {
    const h = await createFlowHarness();
    expect(keys(await h.chat().command('2fa_off'))).toEqual(['twofa.notOn']);
  });
});

import { describe, expect, it } from 'vitest';
import { createFlowHarness, keys } from '../helpers/flow-harness.ts';
import { authenticator, replyWith, shownCodes, turnOnTwoFactor } from '../helpers/two-factor.ts';

async function withTwoFactor() {
  const h = await createFlowHarness();
  const { secret, codes } = await turnOnTwoFactor(h);
  h.delivery.clear();
  return { h, app: authenticator(secret, h.clock), codes, chat: h.chat() };
}

describe('new recovery codes (/recovery_codes)', () => {
  it('shows 10 new codes once after the password and a code from the app; the old codes stop working', async () => {
    const { h, app, chat, codes: old } = await withTwoFactor();
    expect(await chat.command('recovery_codes')).toEqual([
      {
        key: 'twofa.askPasswordRecovery',
        input: 'secret',
        field: { label: 'field.password', maxLength: 128 },
      },
    ]);
    expect(await chat.text(h.password)).toEqual([
      {
        key: 'twofa.askCode',
        input: 'secret',
        field: { label: 'field.appCode', maxLength: 32 },
        choices: [{ value: 'support', label: 'support.choiceLostApp' }],
      },
    ]);
    const shown = await chat.text(await app.code());
    expect(keys(shown)).toEqual(['twofa.newCodes', 'twofa.askSaved']);
    expect(replyWith(shown, 'twofa.newCodes').sensitive).toBe(true);
    const fresh = shownCodes(shown, 'twofa.newCodes');
    expect(fresh).toHaveLength(10);
    expect(fresh.filter((code) => old.includes(code))).toEqual([]);
    expect(JSON.parse((await chat.storedSession()) ?? '{}').prompt.key).toBe('twofa.askSaved');
    expect(keys(await chat.choose('saved'))).toEqual(['twofa.newCodesDone']);

    const [latest] = await h.services.accounts.events(h.accountId, 1);
    expect(latest).toMatchObject({ type: 'twofa.recoveryRegenerated', channel: 'console' });
    expect(h.delivery.sent.map((m) => [m.channel, m.subject ?? m.text])).toEqual([
      ['sms', expect.stringContaining('new recovery codes were made')],
      ['email', 'New recovery codes were made'],
    ]);
    for (const code of [...old, ...fresh]) expect(h.kv.writesContaining(code)).toEqual([]);

    // Regeneration voids the old set: an old code is a wrong code now, a new one works.
    await chat.command('password');
    await chat.text(h.password);
    expect(keys(await chat.text(old[9] ?? ''))).toEqual(['twofa.wrong', 'twofa.askCode']);
    expect(keys(await chat.text(fresh[9] ?? ''))).toEqual(['password.askNew']);
  });

  it('accepts a recovery code as the proof, and that code is replaced like all the others', async () => {
    const { h, chat, codes: old } = await withTwoFactor();
    await chat.command('recovery_codes');
    await chat.text(h.password);
    const shown = await chat.text(old[2] ?? '');
    expect(keys(shown)).toEqual(['twofa.newCodes', 'twofa.askSaved']);
    expect((await h.account()).twoFactor.recoveryHashes).toHaveLength(10);
  });

  it('refuses a wrong password and makes no new codes', async () => {
    const { h, chat } = await withTwoFactor();
    const before = (await h.account()).twoFactor.recoveryHashes;
    await chat.command('recovery_codes');
    expect(keys(await chat.text('Wrong-Password-9'))).toEqual([
      'prove.wrongPassword',
      'prove.askPasswordAgainOnly',
    ]);
    await chat.command('cancel');
    expect((await h.account()).twoFactor.recoveryHashes).toEqual(before);
  });

  it('makes no new codes when the server holds no fresh proof of this task, and asks for the proof again', async () => {
    const { h, app, chat } = await withTwoFactor();
    const before = (await h.account()).twoFactor.recoveryHashes;
    h.services.proofs.record = async () => {};
    await chat.command('recovery_codes');
    await chat.text(h.password);
    expect(keys(await chat.text(await app.code()))).toEqual(['twofa.reauthExpired', 'prove.askPassword']);
    expect((await h.account()).twoFactor.recoveryHashes).toEqual(before);
    expect(h.delivery.sent).toEqual([]);
  });

  it('says there are no recovery codes when 2FA is not on', async () => {
    const h = await createFlowHarness();
    expect(keys(await h.chat().command('recovery_codes'))).toEqual(['twofa.notOnRecovery']);
  });
});

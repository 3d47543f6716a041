/**
 * The second factor inside the flows that need it once 2FA is on: the real SecondFactorService, with 2FA
 * turned on through /2fa and codes computed from the shown key on the harness clock.
 */
import { describe, expect, it } from 'vitest';
import { createFlowHarness, keys } from '../helpers/flow-harness.ts';
import { authenticator, STEP_MS, turnOnTwoFactor } from '../helpers/two-factor.ts';

describe('two-step verification inside changing the password', () => {
  it('changing the password asks for a code from the app after the current password, and refuses a reused one', async () => {
    const h = await createFlowHarness();
    const { secret } = await turnOnTwoFactor(h);
    const app = authenticator(secret, h.clock);
    const chat = h.chat();
    await chat.command('password');
    expect(keys(await chat.text(h.password))).toEqual(['twofa.askCode']);
    const code = await app.code();
    expect(keys(await chat.text(code))).toEqual(['password.askNew']);
    await chat.command('cancel');

    await chat.command('password');
    await chat.text(h.password);
    expect(keys(await chat.text(code))).toEqual(['twofa.replay', 'twofa.askCode']);
    const [latest] = await h.services.accounts.events(h.accountId, 1);
    expect(latest).toMatchObject({ type: 'twofa.replayRejected', channel: 'console' });
    h.clock.advance(STEP_MS);
    expect(keys(await chat.text(await app.code()))).toEqual(['password.askNew']);
  });

  it('changing the password accepts a recovery code, once', async () => {
    const h = await createFlowHarness();
    const { codes } = await turnOnTwoFactor(h);
    const chat = h.chat();
    await chat.command('password');
    await chat.text(h.password);
    expect(keys(await chat.text(codes[0] ?? ''))).toEqual(['password.askNew']);
    await chat.command('cancel');
    await chat.command('password');
    await chat.text(h.password);
    expect((await chat.text(codes[0] ?? '')).map((r) => [r.key, r.params])).toEqual([
      ['twofa.wrong', { remaining: 4 }],
      ['twofa.askCode', undefined],
    ]);
    expect((await h.account()).twoFactor.recoveryHashes).toHaveLength(9);
  });

  it('changing the password stops after five wrong codes, and nothing is changed', async () => {
    const h = await createFlowHarness();
    await turnOnTwoFactor(h);
    const chat = h.chat();
    await chat.command('password');
    await chat.text(h.password);
    for (let i = 0; i < 4; i += 1)
      expect(keys(await chat.text('abcd-efgh-jk'))).toEqual(['twofa.wrong', 'twofa.askCode']);
    expect(keys(await chat.text('abcd-efgh-jk'))).toEqual(['twofa.tooMany']);
    expect(await chat.storedSession()).toBeNull();
    const before = await h.account();
    expect(before.passwordChangedAt).toBeNull();
  });
});

describe('two-step verification inside linking, phone and email changes', () => {
  it('linking a new chat asks for a code from the app after the code sent to the phone, and links only then', async () => {
    const h = await createFlowHarness();
    const { secret } = await turnOnTwoFactor(h);
    const stranger = h.chat('new-chat', { userId: 'u2' });
    await stranger.command('link');
    await stranger.text(h.phone);
    expect(keys(await stranger.text(h.delivery.lastCodeTo(h.phone)))).toEqual(['twofa.askCode']);
    expect(await h.services.accounts.findByLink('console', 'u2')).toBeNull();
    expect(keys(await stranger.text('000000'))).toEqual(['twofa.wrong', 'twofa.askCode']);
    expect(keys(await stranger.text(await authenticator(secret, h.clock).code()))).toEqual([
      'link.done',
      'checkup.offer',
    ]);
    expect((await h.services.accounts.findByLink('console', 'u2'))?.id).toBe(h.accountId);
  });

  it('linking a new chat accepts a recovery code, once', async () => {
    const h = await createFlowHarness();
    const { codes } = await turnOnTwoFactor(h);
    const first = h.chat('chat-u2', { userId: 'u2' });
    await first.command('link');
    await first.text(h.phone);
    await first.text(h.delivery.lastCodeTo(h.phone));
    expect(keys(await first.text(codes[0] ?? ''))).toEqual(['link.done']);
    h.clock.advance(2 * 60_000);
    const second = h.chat('chat-u3', { userId: 'u3' });
    await second.command('link');
    await second.text(h.phone);
    await second.text(h.delivery.lastCodeTo(h.phone));
    expect(keys(await second.text(codes[0] ?? ''))).toEqual(['twofa.wrong', 'twofa.askCode']);
    expect(await h.services.accounts.findByLink('console', 'u3')).toBeNull();
  });

  it('changing the phone number asks for a code from the app after the code to the old phone, and refuses a reused one', async () => {
    const h = await createFlowHarness();
    const { secret } = await turnOnTwoFactor(h);
    const app = authenticator(secret, h.clock);
    const chat = h.chat();
    // The current code was just used elsewhere (changing the password)...
    const code = await app.code();
    await chat.command('password');
    await chat.text(h.password);
    expect(keys(await chat.text(code))).toEqual(['password.askNew']);
    await chat.command('cancel');
    // ...so it does not work a second time for the phone.
    await chat.command('phone');
    await chat.choose('phone');
    expect(keys(await chat.text(h.delivery.lastCodeTo(h.phone)))).toEqual(['twofa.askCode']);
    expect(keys(await chat.text(code))).toEqual(['twofa.replay', 'twofa.askCode']);
    h.clock.advance(STEP_MS);
    expect(keys(await chat.text(await app.code()))).toEqual(['phone.askNew']);
    expect((await h.account()).phone).toBe(h.phone);
  });

  it('changing the email asks for a code from the app after the password, and stops after five wrong ones', async () => {
    const h = await createFlowHarness();
    const { secret } = await turnOnTwoFactor(h);
    const chat = h.chat();
    await chat.command('email');
    expect(keys(await chat.text(h.password))).toEqual(['twofa.askCode']);
    expect(keys(await chat.text(await authenticator(secret, h.clock).code()))).toEqual([
      'email.askAddressChange',
    ]);
    await chat.command('cancel');
    await chat.command('email');
    await chat.text(h.password);
    for (let i = 0; i < 4; i += 1) await chat.text('000000');
    expect(keys(await chat.text('000000'))).toEqual(['twofa.tooMany']);
    expect((await h.account()).email).toBe(h.email);
  });
});

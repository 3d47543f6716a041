/**
 * Every dead end offers a person: a password step locked with no other way, too many wrong app codes, a
 * lost authenticator app (with no recovery code left), 2FA already on and the app lost, and "This was
 * not me" in the activity review. Each "Talk to support" opens an escalation on the real desk.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SUPPORT_CHOICE } from '../../src/core/flow.ts';
import type { Reply } from '../../src/core/reply.ts';
import { TotpService } from '../../src/twofa/totp.ts';
import { connectRedis } from '../helpers/redis.ts';
import { chatOf, createWorld, expectNoSecrets, keysOf, PASSWORD, type World } from './world.ts';

const redis = connectRedis();
const worlds: World[] = [];
afterEach(async () => {
  while (worlds.length > 0) await worlds.pop()?.close();
});

async function linkedWorld(options: Parameters<typeof createWorld>[1] = {}) {
  const w = await createWorld(redis, options);
  worlds.push(w);
  await w.services.accounts.link(w.accountId, 'console', 'u1', w.clock.now());
  return { w, chat: chatOf(w.engine, { channel: 'console', chatId: 'c1' }, 'u1') };
}

const offersSupport = (reply: Reply | undefined, label = 'support.choiceTalk') =>
  expect(reply?.choices).toContainEqual({ value: SUPPORT_CHOICE, label });

async function turnOnTwoFactor(w: World, chat: ReturnType<typeof chatOf>): Promise<string> {
  await chat.command('2fa');
  const shown = await chat.text(PASSWORD);
  const secret = String(shown.find((r) => r.key === 'twofa.scan')?.params?.key ?? '').replaceAll(' ', '');
  const code = await new TotpService({ clock: w.clock, issuer: 't' }).currentCode(secret);
  await chat.text(code);
  expect(keysOf(await chat.choose('saved'))).toEqual(['twofa.enabledDone']);
  w.clock.advance(30_000);
  return secret;
}

async function openEscalations(w: World) {
  const key = await w.key(['escalation:read']);
  const list = await w.api('GET', '/api/escalations?status=open', { key });
  return list.json.escalations as Array<Record<string, unknown>>;
}

describe('dead ends offer a person', () => {
  it('a password step locked with no other way (turning 2FA off): the lock-out offers "Talk to support"', async () => {
    const { w, chat } = await linkedWorld();
    await turnOnTwoFactor(w, chat);
    await chat.command('2fa_off');
    let last: Reply[] = [];
    for (let i = 0; i < 5; i += 1) {
      const guess = `Wrong-Guess-${i}-x`;
      w.secrets.add(guess);
      last = await chat.text(guess);
    }
    expect(keysOf(last)).toEqual(['prove.locked']);
    offersSupport(last[0]);
    const handed = await chat.choose(SUPPORT_CHOICE);
    expect(keysOf(handed)).toEqual(['support.escalated']);
    expect(await openEscalations(w)).toEqual([
      expect.objectContaining({ reason: 'asked', accountId: w.accountId }),
    ]);
  });

  it('too many wrong app codes: the end offers "Talk to support"', async () => {
    const { w, chat } = await linkedWorld();
    await turnOnTwoFactor(w, chat);
    await chat.command('password');
    await chat.text(PASSWORD);
    let last: Reply[] = [];
    for (let i = 0; i < 6 && !keysOf(last).includes('twofa.tooMany'); i += 1)
      last = await chat.text('000000');
    expect(keysOf(last)).toContain('twofa.tooMany');
    offersSupport(last.find((r) => r.key === 'twofa.tooMany'));
    expect(keysOf(await chat.choose(SUPPORT_CHOICE))).toEqual(['support.escalated']);
  });

  it('a lost authenticator app: the 2FA prompt itself offers a person, with the task, its step and a redacted transcript', async () => {
    const { w, chat } = await linkedWorld();
    await turnOnTwoFactor(w, chat);
    await chat.command('email');
    const asked = await chat.text(PASSWORD);
    expect(keysOf(asked)).toEqual(['twofa.askCode']);
    offersSupport(asked[0], 'support.choiceLostApp');
    expect(keysOf(await chat.text('123456'))).toEqual(['twofa.wrong', 'twofa.askCode']);
    w.secrets.add('123456');
    expect(keysOf(await chat.choose(SUPPORT_CHOICE))).toEqual(['support.escalated']);
    const [escalation] = await openEscalations(w);
    expect(escalation).toMatchObject({ flow: 'change-email', reason: 'asked', accountId: w.accountId });
    expect(String(escalation?.step)).toContain('askSecondFactor');
    const key = await w.key(['escalation:read']);
    const one = await w.api('GET', `/api/escalations/${escalation?.id}`, { key });
    expect(one.json.transcript.filter((l: { text: string }) => l.text === '[redacted]')).toHaveLength(2);
    expectNoSecrets('the escalation', one.text, w.secrets);
  });

  it('2FA already on and the app lost: /2fa offers a person next to turning it off', async () => {
    const { w, chat } = await linkedWorld();
    await turnOnTwoFactor(w, chat);
    const offered = await chat.command('2fa');
    offersSupport(offered[0], 'support.choiceLostApp');
    expect(keysOf(await chat.choose(SUPPORT_CHOICE))).toEqual(['support.escalated']);
    expect(await openEscalations(w)).toEqual([expect.objectContaining({ flow: '2fa' })]);
  });

  it('"This was not me": the activity review offers a person next to signing everything out', async () => {
    const { w, chat } = await linkedWorld();
    const shown = await chat.command('activity');
    offersSupport(shown.find((r) => r.key === 'activity.ask'));
    expect(keysOf(await chat.choose(SUPPORT_CHOICE))).toEqual(['support.escalated']);
    expect(await openEscalations(w)).toEqual([expect.objectContaining({ flow: 'activity', step: 'ask' })]);
  });
});

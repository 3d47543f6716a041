/**
 * Two-step verification in tests: an authenticator app on a controllable clock, and turning 2FA on for
 * the harness account the way a user does it (through the `/2fa` flow).
 */
import { expect } from 'vitest';
import type { Clock } from '../../src/clock.ts';
import type { Reply } from '../../src/engine/reply.ts';
import { TotpService } from '../../src/twofa/totp.ts';
import type { ChatDriver, FlowHarness } from './flow-harness.ts';

export const STEP_MS = 30_000;

/** An authenticator app holding `secret`, whose clock is `clock` moved by whole steps. */
export function authenticator(secret: string, clock: Clock) {
  return {
    /** The code the app shows now, or `offset` steps from now. */
    code: (offset = 0): Promise<string> =>
      new TotpService({ clock: { now: () => clock.now() + offset * STEP_MS }, issuer: 'test' }).currentCode(
        secret,
      ),
  };
}

/** The reply with `key`, or a failed expectation naming the keys that were there. */
export function replyWith(replies: readonly Reply[], key: string): Reply {
  const found = replies.find((reply) => reply.key === key);
  expect(found, `no ${key} among ${replies.map((r) => r.key).join(', ')}`).toBeDefined();
  return found as Reply;
}

/** The base32 key shown for manual entry (the spaces between groups removed). */
export function shownKey(replies: readonly Reply[]): string {
  return String(replyWith(replies, 'twofa.scan').params?.key ?? '').replaceAll(' ', '');
}

/** The recovery codes shown in a reply (`twofa.recoveryCodes` or `twofa.newCodes`). */
export function shownCodes(replies: readonly Reply[], key = 'twofa.recoveryCodes'): string[] {
  return String(replyWith(replies, key).params?.codes ?? '')
    .split('\n')
    .filter((line) => line !== '');
}

/**
 * Turns 2FA on for the harness account through the chat (password, QR, code, recovery codes, "I saved
 * them"), then moves the clock to the next time step so the set-up code is not current any more.
 */
export async function turnOnTwoFactor(
  h: FlowHarness,
  chat: ChatDriver = h.chat('enable'),
): Promise<{ secret: string; codes: string[] }> {
  await chat.command('2fa');
  const shown = await chat.text(h.password);
  const secret = shownKey(shown);
  const committed = await chat.text(await authenticator(secret, h.clock).code());
  const codes = shownCodes(committed);
  const done = await chat.choose('saved');
  expect(done.map((r) => r.key)).toEqual(['twofa.enabledDone']);
  h.clock.advance(STEP_MS);
  return { secret, codes };
}

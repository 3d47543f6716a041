import fc from 'fast-check';
import { ScureBase32Plugin } from 'otplib';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { TotpService } from '../../src/twofa/totp.ts';

const STEP_MS = 30_000;
// 20 bytes, fixed so that every expectation below is deterministic.
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

describe('TotpService', () => {
  let clock: ManualClock;
  let totp: TotpService;
  let step: number;

  /** The code an authenticator whose clock is `offset` steps away from ours shows now. */
  async function codeAt(offset: number): Promise<string> {
    clock.advance(offset * STEP_MS);
    const code = await totp.currentCode(SECRET);
    clock.advance(-offset * STEP_MS);
    return code;
  }

  beforeEach(() => {
    // 10 s into a step, so the tolerance is not an artefact of sitting on a step boundary.
    clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 10));
    totp = new TotpService({ clock, issuer: 'Lockstep' });
    step = Math.floor(clock.now() / STEP_MS);
  });

  it('produces the RFC 6238 SHA1 test vectors from the injected clock', async () => {
    const rfcSecret = new ScureBase32Plugin().encode(new TextEncoder().encode('12345678901234567890'), {
      padding: false,
    });
    clock.set(59_000);
    expect(await totp.currentCode(rfcSecret)).toBe('287082'); // 94287082 truncated to 6 digits
    clock.set(1_111_111_109_000);
    expect(await totp.currentCode(rfcSecret)).toBe('081804'); // 07081804
  });

  it('accepts the code of the current step and returns that step', async () => {
    expect(await totp.check(SECRET, await codeAt(0), null)).toEqual({ ok: true, step });
  });

  it('accepts the code of the previous step (authenticator clock one step behind)', async () => {
    expect(await totp.check(SECRET, await codeAt(-1), null)).toEqual({ ok: true, step: step - 1 });
  });

  it('accepts the code of the next step (authenticator clock one step ahead)', async () => {
    expect(await totp.check(SECRET, await codeAt(1), null)).toEqual({ ok: true, step: step + 1 });
  });

  it('accepts neighbouring steps at the very start and end of a step', async () => {
    for (const secondsIn of [0, 29]) {
      clock.set(step * STEP_MS + secondsIn * 1000);
      expect(await totp.check(SECRET, await codeAt(-1), null)).toEqual({ ok: true, step: step - 1 });
      expect(await totp.check(SECRET, await codeAt(1), null)).toEqual({ ok: true, step: step + 1 });
    }
  });

  it('refuses codes two steps away as wrong', async () => {
    const window = await Promise.all([codeAt(-1), codeAt(0), codeAt(1)]);
    for (const offset of [-2, 2, -3, 3]) {
      const code = await codeAt(offset);
      expect(window).not.toContain(code); // the test would prove nothing on a collision
      expect(await totp.check(SECRET, code, null)).toEqual({ ok: false, reason: 'wrong' });
    }
  });

  it('refuses a code for another secret as wrong', async () => {
    const other = totp.newSecret();
    expect(await totp.check(other, await codeAt(0), null)).toEqual({ ok: false, reason: 'wrong' });
  });

  it('rejects a reused TOTP code as replay and accepts the next step after it', async () => {
    const code = await codeAt(0);
    const first = await totp.check(SECRET, code, null);
    expect(first).toEqual({ ok: true, step });
    if (!first.ok) return;

    expect(await totp.check(SECRET, code, first.step)).toEqual({ ok: false, reason: 'replay' });

    clock.advance(STEP_MS);
    expect(await totp.check(SECRET, code, first.step)).toEqual({ ok: false, reason: 'replay' });
    expect(await totp.check(SECRET, await codeAt(0), first.step)).toEqual({ ok: true, step: step + 1 });
  });

  it('rejects an older step still inside the window once a newer one was used', async () => {
    expect(await totp.check(SECRET, await codeAt(-1), step)).toEqual({ ok: false, reason: 'replay' });
    expect(await totp.check(SECRET, await codeAt(0), step)).toEqual({ ok: false, reason: 'replay' });
    expect(await totp.check(SECRET, await codeAt(1), step)).toEqual({ ok: true, step: step + 1 });
  });

  it('tells a wrong code from a replay when a last used step is known', async () => {
    const window = await Promise.all([codeAt(-1), codeAt(0), codeAt(1)]);
    const wrong = ['000000', '111111', '999999'].find((c) => !window.includes(c)) ?? '';
    expect(await totp.check(SECRET, wrong, step)).toEqual({ ok: false, reason: 'wrong' });
  });

  it('treats every code as a replay, without throwing, when the last used step is ahead of the clock', async () => {
    // The server clock went back, or the authenticator ran fast: nothing at or before that step is fresh.
    expect(await totp.check(SECRET, await codeAt(0), step + 5)).toEqual({ ok: false, reason: 'replay' });
    expect(await totp.check(SECRET, await codeAt(1), step + 1)).toEqual({ ok: false, reason: 'replay' });
    expect(await totp.check(SECRET, '000001', step + 5)).toEqual({ ok: false, reason: 'wrong' });
  });

  it('refuses malformed input as format without throwing', async () => {
    for (const input of ['abc', '12345', '1234567', '', ' ', '12345a', '12-34-56', '1'.repeat(10_000)]) {
      expect(await totp.check(SECRET, input, null), JSON.stringify(input.slice(0, 20))).toEqual({
        ok: false,
        reason: 'format',
      });
    }
  });

  it('accepts a code typed with spaces or full-width digits', async () => {
    const code = await codeAt(0);
    const spaced = ` ${code.slice(0, 3)} ${code.slice(3)} `;
    const fullWidth = [...code].map((d) => String.fromCharCode(0xff10 + Number(d))).join('');
    expect(await totp.check(SECRET, spaced, null)).toEqual({ ok: true, step });
    expect(await totp.check(SECRET, fullWidth, null)).toEqual({ ok: true, step });
  });

  it('never throws for any user input', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 80, unit: 'binary' }), async (input) => {
        const result = await totp.check(SECRET, input, step - 1);
        expect(['format', 'wrong', 'replay', undefined]).toContain(result.ok ? undefined : result.reason);
      }),
      { numRuns: 300 },
    );
  });

  it('throws for a corrupt last used step instead of silently disabling replay protection', async () => {
    await expect(totp.check(SECRET, await codeAt(0), 1.5)).rejects.toThrow(RangeError);
  });

  it('creates 20-byte base32 secrets that differ each time', () => {
    const a = totp.newSecret();
    const b = totp.newSecret();
    expect(a).toMatch(/^[A-Z2-7]{32}$/);
    expect(new ScureBase32Plugin().decode(a)).toHaveLength(20);
    expect(a).not.toBe(b);
  });

  it('builds an otpauth URI with issuer, SHA1, 6 digits and a 30 s period', () => {
    const uri = totp.uri(SECRET, 'alice@example.com');
    const url = new URL(uri);
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(decodeURIComponent(url.pathname)).toBe('/Lockstep:alice@example.com');
    expect(url.searchParams.get('secret')).toBe(SECRET);
    expect(url.searchParams.get('issuer')).toBe('Lockstep');
    expect(url.searchParams.get('algorithm')).toBe('SHA1');
    expect(url.searchParams.get('digits')).toBe('6');
    expect(url.searchParams.get('period')).toBe('30');
  });

  it('percent-encodes spaces in the URI (authenticators show a literal +)', () => {
    const spaced = new TotpService({ clock, issuer: 'Lockstep Demo' });
    const uri = spaced.uri(SECRET, 'Alice Smith');
    expect(uri).toContain('otpauth://totp/Lockstep%20Demo:Alice%20Smith?');
    expect(uri).toContain('issuer=Lockstep%20Demo');
    expect(uri).not.toContain('+');
  });

  it('refuses an issuer or label with a colon, which would make the URI ambiguous', () => {
    expect(() => new TotpService({ clock, issuer: 'Lock:step' })).toThrow(RangeError);
    expect(() => totp.uri(SECRET, 'a:b')).toThrow(RangeError);
  });
});

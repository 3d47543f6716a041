import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { TotpService } from '../../src/twofa/totp.ts';
import { ROOT } from '../helpers/run-process.ts';

const DEMO_PASSWORD = 'Sunny-Demo-2024';

describe('console demo: two-step verification', () => {
  it('turns 2FA on with a code computed from the shown key, shows recovery codes, then changing the password asks for a code from the app', async () => {
    const child = spawn(`${ROOT}node_modules/.bin/tsx`, ['src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DEMO_PASSWORD },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    /** Waits for `pattern` in the output printed after `from`. */
    const waitFor = async (pattern: RegExp, from = 0): Promise<RegExpExecArray> => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const match = pattern.exec(out.slice(from));
        if (match) return match;
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${pattern}; output so far:\n${out}\n${err}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const type = (line: string): number => {
      const mark = out.length;
      child.stdin.write(`${line}\n`);
      return mark;
    };

    try {
      await waitFor(/Its password is/);
      type('/2fa');
      await waitFor(/please type your password/);
      let mark = type(DEMO_PASSWORD);
      const key =
        (await waitFor(/spaces do not matter\):\n((?:[A-Z2-7]{4} ){7}[A-Z2-7]{4})\n/, mark))[1] ?? '';
      // The QR code is drawn in the terminal with half-block characters.
      await waitFor(/[▀▄█]{7}/, mark);
      await waitFor(/type the 6-digit code it shows/, mark);
      const code = await new TotpService({ clock: systemClock, issuer: 'lockstep' }).currentCode(
        key.replaceAll(' ', ''),
      );
      mark = type(code);
      const shown = await waitFor(
        /I will not show them again\.\n((?:[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{2}\n){10})/,
        mark,
      );
      const recoveryCodes = (shown[1] ?? '').trim().split('\n');
      expect(recoveryCodes).toHaveLength(10);
      await waitFor(/1\) I saved them/, mark);
      mark = type('I saved them');
      await waitFor(/All set\. From now on I will ask for a code from your app/, mark);
      await waitFor(/\[outbox\] SMS to \+8613800138000: lockstep: two-step verification was turned on/);

      mark = type('/password');
      await waitFor(/please type your current password/, mark);
      mark = type(DEMO_PASSWORD);
      await waitFor(
        /Your account has two-step verification\. Please type the 6-digit code from your authenticator app/,
        mark,
      );
      mark = type(recoveryCodes[0] ?? '');
      await waitFor(/Now type your new password/, mark);
      mark = type('/cancel');
      await waitFor(/Stopped\. Nothing was changed/, mark);
      child.stdin.end();
      expect(await exited).toBe(0);
    } finally {
      child.kill();
    }
    expect(err).toBe('');
    // Typed secrets are never echoed back; the recovery codes appear exactly once, where they were shown.
    expect(out.split(DEMO_PASSWORD).length - 1).toBe(1); // the banner of the demo account
    for (const recoveryCode of out.match(/[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{2}/g) ?? []) {
      expect(out.split(recoveryCode).length - 1).toBe(1);
    }
  });
});

import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { t } from '../../src/catalog/catalog.ts';
import { systemClock } from '../../src/clock.ts';
import { TotpService } from '../../src/twofa/totp.ts';
import { ROOT, runScript } from '../helpers/run-process.ts';

// A password today's policy accepts: the demo's usual 'Sunny-Demo-2024' holds the demo email's name, so
// once it is typed as a proof the checkup rightly lists it too (see the "below policy" tests).
const DEMO_PASSWORD = 'Harbour-Lantern-93';

describe('console demo: the security checkup', () => {
  it('/checkup on the demo account (phone and email set, 2FA off) lists turning on two-step verification first', async () => {
    const result = await runScript('src/main.ts', { stdin: '/checkup\n', env: { DEMO_PASSWORD } });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const out = result.stdout;
    const found = out.indexOf(t('en', 'checkup.found'));
    expect(found).toBeGreaterThan(-1);
    const lines = out
      .slice(found)
      .split('\n')
      .filter((line) => line.startsWith('• '));
    expect(lines[0]).toBe(t('en', 'checkup.finding.twoFactorOff'));
    expect(out.slice(found)).toMatch(/\n {2}1\) Turn on two-step verification\n {2}2\) Not now\n/);
  });

  it('offers the checkup after "This was not me" once the new password is set', async () => {
    const result = await runScript('src/main.ts', {
      stdin: `/activity\n1\n${DEMO_PASSWORD}\nHarbor-Kettle-73\nHarbor-Kettle-73\n`,
      env: { DEMO_PASSWORD },
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const out = result.stdout;
    const signedOut = out.indexOf(t('en', 'activity.choiceNotMe'));
    expect(signedOut).toBeGreaterThan(-1);
    const changed = out.indexOf(t('en', 'password.changed', { signedOut: 0 }).split('\n')[0] ?? '');
    expect(changed).toBeGreaterThan(signedOut);
    expect(out.indexOf(t('en', 'checkup.offer'))).toBeGreaterThan(changed);
  });

  it('leads through turning on two-step verification and comes back to the checkup: all good', async () => {
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
      let mark = type('/checkup');
      await waitFor(/1\) Turn on two-step verification/, mark);
      mark = type('1');
      await waitFor(/we go on with the checkup/, mark);
      await waitFor(/please type your password/, mark);
      mark = type(DEMO_PASSWORD);
      const key =
        (await waitFor(/spaces do not matter\):\n((?:[A-Z2-7]{4} ){7}[A-Z2-7]{4})\n/, mark))[1] ?? '';
      await waitFor(/type the 6-digit code it shows/, mark);
      const code = await new TotpService({ clock: systemClock, issuer: 'lockstep' }).currentCode(
        key.replaceAll(' ', ''),
      );
      mark = type(code);
      await waitFor(/1\) I saved them/, mark);
      mark = type('I saved them');
      await waitFor(/Back to your security checkup\./, mark);
      await waitFor(/All good: your account has a phone and an email/, mark);
      child.stdin.end();
      expect(await exited).toBe(0);
    } finally {
      child.kill();
    }
    expect(err).toBe('');
  });
});

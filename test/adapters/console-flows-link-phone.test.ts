/**
 * Full runs of the link, unlink and change-phone flows through the console demo: `tsx src/main.ts` is
 * spawned as `npm start` would run it, lines go in through a pipe, and the codes are read from the outbox
 * the demo prints (its stand-in for a phone and a mailbox).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/run-process.ts';

const DEMO_PASSWORD = 'Sunny-Demo-2024';

interface Demo {
  /** Types one line. */
  type(line: string): void;
  /** Waits until the output (from `from` on) matches; returns the match. */
  waitFor(pattern: RegExp, from?: number): Promise<RegExpExecArray>;
  /** How much output there is so far: pass it to `waitFor` to look only at what comes next. */
  mark(): number;
  output(): string;
  /** Ends the input and resolves with the exit code. */
  end(): Promise<number | null>;
}

const running: ChildProcessWithoutNullStreams[] = [];

afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

async function startDemo(): Promise<Demo> {
  const child = spawn(`${ROOT}node_modules/.bin/tsx`, ['src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DEMO_PASSWORD },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const demo: Demo = {
    type: (line) => child.stdin.write(`${line}\n`),
    async waitFor(pattern, from = 0) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const match = pattern.exec(out.slice(from));
        if (match) return match;
        if (Date.now() > deadline) {
          throw new Error(`timed out waiting for ${pattern}; output so far:\n${out}\nstderr:\n${err}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    mark: () => out.length,
    output: () => out,
    end: () => {
      child.stdin.end();
      return exited;
    },
  };
  await demo.waitFor(/Its password is/);
  return demo;
}

describe('console demo: link and unlink', () => {
  it('unlinks the demo chat, shows the unlinked menu, links it again with a code from the outbox', async () => {
    const demo = await startDemo();

    let at = demo.mark();
    demo.type('/unlink');
    await demo.waitFor(/Do you want to unlink this chat[\s\S]*1\) Yes\n\s+2\) No/, at);
    at = demo.mark();
    demo.type('1');
    await demo.waitFor(/Done: this chat is no longer linked to your account/, at);
    await demo.waitFor(/\[outbox\] SMS to \+8613800138000: lockstep: a console chat was unlinked/, at);

    at = demo.mark();
    demo.type('/menu');
    // Linking, and choosing the language (which needs no link).
    await demo.waitFor(
      /What would you like to do\?\n\s+1\) Link your account\n\s+2\) Language\n\(type the number/,
      at,
    );
    at = demo.mark();
    demo.type('/password');
    await demo.waitFor(/This chat is not linked to an account yet[\s\S]*\/link/, at);

    at = demo.mark();
    demo.type('/link');
    await demo.waitFor(/Please type the phone number or the email address of your account/, at);
    at = demo.mark();
    demo.type('+86 138 0013 8000');
    const code = (await demo.waitFor(/your code to link a chat to your account is (\d{6})/, at))[1];
    await demo.waitFor(/If an account uses \+86 138 0013 8000, I sent a 6-digit code there/, at);
    at = demo.mark();
    demo.type(`${code}`);
    await demo.waitFor(/Done: this chat is now linked to your account/, at);
    await demo.waitFor(/\[outbox\] SMS to \+8613800138000: lockstep: a console chat was linked/, at);
    await demo.waitFor(
      /\[outbox\] email to demo@example\.com, subject "A new chat was linked to your account"/,
      at,
    );

    at = demo.mark();
    demo.type('/menu');
    await demo.waitFor(/1\) Change my password[\s\S]*Change my phone number[\s\S]*\) Unlink this chat/, at);
    expect(await demo.end()).toBe(0);
    // The typed code appears once: in the outbox line that stands in for the SMS.
    expect(demo.output().split(code ?? 'none').length - 1).toBe(1);
  });

  it('answers an unknown number like a known one, and prints nothing to the outbox', async () => {
    const demo = await startDemo();
    demo.type('/unlink');
    demo.type('Yes');
    await demo.waitFor(/Done: this chat is no longer linked/);
    const at = demo.mark();
    demo.type('/link');
    demo.type('+8613900139000');
    await demo.waitFor(/If an account uses \+86 139 0013 9000, I sent a 6-digit code there/, at);
    demo.type('123456');
    await demo.waitFor(/That code is not right\. You have 4 more tries\./, at);
    expect(await demo.end()).toBe(0);
    expect(demo.output().slice(at)).not.toContain('[outbox]');
  });
});

describe('console demo: change the phone number', () => {
  it('swaps the demo number with codes to the old and the new number, and prints both notices', async () => {
    const demo = await startDemo();

    let at = demo.mark();
    demo.type('/phone');
    await demo.waitFor(
      /Let us change your phone number[\s\S]*1\) SMS to \+86 138\*\*\*\*8000\n\s+2\) Email to d\*\*\*@example\.com\n\s+3\) I cannot use any of these/,
      at,
    );
    at = demo.mark();
    demo.type('1');
    const oldCode = (await demo.waitFor(/SMS to \+8613800138000: lockstep: your code is (\d{6})/, at))[1];
    await demo.waitFor(/Please type the 6-digit code I sent to \+86 138\*\*\*\*8000/, at);
    at = demo.mark();
    demo.type(`${oldCode}`);
    await demo.waitFor(/Now type your new phone number/, at);

    at = demo.mark();
    demo.type('+86 138 0013 8000');
    await demo.waitFor(/That is already your current number/, at);
    at = demo.mark();
    demo.type('12345');
    await demo.waitFor(/That is not a valid phone number/, at);

    at = demo.mark();
    demo.type('139 0013 9000');
    const newCode = (
      await demo.waitFor(
        /SMS to \+8613900139000: lockstep: your code to make this the phone number of your account is (\d{6})/,
        at,
      )
    )[1];
    await demo.waitFor(/Please type the 6-digit code I sent to \+86 139 0013 9000/, at);
    at = demo.mark();
    demo.type(`${newCode}`);
    await demo.waitFor(/Done: your phone number is now \+86 139 0013 9000/, at);
    await demo.waitFor(
      /\[outbox\] SMS to \+8613800138000: lockstep: the phone number of your account was changed to \+86 139\*\*\*\*9000/,
      at,
    );
    await demo.waitFor(/\[outbox\] email to demo@example\.com, subject "Your phone number was changed"/, at);
    expect(await demo.end()).toBe(0);
  });

  it('proves identity with a code to the email when the number is lost', async () => {
    const demo = await startDemo();
    let at = demo.mark();
    demo.type('/phone');
    await demo.waitFor(/2\) Email to d\*\*\*@example\.com/, at);
    at = demo.mark();
    demo.type('Email to d***@example.com');
    await demo.waitFor(/I sent a 6-digit code to d\*\*\*@example\.com/, at);
    const code = (await demo.waitFor(/Your lockstep code is (\d{6})/, at))[1];
    expect(demo.output().slice(at)).not.toContain('SMS to +8613800138000');
    at = demo.mark();
    demo.type(`${code}`);
    await demo.waitFor(/Now type your new phone number/, at);
    at = demo.mark();
    demo.type('/cancel');
    await demo.waitFor(/Stopped\. Nothing was changed\./, at);
    expect(await demo.end()).toBe(0);
  });
});

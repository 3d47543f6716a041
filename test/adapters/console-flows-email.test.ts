/**
 * The email flow through the console demo, as a person runs it: `tsx src/main.ts` in a child process,
 * lines typed into its stdin, the code read from the outbox it prints. With PUBLIC_URL set, the demo also
 * serves the verification page, and opening the link makes the console say so on its own.
 */

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_EMAIL } from '../../src/demo.ts';
import { freePort } from '../helpers/ports.ts';
import { ROOT } from '../helpers/run-process.ts';
import { signalNode } from '../helpers/signals.ts';
import { openVerifyLink } from '../helpers/verify-link.ts';

const DEMO_PASSWORD = 'Sunny-Demo-2024';
const NEW_EMAIL = 'demo.new@example.org';

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    // tsx passes SIGTERM on to the node process it started; SIGKILL would leave that one running.
    const closed = once(child, 'close');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await closed;
    clearTimeout(timer);
  }
});

/** Starts the demo; `waitFor` resolves when the printed output matches (searching from `from`). */
function startDemo(env: Record<string, string> = {}) {
  const child = spawn(`${ROOT}node_modules/.bin/tsx`, ['src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', DEMO_PASSWORD, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  let cursor = 0;
  /** Waits for `pattern` in the output printed after the previous match. */
  const waitFor = async (pattern: RegExp): Promise<RegExpExecArray> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const rest = out.slice(cursor);
      const match = pattern.exec(rest);
      if (match) {
        cursor += match.index + match[0].length;
        return match;
      }
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${pattern}; output:\n${out}\nstderr:\n${err}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return {
    child,
    exited,
    waitFor,
    type: (line: string) => child.stdin.write(`${line}\n`),
    output: () => out,
    errors: () => err,
  };
}

describe('console demo: add or change the email', () => {
  it('changes the demo email with the password and the code read from the printed outbox', async () => {
    const demo = startDemo();
    await demo.waitFor(/Its password is/);
    demo.type('/email');
    await demo.waitFor(/type your current password/);
    await demo.waitFor(/1\) I forgot my password/);
    demo.type(DEMO_PASSWORD);
    await demo.waitFor(/Your current email address is d\*\*\*@example\.com/);
    demo.type(NEW_EMAIL);
    const outbox = await demo.waitFor(
      /\[outbox\] email to demo\.new@example\.org, subject "Confirm your email address for lockstep":\n([\s\S]*?)If you did not ask/,
    );
    const mailText = outbox[1] ?? '';
    // Without PUBLIC_URL there is no link; the message says where to type the code, in no operator's words.
    expect(mailText).not.toContain('verify-email');
    expect(mailText).toContain('type this code in your chat with the lockstep bot');
    expect(mailText).not.toContain('web address');
    const code = /within 10 minutes: (\d{6})/.exec(mailText)?.[1] ?? '';
    await demo.waitFor(/I sent a 6-digit code to demo\.new@example\.org/);
    demo.type(code);
    await demo.waitFor(/Done: your email address is now demo\.new@example\.org/);
    demo.child.stdin.end();
    expect(await demo.exited).toBe(0);

    const out = demo.output();
    expect(out).toContain(
      '[outbox] SMS to +8613800138000: lockstep: the email address of your account was changed to d***@example.org',
    );
    expect(out).toContain(`[outbox] email to ${DEMO_EMAIL}, subject "Your email address was changed"`);
    expect(out.trimEnd().endsWith('Bye.')).toBe(true);
    // The password shows once, in the demo banner; the typed one is never echoed.
    expect(out.split(DEMO_PASSWORD).length - 1).toBe(1);
    expect(demo.errors()).toBe('');
  });

  it('with PUBLIC_URL, serves the link, and once it is confirmed prints "your email is verified" without the user typing', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const demo = startDemo({ PUBLIC_URL: base, HTTP_PORT: String(port), HTTP_HOST: '127.0.0.1' });
    await demo.waitFor(/Its password is/);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', checks: {} });

    demo.type('/email');
    await demo.waitFor(/type your current password/);
    demo.type(DEMO_PASSWORD);
    await demo.waitFor(/Now type the new address/);
    demo.type(NEW_EMAIL);
    const link =
      (await demo.waitFor(/(http:\/\/127\.0\.0\.1:\d+\/verify-email\?token=[A-Za-z0-9_-]+)/))[1] ?? '';
    await demo.waitFor(/It holds a link and a 6-digit code/);

    // Opening the link only shows the confirm page: the flow keeps waiting, nothing is printed.
    const shown = demo.output().length;
    const opened = await openVerifyLink(link);
    expect(opened.status).toBe(200);
    expect(opened.isConfirmPage).toBe(true);
    expect(opened.token).toBe(new URL(link).searchParams.get('token'));
    expect(demo.output().slice(shown)).not.toMatch(/Your email is verified/);

    const page = await opened.confirm();
    expect(page.status).toBe(200);
    await demo.waitFor(/Your email is verified/);
    expect((await opened.confirm()).status).toBe(410);

    // The flow is over: a line typed now is not taken as a code.
    demo.type('123456');
    await demo.waitFor(/Sorry, I did not understand that/);
    demo.child.stdin.end();
    expect(await demo.exited).toBe(0);
    // Shut down in order: the HTTP server is closed.
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });

  it('shuts down cleanly on SIGTERM, closing the HTTP server', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const demo = startDemo({ PUBLIC_URL: base, HTTP_PORT: String(port), HTTP_HOST: '127.0.0.1' });
    await demo.waitFor(/Its password is/);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    signalNode(demo, 'SIGTERM'); // to the node process itself, as docker stop signals PID 1
    expect(await demo.exited).toBe(0);
    expect(demo.output().trimEnd().endsWith('Bye.')).toBe(true);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import argon2 from 'argon2';
import { describe, expect, inject, it } from 'vitest';
import { render, runConsole, toUserInput } from '../../adapters/console/console-adapter.ts';
import { systemClock } from '../../src/clock.ts';
import { createEngine } from '../../src/composition/engine.ts';
import { OutboxDelivery } from '../../src/delivery/outbox.ts';
import { DEMO_ACCOUNT_ID, seedDemoAccount } from '../../src/demo.ts';
import { MemoryKv } from '../../src/kv/memory-kv.ts';
import { silentLogger } from '../../src/log.ts';
import { createServices } from '../../src/services.ts';
import { uniquePrefix } from '../helpers/redis.ts';
import { ROOT, runScript } from '../helpers/run-process.ts';

const DEMO_PASSWORD = 'Sunny-Demo-2024';
const NEW_PASSWORD = 'Brand-New-Pass-42';

describe('console adapter', () => {
  it('turns lines into commands and text, and skips blank lines', () => {
    expect(toUserInput('/password  now', 1, 'console')?.action).toEqual({
      type: 'command',
      command: 'password',
      args: 'now',
    });
    expect(toUserInput('hello there', 2, 'console')?.action).toEqual({ type: 'text', text: 'hello there' });
    expect(toUserInput('   ', 3, 'console')).toBeNull();
  });

  it('renders choices as numbered options', async () => {
    const text = await render(
      [{ key: 'common.menu', choices: [{ value: 'menu:x', label: 'menu.password' }], input: 'choice' }],
      'en',
    );
    expect(text).toContain('What would you like to do?');
    expect(text).toContain('  1) Change my password');
  });

  it('changes the demo password when a scripted conversation is piped into npm start, and prints both notices', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-'));
    const outbox = join(dir, 'outbox.jsonl');
    const script = ['/password', DEMO_PASSWORD, NEW_PASSWORD, NEW_PASSWORD, ''].join('\n');
    const result = await runScript('src/main.ts', {
      stdin: script,
      env: { DEMO_PASSWORD, OUTBOX_FILE: outbox },
      timeoutMs: 60_000,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Done: your password was changed. 2 signed-in sessions were signed out');
    expect(result.stdout).toContain(
      '[outbox] SMS to +8613800138000: lockstep: the password of your account was changed',
    );
    expect(result.stdout).toContain(
      '[outbox] email to demo@example.com, subject "Your password was changed"',
    );
    expect(result.stdout.trimEnd().endsWith('Bye.')).toBe(true);
    // The typed secrets are never echoed back.
    expect(result.stdout.split(NEW_PASSWORD).length - 1).toBe(0);
    const lines = readFileSync(outbox, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    // The two notices go out in parallel: their order is not part of the contract.
    expect(lines.map((l) => [l.channel, l.to]).sort()).toEqual([
      ['email', 'demo@example.com'],
      ['sms', '+8613800138000'],
    ]);
    for (const line of lines) expect(Object.keys(line).sort()).toEqual(['at', 'channel', 'text', 'to']);
  });

  it('keeps the demo on Redis when REDIS_URL is set: a second run sees the changed password', async () => {
    const env = {
      DEMO_PASSWORD,
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: uniquePrefix(),
      SECRET_KEY: 'r'.repeat(40),
    };
    const first = await runScript('src/main.ts', {
      stdin: ['/password', DEMO_PASSWORD, NEW_PASSWORD, NEW_PASSWORD, ''].join('\n'),
      env,
      timeoutMs: 60_000,
    });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`Its password is: ${DEMO_PASSWORD}`);
    expect(first.stdout).toContain('Done: your password was changed');
    const second = await runScript('src/main.ts', {
      stdin: ['/password', DEMO_PASSWORD, '/cancel', '/password', NEW_PASSWORD, ''].join('\n'),
      env,
      timeoutMs: 60_000,
    });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('already exists there');
    expect(second.stdout).not.toContain(DEMO_PASSWORD);
    expect(second.stdout).toContain('That is not your current password. You have 4 more tries.');
    expect(second.stdout).toContain('Thanks, that is confirmed. Now type your new password.');
  });

  it('walks the "I forgot it" path interactively, reading the code from the printed outbox', async () => {
    const child = spawn(`${ROOT}node_modules/.bin/tsx`, ['src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DEMO_PASSWORD },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    const waitFor = async (pattern: RegExp): Promise<RegExpExecArray> => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const match = pattern.exec(out);
        if (match) return match;
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${pattern}; output so far:\n${out}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await waitFor(/Its password is/);
    child.stdin.write('/password\n');
    await waitFor(/1\) I forgot my password/);
    child.stdin.write('1\n');
    await waitFor(/2\) Email to d\*\*\*@example\.com/);
    child.stdin.write('Email to d***@example.com\n');
    const code = (await waitFor(/Your lockstep code is (\d{6})/))[1];
    await waitFor(/Please type the 6-digit code I sent to d\*\*\*@example\.com/);
    child.stdin.write(`${code}\n`);
    await waitFor(/Now type your new password/);
    child.stdin.write(`${NEW_PASSWORD}\n${NEW_PASSWORD}\n`);
    await waitFor(/Done: your password was changed/);
    child.stdin.end();
    expect(await exited).toBe(0);
    expect(out).toContain(
      '[outbox] SMS to +8613800138000: lockstep: the password of your account was changed',
    );
  });

  it('runs in-process on a stream and the stored hash verifies with the new password', async () => {
    const kv = new MemoryKv();
    const services = createServices({
      kv,
      delivery: new OutboxDelivery({ clock: systemClock }),
      clock: systemClock,
      log: silentLogger,
      secretKey: 'k'.repeat(32),
    });
    await seedDemoAccount(services, DEMO_PASSWORD);
    const input = new PassThrough();
    const output = new PassThrough();
    let printed = '';
    output.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const done = runConsole({ engine: createEngine(services), input, output });
    input.end(['/password', DEMO_PASSWORD, NEW_PASSWORD, NEW_PASSWORD].join('\n'));
    await done;
    expect(printed).toContain('Done: your password was changed');
    const account = await services.accounts.get(DEMO_ACCOUNT_ID);
    expect(await argon2.verify(account?.passwordHash ?? '', NEW_PASSWORD)).toBe(true);
    expect(account?.sessions).toEqual([]);
  });
});

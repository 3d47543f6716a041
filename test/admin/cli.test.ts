import { describe, expect, inject, it } from 'vitest';
import { uniquePrefix } from '../helpers/redis.ts';
import { runScript } from '../helpers/run-process.ts';

const env = () => ({
  REDIS_URL: inject('redisUrl'),
  SECRET_KEY: 's'.repeat(40),
  REDIS_PREFIX: uniquePrefix(),
});

describe('admin CLI', () => {
  it('creates, shows, links and lists an account, printing JSON without secrets', async () => {
    const e = env();
    const password = 'Admin-made-pass-9';
    const created = await runScript('src/admin/cli.ts', {
      args: [
        'account',
        'create',
        '--phone',
        '+86 138 0013 8000',
        '--email',
        'User@Example.com',
        '--password',
        password,
      ],
      env: e,
    });
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const account = JSON.parse(created.stdout);
    expect(account).toMatchObject({
      phone: '+8613800138000',
      email: 'user@example.com',
      twoFactor: false,
      links: [],
    });
    expect(created.stdout).not.toContain(password);
    expect(created.stdout).not.toContain('argon2');

    const shown = await runScript('src/admin/cli.ts', {
      args: ['account', 'show', 'user@example.com'],
      env: e,
    });
    expect(JSON.parse(shown.stdout).id).toBe(account.id);

    const linked = await runScript('src/admin/cli.ts', {
      args: ['account', 'link', account.id, '--telegram', '4242'],
      env: e,
    });
    expect(linked.code).toBe(0);
    expect(JSON.parse(linked.stdout).links).toEqual([
      expect.objectContaining({ channel: 'telegram', userId: '4242' }),
    ]);

    const sessions = await runScript('src/admin/cli.ts', {
      args: ['account', 'sessions', account.id],
      env: e,
    });
    expect(JSON.parse(sessions.stdout)).toEqual([]);

    const events = await runScript('src/admin/cli.ts', {
      args: ['account', 'events', '+8613800138000'],
      env: e,
    });
    expect(JSON.parse(events.stdout).map((ev: { type: string }) => ev.type)).toEqual([
      'chat.linked',
      'account.created',
    ]);

    const again = await runScript('src/admin/cli.ts', {
      args: ['account', 'create', '--phone', '+8613800138000', '--password', password],
      env: e,
    });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('that phone number belongs to another account');
  });

  it.each([
    [['account'], 'unknown command'],
    [
      ['account', 'create', '--phone', '12', '--password', 'Good-pass-123'],
      'not a valid international number',
    ],
    [
      ['account', 'create', '--phone', '+8613800138000', '--password', 'password1'],
      'password policy (common)',
    ],
    [
      ['account', 'create', '--phone', '+8613800138000', '--password', 'Good-pass-123', '--email', 'nope'],
      'not a valid email',
    ],
    [['account', 'link', 'acc_x', '--telegram', '1', '--discord', '2'], 'exactly one of'],
    [['account', 'create', '--bogus'], "Unknown option '--bogus'"],
    [['account', 'frobnicate'], 'unknown command "account frobnicate"'],
  ])('rejects %j with a usage message and exit code 2', async (args, message) => {
    const result = await runScript('src/admin/cli.ts', { args, env: env() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('usage: npm run admin');
  });

  it('says what is missing without REDIS_URL', async () => {
    const result = await runScript('src/admin/cli.ts', { args: ['account', 'show', 'acc_x'] });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('set REDIS_URL and SECRET_KEY');
  });
});

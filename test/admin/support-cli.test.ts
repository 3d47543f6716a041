/** The operators' commands for support: API keys (made, listed, revoked; printed once) and the audit log. */
import { describe, expect, inject, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import { ApiKeyStore } from '../../src/support/api-keys.ts';
import { AuditLog } from '../../src/support/audit.ts';
import { connectRedis, uniquePrefix } from '../helpers/redis.ts';
import { runScript } from '../helpers/run-process.ts';

const redis = connectRedis();
const env = (prefix: string) => ({
  REDIS_URL: inject('redisUrl'),
  SECRET_KEY: 's'.repeat(40),
  REDIS_PREFIX: prefix,
});
const admin = (prefix: string, ...args: string[]) =>
  runScript('src/admin/cli.ts', { args, env: env(prefix) });

describe('admin CLI: API keys and the audit log', () => {
  it('creates a key (printed once, stored hashed), lists it without the key, revokes it, and audits all of it', async () => {
    const prefix = uniquePrefix();
    const created = await admin(
      prefix,
      'apikey',
      'create',
      '--name',
      'Helpdesk bot',
      '--scopes',
      'handoff:write,handoff:read',
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const made = JSON.parse(created.stdout);
    expect(made).toMatchObject({ name: 'Helpdesk bot', scopes: ['handoff:write', 'handoff:read'] });
    expect(made.key).toMatch(/^lsk_[a-f0-9]{16}_[A-Za-z0-9_-]{43}$/);
    const store = new ApiKeyStore(new RedisKv(redis), systemClock, prefix);
    expect(await store.authenticate(made.key)).toMatchObject({ id: made.id, name: 'Helpdesk bot' });

    const listed = await admin(prefix, 'apikey', 'list');
    expect(JSON.parse(listed.stdout)).toEqual([
      {
        id: made.id,
        name: 'Helpdesk bot',
        scopes: ['handoff:write', 'handoff:read'],
        createdAt: made.createdAt,
      },
    ]);
    // The secret is everything after `lsk_<id>_` (it may hold `_` itself).
    const secret = made.key.slice(`lsk_${made.id}_`.length);
    expect(secret).toHaveLength(43);
    expect(listed.stdout).not.toContain(secret);

    const revoked = await admin(prefix, 'apikey', 'revoke', made.id);
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout).revokedAt).toEqual(expect.any(String));
    expect(await store.authenticate(made.key)).toBeNull();

    // An agent action recorded by the service shows with the key's name.
    await new AuditLog(new RedisKv(redis), systemClock, prefix).record({
      actor: { kind: 'key', id: made.id, name: 'Helpdesk bot' },
      action: 'handoff.created',
      target: 'hof_0123456789abcdef',
    });
    const audit = await admin(prefix, 'audit', 'list', '--limit', '10');
    expect(audit.code).toBe(0);
    expect(JSON.parse(audit.stdout).map((e: { action: string; by: string }) => [e.action, e.by])).toEqual([
      ['handoff.created', `key Helpdesk bot (${made.id})`],
      ['apikey.revoked', 'admin'],
      ['apikey.created', 'admin'],
    ]);
    expect(audit.stdout).not.toContain(made.key);
    const one = await admin(prefix, 'audit', 'list', '--target', 'hof_0123456789abcdef');
    expect(JSON.parse(one.stdout)).toHaveLength(1);
  });

  it.each([
    [['apikey', 'create', '--scopes', 'handoff:read'], '--name is required'],
    [['apikey', 'create', '--name', 'x'], '--scopes is required'],
    [['apikey', 'create', '--name', 'x', '--scopes', 'handoff:read,root'], 'unknown scope root'],
    [['apikey', 'revoke'], 'the key id is required'],
    [['apikey', 'rotate'], 'unknown command "apikey rotate"'],
    [['audit', 'list', '--limit', '0'], '--limit must be 1-10000'],
  ])('rejects %j with a usage message and exit code 2', async (args, message) => {
    const result = await admin(uniquePrefix(), ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('apikey create --name');
  });

  it('says so when there is no such key to revoke (exit 1)', async () => {
    const result = await admin(uniquePrefix(), 'apikey', 'revoke', '0123456789abcdef');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no API key has the id');
  });
});

import { describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../src/accounts/account.ts';
import { AccountStore, type NewAccount } from '../../src/accounts/account-store.ts';
import { backends } from '../helpers/backends.ts';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

function newAccount(overrides: Partial<NewAccount> = {}): NewAccount {
  return {
    phone: '+8613800138000',
    email: 'alice@example.com',
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
    now: NOW,
    ...overrides,
  };
}

describe.each(backends)('AccountStore on $name', (backend) => {
  const store = backend.use();
  const accounts = () => new AccountStore(store.kv, store.prefix);

  async function created(a: AccountStore, overrides: Partial<NewAccount> = {}) {
    const result = await a.create(newAccount(overrides));
    if (!result.ok) throw new Error(`seed failed: ${result.reason}`);
    return result.account;
  }

  describe('create', () => {
    it('creates an account with a fresh id, a lower-cased email and no 2FA, links or sessions', async () => {
      const result = await accounts().create(newAccount({ email: 'Alice@Example.COM' }));
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.account.id).toMatch(/^acc_[0-9a-f]{12}$/);
      expect(result.account).toMatchObject({
        phone: '+8613800138000',
        email: 'alice@example.com',
        twoFactor: { enabled: false },
        links: [],
        sessions: [],
        createdAt: NOW,
        passwordChangedAt: null,
      });
      expect(await accounts().get(result.account.id)).toEqual(result.account);
    });

    it('records account.created as the first security event', async () => {
      const a = accounts();
      const account = await created(a);
      expect(await a.events(account.id)).toEqual([{ at: NOW, type: 'account.created', channel: 'admin' }]);
    });

    it('refuses a second account with the same phone', async () => {
      const a = accounts();
      await created(a);
      expect(await a.create(newAccount({ email: 'bob@example.com' }))).toEqual({
        ok: false,
        reason: 'phoneTaken',
      });
      expect(await a.findByEmail('bob@example.com')).toBeNull();
    });

    it('refuses a second account with the same email in another case, and frees the phone it tried', async () => {
      const a = accounts();
      const alice = await created(a);
      expect(await a.create(newAccount({ phone: '+8613900139000', email: 'ALICE@example.com' }))).toEqual({
        ok: false,
        reason: 'emailTaken',
      });
      // The failed attempt must not keep the phone number claimed.
      expect(await a.findByPhone('+8613900139000')).toBeNull();
      const bob = await created(a, { phone: '+8613900139000', email: 'bob@example.com' });
      expect(bob.id).not.toBe(alice.id);
    });

    it('refuses an id that exists and releases the phone and email it tried', async () => {
      const a = accounts();
      await created(a, { id: 'acc_000000000001' });
      expect(
        await a.create(
          newAccount({ id: 'acc_000000000001', phone: '+4915112345678', email: 'c@example.com' }),
        ),
      ).toEqual({ ok: false, reason: 'idTaken' });
      expect(await a.findByPhone('+4915112345678')).toBeNull();
      expect(await a.findByEmail('c@example.com')).toBeNull();
    });

    it('allows several accounts without email', async () => {
      const a = accounts();
      await created(a, { email: null });
      const second = await a.create(newAccount({ phone: '+8613900139000', email: null }));
      expect(second.ok).toBe(true);
    });

    it('lets exactly one of many concurrent creations with the same phone succeed', async () => {
      const a = accounts();
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => a.create(newAccount({ email: `user${i}@example.com` }))),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok && r.reason === 'phoneTaken')).toHaveLength(9);
    });
  });

  describe('find', () => {
    it('finds an account by id, phone, email (any case) and a linked identity', async () => {
      const a = accounts();
      const account = await created(a);
      await a.link(account.id, 'telegram', '777', NOW);
      expect((await a.get(account.id))?.id).toBe(account.id);
      expect((await a.findByPhone('+8613800138000'))?.id).toBe(account.id);
      expect((await a.findByEmail('alice@example.com'))?.id).toBe(account.id);
      expect((await a.findByEmail('ALICE@Example.com'))?.id).toBe(account.id);
      expect((await a.findByLink('telegram', '777'))?.id).toBe(account.id);
      expect(await a.linkedId('telegram', '777')).toBe(account.id);
    });

    it('finds by a reference that is an id, an E.164 phone or an email', async () => {
      const a = accounts();
      const account = await created(a);
      expect((await a.find(account.id))?.id).toBe(account.id);
      expect((await a.find('+8613800138000'))?.id).toBe(account.id);
      expect((await a.find('alice@example.com'))?.id).toBe(account.id);
      expect(await a.find('+19999999999')).toBeNull();
      expect(await a.find('nobody@example.com')).toBeNull();
      expect(await a.find('acc_ffffffffffff')).toBeNull();
    });

    it('returns null for unknown ids, phones, emails and identities', async () => {
      const a = accounts();
      expect(await a.get('acc_nothing')).toBeNull();
      expect(await a.findByPhone('+8613800138000')).toBeNull();
      expect(await a.findByEmail('alice@example.com')).toBeNull();
      expect(await a.findByLink('discord', '1')).toBeNull();
      expect(await a.linkedId('discord', '1')).toBeNull();
    });
  });

  describe('update', () => {
    it('applies a change and returns the updated account', async () => {
      const a = accounts();
      const account = await created(a);
      const updated = await a.update(account.id, (x) => ({ ...x, passwordChangedAt: NOW + 1 }));
      expect(updated?.passwordChangedAt).toBe(NOW + 1);
      expect((await a.get(account.id))?.passwordChangedAt).toBe(NOW + 1);
    });

    it('returns null for an account that does not exist', async () => {
      expect(await accounts().update('acc_nothing', (x) => x)).toBeNull();
    });

    it('loses none of 20 concurrent updates from two processes', async () => {
      const here = accounts();
      const there = new AccountStore(store.peer, store.prefix);
      const account = await created(here);
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? here : there).update(account.id, (x) => ({
            ...x,
            sessions: [...x.sessions, { id: `s${i}`, device: 'web', createdAt: NOW, lastSeenAt: NOW }],
          })),
        ),
      );
      const ids = (await here.get(account.id))?.sessions.map((s) => s.id) ?? [];
      expect(ids).toHaveLength(20);
      expect(new Set(ids)).toEqual(new Set(Array.from({ length: 20 }, (_, i) => `s${i}`)));
    });
  });

  describe('changePhone / changeEmail', () => {
    it('moves the phone index: the old number no longer finds the account, the new one does', async () => {
      const a = accounts();
      const account = await created(a);
      expect(await a.changePhone(account.id, '+4915112345678')).toEqual({ ok: true });
      expect(await a.findByPhone('+8613800138000')).toBeNull();
      expect((await a.findByPhone('+4915112345678'))?.id).toBe(account.id);
      expect((await a.get(account.id))?.phone).toBe('+4915112345678');
      // The old number is free for somebody else now.
      expect((await a.create(newAccount({ email: 'bob@example.com' }))).ok).toBe(true);
    });

    it('refuses a phone that belongs to another account and changes nothing', async () => {
      const a = accounts();
      const alice = await created(a);
      await created(a, { phone: '+4915112345678', email: 'bob@example.com' });
      expect(await a.changePhone(alice.id, '+4915112345678')).toEqual({ ok: false, reason: 'taken' });
      expect((await a.get(alice.id))?.phone).toBe('+8613800138000');
      expect((await a.findByPhone('+8613800138000'))?.id).toBe(alice.id);
    });

    it('accepts the same phone as a no-op, and reports a missing account', async () => {
      const a = accounts();
      const account = await created(a);
      expect(await a.changePhone(account.id, '+8613800138000')).toEqual({ ok: true });
      expect((await a.findByPhone('+8613800138000'))?.id).toBe(account.id);
      expect(await a.changePhone('acc_nothing', '+4915112345678')).toEqual({
        ok: false,
        reason: 'noAccount',
      });
    });

    it('moves the email index, lower-casing the new address', async () => {
      const a = accounts();
      const account = await created(a);
      expect(await a.changeEmail(account.id, 'Alice.New@Example.com')).toEqual({ ok: true });
      expect(await a.findByEmail('alice@example.com')).toBeNull();
      expect((await a.findByEmail('alice.new@example.com'))?.id).toBe(account.id);
      expect((await a.get(account.id))?.email).toBe('alice.new@example.com');
    });

    it('refuses an email that belongs to another account, in any case', async () => {
      const a = accounts();
      const alice = await created(a);
      await created(a, { phone: '+4915112345678', email: 'bob@example.com' });
      expect(await a.changeEmail(alice.id, 'BOB@example.com')).toEqual({ ok: false, reason: 'taken' });
      expect((await a.get(alice.id))?.email).toBe('alice@example.com');
    });

    it('removes the email and its index entry when set to null, and can add one again', async () => {
      const a = accounts();
      const account = await created(a);
      expect(await a.changeEmail(account.id, null)).toEqual({ ok: true });
      expect(await a.findByEmail('alice@example.com')).toBeNull();
      expect((await a.get(account.id))?.email).toBeNull();
      expect(await a.changeEmail(account.id, 'alice@example.com')).toEqual({ ok: true });
      expect((await a.findByEmail('alice@example.com'))?.id).toBe(account.id);
    });
  });

  describe('link / unlink', () => {
    it('links several identities to one account, each once', async () => {
      const a = accounts();
      const account = await created(a);
      expect(await a.link(account.id, 'telegram', '777', NOW)).toEqual({ ok: true });
      expect(await a.link(account.id, 'discord', '888', NOW)).toEqual({ ok: true });
      expect(await a.link(account.id, 'telegram', '777', NOW + 5)).toEqual({ ok: true });
      expect((await a.get(account.id))?.links).toEqual([
        { channel: 'telegram', userId: '777', linkedAt: NOW },
        { channel: 'discord', userId: '888', linkedAt: NOW },
      ]);
      expect((await a.findByLink('discord', '888'))?.id).toBe(account.id);
    });

    it('refuses to link an identity that belongs to another account', async () => {
      const a = accounts();
      const alice = await created(a);
      const bob = await created(a, { phone: '+4915112345678', email: 'bob@example.com' });
      await a.link(alice.id, 'telegram', '777', NOW);
      expect(await a.link(bob.id, 'telegram', '777', NOW)).toEqual({ ok: false, reason: 'linkedElsewhere' });
      expect((await a.findByLink('telegram', '777'))?.id).toBe(alice.id);
      expect((await a.get(bob.id))?.links).toEqual([]);
    });

    it('links one identity to only one of two accounts racing for it', async () => {
      const a = accounts();
      const alice = await created(a);
      const bob = await created(a, { phone: '+4915112345678', email: 'bob@example.com' });
      const results = await Promise.all([
        a.link(alice.id, 'telegram', '777', NOW),
        new AccountStore(store.peer, store.prefix).link(bob.id, 'telegram', '777', NOW),
      ]);
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      const owner = await a.findByLink('telegram', '777');
      const loser = owner?.id === alice.id ? bob.id : alice.id;
      expect((await a.get(loser))?.links).toEqual([]);
    });

    it('reports a missing account', async () => {
      expect(await accounts().link('acc_nothing', 'telegram', '777', NOW)).toEqual({
        ok: false,
        reason: 'noAccount',
      });
    });

    it('unlinks an identity: it no longer finds the account and may be linked to another', async () => {
      const a = accounts();
      const alice = await created(a);
      const bob = await created(a, { phone: '+4915112345678', email: 'bob@example.com' });
      await a.link(alice.id, 'telegram', '777', NOW);
      await a.link(alice.id, 'discord', '888', NOW);
      expect(await a.unlink('telegram', '777')).toBe(alice.id);
      expect(await a.findByLink('telegram', '777')).toBeNull();
      expect((await a.get(alice.id))?.links.map((l) => l.channel)).toEqual(['discord']);
      expect(await a.link(bob.id, 'telegram', '777', NOW)).toEqual({ ok: true });
    });

    it('returns null when unlinking an identity that is not linked', async () => {
      expect(await accounts().unlink('telegram', '404')).toBeNull();
    });
  });

  describe('security events', () => {
    it('returns events newest first, at most `limit`', async () => {
      const a = accounts();
      const account = await created(a);
      const types: SecurityEvent['type'][] = ['password.wrong', 'password.locked', 'password.changed'];
      for (const [i, type] of types.entries()) {
        await a.appendEvent(account.id, { at: NOW + i + 1, type, channel: 'telegram', detail: { n: i } });
      }
      expect((await a.events(account.id)).map((e) => e.type)).toEqual([
        'password.changed',
        'password.locked',
        'password.wrong',
        'account.created',
      ]);
      expect(await a.events(account.id, 2)).toEqual([
        { at: NOW + 3, type: 'password.changed', channel: 'telegram', detail: { n: 2 } },
        { at: NOW + 2, type: 'password.locked', channel: 'telegram', detail: { n: 1 } },
      ]);
    });

    it('keeps every account’s events apart', async () => {
      const a = accounts();
      const alice = await created(a);
      const bob = await created(a, { phone: '+4915112345678', email: 'bob@example.com' });
      await a.appendEvent(alice.id, { at: NOW, type: 'password.changed', channel: 'console' });
      expect((await a.events(bob.id)).map((e) => e.type)).toEqual(['account.created']);
    });

    it('keeps events when the account changes (append-only log beside the record)', async () => {
      const a = accounts();
      const account = await created(a);
      await a.appendEvent(account.id, { at: NOW + 1, type: 'password.changed', channel: 'console' });
      await a.update(account.id, (x) => ({ ...x, sessions: [] }));
      await a.changePhone(account.id, '+4915112345678');
      expect((await a.events(account.id)).map((e) => e.type)).toEqual([
        'password.changed',
        'account.created',
      ]);
    });
  });

  describe('key layout', () => {
    it('stores the account under its own hash tag after the prefix', async () => {
      const a = accounts();
      const account = await created(a);
      expect(a.rawKey(account.id)).toBe(`${store.prefix}{acct:${account.id}}:account`);
      expect(JSON.parse((await store.kv.get(a.rawKey(account.id))) ?? 'null')).toEqual(account);
    });
  });
});

/**
 * A turn reads each account and link at most once: inside a read scope the account store answers a key
 * it read before from that read, and every write it makes keeps the scope true (a compare-and-set that
 * won is answered with what it wrote, one that lost is read afresh). Outside a scope every call reads.
 */
import { describe, expect, it } from 'vitest';
import { AccountStore } from '../../src/accounts/account-store.ts';
import { RedisSessionFrame } from '../../src/engine/redis-session-frame.ts';
import { SessionStore } from '../../src/engine/session-store.ts';
import { type Kv, setAll } from '../../src/kv/kv.ts';
import { MemoryKv } from '../../src/kv/memory-kv.ts';
import { withTurnScope } from '../../src/kv/read-scope.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import { connectRedis, deleteByPrefix, uniquePrefix } from '../helpers/redis.ts';

/** Counts the reads that reach the store. */
function countingKv(): { kv: Kv; inner: MemoryKv; reads: string[] } {
  const inner = new MemoryKv();
  const reads: string[] = [];
  const kv = new Proxy(inner, {
    get(target, name, receiver) {
      if (name === 'get') {
        return (key: string) => {
          reads.push(key);
          return target.get(key);
        };
      }
      const value = Reflect.get(target, name, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as Kv;
  return { kv, inner, reads };
}

async function seeded() {
  const { kv, inner, reads } = countingKv();
  const accounts = new AccountStore(kv);
  const created = await accounts.create({
    id: 'acc_scope',
    phone: '+15550000001',
    email: 'a@example.com',
    passwordHash: 'h',
    now: 1,
  });
  expect(created.ok).toBe(true);
  await accounts.link('acc_scope', 'telegram', '42', 1);
  reads.length = 0;
  return { accounts, kv, inner, reads };
}

describe('read scope', () => {
  it('reads an account and a link once in a scope, every time outside one', async () => {
    const { accounts, reads } = await seeded();
    await withTurnScope(async () => {
      for (let i = 0; i < 3; i += 1) {
        expect(await accounts.linkedId('telegram', '42')).toBe('acc_scope');
        expect((await accounts.get('acc_scope'))?.phone).toBe('+15550000001');
      }
    });
    expect(reads).toEqual(['ls:idx:link:telegram:42', 'ls:{acct:acc_scope}:account']);
    reads.length = 0;
    await accounts.get('acc_scope');
    await accounts.get('acc_scope');
    expect(reads).toHaveLength(2);
  });

  it('shares one read between two asking at once, and answers a seeded key without reading', async () => {
    const { accounts, reads } = await seeded();
    await withTurnScope(async (seed) => {
      seed('ls:idx:link:telegram:42', 'acc_seeded');
      const [a, b] = await Promise.all([accounts.get('acc_scope'), accounts.get('acc_scope')]);
      expect(a).toEqual(b);
      expect(await accounts.linkedId('telegram', '42')).toBe('acc_seeded');
    });
    expect(reads).toEqual(['ls:{acct:acc_scope}:account']);
  });

  it('answers with what its own write stored, and reads afresh after a compare-and-set that lost', async () => {
    const { accounts, inner, reads } = await seeded();
    await withTurnScope(async () => {
      await accounts.get('acc_scope');
      await accounts.update('acc_scope', (a) => ({ ...a, passwordChangedAt: 7 }));
      expect((await accounts.get('acc_scope'))?.passwordChangedAt).toBe(7);
      expect(reads).toEqual(['ls:{acct:acc_scope}:account']);
      // Another process changes the account: this turn's next update loses its first compare-and-set,
      // reads the account afresh and applies its change on top of the other one.
      const raw = (await inner.get('ls:{acct:acc_scope}:account')) ?? '';
      await inner.set(
        'ls:{acct:acc_scope}:account',
        JSON.stringify({ ...JSON.parse(raw), email: 'b@example.com' }),
      );
      const updated = await accounts.update('acc_scope', (a) => ({ ...a, passwordChangedAt: 8 }));
      expect(updated).toMatchObject({ email: 'b@example.com', passwordChangedAt: 8 });
      expect(await accounts.get('acc_scope')).toMatchObject({ email: 'b@example.com', passwordChangedAt: 8 });
    });
  });

  it('sees a link made or removed in the same scope', async () => {
    const { accounts } = await seeded();
    await withTurnScope(async () => {
      expect(await accounts.linkedId('discord', '7')).toBeNull();
      expect(await accounts.link('acc_scope', 'discord', '7', 2)).toEqual({ ok: true });
      expect(await accounts.linkedId('discord', '7')).toBe('acc_scope');
      expect(await accounts.unlink('discord', '7')).toBe('acc_scope');
      expect(await accounts.linkedId('discord', '7')).toBeNull();
    });
  });

  it('keeps scopes apart: two turns at once each read for themselves', async () => {
    const { accounts, reads } = await seeded();
    await Promise.all([
      withTurnScope(() => accounts.get('acc_scope')),
      withTurnScope(() => accounts.get('acc_scope')),
    ]);
    expect(reads).toHaveLength(2);
  });
});

describe('security-log lines in a turn scope, on Redis', () => {
  const redis = connectRedis();

  async function world() {
    const prefix = uniquePrefix();
    const kv = new RedisKv(redis);
    const sessions = new SessionStore(kv, prefix, new RedisSessionFrame(redis));
    return { prefix, kv, sessions, done: () => deleteByPrefix(redis, prefix) };
  }
  const chat = { channel: 'telegram', chatId: '77' } as const;
  const commit = {
    next: { flow: null, prompt: null, lastActiveAt: 1 },
    ttlMs: 60_000,
    secret: 'keep',
    secretTtlMs: 1,
    expiry: 'keep',
    seen: ['1'],
    seenTtlMs: 60_000,
  } as const;

  it('go out with the commit, before the unlock; a read of the log in the turn sees them first', async () => {
    const w = await world();
    const log = `${w.prefix}{acct:a}:events`;
    await withTurnScope(async () => {
      const frame = await w.sessions.begin(chat, 5_000, 0);
      if (!frame) throw new Error('no frame');
      await w.kv.append(log, 'one');
      expect(await redis.llen(log)).toBe(0);
      await w.kv.append(log, 'two');
      expect(await w.kv.tail(log, 10)).toEqual(['one', 'two']);
      await w.kv.append(log, 'three');
      expect(await w.sessions.commit(chat, frame.token, commit)).toBe(true);
      expect(await redis.lrange(log, 0, -1)).toEqual(['one', 'two', 'three']);
    });
    await w.done();
  });

  it('go out when the turn ends without a commit, and even when it fails', async () => {
    const w = await world();
    const log = `${w.prefix}{acct:b}:events`;
    await withTurnScope(async () => {
      await w.kv.append(log, 'kept');
    });
    await expect(
      withTurnScope(async () => {
        await w.kv.append(log, 'before the fault');
        throw new Error('the step failed');
      }),
    ).rejects.toThrow('the step failed');
    expect(await redis.lrange(log, 0, -1)).toEqual(['kept', 'before the fault']);
    // Outside a scope an append is written at once.
    await w.kv.append(log, 'now');
    expect(await redis.lrange(log, -1, -1)).toEqual(['now']);
    await w.done();
  });
});

describe('writes that travel with the commit, on Redis', () => {
  const redis = connectRedis();

  it('are read back by the turn itself, sent before another operation on their key, and with the commit', async () => {
    const prefix = uniquePrefix();
    const kv = new RedisKv(redis);
    const sessions = new SessionStore(kv, prefix, new RedisSessionFrame(redis));
    const chat = { channel: 'telegram', chatId: '78' } as const;
    const code = `${prefix}{code:a}:code`;
    const cooldown = `${prefix}{code:a}:cooldown`;
    const proof = `${prefix}{acct:a}:proof`;
    await withTurnScope(async () => {
      const frame = await sessions.begin(chat, 5_000, 0);
      if (!frame) throw new Error('no frame');
      await setAll(
        kv,
        [
          { key: code, value: 'hash-1', ttlMs: 60_000 },
          { key: cooldown, value: '1', ttlMs: 60_000 },
        ],
        { withCommit: true },
      );
      expect(await redis.exists(code, cooldown)).toBe(0);
      // The turn reads what it wrote.
      expect(await kv.get(code)).toBe('hash-1');
      // Another operation on such a key sends the waiting writes first, so it sees them.
      expect(await kv.ttl(cooldown)).toBeGreaterThan(50_000);
      expect(await redis.get(code)).toBe('hash-1');
      await setAll(
        kv,
        [{ key: proof, value: 'task:1' }].map((e) => ({ ...e, ttlMs: 60_000 })),
        {
          withCommit: true,
        },
      );
      expect(await redis.exists(proof)).toBe(0);
      expect(await sessions.commit(chat, frame.token, { ...commitOf(), seen: ['1'] })).toBe(true);
      expect(await redis.get(proof)).toBe('task:1');
    });
    // Outside a turn they are written at once.
    await setAll(kv, [{ key: proof, value: 'task:2', ttlMs: 60_000 }], { withCommit: true });
    expect(await redis.get(proof)).toBe('task:2');
    await deleteByPrefix(redis, prefix);
  });
});

describe('deletes and queue entries that travel with the commit, on Redis', () => {
  const redis = connectRedis();

  it('wait for the commit, are read as gone (or read after sending, when the outcome is unknown), and tell when sent', async () => {
    const prefix = uniquePrefix();
    const kv = new RedisKv(redis);
    const sessions = new SessionStore(kv, prefix, new RedisSessionFrame(redis));
    const chat = { channel: 'telegram', chatId: '79' } as const;
    const tries = `${prefix}{acct:a}:tries`;
    const index = `${prefix}idx:phone:+15550000009`;
    const other = `${prefix}idx:phone:+15550000010`;
    const queue = `${prefix}notices`;
    await redis.set(tries, '3');
    await redis.set(index, 'acc_a');
    await redis.set(other, 'acc_someone_else');
    const sent: string[] = [];
    await withTurnScope(async () => {
      const frame = await sessions.begin(chat, 5_000, 0);
      if (!frame) throw new Error('no frame');
      await kv.del(tries, { withCommit: true });
      expect(await kv.deleteIfEquals(index, 'acc_a', { withCommit: true })).toBe(true);
      await kv.deleteIfEquals(other, 'acc_a', { withCommit: true });
      await kv.scheduleAll(queue, [['notice-1', 5]], { withCommit: true, sent: () => sent.push('queue') });
      // Nothing has reached Redis yet.
      expect(await redis.get(tries)).toBe('3');
      expect(await redis.get(index)).toBe('acc_a');
      expect(await redis.zcard(queue)).toBe(0);
      expect(sent).toEqual([]);
      // The turn reads the deleted counter as gone without sending anything.
      expect(await kv.get(tries)).toBeNull();
      expect(await redis.get(tries)).toBe('3');
      expect(await sessions.commit(chat, frame.token, { ...commitOf(), seen: ['1'] })).toBe(true);
      expect(sent).toEqual(['queue']);
      expect(await redis.get(tries)).toBeNull();
      expect(await redis.get(index)).toBeNull();
      // A conditional delete deletes only what still holds the value.
      expect(await redis.get(other)).toBe('acc_someone_else');
      expect(await redis.zrange(queue, 0, -1)).toEqual(['notice-1']);
    });
    await redis.set(index, 'acc_a');
    await withTurnScope(async () => {
      await kv.deleteIfEquals(index, 'acc_a', { withCommit: true });
      // A read of a key whose pending write has an outcome not known here sends it first.
      expect(await kv.get(index)).toBeNull();
    });
    // Outside a turn they go at once, and say so.
    await redis.set(tries, '1');
    await kv.del(tries, { withCommit: true, sent: () => sent.push('del') });
    expect(await redis.get(tries)).toBeNull();
    expect(sent).toEqual(['queue', 'del']);
    await deleteByPrefix(redis, prefix);
  });
});

describe('reading one key and claiming another in one step', () => {
  const redis = connectRedis();
  for (const [name, make] of [
    ['Redis', () => new RedisKv(redis)],
    ['memory', () => new MemoryKv()],
  ] as const) {
    it(`claims a free key, reports a held one with its value, and reads the other key (${name})`, async () => {
      const kv = make();
      const prefix = uniquePrefix();
      const proof = `${prefix}{acct:b}:proof`;
      const claim = `${prefix}{acct:b}:commit`;
      expect(await kv.readAndClaim?.(proof, claim, 'running', 60_000)).toEqual({
        read: null,
        claimed: true,
        held: null,
      });
      await kv.set(proof, 'task_1:5', 60_000);
      expect(await kv.readAndClaim?.(proof, claim, 'running', 60_000)).toEqual({
        read: 'task_1:5',
        claimed: false,
        held: 'running',
      });
      expect(await kv.ttl(claim)).toBeGreaterThan(50_000);
      if (name === 'Redis') await deleteByPrefix(redis, prefix);
    });
  }

  it('costs one round trip on Redis, and answers with a value the turn keeps for its commit', async () => {
    const prefix = uniquePrefix();
    const kv = new RedisKv(redis);
    const proof = `${prefix}{acct:c}:proof`;
    const claim = `${prefix}{acct:c}:commit`;
    let commands = 0;
    const send = redis.sendCommand.bind(redis);
    redis.sendCommand = ((...args: Parameters<typeof redis.sendCommand>) => {
      commands += 1;
      return send(...args);
    }) as typeof redis.sendCommand;
    try {
      await kv.readAndClaim(proof, claim, 'running', 60_000);
      expect(commands).toBe(1);
      await redis.del(claim);
      await withTurnScope(async () => {
        await setAll(kv, [{ key: proof, value: 'task_2:9', ttlMs: 60_000 }], { withCommit: true });
        expect((await kv.readAndClaim(proof, claim, 'running', 60_000)).read).toBe('task_2:9');
      });
    } finally {
      redis.sendCommand = send;
    }
    await deleteByPrefix(redis, prefix);
  });
});

function commitOf() {
  return {
    next: { flow: null, prompt: null, lastActiveAt: 1 },
    ttlMs: 60_000,
    secret: 'keep',
    secretTtlMs: 1,
    expiry: 'keep',
    seen: null,
    seenTtlMs: 60_000,
  } as const;
}

describe('a turn of the engine', () => {
  it('reads the account at most once per message along the phone swap, however many services look at it', async () => {
    const { createFlowHarness } = await import('../helpers/flow-harness.ts');
    const h = await createFlowHarness();
    const accountKey = h.services.accounts.rawKey(h.accountId);
    const reads: string[] = [];
    const get = h.kv.get.bind(h.kv);
    h.kv.get = (key: string) => {
      reads.push(key);
      return get(key);
    };
    const chat = h.chat();
    const perTurn: number[] = [];
    const turn = async (send: () => Promise<unknown>) => {
      reads.length = 0;
      await send();
      perTurn.push(reads.filter((key) => key === accountKey).length);
    };
    await turn(() => chat.command('menu'));
    await turn(() => chat.command('phone'));
    await turn(() => chat.choose('phone'));
    const code = h.delivery.lastCodeTo(h.phone);
    await turn(() => chat.text(code));
    await turn(() => chat.text('+8613900000077'));
    await turn(() => chat.text(h.delivery.lastCodeTo('+8613900000077')));
    expect((await h.account()).phone).toBe('+8613900000077');
    expect(perTurn).toHaveLength(6);
    for (const reads of perTurn) expect(reads).toBeLessThanOrEqual(1);
    // The count sees the reads at all (a control: a turn that reads the account counts one).
    expect(perTurn.some((n) => n === 1)).toBe(true);
  });
});

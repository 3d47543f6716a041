import { describe, expect, it } from 'vitest';
import { releaseAttempt, reserveAttempt } from '../../src/kv/attempts.ts';
import { type CodeAttempt, formatStoredCode } from '../../src/kv/code-check.ts';
import { checkCode, type Kv, scheduleAll, setAll } from '../../src/kv/kv.ts';
import { backends } from '../helpers/backends.ts';

/** The same store without some of its own operations, so the helpers' compare-and-set fallback runs. */
function without(...names: (keyof Kv)[]): (kv: Kv) => Kv {
  return (kv) =>
    new Proxy(kv, {
      get(target, name, receiver) {
        if ((names as (string | symbol)[]).includes(name)) return undefined;
        const value = Reflect.get(target, name, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
}
const withoutAttemptOps = without('reserveAttempt', 'releaseAttempt');

/**
 * Short enough to wait for on Redis, long enough that a busy machine does not expire a key between a
 * write and the read right after it.
 */
const SHORT_TTL = 250;
const PAST_SHORT_TTL = SHORT_TTL + 100;

describe.each(backends)('Kv contract on $name', (backend) => {
  const store = backend.use();
  const key = (name: string) => `${store.prefix}${name}`;

  describe('get / set / del / ttl', () => {
    it('returns null for a key that was never written', async () => {
      expect(await store.kv.get(key('nothing'))).toBeNull();
    });

    it('reads back what was written and lets a later write replace it', async () => {
      await store.kv.set(key('a'), 'one');
      expect(await store.kv.get(key('a'))).toBe('one');
      await store.kv.set(key('a'), 'two');
      expect(await store.kv.get(key('a'))).toBe('two');
    });

    it('keeps values byte for byte, including JSON and non-ASCII text', async () => {
      const value = JSON.stringify({ name: 'Zoë 密码 🔐', n: 1, nested: { quote: '"\n' } });
      await store.kv.set(key('json'), value);
      expect(await store.kv.get(key('json'))).toBe(value);
    });

    it('forgets a key written with a ttl once the ttl has passed', async () => {
      await store.kv.set(key('short'), 'v', SHORT_TTL);
      expect(await store.kv.get(key('short'))).toBe('v');
      await store.elapse(PAST_SHORT_TTL);
      expect(await store.kv.get(key('short'))).toBeNull();
    });

    it('keeps a key written without a ttl and reports no ttl for it', async () => {
      await store.kv.set(key('forever'), 'v');
      await store.elapse(50);
      expect(await store.kv.get(key('forever'))).toBe('v');
      expect(await store.kv.ttl(key('forever'))).toBeNull();
    });

    it('reports the remaining ttl in milliseconds, and null for a missing key', async () => {
      await store.kv.set(key('t'), 'v', 5_000);
      const ttl = await store.kv.ttl(key('t'));
      expect(ttl).not.toBeNull();
      expect(ttl).toBeGreaterThan(4_000);
      expect(ttl).toBeLessThanOrEqual(5_000);
      expect(await store.kv.ttl(key('missing'))).toBeNull();
    });

    it('drops the ttl when a key is rewritten without one', async () => {
      await store.kv.set(key('t'), 'v', SHORT_TTL);
      await store.kv.set(key('t'), 'w');
      await store.elapse(PAST_SHORT_TTL);
      expect(await store.kv.get(key('t'))).toBe('w');
    });

    it('deletes a key, and deleting a missing key is harmless', async () => {
      await store.kv.set(key('d'), 'v');
      await store.kv.del(key('d'));
      expect(await store.kv.get(key('d'))).toBeNull();
      await expect(store.kv.del(key('d'))).resolves.toBeUndefined();
    });
  });

  describe('setIfAbsent', () => {
    it('writes only when the key does not exist', async () => {
      expect(await store.kv.setIfAbsent(key('lock'), 'first', 10_000)).toBe(true);
      expect(await store.kv.setIfAbsent(key('lock'), 'second', 10_000)).toBe(false);
      expect(await store.kv.get(key('lock'))).toBe('first');
    });

    it('writes again once the earlier value has expired', async () => {
      expect(await store.kv.setIfAbsent(key('lock'), 'first', SHORT_TTL)).toBe(true);
      await store.elapse(PAST_SHORT_TTL);
      expect(await store.kv.setIfAbsent(key('lock'), 'second', SHORT_TTL)).toBe(true);
      expect(await store.kv.get(key('lock'))).toBe('second');
    });

    it('lets exactly one of many concurrent writers win', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? store.kv : store.peer).setIfAbsent(key('race'), `w${i}`, 10_000),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(await store.kv.get(key('race'))).toBe(`w${winner}`);
    });
  });

  describe('compareAndSet', () => {
    it('creates a key when null is expected and the key is absent', async () => {
      expect(await store.kv.compareAndSet(key('c'), null, 'v1')).toBe(true);
      expect(await store.kv.get(key('c'))).toBe('v1');
    });

    it('refuses to create when null is expected but the key exists', async () => {
      await store.kv.set(key('c'), 'v1');
      expect(await store.kv.compareAndSet(key('c'), null, 'v2')).toBe(false);
      expect(await store.kv.get(key('c'))).toBe('v1');
    });

    it('refuses to replace when the stored value is not the expected one', async () => {
      await store.kv.set(key('c'), 'v1');
      expect(await store.kv.compareAndSet(key('c'), 'stale', 'v2')).toBe(false);
      expect(await store.kv.get(key('c'))).toBe('v1');
    });

    it('refuses to replace a missing key when a value is expected', async () => {
      expect(await store.kv.compareAndSet(key('c'), 'v1', 'v2')).toBe(false);
      expect(await store.kv.get(key('c'))).toBeNull();
    });

    it('replaces when the stored value is the expected one', async () => {
      await store.kv.set(key('c'), 'v1');
      expect(await store.kv.compareAndSet(key('c'), 'v1', 'v2')).toBe(true);
      expect(await store.kv.get(key('c'))).toBe('v2');
    });

    it('deletes when the new value is null', async () => {
      await store.kv.set(key('c'), 'v1');
      expect(await store.kv.compareAndSet(key('c'), 'v1', null)).toBe(true);
      expect(await store.kv.get(key('c'))).toBeNull();
    });

    it('does not delete when the expected value is stale', async () => {
      await store.kv.set(key('c'), 'v1');
      expect(await store.kv.compareAndSet(key('c'), 'v0', null)).toBe(false);
      expect(await store.kv.get(key('c'))).toBe('v1');
    });

    it('writes with a ttl when one is given', async () => {
      expect(await store.kv.compareAndSet(key('c'), null, 'v1', SHORT_TTL)).toBe(true);
      expect(await store.kv.ttl(key('c'))).toBeGreaterThan(0);
      await store.elapse(PAST_SHORT_TTL);
      expect(await store.kv.get(key('c'))).toBeNull();
    });

    it('writes without expiry when no ttl is given, even over a value that had one', async () => {
      await store.kv.set(key('c'), 'v1', SHORT_TTL);
      expect(await store.kv.compareAndSet(key('c'), 'v1', 'v2')).toBe(true);
      expect(await store.kv.ttl(key('c'))).toBeNull();
      await store.elapse(PAST_SHORT_TTL);
      expect(await store.kv.get(key('c'))).toBe('v2');
    });

    it('treats an expired value as absent', async () => {
      await store.kv.set(key('c'), 'old', SHORT_TTL);
      await store.elapse(PAST_SHORT_TTL);
      expect(await store.kv.compareAndSet(key('c'), 'old', 'new')).toBe(false);
      expect(await store.kv.compareAndSet(key('c'), null, 'new')).toBe(true);
    });

    it('loses no update when many writers read-modify-write the same key at once', async () => {
      await store.kv.set(key('counter'), '0');
      const bump = async (kv: typeof store.kv) => {
        for (;;) {
          const current = await kv.get(key('counter'));
          const next = String(Number(current) + 1);
          if (await kv.compareAndSet(key('counter'), current, next)) return;
        }
      };
      await Promise.all(Array.from({ length: 25 }, (_, i) => bump(i % 2 === 0 ? store.kv : store.peer)));
      expect(await store.kv.get(key('counter'))).toBe('25');
    });
  });

  describe('deleteIfEquals', () => {
    it('deletes only when the value matches', async () => {
      await store.kv.set(key('l'), 'token-a');
      expect(await store.kv.deleteIfEquals(key('l'), 'token-b')).toBe(false);
      expect(await store.kv.get(key('l'))).toBe('token-a');
      expect(await store.kv.deleteIfEquals(key('l'), 'token-a')).toBe(true);
      expect(await store.kv.get(key('l'))).toBeNull();
    });

    it('reports false for a missing key', async () => {
      expect(await store.kv.deleteIfEquals(key('l'), 'token-a')).toBe(false);
    });
  });

  describe('increment', () => {
    it('counts from one', async () => {
      expect(await store.kv.increment(key('n'), 10_000)).toBe(1);
      expect(await store.kv.increment(key('n'), 10_000)).toBe(2);
      expect(await store.kv.increment(key('n'), 10_000)).toBe(3);
      expect(await store.kv.get(key('n'))).toBe('3');
    });

    it('sets the expiry only when the counter is created, so a window does not slide', async () => {
      expect(await store.kv.increment(key('n'), 600)).toBe(1);
      await store.elapse(300);
      expect(await store.kv.increment(key('n'), 600)).toBe(2);
      const ttl = await store.kv.ttl(key('n'));
      expect(ttl).not.toBeNull();
      expect(ttl).toBeLessThanOrEqual(300);
      await store.elapse(350);
      expect(await store.kv.get(key('n'))).toBeNull();
      expect(await store.kv.increment(key('n'), 600)).toBe(1);
    });

    it('counts every one of many concurrent increments', async () => {
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          (i % 2 === 0 ? store.kv : store.peer).increment(key('n'), 10_000),
        ),
      );
      expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    });
  });

  describe('append / tail', () => {
    it('keeps entries in the order they were appended and returns the last ones oldest first', async () => {
      for (const entry of ['e1', 'e2', 'e3', 'e4', 'e5']) await store.kv.append(key('log'), entry);
      expect(await store.kv.tail(key('log'), 3)).toEqual(['e3', 'e4', 'e5']);
      expect(await store.kv.tail(key('log'), 10)).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
      expect(await store.kv.tail(key('log'), 1)).toEqual(['e5']);
    });

    it('returns an empty list for a log that does not exist', async () => {
      expect(await store.kv.tail(key('none'), 5)).toEqual([]);
    });

    it('never expires a log', async () => {
      await store.kv.append(key('log'), 'e1');
      expect(await store.kv.ttl(key('log'))).toBeNull();
    });
  });

  describe('schedule / takeDue / unschedule', () => {
    it('takes only members that are due, earliest first', async () => {
      await store.kv.schedule(key('s'), 'late', 3_000);
      await store.kv.schedule(key('s'), 'early', 1_000);
      await store.kv.schedule(key('s'), 'middle', 2_000);
      expect(await store.kv.takeDue(key('s'), 500, 10)).toEqual([]);
      expect(await store.kv.takeDue(key('s'), 2_000, 10)).toEqual(['early', 'middle']);
      expect(await store.kv.takeDue(key('s'), 10_000, 10)).toEqual(['late']);
    });

    it('takes the earliest due members first when there are more than `limit`', async () => {
      await store.kv.schedule(key('s'), 'due-last', 300);
      await store.kv.schedule(key('s'), 'due-first', 100);
      await store.kv.schedule(key('s'), 'due-second', 200);
      expect(await store.kv.takeDue(key('s'), 1_000, 1)).toEqual(['due-first']);
      expect(await store.kv.takeDue(key('s'), 1_000, 1)).toEqual(['due-second']);
    });

    it('takes at most `limit` members and leaves the rest for the next call', async () => {
      for (let i = 0; i < 5; i += 1) await store.kv.schedule(key('s'), `m${i}`, 100 + i);
      expect(await store.kv.takeDue(key('s'), 1_000, 2)).toEqual(['m0', 'm1']);
      expect(await store.kv.takeDue(key('s'), 1_000, 2)).toEqual(['m2', 'm3']);
      expect(await store.kv.takeDue(key('s'), 1_000, 2)).toEqual(['m4']);
      expect(await store.kv.takeDue(key('s'), 1_000, 2)).toEqual([]);
    });

    it('never hands out the same member twice', async () => {
      await store.kv.schedule(key('s'), 'once', 100);
      expect(await store.kv.takeDue(key('s'), 1_000, 10)).toEqual(['once']);
      expect(await store.kv.takeDue(key('s'), 1_000, 10)).toEqual([]);
    });

    it('moves a member when it is scheduled again', async () => {
      await store.kv.schedule(key('s'), 'm', 100);
      await store.kv.schedule(key('s'), 'm', 5_000);
      expect(await store.kv.takeDue(key('s'), 1_000, 10)).toEqual([]);
      expect(await store.kv.takeDue(key('s'), 5_000, 10)).toEqual(['m']);
    });

    it('forgets an unscheduled member, and unscheduling an unknown one is harmless', async () => {
      await store.kv.schedule(key('s'), 'a', 100);
      await store.kv.schedule(key('s'), 'b', 100);
      await store.kv.unschedule(key('s'), 'a');
      await store.kv.unschedule(key('s'), 'never-there');
      expect(await store.kv.takeDue(key('s'), 1_000, 10)).toEqual(['b']);
    });

    it('gives every member to exactly one of several concurrent takers', async () => {
      const members = Array.from({ length: 200 }, (_, i) => `chat-${i}`);
      for (const [i, member] of members.entries()) await store.kv.schedule(key('s'), member, 1_000 + i);
      const takers = Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? store.kv : store.peer));
      const taken: string[] = [];
      // Every taker keeps taking until the schedule is empty, racing the others the whole time.
      await Promise.all(
        takers.map(async (kv) => {
          for (;;) {
            const batch = await kv.takeDue(key('s'), 10_000, 7);
            if (batch.length === 0) return;
            taken.push(...batch);
          }
        }),
      );
      expect(taken).toHaveLength(members.length);
      expect(new Set(taken).size).toBe(members.length);
      expect([...taken].sort()).toEqual([...members].sort());
    });
  });

  describe('setAll', () => {
    it('writes every key with its own ttl, over values that were there', async () => {
      await store.kv.set(key('b'), 'old');
      await setAll(store.kv, [
        { key: key('a'), value: '1', ttlMs: SHORT_TTL },
        { key: key('b'), value: '2', ttlMs: 60_000 },
      ]);
      await setAll(store.kv, []);
      expect(await store.kv.get(key('a'))).toBe('1');
      expect(await store.kv.get(key('b'))).toBe('2');
      expect(await store.kv.ttl(key('b'))).toBeGreaterThan(SHORT_TTL);
      await store.elapse(PAST_SHORT_TTL);
      expect(await store.kv.get(key('a'))).toBeNull();
      expect(await store.kv.get(key('b'))).toBe('2');
    });
  });

  describe('scheduleAll', () => {
    it('puts every member in at once, each at its own time, moving one already there', async () => {
      await store.kv.schedule(key('s'), 'moved', 100);
      await scheduleAll(store.kv, key('s'), [
        ['b', 200],
        ['a', 100],
        ['moved', 5_000],
      ]);
      await scheduleAll(store.kv, key('s'), []);
      expect(await store.kv.takeDue(key('s'), 1_000, 10)).toEqual(['a', 'b']);
      expect(await store.kv.takeDue(key('s'), 5_000, 10)).toEqual(['moved']);
    });
  });

  describe.each([
    { how: 'the store’s own operation', wrap: (kv: Kv) => kv },
    { how: 'the compare-and-set fallback', wrap: without('checkCode') },
  ])('checkCode through $how', ({ wrap }) => {
    /** An HMAC in base64url (43 characters) and hex, as the code service makes them. */
    const HASH = 'q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83';
    const OTHER = 'Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9';
    const HEX = 'ab'.repeat(32);
    const EXPIRES = 1_796_171_630_952;
    const compact = (wrong = 0) => formatStoredCode({ hash: HASH, expiresAt: EXPIRES, wrong });
    /** A code as an earlier version stored it. */
    const json = (over: Record<string, unknown> = {}) =>
      JSON.stringify({ hash: HEX, to: '+100', expiresAt: EXPIRES, wrong: 0, ...over });
    const attempt = (over: Partial<CodeAttempt> = {}): CodeAttempt => ({
      hash: HASH,
      hexHash: HEX,
      to: '+100',
      now: 1_796_171_630_000,
      maxWrong: 5,
      graceMs: 60_000,
      ...over,
    });
    const check = (a: CodeAttempt, on: Kv = store.kv) => checkCode(wrap(on), key('code'), a);

    it('keeps a code as `<hash> <expiresAt> <wrong>`', () => {
      expect(compact(2)).toBe(`${HASH} ${EXPIRES} 2`);
    });

    it('spends a right code once: the second check finds nothing', async () => {
      await store.kv.set(key('code'), compact(), 60_000);
      expect(await check(attempt())).toEqual({ result: 'ok' });
      expect(await check(attempt())).toEqual({ result: 'missing' });
      expect(await store.kv.get(key('code'))).toBeNull();
    });

    it('counts wrong tries (another hash: a wrong code, or one meant for another destination), keeping the time exact, and the last kills it', async () => {
      await store.kv.set(key('code'), compact(), 60_000);
      expect(await check(attempt({ hash: OTHER }))).toEqual({ result: 'wrong', remaining: 4 });
      // The destination is bound into the hash: the stored code does not repeat it.
      expect(await check(attempt({ hash: OTHER, to: '+200' }))).toEqual({ result: 'wrong', remaining: 3 });
      expect(await store.kv.get(key('code'))).toBe(compact(2));
      const ttl = await store.kv.ttl(key('code'));
      expect(ttl).toBeGreaterThan(EXPIRES - attempt().now + 60_000 - 5_000);
      expect(ttl).toBeLessThanOrEqual(EXPIRES - attempt().now + 60_000);
      expect(await check(attempt({ hash: OTHER }))).toEqual({ result: 'wrong', remaining: 2 });
      expect(await check(attempt({ hash: OTHER }))).toEqual({ result: 'wrong', remaining: 1 });
      expect(await check(attempt({ hash: OTHER }))).toEqual({ result: 'exhausted' });
      // Killed: even the right code no longer works.
      expect(await check(attempt())).toEqual({ result: 'missing' });
    });

    it('refuses an expired code and deletes it', async () => {
      await store.kv.set(key('code'), compact(), 60_000);
      expect(await check(attempt({ now: EXPIRES }))).toEqual({ result: 'expired' });
      expect(await store.kv.get(key('code'))).toBeNull();
    });

    it('reads a code an earlier version stored as JSON: its hex hash and its destination must both match', async () => {
      await store.kv.set(key('code'), json(), 60_000);
      expect(await check(attempt({ hexHash: 'cd'.repeat(32) }))).toEqual({ result: 'wrong', remaining: 4 });
      expect(await check(attempt({ to: '+200' }))).toEqual({ result: 'wrong', remaining: 3 });
      // Written back in the form it was read in.
      expect(JSON.parse((await store.kv.get(key('code'))) ?? '{}')).toEqual({
        hash: HEX,
        to: '+100',
        expiresAt: EXPIRES,
        wrong: 2,
      });
      expect(await check(attempt())).toEqual({ result: 'ok' });
      expect(await store.kv.get(key('code'))).toBeNull();
      await store.kv.set(key('code'), json({ wrong: 4 }), 60_000);
      expect(await check(attempt({ to: '+200' }))).toEqual({ result: 'exhausted' });
      await store.kv.set(key('code'), json(), 60_000);
      expect(await check(attempt({ now: EXPIRES }))).toEqual({ result: 'expired' });
    });

    it('finds no code in text that is neither form, and leaves it', async () => {
      for (const raw of ['', 'x', `${HASH} ${EXPIRES}`, `${HASH} soon 0`, '42', 'null', '{']) {
        await store.kv.set(key('code'), raw, 60_000);
        expect(await check(attempt()), raw).toEqual({ result: 'missing' });
        expect(await store.kv.get(key('code'))).toBe(raw);
      }
    });

    it('lets exactly one of many concurrent right checks through', async () => {
      await store.kv.set(key('code'), compact(), 60_000);
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => check(attempt(), i % 2 === 0 ? store.kv : store.peer)),
      );
      expect(results.filter((r) => r.result === 'ok')).toHaveLength(1);
      expect(results.filter((r) => r.result === 'missing')).toHaveLength(11);
    });

    it('loses no try when many wrong checks run at once', async () => {
      await store.kv.set(key('code'), compact(), 60_000);
      const results = await Promise.all(
        Array.from({ length: 3 }, (_, i) =>
          check(attempt({ hash: OTHER }), i % 2 === 0 ? store.kv : store.peer),
        ),
      );
      expect(results.map((r) => (r.result === 'wrong' ? r.remaining : -1)).sort()).toEqual([2, 3, 4]);
      expect(await store.kv.get(key('code'))).toBe(compact(3));
    });
  });

  describe.each([
    { how: 'the store’s own operation', wrap: (kv: Kv) => kv },
    { how: 'the compare-and-set fallback', wrap: withoutAttemptOps },
  ])('reserveAttempt / releaseAttempt through $how', ({ wrap }) => {
    const kv = () => wrap(store.kv);
    const peer = () => wrap(store.peer);
    const reserve = (k: string, limit = 3, windowMs = 10_000, lockMs = 20_000, on = kv()) =>
      reserveAttempt(on, key(k), limit, windowMs, lockMs);

    it('counts attempts up to the limit, then refuses without counting', async () => {
      expect(await reserve('a')).toEqual({ ok: true, count: 1 });
      expect(await reserve('a')).toEqual({ ok: true, count: 2 });
      expect(await reserve('a')).toEqual({ ok: true, count: 3 });
      const refused = await reserve('a');
      expect(refused).toMatchObject({ ok: false });
      expect(await store.kv.get(key('a'))).toBe('3');
    });

    it('starts a window with the first attempt, and locks for lockMs from the attempt that reached the limit', async () => {
      await reserve('w', 3, 5_000, 60_000);
      const window = await store.kv.ttl(key('w'));
      expect(window).toBeGreaterThan(4_000);
      expect(window).toBeLessThanOrEqual(5_000);
      await reserve('w', 3, 5_000, 60_000);
      // The window does not slide with later attempts.
      expect(await store.kv.ttl(key('w'))).toBeLessThanOrEqual(5_000);
      await reserve('w', 3, 5_000, 60_000);
      const lock = await store.kv.ttl(key('w'));
      expect(lock).toBeGreaterThan(55_000);
      expect(lock).toBeLessThanOrEqual(60_000);
      const refused = await reserve('w', 3, 5_000, 60_000);
      if (refused.ok) throw new Error('expected a refusal');
      expect(refused.retryMs).toBeGreaterThan(55_000);
      expect(refused.retryMs).toBeLessThanOrEqual(60_000);
    });

    it('forgets the attempts when the window ends, and lifts the lock when it ends', async () => {
      await reserve('e', 3, SHORT_TTL, SHORT_TTL);
      await store.elapse(PAST_SHORT_TTL);
      expect(await reserve('e', 3, SHORT_TTL, SHORT_TTL)).toEqual({ ok: true, count: 1 });
      await reserve('e', 3, SHORT_TTL, SHORT_TTL);
      await reserve('e', 3, SHORT_TTL, SHORT_TTL);
      expect(await reserve('e', 3, SHORT_TTL, SHORT_TTL)).toMatchObject({ ok: false });
      await store.elapse(PAST_SHORT_TTL);
      expect(await reserve('e', 3, SHORT_TTL, SHORT_TTL)).toEqual({ ok: true, count: 1 });
    });

    it('does not extend the lock with refused attempts', async () => {
      for (let i = 0; i < 3; i += 1) await reserve('x', 3, 10_000, SHORT_TTL);
      await store.elapse(SHORT_TTL / 2);
      expect(await reserve('x', 3, 10_000, SHORT_TTL)).toMatchObject({ ok: false });
      await store.elapse(SHORT_TTL / 2 + 100);
      expect(await reserve('x', 3, 10_000, SHORT_TTL)).toEqual({ ok: true, count: 1 });
    });

    it('gives an attempt back on release, which lifts a lock that attempt set', async () => {
      await reserve('r');
      await reserve('r');
      expect(await reserve('r')).toEqual({ ok: true, count: 3 });
      await releaseAttempt(kv(), key('r'));
      expect(await store.kv.get(key('r'))).toBe('2');
      expect(await reserve('r')).toEqual({ ok: true, count: 3 });
    });

    it('never releases below zero, and releasing a missing key is harmless', async () => {
      await releaseAttempt(kv(), key('none'));
      expect(await store.kv.get(key('none'))).toBeNull();
      await reserve('one');
      await releaseAttempt(kv(), key('one'));
      await releaseAttempt(kv(), key('one'));
      expect(await store.kv.get(key('one'))).toBeNull();
      expect(await reserve('one')).toEqual({ ok: true, count: 1 });
    });

    it('keeps the expiry on release', async () => {
      await reserve('t', 3, SHORT_TTL, SHORT_TTL);
      await reserve('t', 3, SHORT_TTL, SHORT_TTL);
      await releaseAttempt(kv(), key('t'));
      expect(await store.kv.ttl(key('t'))).toBeGreaterThan(0);
      await store.elapse(PAST_SHORT_TTL);
      expect(await store.kv.get(key('t'))).toBeNull();
    });

    it('starts over once the key is deleted (a success clears the failures)', async () => {
      for (let i = 0; i < 3; i += 1) await reserve('d');
      await store.kv.del(key('d'));
      expect(await reserve('d')).toEqual({ ok: true, count: 1 });
    });

    it('lets exactly `limit` of many concurrent attempts through, from two connections', async () => {
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => reserve('race', 5, 10_000, 20_000, i % 2 === 0 ? kv() : peer())),
      );
      const granted = results.flatMap((r) => (r.ok ? [r.count] : []));
      expect(granted.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
      expect(results.filter((r) => !r.ok)).toHaveLength(25);
      expect(await store.kv.get(key('race'))).toBe('5');
    });
  });
});

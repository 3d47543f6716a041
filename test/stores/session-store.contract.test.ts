import { describe, expect, it } from 'vitest';
import type { ChatRef } from '../../src/engine/input.ts';
import { splitStored } from '../../src/engine/session-codec.ts';
import {
  chatOfMember,
  expiryMember,
  type FrameCommit,
  type Session,
  SessionStore,
} from '../../src/engine/session-store.ts';
import { backends } from '../helpers/backends.ts';
import { plainStored } from '../helpers/stored.ts';

/** Short enough to wait for on Redis, long enough not to expire between a write and the next read. */
const SHORT_TTL = 250;

const chat: ChatRef = { channel: 'telegram', chatId: '42' };
const otherChat: ChatRef = { channel: 'discord', chatId: '42' };

function session(lastActiveAt: number, step = 'askCurrent'): Session {
  return {
    flow: { id: 'change-password', version: 1, snapshot: { value: step }, startedAt: lastActiveAt },
    prompt: { key: 'password.askCurrent', input: 'secret' },
    lastActiveAt,
  };
}

describe.each(backends)('SessionStore on $name', (backend) => {
  const store = backend.use();
  const sessions = () => new SessionStore(store.kv, store.prefix, store.sessionFrame(), store.clock);

  describe('load and save', () => {
    it('loads null for a chat that has no session', async () => {
      expect(await sessions().load(chat)).toBeNull();
    });

    it('saves a first session when none is stored and loads it back with its exact text', async () => {
      const s = sessions();
      expect(await s.save(chat, null, session(1), 60_000)).toBe(true);
      const loaded = await s.load(chat);
      expect(loaded?.session).toEqual(session(1));
      // The exact stored text (the session compressed), for the next compare-and-set.
      expect(loaded?.raw).toBe(await store.kv.get(s.sessionKey(chat)));
      expect(plainStored(loaded?.raw ?? null)).toBe(JSON.stringify(session(1)));
    });

    it('refuses a first save when another writer saved a session in between', async () => {
      const s = sessions();
      expect(await s.save(chat, null, session(1), 60_000)).toBe(true);
      expect(await s.save(chat, null, session(2), 60_000)).toBe(false);
      expect((await s.load(chat))?.session.lastActiveAt).toBe(1);
    });

    it('saves over the session it loaded, and refuses a save based on a stale copy', async () => {
      const s = sessions();
      await s.save(chat, null, session(1), 60_000);
      const first = await s.load(chat);
      expect(await s.save(chat, first?.raw ?? null, session(2, 'askNew'), 60_000)).toBe(true);
      // A second process still holding the first copy must not overwrite the newer session.
      expect(await s.save(chat, first?.raw ?? null, session(3, 'askRepeat'), 60_000)).toBe(false);
      expect((await s.load(chat))?.session).toEqual(session(2, 'askNew'));
    });

    it('deletes the session when saving null over the current copy', async () => {
      const s = sessions();
      await s.save(chat, null, session(1), 60_000);
      const loaded = await s.load(chat);
      expect(await s.save(chat, loaded?.raw ?? null, null, 60_000)).toBe(true);
      expect(await s.load(chat)).toBeNull();
    });

    it('does not delete a session that changed since it was loaded', async () => {
      const s = sessions();
      await s.save(chat, null, session(1), 60_000);
      const stale = await s.load(chat);
      await s.save(chat, stale?.raw ?? null, session(2), 60_000);
      expect(await s.save(chat, stale?.raw ?? null, null, 60_000)).toBe(false);
      expect(await s.load(chat)).not.toBeNull();
    });

    it('forgets a session after its ttl', async () => {
      const s = sessions();
      await s.save(chat, null, session(1), SHORT_TTL);
      await store.elapse(SHORT_TTL + 100);
      expect(await s.load(chat)).toBeNull();
    });

    it('keeps the sessions of different chats apart', async () => {
      const s = sessions();
      await s.save(chat, null, session(1), 60_000);
      expect(await s.load(otherChat)).toBeNull();
      await s.save(otherChat, null, session(7), 60_000);
      expect((await s.load(chat))?.session.lastActiveAt).toBe(1);
      expect((await s.load(otherChat))?.session.lastActiveAt).toBe(7);
    });
  });

  describe('per-chat lock', () => {
    it('is exclusive: a second taker gets null while the lock is held', async () => {
      const s = sessions();
      const token = await s.lock(chat, 10_000, 0);
      expect(token).toEqual(expect.any(String));
      expect(await s.lock(chat, 10_000, 30)).toBeNull();
    });

    it('is exclusive across processes too', async () => {
      const here = sessions();
      const there = new SessionStore(store.peer, store.prefix, store.sessionFrame(true));
      expect(await here.lock(chat, 10_000, 0)).not.toBeNull();
      expect(await there.lock(chat, 10_000, 30)).toBeNull();
    });

    it('does not block other chats', async () => {
      const s = sessions();
      expect(await s.lock(chat, 10_000, 0)).not.toBeNull();
      expect(await s.lock(otherChat, 10_000, 0)).not.toBeNull();
    });

    it('is released only with the token of its holder', async () => {
      const s = sessions();
      const token = await s.lock(chat, 10_000, 0);
      expect(await s.unlock(chat, 'somebody-else')).toBe(false);
      expect(await s.lock(chat, 10_000, 0)).toBeNull();
      expect(await s.unlock(chat, token ?? '')).toBe(true);
      expect(await s.lock(chat, 10_000, 0)).not.toBeNull();
    });

    it('gives each holder its own token, so a late unlock cannot free the next holder', async () => {
      const s = sessions();
      const first = await s.lock(chat, SHORT_TTL, 0);
      await store.elapse(SHORT_TTL + 100);
      const second = await s.lock(chat, 10_000, 0);
      expect(second).not.toBeNull();
      expect(second).not.toBe(first);
      expect(await s.unlock(chat, first ?? '')).toBe(false);
      expect(await s.lock(chat, 10_000, 0)).toBeNull();
    });

    it('expires after its ttl, so a crashed holder cannot block the chat for ever', async () => {
      const s = sessions();
      expect(await s.lock(chat, SHORT_TTL, 0)).not.toBeNull();
      await store.elapse(SHORT_TTL + 100);
      expect(await s.lock(chat, 10_000, 0)).not.toBeNull();
    });

    it('waits for a lock that is released while waiting', async () => {
      const s = sessions();
      const token = await s.lock(chat, 10_000, 0);
      setTimeout(() => void s.unlock(chat, token ?? ''), 40);
      expect(await s.lock(chat, 10_000, 2_000)).not.toBeNull();
    });
  });

  describe('the turn frame (begin, renew, commit, release)', () => {
    const commit = (over: Partial<FrameCommit> = {}): FrameCommit => ({
      next: session(5),
      ttlMs: 60_000,
      secret: 'keep',
      secretTtlMs: 60_000,
      expiry: 'keep',
      seen: null,
      seenTtlMs: 60_000,
      ...over,
    });

    it('takes the lock and reads the session, the secret mark and the handled update ids at once', async () => {
      const s = sessions();
      const first = await s.begin(chat, 10_000, 0);
      expect(first).toMatchObject({ loaded: null, secretAsked: false, seen: [] });
      expect(await s.begin(chat, 10_000, 30)).toBeNull();
      expect(
        await s.commit(chat, first?.token ?? '', commit({ secret: 'set', seen: ['1001', '1002'] })),
      ).toBe(true);
      const second = await s.begin(chat, 10_000, 0);
      expect(second?.loaded?.session).toEqual(session(5));
      expect(second?.secretAsked).toBe(true);
      expect(second?.seen).toEqual(['1001', '1002']);
      expect(await s.release(chat, second?.token ?? '')).toBe(true);
    });

    it('remembers handled update ids until their ttl passes, apart per chat, even with no session left', async () => {
      const s = sessions();
      const frame = await s.begin(chat, 10_000, 0);
      await s.commit(chat, frame?.token ?? '', commit({ next: null, seen: ['1001'], seenTtlMs: SHORT_TTL }));
      const again = await s.begin(chat, 10_000, 0);
      expect(again?.loaded).toBeNull();
      expect(again?.seen).toEqual(['1001']);
      await s.release(chat, again?.token ?? '');
      const other = await s.begin(otherChat, 10_000, 0);
      expect(other?.seen).toEqual([]);
      await s.release(otherChat, other?.token ?? '');
      await store.elapse(SHORT_TTL + 100);
      const later = await s.begin(chat, 10_000, 0);
      expect(later?.seen).toEqual([]);
    });

    it('carries the update ids in the session key: a commit that names none keeps them, and their time', async () => {
      const s = sessions();
      const key = s.sessionKey(chat);
      let frame = await s.begin(chat, 10_000, 0);
      // The session lives shorter than its ids must be remembered: the key lives as long as the ids.
      await s.commit(chat, frame?.token ?? '', commit({ ttlMs: 1_000, seen: ['1001'], seenTtlMs: 60_000 }));
      expect(await store.kv.ttl(key)).toBeGreaterThan(50_000);
      frame = await s.begin(chat, 10_000, 0);
      await s.commit(chat, frame?.token ?? '', commit({ next: session(6), ttlMs: 1_000, seen: null }));
      expect(await store.kv.ttl(key)).toBeGreaterThan(50_000);
      frame = await s.begin(chat, 10_000, 0);
      expect(frame?.loaded?.session).toEqual(session(6));
      expect(frame?.seen).toEqual(['1001']);
      // A commit without a session and without ids keeps the ids alone, with the time they had left.
      await s.commit(chat, frame?.token ?? '', commit({ next: null, seen: null }));
      expect(await store.kv.ttl(key)).toBeGreaterThan(50_000);
      expect(splitStored((await store.kv.get(key)) ?? '')).toEqual({
        seen: ['1001'],
        secretUntil: null,
        body: '',
      });
      expect(await s.load(chat)).toBeNull();
      frame = await s.begin(chat, 10_000, 0);
      expect(frame).toMatchObject({ loaded: null, seen: ['1001'] });
      // Saving a session over ids alone (outside a frame) keeps them too.
      await s.release(chat, frame?.token ?? '');
      expect(await s.save(chat, (await store.kv.get(key)) ?? null, session(7), 60_000)).toBe(true);
      expect(splitStored((await store.kv.get(key)) ?? '').seen).toEqual(['1001']);
      expect((await s.load(chat))?.session).toEqual(session(7));
    });

    it('keeps the ids on their own key, which expires on time, when the session is kept far longer than they must be', async () => {
      const s = sessions();
      const key = s.sessionKey(chat);
      const own = `${store.prefix}{tg:42}:seen`;
      const YEAR = 400 * 24 * 60 * 60_000;
      let frame = await s.begin(chat, 10_000, 0);
      await s.commit(chat, frame?.token ?? '', commit({ ttlMs: YEAR, seen: ['1001'], seenTtlMs: SHORT_TTL }));
      expect(splitStored((await store.kv.get(key)) ?? '').seen).toBeNull();
      // In the compact form (session-codec.ts): 1001 in base 36.
      expect(await store.kv.get(own)).toBe('!rt');
      frame = await s.begin(chat, 10_000, 0);
      expect(frame?.seen).toEqual(['1001']);
      await s.release(chat, frame?.token ?? '');
      // Carried ids move out, with the time they had left, when a commit that names none keeps the session long.
      await s.commit(
        chat,
        (await s.begin(chat, 10_000, 0))?.token ?? '',
        commit({ seen: ['2002'], seenTtlMs: SHORT_TTL, ttlMs: SHORT_TTL }),
      );
      expect(await store.kv.get(own)).toBeNull();
      expect(splitStored((await store.kv.get(key)) ?? '').seen).toEqual(['2002']);
      await s.commit(
        chat,
        (await s.begin(chat, 10_000, 0))?.token ?? '',
        commit({ ttlMs: YEAR, seen: null }),
      );
      expect(splitStored((await store.kv.get(key)) ?? '').seen).toBeNull();
      expect(await store.kv.get(own)).toBe('!1jm'); // 2002
      expect(await store.kv.ttl(own)).toBeLessThanOrEqual(SHORT_TTL);
      await store.elapse(SHORT_TTL + 100);
      frame = await s.begin(chat, 10_000, 0);
      expect(frame?.seen).toEqual([]);
      expect(frame?.loaded?.session).toEqual(session(5));
      expect(await store.kv.ttl(key)).toBeGreaterThan(YEAR - 60_000);
      await s.release(chat, frame?.token ?? '');
    });

    it('reads the update ids an earlier version kept on their own key, and moves them into the session key', async () => {
      const s = sessions();
      const old = `${store.prefix}{tg:42}:seen`;
      await s.save(chat, null, session(1), 60_000);
      await store.kv.set(old, '900 901', 60_000);
      let frame = await s.begin(chat, 10_000, 0);
      expect(frame?.seen).toEqual(['900', '901']);
      expect(frame?.loaded?.session).toEqual(session(1));
      // A commit that names no ids leaves them where they are.
      await s.commit(chat, frame?.token ?? '', commit({ seen: null }));
      expect(await store.kv.get(old)).toBe('900 901');
      frame = await s.begin(chat, 10_000, 0);
      await s.commit(chat, frame?.token ?? '', commit({ seen: ['900', '901', '902'] }));
      expect(await store.kv.get(old)).toBeNull();
      frame = await s.begin(chat, 10_000, 0);
      expect(frame?.seen).toEqual(['900', '901', '902']);
      await s.release(chat, frame?.token ?? '');
    });

    it('keeps the secret mark for its time only, in the session key, even when the session and ids are gone', async () => {
      const s = sessions();
      const key = s.sessionKey(chat);
      let frame = await s.begin(chat, 10_000, 0);
      const marked = commit({ next: null, secret: 'set', secretTtlMs: SHORT_TTL * 2 });
      await s.commit(chat, frame?.token ?? '', marked);
      // Nothing but the mark is left, and the key lives as long as the mark.
      expect(splitStored((await store.kv.get(key)) ?? '')).toEqual({
        seen: null,
        secretUntil: store.clock.now() + SHORT_TTL * 2,
        body: '',
      });
      expect(await store.kv.ttl(key)).toBeLessThanOrEqual(SHORT_TTL * 2);
      frame = await s.begin(chat, 10_000, 0);
      expect(frame).toMatchObject({ loaded: null, secretAsked: true });
      await s.release(chat, frame?.token ?? '');
      await store.elapse(SHORT_TTL * 2 + 50);
      expect(await store.kv.get(key)).toBeNull();
      frame = await s.begin(chat, 10_000, 0);
      expect(frame?.secretAsked).toBe(false);
      // A mark that has passed is not carried on by a later commit that keeps it.
      await s.commit(chat, frame?.token ?? '', commit({ secret: 'keep' }));
      expect(splitStored((await store.kv.get(key)) ?? '').secretUntil).toBeNull();
    });

    it("reads an earlier version's mark key and takes it over into the session key", async () => {
      const s = sessions();
      const own = `${store.prefix}{tg:42}:secret`;
      await store.kv.set(own, '1', 60_000);
      let frame = await s.begin(chat, 10_000, 0);
      expect(frame?.secretAsked).toBe(true);
      await s.commit(chat, frame?.token ?? '', commit({ secret: 'keep', seen: ['1'] }));
      expect(await store.kv.get(own)).toBeNull();
      const until = splitStored((await store.kv.get(s.sessionKey(chat))) ?? '').secretUntil ?? 0;
      expect(until).toBeGreaterThan(store.clock.now() + 50_000);
      expect(until).toBeLessThanOrEqual(store.clock.now() + 60_000);
      frame = await s.begin(chat, 10_000, 0);
      expect(frame?.secretAsked).toBe(true);
      expect(frame?.seen).toEqual(['1']);
      // Cleared when told, whichever key held it.
      await store.kv.set(own, '1', 60_000);
      await s.commit(chat, frame?.token ?? '', commit({ secret: 'clear' }));
      expect(await store.kv.get(own)).toBeNull();
      frame = await s.begin(chat, 10_000, 0);
      expect(frame?.secretAsked).toBe(false);
    });

    it('clears the secret mark only when told, and keeps it otherwise', async () => {
      const s = sessions();
      let frame = await s.begin(chat, 10_000, 0);
      await s.commit(chat, frame?.token ?? '', commit({ secret: 'set' }));
      frame = await s.begin(chat, 10_000, 0);
      await s.commit(chat, frame?.token ?? '', commit({ next: null, secret: 'keep' }));
      frame = await s.begin(chat, 10_000, 0);
      expect(frame?.secretAsked).toBe(true);
      await s.commit(chat, frame?.token ?? '', commit({ secret: 'clear' }));
      frame = await s.begin(chat, 10_000, 0);
      expect(frame?.secretAsked).toBe(false);
    });

    it('writes nothing when the lock is no longer ours (it expired and another holder took it)', async () => {
      const s = sessions();
      const there = new SessionStore(store.peer, store.prefix, store.sessionFrame(true));
      const mine = await s.begin(chat, SHORT_TTL, 0);
      await store.elapse(SHORT_TTL + 100);
      const theirs = await there.begin(chat, 10_000, 0);
      expect(theirs).not.toBeNull();
      expect(await s.commit(chat, mine?.token ?? '', commit({ next: session(9) }))).toBe(false);
      expect(await s.renew(chat, mine?.token ?? '', 10_000)).toBe(false);
      expect(await there.commit(chat, theirs?.token ?? '', commit({ next: session(10) }))).toBe(true);
      expect((await s.load(chat))?.session).toEqual(session(10));
    });

    it('keeps a renewed lock past its first ttl, and frees the chat once renewal stops', async () => {
      const s = sessions();
      const mine = await s.begin(chat, SHORT_TTL * 2, 0);
      await store.elapse(SHORT_TTL);
      expect(await s.renew(chat, mine?.token ?? '', SHORT_TTL * 2)).toBe(true);
      await store.elapse(SHORT_TTL + 50);
      expect(await s.begin(chat, 10_000, 0)).toBeNull();
      await store.elapse(SHORT_TTL * 2);
      expect(await s.begin(chat, 10_000, 0)).not.toBeNull();
    });

    it('schedules and cancels the idle expiry in the same write', async () => {
      const s = sessions();
      let frame = await s.begin(chat, 10_000, 0);
      await s.commit(chat, frame?.token ?? '', commit({ expiry: { dueAt: 1_000 } }));
      frame = await s.begin(otherChat, 10_000, 0);
      await s.commit(otherChat, frame?.token ?? '', commit({ expiry: { dueAt: 1_000 } }));
      frame = await s.begin(otherChat, 10_000, 0);
      await s.commit(otherChat, frame?.token ?? '', commit({ next: null, expiry: 'cancel' }));
      expect(await s.takeExpired(5_000, 10)).toEqual([chat]);
    });
  });

  describe('idle expiry schedule', () => {
    it('hands out each chat whose flow went idle once, and not those cancelled or not yet due', async () => {
      const s = sessions();
      const third: ChatRef = { channel: 'console', chatId: 'c3' };
      await s.scheduleExpiry(chat, 1_000);
      await s.scheduleExpiry(otherChat, 2_000);
      await s.scheduleExpiry(third, 9_000);
      await s.cancelExpiry(otherChat);
      expect(await s.takeExpired(5_000, 10)).toEqual([chat]);
      expect(await s.takeExpired(5_000, 10)).toEqual([]);
      expect(await s.takeExpired(9_000, 10)).toEqual([third]);
    });

    it('hands out chats scheduled by earlier versions (their JSON members) and skips unreadable members', async () => {
      const s = sessions();
      const shared: ChatRef = { channel: 'discord', chatId: '900', userId: '77' };
      for (const old of [chat, shared]) {
        const member = JSON.stringify(old);
        await store.kv.schedule(s.expiryKey(member), member, 1_000);
      }
      await store.kv.schedule(s.expiryKey('not a chat'), 'not a chat', 1_000);
      const taken = await s.takeExpired(5_000, 10);
      expect(taken).toHaveLength(2);
      expect(taken).toEqual(expect.arrayContaining([chat, shared]));
    });
  });

  describe('schedule members', () => {
    it('names a chat by its hash tag, and reads it back, user of a shared place included', () => {
      expect(expiryMember(chat)).toBe('tg:42');
      const shared: ChatRef = { channel: 'discord', chatId: '900', userId: '77' };
      expect(expiryMember(shared)).toBe('dc:900:77');
      expect(chatOfMember('dc:900:77')).toEqual(shared);
      expect(chatOfMember('con:c1')).toEqual({ channel: 'console', chatId: 'c1' });
      expect(chatOfMember('tg:-1001234')).toEqual({ channel: 'telegram', chatId: '-1001234' });
    });

    it('keeps JSON for ids the tag would run together, and reads it back exactly', () => {
      for (const odd of [
        { channel: 'console', chatId: 'a:b' },
        { channel: 'console', chatId: 'a', userId: 'b:c' },
        { channel: 'console', chatId: 'a', userId: '' },
        { channel: 'console', chatId: '' },
      ] as ChatRef[]) {
        expect(expiryMember(odd)).toBe(JSON.stringify(odd));
        expect(chatOfMember(expiryMember(odd))).toEqual(odd);
      }
    });

    it('reads nothing from members that are neither form', () => {
      for (const member of ['', 'x', 'xx:1', 'tg:', 'tg:1:', 'tg:1:2:3', '{', '{"chatId":"1"}', 'null']) {
        expect(chatOfMember(member), member).toBeNull();
      }
    });
  });

  describe('key layout', () => {
    it('puts every key of a chat under one hash tag after the prefix', async () => {
      const s = sessions();
      expect(s.sessionKey(chat)).toBe(`${store.prefix}{tg:42}:session`);
      expect(s.sessionKey(otherChat)).toBe(`${store.prefix}{dc:42}:session`);
      expect(s.sessionKey({ channel: 'console', chatId: 'c1' })).toBe(`${store.prefix}{con:c1}:session`);

      await s.save(chat, null, session(1), 60_000);
      const stored = await store.kv.get(`${store.prefix}{tg:42}:session`);
      expect(stored).toMatch(/^~2[A-Za-z0-9+/]+=*$/);
      expect(plainStored(stored)).toBe(JSON.stringify(session(1)));
      const token = await s.lock(chat, 10_000, 0);
      expect(await store.kv.get(`${store.prefix}{tg:42}:lock`)).toBe(token);
      await s.unlock(chat, token ?? '');
      const frame = await s.begin(chat, 10_000, 0);
      await s.commit(chat, frame?.token ?? '', {
        next: session(1),
        ttlMs: 60_000,
        secret: 'set',
        secretTtlMs: 60_000,
        expiry: 'keep',
        seen: ['7'],
        seenTtlMs: 60_000,
      });
      // The update ids travel in the session's own key: no key of their own.
      expect(await store.kv.get(`${store.prefix}{tg:42}:seen`)).toBeNull();
      const carried = await store.kv.get(`${store.prefix}{tg:42}:session`);
      expect(splitStored(carried ?? '').seen).toEqual(['7']);
      expect(plainStored(carried)).toBe(JSON.stringify(session(1)));
      // So does the secret-prompt mark, with the time it lasts until.
      expect(splitStored(carried ?? '').secretUntil).toBe(store.clock.now() + 60_000);
      expect(await store.kv.get(`${store.prefix}{tg:42}:secret`)).toBeNull();
    });

    it('uses the default prefix ls: when none is given', () => {
      expect(new SessionStore(store.kv).sessionKey(chat)).toBe('ls:{tg:42}:session');
    });
  });
});

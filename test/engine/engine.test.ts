import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { Engine, type EngineOptions } from '../../src/engine/engine.ts';
import type { ChatRef, UserInput } from '../../src/engine/input.ts';
import type { Reply } from '../../src/engine/reply.ts';
import { SessionStore } from '../../src/engine/session-store.ts';
import type { Kv } from '../../src/kv/kv.ts';
import { MemoryKv } from '../../src/kv/memory-kv.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import { silentLogger } from '../../src/log.ts';
import { counterFlow } from '../helpers/counter-flow.ts';
import { connectRedis, uniquePrefix } from '../helpers/redis.ts';
import { plainStored } from '../helpers/stored.ts';

const chat: ChatRef = { channel: 'telegram', chatId: '42' };
let updateSeq = 0;

function text(value: string, extra: Partial<UserInput> = {}): UserInput {
  updateSeq += 1;
  return {
    chat,
    userId: '42',
    updateId: `u${updateSeq}`,
    isPrivate: true,
    action: { type: 'text', text: value },
    ...extra,
  };
}
function command(name: string, args = '', extra: Partial<UserInput> = {}): UserInput {
  updateSeq += 1;
  return {
    chat,
    userId: '42',
    updateId: `u${updateSeq}`,
    isPrivate: true,
    action: { type: 'command', command: name, args },
    ...extra,
  };
}
function choice(value: string): UserInput {
  updateSeq += 1;
  return {
    chat,
    userId: '42',
    updateId: `u${updateSeq}`,
    isPrivate: true,
    action: { type: 'choice', value },
  };
}

function makeEngine(kv: Kv, prefix: string, overrides: Partial<EngineOptions> = {}): Engine {
  return new Engine({
    flows: [counterFlow()],
    sessions: new SessionStore(kv, prefix),
    identities: { accountIdFor: async () => null },
    clock: new ManualClock(),
    log: silentLogger,
    ...overrides,
  });
}

const keys = (replies: readonly Reply[]) => replies.map((r) => r.key);
const counts = (replies: readonly Reply[]) =>
  replies.filter((r) => r.key === 'codes.wrong').map((r) => r.params?.remaining);

describe('engine on Redis, several processes', () => {
  const prefix = uniquePrefix();

  it('two handlers racing on one chat through two Redis connections never lose or double-apply a transition', async () => {
    const a = makeEngine(new RedisKv(connectRedis()), prefix);
    const b = makeEngine(new RedisKv(connectRedis()), prefix);
    await a.handle(command('count'));
    const inputs = Array.from({ length: 30 }, (_, i) => text(`step ${i}`));
    const results = await Promise.all(inputs.map((input, i) => (i % 2 === 0 ? a : b).handle(input)));
    const seen = results.flatMap((r) => counts(r.replies)).sort((x, y) => Number(x) - Number(y));
    // Every step saw a distinct count: 1..30, none lost, none applied twice.
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const end = await b.handle(text('end'));
    expect(counts(end.replies)).toEqual([-30]);
  });

  it('ignores a redelivered update, even when both deliveries race', async () => {
    const engine = makeEngine(new RedisKv(connectRedis()), prefix, {});
    const other = makeEngine(new RedisKv(connectRedis()), prefix, {});
    const c: ChatRef = { channel: 'telegram', chatId: 'redeliver' };
    await engine.handle({ ...command('count'), chat: c });
    const once = { ...text('again'), chat: c };
    const [first, second] = await Promise.all([engine.handle(once), other.handle(once)]);
    expect([first.duplicate, second.duplicate].sort()).toEqual([false, true]);
    const third = await engine.handle(once);
    expect(third).toEqual({ replies: [], inputWasSecret: false, duplicate: true });
    const end = await engine.handle({ ...text('end'), chat: c });
    expect(counts(end.replies)).toEqual([-1]);
  });

  it('continues a flow in a fresh engine instance from the snapshot persisted as JSON', async () => {
    const redisA = connectRedis();
    const c: ChatRef = { channel: 'discord', chatId: 'roundtrip' };
    const first = makeEngine(new RedisKv(redisA), prefix);
    await first.handle({ ...command('count'), chat: c });
    await first.handle({ ...text('one'), chat: c });
    const raw = await redisA.get(`${prefix}{dc:roundtrip}:session`);
    expect(raw).not.toBeNull();
    const stored = JSON.parse(plainStored(raw as string));
    expect(stored.flow).toMatchObject({ id: 'counter', version: 1 });
    expect(stored.flow.snapshot.context.count).toBe(1);
    const second = makeEngine(new RedisKv(connectRedis()), prefix);
    const next = await second.handle({ ...text('two'), chat: c });
    expect(counts(next.replies)).toEqual([2]);
  });
});

describe('engine rules', () => {
  it('expires an idle flow and tells the user when they come back', async () => {
    const clock = new ManualClock();
    const engine = makeEngine(new MemoryKv(clock), 'e1:', { clock, idleTimeoutMs: 15 * 60_000 });
    await engine.handle(command('count'));
    await engine.handle(text('x'));
    clock.advance(15 * 60_000 + 1);
    const back = await engine.handle(text('y'));
    expect(keys(back.replies)).toEqual(['common.expired', 'common.notUnderstood']);
    expect(back.inputWasSecret).toBe(false);
    expect(back.replies[0]?.params).toMatchObject({ minutes: 15 });
  });

  it('keeps a flow that is answered just before the idle timeout', async () => {
    const clock = new ManualClock();
    const engine = makeEngine(new MemoryKv(clock), 'e2:', { clock, idleTimeoutMs: 15 * 60_000 });
    await engine.handle(command('count'));
    clock.advance(15 * 60_000 - 1);
    expect(counts((await engine.handle(text('x'))).replies)).toEqual([1]);
  });

  it('tells the user on its own when a flow expires (expireIdle + push sender)', async () => {
    const clock = new ManualClock();
    const engine = makeEngine(new MemoryKv(clock), 'e3:', { clock, idleTimeoutMs: 60_000 });
    const pushed: Array<{ chat: ChatRef; replies: readonly Reply[] }> = [];
    engine.setPushSender(async (to, replies) => {
      pushed.push({ chat: to, replies });
    });
    await engine.handle(command('count'));
    expect(await engine.expireIdle()).toBe(0);
    clock.advance(60_001);
    expect(await engine.expireIdle()).toBe(1);
    expect(pushed).toEqual([{ chat, replies: [expect.objectContaining({ key: 'common.expired' })] }]);
    // Already cleared: coming back starts fresh without a second notice.
    const back = await engine.handle(text('hello'));
    expect(keys(back.replies)).toEqual(['common.notUnderstood']);
    expect(await engine.expireIdle()).toBe(0);
  });

  it('resets a snapshot from another flow version with a plain message instead of crashing', async () => {
    const kv = new MemoryKv();
    const v1 = makeEngine(kv, 'e4:', { flows: [counterFlow({ version: 1 })] });
    await v1.handle(command('count'));
    await v1.handle(text('x'));
    const v2 = makeEngine(kv, 'e4:', { flows: [counterFlow({ version: 2 })] });
    const after = await v2.handle(text('y'));
    expect(keys(after.replies)).toEqual(['common.flowReset', 'common.notUnderstood']);
    // And the flow can be started again on the new version.
    expect(counts((await v2.handle(command('count'))).replies)).toEqual([0]);
  });

  it('resets a session whose flow no longer exists', async () => {
    const kv = new MemoryKv();
    await makeEngine(kv, 'e5:').handle(command('count'));
    const without = makeEngine(kv, 'e5:', { flows: [] });
    expect(keys((await without.handle(text('x'))).replies)).toEqual([
      'common.flowReset',
      'common.notUnderstood',
    ]);
  });

  it('handles /cancel, /help, /menu and unknown commands in every state', async () => {
    const engine = makeEngine(new MemoryKv(), 'e6:');
    expect(keys((await engine.handle(command('cancel'))).replies)).toEqual(['common.nothingToCancel']);
    expect(keys((await engine.handle(command('start'))).replies)).toEqual([
      'common.welcomeUnlinked',
      'common.menu',
    ]);
    await engine.handle(command('count'));
    expect(keys((await engine.handle(command('help'))).replies)).toEqual(['common.help', 'codes.wrong']);
    expect(keys((await engine.handle(command('menu'))).replies)).toEqual([
      'common.busyInFlow',
      'codes.wrong',
    ]);
    expect(keys((await engine.handle(command('nope'))).replies)).toEqual([
      'common.unknownCommand',
      'codes.wrong',
    ]);
    expect(keys((await engine.handle(command('CANCEL'))).replies)).toEqual(['common.cancelled']);
    expect(keys((await engine.handle(text('x'))).replies)).toEqual(['common.notUnderstood']);
  });

  it('starts a flow from the menu by button, by number and by label', async () => {
    const engine = makeEngine(new MemoryKv(), 'e7:');
    const menu = await engine.handle(command('menu'));
    expect(menu.replies[0]?.choices?.map((c) => c.value)).toEqual(['menu:counter']);
    expect(counts((await engine.handle(choice('menu:counter'))).replies)).toEqual([0]);
    await engine.handle(command('cancel'));
    await engine.handle(command('menu'));
    expect(counts((await engine.handle(text('1'))).replies)).toEqual([0]);
    await engine.handle(command('cancel'));
    await engine.handle(command('menu'));
    expect(counts((await engine.handle(text('  change MY password '))).replies)).toEqual([0]);
  });

  it('answers a button from an earlier message by showing where we are now', async () => {
    const engine = makeEngine(new MemoryKv(), 'e8:');
    await engine.handle(command('count'));
    const stale = await engine.handle(choice('menu:counter'));
    expect(keys(stale.replies)).toEqual(['common.staleChoice', 'codes.wrong']);
    expect(counts((await engine.handle(choice('plus'))).replies)).toEqual([1]);
  });

  it('keeps the conversation where it was when a flow step crashes', async () => {
    const kv = new MemoryKv();
    const engine = makeEngine(kv, 'e9:');
    await engine.handle(command('count'));
    await engine.handle(text('a'));
    const crash = await engine.handle(text('boom'));
    expect(keys(crash.replies)).toEqual(['common.internalError']);
    expect(counts((await engine.handle(text('b'))).replies)).toEqual([2]);
  });

  it('times out a step that hangs without persisting a half-done state', async () => {
    const engine = makeEngine(new MemoryKv(), 'e10:', { stepTimeoutMs: 50 });
    await engine.handle(command('count'));
    const slow = await engine.handle(text('slow'));
    expect(keys(slow.replies)).toEqual(['common.timeout']);
    expect(counts((await engine.handle(text('ok'))).replies)).toEqual([1]);
  });

  it('reads nothing but commands in a group and sends private-only flows to a private chat', async () => {
    const engine = makeEngine(new MemoryKv(), 'e11:', { flows: [counterFlow({ privateOnly: true })] });
    const group: Partial<UserInput> = { isPrivate: false, chat: { channel: 'telegram', chatId: '-100' } };
    expect((await engine.handle(text('my password is hunter2', group))).replies).toEqual([]);
    const refused = await engine.handle(command('count', '', group));
    expect(refused.replies).toEqual([
      { key: 'common.privateOnly', params: { command: 'count' }, continuePrivately: true },
    ]);
    expect((await engine.handle(text('1', group))).replies).toEqual([]);
  });

  it('starts a flow from a /start deep link that names it, and refuses unknown payloads', async () => {
    const engine = makeEngine(new MemoryKv(), 'e12:');
    expect(counts((await engine.handle(command('start', 'count'))).replies)).toEqual([0]);
    await engine.handle(command('cancel'));
    expect(keys((await engine.handle(command('start', 'bogus-payload'))).replies)).toEqual([
      'common.startPayloadUnknown',
    ]);
  });

  it('answers a message it cannot use by asking the current question again', async () => {
    const engine = makeEngine(new MemoryKv(), 'e13:');
    await engine.handle(command('count'));
    // The counter ignores a choice value it does not know: that must not look like silence.
    const odd = await engine.handle({ ...text('x'), action: { type: 'choice', value: 'plus' } });
    expect(counts(odd.replies)).toEqual([1]);
  });

  it('delivers an out-of-chat signal to the active flow and pushes its replies', async () => {
    const engine = makeEngine(new MemoryKv(), 'e14:');
    const pushed: Reply[] = [];
    engine.setPushSender(async (_chat, replies) => {
      pushed.push(...replies);
    });
    expect(await engine.signal(chat, 'finish')).toBe(false);
    await engine.handle(command('count'));
    await engine.handle(text('a'));
    expect(await engine.signal(chat, 'unknown-signal')).toBe(false);
    expect(pushed).toEqual([]);
    expect(await engine.signal(chat, 'finish')).toBe(true);
    expect(counts(pushed)).toEqual([-1]);
    // The flow is over: the next message starts fresh.
    expect(keys((await engine.handle(text('x'))).replies)).toEqual(['common.notUnderstood']);
  });
});

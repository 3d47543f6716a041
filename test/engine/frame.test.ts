/**
 * The engine's frame on a real Redis: two round trips per turn, dedupe ids written with the session,
 * the secret-prompt mark, the lock renewed while a step runs and freed soon after its holder stops,
 * out-of-turn starts (`startIn`) and notices that survive a failed push.
 */

import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import type { ChatRef, UserInput } from '../../src/core/conversation.ts';
import { MAX_INPUT_LENGTH, type Reply } from '../../src/core/reply.ts';
import { Engine, type EngineOptions } from '../../src/engine/engine.ts';
import { RedisSessionFrame } from '../../src/engine/redis-session-frame.ts';
import { decodeStored } from '../../src/engine/session-codec.ts';
import { expiryMember, expiryShard, SessionStore } from '../../src/engine/session-store.ts';
import { withTurnScope } from '../../src/kv/read-scope.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import { silentLogger } from '../../src/log.ts';
import { counterFlow } from '../helpers/counter-flow.ts';
import { connectRedis, uniquePrefix } from '../helpers/redis.ts';
import { secretFlow } from '../helpers/secret-flow.ts';
import { plainStored } from '../helpers/stored.ts';

let seq = 0;
const chat: ChatRef = { channel: 'telegram', chatId: '501' };
const input = (action: UserInput['action'], extra: Partial<UserInput> = {}): UserInput => {
  seq += 1;
  return { chat, userId: '501', updateId: `f${seq}`, isPrivate: true, action, ...extra };
};
const text = (value: string, extra: Partial<UserInput> = {}) => input({ type: 'text', text: value }, extra);
const command = (name: string, args = '') => input({ type: 'command', command: name, args });
const keys = (replies: readonly Reply[]) => replies.map((reply) => reply.key);

/**
 * Counts the round trips and commands an ioredis client makes: a command sent while none of the client's
 * commands waits for its answer starts a round trip; commands sent side by side with it (before its answer
 * came back) and a pipeline's commands ride in that one.
 */
function countTrips(redis: Redis): { trips: () => number; commands: () => number; reset: () => void } {
  let trips = 0;
  let commands = 0;
  let waiting = 0;
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = ((...args: Parameters<Redis['sendCommand']>) => {
    commands += 1;
    if (waiting === 0) trips += 1;
    waiting += 1;
    const answered = () => {
      waiting -= 1;
    };
    (args[0] as unknown as { promise: Promise<unknown> }).promise.then(answered, answered);
    return send(...args);
  }) as Redis['sendCommand'];
  return {
    trips: () => trips,
    commands: () => commands,
    reset: () => {
      trips = 0;
      commands = 0;
    },
  };
}

/** An engine on its own Redis connection with the Redis frame, the test flows and a manual clock. */
function redisEngine(prefix: string, overrides: Partial<EngineOptions> = {}, redis = connectRedis()): Engine {
  return new Engine({
    flows: [counterFlow({ delayMs: 1 }), secretFlow()],
    sessions: new SessionStore(new RedisKv(redis), prefix, new RedisSessionFrame(redis)),
    identities: { accountIdFor: async () => null },
    clock: new ManualClock(),
    log: silentLogger,
    ...overrides,
  });
}

describe('the turn frame on Redis', () => {
  const prefix = uniquePrefix();
  afterEach(() => {
    seq += 100;
  });
  const engineOn = (redis: Redis, overrides: Partial<EngineOptions> = {}) =>
    redisEngine(prefix, overrides, redis);

  it('costs two round trips per turn: one to take the chat, one to store it and let go', async () => {
    const redis = connectRedis();
    const counter = countTrips(redis);
    const engine = engineOn(redis);
    await engine.handle(command('count'));
    counter.reset();
    for (let i = 0; i < 10; i += 1) await engine.handle(text(`step ${i}`));
    expect(counter.trips()).toBe(20);
    await engine.handle(text('stop'));
  });

  it('reads the sender’s account link with the frame, in the same round trip', async () => {
    const redis = connectRedis();
    const counter = countTrips(redis);
    const linkKey = `${prefix}link:telegram:501`;
    const engine = engineOn(redis, {
      identities: {
        accountIdFor: async () => {
          throw new Error('the link was to be read with the frame');
        },
        linkKey: (channel, userId) => `${prefix}link:${channel}:${userId}`,
      },
    });
    const linked = await engine.handle(command('start'));
    expect(keys(linked.replies)[0]).toBe('common.welcomeUnlinked');
    await redis.set(linkKey, 'acc_frame');
    counter.reset();
    const welcome = await engine.handle(command('start'));
    expect(keys(welcome.replies)[0]).toBe('common.welcome');
    expect(counter.trips()).toBe(2);
    await redis.del(linkKey);
  });

  it('reads the account the sender was linked to last time with the frame, and uses it only while the link still names it', async () => {
    const redis = connectRedis();
    const counter = countTrips(redis);
    const linkKey = `${prefix}link:telegram:501`;
    const accountKey = (id: string) => `${prefix}{acct:${id}}:account`;
    /** What each turn's scope was given without reading, by key. */
    let seeded = new Map<string, string | null>();
    const engine = engineOn(redis, {
      identities: {
        accountIdFor: async () => {
          throw new Error('the link was to be read with the frame');
        },
        linkKey: (channel, userId) => `${prefix}link:${channel}:${userId}`,
        accountKey,
        turnScope: (work) =>
          withTurnScope((seed) =>
            work((key, value) => {
              seeded.set(key, value);
              seed(key, value);
            }),
          ),
      },
    });
    await redis.set(linkKey, 'acc_one');
    await redis.set(accountKey('acc_one'), '{"id":"acc_one"}');
    await redis.set(accountKey('acc_two'), '{"id":"acc_two"}');
    const turn = async () => {
      seeded = new Map();
      counter.reset();
      await engine.handle(command('start'));
      expect(counter.trips()).toBe(2);
      return seeded;
    };
    // The first turn learns the link; the next ones read its account in the same round trip.
    expect(await turn()).toEqual(new Map([[linkKey, 'acc_one']]));
    expect(await turn()).toEqual(
      new Map([
        [linkKey, 'acc_one'],
        [accountKey('acc_one'), '{"id":"acc_one"}'],
      ]),
    );
    // Linked elsewhere in between: the account read beside the old link is not used; the next turn reads
    // the new one.
    await redis.set(linkKey, 'acc_two');
    expect(await turn()).toEqual(new Map([[linkKey, 'acc_two']]));
    expect((await turn()).get(accountKey('acc_two'))).toBe('{"id":"acc_two"}');
    // Unlinked: nothing more is read for it.
    await redis.del(linkKey);
    expect(await turn()).toEqual(new Map([[linkKey, null]]));
    expect(await turn()).toEqual(new Map([[linkKey, null]]));
    await redis.del(accountKey('acc_one'), accountKey('acc_two'));
  });

  it('keeps no transcript in the session when no support desk is set up (nobody could read it)', async () => {
    const redis = connectRedis();
    const engine = engineOn(redis);
    const here: ChatRef = { channel: 'telegram', chatId: '509' };
    await engine.handle(
      input({ type: 'command', command: 'count', args: '' }, { chat: here, userId: '509' }),
    );
    await engine.handle(input({ type: 'text', text: 'a' }, { chat: here, userId: '509' }));
    const stored = JSON.parse(plainStored(await redis.get(`${prefix}{tg:509}:session`)) ?? 'null');
    expect(stored?.flow).not.toBeNull();
    expect(stored).not.toHaveProperty('transcript');
    await engine.handle(input({ type: 'text', text: 'stop' }, { chat: here, userId: '509' }));
  });

  it('keeps no key per update: a chat holds one key, its session, which carries its recent update ids', async () => {
    const redis = connectRedis();
    const engine = engineOn(redis);
    const here: ChatRef = { channel: 'telegram', chatId: '502' };
    for (const action of [
      { type: 'command', command: 'count', args: '' },
      { type: 'text', text: 'a' },
      { type: 'text', text: 'b' },
      { type: 'text', text: 'stop' },
    ] as const) {
      await engine.handle(input(action, { chat: here, userId: '502' }));
    }
    const stored = await redis.keys(`${prefix}{tg:502}:*`);
    expect(stored.sort()).toEqual([`${prefix}{tg:502}:session`]);
    // The task ended: no session is left, only the ids of the 4 updates handled.
    const kept = decodeStored(String(await redis.get(`${prefix}{tg:502}:session`)));
    expect(kept.session).toBeNull();
    expect(kept.seen).toHaveLength(4);
    expect(await redis.pttl(`${prefix}{tg:502}:session`)).toBeGreaterThan(23 * 60 * 60_000);
  });

  it('writes the session and the handled update id in one step: a lost lock writes neither', async () => {
    const redis = connectRedis();
    const sessions = new SessionStore(new RedisKv(redis), prefix, new RedisSessionFrame(redis));
    const here: ChatRef = { channel: 'telegram', chatId: '503' };
    const frame = await sessions.begin(here, 10_000, 0);
    // Another holder's lock replaced ours (ours expired while we were stalled).
    await redis.set(`${prefix}{tg:503}:lock`, 'someone-else');
    const written = await sessions.commit(here, frame?.token ?? '', {
      next: { flow: null, prompt: { key: 'common.menu', input: 'choice' }, lastActiveAt: 1 },
      ttlMs: 60_000,
      secret: 'set',
      secretTtlMs: 60_000,
      expiry: 'keep',
      seen: ['u-lost'],
      seenTtlMs: 60_000,
    });
    expect(written).toBe(false);
    expect(
      await redis.exists(`${prefix}{tg:503}:session`, `${prefix}{tg:503}:seen`, `${prefix}{tg:503}:secret`),
    ).toBe(0);
  });

  it('answers a redelivered update once, from any process', async () => {
    const a = engineOn(connectRedis());
    const b = engineOn(connectRedis());
    const start = command('count');
    await a.handle(start);
    const step = text('one');
    const [first, again] = await Promise.all([a.handle(step), b.handle(step)]);
    expect([first.duplicate, again.duplicate].sort()).toEqual([false, true]);
    expect((await b.handle(step)).duplicate).toBe(true);
    await a.handle(text('stop'));
  });

  it('renews the lock while a long step runs, so a second process waits instead of stepping in', async () => {
    const lockTtlMs = 300;
    const a = engineOn(connectRedis(), { lockTtlMs });
    const b = engineOn(connectRedis(), { lockTtlMs, lockWaitMs: 5_000 });
    const here: ChatRef = { channel: 'telegram', chatId: '504' };
    await a.handle(input({ type: 'command', command: 'secret', args: '' }, { chat: here }));
    // "wait:1200" makes the flow's check take 1.2 s: four lock TTLs.
    const slow = a.handle(input({ type: 'text', text: 'wait:1200' }, { chat: here }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    const next = await b.handle(input({ type: 'text', text: 'right' }, { chat: here }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(keys((await slow).replies)).toEqual(['codes.wrong', 'password.askCurrent']);
    expect(keys(next.replies)).toEqual(['password.changed']);
  });

  it('frees the chat of a holder that stopped renewing within the lock TTL', async () => {
    const redis = connectRedis();
    const sessions = new SessionStore(new RedisKv(redis), prefix, new RedisSessionFrame(redis));
    const here: ChatRef = { channel: 'telegram', chatId: '505' };
    // A holder that died: its lock is there and nobody renews it.
    expect(await sessions.begin(here, 500, 0)).not.toBeNull();
    const engine = engineOn(connectRedis(), { lockWaitMs: 5_000 });
    const started = Date.now();
    const result = await engine.handle(
      input({ type: 'command', command: 'count', args: '' }, { chat: here }),
    );
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(keys(result.replies)).toEqual(['codes.wrong']);
  });
});

describe('the secret-prompt mark', () => {
  const prefix = uniquePrefix();

  function engineOn(overrides: Partial<EngineOptions> = {}) {
    const redis = connectRedis();
    const clock = new ManualClock();
    const engine = new Engine({
      flows: [secretFlow(), counterFlow({ delayMs: 1 })],
      sessions: new SessionStore(new RedisKv(redis), prefix, new RedisSessionFrame(redis), clock),
      identities: { accountIdFor: async () => null },
      clock,
      log: silentLogger,
      idleTimeoutMs: 60_000,
      ...overrides,
    });
    return { engine, clock };
  }

  it('treats a password typed after its task expired as a secret (the user is told the task ended)', async () => {
    const { engine, clock } = engineOn();
    const here: ChatRef = { channel: 'telegram', chatId: '601' };
    await engine.handle(input({ type: 'command', command: 'secret', args: '' }, { chat: here }));
    clock.advance(61_000);
    const late = await engine.handle(input({ type: 'text', text: 'Hunter-2-password' }, { chat: here }));
    expect(late.inputWasSecret).toBe(true);
    expect(keys(late.replies)).toEqual(['common.expired', 'common.notUnderstood']);
  });

  it('outlives a task the sweeper ended by 10 minutes, then a typed text is an answer like any other', async () => {
    const { engine, clock } = engineOn({ push: async () => undefined });
    const here: ChatRef = { channel: 'telegram', chatId: '605' };
    const late = async (after: number) => {
      await engine.handle(input({ type: 'command', command: 'secret', args: '' }, { chat: here }));
      clock.advance(61_000);
      expect(await engine.expireIdle()).toBeGreaterThanOrEqual(1);
      clock.advance(after);
      return engine.handle(input({ type: 'text', text: 'Hunter-2-password' }, { chat: here }));
    };
    // The mark was set with the question: it lasts the idle timeout (60 s) and 10 minutes more.
    expect((await late(10 * 60_000 - 2_000)).inputWasSecret).toBe(true);
    expect((await late(10 * 60_000 + 1_000)).inputWasSecret).toBe(false);
  });

  it('treats a password typed after the idle sweeper ended the task as a secret', async () => {
    const pushed: Reply[][] = [];
    const { engine, clock } = engineOn({ push: async (_chat, replies) => void pushed.push([...replies]) });
    const here: ChatRef = { channel: 'telegram', chatId: '602' };
    await engine.handle(input({ type: 'command', command: 'secret', args: '' }, { chat: here }));
    clock.advance(61_000);
    expect(await engine.expireIdle()).toBeGreaterThanOrEqual(1);
    expect(pushed.flat().map((r) => r.key)).toContain('common.expired');
    const late = await engine.handle(input({ type: 'text', text: 'Hunter-2-password' }, { chat: here }));
    expect(late.inputWasSecret).toBe(true);
  });

  it('keeps treating every guess as a secret after a lock-out ended the task', async () => {
    const { engine } = engineOn();
    const here: ChatRef = { channel: 'telegram', chatId: '603' };
    await engine.handle(input({ type: 'command', command: 'secret', args: '' }, { chat: here }));
    const locked = await engine.handle(input({ type: 'text', text: 'lock' }, { chat: here }));
    expect(keys(locked.replies)).toEqual(['password.locked']);
    for (const guess of ['guess-6', 'guess-7', 'guess-30']) {
      const after = await engine.handle(input({ type: 'text', text: guess }, { chat: here }));
      expect(after.inputWasSecret).toBe(true);
    }
  });

  it('forgets the mark when the task is cancelled, completes, or moves on to a question that is not secret', async () => {
    const { engine } = engineOn();
    const here: ChatRef = { channel: 'telegram', chatId: '604' };
    await engine.handle(input({ type: 'command', command: 'secret', args: '' }, { chat: here }));
    await engine.handle(input({ type: 'command', command: 'cancel', args: '' }, { chat: here }));
    expect((await engine.handle(input({ type: 'text', text: 'hello' }, { chat: here }))).inputWasSecret).toBe(
      false,
    );

    await engine.handle(input({ type: 'command', command: 'secret', args: '' }, { chat: here }));
    expect(
      keys((await engine.handle(input({ type: 'text', text: 'right' }, { chat: here }))).replies),
    ).toEqual(['password.changed']);
    expect((await engine.handle(input({ type: 'text', text: 'hello' }, { chat: here }))).inputWasSecret).toBe(
      false,
    );

    await engine.handle(input({ type: 'command', command: 'secret', args: '' }, { chat: here }));
    await engine.handle(input({ type: 'text', text: 'plain' }, { chat: here }));
    expect(
      (await engine.handle(input({ type: 'text', text: '+8613800138000' }, { chat: here }))).inputWasSecret,
    ).toBe(false);
  });

  it('refuses a text over 4,096 characters before anything else, changing nothing, and still deletes it at a secret prompt', async () => {
    const { engine } = engineOn();
    const here: ChatRef = { channel: 'telegram', chatId: '605' };
    await engine.handle(input({ type: 'command', command: 'secret', args: '' }, { chat: here }));
    const huge = await engine.handle(
      input({ type: 'text', text: 'A'.repeat(MAX_INPUT_LENGTH + 1) }, { chat: here }),
    );
    expect(keys(huge.replies)).toEqual(['common.tooLong', 'password.askCurrent']);
    expect(huge.inputWasSecret).toBe(true);
    const edge = await engine.handle(
      input({ type: 'text', text: 'A'.repeat(MAX_INPUT_LENGTH) }, { chat: here }),
    );
    expect(keys(edge.replies)).toEqual(['codes.wrong', 'password.askCurrent']);
  });
});

describe('startIn and undeliverable notices', () => {
  const prefix = uniquePrefix();

  it('starts a flow in another conversation and pushes its first replies there; refuses a busy one', async () => {
    const pushed: { chat: ChatRef; keys: string[] }[] = [];
    const engine = redisEngine(prefix, {
      push: async (to, replies) => void pushed.push({ chat: to, keys: keys(replies) }),
    });
    const dm: ChatRef = { channel: 'discord', chatId: 'dm-77' };
    expect(await engine.startIn(dm, '77', 'secret-test')).toBe('started');
    expect(pushed).toEqual([{ chat: dm, keys: ['password.askCurrent'] }]);
    expect(await engine.startIn(dm, '77', 'counter')).toBe('busy');
    expect(await engine.startIn(dm, '77', 'nope')).toBe('unknown');
    // The started flow goes on from messages in that conversation.
    const next = await engine.handle({
      chat: dm,
      userId: '77',
      isPrivate: true,
      action: { type: 'text', text: 'right' },
    });
    expect(keys(next.replies)).toEqual(['password.changed']);
  });

  it('keeps an expiry notice it could not push, tries again later, and shows it when the user comes back', async () => {
    const clock = new ManualClock();
    let up = false;
    const pushed: string[][] = [];
    const engine = redisEngine(prefix, {
      clock,
      idleTimeoutMs: 60_000,
      push: async (_to, replies) => {
        if (!up) throw new Error('platform down');
        pushed.push(keys(replies));
      },
    });
    const here: ChatRef = { channel: 'telegram', chatId: '701' };
    await engine.handle(input({ type: 'command', command: 'count', args: '' }, { chat: here }));
    clock.advance(61_000);
    expect(await engine.expireIdle()).toBe(1);
    expect(pushed).toEqual([]);
    // Not lost: the retry is scheduled (30 s later) and the session holds the notice.
    clock.advance(31_000);
    up = true;
    await engine.expireIdle();
    expect(pushed).toEqual([['common.expired']]);
    // Delivered once: nothing more later, and the chat is clean.
    clock.advance(10 * 60_000);
    await engine.expireIdle();
    expect(pushed).toHaveLength(1);
    const back = await engine.handle(input({ type: 'text', text: 'hi' }, { chat: here }));
    expect(keys(back.replies)).toEqual(['common.notUnderstood']);
  });

  it('shows a notice that could not be pushed when the user writes first', async () => {
    const clock = new ManualClock();
    const engine = redisEngine(prefix, {
      clock,
      idleTimeoutMs: 60_000,
      push: async () => {
        throw new Error('platform down');
      },
    });
    const here: ChatRef = { channel: 'telegram', chatId: '702' };
    await engine.handle(input({ type: 'command', command: 'count', args: '' }, { chat: here }));
    clock.advance(61_000);
    await engine.expireIdle();
    const back = await engine.handle(input({ type: 'text', text: 'hi' }, { chat: here }));
    expect(keys(back.replies)).toEqual(['common.expired', 'common.notUnderstood']);
  });

  it('takes no expiries while the platform cannot be reached', async () => {
    const clock = new ManualClock();
    const engine = redisEngine(prefix, {
      clock,
      idleTimeoutMs: 60_000,
      push: async () => undefined,
      pushReady: () => false,
    });
    const here: ChatRef = { channel: 'telegram', chatId: '703' };
    await engine.handle(input({ type: 'command', command: 'count', args: '' }, { chat: here }));
    clock.advance(61_000);
    expect(await engine.expireIdle()).toBe(0);
    const shard = expiryShard(expiryMember(here));
    const members = await connectRedis().zrange(`${prefix}expiry:${shard}`, 0, -1);
    expect(members).toContain('tg:703');
  });
});

describe('handing on and back (next, returnTo)', () => {
  const prefix = uniquePrefix();

  it('starts the next flow and, once it completes, the flow it was started for, with args "resume"', async () => {
    const { setup, emit } = await import('xstate');
    const { AWAITING_INPUT } = await import('../../flows/ports.ts');
    type In = import('../../flows/ports.ts').FlowInput;
    type Ev = import('../../flows/ports.ts').FlowEvent;
    type Em = import('../../flows/ports.ts').ReplyEvent;
    type Out = import('../../flows/ports.ts').FlowOutput;
    const hub = setup({
      types: {
        input: {} as In,
        events: {} as Ev,
        emitted: {} as Em,
        output: {} as Out,
        context: {} as { resumed: boolean },
      },
    }).createMachine({
      id: 'hub',
      context: ({ input }) => ({ resumed: input.args === 'resume' }),
      initial: 'pick',
      output: { next: 'secret-test', returnTo: 'hub' },
      states: {
        pick: {
          tags: [AWAITING_INPUT],
          entry: emit(({ context }) => ({
            type: 'reply' as const,
            key: context.resumed ? ('common.welcome' as const) : ('common.menu' as const),
            input: 'choice' as const,
            choices: [{ value: 'fix', label: 'common.choiceYes' as const }],
          })),
          on: { 'user.choice': 'done' },
        },
        done: { type: 'final' },
      },
    });
    const redis = connectRedis();
    const engine = new Engine({
      flows: [
        {
          id: 'hub',
          version: 1,
          command: 'hub',
          title: 'password.title',
          audience: 'any',
          privateOnly: false,
          machine: hub,
        },
        secretFlow(),
      ],
      sessions: new SessionStore(new RedisKv(redis), prefix, new RedisSessionFrame(redis)),
      identities: { accountIdFor: async () => null },
      clock: new ManualClock(),
      log: silentLogger,
    });
    const here: ChatRef = { channel: 'telegram', chatId: '801' };
    const say = (action: UserInput['action']) => engine.handle(input(action, { chat: here }));
    expect(keys((await say({ type: 'command', command: 'hub', args: '' })).replies)).toEqual(['common.menu']);
    expect(keys((await say({ type: 'choice', value: 'fix' })).replies)).toEqual(['password.askCurrent']);
    // The fix completes: the hub comes back where the user left it.
    expect(keys((await say({ type: 'text', text: 'right' })).replies)).toEqual([
      'password.changed',
      'common.welcome',
    ]);
    // /cancel inside a fix ends everything: no hand back.
    await say({ type: 'choice', value: 'fix' });
    expect(keys((await say({ type: 'command', command: 'cancel', args: '' })).replies)).toEqual([
      'common.cancelled',
    ]);
    expect(keys((await say({ type: 'text', text: 'right' })).replies)).toEqual(['common.notUnderstood']);
  });
});

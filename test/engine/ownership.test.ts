/** One owner per conversation: the bot, or a person after an escalation, switched atomically in Redis. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import type { ChatRef, UserInput } from '../../src/core/conversation.ts';
import type { Reply } from '../../src/core/reply.ts';
import { Engine, type EngineOptions, type EscalationRequest } from '../../src/engine/engine.ts';
import { RedisSessionFrame } from '../../src/engine/redis-session-frame.ts';
import { SessionStore } from '../../src/engine/session-store.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import { silentLogger } from '../../src/log.ts';
import { counterFlow } from '../helpers/counter-flow.ts';
import { connectRedis, uniquePrefix } from '../helpers/redis.ts';
import { secretFlow } from '../helpers/secret-flow.ts';

const keys = (replies: readonly Reply[]) => replies.map((reply) => reply.key);
let seq = 0;

/** A desk that records what it was given. */
class Desk {
  readonly opened: EscalationRequest[] = [];
  async open(request: EscalationRequest) {
    this.opened.push(request);
    return { id: `esc_${this.opened.length}` };
  }
}

describe('conversation ownership', () => {
  const prefix = uniquePrefix();
  const engine = (overrides: Partial<EngineOptions> = {}) => {
    const redis = connectRedis();
    return new Engine({
      flows: [secretFlow(), counterFlow({ delayMs: 1 })],
      sessions: new SessionStore(new RedisKv(redis), prefix, new RedisSessionFrame(redis)),
      identities: { accountIdFor: async () => 'acc_000000000001' },
      clock: new ManualClock(),
      log: silentLogger,
      supportContact: 'help@example.com, Mon-Fri 9-17',
      ...overrides,
    });
  };
  const say = (e: Engine, chat: ChatRef, action: UserInput['action']) => {
    seq += 1;
    return e.handle({ chat, userId: chat.chatId, updateId: `o${seq}`, isPrivate: true, action });
  };

  it('hands a conversation to a person on /support, with the task, its step and a redacted transcript', async () => {
    const desk = new Desk();
    const a = engine({ escalations: desk });
    const chat: ChatRef = { channel: 'telegram', chatId: '901' };
    await say(a, chat, { type: 'command', command: 'secret', args: '' });
    await say(a, chat, { type: 'text', text: 'Wrong-Password-1' });
    const handed = await say(a, chat, { type: 'command', command: 'support', args: '' });
    expect(keys(handed.replies)).toEqual(['support.escalated']);
    expect(handed.replies[0]?.params).toEqual({ contact: 'help@example.com, Mon-Fri 9-17' });
    expect(desk.opened).toHaveLength(1);
    const request = desk.opened[0] as EscalationRequest;
    expect(request).toMatchObject({
      chat,
      accountId: 'acc_000000000001',
      flowId: 'secret-test',
      step: 'ask',
      reason: 'asked',
    });
    expect(request.transcript.map((line) => `${line.from}:${line.text}`)).toEqual([
      'user:/secret',
      'bot:password.askCurrent',
      'user:[redacted]',
      'bot:codes.wrong',
      'bot:password.askCurrent',
      'user:/support',
    ]);
    expect(JSON.stringify(request)).not.toContain('Wrong-Password-1');
  });

  it('keeps the bot quiet while a person owns the chat, in every process, until the escalation is resolved', async () => {
    const desk = new Desk();
    const a = engine({ escalations: desk });
    const pushed: string[][] = [];
    const b = engine({ escalations: desk, push: async (_chat, replies) => void pushed.push(keys(replies)) });
    const chat: ChatRef = { channel: 'telegram', chatId: '902' };
    await say(a, chat, { type: 'command', command: 'support', args: '' });
    for (const action of [
      { type: 'command', command: 'count', args: '' },
      { type: 'command', command: 'menu', args: '' },
      { type: 'text', text: 'hello?' },
    ] as const) {
      expect(keys((await say(b, chat, action)).replies)).toEqual(['support.withPerson']);
    }
    // Only the escalation that owns the chat can hand it back.
    expect(await b.release(chat, 'esc_99')).toBe(false);
    expect(keys((await say(a, chat, { type: 'text', text: 'hi' })).replies)).toEqual(['support.withPerson']);
    expect(await b.release(chat, 'esc_1', [{ key: 'support.contactOnly', params: { contact: 'x' } }])).toBe(
      true,
    );
    expect(pushed).toEqual([['support.contactOnly']]);
    expect(keys((await say(a, chat, { type: 'command', command: 'count', args: '' })).replies)).toEqual([
      'codes.wrong',
    ]);
  });

  it('still recognises a secret typed while a person owns the chat', async () => {
    const a = engine({ escalations: new Desk() });
    const chat: ChatRef = { channel: 'telegram', chatId: '903' };
    await say(a, chat, { type: 'command', command: 'secret', args: '' });
    await say(a, chat, { type: 'command', command: 'support', args: '' });
    const typed = await say(a, chat, { type: 'text', text: 'My-Password-2' });
    expect(typed.inputWasSecret).toBe(true);
    expect(keys(typed.replies)).toEqual(['support.withPerson']);
  });

  it('tells the user how to reach support when no support desk is set up, and keeps the task', async () => {
    const a = engine();
    const chat: ChatRef = { channel: 'telegram', chatId: '904' };
    await say(a, chat, { type: 'command', command: 'secret', args: '' });
    const asked = await say(a, chat, { type: 'command', command: 'support', args: '' });
    expect(keys(asked.replies)).toEqual(['support.contactOnly', 'password.askCurrent']);
    expect(keys((await say(a, chat, { type: 'text', text: 'right' })).replies)).toEqual(['password.changed']);
  });
});

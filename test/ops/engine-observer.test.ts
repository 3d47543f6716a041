/**
 * The engine's reports to its observer, counted by the real metrics registry: every way a task ends
 * (completed, cancelled, expired when the user comes back or by the sweeper, replaced by a new version),
 * each abandoned one with the step it was in, and every message with its latency.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import type { ChatRef, UserInput } from '../../src/core/conversation.ts';
import { Engine } from '../../src/engine/engine.ts';
import { SessionStore } from '../../src/engine/session-store.ts';
import { silentLogger } from '../../src/log.ts';
import { MemoryKv } from '../../src/kv/memory-kv.ts';
import { createMetrics, METRIC_NAMES } from '../../src/metrics/metrics.ts';
import { counterFlow } from '../helpers/counter-flow.ts';
import { parseMetrics, sampleValue } from './scrape.ts';

const IDLE_MS = 60_000;
let seq = 0;

function input(chatId: string, action: UserInput['action']): UserInput {
  seq += 1;
  const chat: ChatRef = { channel: 'console', chatId };
  return { chat, userId: chatId, updateId: `u${seq}`, isPrivate: true, action };
}
const command = (chatId: string, name: string) => input(chatId, { type: 'command', command: name, args: '' });
const text = (chatId: string, value: string) => input(chatId, { type: 'text', text: value });

describe('what the engine tells its observer', () => {
  it('counts each task start and each way it ended, with the step an abandoned one was in', async () => {
    const clock = new ManualClock();
    const kv = new MemoryKv(clock);
    const metrics = createMetrics({ defaultMetrics: false });
    const pushed: ChatRef[] = [];
    const build = (version: number) =>
      new Engine({
        flows: [counterFlow({ version })],
        sessions: new SessionStore(kv, 'obs:'),
        identities: { accountIdFor: async () => null },
        clock,
        log: silentLogger,
        idleTimeoutMs: IDLE_MS,
        observer: metrics.observer,
        push: async (chat) => {
          pushed.push(chat);
        },
      });
    const engine = build(1);

    // Completed: started and ended by its own end.
    await engine.handle(command('c1', 'count'));
    await engine.handle(text('c1', 'end'));
    // Cancelled while waiting for input.
    await engine.handle(command('c2', 'count'));
    await engine.handle(command('c2', 'cancel'));
    // Expired, noticed when the user comes back.
    await engine.handle(command('c3', 'count'));
    // Expired, taken by the sweeper.
    await engine.handle(command('c4', 'count'));
    clock.advance(IDLE_MS + 1);
    await engine.handle(text('c3', 'hello'));
    expect(await engine.expireIdle()).toBe(1);
    expect(pushed.map((chat) => chat.chatId)).toEqual(['c4']);
    // Replaced: a new version of the flow is deployed while a task runs.
    await engine.handle(command('c5', 'count'));
    await build(2).handle(text('c5', 'hello'));

    const samples = parseMetrics(await metrics.render());
    const flow = { flow: 'counter' };
    expect(sampleValue(samples, METRIC_NAMES.tasksStarted, flow)).toBe(5);
    expect(sampleValue(samples, METRIC_NAMES.tasksCompleted, flow)).toBe(1);
    const abandoned = (reason: string, step: string) =>
      sampleValue(samples, METRIC_NAMES.tasksAbandoned, { ...flow, reason, step });
    expect(abandoned('cancelled', 'waiting')).toBe(1);
    expect(abandoned('expired', 'waiting')).toBe(2);
    // The old version's snapshot says nothing reliable about a step of the new one.
    expect(abandoned('replaced', 'none')).toBe(1);
    const allAbandoned = samples
      .filter((sample) => sample.name === METRIC_NAMES.tasksAbandoned)
      .reduce((sum, sample) => sum + sample.value, 0);
    expect(allAbandoned).toBe(4);
    // Nine messages (the second engine reports to the same registry), each with its latency.
    expect(sampleValue(samples, METRIC_NAMES.messages, { channel: 'console' })).toBe(9);
    expect(sampleValue(samples, `${METRIC_NAMES.messageDuration}_count`, { channel: 'console' })).toBe(9);
  });
});

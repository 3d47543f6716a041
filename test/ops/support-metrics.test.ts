/**
 * Handoffs and escalations in the metrics: the support desk's announcements (which also feed its
 * webhook) are counted by status and event, and a task handed to a person ends `escalated` at its step.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createEngine } from '../../src/composition/engine.ts';
import type { ChatRef, UserInput } from '../../src/core/conversation.ts';
import { MemoryKv } from '../../src/kv/memory-kv.ts';
import { silentLogger } from '../../src/log.ts';
import { observeSupport } from '../../src/metrics/instrument.ts';
import { createMetrics, METRIC_NAMES } from '../../src/metrics/metrics.ts';
import { createServices } from '../../src/services.ts';
import { createSupport } from '../../src/support/index.ts';
import { RecordingDelivery } from '../helpers/fake-delivery.ts';
import { parseMetrics, sampleValue } from './scrape.ts';

const chat: ChatRef = { channel: 'console', chatId: 'console' };
let seq = 0;
const command = (name: string, args = ''): UserInput => {
  seq += 1;
  return {
    chat,
    userId: 'console',
    updateId: `u${seq}`,
    isPrivate: true,
    action: { type: 'command', command: name, args },
  };
};

describe('support in the metrics', () => {
  it('counts an escalation opened and resolved, the handoff it made, and the task it stopped', async () => {
    const clock = new ManualClock();
    const services = createServices({
      kv: new MemoryKv(clock),
      delivery: new RecordingDelivery(),
      clock,
      log: silentLogger,
      secretKey: 'ops-support-metrics-secret-key-0123456789',
      hashing: { memoryCost: 19_456, timeCost: 2, parallelism: 1, concurrency: 1 },
    });
    const created = await services.accounts.create({
      phone: '+8613800138000',
      email: 'support-metrics@example.com',
      passwordHash: await services.hasher.hash('Harbour-Lantern-93'),
      now: clock.now(),
    });
    if (!created.ok) throw new Error(created.reason);
    await services.accounts.link(created.account.id, 'console', 'console', clock.now());
    const metrics = createMetrics({ defaultMetrics: false });
    const support = createSupport({ services });
    observeSupport(support.webhook, metrics.observer);
    const engine = createEngine(services, { push: async () => {} }, [support.flow], {
      ...support.engineOptions,
      observer: metrics.observer,
    });
    support.attach(engine);

    // In the middle of a password change the user asks for a person.
    await engine.handle(command('password'));
    const escalated = await engine.handle(command('support'));
    expect(escalated.replies.map((reply) => reply.key)).toContain('support.escalated');
    const [open] = await support.escalations.list({ status: 'open' });
    if (!open) throw new Error('no escalation was opened');
    // The agent resolves it with a handoff into a task, which opens right there in the chat.
    const resolved = await support.service.resolveEscalation({ kind: 'admin' }, open.id, {
      message: 'We checked. Let us change the password together.',
      handoff: { flow: 'change-password' },
    });
    expect(resolved.ok).toBe(true);

    const samples = parseMetrics(await metrics.render());
    expect(sampleValue(samples, METRIC_NAMES.escalations, { event: 'opened' })).toBe(1);
    expect(sampleValue(samples, METRIC_NAMES.escalations, { event: 'resolved' })).toBe(1);
    expect(sampleValue(samples, METRIC_NAMES.handoffs, { status: 'pending' })).toBe(1);
    expect(sampleValue(samples, METRIC_NAMES.handoffs, { status: 'opened' })).toBe(1);
    expect(
      sampleValue(samples, METRIC_NAMES.tasksAbandoned, {
        flow: 'change-password',
        reason: 'escalated',
        step: 'proving > askPassword',
      }),
    ).toBe(1);
    support.close();
  });
});

/**
 * "Commit once, tell afterwards": a password change whose SMS gateway is slow and failing (503 with
 * Retry-After: 5, after 4.5 s) is applied once and reported as done at once; the notice follows later.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import argon2 from 'argon2';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createEngine } from '../../src/composition/engine.ts';
import type { ChatRef, InputAction } from '../../src/core/conversation.ts';
import { RoutedDelivery } from '../../src/delivery/delivery.ts';
import { WebhookSmsDelivery } from '../../src/delivery/sms-webhook.ts';
import { MemoryKv } from '../../src/kv/memory-kv.ts';
import { silentLogger } from '../../src/log.ts';
import { createServices } from '../../src/services.ts';
import { RecordingDelivery } from '../helpers/fake-delivery.ts';

const SECRET_KEY = 'k'.repeat(32);
const PASSWORD = 'Old-Sunflower-41';
const NEW_PASSWORD = 'Brand-New-Lantern-77';

/** An SMS gateway that answers 503 with Retry-After: 5 after 4.5 s, then (when told) 200. */
function slowGateway(): Promise<{ server: Server; url: string; requests: string[]; heal: () => void }> {
  const requests: string[] = [];
  let healthy = false;
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      requests.push(body);
      if (healthy) {
        response.writeHead(200).end('{}');
        return;
      }
      setTimeout(() => response.writeHead(503, { 'retry-after': '5' }).end(), 4_500);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${port}/sms`, requests, heal: () => (healthy = true) });
    }),
  );
}

describe('a password change while the SMS gateway is slow and failing', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });

  it('is applied once and reported as done at once; the notice is sent later, once', async () => {
    const gateway = await slowGateway();
    servers.push(gateway.server);
    const clock = new ManualClock();
    const email = new RecordingDelivery();
    const sms = new WebhookSmsDelivery({
      url: gateway.url,
      secretKey: SECRET_KEY,
      timeoutMs: 6_000,
      attempts: 1,
    });
    const services = createServices({
      kv: new MemoryKv(clock),
      delivery: new RoutedDelivery({ sms, email }),
      clock,
      log: silentLogger,
      secretKey: SECRET_KEY,
      hashing: { memoryCost: 19_456, timeCost: 2, parallelism: 1, concurrency: 2 },
    });
    const created = await services.accounts.create({
      phone: '+8613800138000',
      email: 'alice@example.com',
      passwordHash: await services.hasher.hash(PASSWORD),
      now: clock.now(),
    });
    if (!created.ok) throw new Error('seed failed');
    const accountId = created.account.id;
    await services.accounts.link(accountId, 'console', 'u1', clock.now());
    const engine = createEngine(services);
    const chat: ChatRef = { channel: 'console', chatId: 'c1' };
    let n = 0;
    const say = async (action: InputAction) =>
      (await engine.handle({ chat, userId: 'u1', updateId: `s${++n}`, isPrivate: true, action })).replies.map(
        (reply) => reply.key,
      );

    await say({ type: 'command', command: 'password', args: '' });
    await say({ type: 'text', text: PASSWORD });
    await say({ type: 'text', text: NEW_PASSWORD });
    const started = Date.now();
    const done = await say({ type: 'text', text: NEW_PASSWORD });
    // The step did not wait for the gateway, and says what happened: the password was changed.
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(done).toEqual(['password.changed']);
    expect(await argon2.verify((await services.accounts.require(accountId)).passwordHash, NEW_PASSWORD)).toBe(
      true,
    );
    const changes = (await services.accounts.events(accountId)).filter((e) => e.type === 'password.changed');
    expect(changes).toHaveLength(1);
    // The first try is refused (after 4.5 s): the notice is kept for a later try, not lost.
    await services.notices.idle();
    expect(gateway.requests).toHaveLength(1);
    gateway.heal();
    clock.advance(30_000);
    expect(await services.notices.drain()).toBe(1);
    expect(gateway.requests).toHaveLength(2);
    clock.advance(10 * 60_000);
    expect(await services.notices.drain()).toBe(0);
    // A retried last step (a redelivery with a new id) changes nothing more.
    expect(await say({ type: 'text', text: NEW_PASSWORD })).toEqual(['common.notUnderstood']);
    expect(
      (await services.accounts.events(accountId)).filter((e) => e.type === 'password.changed'),
    ).toHaveLength(1);
  }, 30_000);
});

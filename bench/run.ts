/**
 * `npm run bench`: figures for the README and the issue notes, never asserted in unit tests.
 * - engine turns on a real Redis (a private redis-server on a free port, or REDIS_URL): latency and throughput
 * - the size of a persisted session in the middle of change-password
 * - argon2id at the configured cost: time per hash and how the concurrency bound holds memory
 */
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { systemClock } from '../src/clock.ts';
import { OutboxDelivery } from '../src/delivery/outbox.ts';
import type { UserInput } from '../src/engine/input.ts';
import { RedisKv } from '../src/kv/redis-kv.ts';
import { silentLogger } from '../src/log.ts';
import { createEngine, createServices } from '../src/services.ts';
import { startRedisServer } from '../test/helpers/redis-server.ts';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);

async function benchEngine(url: string): Promise<void> {
  const redis = new Redis(url);
  const services = createServices({
    kv: new RedisKv(redis),
    delivery: new OutboxDelivery({ clock: systemClock }),
    clock: systemClock,
    log: silentLogger,
    secretKey: 'b'.repeat(32),
    prefix: 'bench:',
  });
  const engine = createEngine(services);
  const chats = 200;
  const turnsPerChat = 10;
  const created = await services.accounts.create({
    phone: '+8613800138099',
    email: 'bench@example.com',
    passwordHash: await services.hasher.hash('Bench-pass-123'),
    now: Date.now(),
  });
  if (!created.ok) throw new Error('could not create the bench account');
  for (let c = 0; c < chats; c += 1)
    await services.accounts.link(created.account.id, 'telegram', `u${c}`, Date.now());
  let seq = 0;
  const input = (c: number, action: UserInput['action']): UserInput => ({
    chat: { channel: 'telegram', chatId: `c${c}` },
    userId: `u${c}`,
    updateId: String(++seq),
    isPrivate: true,
    action,
  });
  // A turn mix without password hashing: start a flow, ask for help, pick "forgot", cancel, the menu.
  const script: UserInput['action'][] = [
    { type: 'command', command: 'password', args: '' },
    { type: 'command', command: 'help', args: '' },
    { type: 'choice', value: 'forgot' },
    { type: 'command', command: 'cancel', args: '' },
    { type: 'command', command: 'menu', args: '' },
  ];
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: chats }, async (_, c) => {
      for (let t = 0; t < turnsPerChat; t += 1) {
        const begin = performance.now();
        await engine.handle(input(c, script[t % script.length] as UserInput['action']));
        latencies.push(performance.now() - begin);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  console.log(`engine on Redis: ${chats} chats x ${turnsPerChat} turns, all chats concurrently`);
  console.log(
    `  ${fmt(latencies.length / elapsed, 0)} turns/s; latency p50 ${fmt(percentile(latencies, 50))} ms, p95 ${fmt(percentile(latencies, 95))} ms, p99 ${fmt(percentile(latencies, 99))} ms`,
  );

  // One chat alone: the cost of a turn without queueing behind 199 others.
  const alone: number[] = [];
  for (let t = 0; t < 200; t += 1) {
    const begin = performance.now();
    await engine.handle(input(chats, script[t % script.length] as UserInput['action']));
    alone.push(performance.now() - begin);
  }
  alone.sort((a, b) => a - b);
  console.log(
    `  one chat alone, 200 turns in a row: p50 ${fmt(percentile(alone, 50), 2)} ms, p95 ${fmt(percentile(alone, 95), 2)} ms`,
  );

  // The stored size of a chat in the middle of change-password (waiting for the current password).
  await engine.handle(input(0, { type: 'command', command: 'password', args: '' }));
  const raw = await redis.get(services.sessions.sessionKey({ channel: 'telegram', chatId: 'c0' }));
  console.log(`  session in change-password (askCurrent): ${raw?.length ?? 0} bytes of JSON in Redis`);
  await redis.quit();
}

async function benchHashing(): Promise<void> {
  for (const concurrency of [1, 2, 4]) {
    const run = spawnSync(`${process.cwd()}/node_modules/.bin/tsx`, ['bench/hash.ts', String(concurrency)], {
      encoding: 'utf8',
    });
    const r = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}');
    console.log(
      `argon2id (19 MiB, t=2, p=1), burst of ${r.burst}, at most ${concurrency} at once: ${fmt(r.msPerHash)} ms per hash on average, ${fmt(r.perSecond)} hashes/s, process RSS peak ${fmt(r.rssPeakMiB)} MiB`,
    );
  }
}

const server = process.env.REDIS_URL ? null : await startRedisServer();
const url = process.env.REDIS_URL ?? (server as { url: string }).url;
try {
  console.log(`lockstep benchmark, Node ${process.version}, ${new Date().toISOString()}`);
  await benchHashing();
  await benchEngine(url);
} finally {
  server?.stop();
}

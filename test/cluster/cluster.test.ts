/**
 * Redis Cluster (issue 14, item 4): a real cluster of three masters started by the test from `redis-server`,
 * every store on an ioredis `Cluster` built the way the process builds it (`createRedisClient` with
 * REDIS_CLUSTER_NODES), a whole swap-phone task through the real engine, flows and services, and the
 * sweeper taking idle expiries from every shard of the schedule, the shards spread over the masters.
 */
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { createEngine } from '../../src/composition/engine.ts';
import { parseConfig } from '../../src/config.ts';
import type { ChatRef, UserInput } from '../../src/core/conversation.ts';
import { Engine } from '../../src/engine/engine.ts';
import { RedisSessionFrame } from '../../src/engine/redis-session-frame.ts';
import type { Reply } from '../../src/engine/reply.ts';
import { decodeStored } from '../../src/engine/session-codec.ts';
import { EXPIRY_SHARDS, expiryShard, SessionStore } from '../../src/engine/session-store.ts';
import { createRedisClient } from '../../src/kv/redis-client.ts';
import { isCluster, RedisKv } from '../../src/kv/redis-kv.ts';
import { silentLogger } from '../../src/log.ts';
import { createServices } from '../../src/services.ts';
import { counterFlow } from '../helpers/counter-flow.ts';
import { RecordingDelivery } from '../helpers/fake-delivery.ts';
import { hasRedisServer } from '../helpers/redis-server.ts';
import { storedSessionJson } from '../helpers/stored.ts';
import { type RedisCluster, startRedisCluster } from './redis-cluster.ts';

const keys = (replies: readonly Reply[]) => replies.map((reply) => reply.key);

/** Every key under `prefix` on each master, by master port. */
async function keysByMaster(cluster: Cluster, prefix: string): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  for (const node of cluster.nodes('master')) {
    out.set(Number(node.options.port), await node.keys(`${prefix}*`));
  }
  return out;
}

describe.runIf(hasRedisServer())('on a Redis Cluster of three masters', () => {
  let server: RedisCluster;
  let cluster: Cluster;

  beforeAll(async () => {
    server = await startRedisCluster(3);
    const nodes = server.nodes.map((node) => `${node.host}:${node.port}`).join(',');
    // The same path as the process: the setting, parsed by the config schema, then the client factory.
    const parsed = parseConfig({ REDIS_CLUSTER_NODES: nodes });
    if (!parsed.ok) throw new Error(`REDIS_CLUSTER_NODES refused: ${JSON.stringify(parsed)}`);
    expect(parsed.config.redisClusterNodes).toEqual(server.nodes);
    const client = createRedisClient({
      clusterNodes: parsed.config.redisClusterNodes,
      options: { maxRetriesPerRequest: 3 },
    });
    if (!client || !isCluster(client)) throw new Error('createRedisClient did not give a Cluster');
    cluster = client;
    await cluster.ping();
  }, 60_000);

  afterAll(async () => {
    cluster?.disconnect();
    await server?.stop();
  });

  it('runs a whole swap-phone task through the engine, its keys spread over the masters', async () => {
    const prefix = 'cl1:';
    const delivery = new RecordingDelivery();
    const services = createServices({
      kv: new RedisKv(cluster),
      sessionFrame: new RedisSessionFrame(cluster),
      delivery,
      clock: systemClock,
      log: silentLogger,
      secretKey: 'c'.repeat(32),
      prefix,
      hashing: { memoryCost: 1024, timeCost: 1, parallelism: 1, concurrency: 1 },
    });
    const engine = createEngine(services);
    const phone = '+8613800138000';
    const newPhone = '+8613900139000';
    const created = await services.accounts.create({
      phone,
      email: 'alice@example.com',
      passwordHash: await services.hasher.hash('Sunflower-Lantern-42'),
      now: Date.now(),
    });
    if (!created.ok) throw new Error(created.reason);
    const accountId = created.account.id;
    expect((await services.accounts.link(accountId, 'telegram', '42', Date.now())).ok).toBe(true);

    const chat: ChatRef = { channel: 'telegram', chatId: '42' };
    let update = 0;
    const send = async (action: UserInput['action']) => {
      update += 1;
      const result = await engine.handle({
        chat,
        userId: '42',
        updateId: `c${update}`,
        isPrivate: true,
        action,
      });
      await services.notices.idle();
      return result.replies;
    };

    expect(keys(await send({ type: 'command', command: 'start', args: '' }))).toContain('common.menu');
    expect(keys(await send({ type: 'command', command: 'phone', args: '' }))).toEqual(['phone.intro']);
    expect(keys(await send({ type: 'choice', value: 'phone' }))).toEqual(['codes.sent', 'codes.askCode']);
    // A redelivered update is recognised (the dedupe ids live with the session, on the chat's slot).
    const replayed = await engine.handle({
      chat,
      userId: '42',
      updateId: `c${update}`,
      isPrivate: true,
      action: { type: 'choice', value: 'phone' },
    });
    expect(keys(replayed.replies)).toEqual([]);
    expect(keys(await send({ type: 'text', text: delivery.lastCodeTo(phone) }))).toEqual(['phone.askNew']);
    expect(keys(await send({ type: 'text', text: '+86 139-0013-9000' }))).toEqual([
      'phone.newCodeSent',
      'phone.askNewCode',
    ]);
    expect(keys(await send({ type: 'text', text: delivery.lastCodeTo(newPhone) }))).toEqual([
      'phone.changed',
    ]);

    expect((await services.accounts.get(accountId))?.phone).toBe(newPhone);
    expect(await services.accounts.findByPhone(phone)).toBeNull();
    expect((await services.accounts.findByPhone(newPhone))?.id).toBe(accountId);
    expect((await services.accounts.events(accountId))[0]?.type).toBe('phone.changed');
    const notices = delivery.sent.filter((m) => m.to === phone || m.to === 'alice@example.com');
    expect(notices.map((m) => m.channel)).toEqual(expect.arrayContaining(['sms', 'email']));
    // No session is left; the key keeps only the ids of the updates handled (a redelivery is still known).
    const left = await cluster.get(services.sessions.sessionKey(chat));
    expect(storedSessionJson(left)).toBeNull();
    expect(decodeStored(left ?? '').seen).toHaveLength(6);

    // The chat's keys share one slot, the account's keys another; the task's keys sit on several masters.
    const byMaster = await keysByMaster(cluster, prefix);
    expect([...byMaster.values()].filter((list) => list.length > 0).length).toBeGreaterThanOrEqual(2);
    const all = [...byMaster.values()].flat();
    const slots = (pattern: RegExp) =>
      new Set(
        // biome-ignore lint/suspicious/noExplicitAny: CLUSTER KEYSLOT is not typed on the client.
        all.filter((key) => pattern.test(key)).map((key) => (cluster as any).cluster('KEYSLOT', key)),
      );
    const chatSlots = await Promise.all(slots(/\{tg:42\}/));
    const accountSlots = await Promise.all(slots(new RegExp(`\\{acct:${accountId}\\}`)));
    expect(new Set(chatSlots).size).toBe(1);
    expect(new Set(accountSlots).size).toBe(1);
    expect(all.filter((key) => key.includes(`{acct:${accountId}}`)).length).toBeGreaterThanOrEqual(2);
  });

  it('schedules idle expiries over every shard on every master, and the sweeper takes them from each', async () => {
    const prefix = 'cl2:';
    let now = Date.now();
    const clock = { now: () => now };
    const pushed: ChatRef[] = [];
    const engine = new Engine({
      flows: [counterFlow({ delayMs: 1 })],
      sessions: new SessionStore(new RedisKv(cluster), prefix, new RedisSessionFrame(cluster)),
      identities: { accountIdFor: async () => null },
      clock,
      log: silentLogger,
      idleTimeoutMs: 60_000,
      push: async (to) => {
        pushed.push(to);
      },
    });
    // Chats until every shard holds some: the shard is a hash of the chat, so a few dozen are enough.
    const chats: ChatRef[] = [];
    const shards = new Set<number>();
    for (let id = 1; shards.size < EXPIRY_SHARDS || chats.length < 40; id += 1) {
      const ref: ChatRef = { channel: 'telegram', chatId: String(9_000 + id) };
      chats.push(ref);
      shards.add(expiryShard(JSON.stringify(ref)));
    }
    let update = 0;
    for (const ref of chats) {
      update += 1;
      const result = await engine.handle({
        chat: ref,
        userId: ref.chatId,
        updateId: `e${update}`,
        isPrivate: true,
        action: { type: 'command', command: 'count', args: '' },
      });
      expect(result.replies.length).toBeGreaterThan(0);
    }
    // Every shard key exists, and they are spread over all three masters.
    const byMaster = await keysByMaster(cluster, `${prefix}expiry`);
    const shardKeys = [...byMaster.values()].flat().sort();
    expect(shardKeys).toEqual(
      Array.from({ length: EXPIRY_SHARDS }, (_, shard) => `${prefix}expiry:${shard}`).sort(),
    );
    expect([...byMaster.values()].every((list) => list.length > 0)).toBe(true);

    expect(await engine.expireIdle(1_000)).toBe(0);
    now += 61_000;
    // A small limit per sweep: the sweeper goes round the shards over several calls.
    let expired = 0;
    for (let sweep = 0; sweep < 40 && expired < chats.length; sweep += 1)
      expired += await engine.expireIdle(7);
    expect(expired).toBe(chats.length);
    expect(new Set(pushed.map((ref) => ref.chatId))).toEqual(new Set(chats.map((ref) => ref.chatId)));
    const left = await Promise.all(shardKeys.map((key) => cluster.zcard(key)));
    expect(left.every((count) => count === 0)).toBe(true);
    expect(await engine.expireIdle(1_000)).toBe(0);
  });
});

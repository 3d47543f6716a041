/**
 * Every task on the real engine over a real Redis, for tests that attack it: the services on the test
 * Redis (a fresh key prefix, the real one-round-trip session frame), the support desk and its handoff
 * flow, a fixed manual clock, and SMS/email faked at the edge (a recording provider). Two more things
 * make hostile-input tests possible:
 *
 * - `save()` / `load()`: every key of the world as Redis holds it (DUMP with its TTL) and back, so one
 *   conversation state can be attacked again and again from the very same stored state;
 * - `explore()`: walks the real engine from each task's command through every choice and every good
 *   answer (the password, the latest code sent, the authenticator's code, a new phone or address),
 *   collecting each waiting state it reaches (task, step of the machine tree, question asked).
 *
 * @example
 * const w = await createHostileWorld(redis);
 * const states = await w.explore(w.chat('c1'), [{ type: 'command', command: 'password', args: '' }]);
 */
import type { Redis } from 'ioredis';
import { OWASP_MINIMUM } from '../../src/accounts/password-hasher.ts';
import { ManualClock } from '../../src/clock.ts';
import { createEngine } from '../../src/composition/engine.ts';
import type { ChatRef, InputAction } from '../../src/core/conversation.ts';
import type { Reply } from '../../src/core/reply.ts';
import type { Engine } from '../../src/engine/engine.ts';
import { RedisSessionFrame } from '../../src/engine/redis-session-frame.ts';
import type { Session } from '../../src/engine/session-store.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import { type Logger, silentLogger } from '../../src/log.ts';
import { createServices, type Services } from '../../src/services.ts';
import { createSupport, type Support } from '../../src/support/index.ts';
import { TotpService } from '../../src/twofa/totp.ts';
import { RecordingDelivery } from './fake-delivery.ts';
import { deleteByPrefix, uniquePrefix } from './redis.ts';
import { plainStored } from './stored.ts';

export const SECRET_KEY = 'hostile-input-tests-secret-key-0123456789';
export const PASSWORD = 'Sunflower-Lantern-42';
export const NEW_PASSWORD = 'Quiet-Harbor-Lamp-93';
export const PHONE = '+8613800138000';
export const NEW_PHONE = '+4915112345678';
export const EMAIL = 'alice@example.com';
export const NEW_EMAIL = 'alice.new@example.org';

/** Every key of a world: its value as DUMP gives it, and its time to live (0: none). */
export type Saved = ReadonlyArray<{ readonly key: string; readonly ttl: number; readonly dump: Buffer }>;

/** What a path through the flows has learnt on the way (shown keys and codes), for later answers. */
export interface Knowledge {
  readonly totpSecret?: string;
  readonly recoveryCodes?: readonly string[];
  /** The latest one-time code sent on this path. */
  readonly lastCode?: string;
  /** The token of the latest email link sent on this path (with `publicUrl`). */
  readonly lastToken?: string;
}

/** One waiting state the explorer reached, with the stored world to come back to it. */
export interface WaitingState {
  /** `task | step > child step | question key`; unique per start, not across starts. */
  readonly id: string;
  readonly flowId: string;
  readonly prompt: Reply | null;
  readonly saved: Saved;
  readonly know: Knowledge;
  /** The inputs that led here, for failure messages (secrets shown as their field). */
  readonly path: readonly string[];
}

export interface Driver {
  readonly ref: ChatRef;
  readonly userId: string;
  send(action: InputAction): Promise<Reply[]>;
  /** The chat's session as stored now (null: none). */
  session(): Promise<Session | null>;
}

export interface HostileWorld {
  readonly redis: Redis;
  readonly prefix: string;
  readonly clock: ManualClock;
  readonly delivery: RecordingDelivery;
  readonly services: Services;
  readonly support: Support;
  readonly engine: Engine;
  readonly accountId: string;
  /** Replies pushed out of turn (expiry notices, a resolved escalation). */
  readonly pushed: Reply[][];
  /** Every text typed and every command argument sent in any chat of this world, in order. */
  readonly typed: string[];
  chat(chatId: string, userId?: string): Driver;
  /** Links a chat identity to the account, as `/link` or an operator does. */
  link(userId: string): Promise<void>;
  /** Turns 2FA on through `/2fa` in a chat of its own; returns the key and the recovery codes. */
  turnOnTwoFactor(userId: string): Promise<{ secret: string; codes: string[] }>;
  /** A handoff code for `flowId`, as an agent makes one. */
  handoffCode(flowId: string): Promise<string>;
  save(): Promise<Saved>;
  load(saved: Saved): Promise<void>;
  /**
   * What is stored now, comparable between two moments: every key with its value, except the chat
   * bookkeeping that every message updates (the dedupe ids, the lock, a session's transcript and time).
   */
  state(): Promise<Map<string, string>>;
  /** Every waiting state reachable from `starts` in `driver`'s chat with good answers and every choice. */
  explore(driver: Driver, starts: readonly InputAction[], options?: ExploreOptions): Promise<WaitingState[]>;
  close(): Promise<void>;
}

export interface ExploreOptions {
  /** Stop after this many states per start. Default 40. */
  readonly maxStates?: number;
  /** The longest path. Default 14 inputs. */
  readonly maxDepth?: number;
  /** What the path knows at the start (a 2FA key turned on before). */
  readonly know?: Knowledge;
  /** The answer to a `link.field` question (the account's phone). */
  readonly linkAnswer?: string;
}

/** The base32 key shown for an authenticator (the spaces between groups removed). */
function shownSecret(replies: readonly Reply[]): string | undefined {
  const scan = replies.find((reply) => reply.key === 'twofa.scan');
  const key = scan?.params?.key;
  return key === undefined ? undefined : String(key).replaceAll(' ', '');
}

function shownRecoveryCodes(replies: readonly Reply[]): string[] | undefined {
  const shown = replies.find(
    (reply) => reply.key === 'twofa.recoveryCodes' || reply.key === 'twofa.newCodes',
  );
  const codes = shown?.params?.codes;
  return codes === undefined
    ? undefined
    : String(codes)
        .split('\n')
        .filter((line) => line !== '');
}

export async function createHostileWorld(
  redis: Redis,
  options: {
    readonly twoFactor?: boolean;
    readonly log?: Logger;
    /** Seeds this many signed-in sessions (devices). Default 2. */
    readonly signedInSessions?: number;
    /** Where `/verify-email` is served: emails then hold a link with a token. */
    readonly publicUrl?: string;
  } = {},
): Promise<HostileWorld> {
  const prefix = uniquePrefix();
  const clock = new ManualClock();
  const delivery = new RecordingDelivery();
  const log = options.log ?? silentLogger;
  const pushed: Reply[][] = [];
  const services = createServices({
    kv: new RedisKv(redis),
    delivery,
    clock,
    log,
    secretKey: SECRET_KEY,
    prefix,
    sessionFrame: new RedisSessionFrame(redis),
    hashing: { ...OWASP_MINIMUM, concurrency: 2 },
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
  });
  const support = createSupport({ services, config: { contact: 'help@example.com' } });
  const engine = createEngine(
    services,
    {
      push: async (_chat, replies) => {
        pushed.push([...replies]);
      },
    },
    [support.flow],
    support.engineOptions,
  );
  support.attach(engine);

  const created = await services.accounts.create({
    phone: PHONE,
    email: EMAIL,
    passwordHash: await services.hasher.hash(PASSWORD),
    now: clock.now(),
  });
  if (!created.ok) throw new Error(`could not seed the account: ${created.reason}`);
  const accountId = created.account.id;
  await services.accounts.update(accountId, (account) => ({
    ...account,
    sessions: Array.from({ length: options.signedInSessions ?? 2 }, (_, i) => ({
      id: `sess_${i + 1}`,
      device: i === 0 ? 'web' : 'phone app',
      createdAt: clock.now(),
      lastSeenAt: clock.now(),
    })),
  }));

  let updates = 0;
  const typed: string[] = [];
  const chat = (chatId: string, userId = chatId): Driver => {
    const ref: ChatRef = { channel: 'console', chatId };
    return {
      ref,
      userId,
      async send(action) {
        updates += 1;
        if (action.type === 'text') typed.push(action.text);
        if (action.type === 'command' && action.args !== '') typed.push(action.args);
        const result = await engine.handle({
          chat: ref,
          userId,
          updateId: `${prefix}${updates}`,
          isPrivate: true,
          action,
        });
        await services.notices.idle();
        return [...result.replies];
      },
      async session() {
        return (await services.sessions.load(ref))?.session ?? null;
      },
    };
  };

  const keysNow = async (): Promise<string[]> => {
    const found: string[] = [];
    const stream = redis.scanStream({ match: `${prefix}*`, count: 500 });
    for await (const batch of stream as AsyncIterable<string[]>) found.push(...batch);
    return found.sort();
  };

  const save = async (): Promise<Saved> => {
    const keys = await keysNow();
    const pipeline = redis.pipeline();
    for (const key of keys) {
      pipeline.pttl(key);
      pipeline.dumpBuffer(key);
    }
    const results = (await pipeline.exec()) ?? [];
    const saved: Array<{ key: string; ttl: number; dump: Buffer }> = [];
    keys.forEach((key, i) => {
      const ttl = results[2 * i]?.[1] as number;
      const dump = results[2 * i + 1]?.[1] as Buffer | null;
      if (dump && ttl !== -2) saved.push({ key, ttl: Math.max(ttl, 0), dump });
    });
    return saved;
  };

  const load = async (saved: Saved): Promise<void> => {
    const keys = await keysNow();
    const pipeline = redis.pipeline();
    if (keys.length > 0) pipeline.unlink(...keys);
    for (const { key, ttl, dump } of saved) pipeline.restore(key, ttl, dump, 'REPLACE');
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  };

  const state = async (): Promise<Map<string, string>> => {
    const keys = (await keysNow()).filter((key) => !key.endsWith(':seen') && !key.endsWith(':lock'));
    const types = await Promise.all(keys.map((key) => redis.type(key)));
    const values = new Map<string, string>();
    for (const [i, key] of keys.entries()) {
      const type = types[i];
      let value: unknown;
      if (type === 'string') {
        const text = (await redis.get(key)) ?? '';
        if (key.endsWith(':session')) {
          // The update ids the session carries change with every update, as the ids' own key did.
          const session = JSON.parse(plainStored(text)) as Session | null;
          if (session === null) continue;
          const { transcript: _t, lastActiveAt: _l, ...rest } = session;
          value = rest;
        } else {
          value = text;
        }
      } else if (type === 'list') value = await redis.lrange(key, 0, -1);
      else if (type === 'zset') value = await redis.zrange(key, 0, -1, 'WITHSCORES');
      else if (type === 'hash') value = Object.entries(await redis.hgetall(key)).sort();
      else if (type === 'set') value = (await redis.smembers(key)).sort();
      else value = `<${type}>`;
      values.set(key, typeof value === 'string' ? value : JSON.stringify(value));
    }
    return values;
  };

  const tokenIn = (from: number): string | undefined => {
    for (const message of delivery.sent.slice(from).reverse()) {
      const hit = message.text.match(/[?&]token=([A-Za-z0-9_-]+)/);
      if (hit?.[1]) return hit[1];
    }
    return undefined;
  };

  const codeIn = (from: number): string | undefined => {
    for (const message of delivery.sent.slice(from).reverse()) {
      const hit = message.text.match(/(?<!\d)(\d{6})(?!\d)/);
      if (hit?.[1]) return hit[1];
    }
    return undefined;
  };

  /** The good answers to a typed question, from what the path knows. */
  const answersFor = async (prompt: Reply, know: Knowledge, linkAnswer: string): Promise<string[]> => {
    switch (prompt.field?.label) {
      case 'field.password':
        return [PASSWORD];
      case 'field.newPassword':
        return [NEW_PASSWORD];
      // A code sent by SMS or email, or (setting 2FA up) the authenticator's.
      case 'field.code':
      case 'field.appCode': {
        const answers: string[] = [];
        if (prompt.field.label === 'field.code' && know.lastCode) answers.push(know.lastCode);
        if (know.totpSecret)
          answers.push(await new TotpService({ clock, issuer: 'lockstep' }).currentCode(know.totpSecret));
        if (prompt.field.label === 'field.appCode' && know.recoveryCodes?.[0])
          answers.push(know.recoveryCodes[0]);
        return answers;
      }
      case 'field.phone':
        return [NEW_PHONE];
      case 'field.email':
        return [NEW_EMAIL];
      case 'link.field':
        return [linkAnswer];
      default:
        return [];
    }
  };

  const explore: HostileWorld['explore'] = async (driver, starts, exploreOptions = {}) => {
    const maxStates = exploreOptions.maxStates ?? 40;
    const maxDepth = exploreOptions.maxDepth ?? 14;
    const linkAnswer = exploreOptions.linkAnswer ?? PHONE;
    const base = await save();
    const found: WaitingState[] = [];
    for (const start of starts) {
      // Per start: the same step reached from another start runs in another context (a handoff, a checkup).
      const seen = new Set<string>();
      const queue: Array<{ from: WaitingState | null; action: InputAction; label: string }> = [
        { from: null, action: start, label: describeInput(start) },
      ];
      let reached = 0;
      while (queue.length > 0 && reached < maxStates) {
        const next = queue.shift();
        if (!next) break;
        const { from } = next;
        await load(from ? from.saved : base);
        const sentBefore = delivery.sent.length;
        const replies = await driver.send(next.action);
        const session = await driver.session();
        const active = session?.flow;
        if (!session || !active) continue;
        const prompt = session.prompt;
        const id = `${active.id} | ${engine.stepOf(active) ?? '?'} | ${prompt?.key ?? 'none'}`;
        if (seen.has(id)) continue;
        seen.add(id);
        const know: Knowledge = {
          ...(exploreOptions.know ?? {}),
          ...(from?.know ?? {}),
          ...(shownSecret(replies) ? { totpSecret: shownSecret(replies) } : {}),
          ...(shownRecoveryCodes(replies) ? { recoveryCodes: shownRecoveryCodes(replies) } : {}),
          ...(codeIn(sentBefore) ? { lastCode: codeIn(sentBefore) } : {}),
          ...(tokenIn(sentBefore) ? { lastToken: tokenIn(sentBefore) } : {}),
        };
        const path = [...(from?.path ?? []), next.label];
        const node: WaitingState = { id, flowId: active.id, prompt, saved: await save(), know, path };
        found.push(node);
        reached += 1;
        if (path.length >= maxDepth || !prompt) continue;
        for (const choice of prompt.choices ?? []) {
          queue.push({
            from: node,
            action: { type: 'choice', value: choice.value },
            label: `choice:${choice.value}`,
          });
        }
        if (prompt.input === 'text' || prompt.input === 'secret') {
          for (const answer of await answersFor(prompt, know, linkAnswer)) {
            queue.push({
              from: node,
              action: { type: 'text', text: answer },
              label: `text:<${prompt.field?.label ?? 'text'}>`,
            });
          }
        }
      }
    }
    await load(base);
    return found;
  };

  const link = async (userId: string): Promise<void> => {
    const linked = await services.accounts.link(accountId, 'console', userId, clock.now());
    if (!linked.ok) throw new Error(`could not link ${userId}: ${linked.reason}`);
  };

  return {
    redis,
    prefix,
    clock,
    delivery,
    services,
    support,
    engine,
    accountId,
    pushed,
    typed,
    chat,
    link,
    async turnOnTwoFactor(userId) {
      const driver = chat(`setup-${userId}`, userId);
      await driver.send({ type: 'command', command: '2fa', args: '' });
      const secret = shownSecret(await driver.send({ type: 'text', text: PASSWORD }));
      if (!secret) throw new Error('/2fa showed no key');
      const code = await new TotpService({ clock, issuer: 'lockstep' }).currentCode(secret);
      const codes = shownRecoveryCodes(await driver.send({ type: 'text', text: code }));
      if (!codes) throw new Error('/2fa showed no recovery codes');
      const done = await driver.send({ type: 'choice', value: 'saved' });
      if (done.map((reply) => reply.key).join() !== 'twofa.enabledDone')
        throw new Error(`/2fa did not finish: ${done.map((reply) => reply.key).join(', ')}`);
      // The set-up code is used; the next time step gives a fresh one.
      clock.advance(30_000);
      return { secret, codes };
    },
    async handoffCode(flowId) {
      const made = await support.service.createHandoff({ kind: 'admin' }, { account: PHONE, flow: flowId });
      if (!made.ok) throw new Error(`could not make a handoff: ${made.reason}`);
      return made.code;
    },
    save,
    load,
    state,
    explore,
    async close() {
      support.close();
      await services.notices.idle();
      await deleteByPrefix(redis, prefix);
    },
  };
}

/** An input as a short label (never a typed secret: those are labelled by their field). */
export function describeInput(action: InputAction): string {
  if (action.type === 'command')
    return `/${action.command}${action.args ? ` ${action.args.slice(0, 20)}` : ''}`;
  if (action.type === 'choice') return `choice:${action.value.slice(0, 40)}`;
  return `text(${action.text.length})`;
}

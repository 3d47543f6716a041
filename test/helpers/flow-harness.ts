/**
 * Drives flows the way users do: real services on an in-memory store with a manual clock, the real
 * `Engine` from `createEngine`, and `UserInput` objects. The engine persists every settled snapshot as
 * JSON in the store and restores it for the next message, so every step is a snapshot round trip.
 *
 * @example
 * const h = await createFlowHarness();
 * const chat = h.chat();
 * expect(keys(await chat.command('password'))).toEqual(['password.askCurrent']);
 */
import type { FlowDefinition } from '../../flows/ports.ts';
import type { Account, SignedInSession } from '../../src/accounts/account.ts';
import { ManualClock } from '../../src/clock.ts';
import { createEngine } from '../../src/composition/engine.ts';
import type { Engine } from '../../src/engine/engine.ts';
import type { ChatRef, InputAction } from '../../src/engine/input.ts';
import type { Reply } from '../../src/engine/reply.ts';
import { MemoryKv } from '../../src/kv/memory-kv.ts';
import { silentLogger } from '../../src/log.ts';
import { createServices, type SecondFactorChecker, type Services } from '../../src/services.ts';
import { RecordingKv } from './backends.ts';
import { RecordingDelivery } from './fake-delivery.ts';
import { storedSessionJson } from './stored.ts';

export const SECRET_KEY = 'x'.repeat(32);
export const DEFAULT_PASSWORD = 'Sunflower-Lantern-42';
export const DEFAULT_PHONE = '+8613800138000';
export const DEFAULT_EMAIL = 'alice@example.com';

export interface HarnessOptions {
  readonly password?: string;
  readonly phone?: string;
  /** `null`: the account has no email. */
  readonly email?: string | null;
  /** How many signed-in sessions (devices) to seed. Default 2. */
  readonly signedInSessions?: number;
  /** Seeds the account with two-step verification turned on. */
  readonly twoFactor?: boolean;
  /** Replaces the process's second-factor checker (a fake for flow tests). */
  readonly secondFactor?: SecondFactorChecker;
  /** The chat identity linked to the account. Default console/u1. */
  readonly linkedUserId?: string;
  /** More flows for the engine besides every task (a test's own flow), bound to the services. */
  readonly extraFlows?: (services: Services) => FlowDefinition[];
}

/** Reply keys, in order. */
export function keys(replies: readonly Reply[]): string[] {
  return replies.map((reply) => reply.key);
}

export interface ChatDriver {
  readonly ref: ChatRef;
  /** `/name args` */
  command(name: string, args?: string): Promise<Reply[]>;
  text(text: string): Promise<Reply[]>;
  choose(value: string): Promise<Reply[]>;
  send(action: InputAction): Promise<Reply[]>;
  /** The raw session JSON stored for this chat right now (null: none). */
  storedSession(): Promise<string | null>;
}

export interface FlowHarness {
  readonly clock: ManualClock;
  /** The store, recording every write ever made. */
  readonly kv: RecordingKv;
  readonly delivery: RecordingDelivery;
  readonly services: Services;
  readonly engine: Engine;
  readonly accountId: string;
  readonly password: string;
  readonly phone: string;
  readonly email: string | null;
  /** Every text typed into any chat of this harness, in order. */
  readonly typed: string[];
  /** A chat of the linked user (or another user id) driven through `engine` (or another engine). */
  chat(chatId?: string, options?: { userId?: string; engine?: Engine }): ChatDriver;
  /** Another process: fresh services and engine on the same store, clock and providers. */
  anotherProcess(): { services: Services; engine: Engine };
  /** The account as stored now. */
  account(): Promise<Account>;
}

export async function createFlowHarness(options: HarnessOptions = {}): Promise<FlowHarness> {
  const clock = new ManualClock();
  const kv = new RecordingKv(new MemoryKv(clock));
  const delivery = new RecordingDelivery();
  const outboxes: Services['notices'][] = [];
  const build = (): { services: Services; engine: Engine } => {
    const base = createServices({ kv, delivery, clock, log: silentLogger, secretKey: SECRET_KEY });
    const services: Services = options.secondFactor ? { ...base, secondFactor: options.secondFactor } : base;
    outboxes.push(services.notices);
    return { services, engine: createEngine(services, {}, options.extraFlows?.(services) ?? []) };
  };
  const { services, engine } = build();

  const password = options.password ?? DEFAULT_PASSWORD;
  const phone = options.phone ?? DEFAULT_PHONE;
  const email = options.email === undefined ? DEFAULT_EMAIL : options.email;
  const created = await services.accounts.create({
    phone,
    email,
    passwordHash: await services.hasher.hash(password),
    now: clock.now(),
  });
  if (!created.ok) throw new Error(`could not seed the account: ${created.reason}`);
  const accountId = created.account.id;
  const signedIn: SignedInSession[] = Array.from({ length: options.signedInSessions ?? 2 }, (_, i) => ({
    id: `sess_${i + 1}`,
    device: i === 0 ? 'web' : 'phone app',
    createdAt: clock.now(),
    lastSeenAt: clock.now(),
  }));
  await services.accounts.update(accountId, (account) => ({
    ...account,
    sessions: signedIn,
    twoFactor: options.twoFactor
      ? { ...account.twoFactor, enabled: true, secretEnc: 'v1:fake:fake:fake', enabledAt: clock.now() }
      : account.twoFactor,
  }));
  const linked = await services.accounts.link(
    accountId,
    'console',
    options.linkedUserId ?? 'u1',
    clock.now(),
  );
  if (!linked.ok) throw new Error(`could not link the account: ${linked.reason}`);

  const typed: string[] = [];
  let updates = 0;

  const chat = (chatId = 'c1', chatOptions: { userId?: string; engine?: Engine } = {}): ChatDriver => {
    const ref: ChatRef = { channel: 'console', chatId };
    const userId = chatOptions.userId ?? options.linkedUserId ?? 'u1';
    const via = chatOptions.engine ?? engine;
    const send = async (action: InputAction): Promise<Reply[]> => {
      if (action.type === 'text') typed.push(action.text);
      updates += 1;
      const result = await via.handle({
        chat: ref,
        userId,
        updateId: `u${updates}`,
        isPrivate: true,
        action,
      });
      // Notices go out after the change, in the background: a test reads them once they are sent.
      await Promise.all(outboxes.map((outbox) => outbox.idle()));
      return [...result.replies];
    };
    return {
      ref,
      send,
      command: (name, args = '') => send({ type: 'command', command: name, args }),
      text: (text) => send({ type: 'text', text }),
      choose: (value) => send({ type: 'choice', value }),
      storedSession: async () => storedSessionJson(await kv.get(services.sessions.sessionKey(ref))),
    };
  };

  return {
    clock,
    kv,
    delivery,
    services,
    engine,
    accountId,
    password,
    phone,
    email,
    typed,
    chat,
    anotherProcess: build,
    account: async () => {
      const account = await services.accounts.get(accountId);
      if (!account) throw new Error('the seeded account is gone');
      return account;
    },
  };
}

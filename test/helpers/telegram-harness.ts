/**
 * Builds the real Telegram adapter (`createTelegramBot`) around a real `Engine` on in-memory stores, wired
 * to a `FakeTelegramApi`. The change-password flow runs with in-test fakes bound through `.provide()`,
 * the same way the composition root binds the real services.
 */
import { createHash } from 'node:crypto';
import { emit, fromPromise, setup } from 'xstate';
import { createTelegramBot, type TelegramBot, type TelegramBotOptions } from '../../adapters/telegram/bot.ts';
import {
  type CommitPasswordResult,
  changePasswordFlow,
  changePasswordMachine,
  type NewPasswordCheck,
} from '../../flows/change-password.ts';
import type {
  AccountSummary,
  Channel,
  CheckCodeResult,
  CheckPasswordResult,
  CodeVia,
  FlowDefinition,
  FlowEvent,
  FlowInput,
  FlowOutput,
  ReplyEvent,
  SecondFactorResult,
  SendCodeResult,
} from '../../flows/ports.ts';
import { type ProofRecord, proveIdentityMachine } from '../../flows/steps/prove-identity.ts';
import { ManualClock } from '../../src/clock.ts';
import { Engine, type IdentityResolver } from '../../src/engine/engine.ts';
import type { ChatRef } from '../../src/engine/input.ts';
import { type Frame, SessionStore } from '../../src/engine/session-store.ts';
import { MemoryKv } from '../../src/kv/memory-kv.ts';
import type { Logger } from '../../src/log.ts';
import { type FakePerson, FakeTelegramApi } from './telegram-api.ts';

/** A 1x1 PNG. */
export const TINY_PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

/** The TOTP key the picture flow shows (a well-known example key). */
export const PICTURE_KEY = 'JBSW Y3DP EHPK 3PXP';

export const CURRENT_PASSWORD = 'Current-pass-1';
export const EMAILED_CODE = '123456';

export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: object;
  readonly msg: string;
}

/** The one account of the tests, behind fake effects. */
export class FakeAccount {
  readonly id = 'acc_1';
  passwordHash = fakeHash(CURRENT_PASSWORD);
  commits = 0;
  /** When set, checking the current password waits for it (a slow step). */
  gate: Promise<void> | null = null;
  /** Resolves when a current-password check has started. */
  checkStarted: Promise<void> = Promise.resolve();
  private markStarted: () => void = () => {};

  armGate(): { release: () => void } {
    let release: () => void = () => {};
    this.gate = new Promise((resolve) => {
      release = resolve;
    });
    this.checkStarted = new Promise((resolve) => {
      this.markStarted = resolve;
    });
    return { release };
  }

  started(): void {
    this.markStarted();
  }
}

function fakeHash(password: string): string {
  return `fake:${createHash('sha256').update(password).digest('hex')}`;
}

/** The change-password flow with its effects (and those of its proof step) bound to `account`. */
export function changePasswordWithFakes(account: FakeAccount): FlowDefinition {
  /** New password hashes waiting for their repeat, per task (the server keeps them, not the session). */
  const pending = new Map<string, string>();
  const proveIdentity = proveIdentityMachine.provide({
    actors: {
      loadAccount: fromPromise<AccountSummary, { accountId: string }>(async () => ({
        phoneMasked: '+86 138 •••• 8000',
        emailMasked: 'd•••@example.com',
        twoFactor: false,
        passwordLockedMs: 0,
      })),
      checkPassword: fromPromise<
        CheckPasswordResult,
        { accountId: string; password: string; channel: Channel }
      >(async ({ input }) => {
        account.started();
        if (account.gate) await account.gate;
        return fakeHash(input.password) === account.passwordHash
          ? { ok: true }
          : { ok: false, reason: 'wrong', remaining: 4 };
      }),
      sendCode: fromPromise<SendCodeResult, { accountId: string; purpose: string; via: CodeVia }>(
        async ({ input }) => ({
          ok: true,
          to: input.via === 'email' ? 'd•••@example.com' : '+86 138 •••• 8000',
        }),
      ),
      checkCode: fromPromise<
        CheckCodeResult,
        { accountId: string; purpose: string; via: CodeVia; code: string }
      >(async ({ input }) =>
        input.code === EMAILED_CODE ? { ok: true } : { ok: false, reason: 'wrong', remaining: 4 },
      ),
      checkSecondFactor: fromPromise<
        SecondFactorResult,
        { accountId: string; code: string; channel: Channel }
      >(async () => ({ ok: false, reason: 'format' })),
      recordProof: fromPromise<void, ProofRecord>(async () => {}),
    },
  });
  const machine = changePasswordMachine.provide({
    actors: {
      proveIdentity,
      checkNewPassword: fromPromise<
        NewPasswordCheck,
        { accountId: string; taskId: string; password: string }
      >(async ({ input }) => {
        if (input.password.length < 8) return { ok: false, reason: 'tooShort' };
        pending.set(input.taskId, fakeHash(input.password));
        return { ok: true };
      }),
      confirmNewPassword: fromPromise<boolean, { accountId: string; taskId: string; password: string }>(
        async ({ input }) => fakeHash(input.password) === pending.get(input.taskId),
      ),
      commitPassword: fromPromise<
        CommitPasswordResult,
        { accountId: string; taskId: string; channel: Channel }
      >(async ({ input }) => {
        const hash = pending.get(input.taskId);
        if (hash === undefined) return { ok: false, reason: 'noPending' };
        account.passwordHash = hash;
        account.commits += 1;
        pending.delete(input.taskId);
        return { ok: true, signedOut: 2 };
      }),
    },
  });
  return { ...changePasswordFlow, machine };
}

/**
 * A tiny flow that shows a secret picture (like the 2FA QR code) and ends: exercises `image` + `sensitive`
 * without depending on the 2FA flow, which is written elsewhere.
 */
export const showPictureFlow: FlowDefinition = {
  id: 'show-picture',
  version: 1,
  command: 'picture',
  title: 'twofa.askCode',
  audience: 'any',
  privateOnly: true,
  machine: setup({
    types: {
      input: {} as FlowInput,
      events: {} as FlowEvent,
      emitted: {} as ReplyEvent,
      output: {} as FlowOutput,
    },
  }).createMachine({
    id: 'show-picture',
    initial: 'show',
    output: () => ({}),
    states: {
      show: {
        entry: emit({
          type: 'reply',
          key: 'twofa.scan',
          params: { key: PICTURE_KEY },
          sensitive: true,
          image: {
            mime: 'image/png',
            base64: TINY_PNG_BASE64,
            text: 'otpauth://totp/lockstep:acc_1?secret=JBSWY3DPEHPK3PXP',
            alt: 'twofa.qrAlt',
          },
        } as const),
        always: 'done',
      },
      done: { type: 'final' },
    },
  }),
};

/** A session store whose next load (the frame's begin) fails, like Redis going away for a moment. */
export class FlakySessionStore extends SessionStore {
  failNextLoad = false;

  override async begin(
    chat: ChatRef,
    lockTtlMs: number,
    waitMs: number,
    also?: readonly string[],
  ): Promise<Frame | null> {
    if (this.failNextLoad) {
      this.failNextLoad = false;
      throw new Error('connection lost');
    }
    return super.begin(chat, lockTtlMs, waitMs, also);
  }
}

export interface Harness {
  readonly api: FakeTelegramApi;
  readonly telegram: TelegramBot;
  readonly engine: Engine;
  readonly sessions: FlakySessionStore;
  readonly account: FakeAccount;
  readonly logs: LogEntry[];
  /** Linked to the account. */
  readonly alice: FakePerson;
  /** Not linked to anything. */
  readonly bob: FakePerson;
  /** Stops the bot, then closes the stand-in. */
  close(): Promise<void>;
}

/** The bot's username at the stand-in. */
export const BOT_USERNAME = 'lockstep_test_bot';

/** Builds everything; the bot is not started (call `telegram.start()` or mount its webhook). */
export async function createHarness(
  options: { readonly bot?: Partial<Omit<TelegramBotOptions, 'engine' | 'log' | 'token'>> } = {},
): Promise<Harness> {
  const api = await FakeTelegramApi.start({ botUsername: BOT_USERNAME });
  const logs: LogEntry[] = [];
  const capture =
    (level: LogEntry['level']) =>
    (obj: object, msg: string): void => {
      logs.push({ level, obj, msg });
    };
  const log: Logger = {
    debug: capture('debug'),
    info: capture('info'),
    warn: capture('warn'),
    error: capture('error'),
  };
  const account = new FakeAccount();
  const alice = api.person(1001, 'Alice');
  const bob = api.person(1002, 'Bob');
  const links = new Map([[String(alice.user.id), account.id]]);
  const identities: IdentityResolver = {
    async accountIdFor(channel, userId) {
      return channel === 'telegram' ? (links.get(userId) ?? null) : null;
    },
  };
  const clock = new ManualClock();
  const sessions = new FlakySessionStore(new MemoryKv(clock));
  const engine = new Engine({
    flows: [changePasswordWithFakes(account), showPictureFlow],
    sessions,
    identities,
    clock,
    log,
  });
  const telegram = createTelegramBot({
    token: api.token,
    engine,
    log,
    apiRoot: api.url,
    pollTimeoutSeconds: 1,
    retry: { maxRetryAttempts: 2, maxDelaySeconds: 2 },
    ...options.bot,
  });
  engine.setPushSender(telegram.pushSender);
  return {
    api,
    telegram,
    engine,
    sessions,
    account,
    logs,
    alice,
    bob,
    async close() {
      await telegram.stop();
      await api.close();
    },
  };
}

import type { FlowDefinition, SecondFactorResult } from '../flows/ports.ts';
import { AccountStore } from './accounts/account-store.ts';
import { PasswordHasher } from './accounts/password-hasher.ts';
import { PasswordService } from './accounts/password-service.ts';
import { bindChangePassword } from './bindings/change-password.ts';
import type { Clock } from './clock.ts';
import { CodeService } from './codes/code-service.ts';
import type { Delivery } from './delivery/delivery.ts';
import { Engine } from './engine/engine.ts';
import type { Channel } from './engine/input.ts';
import { SessionStore } from './engine/session-store.ts';
import type { Kv } from './kv/kv.ts';
import type { Logger } from './log.ts';

/** Checks a second factor (TOTP or recovery code) for accounts that have two-step verification. */
export interface SecondFactorChecker {
  check(accountId: string, code: string, channel: Channel): Promise<SecondFactorResult>;
}

export interface ServiceOptions {
  readonly kv: Kv;
  readonly delivery: Delivery;
  readonly clock: Clock;
  readonly log: Logger;
  readonly secretKey: string;
  readonly prefix?: string;
  readonly flowIdleMs?: number;
  readonly hashing?: { memoryCost: number; timeCost: number; parallelism: number; concurrency: number };
  readonly totpIssuer?: string;
  readonly publicUrl?: string;
}

/** Everything below the adapters, wired together; built once per process by the composition root. */
export interface Services {
  readonly options: ServiceOptions;
  readonly kv: Kv;
  readonly clock: Clock;
  readonly log: Logger;
  readonly delivery: Delivery;
  readonly accounts: AccountStore;
  readonly sessions: SessionStore;
  readonly hasher: PasswordHasher;
  readonly codes: CodeService;
  readonly passwords: PasswordService;
  readonly secondFactor: SecondFactorChecker;
}

/** Refuses every code: used until two-step verification is configured for the process. */
const noSecondFactor: SecondFactorChecker = {
  async check() {
    return { ok: false, reason: 'format' };
  },
};

export function createServices(options: ServiceOptions): Services {
  const prefix = options.prefix ?? 'ls:';
  const { kv, clock, log, delivery } = options;
  const accounts = new AccountStore(kv, prefix);
  const hashing = options.hashing;
  const hasher = new PasswordHasher(
    hashing
      ? { memoryCost: hashing.memoryCost, timeCost: hashing.timeCost, parallelism: hashing.parallelism }
      : undefined,
    hashing?.concurrency ?? 2,
  );
  const codes = new CodeService({ kv, delivery, clock, secretKey: options.secretKey, log, prefix });
  const passwords = new PasswordService({ accounts, hasher, codes, delivery, kv, clock, log, prefix });
  return {
    options,
    kv,
    clock,
    log,
    delivery,
    accounts,
    sessions: new SessionStore(kv, prefix),
    hasher,
    codes,
    passwords,
    secondFactor: noSecondFactor,
  };
}

/** Every guided task, bound to the services. The order is the menu's order. */
export function createFlows(services: Services): FlowDefinition[] {
  return [bindChangePassword(services)];
}

/** The engine over the services, with every flow. */
export function createEngine(services: Services): Engine {
  return new Engine({
    flows: createFlows(services),
    sessions: services.sessions,
    identities: {
      accountIdFor: async (channel, userId) =>
        (await services.accounts.findByLink(channel, userId))?.id ?? null,
    },
    clock: services.clock,
    log: services.log,
    idleTimeoutMs: services.options.flowIdleMs,
  });
}

import type { FlowDefinition, SecondFactorResult } from '../flows/ports.ts';
import { AccountStore } from './accounts/account-store.ts';
import { ActivityService } from './accounts/activity.ts';
import { EmailVerificationService } from './accounts/email-verification.ts';
import { PasswordHasher } from './accounts/password-hasher.ts';
import { PasswordService } from './accounts/password-service.ts';
import { PhoneService } from './accounts/phone-service.ts';
import { PendingPasswords, ProofStore } from './accounts/proofs.ts';
import { bindActivity } from './bindings/activity.ts';
import { bindChangeEmail } from './bindings/change-email.ts';
import { bindChangePassword } from './bindings/change-password.ts';
import { bindChangePhone } from './bindings/change-phone.ts';
import { bindDisable2fa } from './bindings/disable-2fa.ts';
import { bindEnable2fa } from './bindings/enable-2fa.ts';
import { bindLinkAccount } from './bindings/link-account.ts';
import { bindRecoveryCodes } from './bindings/recovery-codes.ts';
import { bindUnlinkAccount } from './bindings/unlink-account.ts';
import type { Clock } from './clock.ts';
import { CodeService } from './codes/code-service.ts';
import type { Delivery } from './delivery/delivery.ts';
import { Engine, type PushSender } from './engine/engine.ts';
import type { Channel } from './engine/input.ts';
import { type SessionFrameBackend, SessionStore } from './engine/session-store.ts';
import type { Kv } from './kv/kv.ts';
import { LinkService } from './linking/link-service.ts';
import type { Logger } from './log.ts';
import { RecoveryCodes } from './twofa/recovery-codes.ts';
import { type SecondFactorChecker, SecondFactorService } from './twofa/second-factor.ts';
import { SecretBox } from './twofa/secret-box.ts';
import { TotpService } from './twofa/totp.ts';
import { TwoFactorService } from './twofa/two-factor-service.ts';

export type { SecondFactorChecker } from './twofa/second-factor.ts';

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
  /** The turn frame on Redis (one round trip each way); without it the frame is composed from `kv`. */
  readonly sessionFrame?: SessionFrameBackend;
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
  readonly linking: LinkService;
  readonly phones: PhoneService;
  readonly secondFactor: SecondFactorChecker;
  readonly emailVerification: EmailVerificationService;
  readonly twoFactor: TwoFactorService;
  readonly activity: ActivityService;
  /** Proofs of identity per account, task and purpose: every commit checks one (`isFresh`). */
  readonly proofs: ProofStore;
  /** New password hashes waiting for their repeat, per task (never in a session). */
  readonly pendingPasswords: PendingPasswords;
}

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
  const totp = new TotpService({ clock, issuer: options.totpIssuer ?? 'lockstep' });
  const box = new SecretBox({ secretKey: options.secretKey });
  const recovery = new RecoveryCodes({ secretKey: options.secretKey });
  const secondFactor = new SecondFactorService({ accounts, kv, clock, log, totp, box, recovery, prefix });
  const twoFactor = new TwoFactorService({ accounts, clock, delivery, log, totp, box, recovery });
  return {
    options,
    kv,
    clock,
    log,
    delivery,
    accounts,
    sessions: new SessionStore(kv, prefix, options.sessionFrame),
    hasher,
    codes,
    passwords,
    linking: new LinkService({
      accounts,
      codes,
      delivery,
      kv,
      clock,
      log,
      secretKey: options.secretKey,
      prefix,
    }),
    phones: new PhoneService({ accounts, codes, delivery, kv, clock, log, prefix }),
    secondFactor,
    emailVerification: new EmailVerificationService({
      accounts,
      codes,
      delivery,
      kv,
      clock,
      log,
      secretKey: options.secretKey,
      prefix,
      publicUrl: options.publicUrl,
    }),
    twoFactor,
    activity: new ActivityService({ accounts, clock }),
    proofs: new ProofStore(kv, prefix),
    pendingPasswords: new PendingPasswords(kv, prefix, options.flowIdleMs),
  };
}

/** Every guided task, bound to the services. The order is the menu's order. */
export function createFlows(services: Services): FlowDefinition[] {
  return [
    bindLinkAccount(services),
    bindChangePassword(services),
    bindChangePhone(services),
    bindChangeEmail(services),
    bindEnable2fa(services),
    bindDisable2fa(services),
    bindRecoveryCodes(services),
    bindActivity(services),
    bindUnlinkAccount(services),
  ];
}

/** The engine over the services, with every flow. */
export function createEngine(
  services: Services,
  push: { readonly push?: PushSender; readonly pushReady?: () => boolean } = {},
  /** More flows besides every task (a test's own flow). */
  extraFlows: readonly FlowDefinition[] = [],
): Engine {
  return new Engine({
    ...push,
    flows: [...createFlows(services), ...extraFlows],
    sessions: services.sessions,
    identities: {
      accountIdFor: (channel, userId) => services.accounts.linkedId(channel, userId),
    },
    clock: services.clock,
    log: services.log,
    idleTimeoutMs: services.options.flowIdleMs,
  });
}

import { AccountStore } from './accounts/account-store.ts';
import { ActivityService } from './accounts/activity.ts';
import { type CheckupOptions, CheckupService } from './accounts/checkup.ts';
import { CommitLedger } from './accounts/commit-ledger.ts';
import { EmailVerificationService } from './accounts/email-verification.ts';
import { PasswordHasher } from './accounts/password-hasher.ts';
import { PasswordService } from './accounts/password-service.ts';
import { PhoneService } from './accounts/phone-service.ts';
import { PendingPasswords, ProofStore } from './accounts/proofs.ts';
import { TaskRecordStore } from './accounts/task-records.ts';
import type { Clock } from './clock.ts';
import { CodeService } from './codes/code-service.ts';
import type { Delivery } from './delivery/delivery.ts';
import { type SessionFrameBackend, SessionStore } from './engine/session-store.ts';
import type { Kv } from './kv/kv.ts';
import { LinkService } from './linking/link-service.ts';
import type { Logger } from './log.ts';
import { NoticeOutbox } from './notices/outbox.ts';
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
  /** The security checkup's thresholds (each has its default). */
  readonly checkup?: CheckupOptions;
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
  /** The security checkup: reviews an account and keeps each chat's sitting. */
  readonly checkup: CheckupService;
  /** Applies each task's change once (a retried step gets the first result back). */
  readonly commits: CommitLedger;
  /** Security notices, sent after the change in the background and retried (`notices.start()`). */
  readonly notices: NoticeOutbox;
  /** Proofs of identity per account, task and purpose: every commit checks one (`isFresh`). */
  readonly proofs: ProofStore;
  /** New password hashes waiting for their repeat, per task (never in a session). */
  readonly pendingPasswords: PendingPasswords;
  /** Forgets a task's proof, commit and pending password when the task ends (the engine's `taskRecords`). */
  readonly taskRecords: TaskRecordStore;
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
  // Codes go out inside their step (the user waits for them); notices go out after the change, from the outbox.
  const notices = new NoticeOutbox({ kv, delivery, clock, log, prefix });
  const noticeDelivery = notices.delivery;
  const passwords = new PasswordService({
    accounts,
    hasher,
    codes,
    delivery: noticeDelivery,
    kv,
    clock,
    log,
    prefix,
  });
  const totp = new TotpService({ clock, issuer: options.totpIssuer ?? 'lockstep' });
  const box = new SecretBox({ secretKey: options.secretKey });
  const recovery = new RecoveryCodes({ secretKey: options.secretKey });
  const secondFactor = new SecondFactorService({ accounts, kv, clock, log, totp, box, recovery, prefix });
  const twoFactor = new TwoFactorService({
    accounts,
    clock,
    delivery: noticeDelivery,
    log,
    totp,
    box,
    recovery,
  });
  const proofs = new ProofStore(kv, prefix);
  const commits = new CommitLedger(kv, prefix);
  const pendingPasswords = new PendingPasswords(kv, prefix, options.flowIdleMs);
  return {
    options,
    kv,
    clock,
    log,
    delivery,
    accounts,
    sessions: new SessionStore(kv, prefix, options.sessionFrame, clock),
    hasher,
    codes,
    passwords,
    linking: new LinkService({
      accounts,
      codes,
      delivery: noticeDelivery,
      kv,
      clock,
      log,
      secretKey: options.secretKey,
      prefix,
    }),
    phones: new PhoneService({ accounts, codes, delivery: noticeDelivery, kv, clock, log, prefix }),
    secondFactor,
    emailVerification: new EmailVerificationService({
      accounts,
      codes,
      delivery: noticeDelivery,
      kv,
      clock,
      log,
      secretKey: options.secretKey,
      prefix,
      publicUrl: options.publicUrl,
    }),
    twoFactor,
    activity: new ActivityService({ accounts, clock }),
    checkup: new CheckupService({
      accounts,
      kv,
      clock,
      prefix,
      ...(hashing ? { hashParams: hashing } : {}),
      ...(options.checkup ? { options: options.checkup } : {}),
    }),
    proofs,
    commits,
    notices,
    pendingPasswords,
    taskRecords: new TaskRecordStore(kv, { proofs, commits, pendingPasswords }),
  };
}

/** The result types of the named effects flows invoke, and the names they share. */

import type { Channel } from './conversation.ts';
import type { MessageParam } from './messages.ts';

export type CodeVia = 'phone' | 'email';

/** What a one-time code proves; codes are bound to one purpose. */
export const CODE_PURPOSES = {
  passwordReset: 'password-reset',
  link: 'link',
  phoneOld: 'phone-old',
  phoneNew: 'phone-new',
  emailReauth: 'email-reauth',
  emailVerify: 'email-verify',
  reauth: 'reauth',
} as const;
export type CodePurpose = (typeof CODE_PURPOSES)[keyof typeof CODE_PURPOSES] | (string & {});

/** Re-authentication proofs are valid this long (ASVS 3.7.1, Keycloak maxAuthAge). */
export const REAUTH_MAX_AGE_MS = 5 * 60_000;

/**
 * One run of a task, as its server records are keyed: the account it proved, the run's task id, and the
 * purpose of its proof and commit (`FlowDefinition.proofPurpose`).
 */
export interface TaskRun {
  readonly accountId: string;
  readonly taskId: string;
  readonly purpose: string;
}

export type SendCodeResult =
  | { readonly ok: true; readonly to: string }
  | { readonly ok: false; readonly reason: 'cooldown'; readonly seconds: number }
  | { readonly ok: false; readonly reason: 'hourlyCap' | 'deliveryFailed' | 'noDestination' };

export type CheckCodeResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'wrong'; readonly remaining: number }
  | { readonly ok: false; readonly reason: 'expired' | 'exhausted' | 'missing' | 'format' };

export type SecondFactorResult =
  | { readonly ok: true; readonly method: 'totp' | 'recovery' }
  | { readonly ok: false; readonly reason: 'wrong'; readonly remaining: number }
  | { readonly ok: false; readonly reason: 'replay' | 'format' | 'tooMany' };

/** A masked view of an account for prompts; never holds a secret. */
export interface AccountSummary {
  readonly phoneMasked: string;
  readonly emailMasked: string | null;
  readonly twoFactor: boolean;
  /** Milliseconds the password step stays locked after too many wrong passwords; 0 when open. */
  readonly passwordLockedMs: number;
}

export type CheckPasswordResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'wrong'; readonly remaining: number }
  | { readonly ok: false; readonly reason: 'locked'; readonly minutes: number };

export type PolicyReason =
  | 'tooShort'
  | 'tooLong'
  | 'noLetter'
  | 'noDigit'
  | 'common'
  | 'containsPhone'
  | 'containsEmail'
  | 'containsAccountId'
  | 'sameAsCurrent'
  | 'controlChars';

export type NewPasswordResult =
  | { readonly ok: true; readonly hash: string }
  | { readonly ok: false; readonly reason: PolicyReason };

/** The ways a user can prove it is them. */
export type ProofWay = 'password' | 'phone' | 'email';

/** How a proof was made: the first factor, and the second when one was asked. */
export interface ProofVia {
  readonly first: ProofWay;
  readonly second: 'totp' | 'recovery' | null;
}

/** A commit refused because its proof is too old or belongs to an ended task: the flow asks again. */
export type StaleProof = { readonly ok: false; readonly reason: 'reauth' };

// ---- results of the flows' own effects -----------------------------------------------------

/** A phone number (E.164) or an email address (lower-case), as typed by the user and normalised. */
export interface LinkDestination {
  readonly kind: 'phone' | 'email';
  readonly value: string;
}

/** The chat identity being linked: the platform user on one channel. */
export interface ChatIdentity {
  readonly channel: Channel;
  readonly userId: string;
}

export type DestinationResult =
  | { readonly ok: true; readonly destination: LinkDestination }
  | { readonly ok: false; readonly reason: 'invalid' | 'needCountryCode' };

/** `tooMany`: the per-chat or per-destination attempt limit of the hour is used up. */
export type LinkSendResult = SendCodeResult | { readonly ok: false; readonly reason: 'tooMany' };

export type LinkCheckResult =
  | { readonly ok: true; readonly accountId: string; readonly twoFactor: boolean }
  | Exclude<CheckCodeResult, { readonly ok: true }>
  | { readonly ok: false; readonly reason: 'tooMany' };

export type LinkChatResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'linkedElsewhere' | 'noAccount' };

export type UnlinkResult = { readonly ok: true } | { readonly ok: false; readonly reason: 'notLinked' };

export type RegenerateResult =
  | { readonly ok: true; readonly codes: readonly string[] }
  | { readonly ok: false; readonly reason: 'notOn' };

export interface NewSecretOutput {
  readonly sealed: string;
  readonly uri: string;
  readonly key: string;
  readonly png: string;
}

export type SetupCodeResult =
  | { readonly ok: true; readonly step: number }
  | { readonly ok: false; readonly reason: 'format' | 'wrong' };

/** `reauth`: the server holds no fresh proof of this task (the proof is asked again). */
export type EnableResult =
  | { readonly ok: true; readonly codes: readonly string[] }
  | { readonly ok: false; readonly reason: 'alreadyOn' }
  | StaleProof;

export interface ActivityView {
  readonly eventCount: number;
  /** One line per event (or run of alike events), as messages with times: rendered by the adapter. */
  readonly events: MessageParam;
  readonly sessionCount: number;
  readonly sessions: MessageParam;
}

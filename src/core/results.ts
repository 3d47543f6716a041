/** The result types of the named effects flows invoke, and the names they share. */

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
  | 'containsPersonal'
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

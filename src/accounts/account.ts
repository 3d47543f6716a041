import type { Channel } from '../core/conversation.ts';

/** A chat identity linked to an account: the platform user id on one channel. */
export interface LinkedIdentity {
  readonly channel: Channel;
  readonly userId: string;
  readonly linkedAt: number;
}

/** A signed-in session of the account on some device (web, app); a password change signs all of them out. */
export interface SignedInSession {
  readonly id: string;
  readonly device: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
}

/** Two-step verification state. The TOTP secret is stored encrypted; recovery codes only as hashes. */
export interface TwoFactorState {
  readonly enabled: boolean;
  /** AES-256-GCM ciphertext of the base32 TOTP secret (`v1:iv:tag:data`, base64 parts). */
  readonly secretEnc: string | null;
  /** The last accepted TOTP time step; a code from this step or earlier is a replay. */
  readonly lastUsedStep: number | null;
  /** Keyed hashes of the unused recovery codes. */
  readonly recoveryHashes: readonly string[];
  readonly enabledAt: number | null;
}

export interface Account {
  readonly id: string;
  /** E.164, e.g. +8613800138000. */
  readonly phone: string;
  /** Lower-cased address, or null when the account has none. */
  readonly email: string | null;
  /** argon2id encoded hash. */
  readonly passwordHash: string;
  readonly twoFactor: TwoFactorState;
  readonly links: readonly LinkedIdentity[];
  readonly sessions: readonly SignedInSession[];
  readonly createdAt: number;
  readonly passwordChangedAt: number | null;
  /**
   * The password, as last proven in a task, is one today's policy would refuse (common, too short, holds
   * the phone number...). Learned only when the user types it to prove who they are; the password itself is
   * never kept. Cleared by a password change or a proof with a password that passes.
   */
  readonly passwordBelowPolicy?: true;
  /** The language of its SMS and email notices (a `/language` choice, e.g. `es`); English when absent. */
  readonly locale?: string;
}

export const NO_TWO_FACTOR: TwoFactorState = {
  enabled: false,
  secretEnc: null,
  lastUsedStep: null,
  recoveryHashes: [],
  enabledAt: null,
};

/** The kinds of security events recorded per account (append-only). */
export type SecurityEventType =
  | 'account.created'
  | 'password.changed'
  | 'password.wrong'
  | 'password.locked'
  | 'sessions.signedOut'
  | 'chat.linked'
  | 'chat.unlinked'
  | 'phone.changed'
  | 'email.changed'
  | 'twofa.enabled'
  | 'twofa.disabled'
  | 'twofa.recoveryRegenerated'
  | 'twofa.recoveryUsed'
  | 'twofa.replayRejected'
  | 'twofa.wrong'
  | 'code.sent'
  | 'code.failed'
  | 'support.handoff'
  | 'support.escalated';

export interface SecurityEvent {
  readonly at: number;
  readonly type: SecurityEventType;
  /** Where it happened: a chat channel, `admin` for the CLI, `web` for the verification page. */
  readonly channel: Channel | 'admin' | 'web' | 'system';
  /** Non-secret details (masked destinations, counts). */
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * The event of one code send: `code.sent`, or `code.failed` with the reason added to `detail` (which
 * holds the purpose, the way and a masked destination, never the code).
 */
export function codeSendEvent(
  at: number,
  channel: SecurityEvent['channel'],
  result: { readonly ok: true } | { readonly ok: false; readonly reason: string },
  detail: Readonly<Record<string, string>>,
): SecurityEvent {
  return result.ok
    ? { at, type: 'code.sent', channel, detail }
    : { at, type: 'code.failed', channel, detail: { ...detail, reason: result.reason } };
}

/** The account as shown to operators and in logs: no hashes, no secrets. */
export function publicView(account: Account): Record<string, unknown> {
  return {
    id: account.id,
    phone: account.phone,
    email: account.email,
    twoFactor: account.twoFactor.enabled,
    recoveryCodesLeft: account.twoFactor.enabled ? account.twoFactor.recoveryHashes.length : 0,
    links: account.links,
    sessions: account.sessions.length,
    createdAt: new Date(account.createdAt).toISOString(),
    passwordChangedAt:
      account.passwordChangedAt === null ? null : new Date(account.passwordChangedAt).toISOString(),
  };
}

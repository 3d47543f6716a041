/**
 * The vocabulary shared by every flow: events in, replies out, and the result types of the named
 * effects (actors) a flow invokes. Flows import only `xstate` and these types; the composition root binds
 * the effects to real services with `machine.provide({ actors })`.
 */
import type { AnyStateMachine } from 'xstate';
import type { MessageKey } from '../src/catalog/catalog.ts';
import type { ChatRef } from '../src/engine/input.ts';
import type { Reply } from '../src/engine/reply.ts';

/** Events the engine sends into a flow. `at` is the engine clock (ms), so deadlines need no timers. */
export type FlowEvent =
  | { readonly type: 'user.text'; readonly text: string; readonly at: number }
  | { readonly type: 'user.choice'; readonly value: string; readonly at: number }
  /** Something happened outside the chat (e.g. the email link was opened); see Engine.signal. */
  | { readonly type: 'signal'; readonly name: string; readonly at: number };

/** What the engine gives a flow when it starts. */
export interface FlowInput {
  readonly accountId: string | null;
  readonly chat: ChatRef;
  readonly userId: string;
  readonly at: number;
  /** Free text after the command, e.g. a deep-link payload; flows that take none ignore it. */
  readonly args: string;
}

/** What a flow ends with: optionally the id of a flow the engine starts next. */
export interface FlowOutput {
  readonly next?: string;
}

/** The one event flows emit: a reply for the user. */
export type ReplyEvent = { readonly type: 'reply' } & Reply;

/** The states in which a flow waits for the user carry this tag; the engine waits until one is reached. */
export const AWAITING_INPUT = 'input';

/**
 * States after the flow's change is already made (e.g. "did you save your recovery codes?") carry this
 * tag, so that /cancel or an idle timeout there does not claim that nothing was changed.
 */
export const COMMITTED = 'committed';

/** Who may start a flow: chats linked to an account, chats not linked yet, or anybody. */
export type Audience = 'linked' | 'unlinked' | 'any';

/** A guided task as the engine sees it. */
export interface FlowDefinition {
  readonly id: string;
  /** Bump when a change makes old persisted snapshots meaningless; the engine resets those with a message. */
  readonly version: number;
  /** The slash command that starts it, without the slash. */
  readonly command: string;
  /** How the task is named in sentences ("changing your password"). */
  readonly title: MessageKey;
  /** Its label in the menu; flows without one are reachable by command only. */
  readonly menuLabel?: MessageKey;
  readonly audience: Audience;
  /** Handles secrets: runs only in a private chat. */
  readonly privateOnly: boolean;
  readonly machine: AnyStateMachine;
}

// ---- results of the named effects ------------------------------------------------------------

export type CodeVia = 'phone' | 'email';

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
  | 'sameAsCurrent';

export type NewPasswordResult =
  | { readonly ok: true; readonly hash: string }
  | { readonly ok: false; readonly reason: PolicyReason };

/** Placeholder body of an effect that the composition root must provide. */
export function notProvided(name: string): () => never {
  return () => {
    throw new Error(`effect "${name}" was not provided to the flow`);
  };
}

/** Re-authentication proofs are valid this long (ASVS 3.7.1, Keycloak maxAuthAge). */
export const REAUTH_MAX_AGE_MS = 5 * 60_000;

import type { ChatRef } from './conversation.ts';
import type { MessageKey } from './messages.ts';
import type { Reply } from './reply.ts';

/** Events the engine sends into a flow. `at` is the engine clock (ms), so deadlines need no timers. */
export type FlowEvent =
  | { readonly type: 'user.text'; readonly text: string; readonly at: number }
  | { readonly type: 'user.choice'; readonly value: string; readonly at: number }
  /** Something happened outside the chat (e.g. the email link was confirmed); see Engine.signal. */
  | {
      readonly type: 'signal';
      readonly name: string;
      readonly at: number;
      readonly data?: Readonly<Record<string, string>>;
    };

/** The out-of-chat events flows react to. */
export const SIGNALS = {
  /** The email link was confirmed on the web page; `data.token` is the link's token (not yet spent). */
  emailLinkConfirmed: 'email.linkConfirmed',
} as const;
export type SignalName = (typeof SIGNALS)[keyof typeof SIGNALS];

/** What the engine gives a flow when it starts. */
export interface FlowInput {
  readonly accountId: string | null;
  readonly chat: ChatRef;
  readonly userId: string;
  readonly at: number;
  /** Free text after the command, e.g. a deep-link payload; flows that take none ignore it. */
  readonly args: string;
  /**
   * This run of the task, unique: changes are applied once per task id, proofs are bound to it, and
   * anything pending (an email link) dies with it.
   */
  readonly taskId: string;
  /** The language this conversation speaks (`en`, `zh-CN`, `es`, `ru`): the chat's choice or its platform's. */
  readonly locale?: string;
}

/** What a flow ends with: optionally the id of a flow the engine starts next. */
export interface FlowOutput {
  /** The flow the engine starts right after this one. */
  readonly next?: string;
  /**
   * This flow made a change before handing on to `next` (every device signed out): stopping or losing
   * `next` then says the change stays in place, never "nothing was changed".
   */
  readonly changed?: boolean;
  /** Arguments for `next` (e.g. a choice that was already made). */
  readonly nextArgs?: string;
  /**
   * The flow to come back to once `next` (and whatever it hands on to) completes; it is started again with
   * the args `resume` (a checkup continuing down its list after a fix).
   */
  readonly returnTo?: string;
  /**
   * The flow ended because a secret step locked (too many wrong passwords or codes): the chat keeps its
   * secret-prompt mark, so further guesses typed into it are still deleted.
   */
  readonly lockedOut?: boolean;
  /** The flow reached a dead end only a person can solve: the conversation is handed to support. */
  readonly escalate?: { readonly reason: string };
  /** The user chose this language (`/language`): the conversation speaks it from this reply on. */
  readonly locale?: string;
}

/** One line of a conversation as support sees it: the bot's message keys, the user's words (secrets redacted). */
export interface TranscriptEntry {
  readonly at: number;
  readonly from: 'user' | 'bot';
  /** A message key for the bot; for the user the text (cut short), `[redacted]` for a secret, or `choice:<value>`. */
  readonly text: string;
}

/** The choice value a flow offers at a dead end to ask for a person ("Talk to support"). */
export const SUPPORT_CHOICE = 'support';

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

/**
 * A guided task as the engine sees it. `M` is the state machine (an XState machine for every flow); the
 * core names no library, so the engine instantiates it with its own machine type.
 */
export interface FlowDefinition<M = unknown> {
  readonly id: string;
  /** Bump when a change makes old persisted snapshots meaningless (children included). */
  readonly version: number;
  /** The slash command that starts it, without the slash. */
  readonly command: string;
  /** How the task is named in sentences ("changing your password"). */
  readonly title: MessageKey;
  /** Its label in the menu; flows without one are reachable by command only. */
  readonly menuLabel?: MessageKey;
  /**
   * The label that says where the account stands instead ("Two-step verification: on"), looked up when a
   * linked chat's menu is shown; null keeps `menuLabel`.
   */
  readonly menuStatus?: (accountId: string) => Promise<MessageKey | null>;
  readonly audience: Audience;
  /**
   * The purpose of the proof and the commit this flow's tasks record on the server (the proof store and
   * the commit ledger, keyed by account and task): the engine has them forgotten as soon as a task of the
   * flow ends (done, cancelled, replaced, expired), instead of leaving them to expire.
   */
  readonly proofPurpose?: string;
  /** Handles secrets: runs only where replies are confidential. */
  readonly privateOnly: boolean;
  readonly machine: M;
}

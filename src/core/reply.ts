import type { MessageKey, MessageParams } from './messages.ts';

/** One option the user can pick; rendered as a button, a numbered line, a select entry. */
export interface Choice {
  readonly value: string;
  readonly label: MessageKey;
  readonly params?: MessageParams;
}

/** A picture sent along with a reply (the 2FA QR code). */
export interface ReplyImage {
  readonly mime: 'image/png';
  /** PNG bytes, base64. */
  readonly base64: string;
  /** The encoded text (an otpauth:// URI) so a terminal can draw it itself. */
  readonly text: string;
  readonly alt: MessageKey;
}

/** What the next input will be: free text, a secret (password or code), a pick among choices, or nothing. */
export type InputMode = 'text' | 'secret' | 'choice' | 'none';

/**
 * The prompt model: enough for an adapter to build a form field from a question (a Discord modal's text
 * input, a Telegram message that gets deleted, a console line).
 */
export interface PromptField {
  /** A short field label ("New password"). */
  readonly label: MessageKey;
  /** The longest answer that makes sense; adapters cap their inputs at this. */
  readonly maxLength: number;
  /** The next prompt asks for the same kind of secret again (new password, then repeat): a form may ask both. */
  readonly repeatsNext?: boolean;
}

/**
 * One message from lockstep to the user, channel-neutral: a catalog key and typed values only.
 * Adapters turn it into a Telegram message, a Discord message or modal, a console line.
 */
export interface Reply {
  readonly key: MessageKey;
  readonly params?: MessageParams;
  readonly choices?: readonly Choice[];
  /** Set on prompts: what kind of answer the flow waits for. */
  readonly input?: InputMode;
  /** Set on text and secret prompts: how to ask for the answer in a form. */
  readonly field?: PromptField;
  readonly image?: ReplyImage;
  /** The message shows a secret (TOTP key, recovery codes): never stored, forwarded or kept in history. */
  readonly sensitive?: boolean;
  /** Outside a confidential place: offer a way to continue privately (Telegram deep link, Discord DM). */
  readonly continuePrivately?: boolean;
  /**
   * An offer, not a task's step (e.g. "Shall I check your account?"): a command other than /cancel, /help or
   * /support ends it quietly and is carried out, instead of being told that a task is under way.
   */
  readonly dismissible?: boolean;
}

/** The longest text lockstep reads; longer messages are refused before any other work. */
export const MAX_INPUT_LENGTH = 4096;

/** Field limits used by prompts. */
export const FIELD_MAX = { password: 128, code: 32, phone: 32, email: 254 } as const;

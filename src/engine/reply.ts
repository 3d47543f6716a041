import type { MessageKey, MessageParams } from '../catalog/catalog.ts';

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
 * One message from lockstep to the user, channel-neutral: a catalog key and its parameters.
 * Adapters turn it into a Telegram message, a Discord message or modal, a console line.
 */
export interface Reply {
  readonly key: MessageKey;
  readonly params?: MessageParams;
  readonly choices?: readonly Choice[];
  /** Set on prompts: what kind of answer the flow waits for. */
  readonly input?: InputMode;
  readonly image?: ReplyImage;
  /** The message shows a secret (TOTP key, recovery codes): never stored, forwarded or kept in history. */
  readonly sensitive?: boolean;
  /** In a group: offer a way to continue in a private chat (Telegram deep link, Discord DM). */
  readonly continuePrivately?: boolean;
}

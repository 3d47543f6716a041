import { z } from 'zod';

/** The longest address SMTP carries (RFC 5321: a 256-octet path less its angle brackets). */
export const MAX_EMAIL_LENGTH = 254;

const EMAIL = z.email();

/**
 * Reads a typed email address: trimmed, at most 254 characters, valid by zod's `z.email()`, lower-cased.
 * Returns the address, or null when it is not one.
 *
 * @example parseEmail('  Alice@Example.com ') // 'alice@example.com'
 */
export function parseEmail(text: string): string | null {
  const email = text.trim().toLowerCase();
  if (email.length > MAX_EMAIL_LENGTH) return null;
  return EMAIL.safeParse(email).success ? email : null;
}

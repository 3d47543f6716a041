import { dictionary } from '@zxcvbn-ts/language-common';
import type { PolicyReason } from '../../flows/ports.ts';

/** The 10,000 most common passwords, ranked by frequency (zxcvbn-ts' maintained list), lower-cased. */
const COMMON = new Set(
  ((dictionary as Record<string, string[]>)['passwords-common'] ?? [])
    .slice(0, 10_000)
    .map((p) => p.toLowerCase()),
);

export const MIN_LENGTH = 8;
export const MAX_LENGTH = 128;

export interface PolicyContext {
  readonly accountId: string;
  readonly phone: string;
  readonly email: string | null;
}

/** Counts user-perceived characters, so "é" or an emoji counts once (no truncation, full Unicode). */
function length(password: string): number {
  return [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(password)].length;
}

/**
 * Checks a candidate password against the policy; the first failed rule is reported, so the user can fix
 * exactly that. Comparisons with the current password happen elsewhere (it needs the hash).
 */
export function checkPasswordPolicy(
  password: string,
  context: PolicyContext,
): { ok: true } | { ok: false; reason: PolicyReason } {
  const normalised = password.normalize('NFC');
  const size = length(normalised);
  if (size < MIN_LENGTH) return { ok: false, reason: 'tooShort' };
  if (size > MAX_LENGTH) return { ok: false, reason: 'tooLong' };
  if (!/\p{L}/u.test(normalised)) return { ok: false, reason: 'noLetter' };
  if (!/\p{Nd}/u.test(normalised)) return { ok: false, reason: 'noDigit' };
  const lower = normalised.toLowerCase();
  if (COMMON.has(lower)) return { ok: false, reason: 'common' };
  if (containsPersonal(lower, context)) return { ok: false, reason: 'containsPersonal' };
  return { ok: true };
}

function containsPersonal(lower: string, context: PolicyContext): boolean {
  const digits = lower.replace(/\D/g, '');
  const phoneDigits = context.phone.replace(/\D/g, '');
  // The national part of the number (last 8+ digits) is what people actually type.
  const national = phoneDigits.slice(-Math.min(phoneDigits.length, 8));
  if (national.length >= 6 && digits.includes(national)) return true;
  if (context.email) {
    const email = context.email.toLowerCase();
    const local = email.split('@')[0] ?? '';
    if (lower.includes(email) || (local.length >= 4 && lower.includes(local))) return true;
  }
  const id = context.accountId.toLowerCase();
  const idCore = id.replace(/^acc_/, '');
  return lower.includes(id) || (idCore.length >= 4 && lower.includes(idCore));
}

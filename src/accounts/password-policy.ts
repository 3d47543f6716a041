import { dictionary } from '@zxcvbn-ts/language-common';
import type { PolicyReason } from '../core/results.ts';

/** The 10,000 most common passwords, ranked by frequency (zxcvbn-ts' maintained list), lower-cased. */
const COMMON = new Set(
  ((dictionary as Record<string, string[]>)['passwords-common'] ?? [])
    .slice(0, 10_000)
    .map((p) => p.toLowerCase()),
);

export const MIN_LENGTH = 8;
export const MAX_LENGTH = 128;

/**
 * The most UTF-16 code units a password may take, whatever it counts as characters: 16 per character,
 * room for 128 family emoji (11 units each) or letters with several accents. Anything longer is refused
 * as too long before the text is even normalised, so a 1 MB paste costs nothing.
 */
export const MAX_UNITS = MAX_LENGTH * 16;

/** The reason for a password with control or invisible characters (catalog `policy.controlChars`). */
const CONTROL_CHARS: PolicyReason = 'controlChars';

export interface PolicyContext {
  readonly accountId: string;
  readonly phone: string;
  readonly email: string | null;
}

/**
 * Characters no one means to put in a password: they cannot be seen or typed reliably on another device,
 * and pasted text often carries them by accident (a trailing line break, a tab, a byte-order mark).
 * - every control character (Unicode Cc: NUL, tab, line feed, carriage return, DEL, C1 controls);
 * - the line and paragraph separators U+2028, U+2029;
 * - invisible format characters: soft hyphen U+00AD, Arabic letter mark U+061C, Mongolian vowel
 *   separator U+180E, zero-width space U+200B, the direction marks U+200E/U+200F, the bidi embeddings and
 *   overrides U+202A-U+202E, word joiner and invisible operators U+2060-U+2064, the bidi isolates
 *   U+2066-U+2069, deprecated format characters U+206A-U+206F, the byte-order mark U+FEFF and the
 *   interlinear annotation marks U+FFF9-U+FFFB;
 * - lone surrogates (broken UTF-16, which no encoding keeps apart from U+FFFD).
 * The zero-width joiner and non-joiner (U+200D, U+200C) stay allowed: emoji sequences (a family, a
 * profession) and Persian or Indic writing need them, and so do the tag characters of subdivision flags.
 */
const FORBIDDEN =
  /[\p{Cc}\u00AD\u061C\u180E\u200B\u200E\u200F\u2028\u2029\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB]|\p{Cs}/u;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Whether `text` has more than `limit` user-perceived characters (so "é" or an emoji counts once). It
 * walks the segments lazily and stops at the first one past the limit, never building a list.
 */
function longerThan(text: string, limit: number): boolean {
  // Every character takes at least one UTF-16 unit: short enough texts need no counting.
  if (text.length <= limit) return false;
  let count = 0;
  for (const _ of graphemes.segment(text)) {
    count += 1;
    if (count > limit) return true;
  }
  return false;
}

/** Whether `text` has fewer than `limit` user-perceived characters; stops counting at `limit`. */
function shorterThan(text: string, limit: number): boolean {
  if (text.length < limit) return true;
  let count = 0;
  for (const _ of graphemes.segment(text)) {
    count += 1;
    if (count >= limit) return false;
  }
  return true;
}

/**
 * Checks a candidate password against the policy; the first failed rule is reported, so the user can fix
 * exactly that. Comparisons with the current password happen elsewhere (it needs the hash).
 *
 * The order keeps hostile input cheap: the length in UTF-16 units is checked first (constant time), then
 * everything else runs on at most `MAX_UNITS` units, each rule in one linear pass.
 */
export function checkPasswordPolicy(
  password: string,
  context: PolicyContext,
): { ok: true } | { ok: false; reason: PolicyReason } {
  if (password.length > MAX_UNITS) return { ok: false, reason: 'tooLong' };
  const normalised = password.normalize('NFC');
  if (longerThan(normalised, MAX_LENGTH)) return { ok: false, reason: 'tooLong' };
  if (FORBIDDEN.test(normalised)) return { ok: false, reason: CONTROL_CHARS };
  if (shorterThan(normalised, MIN_LENGTH)) return { ok: false, reason: 'tooShort' };
  if (!/\p{L}/u.test(normalised)) return { ok: false, reason: 'noLetter' };
  if (!/\p{Nd}/u.test(normalised)) return { ok: false, reason: 'noDigit' };
  const lower = normalised.toLowerCase();
  if (COMMON.has(lower)) return { ok: false, reason: 'common' };
  const personal = personalDetailIn(lower, context);
  if (personal) return { ok: false, reason: personal };
  return { ok: true };
}

/** Which detail of the account the password holds, named so the user is told which one. */
function personalDetailIn(
  lower: string,
  context: PolicyContext,
): 'containsPhone' | 'containsEmail' | 'containsAccountId' | null {
  const digits = lower.replace(/\D/g, '');
  const phoneDigits = context.phone.replace(/\D/g, '');
  // The national part of the number (last 8+ digits) is what people actually type.
  const national = phoneDigits.slice(-Math.min(phoneDigits.length, 8));
  if (national.length >= 6 && digits.includes(national)) return 'containsPhone';
  if (context.email) {
    const email = context.email.toLowerCase();
    const local = email.split('@')[0] ?? '';
    if (lower.includes(email) || (local.length >= 4 && lower.includes(local))) return 'containsEmail';
  }
  const id = context.accountId.toLowerCase();
  const idCore = id.replace(/^acc_/, '');
  return lower.includes(id) || (idCore.length >= 4 && lower.includes(idCore)) ? 'containsAccountId' : null;
}

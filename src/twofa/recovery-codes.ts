/**
 * Recovery codes: the way back in when the authenticator is lost. Shown once, stored only as keyed
 * hashes, each usable once.
 */
import { createHmac, hkdfSync, randomInt, timingSafeEqual } from 'node:crypto';

/** Lower-case letters and digits without the look-alikes 0/o, 1/l/i. */
export const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const CODE_CHARS = 10;
const GROUPS = [4, 4, 2] as const;
const DEFAULT_COUNT = 10;
const MAX_COUNT = 100;
const HKDF_SALT = 'lockstep/recovery-codes';
const HKDF_INFO = 'lockstep/recovery-code-hash/v1';
const SHAPE = new RegExp(`^[${RECOVERY_ALPHABET}]{${CODE_CHARS}}$`);
// Spaces, ASCII and Unicode hyphens and dashes: chat apps like to turn `--` into a dash.
const SEPARATORS = /[\s\-\u2010-\u2015\u2212]+/g;
/** Anything longer is not a recovery code; refuse before normalising so huge input costs nothing. */
const MAX_INPUT_CHARS = 64;

export interface RecoveryCodesOptions {
  /** The application's SECRET_KEY; the hashing key is derived from it. */
  readonly secretKey: string;
}

export interface GeneratedRecoveryCodes {
  /** For the user, shown once, formatted `abcd-efgh-jk`. Never stored or logged. */
  readonly codes: string[];
  /** For storage, in the same order as `codes`. */
  readonly hashes: string[];
}

export type ConsumeResult = { readonly ok: true; readonly remaining: string[] } | { readonly ok: false };

/**
 * Generates, hashes and checks recovery codes. Hashes are HMAC-SHA256 under a key derived from SECRET_KEY,
 * so a leaked database alone does not allow guessing codes offline.
 *
 * @example
 * ```ts
 * const recovery = new RecoveryCodes({ secretKey: config.secretKey });
 * const result = recovery.consume(userText, account.twoFactor.recoveryHashes);
 * if (result.ok) await saveRecoveryHashes(account.id, result.remaining); // persist before confirming
 * ```
 */
export class RecoveryCodes {
  readonly #key: Buffer;

  constructor(options: RecoveryCodesOptions) {
    if (options.secretKey.length === 0) throw new RangeError('RecoveryCodes needs a non-empty secret key');
    this.#key = Buffer.from(hkdfSync('sha256', options.secretKey, HKDF_SALT, HKDF_INFO, 32));
  }

  /** A fresh set of distinct codes with their hashes; storing it replaces (voids) the previous set. */
  generate(count = DEFAULT_COUNT): GeneratedRecoveryCodes {
    if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) {
      throw new RangeError(`recovery code count must be an integer from 1 to ${MAX_COUNT}`);
    }
    const raw = new Set<string>();
    while (raw.size < count) raw.add(randomCode());
    const codes = [...raw].map(format);
    return { codes, hashes: [...raw].map((code) => this.#hash(code)) };
  }

  /** Lower-cases and removes spaces and dashes: `ABCD EFGH-JK` -> `abcdefghjk`. */
  normalise(input: string): string {
    return input.toLowerCase().replace(SEPARATORS, '');
  }

  /** Whether the input has the shape of a recovery code (as opposed to, say, a 6-digit TOTP code). */
  looksLikeRecoveryCode(input: string): boolean {
    return input.length <= MAX_INPUT_CHARS && SHAPE.test(this.normalise(input));
  }

  /** The index of the hash the input matches, or -1. Compares every hash in constant time. */
  match(input: string, hashes: readonly string[]): number {
    if (!this.looksLikeRecoveryCode(input)) return -1;
    const candidate = Buffer.from(this.#hash(this.normalise(input)), 'hex');
    let found = -1;
    hashes.forEach((stored, index) => {
      const bytes = Buffer.from(stored, 'hex');
      // No early exit, so the time taken does not tell which position matched.
      if (bytes.length === candidate.length && timingSafeEqual(bytes, candidate) && found === -1) {
        found = index;
      }
    });
    return found;
  }

  /**
   * Uses up a code: on success, `remaining` is the stored list without its hash. Single use holds only if
   * the caller saves `remaining` (atomically with the check) before accepting the code.
   */
  consume(input: string, hashes: readonly string[]): ConsumeResult {
    const index = this.match(input, hashes);
    if (index === -1) return { ok: false };
    return { ok: true, remaining: hashes.filter((_, i) => i !== index) };
  }

  #hash(normalised: string): string {
    return createHmac('sha256', this.#key).update(normalised, 'utf8').digest('hex');
  }
}

function randomCode(): string {
  let code = '';
  for (let i = 0; i < CODE_CHARS; i++) code += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
  return code;
}

function format(code: string): string {
  const parts: string[] = [];
  let start = 0;
  for (const size of GROUPS) {
    parts.push(code.slice(start, start + size));
    start += size;
  }
  return parts.join('-');
}

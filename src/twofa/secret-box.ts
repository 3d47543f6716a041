/**
 * Encryption of small secrets at rest (the TOTP secret): AES-256-GCM under a key derived from the
 * application's SECRET_KEY with HKDF-SHA256. A sealed value is one printable string that fits a JSON field.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
// A fixed salt is fine for HKDF when the input key is already high-entropy; `info` separates purposes.
const HKDF_SALT = 'lockstep/secret-box';
const B64URL = /^[A-Za-z0-9_-]*$/;

export type SecretBoxFailure = 'format' | 'auth';

/**
 * A sealed value could not be opened. `reason` is `format` when the string is not a `v1:` value at all and
 * `auth` when it was tampered with, sealed under another SECRET_KEY or purpose, or bound to other
 * associated data. The message never contains the sealed value or the key.
 */
export class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError';
  constructor(
    readonly reason: SecretBoxFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface SecretBoxOptions {
  /** The application's SECRET_KEY. */
  readonly secretKey: string;
  /** Separates keys for different kinds of secret; part of the HKDF `info`. Default `totp-secret`. */
  readonly purpose?: string;
}

/**
 * Seals and opens small secrets. Output format: `v1:<iv>:<tag>:<ciphertext>`, each part base64url.
 *
 * Associated data (e.g. the account id) is authenticated but not stored: a value sealed for one account
 * does not open for another, so a copied database field cannot move a secret between accounts.
 * Omitted associated data is the same as the empty string.
 *
 * @example
 * ```ts
 * const box = new SecretBox({ secretKey: config.secretKey });
 * const secretEnc = box.seal(totpSecret, account.id);
 * const totpSecret = box.open(secretEnc, account.id); // throws SecretBoxError if tampered
 * ```
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(options: SecretBoxOptions) {
    if (options.secretKey.length === 0) throw new RangeError('SecretBox needs a non-empty secret key');
    const purpose = options.purpose ?? 'totp-secret';
    this.#key = Buffer.from(
      hkdfSync('sha256', options.secretKey, HKDF_SALT, `lockstep/${purpose}/${VERSION}`, KEY_BYTES),
    );
  }

  seal(plaintext: string, associatedData = ''): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, iv, tag, data]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join(':');
  }

  /** @throws {SecretBoxError} when the value is malformed or does not authenticate. */
  open(sealed: string, associatedData = ''): string {
    const parts = sealed.split(':');
    if (parts.length !== 4 || parts[0] !== VERSION) {
      throw new SecretBoxError('format', `sealed value is not in the ${VERSION}:iv:tag:data format`);
    }
    const iv = decodePart(parts[1] ?? '', 'iv');
    const tag = decodePart(parts[2] ?? '', 'tag');
    const data = decodePart(parts[3] ?? '', 'data');
    if (iv.length !== IV_BYTES) throw new SecretBoxError('format', `sealed value has a ${iv.length}-byte iv`);
    if (tag.length !== TAG_BYTES)
      throw new SecretBoxError('format', `sealed value has a ${tag.length}-byte tag`);

    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw new SecretBoxError(
        'auth',
        'sealed value did not authenticate (tampered, other key, or other associated data)',
        { cause },
      );
    }
  }
}

function decodePart(part: string, what: string): Buffer {
  // Node's base64url decoder skips characters it does not know; accept only the canonical encoding, so one
  // stored value has exactly one spelling.
  const bytes = Buffer.from(part, 'base64url');
  if (!B64URL.test(part) || bytes.toString('base64url') !== part) {
    throw new SecretBoxError('format', `sealed value has a malformed ${what} part`);
  }
  return bytes;
}

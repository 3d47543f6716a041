/**
 * Time-based one-time passwords (RFC 6238) for two-step verification: SHA1, 6 digits, 30 s steps, at most
 * one step of clock drift either way, and replay protection by the last accepted time step.
 */
import { randomBytes } from 'node:crypto';
import { NobleCryptoPlugin, ScureBase32Plugin, TOTP } from 'otplib';
import type { Clock } from '../clock.ts';

const ALGORITHM = 'sha1';
const DIGITS = 6;
const PERIOD_S = 30;
/** One step either side: the previous, current and next code are accepted. */
const TOLERANCE_S = PERIOD_S;
const TOLERANCE_STEPS = TOLERANCE_S / PERIOD_S;
/** Anything longer is not a code; refuse before normalising so huge input costs nothing. */
const MAX_INPUT_CHARS = 64;
const SECRET_BYTES = 20;

export type TotpCheck =
  | { readonly ok: true; readonly step: number }
  | { readonly ok: false; readonly reason: 'format' | 'wrong' | 'replay' };

export interface TotpServiceOptions {
  readonly clock: Clock;
  /** Shown in the authenticator app next to the code, e.g. `Lockstep`. */
  readonly issuer: string;
}

/**
 * Creates TOTP secrets and checks codes against the injected clock.
 *
 * The caller stores `step` from every accepted check as `TwoFactorState.lastUsedStep` and passes it to
 * the next check: a code from that step or an earlier one is then refused as `replay`.
 *
 * @example
 * ```ts
 * const totp = new TotpService({ clock, issuer: 'Lockstep' });
 * const result = await totp.check(secret, userText, account.twoFactor.lastUsedStep);
 * if (result.ok) await saveLastUsedStep(account.id, result.step);
 * ```
 */
export class TotpService {
  readonly #clock: Clock;
  readonly #issuer: string;
  readonly #base32 = new ScureBase32Plugin();
  readonly #totp = new TOTP({
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: PERIOD_S,
    crypto: new NobleCryptoPlugin(),
    base32: this.#base32,
  });

  constructor(options: TotpServiceOptions) {
    assertUriPart(options.issuer, 'issuer');
    this.#clock = options.clock;
    this.#issuer = options.issuer;
  }

  /** A new random secret: 20 bytes from the CSPRNG, base32 (32 characters, no padding). */
  newSecret(): string {
    return this.#base32.encode(randomBytes(SECRET_BYTES), { padding: false });
  }

  /**
   * The `otpauth://` URI an authenticator app scans. Algorithm, digits and period are spelled out even
   * though they are the defaults, so no app has to guess. `label` names the account (no colon).
   */
  uri(secret: string, label: string): string {
    assertUriPart(label, 'label');
    const name = `${encodeURIComponent(this.#issuer)}:${encodeURIComponent(label)}`;
    const query = [
      `secret=${encodeURIComponent(secret)}`,
      `issuer=${encodeURIComponent(this.#issuer)}`,
      `algorithm=${ALGORITHM.toUpperCase()}`,
      `digits=${DIGITS}`,
      `period=${PERIOD_S}`,
    ].join('&');
    return `otpauth://totp/${name}?${query}`;
  }

  /** The code an authenticator shows right now (tests, demos). */
  currentCode(secret: string): Promise<string> {
    return this.#totp.generate({ secret, epoch: this.#epoch() });
  }

  /**
   * Checks a code typed by the user. Never throws for user input: anything that is not six digits
   * (spaces allowed, e.g. `123 456`) is `format`; a code that matches a step at or before
   * `lastUsedStep` is `replay`. Throws only for a bad stored secret or a corrupt `lastUsedStep`.
   */
  async check(secret: string, code: string, lastUsedStep: number | null): Promise<TotpCheck> {
    if (lastUsedStep !== null && !Number.isSafeInteger(lastUsedStep)) {
      throw new RangeError('lastUsedStep must be an integer time step or null');
    }
    const token = normaliseCode(code);
    if (token === null) return { ok: false, reason: 'format' };

    const epoch = this.#epoch();
    const currentStep = Math.floor(epoch / PERIOD_S);
    try {
      // A negative step excludes nothing (otplib rejects it); a step beyond the window excludes everything
      // (otplib throws for it), so only the replay check below can match then.
      const excludesAll = lastUsedStep !== null && lastUsedStep > currentStep + TOLERANCE_STEPS;
      if (!excludesAll) {
        const afterTimeStep = lastUsedStep !== null && lastUsedStep >= 0 ? lastUsedStep : undefined;
        const fresh = await this.#verify(secret, token, epoch, afterTimeStep);
        if (fresh.valid) return { ok: true, step: fresh.timeStep };
      }
      if (lastUsedStep === null) return { ok: false, reason: 'wrong' };
      // Valid once the restriction is lifted means it matched an already used step.
      const any = await this.#verify(secret, token, epoch, undefined);
      return any.valid ? { ok: false, reason: 'replay' } : { ok: false, reason: 'wrong' };
    } catch (error) {
      if (isTokenError(error)) return { ok: false, reason: 'format' };
      throw error;
    }
  }

  #verify(secret: string, token: string, epoch: number, afterTimeStep: number | undefined) {
    return this.#totp.verify(token, {
      secret,
      epoch,
      epochTolerance: TOLERANCE_S,
      ...(afterTimeStep === undefined ? {} : { afterTimeStep }),
    });
  }

  #epoch(): number {
    return Math.floor(this.#clock.now() / 1000);
  }
}

/** Six ASCII digits after Unicode normalisation (full-width digits count) and removing whitespace, or null. */
function normaliseCode(input: string): string | null {
  if (input.length > MAX_INPUT_CHARS) return null;
  const compact = input.normalize('NFKC').replace(/\s+/g, '');
  return /^[0-9]{6}$/.test(compact) ? compact : null;
}

/** otplib throws TokenLengthError / TokenFormatError (subclasses of TokenError) for a malformed token. */
function isTokenError(error: unknown): boolean {
  return error instanceof Error && /^Token(Length|Format)?Error$/.test(error.name);
}

function assertUriPart(value: string, what: string): void {
  if (value.length === 0 || value.includes(':')) {
    throw new RangeError(`TOTP ${what} must be non-empty and contain no colon`);
  }
}

import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';

export type ParsePhoneResult =
  | { readonly ok: true; readonly e164: string /** e.g. `+86 139 0013 9000` */; readonly shown: string }
  | { readonly ok: false; readonly reason: 'invalid' | 'needCountryCode' };

/** Phone numbers as people type them: digits with spaces, dashes, dots or brackets, maybe `+` or `00`. */
const TYPED = /^\+?[\d\s().-]{4,30}$/;

/**
 * Parses a typed phone number into E.164 with libphonenumber-js's full metadata (`/max`), so that a number
 * is accepted only when it can exist in its country's numbering plan, not just when its length is right.
 *
 * - `+<country code> ...` and `00<country code> ...` are read as international numbers.
 * - A national number (no `+`, no `00`) is read in the country of `nationalIn` (an E.164 number, e.g. the
 *   account's current phone) when one is given; without one it is refused with `needCountryCode`, because
 *   guessing the country could send a code to a stranger.
 *
 * @example parsePhone('139 0013 9000', { nationalIn: '+8613800138000' }) // { ok: true, e164: '+8613900139000', ... }
 */
export function parsePhone(text: string, options: { readonly nationalIn?: string } = {}): ParsePhoneResult {
  const typed = text.trim();
  if (!TYPED.test(typed)) return { ok: false, reason: 'invalid' };
  const international = typed.startsWith('+') ? typed : typed.startsWith('00') ? `+${typed.slice(2)}` : null;
  let parsed: ReturnType<typeof parsePhoneNumberFromString>;
  if (international !== null) {
    parsed = parsePhoneNumberFromString(international);
  } else {
    const home = options.nationalIn ? parsePhoneNumberFromString(options.nationalIn) : undefined;
    if (!home) return { ok: false, reason: 'needCountryCode' };
    parsed = parsePhoneNumberFromString(
      typed,
      home.country
        ? { defaultCountry: home.country as CountryCode }
        : { defaultCallingCode: home.countryCallingCode },
    );
  }
  if (!parsed?.isValid()) return { ok: false, reason: 'invalid' };
  return { ok: true, e164: parsed.number, shown: parsed.formatInternational() };
}

/** `+8613900139000` -> `+86 139 0013 9000`; other text is returned as it is. */
export function formatPhone(e164: string): string {
  return parsePhoneNumberFromString(e164)?.formatInternational() ?? e164;
}

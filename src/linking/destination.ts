import { parseEmail } from '../accounts/email-address.ts';
import { parsePhone } from '../accounts/phone-number.ts';
import type { DestinationResult } from '../core/results.ts';

/**
 * Reads what a user typed to find their account: an email address (validated, lower-cased) or a phone
 * number in international form (normalised to E.164). A national number without `+` is refused with
 * `needCountryCode`: nothing is known about the user yet, so there is no country to read it in.
 */
export function parseDestination(text: string): DestinationResult {
  const typed = text.trim();
  if (typed.includes('@')) {
    const email = parseEmail(typed);
    return email !== null
      ? { ok: true, destination: { kind: 'email', value: email } }
      : { ok: false, reason: 'invalid' };
  }
  const phone = parsePhone(typed);
  return phone.ok
    ? { ok: true, destination: { kind: 'phone', value: phone.e164 } }
    : { ok: false, reason: phone.reason };
}

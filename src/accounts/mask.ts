import { parsePhoneNumberFromString } from 'libphonenumber-js';

/** `+8613800138000` -> `+86 138****8000`: enough for the owner to recognise, too little to misuse. */
export function maskPhone(e164: string): string {
  const parsed = parsePhoneNumberFromString(e164);
  const country = parsed ? `+${parsed.countryCallingCode}` : e164.slice(0, 3);
  const national = parsed ? String(parsed.nationalNumber) : e164.slice(3);
  if (national.length <= 4) return `${country} ****`;
  const head = national.length >= 10 ? national.slice(0, 3) : national.slice(0, 1);
  return `${country} ${head}****${national.slice(-4)}`;
}

/** `user@example.com` -> `u***@example.com`. */
export function maskEmail(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  return `${local.slice(0, 1)}***@${domain}`;
}

import { decodeStored } from '../../src/engine/session-codec.ts';

/**
 * What a stored value says, as text: a session is stored compressed (`session-codec.ts`), so tests that
 * look for a secret in what reached the store, or read a session's JSON, look at its plain JSON instead
 * (without the update ids it carries; `null` when it carries nothing else). Any other value is returned as
 * it is.
 */
export function plainStored(value: string): string;
export function plainStored(value: string | null): string | null;
export function plainStored(value: string | null): string | null {
  if (value === null || !value.startsWith('~')) return value;
  return JSON.stringify(decodeStored(value).session);
}

/**
 * The JSON of the session a chat's session key holds; null when it holds none (no key, or only the update
 * ids of a chat whose task ended: see session-codec.ts).
 */
export function storedSessionJson(value: string | null): string | null {
  if (value === null) return null;
  const session = value.startsWith('~') ? decodeStored(value).session : JSON.parse(value);
  return session === null ? null : JSON.stringify(session);
}

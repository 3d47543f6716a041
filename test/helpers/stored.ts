import { decodeSession } from '../../src/engine/session-codec.ts';

/**
 * What a stored value says, as text: a session is stored compressed (`session-codec.ts`), so tests that
 * look for a secret in what reached the store, or read a session's JSON, look at its plain JSON instead.
 * Any other value is returned as it is.
 */
export function plainStored(value: string): string;
export function plainStored(value: string | null): string | null;
export function plainStored(value: string | null): string | null {
  if (value === null || !value.startsWith('~')) return value;
  return JSON.stringify(decodeSession(value));
}

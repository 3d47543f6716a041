/**
 * The custom ids of lockstep's buttons and forms: `ls1:<kind>:<token>` (a choice adds `:<index>`). The token
 * is the step's random, single-use token stored in the Kv (see `StepStore`); the id itself carries nothing
 * else, so a button cannot be forged into another step or another user's conversation.
 */
import { randomBytes } from 'node:crypto';

/** The version prefix; a new scheme gets a new prefix and old buttons are answered as stale. */
export const CUSTOM_ID_PREFIX = 'ls1';

/**
 * `c` picks a choice, `f` opens the form of a text or secret prompt, `m` is the submitted form, `dm` moves
 * the task to the user's direct messages.
 */
export type ComponentKind = 'c' | 'f' | 'm' | 'dm';

export interface ParsedCustomId {
  readonly kind: ComponentKind;
  readonly token: string;
  /** The choice's position among the prompt's choices (`c` only). */
  readonly index?: number;
}

const TOKEN = /^[A-Za-z0-9_-]{16}$/;
const KINDS: ReadonlySet<string> = new Set<ComponentKind>(['c', 'f', 'm', 'dm']);

/** A fresh step token: 12 random bytes, base64url (16 characters). */
export function newStepToken(): string {
  return randomBytes(12).toString('base64url');
}

/** @example customId('c', token, 2) // 'ls1:c:AbCdEfGhIjKlMnOp:2' */
export function customId(kind: ComponentKind, token: string, index?: number): string {
  return index === undefined
    ? `${CUSTOM_ID_PREFIX}:${kind}:${token}`
    : `${CUSTOM_ID_PREFIX}:${kind}:${token}:${index}`;
}

/** The parts of one of our custom ids, or null for anything we did not produce. */
export function parseCustomId(id: string): ParsedCustomId | null {
  const [prefix, kind, token, index, ...rest] = id.split(':');
  if (prefix !== CUSTOM_ID_PREFIX || kind === undefined || !KINDS.has(kind) || rest.length > 0) return null;
  if (token === undefined || !TOKEN.test(token)) return null;
  if (kind === 'c') {
    if (index === undefined || !/^\d{1,2}$/.test(index)) return null;
    return { kind, token, index: Number(index) };
  }
  if (index !== undefined) return null;
  return { kind: kind as ComponentKind, token };
}

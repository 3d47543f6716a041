/**
 * Checking a one-time code in one atomic step (one Lua script on Redis, so a check is one round trip): the
 * stored code is JSON `{ hash, to, expiresAt, wrong }` (the code service's format; `hash` is its HMAC, never
 * the code). Right: deleted (single use). Wrong: one try used, written back; the last try deletes it.
 * Expired: deleted. The caller computes the HMAC of what was typed (the key never reaches the store).
 */

export interface CodeAttempt {
  /** HMAC of the typed code, hex (the same function the stored `hash` was made with). */
  readonly hash: string;
  /** The destination the code must have been sent to. */
  readonly to: string;
  readonly now: number;
  /** Tries per code: the try that reaches it kills the code. */
  readonly maxWrong: number;
  /** A written-back code outlives its expiry by this much (so "expired" can still be told apart from "missing"). */
  readonly graceMs: number;
}

export type CodeCheck =
  | { readonly result: 'ok' | 'missing' | 'expired' | 'exhausted' }
  | { readonly result: 'wrong'; readonly remaining: number };

interface StoredCode {
  readonly hash: string;
  readonly to: string;
  readonly expiresAt: number;
  readonly wrong: number;
}

/** What a check decides for a stored value: the answer and what to write (null deletes, 'keep' leaves it). */
export function judgeCode(
  raw: string | null,
  attempt: CodeAttempt,
): { readonly check: CodeCheck; readonly write: { value: string; ttlMs: number } | null | 'keep' } {
  if (raw === null) return { check: { result: 'missing' }, write: 'keep' };
  let stored: StoredCode;
  try {
    stored = JSON.parse(raw) as StoredCode;
  } catch {
    return { check: { result: 'missing' }, write: 'keep' };
  }
  if (stored.expiresAt <= attempt.now) return { check: { result: 'expired' }, write: null };
  if (stored.to === attempt.to && equalHex(stored.hash, attempt.hash)) {
    return { check: { result: 'ok' }, write: null };
  }
  const wrong = (Number(stored.wrong) || 0) + 1;
  if (wrong >= attempt.maxWrong) return { check: { result: 'exhausted' }, write: null };
  return {
    check: { result: 'wrong', remaining: attempt.maxWrong - wrong },
    write: {
      value: JSON.stringify({ ...stored, wrong }),
      ttlMs: Math.max(1, stored.expiresAt - attempt.now + attempt.graceMs),
    },
  };
}

/** Compares two hex digests without an early exit. */
function equalHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * KEYS: code. ARGV: hash, to, now, max wrong, grace ms. Returns {result, remaining}. The written-back JSON
 * is built field by field (cjson would print a millisecond time in exponent form).
 */
export const CHECK_CODE_LUA = `
local raw = redis.call('GET', KEYS[1])
if not raw then return {'missing', 0} end
local ok, stored = pcall(cjson.decode, raw)
if not ok or type(stored) ~= 'table' then return {'missing', 0} end
local now = tonumber(ARGV[3])
local expiresAt = tonumber(stored.expiresAt) or 0
if expiresAt <= now then redis.call('DEL', KEYS[1]) return {'expired', 0} end
if stored.to == ARGV[2] and stored.hash == ARGV[1] then redis.call('DEL', KEYS[1]) return {'ok', 0} end
local wrong = (tonumber(stored.wrong) or 0) + 1
local max = tonumber(ARGV[4])
if wrong >= max then redis.call('DEL', KEYS[1]) return {'exhausted', 0} end
local out = '{"hash":' .. cjson.encode(stored.hash) .. ',"to":' .. cjson.encode(stored.to) ..
  ',"expiresAt":' .. string.format('%d', expiresAt) .. ',"wrong":' .. string.format('%d', wrong) .. '}'
redis.call('SET', KEYS[1], out, 'PX', math.max(1, expiresAt - now + tonumber(ARGV[5])))
return {'wrong', max - wrong}`;

/** The script's reply as a `CodeCheck`. */
export function codeCheckOf(reply: unknown): CodeCheck {
  const [result, remaining] = reply as [string, number];
  if (result === 'wrong') return { result, remaining: Number(remaining) };
  if (result === 'ok' || result === 'expired' || result === 'exhausted') return { result };
  return { result: 'missing' };
}

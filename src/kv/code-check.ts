/**
 * Checking a one-time code in one atomic step (one Lua script on Redis, so a check is one round trip). The
 * code service stores a code as `<hash> <expiresAt> <wrong>` (`formatStoredCode`): `hash` is its HMAC in
 * base64url, never the code, and binds subject, purpose and destination, so the destination need not be
 * kept beside it. An earlier version stored JSON `{ hash (hex), to, expiresAt, wrong }`, still read (codes
 * sent before an upgrade stay valid for their 10 minutes). Right: deleted (single use). Wrong: one try used, written back in the
 * form it was read in; the last try deletes it. Expired: deleted. The caller computes the HMAC of what was
 * typed (the key never reaches the store).
 */

export interface CodeAttempt {
  /** HMAC of the typed code, base64url (the same function the stored `hash` was made with). */
  readonly hash: string;
  /** The same HMAC in hex, for a code an earlier version stored as JSON. */
  readonly hexHash: string;
  /** The destination the code must have been sent to (checked against an earlier version's JSON). */
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

export interface StoredCode {
  /** HMAC of the code, base64url. */
  readonly hash: string;
  readonly expiresAt: number;
  readonly wrong: number;
}

/** An earlier version's stored code. */
interface JsonCode {
  readonly hash: string;
  readonly to: string;
  readonly expiresAt: number;
  readonly wrong: number;
}

/** The stored text of a code: ~50 B less in Redis than the JSON an earlier version wrote. */
export function formatStoredCode(code: StoredCode): string {
  return `${code.hash} ${Math.floor(code.expiresAt)} ${Math.floor(code.wrong)}`;
}

const STORED_CODE = /^(\S+) (\d+) (\d+)$/;

/** A stored code of either form, with what a check needs; null when the text is neither. */
function readStoredCode(
  raw: string,
  attempt: CodeAttempt,
): {
  readonly right: boolean;
  readonly expiresAt: number;
  readonly wrong: number;
  readonly rewrite: (wrong: number) => string;
} | null {
  const compact = STORED_CODE.exec(raw);
  if (compact) {
    const [, hash = '', expiresAt = '0', wrong = '0'] = compact;
    return {
      right: equalText(hash, attempt.hash),
      expiresAt: Number(expiresAt),
      wrong: Number(wrong),
      rewrite: (n) => formatStoredCode({ hash, expiresAt: Number(expiresAt), wrong: n }),
    };
  }
  let stored: JsonCode;
  try {
    stored = JSON.parse(raw) as JsonCode;
  } catch {
    return null;
  }
  if (typeof stored !== 'object' || stored === null) return null;
  return {
    right: stored.to === attempt.to && equalText(String(stored.hash), attempt.hexHash),
    expiresAt: Number(stored.expiresAt) || 0,
    wrong: Number(stored.wrong) || 0,
    rewrite: (n) => JSON.stringify({ ...stored, wrong: n }),
  };
}

/** What a check decides for a stored value: the answer and what to write (null deletes, 'keep' leaves it). */
export function judgeCode(
  raw: string | null,
  attempt: CodeAttempt,
): { readonly check: CodeCheck; readonly write: { value: string; ttlMs: number } | null | 'keep' } {
  if (raw === null) return { check: { result: 'missing' }, write: 'keep' };
  const stored = readStoredCode(raw, attempt);
  if (stored === null) return { check: { result: 'missing' }, write: 'keep' };
  if (stored.expiresAt <= attempt.now) return { check: { result: 'expired' }, write: null };
  if (stored.right) return { check: { result: 'ok' }, write: null };
  const wrong = stored.wrong + 1;
  if (wrong >= attempt.maxWrong) return { check: { result: 'exhausted' }, write: null };
  return {
    check: { result: 'wrong', remaining: attempt.maxWrong - wrong },
    write: {
      value: stored.rewrite(wrong),
      ttlMs: Math.max(1, stored.expiresAt - attempt.now + attempt.graceMs),
    },
  };
}

/** Compares two digests (as text) without an early exit. */
function equalText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * KEYS: code. ARGV: hash (base64url), to, now, max wrong, grace ms, hash (hex). Returns {result, remaining}.
 * The same rules as `judgeCode`. An earlier version's JSON is written back field by field (cjson would print
 * a millisecond time in exponent form).
 */
export const CHECK_CODE_LUA = `
local raw = redis.call('GET', KEYS[1])
if not raw then return {'missing', 0} end
local now = tonumber(ARGV[3])
local max = tonumber(ARGV[4])
local hash, expiresAt, wrong = string.match(raw, '^(%S+) (%d+) (%d+)$')
local right, out
if hash then
  expiresAt = tonumber(expiresAt)
  right = hash == ARGV[1]
  wrong = tonumber(wrong) + 1
  out = hash .. ' ' .. string.format('%d', expiresAt) .. ' ' .. string.format('%d', wrong)
else
  local ok, stored = pcall(cjson.decode, raw)
  if not ok or type(stored) ~= 'table' then return {'missing', 0} end
  expiresAt = tonumber(stored.expiresAt) or 0
  right = stored.to == ARGV[2] and stored.hash == ARGV[6]
  wrong = (tonumber(stored.wrong) or 0) + 1
  out = '{"hash":' .. cjson.encode(stored.hash) .. ',"to":' .. cjson.encode(stored.to) ..
    ',"expiresAt":' .. string.format('%d', expiresAt) .. ',"wrong":' .. string.format('%d', wrong) .. '}'
end
if expiresAt <= now then redis.call('DEL', KEYS[1]) return {'expired', 0} end
if right then redis.call('DEL', KEYS[1]) return {'ok', 0} end
if wrong >= max then redis.call('DEL', KEYS[1]) return {'exhausted', 0} end
redis.call('SET', KEYS[1], out, 'PX', math.max(1, expiresAt - now + tonumber(ARGV[5])))
return {'wrong', max - wrong}`;

/** The script's reply as a `CodeCheck`. */
export function codeCheckOf(reply: unknown): CodeCheck {
  const [result, remaining] = reply as [string, number];
  if (result === 'wrong') return { result, remaining: Number(remaining) };
  if (result === 'ok' || result === 'expired' || result === 'exhausted') return { result };
  return { result: 'missing' };
}

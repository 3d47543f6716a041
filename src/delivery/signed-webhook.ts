/**
 * Signed outgoing webhooks, shared by the SMS gateway webhook and the support webhook: the signature
 * (HMAC-SHA256 over `"<timestamp>.<body>"`), its check for receivers (one or several secrets, so a secret
 * can be rotated without a gap), `Retry-After` parsing, and one signed POST attempt.
 *
 * Headers of a signed request:
 * - `x-lockstep-timestamp`: Unix seconds, fresh on every attempt;
 * - `x-lockstep-signature`: `sha256=<hex>`, or during a rotation one value per sending secret, comma
 *   separated (`sha256=<new>,sha256=<old>`): a receiver accepts the request when any of them matches any
 *   secret it holds;
 * - `idempotency-key`: the delivery id, the same on every retry.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE_PREFIX = 'sha256=';

/** Computes one signature value: `sha256=` + hex HMAC-SHA256(secretKey, `${timestamp}.${body}`). */
export function signWebhook(secretKey: string, timestamp: string | number, body: string): string {
  const mac = createHmac('sha256', secretKey).update(`${timestamp}.${body}`, 'utf8').digest('hex');
  return `${SIGNATURE_PREFIX}${mac}`;
}

/** The `x-lockstep-signature` header for one or more sending secrets (the newest first). */
export function signatureHeader(
  secrets: string | readonly string[],
  timestamp: string | number,
  body: string,
): string {
  return [secrets]
    .flat()
    .map((secret) => signWebhook(secret, timestamp, body))
    .join(',');
}

/**
 * Checks a webhook request from lockstep, for receivers (and tests). Pass the raw body exactly as
 * received (before any JSON parsing) and the `x-lockstep-timestamp` and `x-lockstep-signature` headers.
 * `secretKey` may be a list (the new and the old secret while one is rotated): the request passes when a
 * signature in the header matches one of them. Comparisons take constant time. Unless `toleranceSeconds`
 * is `Infinity`, the timestamp must also be within `toleranceSeconds` (default 300) of `nowMs`, so a
 * captured request cannot be replayed later.
 *
 * @example
 * if (!verifyWebhookSignature([newSecret, oldSecret], req.headers['x-lockstep-timestamp'], rawBody,
 *     req.headers['x-lockstep-signature'])) return res.writeHead(401).end();
 */
export function verifyWebhookSignature(
  secretKey: string | readonly string[],
  timestamp: string | number | undefined,
  body: string,
  header: string | undefined,
  options: { readonly nowMs?: number; readonly toleranceSeconds?: number } = {},
): boolean {
  if (timestamp === undefined || header === undefined) return false;
  const seconds = Number(timestamp);
  if (!/^\d{1,12}$/.test(String(timestamp)) || !Number.isSafeInteger(seconds)) return false;
  const tolerance = options.toleranceSeconds ?? 300;
  if (tolerance !== Number.POSITIVE_INFINITY) {
    const now = (options.nowMs ?? Date.now()) / 1000;
    if (Math.abs(now - seconds) > tolerance) return false;
  }
  const given = header
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(SIGNATURE_PREFIX))
    .slice(0, 4)
    .map((part) => Buffer.from(part, 'utf8'));
  if (given.length === 0) return false;
  let ok = false;
  for (const secret of [secretKey].flat()) {
    if (secret.length === 0) continue;
    const expected = Buffer.from(signWebhook(secret, String(timestamp), body), 'utf8');
    for (const value of given) {
      // Every pair is compared (no early exit), so the time taken does not tell which one matched.
      if (value.length === expected.length && timingSafeEqual(value, expected)) ok = true;
    }
  }
  return ok;
}

/** `Retry-After` as delay-seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** The result of one signed POST. */
export type SignedPostResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** Worth another attempt: a network error, a timeout, 429 or 5xx. */
      readonly retry: boolean;
      /** For logs: `HTTP 503`, `timeout`, `network error`. */
      readonly reason: string;
      readonly retryAfterMs?: number;
      readonly cause?: unknown;
    };

/**
 * One signed POST of `body` (JSON) to `url`: a fresh timestamp, the signature of every secret, the
 * delivery id as `idempotency-key`. Redirects are not followed; the answer's body is not read.
 */
export async function postSigned(request: {
  readonly url: string;
  readonly secrets: string | readonly string[];
  readonly id: string;
  readonly body: string;
  readonly nowMs: number;
  readonly timeoutMs: number;
  readonly headers?: Readonly<Record<string, string>>;
}): Promise<SignedPostResult> {
  const timestamp = String(Math.floor(request.nowMs / 1000));
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...request.headers,
        'x-lockstep-timestamp': timestamp,
        'x-lockstep-signature': signatureHeader(request.secrets, timestamp, request.body),
        'idempotency-key': request.id,
      },
      body: request.body,
      // The body may hold what should reach only this receiver: never let a redirect carry it elsewhere.
      redirect: 'manual',
      signal: AbortSignal.timeout(request.timeoutMs),
    });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    return { ok: false, retry: true, reason: timedOut ? 'timeout' : 'network error', cause: error };
  }
  // The answer is not needed; release the connection without reading what the receiver sent.
  await response.body?.cancel().catch(() => {});
  if (response.status >= 200 && response.status < 300) return { ok: true };
  const retry = response.status === 429 || response.status >= 500;
  const retryAfterMs = retry
    ? parseRetryAfter(response.headers.get('retry-after'), request.nowMs)
    : undefined;
  return {
    ok: false,
    retry,
    reason: `HTTP ${response.status}`,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}

/**
 * Console sessions, kept server-side (Redis through the `Kv` port) with an expiry: the browser holds only
 * a random session id in an HttpOnly cookie, never the API key. The store keys sessions by the id's
 * SHA-256, keeps the API key's id (not the key), and a CSRF token tied to the session. Each request looks
 * the key up again, so a revoked key ends its sessions at once and scope changes apply immediately.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../clock.ts';
import type { Kv } from '../../kv/kv.ts';

export interface ConsoleSession {
  readonly keyId: string;
  /** The synchronizer token every form of this session carries. */
  readonly csrf: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** Default session life: 8 hours from sign-in. */
export const DEFAULT_SESSION_MS = 8 * 60 * 60_000;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison of two tokens (false for any missing or malformed one). */
export function sameToken(a: unknown, b: unknown): boolean {
  if (typeof a !== 'string' || typeof b !== 'string' || a.length === 0 || a.length > 200) return false;
  const left = Buffer.from(sha256(a), 'hex');
  const right = Buffer.from(sha256(b), 'hex');
  return timingSafeEqual(left, right);
}

export class ConsoleSessionStore {
  constructor(
    private readonly kv: Kv,
    private readonly clock: Clock,
    private readonly prefix = 'ls:',
    readonly lifetimeMs = DEFAULT_SESSION_MS,
  ) {}

  private key(id: string): string {
    return `${this.prefix}support:console-session:${sha256(id)}`;
  }

  /** Starts a session for a key; the returned id goes into the cookie and nowhere else. */
  async create(keyId: string): Promise<{ readonly id: string; readonly session: ConsoleSession }> {
    const id = newToken();
    const now = this.clock.now();
    const session: ConsoleSession = {
      keyId,
      csrf: newToken(),
      createdAt: now,
      expiresAt: now + this.lifetimeMs,
    };
    await this.kv.set(this.key(id), JSON.stringify(session), this.lifetimeMs);
    return { id, session };
  }

  async get(id: string | undefined): Promise<ConsoleSession | null> {
    if (!id || !SESSION_ID.test(id)) return null;
    const stored = await this.kv.get(this.key(id));
    if (stored === null) return null;
    const session = JSON.parse(stored) as ConsoleSession;
    return this.clock.now() < session.expiresAt ? session : null;
  }

  async end(id: string | undefined): Promise<void> {
    if (id && SESSION_ID.test(id)) await this.kv.del(this.key(id));
  }
}

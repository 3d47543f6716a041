/**
 * API keys of the support team: made, listed and revoked with the admin CLI, kept only as a SHA-256 hash
 * (a key is 256 random bits, so a fast hash is enough: nothing to guess), each with a name (who holds it,
 * recorded in the audit log) and scopes.
 *
 * A key reads `lsk_<id>_<secret>`: the id finds the record in one read, the secret is compared in
 * constant time against its hash.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Kv } from '../kv/kv.ts';

export const SCOPES = ['handoff:write', 'handoff:read', 'escalation:read', 'escalation:write'] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** What is stored about a key; never the key. */
export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
  /** Hex SHA-256 of the secret part. */
  readonly hash: string;
  readonly createdAt: number;
  readonly revokedAt?: number;
}

/** A key as listed: no hash. */
export interface ApiKeyView {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
  readonly createdAt: string;
  readonly revokedAt?: string;
}

/** Who did an agent action: the key's id and name. */
export interface ApiKeyIdentity {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
}

const KEY_FORMAT = /^lsk_([a-f0-9]{16})_([A-Za-z0-9_-]{43})$/;
/** How many keys `list` reads at most. */
const LIST_MAX = 1000;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export function viewOf(record: ApiKeyRecord): ApiKeyView {
  return {
    id: record.id,
    name: record.name,
    scopes: record.scopes,
    createdAt: new Date(record.createdAt).toISOString(),
    ...(record.revokedAt === undefined ? {} : { revokedAt: new Date(record.revokedAt).toISOString() }),
  };
}

export class ApiKeyStore {
  constructor(
    private readonly kv: Kv,
    private readonly clock: Clock,
    private readonly prefix = 'ls:',
  ) {}

  private key(id: string): string {
    return `${this.prefix}support:apikey:${id}`;
  }

  private get indexKey(): string {
    return `${this.prefix}support:apikeys`;
  }

  /** Makes a key; the returned `key` is the only time it is ever seen. */
  async create(name: string, scopes: readonly Scope[]): Promise<{ key: string; record: ApiKeyRecord }> {
    const trimmed = name.trim();
    if (trimmed.length === 0 || trimmed.length > 64) throw new RangeError('a key name has 1-64 characters');
    if (scopes.length === 0) throw new RangeError('a key needs at least one scope');
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const record: ApiKeyRecord = {
      id,
      name: trimmed,
      scopes: [...new Set(scopes)],
      hash: sha256(secret),
      createdAt: this.clock.now(),
    };
    await this.kv.set(this.key(id), JSON.stringify(record));
    await this.kv.append(this.indexKey, id);
    return { key: `lsk_${id}_${secret}`, record };
  }

  async get(id: string): Promise<ApiKeyRecord | null> {
    if (!/^[a-f0-9]{16}$/.test(id)) return null;
    const raw = await this.kv.get(this.key(id));
    return raw === null ? null : (JSON.parse(raw) as ApiKeyRecord);
  }

  /** Every key, newest first (revoked ones too, marked). */
  async list(): Promise<ApiKeyRecord[]> {
    const ids = [...new Set(await this.kv.tail(this.indexKey, LIST_MAX))].reverse();
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return records.filter((record): record is ApiKeyRecord => record !== null);
  }

  /** Revokes a key: it stops working at once. False when there is no such key. */
  async revoke(id: string): Promise<ApiKeyRecord | null> {
    for (let round = 0; round < 10; round += 1) {
      const raw = await this.kv.get(this.key(id));
      if (raw === null) return null;
      const record = JSON.parse(raw) as ApiKeyRecord;
      if (record.revokedAt !== undefined) return record;
      const next: ApiKeyRecord = { ...record, revokedAt: this.clock.now() };
      if (await this.kv.compareAndSet(this.key(id), raw, JSON.stringify(next))) return next;
    }
    throw new Error('the key kept changing while it was revoked');
  }

  /** The key's identity when `presented` is a live key; null otherwise (unknown, malformed, revoked). */
  async authenticate(presented: string): Promise<ApiKeyIdentity | null> {
    const match = KEY_FORMAT.exec(presented);
    if (!match) return null;
    const record = await this.get(match[1] ?? '');
    if (!record || record.revokedAt !== undefined) return null;
    const given = Buffer.from(sha256(match[2] ?? ''), 'hex');
    const stored = Buffer.from(record.hash, 'hex');
    if (given.length !== stored.length || !timingSafeEqual(given, stored)) return null;
    return { id: record.id, name: record.name, scopes: record.scopes };
  }
}

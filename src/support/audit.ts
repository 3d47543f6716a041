/**
 * The support audit log: every handoff, escalation and agent action, with who did it (the API key's id
 * and name, the bot, or an operator at the CLI). Append-only (one Redis list); read with
 * `npm run admin -- audit list`. Entries never hold a secret: ids, flows, statuses, masked values.
 */
import type { Clock } from '../clock.ts';
import type { Kv } from '../kv/kv.ts';

/** Who did it. */
export type AuditActor =
  | { readonly kind: 'key'; readonly id: string; readonly name: string }
  | { readonly kind: 'bot' }
  | { readonly kind: 'admin' }
  | { readonly kind: 'system' };

export interface AuditEntry {
  readonly at: number;
  readonly actor: AuditActor;
  /** e.g. `handoff.created`, `handoff.opened`, `escalation.resolved`, `apikey.created`, `auth.denied`. */
  readonly action: string;
  /** What it was about: `hof_...`, `esc_...`, a key id. */
  readonly target?: string;
  readonly detail?: Readonly<Record<string, string | number | boolean | null>>;
}

/** How many entries `list` can return at most. */
const READ_MAX = 10_000;

export class AuditLog {
  constructor(
    private readonly kv: Kv,
    private readonly clock: Clock,
    private readonly prefix = 'ls:',
  ) {}

  private get key(): string {
    return `${this.prefix}support:audit`;
  }

  async record(entry: Omit<AuditEntry, 'at'> & { readonly at?: number }): Promise<void> {
    const full: AuditEntry = { ...entry, at: entry.at ?? this.clock.now() };
    await this.kv.append(this.key, JSON.stringify(full));
  }

  /** The latest `limit` entries, newest first; optionally only those about `target`. */
  async list(options: { readonly limit?: number; readonly target?: string } = {}): Promise<AuditEntry[]> {
    const limit = Math.max(1, Math.min(options.limit ?? 100, READ_MAX));
    const raw = await this.kv.tail(this.key, options.target ? READ_MAX : limit);
    const entries = raw.map((line) => JSON.parse(line) as AuditEntry).reverse();
    return (options.target ? entries.filter((entry) => entry.target === options.target) : entries).slice(
      0,
      limit,
    );
  }
}

/** The actor of an API key. */
export function keyActor(key: { readonly id: string; readonly name: string }): AuditActor {
  return { kind: 'key', id: key.id, name: key.name };
}

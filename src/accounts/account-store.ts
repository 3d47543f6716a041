import { randomBytes } from 'node:crypto';
import type { Channel } from '../core/conversation.ts';
import type { Kv } from '../kv/kv.ts';
import { readOnce, wrote } from '../kv/read-scope.ts';
import { type Account, NO_TWO_FACTOR, type SecurityEvent } from './account.ts';

export type CreateAccountResult =
  | { readonly ok: true; readonly account: Account }
  | { readonly ok: false; readonly reason: 'phoneTaken' | 'emailTaken' | 'idTaken' };

export type IndexChangeResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'taken' | 'noAccount' };

export type LinkResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'linkedElsewhere' | 'noAccount' };

/** An account as read, with the exact stored text (for a compare-and-set against it). */
export interface LoadedAccount {
  readonly account: Account;
  readonly raw: string;
}

export interface NewAccount {
  readonly id?: string;
  readonly phone: string;
  readonly email: string | null;
  readonly passwordHash: string;
  readonly now: number;
}

/**
 * Accounts with unique phone, email and chat-identity indexes, and their append-only security log,
 * on any `Kv` (Redis in production, memory for the demo and tests). Every write is a compare-and-set,
 * so concurrent processes never lose each other's updates.
 */
export class AccountStore {
  constructor(
    private readonly kv: Kv,
    private readonly prefix = 'ls:',
  ) {}

  private accountKey(id: string): string {
    return `${this.prefix}{acct:${id}}:account`;
  }
  private eventsKey(id: string): string {
    return `${this.prefix}{acct:${id}}:events`;
  }
  private phoneKey(phone: string): string {
    return `${this.prefix}idx:phone:${phone}`;
  }
  private emailKey(email: string): string {
    return `${this.prefix}idx:email:${email.toLowerCase()}`;
  }
  private linkKey(channel: Channel, userId: string): string {
    return `${this.prefix}idx:link:${channel}:${userId}`;
  }

  /** The storage key of an account (the engine reads it with a turn's frame; tests inspect what is at rest). */
  rawKey(id: string): string {
    return this.accountKey(id);
  }

  /** Reads a key of this store once per turn (`withReadScope`). */
  private read(key: string): Promise<string | null> {
    return readOnce(key, () => this.kv.get(key));
  }

  /** `Kv.compareAndSet`, keeping the turn's read scope true to what was written. */
  private async cas(key: string, expected: string | null, value: string | null): Promise<boolean> {
    try {
      const written = await this.kv.compareAndSet(key, expected, value);
      wrote(key, written ? value : undefined);
      return written;
    } catch (error) {
      wrote(key);
      throw error;
    }
  }

  /**
   * `Kv.deleteIfEquals`, keeping the turn's read scope true. `withCommit`: the entry is released with the
   * turn's commit (a read of it in the turn sends it first).
   */
  private async deleteIfEquals(key: string, value: string, withCommit = false): Promise<void> {
    try {
      await this.kv.deleteIfEquals(key, value, { withCommit });
    } finally {
      wrote(key);
    }
  }

  static newId(): string {
    return `acc_${randomBytes(6).toString('hex')}`;
  }

  async create(input: NewAccount): Promise<CreateAccountResult> {
    const id = input.id ?? AccountStore.newId();
    const email = input.email?.toLowerCase() ?? null;
    const account: Account = {
      id,
      phone: input.phone,
      email,
      passwordHash: input.passwordHash,
      twoFactor: NO_TWO_FACTOR,
      links: [],
      sessions: [],
      createdAt: input.now,
      passwordChangedAt: null,
    };
    const forever = 0;
    if (!(await this.claim(this.phoneKey(account.phone), id, forever)))
      return { ok: false, reason: 'phoneTaken' };
    if (email !== null && !(await this.claim(this.emailKey(email), id, forever))) {
      await this.deleteIfEquals(this.phoneKey(account.phone), id);
      return { ok: false, reason: 'emailTaken' };
    }
    if (!(await this.cas(this.accountKey(id), null, JSON.stringify(account)))) {
      await this.deleteIfEquals(this.phoneKey(account.phone), id);
      if (email !== null) await this.deleteIfEquals(this.emailKey(email), id);
      return { ok: false, reason: 'idTaken' };
    }
    await this.appendEvent(id, { at: input.now, type: 'account.created', channel: 'admin' });
    return { ok: true, account };
  }

  /** Index entries never expire; `compareAndSet` from null is an atomic "claim if free". */
  private claim(key: string, id: string, _ttl: number): Promise<boolean> {
    return this.cas(key, null, id);
  }

  async get(id: string): Promise<Account | null> {
    return (await this.load(id))?.account ?? null;
  }

  /**
   * The account with the exact stored text: hand it to `update`/`changePhone`/`changeEmail` as `known`
   * when the caller has just read it, and they write with a compare-and-set against it instead of
   * reading again (a change in between makes that write fail, and they read afresh and retry).
   */
  async load(id: string): Promise<LoadedAccount | null> {
    const raw = await this.read(this.accountKey(id));
    return raw === null ? null : { account: JSON.parse(raw) as Account, raw };
  }

  /** The account of an id that must exist (a signed-in flow's); throws `account not found` otherwise. */
  async require(id: string): Promise<Account> {
    const account = await this.get(id);
    if (!account) throw new Error('account not found');
    return account;
  }

  async findByPhone(phone: string): Promise<Account | null> {
    const id = await this.read(this.phoneKey(phone));
    return id === null ? null : this.get(id);
  }

  async findByEmail(email: string): Promise<Account | null> {
    const id = await this.read(this.emailKey(email));
    return id === null ? null : this.get(id);
  }

  /** The key `linkedId` reads (so the engine can read it with a turn's frame, in the same round trip). */
  linkedIdKey(channel: Channel, userId: string): string {
    return this.linkKey(channel, userId);
  }

  /** The id of the account a chat identity is linked to: one read, for the engine's every turn. */
  linkedId(channel: Channel, userId: string): Promise<string | null> {
    return this.read(this.linkKey(channel, userId));
  }

  async findByLink(channel: Channel, userId: string): Promise<Account | null> {
    const id = await this.linkedId(channel, userId);
    return id === null ? null : this.get(id);
  }

  /** Looks an account up by id, E.164 phone or email. */
  async find(ref: string): Promise<Account | null> {
    if (ref.startsWith('acc_')) return this.get(ref);
    if (ref.startsWith('+')) return this.findByPhone(ref);
    if (ref.includes('@')) return this.findByEmail(ref);
    return this.get(ref);
  }

  /**
   * Applies `change` atomically: re-reads and retries when another writer got there first.
   * Returns the updated account, or null when it does not exist. Phone, email and links have their own
   * methods because they move index entries too.
   */
  async update(
    id: string,
    change: (account: Account) => Account,
    known?: LoadedAccount,
  ): Promise<Account | null> {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      // The first try may start from what the caller read a moment ago; the compare-and-set guards it.
      const loaded = attempt === 0 && known ? known : await this.load(id);
      if (loaded === null) return null;
      const next = change(loaded.account);
      if (await this.cas(this.accountKey(id), loaded.raw, JSON.stringify(next))) return next;
    }
    throw new Error(`account ${id} is being updated too often to apply a change`);
  }

  /** `known`: the account as the caller just loaded it (saves reading it again; see `load`). */
  async changePhone(id: string, phone: string, known?: LoadedAccount): Promise<IndexChangeResult> {
    const loaded = known ?? (await this.load(id));
    if (!loaded) return { ok: false, reason: 'noAccount' };
    const current = loaded.account;
    if (current.phone === phone) return { ok: true };
    if (!(await this.claim(this.phoneKey(phone), id, 0))) return { ok: false, reason: 'taken' };
    // The old number's index entry goes with the phone the write replaced (which may not be `current`'s
    // if another change got in between).
    let replaced = current.phone;
    await this.update(
      id,
      (account) => {
        replaced = account.phone;
        return { ...account, phone };
      },
      loaded,
    );
    // The old number is free once the account no longer names it; nobody needs that before the commit.
    if (replaced !== phone) await this.deleteIfEquals(this.phoneKey(replaced), id, true);
    return { ok: true };
  }

  async changeEmail(id: string, email: string | null): Promise<IndexChangeResult> {
    const current = await this.get(id);
    if (!current) return { ok: false, reason: 'noAccount' };
    const normalised = email?.toLowerCase() ?? null;
    if (current.email === normalised) return { ok: true };
    if (normalised !== null && !(await this.claim(this.emailKey(normalised), id, 0))) {
      return { ok: false, reason: 'taken' };
    }
    await this.update(id, (account) => ({ ...account, email: normalised }));
    if (current.email !== null) await this.deleteIfEquals(this.emailKey(current.email), id);
    return { ok: true };
  }

  /** Links a chat identity; one identity belongs to at most one account, an account may have several. */
  async link(id: string, channel: Channel, userId: string, now: number): Promise<LinkResult> {
    if (!(await this.get(id))) return { ok: false, reason: 'noAccount' };
    const key = this.linkKey(channel, userId);
    const owner = await this.read(key);
    if (owner !== null && owner !== id) return { ok: false, reason: 'linkedElsewhere' };
    if (owner === null && !(await this.claim(key, id, 0))) return { ok: false, reason: 'linkedElsewhere' };
    await this.update(id, (account) =>
      account.links.some((l) => l.channel === channel && l.userId === userId)
        ? account
        : { ...account, links: [...account.links, { channel, userId, linkedAt: now }] },
    );
    return { ok: true };
  }

  async unlink(channel: Channel, userId: string): Promise<string | null> {
    const key = this.linkKey(channel, userId);
    const id = await this.read(key);
    if (id === null) return null;
    await this.update(id, (account) => ({
      ...account,
      links: account.links.filter((l) => !(l.channel === channel && l.userId === userId)),
    }));
    await this.deleteIfEquals(key, id);
    return id;
  }

  async appendEvent(id: string, event: SecurityEvent): Promise<void> {
    await this.kv.append(this.eventsKey(id), JSON.stringify(event));
  }

  /** The most recent `limit` events, newest first. */
  async events(id: string, limit = 50): Promise<SecurityEvent[]> {
    const raw = await this.kv.tail(this.eventsKey(id), limit);
    return raw.map((line) => JSON.parse(line) as SecurityEvent).reverse();
  }
}

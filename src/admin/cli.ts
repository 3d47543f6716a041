/**
 * The operators' command line: `npm run admin -- account create --phone ... --email ... --password ...`.
 * Works on the store named by REDIS_URL. Prints JSON without secrets. Bad arguments: usage, exit 2.
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { type Account, publicView } from '../accounts/account.ts';
import { AccountStore } from '../accounts/account-store.ts';
import { parseEmail } from '../accounts/email-address.ts';
import { checkPasswordPolicy } from '../accounts/password-policy.ts';
import { parsePhone } from '../accounts/phone-number.ts';
import { systemClock } from '../clock.ts';
import { parseConfig } from '../config.ts';
import { OutboxDelivery } from '../delivery/outbox.ts';
import type { Channel } from '../engine/input.ts';
import { RedisKv } from '../kv/redis-kv.ts';
import { createLogger } from '../log.ts';
import { createServices, type Services } from '../services.ts';
import { ApiKeyStore, isScope, SCOPES, type Scope, viewOf } from '../support/api-keys.ts';
import { AuditLog } from '../support/audit.ts';

export const USAGE = `usage: npm run admin -- <command>

  account create --phone <E.164> [--email <address>] --password <password>
  account show <id|phone|email>
  account link <id> (--telegram <userId> | --discord <userId> | --console)
  account unlink (--telegram <userId> | --discord <userId> | --console)
  account sessions <id>
  account events <id> [--limit <n>]
  apikey create --name <name> --scopes <scope,scope,...>   (prints the key once)
  apikey list
  apikey revoke <id>
  audit list [--limit <n>] [--target <hof_...|esc_...|key id>]

Scopes: handoff:write, handoff:read, escalation:read, escalation:write.
Needs REDIS_URL (and SECRET_KEY). Output is JSON and never holds a secret.`;

/** A problem with the arguments: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A well-formed request that cannot be carried out (unknown account, taken phone): exit code 1. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}

/** A phone number in international form (no country is assumed), as E.164. */
export function normalisePhone(raw: string): string {
  const parsed = parsePhone(raw);
  if (!parsed.ok)
    throw new UsageError(`--phone: "${raw}" is not a valid international number (e.g. +8613800138000)`);
  return parsed.e164;
}

function identity(values: { telegram?: string; discord?: string; console?: boolean }): {
  channel: Channel;
  userId: string;
} {
  const given = [values.telegram !== undefined, values.discord !== undefined, values.console === true].filter(
    Boolean,
  );
  if (given.length !== 1)
    throw new UsageError('give exactly one of --telegram <userId>, --discord <userId>, --console');
  if (values.telegram !== undefined) {
    if (!/^\d{1,20}$/.test(values.telegram))
      throw new UsageError('--telegram: a Telegram user id is a number');
    return { channel: 'telegram', userId: values.telegram };
  }
  if (values.discord !== undefined) {
    if (!/^\d{5,25}$/.test(values.discord))
      throw new UsageError('--discord: a Discord user id is a number (snowflake)');
    return { channel: 'discord', userId: values.discord };
  }
  return { channel: 'console', userId: 'console' };
}

async function mustFind(services: Services, ref: string | undefined): Promise<Account> {
  if (!ref) throw new UsageError('an account id, phone or email is required');
  const account = await services.accounts.find(ref.startsWith('+') ? normalisePhone(ref) : ref);
  if (!account) throw new CommandError(`no account matches "${ref}"`);
  return account;
}

/** `apikey ...` and `audit ...`: the support team's keys and the audit log. */
async function runSupportAdmin(
  group: 'apikey' | 'audit',
  command: string,
  rest: readonly string[],
  services: Services,
): Promise<unknown> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...rest],
      allowPositionals: true,
      strict: true,
      options: {
        name: { type: 'string' },
        scopes: { type: 'string' },
        limit: { type: 'string' },
        target: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : 'bad arguments');
  }
  const values = parsed.values as Record<string, string | undefined>;
  const prefix = services.options.prefix ?? 'ls:';
  const keys = new ApiKeyStore(services.kv, services.clock, prefix);
  const audit = new AuditLog(services.kv, services.clock, prefix);
  if (group === 'audit') {
    if (command !== 'list') throw new UsageError(`unknown command "audit ${command}"`);
    const limit = values.limit === undefined ? 100 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
      throw new UsageError('--limit must be 1-10000');
    const entries = await audit.list({ limit, ...(values.target ? { target: values.target } : {}) });
    return entries.map((entry) => ({
      ...entry,
      at: new Date(entry.at).toISOString(),
      by: entry.actor.kind === 'key' ? `key ${entry.actor.name} (${entry.actor.id})` : entry.actor.kind,
    }));
  }
  switch (command) {
    case 'create': {
      const name = values.name?.trim();
      if (!name) throw new UsageError('--name is required (who holds the key)');
      if (name.length > 64) throw new UsageError('--name: at most 64 characters');
      if (!values.scopes) throw new UsageError(`--scopes is required: some of ${SCOPES.join(', ')}`);
      const scopes = values.scopes.split(',').map((scope) => scope.trim());
      const bad = scopes.filter((scope) => !isScope(scope));
      if (bad.length > 0 || scopes.length === 0)
        throw new UsageError(`--scopes: unknown scope ${bad.join(', ')} (known: ${SCOPES.join(', ')})`);
      const { key, record } = await keys.create(name, scopes as Scope[]);
      await audit.record({
        actor: { kind: 'admin' },
        action: 'apikey.created',
        target: record.id,
        detail: { name },
      });
      return {
        ...viewOf(record),
        key,
        note: 'Store this key now: it is not shown again (only its hash is kept).',
      };
    }
    case 'list':
      return (await keys.list()).map(viewOf);
    case 'revoke': {
      const id = parsed.positionals[0];
      if (!id) throw new UsageError('the key id is required (see apikey list)');
      const revoked = await keys.revoke(id);
      if (!revoked) throw new CommandError(`no API key has the id "${id}"`);
      await audit.record({
        actor: { kind: 'admin' },
        action: 'apikey.revoked',
        target: id,
        detail: { name: revoked.name },
      });
      return viewOf(revoked);
    }
    default:
      throw new UsageError(`unknown command "apikey ${command}"`);
  }
}

/** Runs one admin command and returns what to print. */
export async function runAdmin(argv: readonly string[], services: Services): Promise<unknown> {
  const [group, command, ...rest] = argv;
  if ((group === 'apikey' || group === 'audit') && command)
    return runSupportAdmin(group, command, rest, services);
  if (group !== 'account' || !command) throw new UsageError('unknown command');
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...rest],
      allowPositionals: true,
      strict: true,
      options: {
        phone: { type: 'string' },
        email: { type: 'string' },
        password: { type: 'string' },
        telegram: { type: 'string' },
        discord: { type: 'string' },
        console: { type: 'boolean' },
        limit: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : 'bad arguments');
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const positional = parsed.positionals;
  const now = services.clock.now();
  switch (command) {
    case 'create': {
      if (typeof values.phone !== 'string') throw new UsageError('--phone is required');
      if (typeof values.password !== 'string') throw new UsageError('--password is required');
      const phone = normalisePhone(values.phone);
      let email: string | null = null;
      if (typeof values.email === 'string') {
        email = parseEmail(values.email);
        if (email === null) throw new UsageError(`--email: "${values.email}" is not a valid email address`);
      }
      const id = AccountStore.newId();
      const policy = checkPasswordPolicy(values.password, { accountId: id, phone, email });
      if (!policy.ok) throw new UsageError(`--password: rejected by the password policy (${policy.reason})`);
      const created = await services.accounts.create({
        id,
        phone,
        email,
        passwordHash: await services.hasher.hash(values.password),
        now,
      });
      if (!created.ok) {
        throw new CommandError(
          created.reason === 'phoneTaken'
            ? 'that phone number belongs to another account'
            : 'that email belongs to another account',
        );
      }
      return publicView(created.account);
    }
    case 'show':
      return publicView(await mustFind(services, positional[0]));
    case 'link': {
      const who = identity(values);
      const account = await mustFind(services, positional[0]);
      const linked = await services.accounts.link(account.id, who.channel, who.userId, now);
      if (!linked.ok) throw new CommandError('that chat identity is already linked to another account');
      await services.accounts.appendEvent(account.id, {
        at: now,
        type: 'chat.linked',
        channel: 'admin',
        detail: { via: who.channel },
      });
      return publicView((await services.accounts.get(account.id)) as Account);
    }
    case 'unlink': {
      const who = identity(values);
      const id = await services.accounts.unlink(who.channel, who.userId);
      if (id === null) throw new CommandError('that chat identity is not linked');
      await services.accounts.appendEvent(id, {
        at: now,
        type: 'chat.unlinked',
        channel: 'admin',
        detail: { via: who.channel },
      });
      return { unlinked: who, account: id };
    }
    case 'sessions': {
      const account = await mustFind(services, positional[0]);
      return account.sessions.map((s) => ({
        id: s.id,
        device: s.device,
        createdAt: new Date(s.createdAt).toISOString(),
        lastSeenAt: new Date(s.lastSeenAt).toISOString(),
      }));
    }
    case 'events': {
      const account = await mustFind(services, positional[0]);
      const limit = values.limit === undefined ? 50 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        throw new UsageError('--limit must be 1-1000');
      return (await services.accounts.events(account.id, limit)).map((e) => ({
        ...e,
        at: new Date(e.at).toISOString(),
      }));
    }
    default:
      throw new UsageError(`unknown command "account ${command}"`);
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  const parsed = parseConfig(process.env);
  if (!parsed.ok) {
    process.stderr.write(`configuration problems:\n${parsed.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    return 78;
  }
  const { config } = parsed;
  if (!config.redisUrl || !config.secretKey) {
    process.stderr.write(
      'The admin commands work on the shared store: set REDIS_URL and SECRET_KEY (the console demo keeps its accounts in memory, inside its own process).\n',
    );
    return 1;
  }
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const services = createServices({
    kv: new RedisKv(redis),
    delivery: new OutboxDelivery({ file: config.outboxFile, clock: systemClock }),
    clock: systemClock,
    log,
    secretKey: config.secretKey,
    prefix: config.redisPrefix,
    hashing: config.hashing,
  });
  try {
    const result = await runAdmin(argv, services);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof CommandError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`admin failed: ${error instanceof Error ? error.message : 'unknown error'}\n`);
      process.exitCode = 1;
    },
  );
}

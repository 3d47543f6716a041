import { randomBytes } from 'node:crypto';
import type { Account } from './accounts/account.ts';
import type { Config } from './config.ts';
import type { Services } from './services.ts';

export const DEMO_ACCOUNT_ID = 'acc_demo';
export const DEMO_PHONE = '+8613800138000';
export const DEMO_EMAIL = 'demo@example.com';
export const CONSOLE_USER_ID = 'console';

/** A password that passes the policy, for demos that were given none. */
export function randomDemoPassword(): string {
  return `demo-${randomBytes(6).toString('base64url')}7`;
}

/** The demo account exists for the console demo only: never when a bot (Telegram or Discord) is configured. */
export function demoWanted(config: Pick<Config, 'telegram' | 'discord'>): boolean {
  return !config.telegram && !config.discord;
}

/** What `seedDemoAccount` found or did. `created` is true only for `status: 'created'`. */
export type SeedDemoResult =
  /** A new demo account, linked to the console (the printed password is its password). */
  | { readonly status: 'created'; readonly created: true; readonly account: Account }
  /** The demo account was already there (Redis across runs) and the console is linked to it. */
  | { readonly status: 'existing'; readonly created: false; readonly account: Account }
  /** The demo account is there but the console is linked to nothing (someone unlinked it): left so. */
  | { readonly status: 'unlinked'; readonly created: false; readonly account: Account }
  /**
   * The console is linked to another account (an operator ran `admin account link <id> --console`):
   * that link is kept, and no demo account is created. `account` is the demo account if one exists.
   */
  | {
      readonly status: 'linkedElsewhere';
      readonly created: false;
      readonly account: Account | null;
      readonly linkedTo: string;
    }
  /** A bot is configured: no demo account, nothing linked. */
  | { readonly status: 'skipped'; readonly created: false; readonly account: null };

export interface SeedDemoOptions {
  /**
   * A bot token is set (`!demoWanted(config)`): nothing is created or linked. Default false; the
   * composition root passes `botConfigured: !demoWanted(config)`.
   */
  readonly botConfigured?: boolean;
}

/**
 * Creates (or re-uses, with Redis across runs) the demo account, linked to the console user, with a few
 * signed-in sessions so that "every session is signed out" is visible in the demo.
 *
 * It never takes the console away from another account: when the console is already linked to one (an
 * operator's `admin account link <id> --console`), that link stays and no demo account is created. An
 * existing demo account is never relinked either, so an unlinked console stays unlinked.
 */
export async function seedDemoAccount(
  services: Services,
  password: string,
  options: SeedDemoOptions = {},
): Promise<SeedDemoResult> {
  if (options.botConfigured) return { status: 'skipped', created: false, account: null };
  const { accounts, hasher, clock } = services;
  const consoleOwner = await accounts.linkedId('console', CONSOLE_USER_ID);
  const existing = await accounts.get(DEMO_ACCOUNT_ID);
  if (consoleOwner !== null && consoleOwner !== DEMO_ACCOUNT_ID) {
    return { status: 'linkedElsewhere', created: false, account: existing, linkedTo: consoleOwner };
  }
  if (existing) {
    return consoleOwner === DEMO_ACCOUNT_ID
      ? { status: 'existing', created: false, account: existing }
      : { status: 'unlinked', created: false, account: existing };
  }
  const created = await accounts.create({
    id: DEMO_ACCOUNT_ID,
    phone: DEMO_PHONE,
    email: DEMO_EMAIL,
    passwordHash: await hasher.hash(password),
    now: clock.now(),
  });
  if (!created.ok) throw new Error(`could not create the demo account: ${created.reason}`);
  const now = clock.now();
  await accounts.update(DEMO_ACCOUNT_ID, (account) => ({
    ...account,
    sessions: [
      {
        id: 'ses_web',
        device: 'Firefox on Windows',
        createdAt: now - 86_400_000,
        lastSeenAt: now - 3_600_000,
      },
      { id: 'ses_app', device: 'lockstep app on Android', createdAt: now - 7 * 86_400_000, lastSeenAt: now },
    ],
  }));
  // The link is a claim: if an operator linked the console to another account in the meantime, theirs wins.
  const linked = await accounts.link(DEMO_ACCOUNT_ID, 'console', CONSOLE_USER_ID, now);
  const account = (await accounts.get(DEMO_ACCOUNT_ID)) as Account;
  if (!linked.ok) {
    const owner = (await accounts.linkedId('console', CONSOLE_USER_ID)) ?? '';
    return { status: 'linkedElsewhere', created: false, account, linkedTo: owner };
  }
  return { status: 'created', created: true, account };
}

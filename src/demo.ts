import { randomBytes } from 'node:crypto';
import type { Account } from './accounts/account.ts';
import type { Services } from './services.ts';

export const DEMO_ACCOUNT_ID = 'acc_demo';
export const DEMO_PHONE = '+8613800138000';
export const DEMO_EMAIL = 'demo@example.com';
export const CONSOLE_USER_ID = 'console';

/** A password that passes the policy, for demos that were given none. */
export function randomDemoPassword(): string {
  return `demo-${randomBytes(6).toString('base64url')}7`;
}

/**
 * Creates (or re-uses, with Redis across runs) the demo account, linked to the console user, with a few signed-in sessions so
 * that "every session is signed out" is visible in the demo.
 */
export async function seedDemoAccount(
  services: Services,
  password: string,
): Promise<{ account: Account; created: boolean }> {
  const { accounts, hasher, clock } = services;
  const existing = await accounts.get(DEMO_ACCOUNT_ID);
  if (existing) return { account: existing, created: false };
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
  await accounts.link(DEMO_ACCOUNT_ID, 'console', CONSOLE_USER_ID, now);
  return { account: (await accounts.get(DEMO_ACCOUNT_ID)) as Account, created: true };
}

/**
 * The support console end to end in a real browser: Debian's Chromium driven by playwright-core, against
 * the composition root's HTTP server (agent API + console) on loopback, the real support stack on the
 * test Redis, and a real grammY bot long-polling the Telegram stand-in.
 *
 * A linked Telegram user types a wrong password in /password and asks for a person; the agent signs in
 * (after a wrong key is refused), sees the escalation, reads its transcript (no secret on the page), a
 * forged post (cross-site, and same-origin without the token) is refused, the agent resolves with a
 * handoff into adding an email, the user finishes it in Telegram and the page shows `completed` without a
 * reload; then the agent makes a handoff for the account found by phone, a second Telegram chat opens it
 * and the page shows `opened`. Each page is saved under test/artifacts/console/ (and, with
 * LOCKSTEP_UPDATE_DOCS=1, as the README's docs/console-*.png).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Chat } from 'grammy/types';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTelegramBot } from '../../adapters/telegram/bot.ts';
import { type MessageKey, t } from '../../src/catalog/catalog.ts';
import { consoleTexts as T } from '../../src/support/console/index.ts';
import { connectRedis } from '../helpers/redis.ts';
import { type ApiCall, FakeTelegramApi } from '../helpers/telegram-api.ts';
import { ALL_SCOPES, type ConsoleWorld, createConsoleWorld } from './console-world.ts';
import { BOT_USERNAME, expectNoSecrets, PASSWORD, PHONE } from './world.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts', 'console');
const DOCS = join(import.meta.dirname, '..', '..', 'docs');
const STEP_MS = 10_000;
const WRONG_PASSWORD = 'Not-my-Password-93';
const NEW_EMAIL = 'alice.new@example.org';

const redis = connectRedis();
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

let browser: Browser;
beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (.ci/run does)`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

/** The start of a message's text (before any value, default or not), enough to recognise it. */
const stem = (key: MessageKey) => (t('en', key).split('{')[0] ?? '').slice(0, 40);

function shows(api: FakeTelegramApi, chat: Chat, key: MessageKey, since: number): Promise<ApiCall> {
  return api.waitFor(
    (call) =>
      call.index >= since &&
      call.method === 'sendMessage' &&
      call.params.chat_id === chat.id &&
      String(call.params.text ?? '').startsWith(stem(key)),
    STEP_MS,
  );
}

/** Saves the page as an artifact (and as the README's copy when asked to). */
async function snap(page: Page, name: string, docs = false): Promise<void> {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  if (docs && process.env.LOCKSTEP_UPDATE_DOCS === '1') {
    mkdirSync(DOCS, { recursive: true });
    await copyFile(path, join(DOCS, `console-${name}.png`));
  }
}

/** A page on another site (localhost instead of 127.0.0.1) with a form that posts to the console. */
async function attackerSite(target: string): Promise<{ url: string; server: Server }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(
      `<!doctype html><title>prize</title><form method="post" action="${target}"><input name="message" value="forged"><button id="go">Claim your prize</button></form>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://localhost:${(server.address() as AddressInfo).port}/`, server };
}

describe('the support console in a browser', () => {
  it('signs in, reads a redacted escalation, refuses forgeries, resolves with a handoff and follows its status live', async () => {
    const w: ConsoleWorld = await createConsoleWorld(redis, { email: null });
    cleanups.push(() => w.close());
    const api = await FakeTelegramApi.start({
      token: '7000003:AAH-console-test-token_abcdefg',
      botUsername: BOT_USERNAME,
    });
    cleanups.push(() => api.close());
    const telegram = createTelegramBot({
      token: api.token,
      engine: w.engine,
      log: { debug() {}, info() {}, warn() {}, error() {} },
      apiRoot: api.url,
      pollTimeoutSeconds: 1,
      retry: { maxRetryAttempts: 2, maxDelaySeconds: 2 },
    });
    w.routePush('telegram', telegram.pushSender);
    await telegram.start();
    cleanups.push(() => telegram.stop());

    // A linked Telegram user types a wrong password, then asks for a person.
    const alice = api.person(4001, 'Alice');
    await w.services.accounts.link(w.accountId, 'telegram', String(alice.user.id), w.clock.now());
    w.secrets.add(WRONG_PASSWORD);
    let since = api.calls.length;
    api.userSends(alice.chat, alice.user, '/password');
    await shows(api, alice.chat, 'password.askCurrent', since);
    since = api.calls.length;
    api.userSends(alice.chat, alice.user, WRONG_PASSWORD);
    await shows(api, alice.chat, 'password.wrongCurrent', since);
    since = api.calls.length;
    api.userSends(alice.chat, alice.user, '/support');
    await shows(api, alice.chat, 'support.escalated', since);
    const [escalation] = await w.support.escalations.list({ status: 'open' });
    if (!escalation) throw new Error('no escalation was opened');
    expect(escalation).toMatchObject({ flowId: 'change-password', accountId: w.accountId });
    // Then a stranger (a chat linked to no account) asks for a person too: the newest, listed first.
    const carol = api.person(4003, 'Carol');
    since = api.calls.length;
    api.userSends(carol.chat, carol.user, '/support');
    await shows(api, carol.chat, 'support.escalated', since);
    const [newest] = await w.support.escalations.list({ status: 'open' });
    expect(newest?.id).not.toBe(escalation.id);

    const key = await w.key(ALL_SCOPES, 'Agent Ada');
    w.secrets.add(key);
    const context = await browser.newContext({
      viewport: { width: 1200, height: 900 },
      colorScheme: 'light',
    });
    cleanups.push(() => context.close());
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      // Refused loads show up as their statuses (the 401/403 below are expected); anything else counts,
      // a CSP violation above all.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(String(error)));
    const pages: string[] = [];
    const keep = async () => {
      pages.push(await page.content());
    };

    // Signing in: a wrong key is refused, the right one is exchanged for a session cookie.
    await page.goto(`${w.consoleUrl}/console`);
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');
    expect((await page.locator('h1').textContent())?.trim()).toBe(T.signIn.title);
    await snap(page, 'sign-in');
    await page.fill('#key', `${key.slice(0, -4)}AAAA`);
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/console/sign-in') && r.request().method() === 'POST'),
      page.click('button[type=submit]'),
    ]);
    expect(refused.status()).toBe(401);
    expect((await page.locator('.notice').textContent())?.trim()).toBe(T.signIn.wrongKey);
    await snap(page, 'sign-in-refused');
    await keep();
    expect((await context.cookies()).map((c) => c.name)).not.toContain('ls_console');

    await page.fill('#key', key);
    await Promise.all([page.waitForURL(`${w.consoleUrl}/console`), page.click('button[type=submit]')]);
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'ls_console');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console', secure: false });
    w.secrets.add(session?.value ?? 'missing');
    // Nothing about the key or the session is readable by the page's scripts or kept in its storage.
    expect(
      await page.evaluate('[document.cookie, localStorage.length, sessionStorage.length].join("|")'),
    ).toBe('|0|0');

    // The list: newest first, with the waiting time, task, step and channel.
    expect(
      await page
        .locator('tr[data-escalation]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-escalation'))),
    ).toEqual([newest?.id, escalation.id]);
    const row = page.locator(`tr[data-escalation="${escalation.id}"]`);
    expect(await row.textContent()).toContain('change-password');
    expect(await row.textContent()).toContain('telegram');
    expect(await row.textContent()).toMatch(/\d+ s|\d+ min/);
    await snap(page, 'escalations');
    await keep();

    // One escalation: the redacted transcript, the masked phone, recent events.
    await page.click(`a[href="/console/escalations/${escalation.id}"]`);
    expect((await page.locator('h1').textContent())?.trim()).toBe(T.escalation.title(escalation.id));
    expect(await page.locator('.transcript').textContent()).toContain('[redacted]');
    expect((await page.locator('[data-masked=phone]').textContent())?.trim()).toBe('+86 138****8000');
    expect(await page.locator('table').textContent()).toContain('password.wrong');
    expect(await page.content()).not.toContain(WRONG_PASSWORD);
    await snap(page, 'escalation', true);
    await keep();

    // Forgeries: a form on another site posting here, and a same-origin post without the token.
    const resolveUrl = `${w.consoleUrl}/console/escalations/${escalation.id}/resolve`;
    const attacker = await attackerSite(resolveUrl);
    cleanups.push(() => new Promise<void>((resolve) => attacker.server.close(() => resolve())));
    const evil = await context.newPage();
    await evil.goto(attacker.url);
    const [forged] = await Promise.all([
      evil.waitForResponse((r) => r.url() === resolveUrl),
      evil.click('#go'),
    ]);
    expect(forged.status()).toBe(403);
    expect((await evil.locator('h1').textContent())?.trim()).toBe(T.errors.csrfTitle);
    await snap(evil, 'forged-post-refused');
    await evil.close();
    const sameOrigin = await page.evaluate(async (url) => {
      const response = await fetch(url, { method: 'POST', body: new URLSearchParams({ message: 'forged' }) });
      return response.status;
    }, resolveUrl);
    expect(sameOrigin).toBe(403);
    expect((await w.support.escalations.get(escalation.id))?.status).toBe('open');

    // Resolve with a message and a handoff into adding an email: it opens in Alice's chat at once.
    await page.fill('#message', 'We checked your ID. Please add an email first.');
    await page.selectOption('#flow', 'change-email');
    since = api.calls.length;
    await Promise.all([page.waitForURL(resolveUrl), page.click('form[action$="/resolve"] button')]);
    expect((await page.locator('.notice').first().textContent())?.trim()).toBe(T.escalation.resolved);
    const badge = page.locator('.created [data-handoff]');
    await expect.poll(() => badge.getAttribute('data-status'), { timeout: STEP_MS }).toBe('opened');
    expect(await page.locator('.created a#telegram-link').getAttribute('href')).toMatch(
      new RegExp(`^https://t\\.me/${BOT_USERNAME}\\?start=ho-`),
    );
    expect(await page.locator('.created svg').count()).toBe(1);
    await shows(api, alice.chat, 'support.agentMessage', since);
    await shows(api, alice.chat, 'email.askPassword', since);
    await snap(page, 'resolved-with-handoff');
    await keep();

    // Alice does the task in Telegram; the open page follows the handoff to `completed`.
    since = api.calls.length;
    api.userSends(alice.chat, alice.user, PASSWORD);
    await shows(api, alice.chat, 'email.askAddressAdd', since);
    since = api.calls.length;
    api.userSends(alice.chat, alice.user, NEW_EMAIL);
    await shows(api, alice.chat, 'email.sentCodeOnly', since);
    const emailCode = w.delivery.lastCodeTo(NEW_EMAIL);
    w.secrets.add(emailCode);
    since = api.calls.length;
    api.userSends(alice.chat, alice.user, emailCode);
    await shows(api, alice.chat, 'handoff.completed', since);
    await expect.poll(() => badge.getAttribute('data-status'), { timeout: STEP_MS }).toBe('completed');
    expect((await badge.textContent())?.trim()).toBe(T.handoff.statuses.completed);
    expect((await w.account()).email).toBe(NEW_EMAIL);
    await snap(page, 'handoff-completed');
    await keep();

    // A new handoff for the account found by its phone; a second Telegram chat opens the link.
    await page.click('a[href="/console/handoffs/new"]');
    await page.fill('#q', PHONE);
    await Promise.all([
      page.waitForURL(/\/console\/handoffs\/new\?q=/),
      page.click('form[method=get] button'),
    ]);
    expect(await page.locator('section').nth(1).textContent()).toContain(w.accountId);
    expect(await page.locator('section').nth(1).textContent()).toContain('+86 138****8000');
    await snap(page, 'handoff-search');
    await page.selectOption('#flow', 'change-password');
    await page.fill('#note', 'ticket 4711');
    await Promise.all([
      page.waitForURL(`${w.consoleUrl}/console/handoffs`),
      page.click('form[action="/console/handoffs"] button'),
    ]);
    const created = page.locator('.created [data-handoff]');
    await expect.poll(() => created.getAttribute('data-status'), { timeout: STEP_MS }).toBe('pending');
    const link = await page.locator('a#telegram-link').getAttribute('href');
    const code = new URL(link ?? 'https://t.me/').searchParams.get('start') ?? '';
    expect(code).toMatch(/^ho-[A-Za-z0-9_-]{32}$/);
    expect((await page.locator('#discord-command').textContent())?.trim()).toBe(`/recover code:${code}`);
    expect(await page.locator('.qr svg path').count()).toBeGreaterThan(0);
    await snap(page, 'handoff-created', true);

    const bob = api.person(4002, 'Bob');
    since = api.calls.length;
    api.userSends(bob.chat, bob.user, `/start ${code}`);
    await shows(api, bob.chat, 'handoff.opened', since);
    await expect.poll(() => created.getAttribute('data-status'), { timeout: STEP_MS }).toBe('opened');
    expect((await created.textContent())?.trim()).toBe(T.handoff.statuses.opened);
    await snap(page, 'handoff-opened');

    // No page showed a secret (the handoff code is shown to the agent once, by design); the CSP let the
    // console's own script run and refused nothing.
    for (const html of pages) expectNoSecrets('a console page', html, w.secrets);
    expect(problems).toEqual([]);
    const actions = (await w.support.audit.list({ limit: 100 }))
      .filter((entry) => entry.actor.kind === 'key')
      .map((entry) => `${entry.action}:${entry.actor.kind === 'key' ? entry.actor.name : ''}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'console.signedIn:Agent Ada',
        'escalation.read:Agent Ada',
        'console.csrfRefused:Agent Ada',
        'handoff.created:Agent Ada',
        'escalation.resolved:Agent Ada',
        'account.searched:Agent Ada',
      ]),
    );
  }, 90_000);
});

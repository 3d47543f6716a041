/**
 * The support console over real HTTP on loopback (the composition root's server, the real support stack
 * on the test Redis): the sign-in exchange and its cookies, wrong and under-scoped keys, the CSRF token
 * on every form, the security headers, escaping, scopes, the per-key rate limit, revocation, and no
 * secret in any page it serves.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { escapeHtml } from '../../src/support/console/html.ts';
import { CONSOLE_CSP, consoleTexts as T } from '../../src/support/console/index.ts';
import { connectRedis } from '../helpers/redis.ts';
import {
  ALL_SCOPES,
  type ConsoleWorld,
  CookieClient,
  createConsoleWorld,
  csrfOf,
  signIn,
} from './console-world.ts';
import { chatOf, EMAIL, expectNoSecrets, keysOf, PASSWORD, PHONE } from './world.ts';

const redis = connectRedis();
const worlds: ConsoleWorld[] = [];
afterEach(async () => {
  while (worlds.length > 0) await worlds.pop()?.close();
});

const WRONG_PASSWORD = 'Wrong-Horse-Battery-77';
const HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>';

/** A world with one open escalation: a linked chat typed a wrong password, something hostile, then /support. */
async function withEscalation(options: Parameters<typeof createConsoleWorld>[1] = {}) {
  const w = await createConsoleWorld(redis, options);
  worlds.push(w);
  await w.services.accounts.link(w.accountId, 'console', 'u1', w.clock.now());
  const chat = chatOf(w.engine, { channel: 'console', chatId: 'c1' }, 'u1');
  w.secrets.add(WRONG_PASSWORD);
  await chat.command('password');
  await chat.text(WRONG_PASSWORD);
  expect(keysOf(await chat.command('support'))).toContain('support.escalated');
  const [escalation] = await w.support.escalations.list({ status: 'open' });
  if (!escalation) throw new Error('no escalation');
  return { w, chat, escalation };
}

function cookieLine(lines: string[], name: string): string {
  const line = lines.find((one) => one.startsWith(`${name}=`));
  if (!line) throw new Error(`no Set-Cookie for ${name} in ${JSON.stringify(lines)}`);
  return line;
}

describe('the support console over HTTP', () => {
  it('exchanges a key for an HttpOnly SameSite=Strict session cookie and never shows a secret', async () => {
    const { w, escalation } = await withEscalation();
    const key = await w.key(ALL_SCOPES, 'Agent <b>Ada</b>');
    w.secrets.add(key);
    const client = new CookieClient(w.consoleUrl);

    const before = await client.get('/console');
    expect([before.status, before.headers.get('location')]).toEqual([303, '/console/sign-in']);
    const form = await client.get('/console/sign-in');
    expect(form.status).toBe(200);
    expect(cookieLine(form.setCookies, 'ls_console_pre')).toMatch(/HttpOnly/);

    const signedIn = await signIn(client, key);
    expect([signedIn.status, signedIn.headers.get('location')]).toEqual([303, '/console']);
    const session = cookieLine(signedIn.setCookies, 'ls_console');
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Strict/);
    expect(session).toMatch(/; Path=\/console/);
    expect(session).toMatch(/; Max-Age=28800/);
    expect(session).not.toMatch(/Secure/);
    const sessionId = client.jar.get('ls_console') ?? '';
    expect(sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    w.secrets.add(sessionId);
    // Stored server-side with an expiry, under the id's hash; the key itself is not in the store.
    const stored = await redis.keys(`${w.prefix}support:console-session:*`);
    expect(stored).toHaveLength(1);
    const ttl = await redis.pttl(stored[0] ?? '');
    expect(ttl).toBeGreaterThan(7 * 60 * 60_000);
    expect(ttl).toBeLessThanOrEqual(8 * 60 * 60_000);
    const record = await redis.get(stored[0] ?? '');
    expect(record).not.toContain(key);
    expect(record).not.toContain(sessionId);

    const list = await client.get('/console');
    expect(list.status).toBe(200);
    expect(list.text).toContain(escalation.id);
    expect(list.text).toContain(T.escalations.title);
    // The key's name is escaped where it is shown.
    expect(list.text).toContain(escapeHtml(T.nav.signedInAs('Agent <b>Ada</b>')));
    expect(list.text).not.toContain('<b>Ada</b>');

    const one = await client.get(`/console/escalations/${escalation.id}`);
    expect(one.status).toBe(200);
    expect(one.text).toContain('[redacted]');
    expect(one.text).toContain('change-password');
    // Masked phone and email, never the full ones.
    expect(one.text).toContain('+86 138****8000');
    expect(one.text).toContain('a***@example.com');
    expect(one.text).not.toContain(PHONE);
    expect(one.text).not.toContain(EMAIL);
    expect(one.text).toContain('support.escalated');

    const search = await client.get(`/console/handoffs/new?q=${encodeURIComponent(PHONE)}`);
    expect(search.status).toBe(200);
    expect(search.text).toContain(w.accountId);
    const made = await client.post('/console/handoffs', {
      csrf: csrfOf(search.text),
      account: w.accountId,
      flow: 'change-password',
      note: HOSTILE,
      expiresInMinutes: '30',
    });
    expect(made.status).toBe(201);
    expect(made.text).toMatch(/href="https:\/\/t\.me\/lockstep_support_bot\?start=ho-[A-Za-z0-9_-]{32}"/);
    expect(made.text).toMatch(/\/recover code:ho-[A-Za-z0-9_-]{32}/);
    expect(made.text).toMatch(/<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);

    const csrf = csrfOf(list.text);
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const page of client.pages) {
      expectNoSecrets('a console page', page, w.secrets);
      expect(page).not.toContain(PASSWORD);
    }
    const actions = (await w.support.audit.list({ limit: 50 }))
      .filter((entry) => entry.actor.kind === 'key')
      .map((entry) => `${entry.action}:${entry.actor.kind === 'key' ? entry.actor.name : ''}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'console.signedIn:Agent <b>Ada</b>',
        'escalation.read:Agent <b>Ada</b>',
        'account.searched:Agent <b>Ada</b>',
        'handoff.created:Agent <b>Ada</b>',
      ]),
    );
    expectNoSecrets('the audit log', JSON.stringify(await w.support.audit.list({ limit: 100 })), w.secrets);
  });

  it('escapes everything a user or an agent wrote', async () => {
    const { w } = await withEscalation();
    const hostile = await w.support.escalations.open({
      chat: { channel: 'telegram', chatId: '666' },
      userId: '666',
      accountId: null,
      flowId: HOSTILE,
      step: HOSTILE,
      reason: HOSTILE,
      transcript: [{ at: w.clock.now(), from: 'user', text: HOSTILE }],
      at: w.clock.now(),
    });
    const client = new CookieClient(w.consoleUrl);
    await signIn(client, await w.key(ALL_SCOPES, HOSTILE));
    for (const path of ['/console', `/console/escalations/${hostile.id}`]) {
      const page = await client.get(path);
      expect(page.status).toBe(200);
      expect(page.text).not.toContain('<script>alert');
      expect(page.text).not.toContain('<img');
      expect(page.text).toContain(escapeHtml(HOSTILE));
    }
  });

  it('sends a strict CSP and the other security headers on every console answer', async () => {
    const { w, escalation } = await withEscalation();
    const client = new CookieClient(w.consoleUrl);
    await signIn(client, await w.key(ALL_SCOPES));
    for (const path of [
      '/console/sign-in',
      '/console',
      `/console/escalations/${escalation.id}`,
      '/console/handoffs/new',
      '/console/nowhere',
      '/console/assets/console.js',
    ]) {
      const answer = await client.get(path);
      expect(answer.headers.get('content-security-policy'), path).toBe(CONSOLE_CSP);
      expect(answer.headers.get('x-frame-options'), path).toBe('DENY');
      expect(answer.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(answer.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(answer.headers.get('cross-origin-opener-policy'), path).toBe('same-origin');
    }
    expect(CONSOLE_CSP).toContain("default-src 'none'");
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toMatch(/unsafe|\*|https?:/);
    expect((await client.get('/console')).headers.get('cache-control')).toBe('no-store');
    // Nothing inline for the CSP to refuse: no inline script, no style attribute, no event handler.
    const page = (await client.get(`/console/escalations/${escalation.id}`)).text;
    expect(page).not.toMatch(/<script(?![^>]*\bsrc="\/console\/assets\/console\.js")/);
    expect(page).not.toMatch(/\sstyle=|\son[a-z]+=/i);
    expect(page).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it('refuses a wrong key, a key without the console scopes, and a sign-in form without its token', async () => {
    const { w } = await withEscalation();
    const client = new CookieClient(w.consoleUrl);
    const good = await w.key(ALL_SCOPES);
    const [, id = ''] = /^lsk_([a-f0-9]{16})_/.exec(good) ?? [];
    for (const wrong of [`lsk_${id}_${'A'.repeat(43)}`, 'lsk_0123456789abcdef_nope', 'not a key at all']) {
      const refused = await signIn(client, wrong);
      expect(refused.status).toBe(401);
      expect(refused.text).toContain(escapeHtml(T.signIn.wrongKey));
      expect(refused.setCookies.some((line) => line.startsWith('ls_console='))).toBe(false);
      expect(refused.text).not.toContain(wrong);
    }
    expect((await client.get('/console')).status).toBe(303);

    const narrow = await w.key(['handoff:write'], 'Narrow');
    const under = await signIn(client, narrow);
    expect(under.status).toBe(403);
    expect(under.text).toContain(escapeHtml(T.signIn.missingScopes('escalation:read, handoff:read')));
    expect(client.jar.has('ls_console')).toBe(false);

    // A sign-in posted from elsewhere: no token, or a token without the matching cookie.
    const page = await client.get('/console/sign-in');
    const stranger = new CookieClient(w.consoleUrl);
    expect((await stranger.post('/console/sign-in', { key: good })).status).toBe(403);
    expect((await stranger.post('/console/sign-in', { csrf: csrfOf(page.text), key: good })).status).toBe(
      403,
    );
    expect(stranger.jar.has('ls_console')).toBe(false);
    const refusals = (await w.support.audit.list({ limit: 50 })).filter(
      (entry) => entry.action === 'console.signInRefused',
    );
    expect(refusals).toHaveLength(4);
  });

  it('refuses a forged post without the CSRF token (403) and changes nothing', async () => {
    const { w, escalation } = await withEscalation();
    const client = new CookieClient(w.consoleUrl);
    await signIn(client, await w.key(ALL_SCOPES, 'Agent Ada'));
    const page = await client.get(`/console/escalations/${escalation.id}`);
    const resolve = `/console/escalations/${escalation.id}/resolve`;

    // With the session cookie (as a same-site attacker would have it) but no token, a wrong token, or
    // another session's token.
    const other = new CookieClient(w.consoleUrl);
    await signIn(other, await w.key(ALL_SCOPES, 'Agent Bob'));
    const othersToken = csrfOf((await other.get('/console')).text);
    for (const form of [
      { message: 'forged' } as Record<string, string>,
      { csrf: 'x'.repeat(43), message: 'forged' },
      { csrf: othersToken, message: 'forged' },
    ]) {
      const forged = await client.post(resolve, form);
      expect(forged.status).toBe(403);
      expect(forged.text).toContain(escapeHtml(T.errors.csrf));
    }
    // Without the cookie (a cross-site post: SameSite=Strict keeps it home), even with a token.
    const anonymous = new CookieClient(w.consoleUrl);
    expect((await anonymous.post(resolve, { csrf: csrfOf(page.text), message: 'forged' })).status).toBe(403);
    expect(
      (await client.post('/console/handoffs', { account: w.accountId, flow: 'change-password' })).status,
    ).toBe(403);
    expect((await client.post('/console/sign-out', {})).status).toBe(403);

    expect((await w.support.escalations.get(escalation.id))?.status).toBe('open');
    expect(await w.support.handoffs.list({ accountId: w.accountId })).toEqual([]);
    const refused = (await w.support.audit.list({ limit: 50 })).filter(
      (e) => e.action === 'console.csrfRefused',
    );
    expect(refused.length).toBeGreaterThanOrEqual(4);

    // The real form goes through, resolving with a message.
    const done = await client.post(resolve, { csrf: csrfOf(page.text), message: 'We are on it.' });
    expect(done.status).toBe(200);
    expect(done.text).toContain(escapeHtml(T.escalation.resolved));
    const resolved = await w.support.escalations.get(escalation.id);
    expect(resolved).toMatchObject({ status: 'resolved', resolvedBy: { kind: 'key', name: 'Agent Ada' } });
    expect(w.pushed.get('console:c1')?.map(keysOf)).toEqual([['support.agentMessage', 'support.released']]);
  });

  it('holds the API scopes: reading is not resolving, and a handoff needs handoff:write', async () => {
    const { w, escalation } = await withEscalation();
    const reader = new CookieClient(w.consoleUrl);
    await signIn(reader, await w.key(['escalation:read', 'handoff:read'], 'Reader'));
    const page = await reader.get(`/console/escalations/${escalation.id}`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain(`/console/escalations/${escalation.id}/resolve`);
    const csrf = csrfOf(page.text);
    const denied = await reader.post(`/console/escalations/${escalation.id}/resolve`, {
      csrf,
      message: 'hi',
    });
    expect(denied.status).toBe(403);
    expect(denied.text).toContain(escapeHtml(T.errors.forbidden('escalation:write')));
    expect((await reader.get('/console/handoffs/new')).status).toBe(403);

    const resolver = new CookieClient(w.consoleUrl);
    await signIn(resolver, await w.key(['escalation:read', 'handoff:read', 'escalation:write'], 'Resolver'));
    const form = csrfOf((await resolver.get(`/console/escalations/${escalation.id}`)).text);
    const withHandoff = await resolver.post(`/console/escalations/${escalation.id}/resolve`, {
      csrf: form,
      message: '',
      flow: 'change-password',
    });
    expect(withHandoff.status).toBe(403);
    expect(withHandoff.text).toContain(escapeHtml(T.errors.forbidden('handoff:write')));
    expect((await w.support.escalations.get(escalation.id))?.status).toBe('open');
    const denials = (await w.support.audit.list({ limit: 50 }))
      .filter((e) => e.action === 'auth.denied')
      .map((e) => (e.actor.kind === 'key' ? e.actor.name : e.actor.kind));
    expect(denials).toEqual(['Resolver', 'Reader', 'Reader']);
    // The status poll: signed-in agents only.
    expect(
      (await new CookieClient(w.consoleUrl).get('/console/handoffs/hof_0123456789abcdef/status')).status,
    ).toBe(401);
    expect((await reader.get('/console/handoffs/hof_0123456789abcdef/status')).status).toBe(404);
  });

  it('rate-limits per key like the API (429), and a revoked key or a sign-out ends the session', async () => {
    const { w } = await withEscalation({ config: { rateLimit: { max: 4, windowMs: 60_000 } } });
    const key = await w.key(ALL_SCOPES, 'Busy');
    const client = new CookieClient(w.consoleUrl);
    await signIn(client, key);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await client.get('/console')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    const limited = await client.get('/console');
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(limited.text).toContain(escapeHtml(T.errors.tooMany));
    // Another key has its own budget.
    const other = new CookieClient(w.consoleUrl);
    await signIn(other, await w.key(ALL_SCOPES, 'Calm'));
    expect((await other.get('/console')).status).toBe(200);

    // Revoking the key ends its sessions at once.
    const [, keyId = ''] = /^lsk_([a-f0-9]{16})_/.exec(key) ?? [];
    await w.support.keys.revoke(keyId);
    const fresh = new CookieClient(w.consoleUrl);
    fresh.jar.set('ls_console', client.jar.get('ls_console') ?? '');
    expect((await fresh.get('/console')).status).toBe(303);

    // Signing out deletes the session on the server: the old cookie is worth nothing.
    const kept = other.jar.get('ls_console') ?? '';
    const out = await other.post('/console/sign-out', { csrf: csrfOf((await other.get('/console')).text) });
    expect(out.status).toBe(200);
    expect(out.text).toContain(escapeHtml(T.signIn.signedOut));
    expect(cookieLine(out.setCookies, 'ls_console')).toMatch(/Expires=Thu, 01 Jan 1970|Max-Age=0/);
    const replay = new CookieClient(w.consoleUrl);
    replay.jar.set('ls_console', kept);
    expect((await replay.get('/console')).status).toBe(303);
    expect(await redis.keys(`${w.prefix}support:console-session:*`)).toHaveLength(1);
  });

  it('limits sign-in attempts per client address, so keys cannot be guessed through the form', async () => {
    const w = await createConsoleWorld(redis, { console: { signInRateLimit: { max: 3, windowMs: 60_000 } } });
    worlds.push(w);
    const client = new CookieClient(w.consoleUrl);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1)
      statuses.push((await signIn(client, `lsk_${'0'.repeat(16)}_${'B'.repeat(43)}`)).status);
    const good = await signIn(client, await w.key(ALL_SCOPES));
    statuses.push(good.status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect(good.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(client.jar.has('ls_console')).toBe(false);
  });

  it('marks the cookies Secure (with the __Secure- prefix) when PUBLIC_URL is https', async () => {
    const w = await createConsoleWorld(redis, { console: { secureCookies: true } });
    worlds.push(w);
    const client = new CookieClient(w.consoleUrl);
    const page = await client.get('/console/sign-in');
    expect(cookieLine(page.setCookies, '__Secure-ls_console_pre')).toMatch(/; Secure/);
    const signedIn = await signIn(client, await w.key(ALL_SCOPES));
    const session = cookieLine(signedIn.setCookies, '__Secure-ls_console');
    expect(session).toMatch(/; Secure/);
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Strict/);
    expect((await client.get('/console')).status).toBe(200);
  });
});

/**
 * The agent API through real HTTP on loopback: the server of the composition root with the API mounted,
 * real key checks, validation, the per-key rate limit and the OpenAPI document.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { COMPLETION_EVENTS } from '../../src/support/handoffs.ts';
import { connectRedis } from '../helpers/redis.ts';
import { createWorld, PHONE, type World } from './world.ts';

const redis = connectRedis();
const worlds: World[] = [];
afterEach(async () => {
  while (worlds.length > 0) await worlds.pop()?.close();
});
async function world(options: Parameters<typeof createWorld>[1] = {}): Promise<World> {
  const w = await createWorld(redis, options);
  worlds.push(w);
  return w;
}

const TELEGRAM_PAYLOAD = /^[A-Za-z0-9_-]{1,64}$/;

describe('support API: keys and scopes', () => {
  it('answers 401 with no key, a malformed key, an unknown key and a revoked key', async () => {
    const w = await world();
    const good = await w.key(['handoff:read']);
    const { record } = await w.support.keys.create('Revoked Ricky', ['handoff:read']);
    const revokedKey = (await w.support.keys.create('Revoked Rita', ['handoff:read'])).key;
    await w.support.keys.revoke(revokedKey.split('_')[1] ?? '');
    const unknown = good.replace(/_[^_]+$/, `_${'A'.repeat(43)}`);
    for (const key of [undefined, 'not-a-key', unknown, revokedKey]) {
      const answer = await w.api('GET', '/api/handoffs/hof_0000000000000000', { ...(key ? { key } : {}) });
      expect(answer.status, String(key)).toBe(401);
      expect(answer.json).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
      expect(answer.headers.get('www-authenticate')).toContain('Bearer');
    }
    expect(record.hash).toMatch(/^[a-f0-9]{64}$/);
    // The good key gets past authentication (404: no such handoff).
    expect((await w.api('GET', '/api/handoffs/hof_0000000000000000', { key: good })).status).toBe(404);
  });

  it('keeps keys only hashed: the stored record never holds the key or its secret part', async () => {
    const w = await world();
    const key = await w.key(['handoff:write']);
    // `lsk_<id>_<secret>`: the secret is everything after the id (it may hold `_` itself).
    const secretPart = key.split('_').slice(2).join('_');
    expect(secretPart).toHaveLength(43);
    const keysInStore = await redis.keys(`${w.prefix}support:apikey*`);
    const values: unknown[] = [];
    for (const k of keysInStore) {
      values.push((await redis.type(k)) === 'string' ? await redis.get(k) : await redis.lrange(k, 0, -1));
    }
    const stored = JSON.stringify(values);
    expect(values.length).toBeGreaterThan(0);
    expect(stored).not.toContain(secretPart);
    expect(stored).not.toContain(key);
  });

  it('answers 403 when the key lacks the scope, and records the refusal with the key name', async () => {
    const w = await world();
    const readOnly = await w.key(['handoff:read', 'escalation:read'], 'Read-only Rosa');
    const created = await w.api('POST', '/api/handoffs', {
      key: readOnly,
      body: { account: PHONE, flow: 'change-phone' },
    });
    expect(created.status).toBe(403);
    expect(created.json.error).toEqual({
      code: 'forbidden',
      message: 'This key lacks the scope handoff:write.',
    });
    const escalationOnly = await w.key(['escalation:write']);
    const resolve = await w.api('POST', '/api/escalations/esc_0000000000000000/resolve', {
      key: escalationOnly,
      body: { handoff: { flow: 'change-phone' } },
    });
    expect(resolve.status).toBe(403);
    expect((await w.api('GET', '/api/escalations', { key: escalationOnly })).status).toBe(403);
    const audit = await w.support.audit.list();
    expect(audit.filter((e) => e.action === 'auth.denied').map((e) => e.actor)).toContainEqual(
      expect.objectContaining({ kind: 'key', name: 'Read-only Rosa' }),
    );
  });
});

describe('support API: validation', () => {
  it('answers 400 with a JSON error for bodies that are not right', async () => {
    const w = await world();
    const key = await w.key(['handoff:write', 'handoff:read', 'escalation:read', 'escalation:write']);
    const cases: Array<[string, { body?: unknown; raw?: string }, string]> = [
      ['no account', { body: { flow: 'change-phone' } }, 'invalid_request'],
      [
        'expiry too long',
        { body: { account: PHONE, flow: 'phone', expiresInMinutes: 100_000 } },
        'invalid_request',
      ],
      [
        'expiry not a number',
        { body: { account: PHONE, flow: 'phone', expiresInMinutes: '30' } },
        'invalid_request',
      ],
      ['an unknown field', { body: { account: PHONE, flow: 'phone', admin: true } }, 'invalid_request'],
      ['a list', { raw: '[1,2]' }, 'invalid_request'],
      ['broken JSON', { raw: '{"account":' }, 'invalid_request'],
      ['no body', {}, 'invalid_request'],
      ['an unknown task', { body: { account: PHONE, flow: 'format-disk' } }, 'unknown_flow'],
      ['the handoff flow itself', { body: { account: PHONE, flow: 'handoff' } }, 'unknown_flow'],
      [
        'linking (not a task of an account)',
        { body: { account: PHONE, flow: 'link-account' } },
        'unknown_flow',
      ],
    ];
    for (const [name, request, code] of cases) {
      const answer = await w.api('POST', '/api/handoffs', { key, ...request });
      expect([name, answer.status, answer.json?.error?.code]).toEqual([name, 400, code]);
      expect(answer.json.error.message).toEqual(expect.any(String));
    }
    const list = await w.api('GET', '/api/escalations?status=closed', { key });
    expect([list.status, list.json.error.code]).toEqual([400, 'invalid_request']);
    const resolve = await w.api('POST', '/api/escalations/esc_0000000000000000/resolve', {
      key,
      body: { message: '' },
    });
    expect(resolve.status).toBe(400);
  });

  it('answers 404 for an unknown account, handoff, escalation or endpoint, and 405 for a wrong method', async () => {
    const w = await world();
    const key = await w.key(['handoff:write', 'handoff:read', 'escalation:read', 'escalation:write']);
    const noAccount = await w.api('POST', '/api/handoffs', {
      key,
      body: { account: 'nobody@example.com', flow: 'change-phone' },
    });
    expect([noAccount.status, noAccount.json.error.code]).toEqual([404, 'account_not_found']);
    expect((await w.api('GET', '/api/handoffs/hof_0123456789abcdef', { key })).json.error.code).toBe(
      'not_found',
    );
    expect((await w.api('GET', '/api/escalations/esc_0123456789abcdef', { key })).status).toBe(404);
    expect(
      (await w.api('POST', '/api/escalations/esc_0123456789abcdef/resolve', { key, body: {} })).status,
    ).toBe(404);
    expect((await w.api('GET', '/api/nothing-here', { key })).json.error.code).toBe('not_found');
    const wrongMethod = await w.api('GET', '/api/handoffs', { key });
    expect([wrongMethod.status, wrongMethod.headers.get('allow')]).toEqual([405, 'POST']);
  });
});

describe('support API: handoffs', () => {
  it('makes a handoff by phone, email or id, with a single code that fits a Telegram start payload', async () => {
    const w = await world();
    const key = await w.key(['handoff:write', 'handoff:read']);
    const codes = new Set<string>();
    for (const account of [PHONE, 'ALICE@example.com', w.accountId]) {
      const answer = await w.api('POST', '/api/handoffs', {
        key,
        body: { account, flow: 'phone', note: 'lost phone, ticket 4711' },
      });
      expect(answer.status).toBe(201);
      const { id, code, telegramLink, discordCommand, startCommand, expiresAt, status } = answer.json;
      expect(status).toBe('pending');
      expect(code).toMatch(TELEGRAM_PAYLOAD);
      // 32 characters of URL-safe base64 after the prefix: 192 random bits.
      expect(code).toMatch(/^ho-[A-Za-z0-9_-]{32}$/);
      expect(telegramLink).toBe(`https://t.me/lockstep_support_bot?start=${code}`);
      expect(discordCommand).toBe(`/recover code:${code}`);
      expect(startCommand).toBe(`/start ${code}`);
      expect(Date.parse(expiresAt) - w.clock.now()).toBeGreaterThan(29 * 60_000);
      expect(Date.parse(expiresAt) - w.clock.now()).toBeLessThanOrEqual(30 * 60_000);
      codes.add(code);
      const shown = await w.api('GET', `/api/handoffs/${id}`, { key });
      expect(shown.json).toMatchObject({
        id,
        status: 'pending',
        accountId: w.accountId,
        flow: 'change-phone',
        note: 'lost phone, ticket 4711',
        createdBy: 'Agent Smith',
        timeline: [{ status: 'pending' }],
      });
      // The code is shown once, when made.
      expect(shown.text).not.toContain(code);
    }
    expect(codes.size).toBe(3);
    const audit = await w.support.audit.list();
    expect(audit.filter((e) => e.action === 'handoff.created')).toHaveLength(3);
    expect(audit.find((e) => e.action === 'handoff.created')?.actor).toMatchObject({
      kind: 'key',
      name: 'Agent Smith',
    });
  });
});

describe('support API: rate limit and document', () => {
  it.each([
    ['alone', false],
    ['next to /verify-email (the server has its own limiter)', true],
  ])(
    'limits each key on its own (%s): 429 with Retry-After past the limit, another key still served',
    async (_name, verifyEmail) => {
      const w = await world({ config: { rateLimit: { max: 3, windowMs: 60_000 } }, verifyEmail });
      const first = await w.key(['handoff:read'], 'Busy Bea');
      const second = await w.key(['handoff:read'], 'Calm Carl');
      const statuses: number[] = [];
      let last = null as Awaited<ReturnType<World['api']>> | null;
      for (let i = 0; i < 5; i += 1) {
        last = await w.api('GET', '/api/handoffs/hof_0123456789abcdef', { key: first });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([404, 404, 404, 429, 429]);
      expect(last?.json).toEqual({ error: { code: 'rate_limited', message: expect.any(String) } });
      expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await w.api('GET', '/api/handoffs/hof_0123456789abcdef', { key: second })).status).toBe(404);
    },
  );

  it('serves the OpenAPI document with every endpoint, its scope and its schemas', async () => {
    const w = await world();
    const doc = await w.api('GET', '/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.json.openapi).toBe('3.1.0');
    expect(Object.keys(doc.json.paths).sort()).toEqual([
      '/api/escalations',
      '/api/escalations/{id}',
      '/api/escalations/{id}/resolve',
      '/api/handoffs',
      '/api/handoffs/{id}',
    ]);
    expect(doc.json.paths['/api/handoffs'].post['x-lockstep-scope']).toBe('handoff:write');
    expect(
      doc.json.paths['/api/handoffs'].post.requestBody.content['application/json'].schema.required,
    ).toEqual(['flow', 'account']);
    expect(doc.json['x-lockstep-tasks']).toEqual(expect.arrayContaining(['change-password', 'change-phone']));
    expect(doc.json['x-lockstep-tasks']).not.toContain('handoff');
    // Every task whose completion a handoff can tell is a registered flow, and each one is offered.
    expect([...doc.json['x-lockstep-tasks']].sort()).toEqual(Object.keys(COMPLETION_EVENTS).sort());
  });
});

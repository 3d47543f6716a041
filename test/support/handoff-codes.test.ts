/**
 * What a handoff code allows, and what not: it works once, expires, leads only into its own task and its
 * own account, and a chat cannot guess codes. Driven through the real engine (console chats) and the API.
 */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { runConsole } from '../../adapters/console/console-adapter.ts';
import { t } from '../../src/catalog/catalog.ts';
import { connectRedis } from '../helpers/redis.ts';
import { chatOf, createWorld, keysOf, PASSWORD, PHONE, type World } from './world.ts';

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

async function handoff(w: World, flow = 'change-password', extra: Record<string, unknown> = {}) {
  const key = await w.key(['handoff:write', 'handoff:read']);
  const made = await w.api('POST', '/api/handoffs', { key, body: { account: PHONE, flow, ...extra } });
  expect(made.status).toBe(201);
  return {
    ...(made.json as { id: string; code: string }),
    status: async () => (await w.api('GET', `/api/handoffs/${made.json.id}`, { key })).json,
  };
}

const NEW_PASSWORD = 'Quiet-Harbour-Maple-77';

describe('handoff codes', () => {
  it('opens in the console: a linked chat goes straight into the task, which still asks for the proof', async () => {
    const w = await world();
    await w.services.accounts.link(w.accountId, 'console', 'console', w.clock.now());
    const h = await handoff(w);
    const input = new PassThrough();
    let out = '';
    const output = new PassThrough();
    output.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const done = runConsole({ engine: w.engine, input, output });
    const waitFor = async (text: string) => {
      const deadline = Date.now() + 10_000;
      while (!out.includes(text)) {
        if (Date.now() > deadline) throw new Error(`no "${text}" in:\n${out}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    input.write(`/start ${h.code}\n`);
    await waitFor(t('en', 'handoff.openedLinked', { task: t('en', 'password.title') }));
    await waitFor(t('en', 'password.askCurrent'));
    expect((await h.status()).status).toBe('opened');
    input.write(`${PASSWORD}\n`);
    await waitFor(t('en', 'password.askNew'));
    input.write(`${NEW_PASSWORD}\n`);
    input.write(`${NEW_PASSWORD}\n`);
    await waitFor(t('en', 'handoff.completed'));
    input.end();
    await done;
    const status = await h.status();
    expect(status.status).toBe('completed');
    expect(status.openedIn).toBe('console');
    expect(await w.services.hasher.verify((await w.account()).passwordHash, NEW_PASSWORD)).toBe(true);
  });

  it('works once: a second chat, or the same one again, is told the code was used', async () => {
    const w = await world();
    const h = await handoff(w);
    const first = chatOf(w.engine, { channel: 'console', chatId: 'c1' });
    expect(keysOf(await first.command('start', h.code))).toEqual([
      'handoff.opened',
      'handoff.pickDestination',
    ]);
    await first.command('cancel');
    const second = chatOf(w.engine, { channel: 'telegram', chatId: '5001' });
    expect(keysOf(await second.command('start', h.code))).toEqual(['handoff.used']);
    expect(keysOf(await first.command('start', h.code))).toEqual(['handoff.used']);
    expect((await w.account()).links).toEqual([]);
  });

  it('expires after its time (30 minutes unless asked otherwise): expired on the API and in the chat', async () => {
    const w = await world();
    const short = await handoff(w, 'change-password', { expiresInMinutes: 5 });
    const long = await handoff(w);
    w.clock.advance(6 * 60_000);
    await w.support.tick();
    expect((await short.status()).status).toBe('expired');
    expect((await long.status()).status).toBe('pending');
    const chat = chatOf(w.engine, { channel: 'console', chatId: 'c1' });
    expect(keysOf(await chat.command('start', short.code))).toEqual(['handoff.expired']);
    w.clock.advance(25 * 60_000);
    expect(keysOf(await chat.command('start', long.code))).toEqual(['handoff.expired']);
    const timeline = (await long.status()).timeline.map((entry: { status: string }) => entry.status);
    expect(timeline).toEqual(['pending', 'expired']);
    await w.support.webhook.idle();
    expect(w.receiver.handoffStatuses(short.id)).toEqual(['pending', 'expired']);
  });

  it('leads only into its own task: another task done meanwhile does not complete it, and leaving abandons it', async () => {
    const w = await world();
    await w.services.accounts.link(w.accountId, 'console', 'u7', w.clock.now());
    const h = await handoff(w, 'change-phone');
    const chat = chatOf(w.engine, { channel: 'console', chatId: 'c7' }, 'u7');
    expect(keysOf(await chat.command('start', h.code))).toEqual(['handoff.openedLinked', 'phone.intro']);
    // The user leaves the handed-off task and does something else.
    expect(keysOf(await chat.command('cancel'))).toEqual(['common.cancelled']);
    expect(keysOf(await chat.command('activity'))).toContain('activity.events');
    expect((await h.status()).status).toBe('opened');
    // The sweeper sees that the chat no longer runs the task.
    w.clock.advance(17 * 60_000);
    await w.support.tick();
    const status = await h.status();
    expect(status.status).toBe('abandoned');
    expect(status.timeline.at(-1)).toMatchObject({ status: 'abandoned', detail: 'cancelled or idle' });
    // A code cannot be bent to another task: `/start <code>` always starts the handoff it belongs to.
    const other = await handoff(w, 'activity');
    expect(keysOf(await chat.command('password', other.code)).at(-1)).toBe('password.askCurrent');
    expect((await other.status()).status).toBe('pending');
  });

  it('is bound to its account: a chat linked to another account is refused and the code stays usable', async () => {
    const w = await world();
    const other = await w.services.accounts.create({
      phone: '+8613700137000',
      email: null,
      passwordHash: await w.services.hasher.hash('Another-Pass-88'),
      now: w.clock.now(),
    });
    if (!other.ok) throw new Error('seed');
    await w.services.accounts.link(other.account.id, 'console', 'mallory', w.clock.now());
    const h = await handoff(w);
    const mallory = chatOf(w.engine, { channel: 'console', chatId: 'm1' }, 'mallory');
    expect(keysOf(await mallory.command('start', h.code))).toEqual(['handoff.otherAccount']);
    expect((await h.status()).status).toBe('pending');
    const owner = chatOf(w.engine, { channel: 'console', chatId: 'o1' }, 'owner');
    expect(keysOf(await owner.command('start', h.code))).toEqual([
      'handoff.opened',
      'handoff.pickDestination',
    ]);
    const audit = await w.support.audit.list({ target: h.id });
    expect(audit.map((e) => [e.action, e.detail?.reason ?? null]).reverse()).toEqual([
      ['handoff.created', null],
      ['handoff.refused', 'otherAccount'],
      ['handoff.opened', null],
    ]);
  });

  it('cannot be guessed: after 5 tries a chat is refused even the right code, other chats are not', async () => {
    const w = await world();
    const h = await handoff(w);
    const guesser = chatOf(w.engine, { channel: 'telegram', chatId: '6001' });
    const answers: string[][] = [];
    for (let i = 0; i < 5; i += 1) {
      const guess = `ho-${String(i).repeat(32)}`;
      answers.push(keysOf(await guesser.command('start', guess)));
    }
    expect(answers).toEqual(Array.from({ length: 5 }, () => ['handoff.invalid']));
    const locked = await guesser.command('start', h.code);
    expect(keysOf(locked)).toEqual(['handoff.tooMany']);
    expect(locked[0]?.params).toEqual({ minutes: 60 });
    expect(keysOf(await guesser.command('recover', 'anything'))).toEqual(['handoff.tooMany']);
    expect((await h.status()).status).toBe('pending');
    const user = chatOf(w.engine, { channel: 'telegram', chatId: '6002' });
    expect(keysOf(await user.command('start', h.code))).toEqual([
      'handoff.opened',
      'handoff.pickDestination',
    ]);
    expect(
      (await w.support.audit.list({ limit: 50 })).filter((e) => e.action === 'handoff.refused').length,
    ).toBeGreaterThanOrEqual(5);
  });
});

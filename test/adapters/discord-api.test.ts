/**
 * The Discord stand-in itself, checked with plain `fetch` and a plain WebSocket (no discord.js), so that the
 * adapter's tests rest on Discord's rules and not on the stand-in being lenient: the gateway handshake,
 * resume and session end; callbacks once and within 3 s, a 204 without a content type, a form never
 * answering a form, follow-ups only after the first answer and only while the token lives; DM rules.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { CALLBACK, FakeDiscord, type FakeDiscordOptions, INTENTS } from '../helpers/discord-api.ts';

const stands: FakeDiscord[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  for (const discord of stands.splice(0)) await discord.close();
});

async function standIn(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const discord = await FakeDiscord.start(options);
  stands.push(discord);
  return discord;
}

interface Frame {
  readonly op: number;
  readonly t: string | null;
  readonly s: number | null;
  readonly d: Record<string, unknown> | null;
}

/** A bare gateway client: records every frame it receives. */
async function connect(
  url: string,
): Promise<{ socket: WebSocket; frames: Frame[]; closed: Promise<number> }> {
  const socket = new WebSocket(`${url}?v=10&encoding=json`);
  sockets.push(socket);
  const frames: Frame[] = [];
  socket.on('message', (raw) => frames.push(JSON.parse(raw.toString()) as Frame));
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  await new Promise((resolve) => socket.once('open', resolve));
  return { socket, frames, closed };
}

async function until<T>(check: () => T | undefined | null | false, ms = 5_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const value = check();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('timed out');
}

async function identified(discord: FakeDiscord, intents = INTENTS.Guilds | INTENTS.DirectMessages) {
  const client = await connect(discord.gatewayUrl);
  client.socket.send(JSON.stringify({ op: 2, d: { token: discord.token, intents, properties: {} } }));
  await until(() => client.frames.find((frame) => frame.t === 'READY'));
  return client;
}

function api(discord: FakeDiscord, path: string, init: RequestInit & { bot?: boolean } = {}) {
  const headers = new Headers(init.headers);
  if (init.bot !== false) headers.set('authorization', `Bot ${discord.token}`);
  if (init.body !== undefined) headers.set('content-type', 'application/json');
  return fetch(`${discord.apiRoot}/v10${path}`, { ...init, headers });
}

async function registerHelp(discord: FakeDiscord): Promise<void> {
  const response = await api(discord, `/applications/${discord.applicationId}/commands`, {
    method: 'PUT',
    body: JSON.stringify([{ name: 'help', description: 'Help', type: 1 }]),
  });
  expect(response.status).toBe(200);
}

describe('the Discord stand-in', () => {
  it('serves the gateway URL to the bot token only', async () => {
    const discord = await standIn();
    const ok = await api(discord, '/gateway/bot');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ url: discord.gatewayUrl, shards: 1 });
    const anonymous = await api(discord, '/gateway/bot', { bot: false });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ code: 0, message: '401: Unauthorized' });
    expect((await api(discord, '/no/such/route')).status).toBe(404);
  });

  it('says HELLO, acknowledges heartbeats, refuses a wrong token (4004), sends READY and GUILD_CREATE, resumes, and ends the session on 1000', async () => {
    const discord = await standIn({ heartbeatMs: 45_000 });
    const guild = discord.guild('Server');
    const wrong = await connect(discord.gatewayUrl);
    expect(await until(() => wrong.frames[0])).toMatchObject({ op: 10, d: { heartbeat_interval: 45_000 } });
    wrong.socket.send(JSON.stringify({ op: 2, d: { token: 'nope', intents: 1, properties: {} } }));
    expect(await wrong.closed).toBe(4004);

    const client = await identified(discord);
    client.socket.send(JSON.stringify({ op: 1, d: null }));
    await until(() => client.frames.find((frame) => frame.op === 11));
    const ready = client.frames.find((frame) => frame.t === 'READY');
    expect(ready?.d).toMatchObject({
      guilds: [{ id: guild.id, unavailable: true }],
      resume_gateway_url: `${discord.gatewayUrl}/resume`,
    });
    await until(() => client.frames.find((frame) => frame.t === 'GUILD_CREATE'));
    const sessionId = String(ready?.d?.session_id);

    // Dropped by Discord: what is dispatched meanwhile comes back on RESUME, then RESUMED.
    discord.disconnect(4000);
    expect(await client.closed).toBe(4000);
    await registerHelp(discord);
    const person = discord.person('Eve');
    discord.slash(person, 'dm', 'help');
    const again = await connect(`${discord.gatewayUrl}/resume`);
    again.socket.send(JSON.stringify({ op: 6, d: { token: discord.token, session_id: sessionId, seq: 2 } }));
    await until(() => again.frames.find((frame) => frame.t === 'RESUMED'));
    expect(again.frames.filter((frame) => frame.op === 0).map((frame) => [frame.t, frame.s])).toEqual([
      ['INTERACTION_CREATE', 3],
      ['RESUMED', 4],
    ]);

    // A close with 1000 ends the session: it cannot be resumed.
    again.socket.close(1000);
    await again.closed;
    await until(() => !discord.connected);
    const late = await connect(discord.gatewayUrl);
    late.socket.send(JSON.stringify({ op: 6, d: { token: discord.token, session_id: sessionId, seq: 4 } }));
    expect(await until(() => late.frames.find((frame) => frame.op === 9))).toMatchObject({ op: 9, d: false });
  });

  it('filters dispatches by intents and blanks server message content without MESSAGE_CONTENT unless the bot is mentioned', async () => {
    const discord = await standIn();
    const guild = discord.guild('Server');
    const client = await identified(discord, INTENTS.Guilds | INTENTS.GuildMessages);
    const person = discord.person('Frank');
    discord.say(person, guild, 'hello there');
    discord.say(person, guild, 'look', { mention: true });
    discord.say(person, 'dm', 'a direct message');
    const created = await until(() => {
      const found = client.frames.filter((frame) => frame.t === 'MESSAGE_CREATE');
      return found.length >= 2 ? found : null;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(
      client.frames.filter((frame) => frame.t === 'MESSAGE_CREATE').map((frame) => frame.d?.content),
    ).toEqual(['', `<@${discord.bot.id}> look`]);
    expect(created).toHaveLength(2);
  });

  it('takes one callback per interaction within 3 s, answers 204 without a content type, never a form after a form, follow-ups after the first answer while the token lives', async () => {
    const discord = await standIn({ answerWithinMs: 300, tokenLifetimeMs: 600 });
    await identified(discord);
    await registerHelp(discord);
    const person = discord.person('Grace');
    const callback = (id: string, token: string, body: unknown) =>
      api(discord, `/interactions/${id}/${token}/callback`, {
        method: 'POST',
        body: JSON.stringify(body),
        bot: false,
      });

    const first = discord.slash(person, 'dm', 'help');
    const early = await api(discord, `/webhooks/${discord.applicationId}/${first.token}?wait=true`, {
      method: 'POST',
      body: JSON.stringify({ content: 'too early' }),
      bot: false,
    });
    expect(early.status).toBe(404);
    expect(await early.json()).toEqual({ code: 10015, message: 'Unknown Webhook' });
    const answer = await callback(first.id, first.token, {
      type: CALLBACK.Modal,
      data: {
        custom_id: 'ls1:m:x',
        title: 'Form',
        components: [{ type: 18, label: 'Code', component: { type: 4, custom_id: 'answer', style: 1 } }],
      },
    });
    expect(answer.status).toBe(204);
    expect(answer.headers.get('content-type')).toBeNull();
    expect(await answer.text()).toBe('');
    const twice = await callback(first.id, first.token, {
      type: CALLBACK.ChannelMessage,
      data: { content: 'again' },
    });
    expect(twice.status).toBe(400);
    expect(await twice.json()).toMatchObject({ code: 40060 });

    const submitted = discord.submit(person, first, ['123456']);
    const formAfterForm = await callback(submitted.id, submitted.token, {
      type: CALLBACK.Modal,
      data: {
        custom_id: 'ls1:m:y',
        title: 'Form',
        components: [{ type: 18, label: 'Code', component: { type: 4, custom_id: 'answer', style: 1 } }],
      },
    });
    expect(formAfterForm.status).toBe(400);
    expect(
      (await callback(submitted.id, submitted.token, { type: CALLBACK.DeferredChannelMessage, data: {} }))
        .status,
    ).toBe(204);
    const followUp = await api(discord, `/webhooks/${discord.applicationId}/${submitted.token}?wait=true`, {
      method: 'POST',
      body: JSON.stringify({ content: 'a follow-up', flags: 64 }),
      bot: false,
    });
    expect(followUp.status).toBe(200);
    expect(await followUp.json()).toMatchObject({ content: 'a follow-up', flags: 64 });

    const slow = discord.slash(person, 'dm', 'help');
    await new Promise((resolve) => setTimeout(resolve, 400));
    const late = await callback(slow.id, slow.token, {
      type: CALLBACK.ChannelMessage,
      data: { content: 'late' },
    });
    expect(late.status).toBe(404);
    expect(await late.json()).toMatchObject({ code: 10062 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const expired = await api(
      discord,
      `/webhooks/${discord.applicationId}/${submitted.token}/messages/@original`,
      {
        method: 'PATCH',
        body: JSON.stringify({ content: 'edited' }),
        bot: false,
      },
    );
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ code: 50027 });
  });

  it("refuses a DM to a user who does not take DMs (50007) and deleting a user's message in a DM (50003), allows it in a server with Manage Messages", async () => {
    const discord = await standIn();
    const guild = discord.guild('Server');
    await identified(discord);
    const closed = discord.person('Heidi', { dmsOpen: false });
    const dm = await api(discord, '/users/@me/channels', {
      method: 'POST',
      body: JSON.stringify({ recipient_id: closed.user.id }),
    });
    expect(dm.status).toBe(200);
    const send = await api(discord, `/channels/${closed.dmChannelId}/messages`, {
      method: 'POST',
      body: JSON.stringify({ content: 'hi' }),
    });
    expect(send.status).toBe(403);
    expect(await send.json()).toEqual({ code: 50007, message: 'Cannot send messages to this user' });
    const typed = discord.say(closed, 'dm', 'secret');
    const inDm = await api(discord, `/channels/${closed.dmChannelId}/messages/${typed.id}`, {
      method: 'DELETE',
    });
    expect(inDm.status).toBe(403);
    expect(await inDm.json()).toMatchObject({ code: 50003 });
    const inServer = discord.say(closed, guild, 'secret');
    const deleted = await api(discord, `/channels/${guild.channelId}/messages/${inServer.id}`, {
      method: 'DELETE',
    });
    expect(deleted.status).toBe(204);
    expect(deleted.headers.get('content-type')).toBeNull();
    expect(discord.message(inServer.id).deleted).toBe(true);
  });
});

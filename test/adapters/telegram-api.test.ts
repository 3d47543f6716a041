import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Update } from 'grammy/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeTelegramApi, parseMultipart } from '../helpers/telegram-api.ts';

interface Answer {
  readonly status: number;
  readonly body: {
    ok: boolean;
    result?: unknown;
    error_code?: number;
    description?: string;
    parameters?: unknown;
  };
}

let api: FakeTelegramApi;

beforeEach(async () => {
  api = await FakeTelegramApi.start();
});

afterEach(async () => {
  await api.close();
});

async function call(
  method: string,
  params: Record<string, unknown> = {},
  token = api.token,
): Promise<Answer> {
  const response = await fetch(`${api.url}/bot${token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

function ids(answer: Answer): number[] {
  return (answer.body.result as Update[]).map((update) => update.update_id);
}

describe('the Telegram Bot API stand-in', () => {
  it('answers a long poll as soon as an update arrives, well before its timeout', async () => {
    const alice = api.person(1);
    const started = Date.now();
    const poll = call('getUpdates', { timeout: 5 });
    setTimeout(() => api.userSends(alice.chat, alice.user, 'hello'), 100);
    const answer = await poll;
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(answer.body.ok).toBe(true);
    const [update] = answer.body.result as Update[];
    expect(update?.message?.text).toBe('hello');
    expect(update?.message?.chat).toEqual(alice.chat);
    expect(update?.message?.message_id).toBe(1);
  });

  it('holds a long poll for its timeout when nothing arrives, then answers with no updates', async () => {
    const started = Date.now();
    const answer = await call('getUpdates', { timeout: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(answer.body).toEqual({ ok: true, result: [] });
  });

  it('keeps updates until an offset confirms them, then drops them', async () => {
    const alice = api.person(1);
    const first = api.userSends(alice.chat, alice.user, 'one');
    const second = api.userSends(alice.chat, alice.user, 'two');
    const third = api.userSends(alice.chat, alice.user, 'three');
    expect(ids(await call('getUpdates'))).toEqual([first.update_id, second.update_id, third.update_id]);
    // Not confirmed yet: delivered again.
    expect(ids(await call('getUpdates'))).toHaveLength(3);
    expect(ids(await call('getUpdates', { offset: second.update_id }))).toEqual([
      second.update_id,
      third.update_id,
    ]);
    expect(ids(await call('getUpdates', { offset: third.update_id + 1 }))).toEqual([]);
    // Confirmed updates are gone for good, even without an offset.
    expect(ids(await call('getUpdates'))).toEqual([]);
    expect(api.pendingUpdates).toBe(0);
  });

  it('honours limit, a negative offset and allowed_updates', async () => {
    const alice = api.person(1);
    const updates = ['a', 'b', 'c', 'd'].map((text) => api.userSends(alice.chat, alice.user, text));
    expect(ids(await call('getUpdates', { limit: 2 }))).toEqual(updates.slice(0, 2).map((u) => u.update_id));
    expect(ids(await call('getUpdates', { offset: -1 }))).toEqual([updates[3]?.update_id]);
    const sent = await call('sendMessage', {
      chat_id: 1,
      text: 'pick',
      reply_markup: { inline_keyboard: [[{ text: 'x', callback_data: 'c:x' }]] },
    });
    const messageId = (sent.body.result as { message_id: number }).message_id;
    api.userPresses(alice.chat, alice.user, messageId, 'c:x');
    api.userSends(alice.chat, alice.user, 'e');
    const onlyPresses = await call('getUpdates', { allowed_updates: ['callback_query'] });
    expect((onlyPresses.body.result as Update[]).map((u) => Object.keys(u)[1])).toEqual(['callback_query']);
  });

  it('delivers updates queued in one go in one batch, duplicates included', async () => {
    const alice = api.person(1);
    const update = api.messageUpdate(alice.chat, alice.user, 'twice');
    const poll = call('getUpdates', { timeout: 2 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    api.enqueue(update);
    api.enqueue(update);
    expect(ids(await poll)).toEqual([update.update_id, update.update_id]);
  });

  it('ends a waiting poll with 409 when another poll starts, and refuses polls while a webhook is set', async () => {
    const first = call('getUpdates', { timeout: 5 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = call('getUpdates', { timeout: 0 });
    expect((await first).status).toBe(409);
    expect((await second).body.ok).toBe(true);
    expect((await call('setWebhook', { url: 'http://127.0.0.1:9/hook', secret_token: 'abc' })).body.ok).toBe(
      true,
    );
    const refused = await call('getUpdates');
    expect(refused.status).toBe(409);
    expect(refused.body.description).toMatch(/webhook is active/);
    await call('deleteWebhook');
    expect((await call('getUpdates')).status).toBe(200);
  });

  it('answers unknown methods with 404 and a wrong token with 401', async () => {
    expect(await call('sendTelepathy')).toEqual({
      status: 404,
      body: { ok: false, error_code: 404, description: 'Not Found: method not found' },
    });
    expect((await call('getMe', {}, '1:wrong')).status).toBe(401);
    const me = await call('getMe');
    expect(me.body.result).toMatchObject({ is_bot: true, username: 'lockstep_test_bot', id: 123456 });
  });

  it('returns real Message objects, validates keyboards and records every call', async () => {
    const alice = api.person(7);
    api.userSends(alice.chat, alice.user, '/start');
    const sent = await call('sendMessage', {
      chat_id: 7,
      text: 'hi',
      protect_content: true,
      reply_markup: { inline_keyboard: [[{ text: 'Go', callback_data: 'c:go' }]] },
    });
    expect(sent.body.result).toMatchObject({
      message_id: 2,
      chat: { id: 7, type: 'private' },
      from: { is_bot: true, username: 'lockstep_test_bot' },
      text: 'hi',
      has_protected_content: true,
      reply_markup: { inline_keyboard: [[{ text: 'Go', callback_data: 'c:go' }]] },
    });
    expect(typeof (sent.body.result as { date: number }).date).toBe('number');
    const tooLong = await call('sendMessage', {
      chat_id: 7,
      text: 'x',
      reply_markup: { inline_keyboard: [[{ text: 'Go', callback_data: 'c:'.padEnd(65, 'x') }]] },
    });
    expect(tooLong.body.description).toBe('Bad Request: BUTTON_DATA_INVALID');
    expect((await call('sendMessage', { chat_id: 999, text: 'x' })).body.description).toBe(
      'Bad Request: chat not found',
    );
    expect(api.callsOf('sendMessage').map((c) => c.status)).toEqual([200, 400, 400]);
    expect(api.calls[0]?.params).toMatchObject({ chat_id: 7, protect_content: true });
  });

  it('parses urlencoded bodies and the entities of a command', async () => {
    const alice = api.person(3);
    const update = api.userSends(alice.chat, alice.user, '/start@lockstep_test_bot payload');
    expect(update.message?.entities).toEqual([{ type: 'bot_command', offset: 0, length: 24 }]);
    const response = await fetch(`${api.url}/bot${api.token}/sendMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ chat_id: '3', text: 'plain', protect_content: 'true' }).toString(),
    });
    expect(response.status).toBe(200);
    expect(api.callsOf('sendMessage')[0]?.params).toEqual({
      chat_id: 3,
      text: 'plain',
      protect_content: true,
    });
  });

  it('accepts a photo uploaded as multipart/form-data and records its bytes and fields', async () => {
    const alice = api.person(4);
    api.userSends(alice.chat, alice.user, '/start');
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
      'base64',
    );
    const form = new FormData();
    form.set('chat_id', '4');
    form.set('caption', 'Scan me');
    form.set('protect_content', 'true');
    form.set('photo', 'attach://file1');
    form.set('file1', new Blob([png], { type: 'image/png' }), 'qr.png');
    const response = await fetch(`${api.url}/bot${api.token}/sendPhoto`, { method: 'POST', body: form });
    const body = (await response.json()) as Answer['body'];
    expect(body.ok).toBe(true);
    expect(body.result).toMatchObject({ caption: 'Scan me', has_protected_content: true, chat: { id: 4 } });
    const sizes = (body.result as { photo: { width: number; file_size: number }[] }).photo;
    expect(sizes.at(-1)).toMatchObject({ width: 1, height: 1, file_size: png.length });
    const [recorded] = api.callsOf('sendPhoto');
    expect(recorded?.params).toMatchObject({ chat_id: 4, caption: 'Scan me', protect_content: true });
    expect(recorded?.files.file1?.bytes).toBe(png.length);
  });

  it('reads grammY-style multipart parts (lower-case headers, unquoted file name)', () => {
    const body = Buffer.concat([
      Buffer.from('--XyZ\r\ncontent-disposition:form-data;name="chat_id"\r\n\r\n42\r\n--XyZ\r\n'),
      Buffer.from(
        'content-disposition:form-data;name="abc";filename=photo.jpg\r\ncontent-type:application/octet-stream\r\n\r\n',
      ),
      Buffer.from([0, 1, 2, 13, 10, 3]),
      Buffer.from('\r\n--XyZ--\r\n'),
    ]);
    const parts = parseMultipart(body, 'XyZ');
    expect(parts.map((p) => [p.name, p.filename, p.data.length])).toEqual([
      ['chat_id', undefined, 2],
      ['abc', 'photo.jpg', 6],
    ]);
  });

  it('fails the next call of a method on request, with retry_after for 429', async () => {
    api.failNext('getMe', { status: 429, retryAfter: 3 });
    api.failNext('getMe', { status: 500 });
    expect(await call('getMe')).toEqual({
      status: 429,
      body: {
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 3',
        parameters: { retry_after: 3 },
      },
    });
    expect((await call('getMe')).status).toBe(500);
    expect((await call('getMe')).status).toBe(200);
  });

  it('answers each callback query once and deletes a message once', async () => {
    const alice = api.person(5);
    const update = api.userSends(alice.chat, alice.user, 'secret');
    const sent = await call('sendMessage', {
      chat_id: 5,
      text: 'Pick',
      reply_markup: { inline_keyboard: [[{ text: 'A', callback_data: 'c:a' }]] },
    });
    const press = api.userPresses(
      alice.chat,
      alice.user,
      (sent.body.result as { message_id: number }).message_id,
      'c:a',
    );
    const id = press.callback_query?.id;
    expect((await call('answerCallbackQuery', { callback_query_id: id })).body.ok).toBe(true);
    expect((await call('answerCallbackQuery', { callback_query_id: id })).status).toBe(400);
    const messageId = update.message?.message_id;
    expect((await call('deleteMessage', { chat_id: 5, message_id: messageId })).body.ok).toBe(true);
    expect(api.isDeleted(5, messageId ?? 0)).toBe(true);
    expect((await call('deleteMessage', { chat_id: 5, message_id: messageId })).body.description).toBe(
      'Bad Request: message to delete not found',
    );
  });

  describe('webhook mode', () => {
    let receiver: Server;
    let received: { secret: string | undefined; update: Update }[];
    let statuses: number[];

    beforeEach(async () => {
      received = [];
      statuses = [];
      receiver = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          const header = req.headers['x-telegram-bot-api-secret-token'];
          received.push({
            secret: typeof header === 'string' ? header : undefined,
            update: JSON.parse(Buffer.concat(chunks).toString()),
          });
          res.writeHead(statuses.shift() ?? 200).end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    });

    afterEach(async () => {
      await new Promise<void>((resolve) => {
        receiver.close(() => resolve());
        receiver.closeAllConnections();
      });
    });

    const hookUrl = (): string => `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

    it('POSTs new updates to the webhook with the secret header, retrying a failed delivery', async () => {
      statuses = [500];
      await call('setWebhook', { url: hookUrl(), secret_token: 'S3cret_token' });
      const alice = api.person(6);
      const update = api.userSends(alice.chat, alice.user, 'hi');
      await api.waitFor(() => api.webhookDeliveries.some((d) => d.status === 200));
      expect(api.webhookDeliveries.map((d) => [d.updateId, d.status])).toEqual([
        [update.update_id, 500],
        [update.update_id, 200],
      ]);
      expect(received.map((r) => r.secret)).toEqual(['S3cret_token', 'S3cret_token']);
      expect(received[1]?.update.message?.text).toBe('hi');
      const info = await call('getWebhookInfo');
      expect(info.body.result).toMatchObject({ url: hookUrl(), pending_update_count: 0 });
    });

    it('delivers with a wrong secret on request, and drops pending updates when asked', async () => {
      const alice = api.person(8);
      api.userSends(alice.chat, alice.user, 'old');
      await call('setWebhook', { url: hookUrl(), secret_token: 'right', drop_pending_updates: true });
      expect(api.pendingUpdates).toBe(0);
      const status = await api.deliverWebhook(api.messageUpdate(alice.chat, alice.user, 'x'), {
        secret: 'wrong',
      });
      expect(status).toBe(200);
      expect(received.map((r) => r.secret)).toEqual(['wrong']);
      expect((await call('setWebhook', { url: hookUrl(), secret_token: 'has space' })).status).toBe(400);
    });
  });
});

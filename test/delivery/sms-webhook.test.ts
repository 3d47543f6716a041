import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { DeliveryError } from '../../src/delivery/delivery.ts';
import {
  signWebhook,
  verifyWebhookSignature,
  WebhookSmsDelivery,
  type WebhookSmsDeliveryOptions,
} from '../../src/delivery/sms-webhook.ts';
import type { Logger } from '../../src/log.ts';

const SECRET = 'test-webhook-key-0123456789abcdef';

interface ReceivedRequest {
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

type Answer = (res: ServerResponse) => void;

interface Receiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/**
 * A local webhook receiver: the n-th request gets `answers[n]` (the last one repeats). An answer that
 * does nothing leaves the request hanging.
 */
async function startReceiver(answers: Answer[]): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({
        method: req.method,
        path: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const answer = answers[Math.min(requests.length, answers.length) - 1];
      answer?.(res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return { url: `http://127.0.0.1:${address.port}/sms`, requests };
}

const status =
  (code: number, headers: Record<string, string> = {}): Answer =>
  (res) => {
    res.writeHead(code, headers).end(code < 300 ? '{"ok":true}' : 'nope');
  };
const hang: Answer = () => {};

const sms = { channel: 'sms', to: '+491701234567', text: 'lockstep: your code is 482913.' } as const;

function delivery(url: string, extra: Partial<WebhookSmsDeliveryOptions> = {}) {
  const sleeps: number[] = [];
  const sender = new WebhookSmsDelivery({
    url,
    secretKey: SECRET,
    clock: new ManualClock(),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...extra,
  });
  return { sender, sleeps };
}

function header(request: ReceivedRequest | undefined, name: string): string | undefined {
  const value = request?.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

describe('WebhookSmsDelivery', () => {
  it('posts the message as signed JSON that verifyWebhookSignature accepts', async () => {
    const receiver = await startReceiver([status(200)]);
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    const { sender } = delivery(receiver.url, { clock });

    await sender.send(sms);

    expect(receiver.requests).toHaveLength(1);
    const request = receiver.requests[0];
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/sms');
    expect(header(request, 'content-type')).toBe('application/json');
    const body = JSON.parse(request?.body ?? '{}') as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['id', 'to', 'text', 'at']);
    expect(body).toMatchObject({ to: sms.to, text: sms.text, at: '2026-01-01T12:00:00.000Z' });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(header(request, 'idempotency-key')).toBe(body.id);
    const timestamp = header(request, 'x-lockstep-timestamp');
    expect(timestamp).toBe(String(Date.UTC(2026, 0, 1, 12, 0, 0) / 1000));
    const signature = header(request, 'x-lockstep-signature');
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);

    const nowMs = clock.now();
    expect(verifyWebhookSignature(SECRET, timestamp, request?.body ?? '', signature, { nowMs })).toBe(true);
    expect(verifyWebhookSignature('another-key', timestamp, request?.body ?? '', signature, { nowMs })).toBe(
      false,
    );
    const tampered = (request?.body ?? '').replace('482913', '000000');
    expect(verifyWebhookSignature(SECRET, timestamp, tampered, signature, { nowMs })).toBe(false);
    expect(
      verifyWebhookSignature(SECRET, Number(timestamp) + 1, request?.body ?? '', signature, { nowMs }),
    ).toBe(false);
  });

  it('retries a 500 and succeeds, with the same idempotency key on both attempts', async () => {
    const receiver = await startReceiver([status(500), status(200)]);
    const { sender, sleeps } = delivery(receiver.url);

    await sender.send(sms);

    expect(receiver.requests).toHaveLength(2);
    const [first, second] = receiver.requests;
    expect(header(first, 'idempotency-key')).toBeDefined();
    expect(header(second, 'idempotency-key')).toBe(header(first, 'idempotency-key'));
    expect(second?.body).toBe(first?.body);
    // base 200 ms, doubled per attempt, plus jitter of random() * the same (0.5 here).
    expect(sleeps).toEqual([300]);
  });

  it('throws a DeliveryError after every attempt got a 5xx, backing off exponentially', async () => {
    const receiver = await startReceiver([status(503)]);
    const { sender, sleeps } = delivery(receiver.url, { attempts: 4 });

    const error = await sender.send(sms).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).channel).toBe('sms');
    expect((error as DeliveryError).message).toContain('HTTP 503');
    expect(receiver.requests).toHaveLength(4);
    expect(new Set(receiver.requests.map((r) => header(r, 'idempotency-key'))).size).toBe(1);
    expect(sleeps).toEqual([300, 600, 1200]);
  });

  it('does not retry a 400', async () => {
    const receiver = await startReceiver([status(400), status(200)]);
    const { sender, sleeps } = delivery(receiver.url);

    const error = await sender.send(sms).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).message).toContain('HTTP 400');
    expect(receiver.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('gives up on a receiver that never answers, after the per-attempt timeout', async () => {
    const receiver = await startReceiver([hang]);
    const { sender } = delivery(receiver.url, { timeoutMs: 200, attempts: 2 });

    const started = Date.now();
    const error = await sender.send(sms).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).message).toContain('timeout');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(receiver.requests).toHaveLength(2);
    expect(header(receiver.requests[1], 'idempotency-key')).toBe(
      header(receiver.requests[0], 'idempotency-key'),
    );
  });

  it('honours Retry-After on a 429, capped at maxRetryAfterMs', async () => {
    const receiver = await startReceiver([
      status(429, { 'retry-after': '2' }),
      status(503, { 'retry-after': '3600' }),
      status(200),
    ]);
    const { sender, sleeps } = delivery(receiver.url, { maxRetryAfterMs: 5_000 });

    await sender.send(sms);

    expect(receiver.requests).toHaveLength(3);
    expect(sleeps).toEqual([2_000, 5_000]);
  });

  it('waits for real between attempts when no sleep is injected', async () => {
    const receiver = await startReceiver([status(502), status(204)]);
    const sender = new WebhookSmsDelivery({ url: receiver.url, secretKey: SECRET, baseDelayMs: 100 });

    const started = Date.now();
    await sender.send(sms);

    expect(receiver.requests).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
  });

  it('retries when the receiver cannot be reached, then throws a DeliveryError', async () => {
    const receiver = await startReceiver([status(200)]);
    const down = servers.pop();
    down?.closeAllConnections();
    await new Promise<void>((resolve) => down?.close(() => resolve()));
    const { sender, sleeps } = delivery(receiver.url);

    const error = await sender.send(sms).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).message).toContain('network error');
    expect((error as DeliveryError).cause).toBeDefined();
    expect(sleeps).toHaveLength(2);
  });

  it('does not follow a redirect with the code in the body', async () => {
    const elsewhere = await startReceiver([status(200)]);
    const receiver = await startReceiver([status(307, { location: elsewhere.url })]);
    const { sender } = delivery(receiver.url);

    await expect(sender.send(sms)).rejects.toBeInstanceOf(DeliveryError);
    expect(receiver.requests).toHaveLength(1);
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('refuses email messages and numbers that are not E.164, without sending', async () => {
    const receiver = await startReceiver([status(200)]);
    const { sender } = delivery(receiver.url);

    await expect(sender.send({ channel: 'email', to: 'a@b.test', text: 'x' })).rejects.toBeInstanceOf(
      DeliveryError,
    );
    await expect(sender.send({ ...sms, to: '01701234567' })).rejects.toBeInstanceOf(DeliveryError);
    expect(receiver.requests).toHaveLength(0);
  });

  it('logs failed attempts without the phone number or the text', async () => {
    const receiver = await startReceiver([status(500), status(200)]);
    const lines: string[] = [];
    const capture = (obj: object, msg: string) => lines.push(JSON.stringify({ ...obj, msg }));
    const log: Logger = { debug: capture, info: capture, warn: capture, error: capture };
    const { sender } = delivery(receiver.url, { log });

    await sender.send(sms);

    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('HTTP 500');
    expect(lines.join('\n')).not.toContain('482913');
    expect(lines.join('\n')).not.toContain(sms.to);
  });
});

describe('verifyWebhookSignature', () => {
  const body = '{"id":"1","to":"+491701234567","text":"hi","at":"2026-01-01T12:00:00.000Z"}';
  const nowMs = Date.UTC(2026, 0, 1, 12, 0, 0);
  const timestamp = String(nowMs / 1000);

  it('accepts a fresh, correctly signed request', () => {
    expect(
      verifyWebhookSignature(SECRET, timestamp, body, signWebhook(SECRET, timestamp, body), { nowMs }),
    ).toBe(true);
  });

  it('rejects a timestamp outside the tolerance, unless the check is turned off', () => {
    const signature = signWebhook(SECRET, timestamp, body);
    const later = nowMs + 301_000;
    expect(verifyWebhookSignature(SECRET, timestamp, body, signature, { nowMs: later })).toBe(false);
    expect(
      verifyWebhookSignature(SECRET, timestamp, body, signature, {
        nowMs: later,
        toleranceSeconds: Number.POSITIVE_INFINITY,
      }),
    ).toBe(true);
  });

  it('rejects missing, malformed and truncated headers', () => {
    const signature = signWebhook(SECRET, timestamp, body);
    expect(verifyWebhookSignature(SECRET, undefined, body, signature, { nowMs })).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, body, undefined, { nowMs })).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, body, signature.slice(7), { nowMs })).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, body, signature.slice(0, -1), { nowMs })).toBe(false);
    expect(verifyWebhookSignature(SECRET, `${timestamp}.5`, body, signature, { nowMs })).toBe(false);
  });
});

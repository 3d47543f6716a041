/**
 * Provider selection from the configuration: SMS through the webhook when SMS_WEBHOOK_URL is set, email
 * through SMTP when SMTP_URL is set, the outbox for the rest; and the SMS webhook's signing key.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { parseConfig } from '../../src/config.ts';
import type { OutgoingMessage } from '../../src/delivery/delivery.ts';
import { buildDelivery } from '../../src/delivery/select-delivery.ts';
import { verifyWebhookSignature } from '../../src/delivery/sms-webhook.ts';
import { silentLogger } from '../../src/log.ts';

const KEY = 'k'.repeat(32);
const SMS: OutgoingMessage = { channel: 'sms', to: '+8613800138000', text: 'lockstep: hello' };
const EMAIL: OutgoingMessage = { channel: 'email', to: 'ana@example.com', subject: 'Hi', text: 'hello' };

function config(env: Record<string, string>) {
  const parsed = parseConfig(env);
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.config;
}

function build(env: Record<string, string>, printed: OutgoingMessage[] = []) {
  return buildDelivery(config(env), {
    clock: new ManualClock(),
    log: silentLogger,
    fallbackSecret: 'f'.repeat(32),
    print: (message) => printed.push(message),
  });
}

describe('delivery selection', () => {
  it('uses the outbox for both when nothing is configured, and prints what it gets', async () => {
    const printed: OutgoingMessage[] = [];
    const built = build({}, printed);
    expect(built.routes).toEqual({ sms: 'outbox', email: 'outbox' });
    await built.delivery.send(SMS);
    await built.delivery.send(EMAIL);
    expect(printed).toEqual([SMS, EMAIL]);
  });

  it('sends SMS through the webhook and keeps email in the outbox when only SMS_WEBHOOK_URL is set', async () => {
    const bodies: Array<{ body: string; timestamp: string; signature: string }> = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        bodies.push({
          body,
          timestamp: String(req.headers['x-lockstep-timestamp']),
          signature: String(req.headers['x-lockstep-signature']),
        });
        res.writeHead(204).end();
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    const address = receiver.address();
    if (typeof address !== 'object' || address === null) throw new Error('no address');
    try {
      const printed: OutgoingMessage[] = [];
      const webhookKey = 'w'.repeat(40);
      const built = build(
        {
          SMS_WEBHOOK_URL: `http://127.0.0.1:${address.port}/sms`,
          SMS_WEBHOOK_SECRET: webhookKey,
          SECRET_KEY: KEY,
        },
        printed,
      );
      expect(built.routes).toEqual({ sms: 'webhook', email: 'outbox' });
      await built.delivery.send(SMS);
      await built.delivery.send(EMAIL);
      expect(printed).toEqual([EMAIL]);
      expect(bodies).toHaveLength(1);
      const [request] = bodies;
      expect(JSON.parse(request?.body ?? '{}')).toMatchObject({ to: SMS.to, text: SMS.text });
      const check = (key: string) =>
        verifyWebhookSignature(key, request?.timestamp, request?.body ?? '', request?.signature, {
          toleranceSeconds: Number.POSITIVE_INFINITY,
        });
      // Signed with SMS_WEBHOOK_SECRET, not with SECRET_KEY.
      expect(check(webhookKey)).toBe(true);
      expect(check(KEY)).toBe(false);
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });

  it('sends email through SMTP and keeps SMS in the outbox when only SMTP_URL is set', () => {
    const built = build({ SMTP_URL: 'smtp://127.0.0.1:2525', MAIL_FROM: 'lockstep <no-reply@example.com>' });
    expect(built.routes).toEqual({ sms: 'outbox', email: 'smtp' });
    built.close();
  });
});

describe('SMS webhook signing key', () => {
  it('defaults to SECRET_KEY and can be set apart with SMS_WEBHOOK_SECRET', () => {
    const url = 'https://sms.example.com/send';
    expect(config({ SMS_WEBHOOK_URL: url, SECRET_KEY: KEY }).smsWebhookSecret).toBe(KEY);
    expect(
      config({ SMS_WEBHOOK_URL: url, SECRET_KEY: KEY, SMS_WEBHOOK_SECRET: 'w'.repeat(32) }).smsWebhookSecret,
    ).toBe('w'.repeat(32));
    expect(config({ SMS_WEBHOOK_URL: url, SMS_WEBHOOK_SECRET: 'w'.repeat(32) }).smsWebhookSecret).toBe(
      'w'.repeat(32),
    );
  });

  it('is required with SMS_WEBHOOK_URL, and must be long enough', () => {
    const missing = parseConfig({ SMS_WEBHOOK_URL: 'https://sms.example.com/send' });
    expect(missing.ok ? [] : missing.problems).toEqual([
      'SMS_WEBHOOK_SECRET: or SECRET_KEY is required with SMS_WEBHOOK_URL (the gateway checks the signature with it)',
    ]);
    const short = parseConfig({
      SMS_WEBHOOK_URL: 'https://sms.example.com/send',
      SMS_WEBHOOK_SECRET: 'short',
    });
    expect(short.ok ? [] : short.problems).toContain(
      'SMS_WEBHOOK_SECRET: must be at least 32 characters (e.g. `openssl rand -hex 32`)',
    );
  });
});

/**
 * The email change with real delivery: a real SMTP server (smtp-server) receives what SmtpDelivery
 * sends, a local HTTP receiver plays the SMS gateway behind WebhookSmsDelivery, and the real HTTP server
 * serves the verification link. The providers are picked by `buildDelivery`, as in production.
 */
import { once } from 'node:events';
import { createServer as createHttpListener, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { FIELD_MAX } from '../../flows/ports.ts';
import { t } from '../../src/catalog/catalog.ts';
import { systemClock } from '../../src/clock.ts';
import { createEngine } from '../../src/composition/engine.ts';
import { buildDelivery } from '../../src/delivery/select-delivery.ts';
import { verifyWebhookSignature } from '../../src/delivery/sms-webhook.ts';
import type { ChatRef } from '../../src/engine/input.ts';
import type { Reply } from '../../src/engine/reply.ts';
import { createHttpServer } from '../../src/http/server.ts';
import { MemoryKv } from '../../src/kv/memory-kv.ts';
import { silentLogger } from '../../src/log.ts';
import { createServices } from '../../src/services.ts';
import { keys } from '../helpers/flow-harness.ts';
import { parseMail } from '../helpers/mime.ts';
import { openVerifyLink } from '../helpers/verify-link.ts';

const SECRET_KEY = 's'.repeat(32);
const WEBHOOK_SECRET = 'w'.repeat(32);
const PASSWORD = 'Copper-Meadow-61';
const PHONE = '+8613800138000';
const OLD_EMAIL = 'li.wei@example.com';
const NEW_EMAIL = 'li.wei@mail.example.org';
const FROM = 'lockstep <no-reply@lockstep.test>';
const LINK = /https?:\/\/[^\s"<>]+\/verify-email\?token=[A-Za-z0-9_-]+/;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

interface Received {
  readonly to: string[];
  readonly raw: string;
}

/** A real SMTP server on 127.0.0.1 that keeps every message it accepts. */
async function startSmtp(): Promise<{ port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { port: portOf(server.server), received };
}

interface Sms {
  readonly to: string;
  readonly text: string;
  readonly signed: boolean;
}

/** The operator's SMS gateway: checks the signature, keeps the message, answers `status`. */
async function startSmsGateway(status = 200): Promise<{ url: string; received: Sms[]; hits: () => number }> {
  const received: Sms[] = [];
  let hits = 0;
  const server: Server = createHttpListener((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      hits += 1;
      const body = Buffer.concat(chunks).toString('utf8');
      const signed = verifyWebhookSignature(
        WEBHOOK_SECRET,
        req.headers['x-lockstep-timestamp'] as string | undefined,
        body,
        req.headers['x-lockstep-signature'] as string | undefined,
      );
      if (status === 200) {
        const parsed = JSON.parse(body) as { to: string; text: string };
        received.push({ to: parsed.to, text: parsed.text, signed });
      }
      res.writeHead(status).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${portOf(server)}/sms`, received, hits: () => hits };
}

/** A port on which nothing listens: the SMTP server is down. */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = portOf(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function portOf(server: { address(): unknown }): number {
  const address = server.address();
  if (typeof address !== 'object' || address === null || !('port' in address)) throw new Error('no port');
  return Number(address.port);
}

/**
 * The deployed system on memory storage: providers chosen from a config, the real HTTP server with the
 * verification route, the engine with a push sender, and an account linked to a chat.
 */
async function startSystem(providers: { smtpPort: number; smsUrl: string }) {
  let redeem: (token: string) => Promise<'verified' | 'expired' | 'used' | 'invalid'> = async () => 'invalid';
  const http: FastifyInstance = createHttpServer({
    log: silentLogger,
    health: async () => ({ ok: true, checks: {} }),
    verifyEmail: (token) => redeem(token),
  });
  await http.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => http.close());
  const publicUrl = `http://127.0.0.1:${portOf(http.server)}`;

  const built = buildDelivery(
    {
      smtp: { url: `smtp://127.0.0.1:${providers.smtpPort}`, from: FROM },
      smsWebhookUrl: providers.smsUrl,
      smsWebhookSecret: WEBHOOK_SECRET,
      outboxFile: undefined,
    },
    { clock: systemClock, log: silentLogger, fallbackSecret: SECRET_KEY },
  );
  cleanups.push(async () => built.close());
  expect(built.routes).toEqual({ sms: 'webhook', email: 'smtp' });

  const services = createServices({
    kv: new MemoryKv(systemClock),
    delivery: built.delivery,
    clock: systemClock,
    log: silentLogger,
    secretKey: SECRET_KEY,
    publicUrl,
  });
  const engine = createEngine(services);
  redeem = (token) => services.emailVerification.redeemLink(token, engine);
  const pushed: Array<{ chat: ChatRef; replies: readonly Reply[] }> = [];
  engine.setPushSender(async (chat, replies) => {
    pushed.push({ chat, replies });
  });

  const created = await services.accounts.create({
    phone: PHONE,
    email: OLD_EMAIL,
    passwordHash: await services.hasher.hash(PASSWORD),
    now: systemClock.now(),
  });
  if (!created.ok) throw new Error(created.reason);
  const accountId = created.account.id;
  await services.accounts.link(accountId, 'telegram', '501', systemClock.now());
  const chat: ChatRef = { channel: 'telegram', chatId: '501' };
  let update = 0;
  const say = async (
    action:
      | { type: 'text'; text: string }
      | { type: 'command'; command: string; args: string }
      | { type: 'choice'; value: string },
  ) => {
    update += 1;
    const result = await engine.handle({
      chat,
      userId: '501',
      updateId: String(update),
      isPrivate: true,
      action,
    });
    return [...result.replies];
  };
  return {
    services,
    accountId,
    chat,
    pushed,
    command: (command: string) => say({ type: 'command', command, args: '' }),
    text: (text: string) => say({ type: 'text', text }),
    choose: (value: string) => say({ type: 'choice', value }),
    email: async () => (await services.accounts.get(accountId))?.email ?? null,
  };
}

describe('email change with real SMTP, a real SMS webhook and the real verification page', () => {
  it('sends the link by SMTP; opening it shows a confirm page, confirming changes the email, pushes the notice, and works only once', async () => {
    const smtp = await startSmtp();
    const gateway = await startSmsGateway();
    const system = await startSystem({ smtpPort: smtp.port, smsUrl: gateway.url });

    expect(keys(await system.command('email'))).toEqual(['email.askPassword']);
    expect(keys(await system.text(PASSWORD))).toEqual(['email.askAddressChange']);
    expect(keys(await system.text(NEW_EMAIL))).toEqual(['email.sent']);

    expect(smtp.received.map((m) => m.to)).toEqual([[NEW_EMAIL]]);
    const mail = parseMail(smtp.received[0]?.raw ?? '');
    expect(mail.headers.get('from')).toBe(FROM);
    expect(mail.headers.get('to')).toBe(NEW_EMAIL);
    expect(mail.headers.get('subject')).toBe(t('en', 'email.verifySubject'));
    const text = mail.text ?? '';
    const html = mail.html ?? '';
    const link = LINK.exec(text)?.[0] ?? '';
    const code = /(?<!\d)(\d{6})(?!\d)/.exec(text.replace(link, ''))?.[1] ?? '';
    expect(link).not.toBe('');
    expect(code).toMatch(/^\d{6}$/);
    expect(text).toBe(t('en', 'email.verifyText', { link, code }));
    // The HTML body carries the same link (as a clickable anchor) and the same code.
    expect(/href="([^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&')).toBe(link);
    expect(html).toContain(`<strong>${code}</strong>`);
    expect(await system.email()).toBe(OLD_EMAIL);

    // Opening the link (as a mail scanner would, too) only shows the confirm page: nothing changes yet.
    const opened = await openVerifyLink(link);
    expect(opened.status).toBe(200);
    expect(opened.isConfirmPage).toBe(true);
    expect(opened.token).toBe(new URL(link).searchParams.get('token'));
    expect(await system.email()).toBe(OLD_EMAIL);
    expect(system.pushed).toEqual([]);

    const first = await opened.confirm();
    expect(first.status).toBe(200);
    expect(first.body).toContain(t('en', 'web.verified.title'));
    expect(await system.email()).toBe(NEW_EMAIL);
    expect(system.pushed).toEqual([{ chat: system.chat, replies: [{ key: 'email.verified' }] }]);

    // The old address got a notice by SMTP, the phone one through the SMS gateway, signed: after the
    // change, from the notice outbox.
    await system.services.notices.idle();
    const notice = smtp.received.find((m) => m.to.includes(OLD_EMAIL));
    expect(parseMail(notice?.raw ?? '').text).toBe(
      t('en', 'email.noticeOldText', { email: 'l***@mail.example.org' }),
    );
    expect(gateway.received).toEqual([
      {
        to: PHONE,
        text: t('en', 'email.noticeSmsChanged', { email: 'l***@mail.example.org' }),
        signed: true,
      },
    ]);

    const second = await opened.confirm();
    expect(second.status).toBe(410);
    expect(second.body).toContain(t('en', 'web.used.title'));
    expect(system.pushed).toHaveLength(1);
    // And the code from the same message is spent too.
    expect(keys(await system.text(code))).toEqual(['common.notUnderstood']);
  });

  it('a link confirmed after its task was cancelled changes nothing, and the chat is told', async () => {
    const smtp = await startSmtp();
    const gateway = await startSmsGateway();
    const system = await startSystem({ smtpPort: smtp.port, smsUrl: gateway.url });

    await system.command('email');
    await system.text(PASSWORD);
    expect(keys(await system.text(NEW_EMAIL))).toEqual(['email.sent']);
    const link = LINK.exec(parseMail(smtp.received.at(-1)?.raw ?? '').text ?? '')?.[0] ?? '';
    expect(link).not.toBe('');
    expect(keys(await system.command('cancel'))).toEqual(['common.cancelled']);

    const confirmed = await (await openVerifyLink(link)).confirm();
    expect(confirmed.status).toBe(410);
    expect(confirmed.body).toContain(t('en', 'web.expired.title'));
    expect(await system.email()).toBe(OLD_EMAIL);
    expect(system.pushed).toEqual([{ chat: system.chat, replies: [{ key: 'email.linkTaskEnded' }] }]);
    expect(gateway.received).toEqual([]);
    const events = await system.services.accounts.events(system.accountId);
    expect(events.map((e) => e.type)).not.toContain('email.changed');
  });

  it('proves identity with a code that travels through the SMS webhook', async () => {
    const smtp = await startSmtp();
    const gateway = await startSmsGateway();
    const system = await startSystem({ smtpPort: smtp.port, smsUrl: gateway.url });

    await system.command('email');
    expect(keys(await system.choose('forgot'))).toEqual(['prove.pickDestination']);
    expect(keys(await system.choose('phone'))).toEqual(['codes.sent', 'codes.askCode']);
    expect(gateway.received).toHaveLength(1);
    const sms = gateway.received[0];
    expect(sms?.to).toBe(PHONE);
    expect(sms?.signed).toBe(true);
    const code = /(\d{6})/.exec(sms?.text ?? '')?.[1] ?? '';
    expect(keys(await system.text(code))).toEqual(['email.askAddressChange']);

    expect(keys(await system.text(NEW_EMAIL))).toEqual(['email.sent']);
    const mail = parseMail(smtp.received.at(-1)?.raw ?? '');
    const emailCode = /(?<!\d)(\d{6})(?!\d)/.exec((mail.text ?? '').replace(LINK, ''))?.[1] ?? '';
    expect(keys(await system.text(emailCode))).toEqual(['email.changed']);
    expect(await system.email()).toBe(NEW_EMAIL);
  });

  it('tells the user "we could not send" when the SMTP server is down, and changes nothing', async () => {
    const gateway = await startSmsGateway();
    const system = await startSystem({ smtpPort: await closedPort(), smsUrl: gateway.url });

    await system.command('email');
    await system.text(PASSWORD);
    const replies = await system.text(NEW_EMAIL);
    expect(replies).toEqual([
      { key: 'codes.deliveryFailed' },
      {
        key: 'email.askAddressAgain',
        input: 'text',
        field: { label: 'field.email', maxLength: FIELD_MAX.email },
      },
    ]);
    expect(t('en', 'codes.deliveryFailed')).toMatch(/could not send .* Nothing was changed/);
    expect(await system.email()).toBe(OLD_EMAIL);
    expect(gateway.received).toEqual([]);
    const events = await system.services.accounts.events(system.accountId);
    expect(events.map((e) => e.type)).not.toContain('email.changed');
    expect(events.find((e) => e.type === 'code.failed')?.detail).toMatchObject({ reason: 'deliveryFailed' });
  });

  it('tells the user "we could not send" when the SMS gateway answers 500, and the password still works', async () => {
    const smtp = await startSmtp();
    const gateway = await startSmsGateway(500);
    const system = await startSystem({ smtpPort: smtp.port, smsUrl: gateway.url });

    await system.command('email');
    await system.choose('forgot');
    expect(keys(await system.choose('phone'))).toEqual(['codes.deliveryFailed', 'prove.pickDestination']);
    // Retried with back-off before giving up.
    expect(gateway.hits()).toBe(3);
    // "I forgot my password" is not undone in the same task; a new start takes the password.
    await system.command('cancel');
    expect(keys(await system.command('email'))).toEqual(['email.askPassword']);
    expect(keys(await system.text(PASSWORD))).toEqual(['email.askAddressChange']);
  });
});

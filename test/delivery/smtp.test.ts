import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../src/delivery/delivery.ts';
import { SmtpDelivery } from '../../src/delivery/smtp.ts';

interface ReceivedMail {
  readonly from: string | undefined;
  readonly to: string[];
  readonly user: string | undefined;
  readonly raw: string;
}

interface TestSmtp {
  readonly port: number;
  readonly received: ReceivedMail[];
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** A real SMTP server on 127.0.0.1 that keeps every message it accepts. */
async function startSmtp(options: Partial<SMTPServerOptions> = {}): Promise<TestSmtp> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    logger: false,
    // Plain TCP only: the built-in certificate is self-signed and would fail nodemailer's verification.
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          to: session.envelope.rcptTo.map((r) => r.address),
          user: typeof session.user === 'string' ? session.user : undefined,
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
    ...options,
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const address = server.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { port: address.port, received };
}

/** A port on which nothing listens: connections are refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

/** A TCP server that accepts connections and never says anything: a hung SMTP server. */
async function silentServer(): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return address.port;
}

const codeMail = {
  channel: 'email',
  to: 'ana@example.com',
  subject: 'Your lockstep code',
  text: 'Your lockstep code is 482913.\nIt expires in 10 minutes.',
  html: '<p>Your lockstep code is <b>482913</b>.</p>',
} as const;

describe('SmtpDelivery', () => {
  it('delivers text and html alternatives with From, To and Subject to a server without auth', async () => {
    const smtp = await startSmtp();
    const delivery = new SmtpDelivery({
      url: `smtp://127.0.0.1:${smtp.port}`,
      from: 'lockstep <no-reply@lockstep.test>',
    });

    await delivery.send(codeMail);

    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0];
    expect(mail?.from).toBe('no-reply@lockstep.test');
    expect(mail?.to).toEqual(['ana@example.com']);
    const raw = mail?.raw ?? '';
    expect(raw).toMatch(/^From: lockstep <no-reply@lockstep\.test>\r$/m);
    expect(raw).toMatch(/^To: ana@example\.com\r$/m);
    expect(raw).toMatch(/^Subject: Your lockstep code\r$/m);
    expect(raw).toMatch(/^Content-Type: multipart\/alternative;/m);
    expect(raw).toMatch(/^Content-Type: text\/plain; charset=utf-8\r$/m);
    expect(raw).toMatch(/^Content-Type: text\/html; charset=utf-8\r$/m);
    expect(raw).toContain('Your lockstep code is 482913.');
    expect(raw).toContain('<p>Your lockstep code is <b>482913</b>.</p>');
  });

  it('sends a single text/plain part when there is no html', async () => {
    const smtp = await startSmtp();
    const delivery = new SmtpDelivery({
      url: `smtp://127.0.0.1:${smtp.port}`,
      from: 'no-reply@lockstep.test',
    });

    await delivery.send({ channel: 'email', to: 'ben@example.com', subject: 'Notice', text: 'Hello Ben.' });

    const raw = smtp.received[0]?.raw ?? '';
    expect(raw).toMatch(/^Content-Type: text\/plain; charset=utf-8\r$/m);
    expect(raw).not.toContain('multipart/alternative');
    expect(raw).not.toContain('text/html');
    expect(raw).toContain('Hello Ben.');
  });

  describe('with a server that requires authentication', () => {
    const user = 'mailer';
    const password = 'p@ss:w/rd 1';

    async function startAuthSmtp(): Promise<TestSmtp> {
      return startSmtp({
        authOptional: false,
        allowInsecureAuth: true,
        onAuth(auth, _session, callback) {
          if (auth.username === user && auth.password === password) callback(null, { user });
          else callback(new Error('Invalid username or password'));
        },
      });
    }

    it('logs in with the percent-encoded credentials of the URL and delivers', async () => {
      const smtp = await startAuthSmtp();
      const url = `smtp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${smtp.port}`;
      const delivery = new SmtpDelivery({ url, from: 'no-reply@lockstep.test' });

      await delivery.send(codeMail);

      expect(smtp.received).toHaveLength(1);
      expect(smtp.received[0]?.user).toBe(user);
      expect(smtp.received[0]?.raw).toContain('482913');
    });

    it('fails with a DeliveryError on a wrong password, without the password in the message', async () => {
      const smtp = await startAuthSmtp();
      const url = `smtp://${user}:wrong-secret-pw@127.0.0.1:${smtp.port}`;
      const delivery = new SmtpDelivery({ url, from: 'no-reply@lockstep.test' });

      const error = await delivery.send(codeMail).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(DeliveryError);
      expect((error as DeliveryError).channel).toBe('email');
      expect((error as DeliveryError).message).toContain('EAUTH');
      expect((error as DeliveryError).message).not.toContain('wrong-secret-pw');
      expect((error as DeliveryError).cause).toBeDefined();
      expect(smtp.received).toHaveLength(0);
    });

    it('fails with a DeliveryError when the URL has no credentials', async () => {
      const smtp = await startAuthSmtp();
      const delivery = new SmtpDelivery({
        url: `smtp://127.0.0.1:${smtp.port}`,
        from: 'no-reply@lockstep.test',
      });

      await expect(delivery.send(codeMail)).rejects.toBeInstanceOf(DeliveryError);
      expect(smtp.received).toHaveLength(0);
    });
  });

  it('fails quickly with a DeliveryError when the SMTP server is down', async () => {
    const port = await closedPort();
    const delivery = new SmtpDelivery({ url: `smtp://127.0.0.1:${port}`, from: 'no-reply@lockstep.test' });

    const started = Date.now();
    const error = await delivery.send(codeMail).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).message).toContain('ECONNREFUSED');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('gives up on a server that accepts the connection but never greets, within the timeout', async () => {
    const port = await silentServer();
    const delivery = new SmtpDelivery({
      url: `smtp://127.0.0.1:${port}`,
      from: 'no-reply@lockstep.test',
      timeoutMs: 300,
    });

    const started = Date.now();
    const error = await delivery.send(codeMail).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).message).toContain('ETIMEDOUT');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('fails with a DeliveryError when the server rejects the recipient', async () => {
    const smtp = await startSmtp({
      onRcptTo(_address, _session, callback) {
        const error = Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 });
        callback(error);
      },
    });
    const delivery = new SmtpDelivery({
      url: `smtp://127.0.0.1:${smtp.port}`,
      from: 'no-reply@lockstep.test',
    });

    const error = await delivery.send(codeMail).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).message).toContain('EENVELOPE');
    expect((error as DeliveryError).message).toContain('550');
    expect(smtp.received).toHaveLength(0);
  });

  it('refuses a recipient that is a list of addresses, without connecting', async () => {
    const smtp = await startSmtp();
    const delivery = new SmtpDelivery({
      url: `smtp://127.0.0.1:${smtp.port}`,
      from: 'no-reply@lockstep.test',
    });

    for (const to of [
      'ana@example.com, eve@evil.test',
      'Ana <ana@example.com>',
      'ana@example.com\r\nBcc: eve@evil.test',
    ]) {
      await expect(delivery.send({ ...codeMail, to })).rejects.toBeInstanceOf(DeliveryError);
    }
    expect(smtp.received).toHaveLength(0);
  });

  it('refuses SMS messages and URLs that are not SMTP', async () => {
    const delivery = new SmtpDelivery({ url: 'smtp://127.0.0.1:1', from: 'no-reply@lockstep.test' });
    await expect(delivery.send({ channel: 'sms', to: '+15550000000', text: 'x' })).rejects.toBeInstanceOf(
      DeliveryError,
    );
    expect(() => new SmtpDelivery({ url: 'http://mail.example.com', from: 'a@b.test' })).toThrow(TypeError);
    expect(() => new SmtpDelivery({ url: 'not a url', from: 'a@b.test' })).toThrow(TypeError);
  });
});

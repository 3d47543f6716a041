import { createTransport, type Transporter } from 'nodemailer';
import { type Delivery, DeliveryError, type OutgoingMessage } from './delivery.ts';
import { renderOutgoing } from './render.ts';

export interface SmtpDeliveryOptions {
  /** `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://user:pass@host:465`; percent-encode the credentials. */
  readonly url: string;
  /** The From header, e.g. `lockstep <no-reply@example.com>`. */
  readonly from: string;
  /**
   * Limit in ms for each stage: connecting, the server greeting, DNS, and any silence on the socket.
   * One send is abandoned after three times this. Default 5000.
   */
  readonly timeoutMs?: number;
}

/** A transport built elsewhere (a pool, a test stream transport), used as is. */
export interface SmtpDeliveryTransport {
  readonly transport: Transporter;
  readonly from: string;
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;

// One address, no display name, no list: a `to` like "a@x.com, b@y.com" must not reach two mailboxes.
const SINGLE_ADDRESS = /^[^\s@,;:<>()"[\]\\]+@[^\s@,;:<>()"[\]\\]+$/;

/**
 * Sends email through an SMTP server with nodemailer. A new connection is made per message, so there is
 * nothing to keep alive between sends; `close()` releases the transport on shutdown.
 *
 * Errors carry the SMTP error code and response code, never the message: bodies hold one-time codes.
 *
 * @example
 * const email = new SmtpDelivery({ url: config.smtpUrl, from: config.mailFrom });
 * await email.send({ channel: 'email', to: 'ana@example.com', subject, text, html });
 */
export class SmtpDelivery implements Delivery {
  private readonly transport: Transporter;
  private readonly from: string;
  private readonly sendTimeoutMs: number;

  constructor(options: SmtpDeliveryOptions | SmtpDeliveryTransport) {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError('timeoutMs must be positive');
    this.from = options.from;
    this.sendTimeoutMs = timeoutMs * 3;
    if ('transport' in options) {
      this.transport = options.transport;
    } else {
      const protocol = safeProtocol(options.url);
      if (protocol !== 'smtp:' && protocol !== 'smtps:') {
        throw new TypeError('The SMTP URL must start with smtp:// or smtps://');
      }
      this.transport = createTransport({
        url: options.url,
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
        dnsTimeout: timeoutMs,
        // Never log through nodemailer: its debug output includes the message source.
        logger: false,
        debug: false,
      });
    }
  }

  async send(outgoing: OutgoingMessage): Promise<void> {
    const message = renderOutgoing(outgoing);
    if (message.channel !== 'email') {
      throw new DeliveryError(`SmtpDelivery cannot send ${message.channel} messages`, message.channel);
    }
    if (!SINGLE_ADDRESS.test(message.to)) {
      throw new DeliveryError('The email address is not a single plain address', 'email');
    }
    let info: { accepted?: unknown[] | undefined; rejected?: unknown[] | undefined };
    try {
      info = await this.transport.sendMail({
        from: this.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        ...(message.html === undefined ? {} : { html: message.html }),
        signal: AbortSignal.timeout(this.sendTimeoutMs),
      });
    } catch (error) {
      throw new DeliveryError(`SMTP send failed (${describe(error)})`, 'email', { cause: error });
    }
    if ((info.rejected?.length ?? 0) > 0 || (info.accepted?.length ?? 1) === 0) {
      throw new DeliveryError('The SMTP server did not accept the recipient', 'email');
    }
  }

  /** Closes the transport (idle pooled connections, if a pooled transport was given). */
  close(): void {
    this.transport.close();
  }
}

function safeProtocol(url: string): string | undefined {
  try {
    return new URL(url).protocol;
  } catch {
    return undefined;
  }
}

/**
 * The error's codes (`ESOCKET ECONNREFUSED`, `EENVELOPE 550`) and the SMTP command it failed on; the error
 * message may quote server replies, so it stays in `cause`.
 */
function describe(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'unknown error';
  const parts: string[] = [];
  if ('code' in error && typeof error.code === 'string') parts.push(error.code);
  if ('originalCode' in error && typeof error.originalCode === 'string') parts.push(error.originalCode);
  if ('responseCode' in error && typeof error.responseCode === 'number')
    parts.push(String(error.responseCode));
  if ('command' in error && typeof error.command === 'string' && /^[A-Z]+$/.test(error.command)) {
    parts.push(`at ${error.command}`);
  }
  if (parts.length === 0 && error instanceof Error) parts.push(error.name);
  return parts.join(' ') || 'unknown error';
}

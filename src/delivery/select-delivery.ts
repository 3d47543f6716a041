import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { type Delivery, type OutgoingMessage, RoutedDelivery } from './delivery.ts';
import { OutboxDelivery } from './outbox.ts';
import { WebhookSmsDelivery } from './sms-webhook.ts';
import { SmtpDelivery } from './smtp.ts';

/** Which provider each kind of message goes to. */
export interface DeliveryRoutes {
  readonly sms: 'webhook' | 'outbox';
  readonly email: 'smtp' | 'outbox';
}

export interface BuiltDelivery {
  readonly delivery: Delivery;
  readonly routes: DeliveryRoutes;
  /** Releases provider resources (the SMTP transport) on shutdown. */
  close(): void;
}

/**
 * Picks the providers from the configuration: SMS through the webhook when SMS_WEBHOOK_URL is set, email
 * through SMTP when SMTP_URL (with MAIL_FROM) is set, and the outbox for whatever is not configured.
 * The outbox prints through `print` (the console demo) and appends to OUTBOX_FILE when that is set.
 *
 * @example
 * const { delivery, close } = buildDelivery(config, { clock: systemClock, log, fallbackSecret: secretKey });
 */
export function buildDelivery(
  config: Pick<Config, 'smtp' | 'smsWebhookUrl' | 'smsWebhookSecret' | 'outboxFile'>,
  options: {
    readonly clock: Clock;
    readonly log: Logger;
    /** Signs webhook requests when the config has no key of its own (the console demo's random key). */
    readonly fallbackSecret: string;
    readonly print?: (message: OutgoingMessage) => void;
  },
): BuiltDelivery {
  const outbox = new OutboxDelivery({ file: config.outboxFile, clock: options.clock, print: options.print });
  const sms = config.smsWebhookUrl
    ? new WebhookSmsDelivery({
        url: config.smsWebhookUrl,
        secretKey: config.smsWebhookSecret ?? options.fallbackSecret,
        clock: options.clock,
        log: options.log,
      })
    : null;
  const email = config.smtp ? new SmtpDelivery({ url: config.smtp.url, from: config.smtp.from }) : null;
  return {
    delivery: new RoutedDelivery({ sms: sms ?? outbox, email: email ?? outbox }),
    routes: { sms: sms ? 'webhook' : 'outbox', email: email ? 'smtp' : 'outbox' },
    close: () => email?.close(),
  };
}

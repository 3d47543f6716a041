import type { Locale } from '../catalog/catalog.ts';
import type { MessageRef } from '../core/messages.ts';

/** One message as a provider sends it: the text already in the reader's language. */
export interface RenderedMessage {
  readonly channel: 'sms' | 'email';
  /** E.164 phone number or email address. */
  readonly to: string;
  readonly text: string;
  /** Email only. */
  readonly subject?: string;
  /** Email only: an HTML alternative to `text`. */
  readonly html?: string;
}

/**
 * One message to a person outside the chat as services hand it over: catalog keys with values and the
 * language to use. It is rendered at the edge (the SMS and email senders, when a queued notice goes out).
 */
export interface KeyedMessage {
  readonly channel: 'sms' | 'email';
  readonly to: string;
  readonly locale: Locale;
  readonly text: MessageRef;
  /** Email only. */
  readonly subject?: MessageRef;
  /**
   * Email only: also send an HTML alternative made of the text's paragraphs, with `link` (a line of the
   * text) clickable and `strong` (the code) in bold.
   */
  readonly html?: { readonly link?: string; readonly strong?: string };
}

/** An SMS or an email: keyed (from services) or rendered (a provider's own tests, tools). */
export type OutgoingMessage = KeyedMessage | RenderedMessage;

/** True when the message still holds keys (it has not been rendered yet). */
export function isKeyed(message: OutgoingMessage): message is KeyedMessage {
  return typeof message.text !== 'string';
}

/** Sends messages. Implementations throw `DeliveryError` when the provider did not accept the message. */
export interface Delivery {
  send(message: OutgoingMessage): Promise<void>;
}

/** The provider refused or could not be reached; `cause` holds the original error. */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(
    message: string,
    readonly channel: OutgoingMessage['channel'],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Routes SMS and email to their own providers. */
export class RoutedDelivery implements Delivery {
  constructor(private readonly routes: { readonly sms: Delivery; readonly email: Delivery }) {}
  send(message: OutgoingMessage): Promise<void> {
    return this.routes[message.channel].send(message);
  }
}

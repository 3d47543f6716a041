/** One message to a person outside the chat: an SMS or an email. */
export interface OutgoingMessage {
  readonly channel: 'sms' | 'email';
  /** E.164 phone number or email address. */
  readonly to: string;
  readonly text: string;
  /** Email only. */
  readonly subject?: string;
  /** Email only: an HTML alternative to `text`. */
  readonly html?: string;
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

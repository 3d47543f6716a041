import {
  type Delivery,
  DeliveryError,
  isKeyed,
  type KeyedMessage,
  type OutgoingMessage,
  type RenderedMessage,
} from '../../src/delivery/delivery.ts';
import { renderOutgoing } from '../../src/delivery/render.ts';

/**
 * The SMS and email providers, faked at the edge of the world: every accepted message is recorded as the
 * provider would send it (rendered in its language; `keyed` keeps what the services handed over), and
 * `failNext()` makes the provider refuse the next sends the way a real one does (`DeliveryError`).
 */
export class RecordingDelivery implements Delivery {
  /** Accepted messages, in order, rendered. */
  readonly sent: RenderedMessage[] = [];
  /** Accepted messages as the services handed them over (keys, values and language), in order. */
  readonly keyed: KeyedMessage[] = [];
  /** Messages the provider refused, rendered. */
  readonly refused: RenderedMessage[] = [];
  private failures = 0;

  async send(outgoing: OutgoingMessage): Promise<void> {
    const message = renderOutgoing(outgoing);
    if (this.failures > 0) {
      this.failures -= 1;
      this.refused.push(message);
      throw new DeliveryError('the provider refused the message (test)', message.channel);
    }
    this.sent.push(message);
    if (isKeyed(outgoing)) this.keyed.push(outgoing);
  }

  /** The next `count` sends fail. */
  failNext(count = 1): void {
    this.failures += count;
  }

  /** Accepted messages to one phone number or address. */
  to(to: string): RenderedMessage[] {
    return this.sent.filter((m) => m.to === to);
  }

  /** The 6-digit codes in the messages sent to `to`, oldest first. */
  codesTo(to: string): string[] {
    return this.to(to).flatMap((m) =>
      [...m.text.matchAll(/(?<!\d)(\d{6})(?!\d)/g)].map((hit) => hit[1] ?? ''),
    );
  }

  /** The latest code sent to `to`; throws when none was. */
  lastCodeTo(to: string): string {
    const code = this.codesTo(to).at(-1);
    if (code === undefined) throw new Error(`no code was sent to ${to}`);
    return code;
  }

  clear(): void {
    this.sent.length = 0;
    this.refused.length = 0;
    this.keyed.length = 0;
    this.failures = 0;
  }
}

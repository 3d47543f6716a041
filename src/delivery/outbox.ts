import { appendFile } from 'node:fs/promises';
import type { Clock } from '../clock.ts';
import type { Delivery, OutgoingMessage } from './delivery.ts';
import { renderOutgoing } from './render.ts';

/**
 * The development delivery: every SMS and email is handed to `print` (the console) and, when a file is
 * configured, appended as one JSON line `{"at","channel","to","text"}`. Nothing leaves the machine.
 */
export class OutboxDelivery implements Delivery {
  constructor(
    private readonly options: {
      readonly file?: string;
      readonly print?: (message: OutgoingMessage) => void;
      readonly clock: Clock;
    },
  ) {}

  async send(outgoing: OutgoingMessage): Promise<void> {
    const message = renderOutgoing(outgoing);
    this.options.print?.(message);
    if (this.options.file) {
      const line = {
        at: new Date(this.options.clock.now()).toISOString(),
        channel: message.channel,
        to: message.to,
        text: message.text,
      };
      await appendFile(this.options.file, `${JSON.stringify(line)}\n`, 'utf8');
    }
  }
}

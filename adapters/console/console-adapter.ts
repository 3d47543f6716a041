import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { isLocale, type Locale, t } from '../../src/catalog/catalog.ts';
import type { OutgoingMessage } from '../../src/delivery/delivery.ts';
import { renderOutgoing } from '../../src/delivery/render.ts';
import type { Engine } from '../../src/engine/engine.ts';
import type { ChatRef, UserInput } from '../../src/engine/input.ts';
import type { Reply } from '../../src/engine/reply.ts';

export const CONSOLE_CHAT: ChatRef = { channel: 'console', chatId: 'console' };

/** One typed line -> a UserInput. `/name args` is a command; anything else is text. */
export function toUserInput(
  line: string,
  sequence: number,
  userId: string,
  locale: Locale = 'en',
): UserInput | null {
  const text = line.replace(/\r$/, '');
  if (text.trim() === '') return null;
  const command = /^\/([A-Za-z0-9_]+)(?:\s+(.*))?$/s.exec(text.trim());
  return {
    chat: CONSOLE_CHAT,
    userId,
    updateId: `console-${process.pid}-${sequence}`,
    isPrivate: true,
    locale,
    action: command
      ? { type: 'command', command: command[1] ?? '', args: command[2] ?? '' }
      : { type: 'text', text },
  };
}

/** Draws a QR code for a terminal; injected so the adapter needs no QR library of its own. */
export type TerminalQr = (text: string) => Promise<string>;

/** Replies -> console text: choices as numbered options, pictures drawn in the terminal when possible. */
export async function render(replies: readonly Reply[], locale: Locale, qr?: TerminalQr): Promise<string> {
  const blocks: string[] = [];
  for (const reply of replies) {
    const lines = [t(locale, reply.key, reply.params)];
    if (reply.image) {
      lines.push(
        qr ? await qr(reply.image.text) : t(locale, 'console.imageAlt', { alt: t(locale, reply.image.alt) }),
      );
    }
    if (reply.choices?.length) {
      reply.choices.forEach((choice, index) => {
        lines.push(
          t(locale, 'console.choice', { number: index + 1, label: t(locale, choice.label, choice.params) }),
        );
      });
      lines.push(t(locale, 'console.choiceHint'));
    }
    if (reply.input === 'secret') lines.push(t(locale, 'console.secretHint'));
    blocks.push(lines.join('\n'));
  }
  return blocks.map((block) => `${block}\n`).join('\n');
}

/**
 * How outbox messages look on the console (the demo's stand-in for a phone and a mailbox): the message in
 * its own language (the account's), framed in the console's.
 */
export function renderOutbox(outgoing: OutgoingMessage, locale: Locale = 'en'): string {
  const message = renderOutgoing(outgoing);
  return message.channel === 'email'
    ? t(locale, 'console.outboxSubject', {
        to: message.to,
        subject: message.subject ?? '',
        text: message.text,
      })
    : t(locale, 'console.outbox', { channel: 'SMS', to: message.to, text: message.text });
}

export interface ConsoleOptions {
  readonly engine: Engine;
  readonly input: Readable;
  readonly output: Writable;
  readonly userId?: string;
  /** The console's language (LOCALE); a /language choice in the conversation takes over. */
  readonly locale?: Locale;
  readonly qr?: TerminalQr;
}

/**
 * Runs the console conversation: one line in, the replies out, strictly in order (also from a pipe).
 * Resolves at end of input.
 */
export async function runConsole(options: ConsoleOptions): Promise<void> {
  const { engine, output } = options;
  const locale = options.locale ?? 'en';
  const userId = options.userId ?? 'console';
  const lines = createInterface({
    input: options.input,
    crlfDelay: Number.POSITIVE_INFINITY,
    terminal: false,
  });
  let sequence = 0;
  for await (const line of lines) {
    sequence += 1;
    const input = toUserInput(line, sequence, userId, locale);
    if (!input) continue;
    try {
      const result = await engine.handle(input);
      output.write(await render(result.replies, result.locale ?? locale, options.qr));
    } catch {
      output.write(`${t(locale, 'common.internalError')}\n`);
    }
    output.write('\n');
  }
  output.write(`${t(locale, 'console.bye')}\n`);
}

/** The push sender for the console: out-of-turn replies are printed like any other. */
export function consolePushSender(output: Writable, locale: Locale = 'en', qr?: TerminalQr) {
  return async (_chat: ChatRef, replies: readonly Reply[], chosen?: string): Promise<void> => {
    output.write(`${await render(replies, isLocale(chosen) ? chosen : locale, qr)}\n`);
  };
}

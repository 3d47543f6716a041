/** QR codes for the TOTP enrolment URI: a PNG for chat apps, block characters for the console adapter. */
import { createRequire } from 'node:module';
import QRCode from 'qrcode';

/** The part of qrcode-terminal (CommonJS, no type declarations) that we use. */
interface QrcodeTerminal {
  generate(input: string, options: { small: boolean }, callback: (output: string) => void): void;
}

const qrcodeTerminal = createRequire(import.meta.url)('qrcode-terminal') as QrcodeTerminal;

/**
 * A PNG of `text` as base64 (no `data:` prefix): error correction M, a 2-module quiet zone, 6 px per
 * module — large enough to scan from a phone screen, small enough for a chat photo.
 */
export async function qrPng(text: string): Promise<string> {
  const png = await QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'M', margin: 2, scale: 6 });
  return png.toString('base64');
}

/**
 * `text` as a QR code drawn with half-block characters (two modules per line), returned, not printed.
 * Drawn light-on-dark, for a terminal with a dark background.
 */
export function qrTerminal(text: string): Promise<string> {
  return new Promise((resolve) => {
    // The callback runs synchronously; without it qrcode-terminal would print to stdout.
    qrcodeTerminal.generate(text, { small: true }, resolve);
  });
}

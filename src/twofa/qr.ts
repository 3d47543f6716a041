/** QR codes for the TOTP enrolment URI: a PNG for chat apps, block characters for the console adapter. */
import QRCode from 'qrcode';

/**
 * A PNG of `text` as base64 (no `data:` prefix): error correction M, a 2-module quiet zone, 6 px per
 * module — large enough to scan from a phone screen, small enough for a chat photo.
 */
export async function qrPng(text: string): Promise<string> {
  const png = await QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'M', margin: 2, scale: 6 });
  return png.toString('base64');
}

/**
 * `text` as a QR code drawn with half-block characters (two modules per line) by qrcode's own text
 * renderer, returned, not printed. Plain characters, no ANSI colours (the console transcript may be a
 * file or a pipe), drawn light-on-dark for a terminal with a dark background, with a 2-module quiet zone.
 */
export function qrTerminal(text: string): Promise<string> {
  // Dark modules white and light ones black: qrcode then draws the light modules (light-on-dark).
  return QRCode.toString(text, {
    type: 'utf8',
    errorCorrectionLevel: 'M',
    margin: 2,
    color: { dark: '#ffffff', light: '#000000' },
  });
}

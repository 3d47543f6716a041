import { inflateSync } from 'node:zlib';
import QRCode from 'qrcode';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { qrPng, qrTerminal } from '../../src/twofa/qr.ts';

const URI =
  'otpauth://totp/Lockstep:acc_1?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Lockstep&algorithm=SHA1&digits=6&period=30';
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const SCALE = 6;
const MARGIN = 2;

interface Image {
  readonly width: number;
  readonly height: number;
  /** Whether the pixel is dark (luminance below half). */
  dark(x: number, y: number): boolean;
}

/** A minimal PNG reader for what qrcode writes: 8-bit RGBA, not interlaced, any row filter. */
function decodePng(png: Buffer): Image {
  expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect([body[8], body[9], body[12]]).toEqual([8, 6, 0]); // bit depth, RGBA, no interlace
    }
    if (type === 'IDAT') idat.push(body);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const bpp = 4;
  const stride = width * bpp;
  const pixels = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i] ?? 0;
      const a = i >= bpp ? (pixels[y * stride + i - bpp] ?? 0) : 0;
      const b = y > 0 ? (pixels[(y - 1) * stride + i] ?? 0) : 0;
      const c = i >= bpp && y > 0 ? (pixels[(y - 1) * stride + i - bpp] ?? 0) : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      pixels[y * stride + i] = (x + predictor) & 0xff;
    }
  }
  return {
    width,
    height,
    dark(x, y) {
      const o = y * stride + x * bpp;
      const [r, g, b] = [pixels[o] ?? 0, pixels[o + 1] ?? 0, pixels[o + 2] ?? 0];
      return (r + g + b) / 3 < 128;
    },
  };
}

describe('qrPng', () => {
  it('returns a base64 PNG', async () => {
    const base64 = await qrPng(URI);
    expect(base64).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect([...Buffer.from(base64, 'base64').subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  });

  it('draws the QR matrix for the text at error correction M with a 2-module margin and 6 px modules', async () => {
    const image = decodePng(Buffer.from(await qrPng(URI), 'base64'));
    const matrix = QRCode.create(URI, { errorCorrectionLevel: 'M' }).modules;
    const size = matrix.size;
    expect(image.width).toBe((size + 2 * MARGIN) * SCALE);
    expect(image.height).toBe(image.width);

    const sample = (col: number, row: number) =>
      image.dark((col + MARGIN) * SCALE + SCALE / 2, (row + MARGIN) * SCALE + SCALE / 2);
    let mismatches = 0;
    for (let row = 0; row < size; row++) {
      for (let col = 0; col < size; col++)
        if (sample(col, row) !== Boolean(matrix.get(row, col))) mismatches++;
    }
    expect(mismatches).toBe(0);

    for (let i = -MARGIN; i < size + MARGIN; i++) {
      for (const edge of [-MARGIN, -1, size, size + MARGIN - 1]) {
        expect(sample(i, edge)).toBe(false); // quiet zone rows
        expect(sample(edge, i)).toBe(false); // quiet zone columns
      }
    }
  });

  it('encodes different text differently', async () => {
    expect(await qrPng(`${URI}x`)).not.toBe(await qrPng(URI));
  });
});

describe('qrTerminal', () => {
  afterEach(() => vi.restoreAllMocks());

  it('returns a multi-line block drawing without printing it', async () => {
    const log = vi.spyOn(console, 'log');
    const write = vi.spyOn(process.stdout, 'write');
    const art = await qrTerminal(URI);
    expect(log).not.toHaveBeenCalled();
    expect(write).not.toHaveBeenCalled();

    const lines = art.split('\n').filter((line) => line.length > 0);
    expect(lines.length).toBeGreaterThan(10);
    const width = lines[0]?.length ?? 0;
    expect(width).toBeGreaterThanOrEqual(21 + 2); // smallest QR code plus a border column each side
    for (const line of lines) {
      expect(line).toHaveLength(width);
      expect(line).toMatch(/^[\u2588\u2580\u2584 ]+$/); // half blocks only, no ANSI escapes
    }
  });

  it('shows the top-left finder pattern, light on dark', async () => {
    const lines = (await qrTerminal(URI)).split('\n');
    // Rows 0 and 1 of the code after a 2-module light quiet zone: a dark edge over a
    // dark-light-light-light-light-light-dark row.
    expect(lines[0]).toMatch(/^\u2588+$/);
    expect(lines[1]?.slice(0, 9)).toBe('\u2588\u2588 \u2584\u2584\u2584\u2584\u2584 ');
  });
});

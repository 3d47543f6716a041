/**
 * Just enough MIME to read what a mail client would show from a message received by the test SMTP
 * server: headers, and the decoded text/plain and text/html bodies of a single part or a
 * multipart/alternative message (7bit, 8bit, quoted-printable or base64).
 */

export interface ParsedMail {
  readonly headers: ReadonlyMap<string, string>;
  readonly text: string | null;
  readonly html: string | null;
}

interface Part {
  readonly headers: Map<string, string>;
  readonly body: string;
}

function splitPart(raw: string): Part {
  const normalised = raw.replace(/\r\n/g, '\n');
  const end = normalised.indexOf('\n\n');
  const head = end === -1 ? normalised : normalised.slice(0, end);
  const body = end === -1 ? '' : normalised.slice(end + 2);
  const headers = new Map<string, string>();
  // Folded header lines continue with whitespace.
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function decodeQuotedPrintable(body: string): string {
  const joined = body.replace(/=\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i += 1) {
    const char = joined[i] ?? '';
    const hex = joined.slice(i + 1, i + 3);
    if (char === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(char, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeBody(part: Part): string {
  const encoding = (part.headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(part.body);
  if (encoding === 'base64') return Buffer.from(part.body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return part.body;
}

/** Parses a raw RFC 5322 message as received over SMTP. */
export function parseMail(raw: string): ParsedMail {
  const top = splitPart(raw);
  const type = top.headers.get('content-type') ?? 'text/plain';
  const parts: Part[] = [];
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (type.toLowerCase().startsWith('multipart/') && boundary) {
    const sections = top.body.split(`--${boundary}`);
    // The first section is the preamble, the last one follows the closing `--boundary--`.
    for (const section of sections.slice(1)) {
      if (section.startsWith('--')) break;
      parts.push(splitPart(section.replace(/^\n/, '').replace(/\n$/, '')));
    }
  } else {
    parts.push(top);
  }
  const find = (mime: string): string | null => {
    const part = parts.find((p) =>
      (p.headers.get('content-type') ?? 'text/plain').toLowerCase().startsWith(mime),
    );
    return part ? decodeBody(part).replace(/\n$/, '') : null;
  };
  return { headers: top.headers, text: find('text/plain'), html: find('text/html') };
}

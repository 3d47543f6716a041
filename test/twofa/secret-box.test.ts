import { describe, expect, it } from 'vitest';
import { SecretBox, SecretBoxError } from '../../src/twofa/secret-box.ts';

const KEY = 'test-secret-key-with-enough-entropy-0123456789';
const PLAINTEXT = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const ACCOUNT = 'acc_1';

/** Flips one bit of the decoded bytes of part `index` (1 iv, 2 tag, 3 data) and re-encodes. */
function tamper(sealed: string, index: 1 | 2 | 3): string {
  const parts = sealed.split(':');
  const bytes = Buffer.from(parts[index] ?? '', 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join(':');
}

function failure(fn: () => unknown): SecretBoxError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SecretBoxError) return error;
    throw error;
  }
  throw new Error('expected a SecretBoxError, nothing was thrown');
}

describe('SecretBox', () => {
  const box = new SecretBox({ secretKey: KEY });

  it('opens what it sealed, with and without associated data', () => {
    expect(box.open(box.seal(PLAINTEXT, ACCOUNT), ACCOUNT)).toBe(PLAINTEXT);
    expect(box.open(box.seal(PLAINTEXT))).toBe(PLAINTEXT);
    expect(box.open(box.seal(''))).toBe('');
    expect(box.open(box.seal('pässwörd ✓ 密码'))).toBe('pässwörd ✓ 密码');
  });

  it('opens with another instance built from the same SECRET_KEY (a restart)', () => {
    expect(new SecretBox({ secretKey: KEY }).open(box.seal(PLAINTEXT, ACCOUNT), ACCOUNT)).toBe(PLAINTEXT);
  });

  it('writes v1:<iv>:<tag>:<ciphertext> in base64url with a 12-byte iv and a 16-byte tag', () => {
    const sealed = box.seal(PLAINTEXT, ACCOUNT);
    expect(sealed).toMatch(/^v1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
    expect(Buffer.from(sealed.split(':')[3] ?? '', 'base64url')).toHaveLength(PLAINTEXT.length);
  });

  it('does not contain the plaintext in any form', () => {
    const sealed = box.seal(PLAINTEXT, ACCOUNT);
    const data = Buffer.from(sealed.split(':')[3] ?? '', 'base64url');
    expect(sealed).not.toContain(PLAINTEXT);
    expect(sealed).not.toContain(Buffer.from(PLAINTEXT).toString('base64url').slice(0, 12));
    expect(data.toString('latin1')).not.toContain(PLAINTEXT.slice(0, 8));
  });

  it('gives a different ciphertext and iv every time', () => {
    const a = box.seal(PLAINTEXT, ACCOUNT);
    const b = box.seal(PLAINTEXT, ACCOUNT);
    expect(a).not.toBe(b);
    expect(a.split(':')[1]).not.toBe(b.split(':')[1]);
    expect(a.split(':')[3]).not.toBe(b.split(':')[3]);
  });

  it.each([
    ['iv', 1],
    ['tag', 2],
    ['ciphertext', 3],
  ] as const)('refuses a value whose %s was tampered with', (_, index) => {
    const sealed = box.seal(PLAINTEXT, ACCOUNT);
    const error = failure(() => box.open(tamper(sealed, index), ACCOUNT));
    expect(error.name).toBe('SecretBoxError');
    expect(error.reason).toBe('auth');
  });

  it('refuses a value sealed under another SECRET_KEY', () => {
    const other = new SecretBox({ secretKey: `${KEY}-rotated` });
    expect(failure(() => other.open(box.seal(PLAINTEXT, ACCOUNT), ACCOUNT)).reason).toBe('auth');
  });

  it('refuses a value sealed for another purpose', () => {
    const recovery = new SecretBox({ secretKey: KEY, purpose: 'something-else' });
    expect(failure(() => recovery.open(box.seal(PLAINTEXT))).reason).toBe('auth');
  });

  it('refuses a value bound to another account, or opened without its associated data', () => {
    const sealed = box.seal(PLAINTEXT, ACCOUNT);
    expect(failure(() => box.open(sealed, 'acc_2')).reason).toBe('auth');
    expect(failure(() => box.open(sealed)).reason).toBe('auth');
    expect(failure(() => box.open(box.seal(PLAINTEXT), ACCOUNT)).reason).toBe('auth');
  });

  it('refuses malformed values as format errors', () => {
    const [, iv, tag, data] = box.seal(PLAINTEXT).split(':');
    const shortTag = Buffer.from(tag ?? '', 'base64url')
      .subarray(0, 8)
      .toString('base64url');
    for (const bad of [
      '',
      'garbage',
      `v2:${iv}:${tag}:${data}`,
      `v1:${iv}:${tag}`,
      `v1:${iv}:${tag}:${data}:extra`,
      `v1:${iv}:${shortTag}:${data}`, // a truncated GCM tag would make forgery much easier
      `v1:${iv}AA:${tag}:${data}`,
      `v1:${iv}:${tag}:${data}=`,
      `v1:${iv}:${tag}:${data}!`,
      `v1:${(iv ?? '').replaceAll(/./g, '+')}:${tag}:${data}`,
    ]) {
      expect(failure(() => box.open(bad)).reason, bad).toBe('format');
    }
  });

  it('keeps the sealed value and the plaintext out of its error messages', () => {
    const sealed = box.seal(PLAINTEXT, ACCOUNT);
    const error = failure(() => box.open(sealed, 'acc_2'));
    expect(error.message).not.toContain(sealed.split(':')[3] ?? '');
    expect(error.message).not.toContain(PLAINTEXT);
    expect(error.message).not.toContain(KEY);
  });

  it('refuses an empty SECRET_KEY', () => {
    expect(() => new SecretBox({ secretKey: '' })).toThrow(RangeError);
  });
});

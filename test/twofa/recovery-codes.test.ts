import { describe, expect, it } from 'vitest';
import { RECOVERY_ALPHABET, RecoveryCodes } from '../../src/twofa/recovery-codes.ts';

const KEY = 'test-secret-key-with-enough-entropy-0123456789';
/** Lower-case letters and digits without 0, o, 1, l, i: 31 characters. */
const EXPECTED_ALPHABET = [...'abcdefghijklmnopqrstuvwxyz0123456789'].filter((c) => !'0o1li'.includes(c));
const C = `[${EXPECTED_ALPHABET.join('')}]`;
const FORMAT = new RegExp(`^${C}{4}-${C}{4}-${C}{2}$`);

describe('RecoveryCodes', () => {
  const recovery = new RecoveryCodes({ secretKey: KEY });

  it('generates 10 distinct codes shaped abcd-efgh-jk from an unambiguous alphabet', () => {
    const { codes, hashes } = recovery.generate();
    expect(codes).toHaveLength(10);
    expect(hashes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) {
      expect(code).toMatch(FORMAT);
      expect(code).not.toMatch(/[0o1li]/);
    }
  });

  it('draws from the whole unambiguous alphabet and nothing else', () => {
    expect([...RECOVERY_ALPHABET].sort()).toEqual([...EXPECTED_ALPHABET].sort());
    const seen = new Set(recovery.generate(100).codes.join('').replaceAll('-', ''));
    // 1000 draws from 31 characters: missing one by chance has probability ~1e-13.
    expect([...seen].sort()).toEqual([...EXPECTED_ALPHABET].sort());
  });

  it('generates as many codes as asked, within bounds', () => {
    expect(recovery.generate(12).codes).toHaveLength(12);
    expect(() => recovery.generate(0)).toThrow(RangeError);
    expect(() => recovery.generate(2.5)).toThrow(RangeError);
  });

  it('stores keyed SHA-256 hashes that contain no code', () => {
    const { codes, hashes } = recovery.generate();
    expect(new Set(hashes).size).toBe(10);
    for (const hash of hashes) expect(hash).toMatch(/^[0-9a-f]{64}$/);
    const joined = hashes.join(' ');
    for (const code of codes) {
      expect(joined).not.toContain(code);
      expect(joined).not.toContain(recovery.normalise(code));
    }
  });

  it('matches each code to its own hash, also from a new instance with the same key', () => {
    const { codes, hashes } = recovery.generate();
    const restarted = new RecoveryCodes({ secretKey: KEY });
    codes.forEach((code, index) => {
      expect(recovery.match(code, hashes)).toBe(index);
      expect(restarted.match(code, hashes)).toBe(index);
    });
  });

  it('does not match under another SECRET_KEY', () => {
    const { codes, hashes } = recovery.generate();
    const other = new RecoveryCodes({ secretKey: `${KEY}-rotated` });
    expect(other.match(codes[0] ?? '', hashes)).toBe(-1);
  });

  it('lets each code be used exactly once', () => {
    const { codes, hashes } = recovery.generate();
    const code = codes[3] ?? '';
    const first = recovery.consume(code, hashes);
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(first.remaining).toHaveLength(9);
    expect(first.remaining).not.toContain(hashes[3]);
    expect(first.remaining).toEqual(hashes.filter((_, i) => i !== 3));

    expect(recovery.consume(code, first.remaining)).toEqual({ ok: false });
    expect(recovery.match(code, first.remaining)).toBe(-1);

    const second = recovery.consume(codes[4] ?? '', first.remaining);
    expect(second.ok && second.remaining).toHaveLength(8);
  });

  it('normalises case, spaces and dashes', () => {
    expect(recovery.normalise('ABCD EFGH JK')).toBe('abcdefghjk');
    expect(recovery.normalise('abcd-efgh-jk')).toBe('abcdefghjk');
    expect(recovery.normalise(' abcd\u2014efgh\u2013jk\n')).toBe('abcdefghjk');
  });

  it('accepts a code typed in capitals with spaces instead of dashes', () => {
    const { codes, hashes } = recovery.generate();
    const typed = (codes[0] ?? '').toUpperCase().replaceAll('-', ' ');
    expect(recovery.match(typed, hashes)).toBe(0);
    expect(recovery.consume(`  ${typed}  `, hashes).ok).toBe(true);
  });

  it('tells recovery codes from other input', () => {
    expect(recovery.looksLikeRecoveryCode('abcd-efgh-jk')).toBe(true);
    expect(recovery.looksLikeRecoveryCode('ABCD EFGH JK')).toBe(true);
    expect(recovery.looksLikeRecoveryCode('123456')).toBe(false);
    expect(recovery.looksLikeRecoveryCode('abcd-efgh-j1')).toBe(false);
    expect(recovery.looksLikeRecoveryCode('abcd-efgh-jkm')).toBe(false);
    expect(recovery.looksLikeRecoveryCode('abcd-efgh-j')).toBe(false);
    expect(recovery.looksLikeRecoveryCode('')).toBe(false);
    expect(recovery.looksLikeRecoveryCode(`abcd-efgh-jk${' '.repeat(100)}`)).toBe(false);
  });

  it('refuses a wrong code, a look-alike and malformed stored hashes without throwing', () => {
    const { codes, hashes } = recovery.generate();
    const code = codes[0] ?? '';
    const changed = code.slice(0, -1) + (code.endsWith('a') ? 'b' : 'a');
    expect(recovery.match(changed, hashes)).toBe(-1);
    expect(recovery.consume(changed, hashes)).toEqual({ ok: false });
    expect(recovery.consume('abcd-efgh-jk', hashes)).toEqual({ ok: false });
    expect(recovery.consume('', hashes)).toEqual({ ok: false });
    expect(recovery.match(code, [])).toBe(-1);
    expect(recovery.match(code, ['', 'zz', 'abc', ...hashes])).toBe(3);
  });

  it('refuses an empty SECRET_KEY', () => {
    expect(() => new RecoveryCodes({ secretKey: '' })).toThrow(RangeError);
  });
});

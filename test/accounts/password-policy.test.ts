import { dictionary } from '@zxcvbn-ts/language-common';
import { describe, expect, it } from 'vitest';
import {
  checkPasswordPolicy,
  MAX_LENGTH,
  MAX_UNITS,
  MIN_LENGTH,
  type PolicyContext,
} from '../../src/accounts/password-policy.ts';
import { t } from '../../src/catalog/catalog.ts';

const context: PolicyContext = {
  accountId: 'acc_1a2b3c4d5e6f',
  phone: '+8613800138000',
  email: 'alice.smith@example.com',
};

const check = (password: string, ctx: PolicyContext = context) => checkPasswordPolicy(password, ctx);
const reason = (password: string, ctx: PolicyContext = context) => {
  const result = check(password, ctx);
  return result.ok ? 'ok' : result.reason;
};

/** A family emoji: one user-perceived character made of 7 code points (11 UTF-16 units). */
const FAMILY = '👨‍👩‍👧‍👦';

describe('password policy', () => {
  it('accepts a strong password', () => {
    expect(check('Sunflower-Lantern-42')).toEqual({ ok: true });
    expect(check('correct horse battery staple 7')).toEqual({ ok: true });
  });

  describe('minimum length (8)', () => {
    it('rejects 7 characters as tooShort and accepts 8', () => {
      expect(MIN_LENGTH).toBe(8);
      expect(reason('Tulip47')).toBe('tooShort');
      expect(reason('Tulips47')).toBe('ok');
    });

    it('counts user-perceived characters, so 7 emoji-heavy characters are still too short', () => {
      const seven = `ab12${FAMILY.repeat(3)}`;
      expect(seven.length).toBeGreaterThan(8);
      expect(reason(seven)).toBe('tooShort');
      expect(reason(`ab12${FAMILY.repeat(4)}`)).toBe('ok');
    });

    it('counts a letter with a combining accent once, whether composed or not', () => {
      const decomposed = 'e\u0301'.repeat(5);
      expect(reason(`${decomposed}12`)).toBe('tooShort');
      expect(reason(`${'é'.repeat(5)}12`)).toBe('tooShort');
      expect(reason(`${decomposed}123`)).toBe('ok');
    });

    it('rejects the empty password', () => {
      expect(reason('')).toBe('tooShort');
    });
  });

  describe('maximum length (128)', () => {
    it('accepts 128 characters and rejects 129 as tooLong', () => {
      expect(MAX_LENGTH).toBe(128);
      const exactly = `Zq7${'x'.repeat(125)}`;
      expect([...exactly]).toHaveLength(128);
      expect(reason(exactly)).toBe('ok');
      expect(reason(`${exactly}y`)).toBe('tooLong');
    });

    it('counts an emoji once, so 128 characters that take 254 UTF-16 units are allowed', () => {
      const emoji = `a1${'😀'.repeat(126)}`;
      expect(emoji.length).toBe(254);
      expect(reason(emoji)).toBe('ok');
      expect(reason(`${emoji}😀`)).toBe('tooLong');
    });

    it('counts multi-byte characters once, so 128 Chinese characters with a digit are allowed', () => {
      const chinese = `${'密'.repeat(127)}7`;
      expect(Buffer.byteLength(chinese)).toBeGreaterThan(128);
      expect(reason(chinese)).toBe('ok');
      expect(reason(`密${chinese}`)).toBe('tooLong');
    });
  });

  describe('hostile input: huge passwords', () => {
    it('refuses 100 KB and 1 MB passwords as tooLong, before looking at anything else', () => {
      for (const size of [100 * 1024, 1024 * 1024]) {
        // Valid in every other way, so only the length rule can refuse it.
        expect(reason(`Zq7${'x'.repeat(size)}`), String(size)).toBe('tooLong');
        // Refused as too long rather than for the NUL or the missing letter, which come later.
        expect(reason('\u0000'.repeat(size))).toBe('tooLong');
        expect(reason('9'.repeat(size))).toBe('tooLong');
      }
    });

    it('refuses a huge password without building anything proportional to it', () => {
      const huge = `Zq7${'😀'.repeat(512 * 1024)}`; // 1 MB of UTF-16 units in a flat string
      const before = process.memoryUsage().heapUsed;
      const results = Array.from({ length: 20 }, () => reason(huge));
      const grown = process.memoryUsage().heapUsed - before;
      expect(results.every((r) => r === 'tooLong')).toBe(true);
      // Splitting it into characters even once would take tens of MB (one string per character).
      expect(grown).toBeLessThan(8 * 1024 * 1024);
    });

    it('counts characters, not units, up to the unit cap: 128 family emoji are still allowed', () => {
      const family = `a1${FAMILY.repeat(126)}`;
      expect(family.length).toBeLessThanOrEqual(MAX_UNITS);
      expect(reason(family)).toBe('ok');
      expect(reason(`${family}${FAMILY}`)).toBe('tooLong');
    });

    it('refuses more than MAX_UNITS UTF-16 units as tooLong, even when they make few characters', () => {
      expect(MAX_UNITS).toBe(2048);
      // One letter with a pile of combining accents (zalgo) is one character but many units.
      const zalgo = `a${'\u0301'.repeat(MAX_UNITS)}bcdefg12`;
      expect(reason(zalgo)).toBe('tooLong');
    });
  });

  describe('control and invisible characters', () => {
    const base = 'Sunflower-Lantern-42';
    const refused: Array<[string, string]> = [
      ['NUL', '\u0000'],
      ['tab', '\t'],
      ['line feed', '\n'],
      ['carriage return', '\r'],
      ['escape', '\u001b'],
      ['DEL', '\u007f'],
      ['C1 control (NEL)', '\u0085'],
      ['zero-width space', '\u200b'],
      ['left-to-right mark', '\u200e'],
      ['right-to-left mark', '\u200f'],
      ['line separator', '\u2028'],
      ['paragraph separator', '\u2029'],
      ['left-to-right embedding', '\u202a'],
      ['right-to-left override', '\u202e'],
      ['word joiner', '\u2060'],
      ['left-to-right isolate', '\u2066'],
      ['pop directional isolate', '\u2069'],
      ['byte-order mark', '\ufeff'],
      ['soft hyphen', '\u00ad'],
      ['Arabic letter mark', '\u061c'],
      ['lone surrogate', '\ud800'],
    ];

    for (const [name, char] of refused) {
      it(`refuses a ${name} (U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}) as controlChars, wherever it is`, () => {
        expect(reason(`${char}${base}`)).toBe('controlChars');
        expect(reason(`Sunflower${char}-Lantern-42`)).toBe('controlChars');
        expect(reason(`${base}${char}`)).toBe('controlChars');
      });
    }

    it('reports the control character before the other rules except too long', () => {
      expect(reason('ab\t1')).toBe('controlChars');
      expect(reason('password1\n')).toBe('controlChars');
      expect(reason(`\u0000${'9'.repeat(20)}`)).toBe('controlChars');
      expect(reason(`${'x'.repeat(200)}\t`)).toBe('tooLong');
    });

    it('still allows emoji (with their joiners and variation selectors), RTL letters and other scripts', () => {
      expect(reason(`ab12${FAMILY.repeat(4)}`)).toBe('ok');
      expect(reason('Heart❤️-Rocket🚀-42')).toBe('ok');
      expect(reason('Thumbs👍🏽-up-2026')).toBe('ok');
      expect(reason('Flag🏴󠁧󠁢󠁳󠁣󠁴󠁿-Scotland-7')).toBe('ok');
      expect(reason('שלום-עולם-2024')).toBe('ok');
      expect(reason('كلمةسرية12')).toBe('ok');
      // Persian writes some words with a zero-width non-joiner.
      expect(reason('می\u200cخواهم-رمز-42')).toBe('ok');
      expect(reason('no-break\u00a0space-42')).toBe('ok');
    });

    it('has a kind, plain-words message in the catalog', () => {
      const text = t('en', 'policy.controlChars');
      expect(text).toMatch(/invisible or control characters/);
      expect(text).toMatch(/like tabs or line breaks/);
      expect(text).toMatch(/Please type it again without them\./);
    });
  });

  describe('letters and digits', () => {
    it('rejects a password without a letter as noLetter', () => {
      expect(reason('93847561')).toBe('noLetter');
      expect(reason('2718-2818-28!')).toBe('noLetter');
    });

    it('rejects a password without a digit as noDigit', () => {
      expect(reason('Sunflower-Lantern')).toBe('noDigit');
      expect(reason('correct horse battery')).toBe('noDigit');
    });

    it('counts letters of any script: Cyrillic and Chinese passwords pass the letter rule', () => {
      expect(reason('пароль12345')).toBe('ok');
      expect(reason('密码安全很重要12')).toBe('ok');
      expect(reason('كلمةسرية12')).toBe('ok');
      expect(reason('密码安全很重要的')).toBe('noDigit');
    });

    it('counts decimal digits of any script', () => {
      expect(reason('abcdefg٣')).toBe('ok');
      expect(reason('abcdefg३')).toBe('ok');
    });

    it('checks length before letters and digits, reporting the first failed rule', () => {
      expect(reason('1234')).toBe('tooShort');
      expect(reason(`${'9'.repeat(129)}`)).toBe('tooLong');
    });
  });

  describe('common passwords', () => {
    it('rejects well-known common passwords as common', () => {
      for (const password of ['password1', 'qwerty123', 'iloveyou1', 'trustno1', '1q2w3e4r', 'zaq12wsx']) {
        expect(reason(password), password).toBe('common');
      }
    });

    it('compares without regard to case', () => {
      expect(reason('PassWord1')).toBe('common');
      expect(reason('QWERTY123')).toBe('common');
    });

    it('uses the 10,000 most common passwords: rank 10,000 and above is rejected, below is not', () => {
      const ranked = (dictionary as Record<string, string[]>)['passwords-common'] ?? [];
      expect(ranked.length).toBeGreaterThan(10_000);
      // Only entries that pass the other rules tell us anything about this one.
      const otherwiseValid = (p: string) =>
        [...p].length >= 8 && [...p].length <= 128 && /\p{L}/u.test(p) && /\p{Nd}/u.test(p);
      const inside = ranked.slice(0, 10_000).filter(otherwiseValid);
      const outside = ranked
        .slice(10_000)
        .filter(otherwiseValid)
        .filter((p) => !inside.includes(p));
      expect(inside.length).toBeGreaterThan(100);
      for (const password of inside) expect(reason(password)).toBe('common');
      const firstOutside = outside[0] ?? '';
      expect(firstOutside).not.toBe('');
      expect(reason(firstOutside)).toBe('ok');
    });
  });

  describe('personal data', () => {
    it('rejects the national part of the phone number, however it is written', () => {
      expect(reason('Call13800138000')).toBe('containsPhone');
      expect(reason('x-0013-8000-y')).toBe('containsPhone');
      expect(reason('my+8613800138000')).toBe('containsPhone');
      // Only the last 8 digits are the tell; shorter fragments are fine.
      expect(reason('Tulip38000z')).toBe('ok');
    });

    it('rejects the email address and its local part, in any case', () => {
      expect(reason('alice.smith@example.com1')).toBe('containsEmail');
      expect(reason('ALICE.SMITH2026')).toBe('containsEmail');
      expect(reason('iamAlice.Smith9')).toBe('containsEmail');
    });

    it('ignores a very short local part of the email, which would block ordinary words', () => {
      const ctx = { ...context, email: 'al@example.com' };
      expect(reason('Halberd-tower-9', ctx)).toBe('ok');
      expect(reason('al@example.com9', ctx)).toBe('containsEmail');
    });

    it('rejects the account id, with or without its acc_ prefix', () => {
      expect(reason('acc_1a2b3c4d5e6f!')).toBe('containsAccountId');
      expect(reason('Zx1A2B3C4D5E6Fq')).toBe('containsAccountId');
    });

    it('does not look for an email when the account has none', () => {
      expect(reason('alice.smith42', { ...context, email: null })).toBe('ok');
    });

    it('accepts a strong password for another person’s data', () => {
      expect(
        reason('Sunflower-Lantern-42', {
          accountId: 'acc_ffffffffffff',
          phone: '+4915112345678',
          email: null,
        }),
      ).toBe('ok');
    });
  });
});

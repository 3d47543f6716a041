import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { describe, expect, it } from 'vitest';
import { availableLocales, catalogOf, LOCALES, resolveLocale, t } from '../../src/catalog/catalog.ts';
import { en } from '../../src/catalog/en/index.ts';
import type { MessageKey } from '../../src/core/messages.ts';

/** Every placeholder a message names (a translation may use a plural where English needs none). */
function placeholders(elements: readonly MessageFormatElement[], into = new Set<string>()): Set<string> {
  for (const element of elements) {
    switch (element.type) {
      case TYPE.argument:
      case TYPE.number:
      case TYPE.date:
      case TYPE.time:
        into.add(element.value);
        break;
      case TYPE.plural:
      case TYPE.select:
        into.add(element.value);
        for (const option of Object.values(element.options)) placeholders(option.value, into);
        break;
      case TYPE.tag:
        placeholders(element.children, into);
        break;
      default:
        break;
    }
  }
  return into;
}

/** Plural and select elements without their required `other` branch. */
function missingOther(elements: readonly MessageFormatElement[]): string[] {
  const found: string[] = [];
  for (const element of elements) {
    if (element.type === TYPE.plural || element.type === TYPE.select) {
      if (!('other' in element.options)) found.push(element.value);
      for (const option of Object.values(element.options)) found.push(...missingOther(option.value));
    }
  }
  return found;
}

const englishKeys = Object.keys(en).sort();
const shape = (message: string) => [...placeholders(parse(message, { ignoreTag: true }))].sort();

describe('the message catalogs', () => {
  it('registers every language: English, Simplified Chinese, Spanish and Russian', () => {
    expect(availableLocales()).toEqual([...LOCALES]);
  });

  for (const locale of LOCALES) {
    describe(locale, () => {
      const catalog = catalogOf(locale) as Readonly<Record<string, string>>;

      it('has exactly the English keys', () => {
        expect(Object.keys(catalog).sort()).toEqual(englishKeys);
      });

      it('parses every message as ICU MessageFormat, each plural and select with its "other" branch', () => {
        const broken: string[] = [];
        for (const [key, message] of Object.entries(catalog)) {
          try {
            const ast = parse(message, { ignoreTag: true });
            for (const name of missingOther(ast)) broken.push(`${key}: ${name} has no "other"`);
          } catch (error) {
            broken.push(`${key}: ${(error as Error).message}`);
          }
        }
        expect(broken).toEqual([]);
      });

      it('uses the English placeholders in every message, no other and none fewer', () => {
        const different: string[] = [];
        for (const key of englishKeys) {
          const message = catalog[key];
          if (message === undefined) continue;
          let theirs: string[];
          try {
            theirs = shape(message);
          } catch {
            continue; // reported by the parse test
          }
          const ours = shape(en[key as MessageKey]);
          if (theirs.join(',') !== ours.join(','))
            different.push(`${key}: ${theirs.join(',')} instead of ${ours.join(',')}`);
        }
        expect(different).toEqual([]);
      });
    });
  }
});

describe('t() with ICU messages', () => {
  it('says "1 try left" and "3 tries left" with plurals', () => {
    expect(t('en', 'codes.wrong', { remaining: 1 })).toBe('That code is not right. You have 1 more try.');
    expect(t('en', 'codes.wrong', { remaining: 3 })).toBe('That code is not right. You have 3 more tries.');
    expect(t('en', 'codes.cooldown', { seconds: 1 })).toContain('wait 1 second before');
  });

  it('says when no device was signed in', () => {
    expect(t('en', 'activity.signedOut', { count: 0 })).toMatch(/^No device was signed in/);
    expect(t('en', 'activity.signedOut', { count: 1 })).toMatch(/^Done: I signed out 1 device, /);
    expect(t('en', 'activity.signedOut', { count: 4 })).toMatch(/^Done: I signed out 4 devices, /);
  });

  it('leaves a missing param visible instead of dropping it', () => {
    expect(t('en', 'codes.sent', {})).toContain('{to}');
    expect(t('en', 'codes.wrong', {})).toContain('remaining');
  });

  it('renders messages given as params, in the same language', () => {
    expect(t('en', 'common.busyInFlow', { flow: { key: 'password.title' } })).toContain(en['password.title']);
  });

  it('fills {contact} with the default contact of the language', () => {
    expect(t('en', 'support.withPerson', {})).toContain(en['support.defaultContact']);
  });

  it('picks a language from platform tags', () => {
    for (const tag of ['zh', 'zh-hans', 'zh-CN', 'zh-SG', 'zh_Hans_CN'])
      expect(resolveLocale(tag)).toBe(availableLocales().includes('zh-CN') ? 'zh-CN' : 'en');
    for (const tag of ['zh-TW', 'zh-Hant', 'zh-HK']) expect(resolveLocale(tag)).toBe('en');
    for (const tag of ['es', 'es-ES', 'es-419', 'es-MX'])
      expect(resolveLocale(tag)).toBe(availableLocales().includes('es') ? 'es' : 'en');
    expect(resolveLocale('ru')).toBe(availableLocales().includes('ru') ? 'ru' : 'en');
    for (const tag of ['en-GB', 'de', 'pt-BR', '', undefined]) expect(resolveLocale(tag)).toBe('en');
  });
});

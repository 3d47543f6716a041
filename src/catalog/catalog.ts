import type { MessageKey, MessageParams } from '../core/messages.ts';
import { en } from './en/index.ts';

declare module '../core/messages.ts' {
  /** The English catalog is the source of every message key and its placeholders. */
  interface MessageCatalog {
    readonly en: typeof en;
  }
}

export type { MessageKey, MessageParams };
export type Locale = 'en';

const catalogs: Record<Locale, Record<MessageKey, string>> = { en };

/** True when `key` is a message key; used to validate keys that come from stored data. */
export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(en, key);
}

/** Picks a supported locale for a platform language tag (`en-GB` -> `en`); English is the fallback. */
export function resolveLocale(tag: string | undefined): Locale {
  const base = (tag ?? 'en').toLowerCase().split(/[-_]/)[0];
  return base !== undefined && base in catalogs ? (base as Locale) : 'en';
}

/**
 * Renders one message: `{name}` placeholders are replaced by params; a missing param is left visible
 * so that a mistake shows in tests instead of silently producing a broken sentence.
 *
 * @example t('en', 'password.changed', {}) // "Done: your password was changed. ..."
 */
export function t(locale: Locale, key: MessageKey, params: MessageParams = {}): string {
  const template = catalogs[locale][key] ?? en[key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    return value === undefined ? whole : String(value);
  });
}

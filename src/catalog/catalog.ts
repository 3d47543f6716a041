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

/** Values every message may use without its caller passing them: `{contact}` (SUPPORT_CONTACT). */
const defaults: Record<string, string> = { contact: en['support.defaultContact'] };

/**
 * Sets the values every message can use (once, at start-up): `contact` is how users reach support
 * (SUPPORT_CONTACT), shown wherever a sentence says "contact support". Unset values keep their default.
 *
 * @example setMessageDefaults({ contact: config.supportContact })
 */
export function setMessageDefaults(values: { readonly contact?: string | undefined }): void {
  defaults.contact = values.contact?.trim() || en['support.defaultContact'];
}

/**
 * Renders one message: `{name}` placeholders are replaced by params (then by the defaults of
 * `setMessageDefaults`); a missing param is left visible so that a mistake shows in tests instead of
 * silently producing a broken sentence.
 *
 * @example t('en', 'password.changed', {}) // "Done: your password was changed. ..."
 */
export function t(locale: Locale, key: MessageKey, params: MessageParams = {}): string {
  const template = catalogs[locale][key] ?? en[key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name] ?? defaults[name];
    return value === undefined ? whole : String(value);
  });
}

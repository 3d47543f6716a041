import { IntlMessageFormat } from 'intl-messageformat';
import type { MessageKey, MessageParam, MessageParams, MessageRef } from '../core/messages.ts';
import { en } from './en/index.ts';
import { es } from './es/index.ts';
import { ru } from './ru/index.ts';
import type { LocaleCatalog } from './types.ts';
import { zhCN } from './zh-CN/index.ts';

declare module '../core/messages.ts' {
  /** The English catalog is the source of every message key and its placeholders. */
  interface MessageCatalog {
    readonly en: typeof en;
  }
}

export type { MessageKey, MessageParam, MessageParams, MessageRef };

/** The languages lockstep speaks; `en` is the source and the fallback. */
export const LOCALES = ['en', 'zh-CN', 'es', 'ru'] as const;
export type Locale = (typeof LOCALES)[number];

/**
 * Every catalog: English (the source of keys and placeholders) and the translations, each
 * `src/catalog/<locale>/index.ts` exporting one object that `satisfies LocaleCatalog`. `Partial`, so a
 * language can be taken out (or a new one start) without breaking the build: its readers get English.
 */
const catalogs: Partial<Record<Locale, Readonly<Record<MessageKey, string>>>> = {
  en,
  'zh-CN': zhCN satisfies LocaleCatalog,
  es: es satisfies LocaleCatalog,
  ru: ru satisfies LocaleCatalog,
};

/** The languages whose catalog is present, in the order of LOCALES. */
export function availableLocales(): Locale[] {
  return LOCALES.filter((locale) => catalogs[locale] !== undefined);
}

/** True when `value` names a language lockstep speaks (a stored choice, a LOCALE setting). */
export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** The catalog of a language (English for one that is not present): for tests and tools. */
export function catalogOf(locale: Locale): Readonly<Record<MessageKey, string>> {
  return catalogs[locale] ?? en;
}

/** True when `key` is a message key; used to validate keys that come from stored data. */
export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(en, key);
}

/**
 * Picks a language for a platform tag (Telegram's `language_code`, Discord's `locale`, LOCALE): Simplified
 * Chinese for `zh`, `zh-Hans`, `zh-CN`, `zh-SG`; Spanish for `es-*`; Russian for `ru-*`; English for the
 * rest. Traditional Chinese (`zh-TW`, `zh-HK`, `zh-Hant`) gets English: its readers should not be served
 * Simplified characters as if they were theirs, and English is the common second language there.
 */
export function resolveLocale(tag: string | undefined | null): Locale {
  const parts = (tag ?? '').trim().toLowerCase().split(/[-_]/);
  const [base, ...rest] = parts;
  let locale: Locale = 'en';
  if (base === 'zh') {
    const traditional = rest.some((part) => ['hant', 'tw', 'hk', 'mo'].includes(part));
    locale = traditional ? 'en' : 'zh-CN';
  } else if (base === 'es') locale = 'es';
  else if (base === 'ru') locale = 'ru';
  return catalogs[locale] ? locale : 'en';
}

/**
 * The language for a web page from the browser's `Accept-Language` header: the most preferred tag lockstep
 * speaks (`ru-RU,ru;q=0.9,en;q=0.8` -> `ru`); English when none is.
 */
export function localeFromAcceptLanguage(header: string | undefined): Locale {
  const tags = (header ?? '')
    .split(',')
    .slice(0, 20)
    .map((part, index) => {
      const [tag = '', ...rest] = part.trim().split(';');
      const q = rest.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((entry) => entry.tag !== '' && entry.tag !== '*' && entry.q > 0 && Number.isFinite(entry.q))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of tags) {
    const locale = resolveLocale(tag);
    if (locale !== 'en' || tag.toLowerCase().split(/[-_]/)[0] === 'en') return locale;
  }
  return 'en';
}

/** The plain words lockstep understands at every step, and what they do. */
export type PlainWord = 'cancel' | 'help' | 'menu' | 'back';
const PLAIN_WORDS: readonly PlainWord[] = ['cancel', 'help', 'menu', 'back'];
const wordLists = new Map<Locale, ReadonlyMap<string, PlainWord>>();

function normalizeWord(text: string): string {
  return text
    .trim()
    .toLocaleLowerCase()
    .replace(/^[/\s]+|[\s.!。！?？]+$/gu, '')
    .replace(/\s+/g, ' ');
}

function wordsOf(locale: Locale): ReadonlyMap<string, PlainWord> {
  let words = wordLists.get(locale);
  if (!words) {
    const map = new Map<string, PlainWord>();
    for (const word of PLAIN_WORDS) {
      const list = catalogs[locale]?.[`words.${word}`] ?? en[`words.${word}`];
      for (const entry of list.split(/[,，、]/)) {
        const normal = normalizeWord(entry);
        if (normal !== '' && !map.has(normal)) map.set(normal, word);
      }
    }
    words = map;
    wordLists.set(locale, words);
  }
  return words;
}

/**
 * The plain word a message is, in the reader's language or in English ("stop", "отмена", "取消",
 * "ayuda"), or null. Only a whole message counts: "stop it" is not a word.
 *
 * @example plainWordOf('es', 'Cancelar') // 'cancel'
 */
export function plainWordOf(locale: Locale, text: string): PlainWord | null {
  if (text.length > 40) return null;
  const typed = normalizeWord(text);
  if (typed === '') return null;
  return wordsOf(locale).get(typed) ?? wordsOf('en').get(typed) ?? null;
}

/** Values every message may use without its caller passing them: `{contact}` (SUPPORT_CONTACT). */
const defaults: Record<string, string | undefined> = { contact: undefined };

/**
 * Sets the values every message can use (once, at start-up): `contact` is how users reach support
 * (SUPPORT_CONTACT), shown wherever a sentence says "contact support". Unset values keep their default
 * (the catalog's `support.defaultContact`, in the reader's language).
 *
 * @example setMessageDefaults({ contact: config.supportContact })
 */
export function setMessageDefaults(values: { readonly contact?: string | undefined }): void {
  defaults.contact = values.contact?.trim() || undefined;
}

interface Compiled {
  readonly format: IntlMessageFormat;
  /** Every argument the message names, so that a missing one can be shown instead of failing. */
  readonly names: readonly string[];
  /** The arguments that pick a plural or select branch (a missing one still shows as `{name}`). */
  readonly branching: ReadonlySet<string>;
}

const compiled = new Map<string, Compiled>();

function argumentNames(elements: readonly unknown[], into: Set<string>, branching: Set<string>): Set<string> {
  for (const element of elements as readonly {
    type: number;
    value?: string;
    options?: Record<string, { value: unknown[] }>;
    children?: unknown[];
  }[]) {
    // 1 argument, 2 number, 3 date, 4 time, 5 select, 6 plural (see @formatjs/icu-messageformat-parser).
    if (element.type >= 1 && element.type <= 6 && typeof element.value === 'string') into.add(element.value);
    if (element.type >= 5 && element.type <= 6 && typeof element.value === 'string')
      branching.add(element.value);
    for (const option of Object.values(element.options ?? {})) argumentNames(option.value, into, branching);
    if (element.children) argumentNames(element.children, into, branching);
  }
  return into;
}

function compile(locale: Locale, key: MessageKey): Compiled {
  const id = `${locale}\u0000${key}`;
  let entry = compiled.get(id);
  if (!entry) {
    const template = catalogs[locale]?.[key] ?? en[key];
    const format = new IntlMessageFormat(template, locale, undefined, { ignoreTag: true });
    const branching = new Set<string>();
    entry = { format, names: [...argumentNames(format.getAst(), new Set(), branching)], branching };
    compiled.set(id, entry);
  }
  return entry;
}

const relative = new Map<Locale, Intl.RelativeTimeFormat>();

/** Day, short month and year, in UTC (chat users sit in every time zone). */
const DAY_PARTS: Intl.DateTimeFormatOptions = {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  timeZone: 'UTC',
};

/** One formatter per language and kind, made once. English dates read day first ("27 Nov 2026"). */
function dateFormat(
  cache: Map<Locale, Intl.DateTimeFormat>,
  locale: Locale,
  options: Intl.DateTimeFormatOptions,
): Intl.DateTimeFormat {
  let format = cache.get(locale);
  if (!format) {
    format = new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : locale, options);
    cache.set(locale, format);
  }
  return format;
}

const absolute = new Map<Locale, Intl.DateTimeFormat>();

const UNITS: readonly [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 24 * 60 * 60_000],
  ['hour', 60 * 60_000],
  ['minute', 60_000],
];

/**
 * A time for a reader: "2 hours ago" / "vor 2 Stunden" while it is within a week of `now`, otherwise the
 * date and time in the language's own format, in UTC (chat users sit in every time zone).
 */
export function formatTime(locale: Locale, at: number, now?: number): string {
  if (now !== undefined) {
    const diff = at - now;
    if (Math.abs(diff) < 7 * 24 * 60 * 60_000) {
      let format = relative.get(locale);
      if (!format) {
        format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
        relative.set(locale, format);
      }
      for (const [unit, size] of UNITS) {
        if (Math.abs(diff) >= size) return format.format(Math.trunc(diff / size), unit);
      }
      return format.format(0, 'second');
    }
  }
  const format = dateFormat(absolute, locale, {
    ...DAY_PARTS,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  return `${format.format(at)} UTC`;
}

function value(locale: Locale, param: MessageParam): string | number {
  if (typeof param === 'string' || typeof param === 'number') return param;
  if ('key' in param) return t(locale, param.key, param.params);
  if ('lines' in param) return param.lines.map((line) => t(locale, line.key, line.params)).join('\n');
  if ('day' in param) return formatDay(locale, param.day);
  return formatTime(locale, param.at, param.now);
}

const days = new Map<Locale, Intl.DateTimeFormat>();

/** A calendar day for a reader, in the language's own format, in UTC ("1 Apr 2026", "1 abr 2026"). */
export function formatDay(locale: Locale, at: number): string {
  return dateFormat(days, locale, DAY_PARTS).format(at);
}

/** A number no message is given, standing in for a missing plural or select value. */
const MISSING_NUMBER = 987_654_000;
const numberFormats = new Map<Locale, Intl.NumberFormat>();

function numberFormat(locale: Locale): Intl.NumberFormat {
  let format = numberFormats.get(locale);
  if (!format) {
    format = new Intl.NumberFormat(locale);
    numberFormats.set(locale, format);
  }
  return format;
}

/**
 * Renders one message (ICU MessageFormat, with plurals and selects) in `locale`, falling back to English
 * for a key a catalog lacks. Params may be plain values, other messages (`{ key, params }`), lists of
 * lines or times (`{ at, now? }`, rendered as "2 hours ago" or a local date). `{contact}` defaults to
 * `setMessageDefaults`. A missing param stays visible as `{name}`, so that a mistake shows in tests
 * instead of silently producing a broken sentence.
 *
 * @example t('en', 'activity.signedOut', { count: 3 }) // "Done: I signed out 3 devices, ..."
 */
export function t(locale: Locale, key: MessageKey, params: MessageParams = {}): string {
  const { format, names, branching } = compile(catalogs[locale] ? locale : 'en', key);
  const values: Record<string, string | number> = {};
  const missing: string[] = [];
  for (const name of names) {
    const given = params[name];
    if (given !== undefined) values[name] = value(locale, given);
    else if (name === 'contact') values[name] = defaults.contact ?? t(locale, 'support.defaultContact');
    else if (branching.has(name)) values[name] = MISSING_NUMBER + missing.push(name);
    else values[name] = `{${name}}`;
  }
  try {
    let text = String(format.format(values));
    // A missing number still picks a branch; its digits are shown as `{name}` again.
    missing.forEach((name, index) => {
      text = text.replaceAll(numberFormat(locale).format(MISSING_NUMBER + index + 1), `{${name}}`);
    });
    return text;
  } catch {
    // A plural or select given the wrong kind of value: show the message with its placeholders.
    return catalogs[locale]?.[key] ?? en[key];
  }
}

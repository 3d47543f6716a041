/**
 * Choose the language (`/language`, or "Language" in the menu): lockstep speaks English, Simplified
 * Chinese, Spanish and Russian. The choice is remembered for this chat identity (the engine keeps it with
 * the session, from the flow's output) and, when the chat is linked, for the account, so that its SMS and
 * email notices use it too. `/language es` chooses at once.
 */
import { assign, emit, fromPromise, setup } from 'xstate';
import {
  AWAITING_INPUT,
  type FlowDefinition,
  type FlowEvent,
  type FlowInput,
  type FlowOutput,
  type MessageKey,
  notProvided,
  type ReplyEvent,
} from './ports.ts';

/** The languages offered, each with its own name as a catalog key (always written in that language). */
export const LANGUAGES = ['en', 'zh-CN', 'es', 'ru'] as const;
export type LanguageCode = (typeof LANGUAGES)[number];

const NAME: Record<LanguageCode, MessageKey> = {
  en: 'language.name.en',
  'zh-CN': 'language.name.zh-CN',
  es: 'language.name.es',
  ru: 'language.name.ru',
};

/** A typed or given language: its code or its own name, in any case (`es`, `ES`, `español`). */
export function languageOf(text: string): LanguageCode | null {
  const wanted = text.trim().toLowerCase();
  if (wanted === '') return null;
  const aliases: Record<string, LanguageCode> = {
    en: 'en',
    english: 'en',
    zh: 'zh-CN',
    'zh-cn': 'zh-CN',
    中文: 'zh-CN',
    简体中文: 'zh-CN',
    es: 'es',
    español: 'es',
    espanol: 'es',
    ru: 'ru',
    русский: 'ru',
  };
  // Own keys only: "constructor" or "__proto__" typed by a user must not find Object's.
  return Object.hasOwn(aliases, wanted) ? (aliases[wanted] ?? null) : null;
}

interface Context {
  readonly accountId: string | null;
  readonly current: LanguageCode;
  chosen: LanguageCode | null;
}

export const languageMachine = setup({
  types: {
    context: {} as Context,
    input: {} as FlowInput,
    events: {} as FlowEvent,
    emitted: {} as ReplyEvent,
    output: {} as FlowOutput,
  },
  actors: {
    /** Remembers the language for the account (its SMS and email notices). */
    saveLanguage: fromPromise<void, { accountId: string; locale: LanguageCode }>(notProvided('saveLanguage')),
  },
  guards: {
    givenInArgs: ({ context }) => context.chosen !== null,
    linked: ({ context }) => context.accountId !== null,
  },
}).createMachine({
  id: 'language',
  context: ({ input }) => ({
    accountId: input.accountId,
    current: languageOf(input.locale ?? 'en') ?? 'en',
    chosen: languageOf(input.args),
  }),
  initial: 'start',
  output: ({ context }) => (context.chosen ? { locale: context.chosen } : {}),
  states: {
    start: {
      always: [{ guard: 'givenInArgs', target: 'chosen' }, { target: 'ask' }],
    },
    ask: {
      tags: [AWAITING_INPUT],
      entry: emit(({ context }) => ({
        type: 'reply' as const,
        key: 'language.ask' as const,
        params: { current: { key: NAME[context.current] } },
        input: 'choice' as const,
        choices: LANGUAGES.map((code) => ({ value: code, label: NAME[code] })),
      })),
      on: {
        'user.choice': {
          guard: ({ event }) => languageOf(event.value) !== null,
          target: 'chosen',
          actions: assign({ chosen: ({ event }) => languageOf(event.value) }),
        },
        'user.text': {
          guard: ({ event }) => languageOf(event.text) !== null,
          target: 'chosen',
          actions: assign({ chosen: ({ event }) => languageOf(event.text) }),
        },
      },
    },
    chosen: {
      always: [{ guard: 'linked', target: 'saving' }, { target: 'done' }],
    },
    saving: {
      invoke: {
        src: 'saveLanguage',
        input: ({ context }) => ({ accountId: context.accountId ?? '', locale: context.chosen ?? 'en' }),
        onDone: { target: 'done' },
        // The chat still switches; only the account's notices keep their language.
        onError: { target: 'done' },
      },
    },
    done: {
      type: 'final',
      entry: emit(({ context }) => ({
        type: 'reply' as const,
        key: context.accountId === null ? ('language.changedChat' as const) : ('language.changed' as const),
        params: { language: { key: NAME[context.chosen ?? context.current] } },
      })),
    },
  },
});

export const languageFlow = {
  id: 'language',
  version: 1,
  command: 'language',
  title: 'language.title',
  menuLabel: 'menu.language',
  audience: 'any',
  privateOnly: false,
  machine: languageMachine,
} as const satisfies FlowDefinition;

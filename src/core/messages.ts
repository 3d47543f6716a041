/**
 * Message keys without a dependency on the catalog: the catalog registers its English messages by
 * augmenting `MessageCatalog`, so every module that names a key is type-checked against the catalog
 * while this module imports nothing.
 *
 * @example
 * declare module '../core/messages.ts' { interface MessageCatalog { readonly en: typeof en } }
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in src/catalog
export interface MessageCatalog {}

type Registered = MessageCatalog extends { readonly en: infer E } ? E : Record<string, string>;

/** Every message key the catalog knows. Flows, services and adapters can only name these. */
export type MessageKey = keyof Registered & string;

/** Another message as a value (a task's title, a channel's name), rendered in the reader's language. */
export interface MessageRef {
  readonly key: MessageKey;
  readonly params?: MessageParams;
}

/**
 * One placeholder's value: text or a number (plurals), another message, lines (each a message, one per
 * line), or a time as a timestamp in ms: `{ at }` is a date and time, `{ at, now }` reads "2 hours ago" when
 * recent, `{ day }` is the calendar day alone ("1 Apr 2026", "2026年4月1日"), all in UTC.
 * Services never render: the edge (an adapter, the SMS and email senders) does, in the reader's language.
 */
export type MessageParam =
  | string
  | number
  | MessageRef
  | { readonly lines: readonly MessageRef[] }
  | { readonly at: number; readonly now?: number }
  | { readonly day: number };

/** Values for a message's placeholders (JSON: they are stored with sessions and queued notices). */
export type MessageParams = Readonly<Record<string, MessageParam>>;

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

/** Values for a message's placeholders; times are timestamps (ms), formatted by the renderer. */
export type MessageParams = Readonly<Record<string, string | number>>;

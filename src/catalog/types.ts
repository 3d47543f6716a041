import type { MessageKey } from '../core/messages.ts';

/**
 * A translated catalog: every English key, no other key, each an ICU MessageFormat string whose
 * placeholders are the English message's. The compiler checks completeness (`satisfies LocaleCatalog`);
 * test/i18n checks placeholders and that every message parses.
 */
export type LocaleCatalog = { readonly [K in MessageKey]: string };

/** Moved to the core module; re-exported for the modules that still import it from here. */
export type { Choice, InputMode, PromptField, Reply, ReplyImage } from '../core/reply.ts';

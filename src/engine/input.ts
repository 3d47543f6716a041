/** Moved to the core module; re-exported for the modules that still import it from here. */
export {
  type Channel,
  type ChatRef,
  chatTag,
  type InputAction,
  isConfidential,
  type UserInput,
} from '../core/conversation.ts';

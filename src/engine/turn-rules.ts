/**
 * The turn rules: a pure decision over one input and the session it found. No I/O, no clock, no flow
 * runs: the engine carries the decision out.
 */
import type { UserInput } from '../core/conversation.ts';
import { isConfidential } from '../core/conversation.ts';
import { type FlowEvent, SUPPORT_CHOICE } from '../core/flow.ts';
import { type Choice, MAX_INPUT_LENGTH } from '../core/reply.ts';
import type { FlowRegistry } from './registry.ts';
import type { Session } from './session-store.ts';

/** The commands the engine answers in every state, whatever flow is running. */
export const GLOBAL_COMMANDS = ['start', 'menu', 'help', 'cancel', 'support'] as const;

/** Commands that answer inside an offer without ending it. */
const PAST_OFFERS_KEPT: ReadonlySet<string> = new Set(['cancel', 'help', 'support']);

export type TurnDecision =
  /** Text too long to read: refused before anything else. */
  | { readonly kind: 'tooLong' }
  /** Not for us (plain text outside a one-to-one chat): nothing is said or stored. */
  | { readonly kind: 'ignore' }
  | { readonly kind: 'cancel' }
  /** "Back" typed inside a task: it ends (like cancel) and the menu is shown. */
  | { readonly kind: 'back' }
  | { readonly kind: 'help' }
  | { readonly kind: 'menu'; readonly welcome: boolean }
  | { readonly kind: 'start'; readonly flowId: string; readonly args: string }
  | { readonly kind: 'busy'; readonly flowId: string }
  | { readonly kind: 'repeatPrompt' }
  | { readonly kind: 'unknownCommand'; readonly command: string }
  | { readonly kind: 'startPayloadUnknown' }
  /** A button or number from an earlier question. */
  | { readonly kind: 'staleChoice' }
  | { readonly kind: 'notUnderstood' }
  /** A person owns the conversation: the bot only says so. */
  | { readonly kind: 'withPerson' }
  /** The user asked for a person (`/support` or the "Talk to support" choice). */
  | { readonly kind: 'escalate'; readonly reason: string }
  | { readonly kind: 'step'; readonly event: FlowEvent };

export interface TurnPlan {
  /** The session's flow went idle: it ends now, and the user is told. */
  readonly expired: boolean;
  /** The session's flow cannot be restored (removed, or another version): it ends, and the user is told. */
  readonly reset: boolean;
  /** The flow only waited on an offer and a command went past it: it ends quietly. */
  readonly dismissed: boolean;
  /** The input answered a secret prompt (or came while one was recent): adapters delete it. */
  readonly inputWasSecret: boolean;
  readonly decision: TurnDecision;
}

export interface TurnFacts {
  readonly now: number;
  readonly idleMs: number;
  /** The chat was asked for a secret recently (its own short-lived mark, kept after the flow ended). */
  readonly secretAsked: boolean;
  readonly registry: FlowRegistry;
  /** The label of a choice as the user sees it (for matching typed answers). */
  readonly labelOf: (choice: Choice) => string;
  /** The plain word a typed text is ("stop", "ayuda", "отмена"), in the chat's language or English. */
  readonly plainWord?: (text: string) => 'cancel' | 'help' | 'menu' | 'back' | null;
}

/**
 * Text that names one of the offered choices (its number or its label) counts as picking it. With
 * `byFirstWord` (never at a secret prompt, where the text may be a password), the first word of a label
 * ("SMS", "Email") picks it too, when it has at least 3 letters and no other choice starts with it.
 */
export function matchChoice(
  text: string,
  choices: readonly Choice[] | undefined,
  facts: TurnFacts,
  byFirstWord = false,
): string | null {
  if (!choices?.length) return null;
  const typed = text.trim().toLowerCase();
  const number = /^\d{1,2}$/.test(typed) ? Number(typed) : Number.NaN;
  if (number >= 1 && number <= choices.length) return choices[number - 1]?.value ?? null;
  const byLabel = choices.find((choice) => facts.labelOf(choice).toLowerCase() === typed);
  if (byLabel) return byLabel.value;
  if (!byFirstWord || [...typed].length < 3 || /\s/.test(typed)) return null;
  const starting = choices.filter(
    (choice) => facts.labelOf(choice).trim().toLowerCase().split(/\s+/)[0] === typed,
  );
  return starting.length === 1 ? (starting[0]?.value ?? null) : null;
}

/** Decides what one input does. */
export function planTurn(input: UserInput, session: Session | null, facts: TurnFacts): TurnPlan {
  const action = input.action;
  const secretPrompt = session?.prompt?.input === 'secret';
  // Judged on the question that was asked (or its mark), even if the flow has ended since.
  const inputWasSecret = action.type === 'text' && (secretPrompt || facts.secretAsked);
  let flow = session?.flow ?? null;
  let prompt = session?.prompt ?? null;
  const expired = flow !== null && session !== null && facts.now - session.lastActiveAt > facts.idleMs;
  if (expired) {
    flow = null;
    prompt = null;
  }
  const reset = flow !== null && facts.registry.get(flow.id)?.version !== flow.version;
  if (reset) {
    flow = null;
    prompt = null;
  }
  // A command goes past an offer (a dismissible prompt): the offer ends quietly and the command is carried out.
  const dismissed =
    flow !== null &&
    prompt?.dismissible === true &&
    action.type === 'command' &&
    !PAST_OFFERS_KEPT.has(action.command.toLowerCase());
  if (dismissed) {
    flow = null;
    prompt = null;
  }
  const plan = (decision: TurnDecision): TurnPlan => ({
    expired,
    reset,
    dismissed,
    inputWasSecret,
    decision,
  });

  if (action.type === 'text' && action.text.length > MAX_INPUT_LENGTH) return plan({ kind: 'tooLong' });
  if (session?.owner) return plan({ kind: 'withPerson' });
  if (action.type === 'command') {
    const command = action.command.toLowerCase();
    const args = action.args.trim();
    switch (command) {
      case 'cancel':
        return plan({ kind: 'cancel' });
      case 'help':
        return plan({ kind: 'help' });
      case 'support':
        return plan({ kind: 'escalate', reason: 'asked' });
      case 'start': {
        if (args !== '') {
          const target = facts.registry.deepLink(args);
          if (!target) return plan({ kind: 'startPayloadUnknown' });
          if (flow) return plan({ kind: 'busy', flowId: flow.id });
          return plan({ kind: 'start', flowId: target.id, args: target.command === args ? '' : args });
        }
        return plan(flow ? { kind: 'busy', flowId: flow.id } : { kind: 'menu', welcome: true });
      }
      case 'menu':
        return plan(flow ? { kind: 'busy', flowId: flow.id } : { kind: 'menu', welcome: false });
    }
    const target = facts.registry.command(command);
    if (!target) return plan({ kind: 'unknownCommand', command });
    if (flow)
      return plan(flow.id === target.id ? { kind: 'repeatPrompt' } : { kind: 'busy', flowId: flow.id });
    return plan({ kind: 'start', flowId: target.id, args });
  }
  // Where others can read along (a group), only commands are read; confidential input (a private chat, a
  // button or form on an ephemeral reply) is.
  if (!isConfidential(input)) return plan({ kind: 'ignore' });
  const choice =
    action.type === 'choice'
      ? action.value
      : matchChoice(action.text, prompt?.choices, facts, prompt?.input !== 'secret');
  if (choice !== null && prompt?.choices && !prompt.choices.some((c) => c.value === choice)) {
    return plan({ kind: 'staleChoice' });
  }
  // A plain word ("cancel", "stop", "help", "menu", "back", or the chat language's own) works at every
  // step like its command, and is never handed to a flow as a password or a code.
  const word = choice === null && action.type === 'text' ? (facts.plainWord?.(action.text) ?? null) : null;
  if (word === 'cancel') return plan({ kind: 'cancel' });
  if (word === 'help') return plan({ kind: 'help' });
  if (word === 'menu' || (word === 'back' && !flow))
    return plan(flow ? { kind: 'busy', flowId: flow.id } : { kind: 'menu', welcome: false });
  // "Back" inside a task leaves it (nothing changed) and shows the menu.
  if (word === 'back') return plan({ kind: 'back' });
  if (choice === SUPPORT_CHOICE) return plan({ kind: 'escalate', reason: 'asked' });
  if (choice?.startsWith('menu:') && !flow) {
    const target = facts.registry.get(choice.slice('menu:'.length));
    if (target) return plan({ kind: 'start', flowId: target.id, args: '' });
  }
  if (!flow) return plan({ kind: 'notUnderstood' });
  const event: FlowEvent =
    choice !== null
      ? { type: 'user.choice', value: choice, at: facts.now }
      : { type: 'user.text', text: action.type === 'text' ? action.text : '', at: facts.now };
  return plan({ kind: 'step', event });
}

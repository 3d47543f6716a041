/**
 * The replies for the shared effect results (sending and checking a one-time code, the second factor, the
 * current password), and a guard helper for their failure reasons. Pure functions: flows call them inside
 * `emit(({ event }) => ...)` and `guard: ({ event }) => ...`, so each flow still decides where to go next.
 *
 * @example
 * ```ts
 * {
 *   guard: ({ event }) => failedWith(event.output, 'wrong'),
 *   target: 'askCode',
 *   actions: emit(({ event }) => codeCheckReply(event.output)),
 * }
 * ```
 */
import {
  type AccountSummary,
  type CheckCodeResult,
  type CheckPasswordResult,
  type Choice,
  FIELD_MAX,
  type MessageKey,
  type PromptField,
  type ReplyEvent,
  type SecondFactorResult,
  type SendCodeResult,
} from './ports.ts';

/** A flow's own limit on top of a shared result (link-account counts attempts per chat and destination). */
type TooMany = { readonly ok: false; readonly reason: 'tooMany' };

/** The shape of every effect result: a success, or a failure with a reason. */
type Outcome = { readonly ok: true } | { readonly ok: false; readonly reason: string };

type Failure<R> = Extract<R, { readonly ok: false }>;

/**
 * The effect failed for this reason; narrows the result.
 *
 * @example `guard: ({ event }) => failedWith(event.output, 'cooldown')`
 */
export function failedWith<R extends Outcome, K extends Failure<R>['reason']>(
  result: R,
  reason: K,
): result is Failure<R> & { readonly reason: K } {
  return !result.ok && result.reason === reason;
}

// ---- form fields of secret and text prompts ---------------------------------------------------

/** The field of a current-password prompt. */
export const PASSWORD_FIELD: PromptField = { label: 'field.password', maxLength: FIELD_MAX.password };
/** The field of a new-password prompt; the repeat follows it. */
export const NEW_PASSWORD_FIELD: PromptField = {
  label: 'field.newPassword',
  maxLength: FIELD_MAX.password,
  repeatsNext: true,
};
/** The field of the repeat of a new password. */
export const REPEAT_PASSWORD_FIELD: PromptField = {
  label: 'field.newPassword',
  maxLength: FIELD_MAX.password,
};
/** The field of a one-time code prompt. */
export const CODE_FIELD: PromptField = { label: 'field.code', maxLength: FIELD_MAX.code };
/** The field of a second-factor prompt (a code from the app or a recovery code). */
export const SECOND_FACTOR_FIELD: PromptField = { label: 'field.appCode', maxLength: FIELD_MAX.code };
/** The field of a phone number prompt. */
export const PHONE_FIELD: PromptField = { label: 'field.phone', maxLength: FIELD_MAX.phone };
/** The field of an email address prompt. */
export const EMAIL_FIELD: PromptField = { label: 'field.email', maxLength: FIELD_MAX.email };

/** A reply that is just a message. */
export const reply = <K extends ReplyEvent['key']>(key: K) => ({ type: 'reply' as const, key });

// ---- sending a code ----------------------------------------------------------------------------

/** "A code went to …": the reply after a send that worked. */
export function codeSentReply(result: SendCodeResult | TooMany, key: MessageKey = 'codes.sent'): ReplyEvent {
  return { type: 'reply', key, params: { to: result.ok ? result.to : '' } };
}

/** "Type the code sent to …", with a button to send a new one (value `resend`). */
export function askCodePrompt(to: string | null): ReplyEvent {
  return {
    type: 'reply',
    key: 'codes.askCode',
    params: { to: to ?? '' },
    input: 'secret',
    field: CODE_FIELD,
    choices: [{ value: 'resend', label: 'codes.choiceResend' }],
  };
}

/** Where a code can go: the phone, and the email when the account has one (values `phone`, `email`). */
export function codeDestinationChoices(summary: AccountSummary | null): Choice[] {
  return [
    { value: 'phone', label: 'codes.choicePhone', params: { to: summary?.phoneMasked ?? '' } },
    ...(summary?.emailMasked
      ? [{ value: 'email', label: 'codes.choiceEmail', params: { to: summary.emailMasked } } as const]
      : []),
  ];
}

/** A send that did not go out: wait (cool-down), the hourly cap, or a failed delivery (anything else). */
export function codeSendFailedReply(
  result: SendCodeResult | TooMany,
  hourlyCapKey: MessageKey = 'codes.hourlyCap',
): ReplyEvent {
  if (!result.ok && result.reason === 'cooldown') {
    return { type: 'reply', key: 'codes.cooldown', params: { seconds: result.seconds } };
  }
  return {
    type: 'reply',
    key: !result.ok && result.reason === 'hourlyCap' ? hourlyCapKey : 'codes.deliveryFailed',
  };
}

// ---- checking a code ---------------------------------------------------------------------------

const CODE_FAILURES: readonly string[] = ['wrong', 'format', 'expired', 'exhausted', 'missing'];

/**
 * A commit that checks a code first (phone, email): its result as the code check, so `codeCheckReply`
 * words it; reasons of the commit itself count as a missing code (flows handle them before).
 */
export function asCodeCheck(
  result: Outcome & { readonly remaining?: number },
): Exclude<CheckCodeResult, { readonly ok: true }> {
  if (!result.ok && CODE_FAILURES.includes(result.reason)) {
    return result.reason === 'wrong'
      ? { ok: false, reason: 'wrong', remaining: result.remaining ?? 0 }
      : { ok: false, reason: result.reason as 'format' | 'expired' | 'exhausted' | 'missing' };
  }
  return { ok: false, reason: 'missing' };
}

/** The keys for a code that can no longer be used; some flows word these for their own step. */
export interface DeadCodeKeys {
  readonly expired: MessageKey;
  readonly exhausted: MessageKey;
  readonly missing: MessageKey;
}

const CODES_DEAD: DeadCodeKeys = {
  expired: 'codes.expired',
  exhausted: 'codes.exhausted',
  missing: 'codes.missing',
};

export interface CodeCheckReplies {
  /** Expired, used up or gone; `codes.*` unless a flow words these itself. */
  readonly dead?: DeadCodeKeys;
  /** The "that is not a code" reply asks for the code again (becomes the remembered prompt). */
  readonly formatPrompts?: boolean;
}

/**
 * The reply to a code check that failed: wrong (with the tries left), not a code, or expired, used up or
 * gone. A flow's own reasons (`tooMany`) and a success, which flows handle before, count as gone.
 */
export function codeCheckReply(
  result: CheckCodeResult | TooMany,
  { dead = CODES_DEAD, formatPrompts = true }: CodeCheckReplies = {},
): ReplyEvent {
  if (result.ok) return { type: 'reply', key: dead.missing };
  switch (result.reason) {
    case 'wrong':
      return { type: 'reply', key: 'codes.wrong', params: { remaining: result.remaining } };
    case 'format':
      return formatPrompts
        ? { type: 'reply', key: 'codes.format', input: 'secret', field: CODE_FIELD }
        : { type: 'reply', key: 'codes.format' };
    case 'expired':
    case 'exhausted':
      return { type: 'reply', key: dead[result.reason] };
    default:
      return { type: 'reply', key: dead.missing };
  }
}

// ---- the second factor -------------------------------------------------------------------------

/**
 * The reply to a second-factor code that was not accepted: wrong (with the tries left), already used, or
 * not a code. With `prompts` the reply asks for the code again (becomes the remembered prompt).
 * `tooMany` ends the flow and is answered with `twofa.tooMany` by the flow itself.
 */
export function secondFactorReply(result: SecondFactorResult, { prompts = true } = {}): ReplyEvent {
  const input = prompts ? ({ input: 'secret', field: SECOND_FACTOR_FIELD } as const) : {};
  if (!result.ok && result.reason === 'wrong') {
    return { type: 'reply', key: 'twofa.wrong', params: { remaining: result.remaining }, ...input };
  }
  return {
    type: 'reply',
    key: !result.ok && result.reason === 'replay' ? 'twofa.replay' : 'twofa.format',
    ...input,
  };
}

// ---- the current password ----------------------------------------------------------------------

/** How many password tries are left after a wrong one (0 when the result says nothing). */
function remainingTries(result: CheckPasswordResult): number {
  return !result.ok && result.reason === 'wrong' ? result.remaining : 0;
}

/** How long the password step is locked (15 minutes when the result says nothing). */
export function lockedMinutes(result: CheckPasswordResult): number {
  return !result.ok && result.reason === 'locked' ? result.minutes : 15;
}

/** A wrong password, worded by the flow, with the tries left. */
export function wrongPasswordReply(key: MessageKey, result: CheckPasswordResult): ReplyEvent {
  return { type: 'reply', key, params: { remaining: remainingTries(result) } };
}

/** The password step is locked, worded by the flow, with the minutes to wait. */
export function passwordLockedReply(key: MessageKey, result: CheckPasswordResult): ReplyEvent {
  return { type: 'reply', key, params: { minutes: lockedMinutes(result) } };
}

/**
 * The prove-identity step, once for every flow that needs a proof: every way (password, a code to the
 * phone or the email), every failure, the lock-out, the four second-factor modes, and a JSON round trip
 * of the persisted snapshot at every edge of its graph.
 *
 * It runs as a child of a tiny parent flow (`/provetest <options as JSON>`) on the real engine with the
 * real services (flow-harness), so what is tested is the child inside a parent: the engine restores the
 * parent, and with it the step, from the stored session before every message.
 */
import {
  type AdjacencyMap,
  type AdjacencyValue,
  getAdjacencyMap,
  getShortestPaths,
  type StatePath,
} from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import {
  type AnyActorRef,
  type AnyEventObject,
  type AnyStateMachine,
  assign,
  createActor,
  fromPromise,
  type SnapshotFrom,
  setup,
} from 'xstate';
import {
  type AccountSummary,
  AWAITING_INPUT,
  type FlowDefinition,
  type FlowEvent,
  type FlowInput,
  type FlowOutput,
  type MessageKey,
  notProvided,
  type ProofWay,
  type ReplyEvent,
  type SecondFactorResult,
} from '../../flows/ports.ts';
import {
  forwardToProof,
  NO_ACCESS_REASON,
  PROVE_ID,
  type ProveInput,
  type ProveOutput,
  proofFailedOutput,
  proveIdentityMachine,
  type SecondFactorMode,
} from '../../flows/steps/prove-identity.ts';
import { MAX_WRONG_PASSWORDS, PASSWORD_LOCK_MS } from '../../src/accounts/password-service.ts';
import { isMessageKey } from '../../src/catalog/catalog.ts';
import {
  CODE_TTL_MS,
  HOURLY_CAP,
  MAX_WRONG_TRIES,
  RESEND_COOLDOWN_MS,
} from '../../src/codes/code-service.ts';
import { bindProveIdentity } from '../../src/composition/bindings/prove-identity.ts';
import type { Reply } from '../../src/engine/reply.ts';
import type { SecondFactorChecker } from '../../src/services.ts';
import {
  type ChatDriver,
  createFlowHarness,
  type FlowHarness,
  type HarnessOptions,
  keys,
} from '../helpers/flow-harness.ts';

const MINUTE = 60_000;
const PURPOSE = 'test-purpose';
const PASSWORD_FIELD = { label: 'field.password', maxLength: 128 };
const CODE_FIELD = { label: 'field.code', maxLength: 32 };
const APP_CODE_FIELD = { label: 'field.appCode', maxLength: 32 };
const PHONE_CHOICE = { value: 'phone', label: 'codes.choicePhone', params: { to: '+86 138****8000' } };
const EMAIL_CHOICE = { value: 'email', label: 'codes.choiceEmail', params: { to: 'a***@example.com' } };
const NO_ACCESS = { value: 'noAccess', label: 'prove.choiceNoAccess' };

/** What the tiny parent flow passes to the step (read from the command's arguments). */
interface StepOptions {
  readonly ways?: readonly ProofWay[];
  readonly secondFactor?: SecondFactorMode;
  readonly intro?: MessageKey;
  readonly codePurpose?: string;
}

interface ParentContext {
  readonly input: FlowInput;
  readonly options: StepOptions;
  result: ProveOutput | null;
}

/**
 * A parent that only proves: it invokes the step with the options in its arguments, then hands the
 * step's output to `report` and ends the way a real parent does (`proofFailedOutput`).
 */
const parentMachine = setup({
  types: {
    context: {} as ParentContext,
    input: {} as FlowInput,
    events: {} as FlowEvent,
    emitted: {} as ReplyEvent,
    output: {} as FlowOutput,
  },
  actors: {
    proveIdentity: proveIdentityMachine,
    report: fromPromise<void, { output: ProveOutput; taskId: string }>(notProvided('report')),
  },
}).createMachine({
  id: 'prove-test',
  context: ({ input }) => ({
    input,
    options: input.args ? (JSON.parse(input.args) as StepOptions) : {},
    result: null,
  }),
  initial: 'proving',
  output: ({ context }) => (context.result ? proofFailedOutput(context.result) : {}),
  states: {
    proving: {
      invoke: {
        id: PROVE_ID,
        src: 'proveIdentity',
        input: ({ context }): ProveInput => ({
          accountId: context.input.accountId ?? '',
          channel: context.input.chat.channel,
          taskId: context.input.taskId,
          at: context.input.at,
          purpose: PURPOSE,
          ways: context.options.ways ?? ['password', 'phone', 'email'],
          secondFactor: context.options.secondFactor ?? 'ifEnabled',
          ...(context.options.intro ? { intro: context.options.intro } : {}),
          ...(context.options.codePurpose ? { codePurpose: context.options.codePurpose } : {}),
        }),
        onDone: { target: 'reporting', actions: assign({ result: ({ event }) => event.output }) },
      },
      on: forwardToProof<ParentContext>(),
    },
    reporting: {
      invoke: {
        src: 'report',
        input: ({ context }) => ({
          output: context.result as ProveOutput,
          taskId: context.input.taskId,
        }),
        onDone: 'done',
      },
    },
    done: { type: 'final' },
  },
});

interface ProveWorld extends FlowHarness {
  /** What the step ended with, in order, and the task it ran in. */
  readonly outcomes: Array<{ output: ProveOutput; taskId: string }>;
  /** /provetest with these options. */
  start(chat: ChatDriver, options?: StepOptions): Promise<Reply[]>;
}

async function createWorld(options: HarnessOptions = {}): Promise<ProveWorld> {
  const outcomes: ProveWorld['outcomes'] = [];
  const h = await createFlowHarness({
    ...options,
    extraFlows: (services) => [
      {
        id: 'prove-test',
        version: 1,
        command: 'provetest',
        title: 'password.title',
        audience: 'linked',
        privateOnly: true,
        machine: parentMachine.provide({
          actors: {
            proveIdentity: bindProveIdentity(services),
            report: fromPromise(async ({ input }) => {
              outcomes.push(input);
            }),
          },
        }),
      } satisfies FlowDefinition,
    ],
  });
  return {
    ...h,
    outcomes,
    start: (chat, stepOptions = {}) => chat.command('provetest', JSON.stringify(stepOptions)),
  };
}

function fakeSecondFactor(outcomes: Record<string, SecondFactorResult>) {
  const calls: string[] = [];
  const checker: SecondFactorChecker = {
    async check(_accountId, code) {
      calls.push(code);
      return outcomes[code] ?? { ok: false, reason: 'format' };
    },
  };
  return { checker, calls };
}

const SECOND_FACTOR: Record<string, SecondFactorResult> = {
  '111111': { ok: false, reason: 'wrong', remaining: 4 },
  '222222': { ok: false, reason: 'replay' },
  '333333': { ok: true, method: 'totp' },
  'abcd-efgh-ij': { ok: true, method: 'recovery' },
  '999999': { ok: false, reason: 'tooMany' },
};

/** Another 6-digit code than `code`. */
function wrongCode(code: string, offset = 1): string {
  return String((Number(code) + offset) % 1_000_000).padStart(6, '0');
}

async function expectProved(w: ProveWorld, via: { first: ProofWay; second: 'totp' | 'recovery' | null }) {
  expect(w.outcomes).toHaveLength(1);
  const [{ output, taskId }] = w.outcomes as [{ output: ProveOutput; taskId: string }];
  expect(output).toMatchObject({ ok: true, via });
  if (output.ok) expect(output.summary.phoneMasked).toBe('+86 138****8000');
  // The proof is a fact on the server, for this task and purpose only.
  const proofs = w.services.proofs;
  expect(await proofs.isFresh(w.accountId, taskId, PURPOSE, w.clock.now())).toBe(true);
  expect(await proofs.isFresh(w.accountId, 'task_other', PURPOSE, w.clock.now())).toBe(false);
  expect(await proofs.isFresh(w.accountId, taskId, 'other-purpose', w.clock.now())).toBe(false);
  expect(await proofs.isFresh(w.accountId, taskId, PURPOSE, w.clock.now() + 5 * MINUTE + 1)).toBe(false);
}

function expectFailed(w: ProveWorld, failure: { reason: string; minutes?: number }) {
  expect(w.outcomes.map((o) => o.output)).toEqual([{ ok: false, ...failure }]);
}

describe('prove identity: the password', () => {
  it('asks for the password with a field and a way out, and records the proof on the server', async () => {
    const w = await createWorld();
    const chat = w.chat();
    expect(await w.start(chat)).toEqual([
      {
        key: 'prove.askPassword',
        input: 'secret',
        field: PASSWORD_FIELD,
        choices: [{ value: 'forgot', label: 'prove.choiceForgot' }],
      },
    ]);
    expect(await chat.text(w.password)).toEqual([]);
    await expectProved(w, { first: 'password', second: null });
    expect(await chat.storedSession()).toBeNull();
    expect(JSON.stringify(w.outcomes)).not.toContain(w.password);
  });

  it('words the first question with the parent intro, then its own words', async () => {
    const w = await createWorld();
    const chat = w.chat();
    expect(keys(await w.start(chat, { intro: 'password.askCurrent' }))).toEqual(['password.askCurrent']);
    expect(await chat.text('Wrong-Guess-1')).toEqual([
      { key: 'prove.wrongPassword', params: { remaining: MAX_WRONG_PASSWORDS - 1 } },
      {
        key: 'prove.askPasswordAgain',
        input: 'secret',
        field: PASSWORD_FIELD,
        choices: [{ value: 'forgot', label: 'prove.choiceForgot' }],
      },
    ]);
    expect(keys(await chat.text(w.password))).toEqual([]);
    await expectProved(w, { first: 'password', second: null });
  });

  it('offers no way out when the password is the only way', async () => {
    const w = await createWorld();
    const chat = w.chat();
    expect(await w.start(chat, { ways: ['password'] })).toEqual([
      { key: 'prove.askPassword', input: 'secret', field: PASSWORD_FIELD },
    ]);
    expect(keys(await chat.text('Wrong-Guess-1'))).toEqual([
      'prove.wrongPassword',
      'prove.askPasswordAgainOnly',
    ]);
    // There is no choice to pick: the step ignores it and the question is asked again.
    expect(keys(await chat.choose('forgot'))).toEqual(['common.notUnderstood', 'prove.askPasswordAgainOnly']);
  });

  it('offers no code by email to an account without an email', async () => {
    const w = await createWorld({ email: null });
    const chat = w.chat();
    expect((await w.start(chat, { ways: ['password', 'email'] }))[0]?.choices).toBeUndefined();
    expect(keys(await chat.text('Wrong-Guess-1'))).toEqual([
      'prove.wrongPassword',
      'prove.askPasswordAgainOnly',
    ]);
  });

  it('counts every wrong password of the account, across chats', async () => {
    const w = await createWorld();
    const first = w.chat('c1');
    await w.start(first);
    await first.text('Wrong-Guess-1');
    await first.text('Wrong-Guess-2');
    await first.command('cancel');
    const second = w.chat('c2');
    await w.start(second);
    expect(await second.text('Wrong-Guess-3')).toContainEqual({
      key: 'prove.wrongPassword',
      params: { remaining: 2 },
    });
  });
});

describe('prove identity: the lock-out is no dead end', () => {
  async function lockOut(w: ProveWorld, chat: ChatDriver, options: StepOptions = {}): Promise<Reply[]> {
    await w.start(chat, options);
    for (let i = 1; i < MAX_WRONG_PASSWORDS; i += 1) await chat.text(`Wrong-Guess-${i}`);
    return chat.text('Wrong-Guess-5');
  }

  it('says how long the password step is locked and offers the codes, which still prove it', async () => {
    const w = await createWorld();
    const chat = w.chat();
    expect(await lockOut(w, chat)).toEqual([
      {
        key: 'prove.lockedPickDestination',
        params: { minutes: 15 },
        input: 'choice',
        choices: [PHONE_CHOICE, EMAIL_CHOICE, NO_ACCESS],
      },
    ]);
    expect(w.outcomes).toEqual([]);
    expect(keys(await chat.choose('email'))).toEqual(['codes.sent', 'codes.askCode']);
    expect(keys(await chat.text(w.delivery.lastCodeTo(w.email ?? '')))).toEqual([]);
    await expectProved(w, { first: 'email', second: null });
  });

  it('does not offer the password among the other ways while it is locked', async () => {
    const w = await createWorld();
    const chat = w.chat();
    await lockOut(w, chat);
    expect(keys(await chat.choose('password'))).toEqual([
      'common.staleChoice',
      'prove.lockedPickDestination',
    ]);
  });

  it('starts with the lock and the codes when the password step is locked already', async () => {
    const w = await createWorld();
    await lockOut(w, w.chat('c1'));
    w.clock.advance(5 * MINUTE);
    const other = w.chat('c2');
    expect(await w.start(other, { intro: 'password.askCurrent' })).toEqual([
      {
        key: 'prove.lockedPickDestination',
        params: { minutes: 10 },
        input: 'choice',
        choices: [PHONE_CHOICE, EMAIL_CHOICE, NO_ACCESS],
      },
    ]);
    w.clock.advance(PASSWORD_LOCK_MS - 5 * MINUTE);
    await other.command('cancel');
    expect(keys(await w.start(other))).toEqual(['prove.askPassword']);
  });

  it('ends with `locked` and the time when no other way is offered, and keeps deleting late guesses', async () => {
    const w = await createWorld();
    const chat = w.chat();
    expect(await lockOut(w, chat, { ways: ['password'] })).toEqual([
      {
        key: 'prove.locked',
        params: { minutes: 15 },
        input: 'choice',
        choices: [{ value: 'support', label: 'support.choiceTalk' }],
      },
    ]);
    expectFailed(w, { reason: 'locked', minutes: 15 });
    expect(await chat.storedSession()).toBeNull();
    // The parent ended with `lockedOut`: the next guess typed is still taken for a secret.
    const late = await w.engine.handle({
      chat: chat.ref,
      userId: 'u1',
      updateId: 'late-guess',
      isPrivate: true,
      action: { type: 'text', text: 'Wrong-Guess-6' },
    });
    expect(late.inputWasSecret).toBe(true);
    // Started again while locked: said at once, nothing asked.
    expect(await w.start(chat, { ways: ['password'] })).toEqual([
      {
        key: 'prove.locked',
        params: { minutes: 15 },
        input: 'choice',
        choices: [{ value: 'support', label: 'support.choiceTalk' }],
      },
    ]);
  });

  it('hands the user to support when the one destination left cannot be used', async () => {
    const w = await createWorld({ email: null });
    const chat = w.chat();
    expect(await lockOut(w, chat)).toEqual([
      {
        key: 'prove.lockedPickDestination',
        params: { minutes: 15 },
        input: 'choice',
        choices: [PHONE_CHOICE, NO_ACCESS],
      },
    ]);
    // The parent hands the conversation to a person; without a support desk (this harness) the user is
    // told how to reach support.
    expect(await chat.choose('noAccess')).toEqual([
      { key: 'prove.needSupport' },
      // The default contact is a key: rendered in the reader's language.
      { key: 'support.contactOnly', params: { contact: { key: 'support.defaultContact' } } },
    ]);
    expectFailed(w, { reason: 'needsSupport' });
    expect(proofFailedOutput({ ok: false, reason: 'needsSupport' })).toEqual({
      escalate: { reason: NO_ACCESS_REASON },
    });
    expect(NO_ACCESS_REASON).toBe('noAccess');
  });

  // A flow that ends with `escalate` while no support desk is set up ends, and says how to reach support.
  it('ends the task after "I cannot use any of these" also when no support desk is set up', async () => {
    const w = await createWorld({ email: null });
    const chat = w.chat();
    await lockOut(w, chat);
    await chat.choose('noAccess');
    expect(await chat.storedSession()).toBeNull();
  });
});

describe('prove identity: a one-time code', () => {
  /** Starts, says "I forgot", picks `via`; returns the code sent. */
  async function requestCode(w: ProveWorld, chat: ChatDriver, via: 'phone' | 'email' = 'phone') {
    await w.start(chat);
    expect(await chat.choose('forgot')).toEqual([
      { key: 'prove.pickDestination', input: 'choice', choices: [PHONE_CHOICE, EMAIL_CHOICE, NO_ACCESS] },
    ]);
    const to = via === 'phone' ? '+86 138****8000' : 'a***@example.com';
    expect(await chat.choose(via)).toEqual([
      { key: 'codes.sent', params: { to } },
      {
        key: 'codes.askCode',
        params: { to },
        input: 'secret',
        field: CODE_FIELD,
        // The codes are the way out of a forgotten password here: no other way to offer.
        choices: [{ value: 'resend', label: 'codes.choiceResend' }],
      },
    ]);
    return w.delivery.lastCodeTo(via === 'phone' ? w.phone : (w.email ?? ''));
  }

  it('proves it with a code by SMS, bound to the code purpose', async () => {
    const w = await createWorld();
    const chat = w.chat();
    await w.start(chat, { codePurpose: 'test-codes' });
    await chat.choose('forgot');
    await chat.choose('phone');
    const code = w.delivery.lastCodeTo(w.phone);
    expect(await w.services.codes.check(w.accountId, 'reauth', w.phone, code)).toMatchObject({ ok: false });
    expect(keys(await chat.text(code))).toEqual([]);
    await expectProved(w, { first: 'phone', second: null });
  });

  it('uses the reauth purpose by default', async () => {
    const w = await createWorld();
    const chat = w.chat();
    const code = await requestCode(w, chat);
    expect(await w.services.codes.check(w.accountId, 'password-reset', w.phone, code)).toEqual({
      ok: false,
      reason: 'missing',
    });
    expect(keys(await chat.text(code))).toEqual([]);
    await expectProved(w, { first: 'phone', second: null });
  });

  it('proves it with a code by email', async () => {
    const w = await createWorld();
    const chat = w.chat();
    const code = await requestCode(w, chat, 'email');
    expect(w.delivery.to(w.phone)).toEqual([]);
    await chat.text(code);
    await expectProved(w, { first: 'email', second: null });
  });

  it('starts with the destinations when a code is the first way, worded by the intro with the contacts', async () => {
    const w = await createWorld();
    const chat = w.chat();
    expect(await w.start(chat, { ways: ['phone', 'email'], intro: 'phone.intro' })).toEqual([
      {
        key: 'phone.intro',
        params: { phone: '+86 138****8000', email: 'a***@example.com' },
        input: 'choice',
        choices: [PHONE_CHOICE, EMAIL_CHOICE, NO_ACCESS],
      },
    ]);
    // The password is not one of the ways here.
    expect(keys(await chat.choose('password'))).toEqual(['common.staleChoice', 'phone.intro']);
    // The codes are the first way: the code prompt offers another way, back to the choice in the step's words.
    expect((await chat.choose('phone')).at(-1)?.choices).toEqual([
      { value: 'resend', label: 'codes.choiceResend' },
      { value: 'other', label: 'prove.choiceOtherWay' },
    ]);
    expect(keys(await chat.choose('other'))).toEqual(['prove.pickDestination']);
    expect(keys(await chat.choose('email'))).toEqual(['codes.sent', 'codes.askCode']);
    await chat.text(w.delivery.lastCodeTo(w.email ?? ''));
    await expectProved(w, { first: 'email', second: null });
  });

  it('offers support when the only destination cannot be used (a lost phone, no email)', async () => {
    const w = await createWorld({ email: null });
    const chat = w.chat();
    expect((await w.start(chat, { ways: ['phone', 'email'] }))[0]?.choices).toEqual([
      PHONE_CHOICE,
      NO_ACCESS,
    ]);
    await chat.choose('phone');
    expect(keys(await chat.choose('other'))).toEqual(['prove.pickDestination']);
    expect(keys(await chat.choose('noAccess'))).toEqual(['prove.needSupport', 'support.contactOnly']);
    expectFailed(w, { reason: 'needsSupport' });
  });

  it('offers the password among the codes when it was not asked first', async () => {
    const w = await createWorld();
    const chat = w.chat();
    const [pick] = await w.start(chat, { ways: ['phone', 'password'] });
    expect(pick?.choices?.map((c) => c.value)).toEqual(['phone', 'password', 'noAccess']);
    expect(keys(await chat.choose('password'))).toEqual(['prove.askPassword']);
    await chat.text(w.password);
    await expectProved(w, { first: 'password', second: null });
  });

  it('has `noWay` (and says nothing) when no way exists for the account', async () => {
    const w = await createWorld({ email: null });
    const chat = w.chat();
    expect(await w.start(chat, { ways: ['email'] })).toEqual([]);
    expectFailed(w, { reason: 'noWay' });
  });

  it('asks again after a wrong code and after a malformed one, which costs no try', async () => {
    const w = await createWorld();
    const chat = w.chat();
    const code = await requestCode(w, chat);
    expect(await chat.text('12 34')).toEqual([
      { key: 'codes.format', input: 'secret', field: CODE_FIELD },
      expect.objectContaining({ key: 'codes.askCode' }),
    ]);
    expect(await chat.text(wrongCode(code))).toEqual([
      { key: 'codes.wrong', params: { remaining: MAX_WRONG_TRIES - 1 } },
      expect.objectContaining({ key: 'codes.askCode' }),
    ]);
    await chat.text(code);
    await expectProved(w, { first: 'phone', second: null });
  });

  it('refuses a resend within the cool-down and keeps the code, then resends', async () => {
    const w = await createWorld();
    const chat = w.chat();
    const first = await requestCode(w, chat);
    w.clock.advance(20_000);
    expect(await chat.choose('resend')).toEqual([
      { key: 'codes.cooldown', params: { seconds: 40 } },
      expect.objectContaining({ key: 'codes.askCode' }),
    ]);
    w.clock.advance(RESEND_COOLDOWN_MS);
    expect(keys(await chat.choose('resend'))).toEqual(['codes.sent', 'codes.askCode']);
    const second = w.delivery.lastCodeTo(w.phone);
    expect(w.delivery.codesTo(w.phone)).toEqual([first, second]);
    await chat.text(second);
    await expectProved(w, { first: 'phone', second: null });
  });

  it('goes back to the destinations for an expired code and for a code killed by wrong tries', async () => {
    const w = await createWorld();
    const chat = w.chat();
    const code = await requestCode(w, chat);
    w.clock.advance(CODE_TTL_MS + 1);
    expect(keys(await chat.text(code))).toEqual(['codes.expired', 'prove.pickDestination']);
    expect(keys(await chat.choose('email'))).toEqual(['codes.sent', 'codes.askCode']);
    const emailed = w.delivery.lastCodeTo(w.email ?? '');
    for (let i = 1; i < MAX_WRONG_TRIES; i += 1) await chat.text(wrongCode(emailed, i));
    expect(keys(await chat.text(wrongCode(emailed, 99)))).toEqual([
      'codes.exhausted',
      'prove.pickDestination',
    ]);
    expect(w.outcomes).toEqual([]);
  });

  it('goes back to the destinations after the hourly cap, and when the provider refuses', async () => {
    const w = await createWorld();
    const chat = w.chat();
    await w.start(chat);
    await chat.choose('forgot');
    for (let i = 0; i < HOURLY_CAP; i += 1) {
      w.clock.advance(RESEND_COOLDOWN_MS);
      expect(keys(await chat.choose(i === 0 ? 'phone' : 'resend'))).toEqual(['codes.sent', 'codes.askCode']);
    }
    w.clock.advance(RESEND_COOLDOWN_MS);
    expect(keys(await chat.choose('resend'))).toEqual(['codes.hourlyCap', 'prove.pickDestination']);
    w.delivery.failNext();
    expect(keys(await chat.choose('email'))).toEqual(['codes.deliveryFailed', 'prove.pickDestination']);
    w.clock.advance(RESEND_COOLDOWN_MS);
    expect(keys(await chat.choose('email'))).toEqual(['codes.sent', 'codes.askCode']);
    await chat.text(w.delivery.lastCodeTo(w.email ?? ''));
    await expectProved(w, { first: 'email', second: null });
  });
});

describe('prove identity: the second factor', () => {
  it('ifEnabled: asks for it after the password when the account has 2FA, and handles every answer', async () => {
    const fake = fakeSecondFactor(SECOND_FACTOR);
    const w = await createWorld({ twoFactor: true, secondFactor: fake.checker });
    const chat = w.chat();
    await w.start(chat);
    expect(await chat.text(w.password)).toEqual([
      {
        key: 'twofa.askCode',
        input: 'secret',
        field: APP_CODE_FIELD,
        choices: [{ value: 'support', label: 'support.choiceLostApp' }],
      },
    ]);
    expect(await chat.text('111111')).toEqual([
      { key: 'twofa.wrong', params: { remaining: 4 }, input: 'secret', field: APP_CODE_FIELD },
      {
        key: 'twofa.askCode',
        input: 'secret',
        field: APP_CODE_FIELD,
        choices: [{ value: 'support', label: 'support.choiceLostApp' }],
      },
    ]);
    expect(keys(await chat.text('222222'))).toEqual(['twofa.replay', 'twofa.askCode']);
    expect(keys(await chat.text('nope'))).toEqual(['twofa.format', 'twofa.askCode']);
    expect(w.outcomes).toEqual([]);
    expect(keys(await chat.text('abcd-efgh-ij'))).toEqual([]);
    await expectProved(w, { first: 'password', second: 'recovery' });
    expect(fake.calls).toEqual(['111111', '222222', 'nope', 'abcd-efgh-ij']);
  });

  it('ifEnabled: after a code proof too; not at all when the account has no 2FA', async () => {
    const fake = fakeSecondFactor(SECOND_FACTOR);
    const on = await createWorld({ twoFactor: true, secondFactor: fake.checker });
    const chat = on.chat();
    await on.start(chat);
    await chat.choose('forgot');
    await chat.choose('phone');
    expect(keys(await chat.text(on.delivery.lastCodeTo(on.phone)))).toEqual(['twofa.askCode']);
    await chat.text('333333');
    await expectProved(on, { first: 'phone', second: 'totp' });

    const off = await createWorld({ secondFactor: fake.checker });
    await off.start(off.chat());
    await off.chat().text(off.password);
    await expectProved(off, { first: 'password', second: null });
    expect(fake.calls).toEqual(['333333']);
  });

  it('ends with `tooMany` after too many wrong codes', async () => {
    const w = await createWorld({ twoFactor: true, secondFactor: fakeSecondFactor(SECOND_FACTOR).checker });
    const chat = w.chat();
    await w.start(chat);
    await chat.text(w.password);
    expect(await chat.text('999999')).toEqual([
      { key: 'twofa.tooMany', input: 'choice', choices: [{ value: 'support', label: 'support.choiceTalk' }] },
    ]);
    expectFailed(w, { reason: 'tooMany' });
    expect(await chat.storedSession()).toBeNull();
  });

  it('asks the first factor again, before the code is checked, when it came more than 5 minutes earlier', async () => {
    const fake = fakeSecondFactor(SECOND_FACTOR);
    const w = await createWorld({ twoFactor: true, secondFactor: fake.checker });
    const chat = w.chat();
    await w.start(chat, { ways: ['password'] });
    await chat.text(w.password);
    w.clock.advance(5 * MINUTE + 1);
    expect(keys(await chat.text('333333'))).toEqual(['prove.reauthExpired', 'prove.askPasswordAgainOnly']);
    expect(fake.calls).toEqual([]);
    await chat.text(w.password);
    w.clock.advance(5 * MINUTE);
    expect(keys(await chat.text('333333'))).toEqual([]);
    await expectProved(w, { first: 'password', second: 'totp' });
  });

  it('always: asks for it after the first factor; `noWay` without 2FA, before any question', async () => {
    const fake = fakeSecondFactor(SECOND_FACTOR);
    const on = await createWorld({ twoFactor: true, secondFactor: fake.checker });
    await on.start(on.chat(), { ways: ['password'], secondFactor: 'always' });
    expect(keys(await on.chat().text(on.password))).toEqual(['twofa.askCode']);
    await on.chat().text('333333');
    await expectProved(on, { first: 'password', second: 'totp' });

    const off = await createWorld({ secondFactor: fake.checker });
    expect(await off.start(off.chat(), { ways: ['password'], secondFactor: 'always' })).toEqual([]);
    expectFailed(off, { reason: 'noWay' });
  });

  it('only: asks nothing but the second factor (the first is named by ways[0]); `noWay` without 2FA', async () => {
    const fake = fakeSecondFactor(SECOND_FACTOR);
    const on = await createWorld({ twoFactor: true, secondFactor: fake.checker });
    expect(await on.start(on.chat(), { ways: ['email'], secondFactor: 'only' })).toEqual([
      {
        key: 'twofa.askCode',
        input: 'secret',
        field: APP_CODE_FIELD,
        choices: [{ value: 'support', label: 'support.choiceLostApp' }],
      },
    ]);
    // However late the code comes, there is no first factor of this step to be stale.
    on.clock.advance(10 * MINUTE);
    await on.chat().text('333333');
    await expectProved(on, { first: 'email', second: 'totp' });

    const off = await createWorld({ secondFactor: fake.checker });
    expect(await off.start(off.chat(), { ways: ['email'], secondFactor: 'only' })).toEqual([]);
    expectFailed(off, { reason: 'noWay' });
  });

  it('never: asks no second factor even when the account has one', async () => {
    const fake = fakeSecondFactor(SECOND_FACTOR);
    const w = await createWorld({ twoFactor: true, secondFactor: fake.checker });
    await w.start(w.chat(), { secondFactor: 'never' });
    expect(keys(await w.chat().text(w.password))).toEqual([]);
    await expectProved(w, { first: 'password', second: null });
    expect(fake.calls).toEqual([]);
  });
});

describe('prove identity: failures of the store', () => {
  it('ends with `error` when the account cannot be read', async () => {
    const w = await createWorld();
    w.services.passwords.summary = async () => {
      throw new Error('the store is down');
    };
    expect(await w.start(w.chat())).toEqual([{ key: 'common.internalError' }]);
    expectFailed(w, { reason: 'error' });
  });

  it('ends with `error` when the proof cannot be recorded, so no commit could count on it', async () => {
    const w = await createWorld();
    w.services.proofs.record = async () => {
      throw new Error('the store is down');
    };
    const chat = w.chat();
    await w.start(chat);
    expect(await chat.text(w.password)).toEqual([{ key: 'common.internalError' }]);
    expectFailed(w, { reason: 'error' });
  });

  it('asks again when a check fails in the store', async () => {
    const w = await createWorld();
    const check = w.services.passwords.checkCurrent.bind(w.services.passwords);
    w.services.passwords.checkCurrent = async () => {
      throw new Error('the store is down');
    };
    const chat = w.chat();
    await w.start(chat);
    expect(keys(await chat.text(w.password))).toEqual(['common.internalError', 'prove.askPasswordAgain']);
    w.services.passwords.checkCurrent = check;
    await chat.text(w.password);
    await expectProved(w, { first: 'password', second: null });
  });
});

describe('prove identity: inside its parent, across turns and processes', () => {
  it('is stored with the parent while it waits, and another process carries it on', async () => {
    const w = await createWorld();
    const chat = w.chat();
    await w.start(chat);
    await chat.choose('forgot');
    await chat.choose('phone');
    const stored = JSON.parse((await chat.storedSession()) ?? '{}');
    expect(stored.flow.id).toBe('prove-test');
    const child = stored.flow.snapshot.children[PROVE_ID];
    expect(child.snapshot.value).toBe('askCode');
    expect(child.snapshot.context.secret).toBeNull();
    expect(stored.prompt.key).toBe('codes.askCode');

    const other = w.anotherProcess();
    const elsewhere = w.chat('c1', { engine: other.engine });
    expect(keys(await elsewhere.text(w.delivery.lastCodeTo(w.phone)))).toEqual([]);
    await expectProved(w, { first: 'phone', second: null });
  });

  it('never writes a typed password or code anywhere, at any step', async () => {
    const w = await createWorld({ twoFactor: true, secondFactor: fakeSecondFactor(SECOND_FACTOR).checker });
    const chat = w.chat();
    const pattern = (typed: string) =>
      /^\d{6}$/.test(typed) ? new RegExp(`(?<!\\d)${typed}(?!\\d)`) : typed;
    const step = async (action: Promise<unknown>) => {
      await action;
      const stored = (await chat.storedSession()) ?? '';
      for (const typed of w.typed) {
        const p = pattern(typed);
        expect(typeof p === 'string' ? stored.includes(p) : p.test(stored), typed).toBe(false);
      }
    };
    await step(w.start(chat));
    await step(chat.text('Wrong-Guess-1'));
    await step(chat.choose('forgot'));
    await step(chat.choose('phone'));
    const code = w.delivery.lastCodeTo(w.phone);
    await step(chat.text(wrongCode(code)));
    await step(chat.text(code));
    await step(chat.text('111111'));
    await step(chat.text('333333'));
    await expectProved(w, { first: 'phone', second: 'totp' });
    for (const typed of w.typed) expect(w.kv.writesContaining(pattern(typed)), typed).toEqual([]);
    expect(JSON.stringify(w.outcomes)).not.toMatch(/333333|Wrong-Guess/);
  });
});

// ---- the model: every edge of the step's graph, with a JSON round trip of the parent's snapshot ----------

describe('prove identity: model-based paths over the step', () => {
  const machine = proveIdentityMachine;
  const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
  const typedSecrets = { password: 'Typed-Current-Pw-1', code: '480291', totp: '735104' };
  const summary: AccountSummary = {
    phoneMasked: '+86 138****8000',
    emailMasked: 'a***@example.com',
    twoFactor: false,
    passwordLockedMs: 0,
  };

  const invocation = (state: string): { id: string; src: string } => {
    const invoke = machine.states[state]?.invoke[0];
    if (!invoke) throw new Error(`${state} invokes nothing`);
    return { id: invoke.id, src: String(invoke.src) };
  };
  const invokingStates = Object.keys(machine.states).filter(
    (s) => (machine.states[s]?.invoke.length ?? 0) > 0,
  );

  const outcomes: Record<string, readonly unknown[]> = {
    loading: [
      summary,
      { ...summary, twoFactor: true },
      { ...summary, emailMasked: null },
      { ...summary, passwordLockedMs: 90_000 },
    ],
    checkingPassword: [
      { ok: true },
      { ok: false, reason: 'wrong', remaining: 3 },
      { ok: false, reason: 'locked', minutes: 15 },
    ],
    sendingCode: [
      { ok: true, to: '+86 138****8000' },
      { ok: false, reason: 'cooldown', seconds: 30 },
      { ok: false, reason: 'hourlyCap' },
      { ok: false, reason: 'deliveryFailed' },
    ],
    checkingCode: [
      { ok: true },
      { ok: false, reason: 'wrong', remaining: 2 },
      ...(['format', 'expired', 'exhausted', 'missing'] as const).map((reason) => ({ ok: false, reason })),
    ],
    checkingSecondFactor: [
      { ok: true, method: 'totp' },
      { ok: true, method: 'recovery' },
      { ok: false, reason: 'wrong', remaining: 2 },
      ...(['replay', 'format', 'tooMany'] as const).map((reason) => ({ ok: false, reason })),
    ],
    recording: [undefined],
  };

  const userEvents: Record<string, readonly FlowEvent[]> = {
    askPassword: [
      { type: 'user.text', text: typedSecrets.password, at: T0 },
      { type: 'user.choice', value: 'forgot', at: T0 },
    ],
    pickDestination: ['phone', 'email', 'password', 'noAccess'].map((value) => ({
      type: 'user.choice' as const,
      value,
      at: T0,
    })),
    askCode: [
      { type: 'user.text', text: typedSecrets.code, at: T0 },
      { type: 'user.choice', value: 'resend', at: T0 },
      { type: 'user.choice', value: 'other', at: T0 },
    ],
    // The second comes 6 minutes after the first factor: the proof must be whole.
    askSecondFactor: [
      { type: 'user.text', text: typedSecrets.totp, at: T0 },
      { type: 'user.text', text: typedSecrets.totp, at: T0 + 6 * MINUTE },
    ],
  };

  type ModelEvent = AnyEventObject;
  type Snap = SnapshotFrom<typeof machine>;

  const events = (snapshot: Snap): ModelEvent[] => {
    const state = String(snapshot.value);
    if (state in outcomes) {
      const { id } = invocation(state);
      return [
        ...(outcomes[state] ?? []).map((output) => ({ type: `xstate.done.actor.${id}`, output })),
        { type: `xstate.error.actor.${id}`, error: new Error('the store is down') },
      ];
    }
    return [...(userEvents[state] ?? [])];
  };

  /** What decides the future of a state: its value and the facts of context the guards read. */
  const serializeState = (snapshot: Snap): string => {
    const c = snapshot.context;
    return JSON.stringify({
      value: snapshot.value,
      twoFactor: c.summary?.twoFactor ?? null,
      email: c.summary?.emailMasked != null,
      locked: c.lockedMinutes > 0,
      lockNotice: c.lockNotice,
      forgot: c.forgot,
      first: c.first,
      second: c.second,
      via: c.via,
      codeTo: c.codeTo !== null,
      asked: c.asked,
      askedPassword: c.askedPassword,
      failure: c.failure,
    });
  };

  interface Config {
    readonly name: string;
    readonly input: ProveInput;
  }
  const base = {
    accountId: 'acc_000000000001',
    channel: 'console',
    taskId: 'task_1',
    at: T0,
    purpose: PURPOSE,
  } as const;
  const configs: Config[] = [
    {
      name: 'password, phone, email; 2FA if enabled; with an intro',
      input: {
        ...base,
        ways: ['password', 'phone', 'email'],
        secondFactor: 'ifEnabled',
        intro: 'password.askCurrent',
      },
    },
    { name: 'the password only; 2FA always', input: { ...base, ways: ['password'], secondFactor: 'always' } },
    {
      name: 'phone, email, password; no 2FA; with an intro',
      input: { ...base, ways: ['phone', 'email', 'password'], secondFactor: 'never', intro: 'phone.intro' },
    },
    { name: 'the second factor only', input: { ...base, ways: ['phone'], secondFactor: 'only' } },
    {
      name: 'the summary given; password, phone; 2FA if enabled',
      input: {
        ...base,
        ways: ['password', 'phone'],
        secondFactor: 'ifEnabled',
        summary: { ...summary, twoFactor: true },
      },
    },
  ];

  interface Replay {
    /** The step's last snapshot, and the parent's output when the step finished. */
    readonly step: Snap | null;
    readonly output: ProveOutput | null;
    readonly persisted: string[];
    readonly replies: Array<{ step: number; reply: ReplyEvent }>;
    readonly settledPrompts: Array<{ step: number; state: string }>;
    readonly calls: Array<{ src: string; output: unknown; input: unknown }>;
  }

  /** A parent that invokes the step with `input` and ends with its output, like the real parents. */
  const modelParent = (input: ProveInput) =>
    setup({
      types: {
        context: {} as { result: ProveOutput | null },
        events: {} as FlowEvent,
        emitted: {} as ReplyEvent,
        output: {} as ProveOutput | null,
      },
      actors: { proveIdentity: proveIdentityMachine },
    }).createMachine({
      id: 'model-parent',
      context: { result: null },
      initial: 'proving',
      output: ({ context }) => context.result,
      states: {
        proving: {
          invoke: {
            id: PROVE_ID,
            src: 'proveIdentity',
            input,
            onDone: { target: 'done', actions: assign({ result: ({ event }) => event.output }) },
          },
          on: forwardToProof<{ result: ProveOutput | null }>(),
        },
        done: { type: 'final' },
      },
    });

  async function replay(config: Config, steps: readonly ModelEvent[]): Promise<Replay> {
    const script = steps.filter(
      (e) => e.type.startsWith('xstate.done.actor.') || e.type.startsWith('xstate.error.actor.'),
    );
    const user = steps.filter((e) => e.type.startsWith('user.')) as FlowEvent[];
    const calls: Replay['calls'] = [];
    let blocked = false;
    const scripted = (src: string) =>
      fromPromise<unknown, unknown>(async ({ input }) => {
        const next = script.shift();
        if (!next) {
          blocked = true;
          return new Promise(() => {});
        }
        const state = invokingStates.find((s) => next.type.endsWith(`.${invocation(s).id}`));
        expect(state && invocation(state).src).toBe(src);
        const failed = next.type.startsWith('xstate.error.actor.');
        calls.push({ src, output: failed ? 'error' : next.output, input });
        if (failed) throw next.error;
        return next.output;
      });
    const step = machine.provide({
      actors: {
        loadAccount: scripted('loadAccount'),
        checkPassword: scripted('checkPassword'),
        sendCode: scripted('sendCode'),
        checkCode: scripted('checkCode'),
        checkSecondFactor: scripted('checkSecondFactor'),
        recordProof: scripted('recordProof'),
      } as never,
    });
    const parent = modelParent(config.input).provide({ actors: { proveIdentity: step } });
    const replies: Replay['replies'] = [];
    const persisted: string[] = [];
    const settledPrompts: Replay['settledPrompts'] = [];
    let index = 0;
    let lastStep: Snap | null = null;
    const childOf = (actor: AnyActorRef): Snap | null =>
      (actor.getSnapshot().children[PROVE_ID]?.getSnapshot() as Snap | undefined) ?? null;
    const run = async (start: { snapshot: unknown } | null, event: FlowEvent | null) => {
      const actor = start
        ? createActor(parent, {
            // biome-ignore lint/suspicious/noExplicitAny: a persisted snapshot is untyped JSON
            snapshot: start.snapshot as any,
            inspect: (i) => {
              if (i.type === '@xstate.actor')
                (i.actorRef as AnyActorRef).on('reply', (reply: ReplyEvent) =>
                  replies.push({ step: index, reply }),
                );
            },
          })
        : createActor(parent, {
            inspect: (i) => {
              if (i.type === '@xstate.actor')
                (i.actorRef as AnyActorRef).on('reply', (reply: ReplyEvent) =>
                  replies.push({ step: index, reply }),
                );
            },
          });
      actor.subscribe(() => {
        const child = childOf(actor);
        if (child) lastStep = child;
      });
      actor.start();
      if (event) actor.send(event);
      for (let tick = 0; tick < 100; tick += 1) {
        const child = childOf(actor);
        if (child) lastStep = child;
        if (actor.getSnapshot().status !== 'active' || child?.hasTag(AWAITING_INPUT) || blocked) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      const child = childOf(actor);
      if (actor.getSnapshot().status === 'active' && child?.hasTag(AWAITING_INPUT))
        settledPrompts.push({ step: index, state: String(child.value) });
      const json = JSON.stringify(actor.getPersistedSnapshot());
      const output =
        actor.getSnapshot().status === 'done' ? (actor.getSnapshot().output as ProveOutput) : null;
      actor.stop();
      persisted.push(json);
      return { json, output };
    };
    let { json, output } = await run(null, null);
    for (const event of user) {
      index += 1;
      ({ json, output } = await run({ snapshot: JSON.parse(json) }, event));
    }
    return { step: lastStep, output, persisted, replies, settledPrompts, calls };
  }

  const reachedStates = new Set<string>();
  let edgeCount = 0;

  for (const config of configs) {
    describe(config.name, () => {
      // biome-ignore lint/suspicious/noExplicitAny: the graph's events include the machine's internal done events
      const options = { events, input: config.input, serializeState } as any;
      const paths = getShortestPaths(machine, options) as Array<StatePath<Snap, ModelEvent>>;
      const adjacency = getAdjacencyMap(machine as AnyStateMachine, options) as AdjacencyMap<
        Snap,
        ModelEvent
      >;
      const pathTo = new Map(paths.map((path) => [serializeState(path.state), path]));
      const edges = (Object.entries(adjacency) as Array<[string, AdjacencyValue<Snap, ModelEvent>]>).flatMap(
        ([from, node]) =>
          (Object.values(node.transitions) as Array<{ event: ModelEvent; state: Snap }>).map((edge) => ({
            from,
            event: edge.event,
            to: edge.state,
          })),
      );
      type Edge = (typeof edges)[number];
      const replays = new Map<Edge, Promise<Replay>>();
      const replayEdge = (edge: Edge): Promise<Replay> => {
        let replayed = replays.get(edge);
        if (!replayed) {
          const head = pathTo.get(edge.from);
          if (!head) throw new Error(`no path to ${edge.from}`);
          replayed = replay(config, [...head.steps.map((s) => s.event), edge.event]);
          replays.set(edge, replayed);
        }
        return replayed;
      };
      const label = (edge: Edge) =>
        `${edge.from} --${edge.event.type}${'value' in edge.event ? `:${edge.event.value}` : ''}-->`;

      for (const path of paths) reachedStates.add(String(path.state.value));
      edgeCount += edges.length;

      it('has edges to replay', () => {
        expect(edges.length).toBeGreaterThan(10);
      });

      it('behaves the same with a JSON round trip of the parent before every message, along every edge', async () => {
        for (const edge of edges) {
          const replayed = await replayEdge(edge);
          if (edge.to.status === 'done') {
            expect(replayed.output, label(edge)).toEqual(edge.to.output);
          } else {
            expect(replayed.step && serializeState(replayed.step), label(edge)).toBe(serializeState(edge.to));
          }
        }
      });

      it('asks with an input mode whenever it waits, every secret prompt has a field, every key exists', async () => {
        for (const edge of edges) {
          const { replies, settledPrompts } = await replayEdge(edge);
          for (const { step } of settledPrompts) {
            const said = replies.filter((r) => r.step === step).map((r) => r.reply);
            if (said.length > 0) expect(said.at(-1)?.input, label(edge)).toBeDefined();
          }
          for (const { reply } of replies) {
            expect(isMessageKey(reply.key), reply.key).toBe(true);
            for (const choice of reply.choices ?? [])
              expect(isMessageKey(choice.label), choice.label).toBe(true);
            if (reply.input === 'secret' || reply.input === 'text') {
              expect(reply.field, `${label(edge)} ${reply.key}`).toBeDefined();
              expect(isMessageKey(reply.field?.label ?? ''), reply.key).toBe(true);
            }
          }
        }
      });

      it('never persists a typed secret or an effect in flight, and keeps the waiting step in the parent', async () => {
        for (const edge of edges) {
          const { persisted, settledPrompts } = await replayEdge(edge);
          for (const [i, json] of persisted.entries()) {
            const waiting = settledPrompts.some((p) => p.step === i);
            if (!waiting) continue;
            for (const secret of Object.values(typedSecrets)) expect(json, label(edge)).not.toContain(secret);
            const parent = JSON.parse(json) as {
              children: Record<string, { snapshot: { children?: Record<string, unknown> } }>;
            };
            expect(Object.keys(parent.children), label(edge)).toEqual([PROVE_ID]);
            expect(Object.keys(parent.children[PROVE_ID]?.snapshot.children ?? {}), label(edge)).toEqual([]);
          }
        }
      });

      it('records a proof only right after a check that passed, and succeeds only after the record', async () => {
        let proved = 0;
        for (const edge of edges) {
          const { calls, output } = await replayEdge(edge);
          const records = calls.flatMap((call, i) => (call.src === 'recordProof' ? [i] : []));
          expect(records.length, label(edge)).toBeLessThanOrEqual(1);
          for (const i of records) {
            const before = calls[i - 1];
            if (config.input.secondFactor === 'only') expect(before?.src).toBe('checkSecondFactor');
            expect((before?.output as { ok?: boolean } | undefined)?.ok, label(edge)).toBe(true);
            expect(['checkPassword', 'checkCode', 'checkSecondFactor']).toContain(before?.src);
            expect(calls[i]?.input, label(edge)).toMatchObject({
              accountId: base.accountId,
              taskId: base.taskId,
              purpose: PURPOSE,
            });
          }
          if (output?.ok) {
            expect(records.length, label(edge)).toBe(1);
            expect(calls.at(-1), label(edge)).toMatchObject({ src: 'recordProof', output: undefined });
            proved += 1;
          }
          if (output)
            for (const secret of Object.values(typedSecrets))
              expect(JSON.stringify(output)).not.toContain(secret);
        }
        expect(proved).toBeGreaterThan(0);
      });
    });
  }

  it('reaches every state of the step over the configurations', () => {
    // These only route (eventless transitions), so no snapshot ever rests in them.
    const routing = ['start', 'route', 'firstFactor', 'firstProved'];
    const expected = Object.keys(machine.states).filter((s) => !routing.includes(s));
    expect([...reachedStates].sort()).toEqual(expected.sort());
    expect(edgeCount).toBeGreaterThan(300);
  });
});

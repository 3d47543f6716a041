/** The turn rules as a pure decision: no store, no engine, no flow run. */
import { describe, expect, it } from 'vitest';
import { t } from '../../src/catalog/catalog.ts';
import type { UserInput } from '../../src/core/conversation.ts';
import { MAX_INPUT_LENGTH } from '../../src/core/reply.ts';
import { FlowRegistry } from '../../src/engine/registry.ts';
import type { Session } from '../../src/engine/session-store.ts';
import { matchChoice, planTurn, type TurnFacts } from '../../src/engine/turn-rules.ts';
import { counterFlow } from '../helpers/counter-flow.ts';
import { secretFlow } from '../helpers/secret-flow.ts';

const registry = new FlowRegistry([counterFlow(), secretFlow()], [{ prefix: 'h_', flowId: 'counter' }]);
const facts = (over: Partial<TurnFacts> = {}): TurnFacts => ({
  now: 10_000,
  idleMs: 1_000,
  secretAsked: false,
  registry,
  labelOf: (choice) => (choice.value === 'yes' ? 'Yes please' : choice.value),
  ...over,
});
const base = { chat: { channel: 'telegram' as const, chatId: '1' }, userId: '1', isPrivate: true };
const text = (value: string, extra: Partial<UserInput> = {}): UserInput => ({
  ...base,
  action: { type: 'text', text: value },
  ...extra,
});
const command = (name: string, args = ''): UserInput => ({
  ...base,
  action: { type: 'command', command: name, args },
});
const inFlow = (over: Partial<Session> = {}): Session => ({
  flow: { id: 'secret-test', version: 1, snapshot: {}, startedAt: 9_500, taskId: 'task_1' },
  prompt: {
    key: 'password.askCurrent',
    input: 'secret',
    choices: [{ value: 'forgot', label: 'password.choiceForgot' }],
  },
  lastActiveAt: 9_500,
  ...over,
});

describe('planTurn', () => {
  it('refuses a text over the limit before anything else, and still knows it answered a secret prompt', () => {
    const plan = planTurn(text('x'.repeat(MAX_INPUT_LENGTH + 1)), inFlow(), facts());
    expect(plan).toEqual({
      expired: false,
      reset: false,
      dismissed: false,
      inputWasSecret: true,
      decision: { kind: 'tooLong' },
    });
    expect(planTurn(text('x'.repeat(MAX_INPUT_LENGTH)), null, facts()).decision.kind).toBe('notUnderstood');
  });

  it('lets a command go past an offer (a dismissible prompt): the offer ends quietly and the command is carried out', () => {
    const offer = inFlow({
      prompt: {
        key: 'checkup.offer',
        input: 'choice',
        dismissible: true,
        choices: [{ value: 'show', label: 'checkup.choiceShow' }],
      },
    });
    expect(planTurn(command('menu'), offer, facts())).toMatchObject({
      dismissed: true,
      decision: { kind: 'menu', welcome: false },
    });
    expect(planTurn(command('count'), offer, facts())).toMatchObject({
      dismissed: true,
      decision: { kind: 'start', flowId: 'counter' },
    });
    // /cancel, /help and /support answer inside the offer, and text goes to the flow as always.
    for (const name of ['cancel', 'help', 'support']) {
      expect(planTurn(command(name), offer, facts()).dismissed).toBe(false);
    }
    expect(planTurn(text('show'), offer, facts())).toMatchObject({
      dismissed: false,
      decision: { kind: 'step' },
    });
    // A prompt that is not an offer keeps the task: the user is told one is under way.
    expect(planTurn(command('menu'), inFlow(), facts())).toMatchObject({
      dismissed: false,
      decision: { kind: 'busy' },
    });
  });

  it('judges a secret by the question asked or by the mark, even once the flow has expired', () => {
    const expired = planTurn(text('hunter2'), inFlow({ lastActiveAt: 8_000 }), facts());
    expect(expired).toMatchObject({
      expired: true,
      inputWasSecret: true,
      decision: { kind: 'notUnderstood' },
    });
    expect(planTurn(text('hunter2'), null, facts({ secretAsked: true })).inputWasSecret).toBe(true);
    expect(planTurn(text('hunter2'), null, facts()).inputWasSecret).toBe(false);
    expect(planTurn(command('help'), inFlow(), facts()).inputWasSecret).toBe(false);
  });

  it('resets a flow of another version', () => {
    const old = inFlow({ flow: { id: 'secret-test', version: 0, snapshot: {}, startedAt: 0 } });
    expect(planTurn(command('menu'), old, facts())).toMatchObject({
      reset: true,
      decision: { kind: 'menu' },
    });
  });

  it('answers the global commands in every state', () => {
    expect(planTurn(command('cancel'), inFlow(), facts()).decision).toEqual({ kind: 'cancel' });
    expect(planTurn(command('HELP'), inFlow(), facts()).decision).toEqual({ kind: 'help' });
    expect(planTurn(command('menu'), inFlow(), facts()).decision).toEqual({
      kind: 'busy',
      flowId: 'secret-test',
    });
    expect(planTurn(command('start'), null, facts()).decision).toEqual({ kind: 'menu', welcome: true });
    expect(planTurn(command('start', 'h_abc'), null, facts()).decision).toEqual({
      kind: 'start',
      flowId: 'counter',
      args: 'h_abc',
    });
    expect(planTurn(command('start', 'count'), null, facts()).decision).toEqual({
      kind: 'start',
      flowId: 'counter',
      args: '',
    });
    expect(planTurn(command('start', 'nope'), null, facts()).decision).toEqual({
      kind: 'startPayloadUnknown',
    });
    expect(planTurn(command('frobnicate'), null, facts()).decision).toEqual({
      kind: 'unknownCommand',
      command: 'frobnicate',
    });
  });

  it("repeats the question for the running flow's own command and refuses another flow's", () => {
    expect(planTurn(command('secret'), inFlow(), facts()).decision).toEqual({ kind: 'repeatPrompt' });
    expect(planTurn(command('count'), inFlow(), facts()).decision).toEqual({
      kind: 'busy',
      flowId: 'secret-test',
    });
  });

  it('reads only commands where others can read along, and confidential input where they cannot', () => {
    expect(planTurn(text('hi', { isPrivate: false }), inFlow(), facts()).decision).toEqual({
      kind: 'ignore',
    });
    const ephemeral = text('hunter2', { isPrivate: false, confidential: true });
    expect(planTurn(ephemeral, inFlow(), facts()).decision.kind).toBe('step');
  });

  it('answers a button from another question with where the conversation is now', () => {
    const stale: UserInput = { ...base, action: { type: 'choice', value: 'email' } };
    expect(planTurn(stale, inFlow(), facts()).decision).toEqual({ kind: 'staleChoice' });
    const current: UserInput = { ...base, action: { type: 'choice', value: 'forgot' } };
    expect(planTurn(current, inFlow(), facts()).decision).toEqual({
      kind: 'step',
      event: { type: 'user.choice', value: 'forgot', at: 10_000 },
    });
  });

  it('starts a flow from the menu by button', () => {
    const menu: Session = {
      flow: null,
      prompt: {
        key: 'common.menu',
        input: 'choice',
        choices: [{ value: 'menu:counter', label: 'menu.password' }],
      },
      lastActiveAt: 9_000,
    };
    expect(
      planTurn({ ...base, action: { type: 'choice', value: 'menu:counter' } }, menu, facts()).decision,
    ).toEqual({
      kind: 'start',
      flowId: 'counter',
      args: '',
    });
    expect(planTurn(text('1'), menu, facts()).decision).toEqual({
      kind: 'start',
      flowId: 'counter',
      args: '',
    });
  });
});

describe('matchChoice', () => {
  const choices = [
    { value: 'yes', label: 'common.choiceYes' as const },
    { value: 'no', label: 'common.choiceNo' as const },
  ];
  it('takes a number or a label, case and spacing aside; nothing else', () => {
    expect(matchChoice('2', choices, facts())).toBe('no');
    expect(matchChoice('  YES please ', choices, facts())).toBe('yes');
    expect(matchChoice('3', choices, facts())).toBeNull();
    expect(matchChoice('yes', undefined, facts())).toBeNull();
  });

  it('takes the first word of a label ("SMS", "Email") where allowed, when only one label starts with it', () => {
    const ways = [
      { value: 'phone', label: 'codes.choicePhone' as const, params: { to: '+86 138****8000' } },
      { value: 'email', label: 'codes.choiceEmail' as const, params: { to: 'a***@example.com' } },
      { value: 'noAccess', label: 'prove.choiceNoAccess' as const },
    ];
    const english = facts({ labelOf: (choice) => t('en', choice.label, choice.params) });
    expect(matchChoice(' sms ', ways, english, true)).toBe('phone');
    expect(matchChoice('Email', ways, english, true)).toBe('email');
    // Not at a secret prompt, not a word shorter than 3 letters, not a word two labels start with.
    expect(matchChoice('sms', ways, english, false)).toBeNull();
    expect(matchChoice('i', ways, english, true)).toBeNull();
    const twoStartingAlike = [
      { value: 'email', label: 'checkup.fix.email' as const },
      { value: 'phone', label: 'checkup.fix.phone' as const },
    ];
    expect(matchChoice('add', twoStartingAlike, english, true)).toBeNull();
  });
});
